//! The assembled service: ingest → writer → DuckDB, the API, and the background tasks,
//! under one shutdown signal. The first task to fail stops all of them.

use crate::error::AppError;
use crate::gauges::refresh_indicator_gauges;
use crate::ingest_watch::IngestWatch;
use crate::settings::{ingest_settings, store_settings};
use crate::writer::{CrashPlan, WriterTask};
use childstat_aggregator::{ReadPool, Store};
use childstat_api::{AppParts, AppState, Health};
use childstat_config::{Config, OffsetReset};
use childstat_core::Ts;
use childstat_ingest::{EmbeddedBroker, Ingest, IngestError, OffsetLookup};
use childstat_telemetry::Metrics;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

#[derive(Default)]
pub struct StartOptions {
    /// Test hook: make the writer abandon one batch as if the process died.
    pub crash: Option<CrashPlan>,
    /// How often the per-zone indicator gauges are recomputed.
    pub gauge_interval: Option<Duration>,
}

pub struct Pipeline {
    pub addr: SocketAddr,
    pub brokers: String,
    pub pool: Arc<ReadPool>,
    pub metrics: Metrics,
    pub health: Arc<Health>,
    pub shutdown: CancellationToken,
    tasks: JoinSet<(&'static str, Result<(), AppError>)>,
    /// Kept alive for as long as the pipeline runs.
    _embedded: Option<Arc<EmbeddedBroker>>,
}

/// The brokers to use: configured ones, or a freshly started embedded broker.
pub fn resolve_brokers(cfg: &Config) -> Result<(String, Option<Arc<EmbeddedBroker>>), AppError> {
    if !cfg.kafka.brokers.trim().is_empty() {
        return Ok((cfg.kafka.brokers.clone(), None));
    }
    let dlq = cfg.kafka.dlq_topic();
    let broker = EmbeddedBroker::start(
        &[&cfg.kafka.topic, &dlq],
        cfg.kafka.embedded_partitions as i32,
    )?;
    let addr = broker.bootstrap_servers();
    tracing::info!(bootstrap = %addr, topic = %cfg.kafka.topic, dead_letters = %dlq, "embedded Kafka broker started (no kafka.brokers configured)");
    Ok((addr, Some(Arc::new(broker))))
}

impl Pipeline {
    /// Starts everything. With `brokers` given, uses them; else resolves from config.
    pub async fn start(
        cfg: &Config,
        brokers: Option<(String, Option<Arc<EmbeddedBroker>>)>,
        opts: StartOptions,
    ) -> Result<Pipeline, AppError> {
        let (brokers, embedded) = match brokers {
            Some(b) => b,
            None => resolve_brokers(cfg)?,
        };
        let metrics = Metrics::new();
        let health = Arc::new(Health::default());
        if let Some(e) = &embedded {
            let _ = health.embedded_broker.set(e.bootstrap_servers());
        }
        let path = cfg.storage.path.clone();
        let settings = store_settings(cfg);
        let readers = cfg.storage.read_connections;
        // Loading the serving index reads every day's aggregates: seconds on a large file.
        let (store, pool) = tokio::task::spawn_blocking(move || {
            let opening = std::time::Instant::now();
            let mut store = Store::open(&path, settings)?;
            let (batches, events) = store.recovered();
            if batches > 0 {
                tracing::info!(
                    batches,
                    events,
                    seconds = format!("{:.2}", opening.elapsed().as_secs_f64()),
                    "folded again from the log the batches after the last checkpoint"
                );
            }
            let pool = store.read_pool(readers)?;
            Ok::<_, childstat_aggregator::AggError>((store, pool))
        })
        .await
        .map_err(|e| AppError::TaskFailed {
            task: "open store",
            reason: e.to_string(),
        })??;
        let pool = Arc::new(pool);
        seed_metrics(&metrics, &pool)?;

        let lookup_pool = pool.clone();
        let lookup: OffsetLookup = Arc::new(move |topic: &str| {
            lookup_pool.stored_offsets(topic).map_err(|e| e.to_string())
        });
        let zones = Arc::new(cfg.zone_set());
        let ingest = Arc::new(Ingest::new(
            ingest_settings(cfg, &brokers, embedded.is_some()),
            zones.clone(),
            lookup,
            metrics.clone(),
        )?);

        let listen = cfg.access.listen_addr(cfg.http.bind);
        warn_without_tokens(cfg, listen);
        let listener = tokio::net::TcpListener::bind(listen.addr)
            .await
            .map_err(|source| AppError::Bind {
                addr: listen.addr,
                source,
            })?;
        let addr = listener.local_addr().map_err(AppError::Http)?;

        let shutdown = CancellationToken::new();
        let mut tasks = JoinSet::new();
        let (batch_tx, batch_rx) = mpsc::channel(2);
        let (commit_tx, commit_rx) = mpsc::channel(64);
        let (command_tx, command_rx) = mpsc::channel(4);
        let writer_ready = Arc::new(tokio::sync::Notify::new());

        let writer = WriterTask {
            store,
            batches: batch_rx,
            commands: command_rx,
            zones: zones.codes().map(str::to_string).collect(),
            committed: Some(commit_tx),
            ready: writer_ready.clone(),
            metrics: metrics.clone(),
            health: health.clone(),
            orphan_ttl: cfg.kafka.orphan_ttl_dur(),
            crash: opts.crash,
        };
        let sd = shutdown.clone();
        tasks.spawn(async move { ("writer", writer.run(sd).await) });

        let sd = shutdown.clone();
        let ing = ingest.clone();
        tasks.spawn(async move {
            let r = match ing.run(batch_tx, commit_rx, writer_ready, sd.clone()).await {
                // Ingest cannot go on, but the committed figures are still right: the API
                // keeps serving them, and /readyz and the DeadLetterBlocked alert say why.
                Err(e @ IngestError::DeadLetterBlocked { .. }) => {
                    tracing::error!("{e}");
                    sd.cancelled().await;
                    Ok(())
                }
                r => r.map_err(AppError::from),
            };
            ("ingest", r)
        });

        let watch = IngestWatch {
            ingest: ingest.clone(),
            pool: pool.clone(),
            metrics: metrics.clone(),
            health: health.clone(),
            topic: cfg.kafka.topic.clone(),
            from_beginning: cfg.kafka.auto_offset_reset == OffsetReset::Earliest,
            stall_after: cfg.ingest.stall_after,
            every: cfg.ingest.watch_interval,
        };
        let sd = shutdown.clone();
        tasks.spawn(async move { ("ingest watch", watch.run(sd).await) });

        let sd = shutdown.clone();
        let (p, m, z) = (pool.clone(), metrics.clone(), zones.clone());
        let every = opts.gauge_interval.unwrap_or(Duration::from_secs(15));
        tasks.spawn(async move { ("gauges", refresh_indicator_gauges(p, z, m, every, sd).await) });

        let sd = shutdown.clone();
        let (p, m) = (pool.clone(), metrics.clone());
        let tz = cfg.indicators.time_zone;
        tasks.spawn(async move {
            (
                "snapshot scheduler",
                crate::scheduler::run(p, m, tz, command_tx, sd).await,
            )
        });

        let alerts = crate::alerting::new_board(cfg)?;
        let sd = shutdown.clone();
        let (p, b, m) = (pool.clone(), alerts.clone(), metrics.clone());
        let every = cfg.alerting.interval;
        tasks.spawn(async move { ("alerts", crate::alerting::run(p, b, m, every, sd).await) });

        let state = AppState::from(AppParts {
            pool: pool.clone(),
            zones,
            metrics: metrics.clone(),
            health: health.clone(),
            config: Arc::new(cfg.clone()),
            alerts,
            clock: Arc::new(Ts::now),
        });
        let app = childstat_api::router(state, cfg.http.request_timeout);
        let sd = shutdown.clone();
        tasks.spawn(async move {
            let r = childstat_api::serve(listener, app, async move { sd.cancelled().await })
                .await
                .map_err(AppError::Http);
            ("http", r)
        });
        tracing::info!(%addr, "API listening: http://{addr}/api/v1/zones/citywide/indicators");
        Ok(Pipeline {
            addr,
            brokers,
            pool,
            metrics,
            health,
            shutdown,
            tasks,
            _embedded: embedded,
        })
    }

    /// Waits until shutdown is requested or a task ends; then stops the rest. A task that
    /// ended on its own, before shutdown, is a failure.
    pub async fn wait(mut self) -> Result<(), AppError> {
        let first = tokio::select! {
            _ = self.shutdown.cancelled() => None,
            done = self.tasks.join_next() => done,
        };
        let stopped_early = !self.shutdown.is_cancelled();
        self.shutdown.cancel();
        let mut result = Ok(());
        if let Some(done) = first {
            result = task_result(done, stopped_early);
        }
        let drain = async {
            while let Some(done) = self.tasks.join_next().await {
                let r = task_result(done, false);
                if result.is_ok() {
                    result = r;
                }
            }
        };
        if tokio::time::timeout(Duration::from_secs(30), drain)
            .await
            .is_err()
        {
            tracing::warn!("tasks did not stop within 30 s; exiting anyway");
        }
        result
    }

    /// Stops without any graceful step: tasks are aborted wherever they are (crash tests).
    pub fn abort(mut self) {
        self.tasks.abort_all();
    }
}

fn task_result(
    done: Result<(&'static str, Result<(), AppError>), tokio::task::JoinError>,
    early: bool,
) -> Result<(), AppError> {
    match done {
        Ok((_, Err(e))) => Err(e),
        Ok((task, Ok(()))) if early => Err(AppError::TaskFailed {
            task,
            reason: "it ended before shutdown was requested".into(),
        }),
        Ok(_) => Ok(()),
        Err(e) if e.is_cancelled() => Ok(()),
        Err(e) => Err(AppError::TaskFailed {
            task: "unknown",
            reason: e.to_string(),
        }),
    }
}

/// Without tokens anyone reaching the port could read every figure, so the API stays on
/// this host and case-level views stay off until tokens are configured.
fn warn_without_tokens(cfg: &Config, listen: childstat_config::ListenAddr) {
    if cfg.access.has_tokens() {
        return;
    }
    if listen.narrowed {
        tracing::warn!(
            configured = %cfg.http.bind,
            listening = %listen.addr,
            "no access tokens are configured, so the API listens on loopback only; \
             add [access] tokens to serve other hosts (docs/access.md)"
        );
    }
    tracing::warn!(
        "no access tokens are configured: local callers read aggregates as a viewer, and \
         case candidates are disabled until tokens are configured (docs/access.md)"
    );
}

/// Counters continue from their committed totals, so a restart does not reset them.
fn seed_metrics(m: &Metrics, pool: &ReadPool) -> Result<(), AppError> {
    let c = pool.counters()?;
    for ((name, label), v) in &c.values {
        if let Some(counter) = childstat_aggregator::Counter::parse(name) {
            crate::writer::add_count(m, counter, label, (*v).max(0) as u64);
        }
    }
    if let Some(t) = pool.newest_event()? {
        m.newest_event_timestamp.set(t.0 as f64 / 1e9);
    }
    Ok(())
}
