use anyhow::{bail, Context, Result};
use childstat::cli::{Cli, Command, ConfigArg};
use childstat::pipeline::{resolve_brokers, Pipeline, StartOptions};
use childstat::simulate::{self, Pace};
use childstat::{logging, replay};
use childstat_aggregator::{IsoWeek, Store};
use childstat_config::Config;
use childstat_core::Ts;
use clap::Parser;
use tokio_util::sync::CancellationToken;

/// A replay's default transaction size.
const REPLAY_BATCH: usize = 50_000;

fn load(c: &ConfigArg) -> Result<Config> {
    Config::load(c.config.as_deref()).context("invalid configuration")
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let rt = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match rt.block_on(dispatch(cli.command)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e:#}");
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn dispatch(cmd: Command) -> Result<()> {
    match cmd {
        Command::CheckConfig { config } => {
            let cfg = load(&config)?;
            println!(
                "{}",
                serde_json::to_string_pretty(&cfg).context("printing the configuration")?
            );
            eprintln!("configuration is valid");
            Ok(())
        }
        Command::Rules { config, out } => {
            let cfg = load(&config)?;
            let text = childstat::prom_rules::render(&cfg)?;
            match out {
                Some(path) => {
                    std::fs::write(&path, text)
                        .with_context(|| format!("writing {}", path.display()))?;
                    eprintln!(
                        "wrote {} compliance alerts to {}",
                        cfg.alerts.len(),
                        path.display()
                    );
                }
                None => print!("{text}"),
            }
            Ok(())
        }
        Command::Token { config, name, role } => {
            let cfg = load(&config)?;
            let new = childstat::token::generate(&name, role.into())?;
            if let Err(why) = new.fits(&cfg.access) {
                bail!("{why}");
            }
            print!("{}", new.instructions());
            Ok(())
        }
        Command::Snapshot {
            config,
            week,
            force,
        } => {
            let cfg = load(&config)?;
            logging::init(&cfg.log);
            let Some(w) = IsoWeek::parse(&week) else {
                bail!("--week must be an ISO week like 2026-W47, not `{week}`");
            };
            let zones: Vec<String> = cfg.zone_set().codes().map(str::to_string).collect();
            let settings = childstat::settings::store_settings(&cfg);
            let path = cfg.storage.path.clone();
            let info = tokio::task::spawn_blocking(move || {
                let mut store = Store::open(&path, settings)
                    .with_context(|| format!("opening {} (is childstat running? DuckDB allows one writer)", path.display()))?;
                if force && store.has_snapshot(w)? {
                    tracing::warn!(week = %w, "retaking an existing snapshot because --force was given");
                }
                anyhow::Ok(store.take_snapshot(w, &zones, Ts::now(), force)?)
            })
            .await??;
            println!(
                "snapshot {} frozen as of {} in {} ms{}",
                info.iso_week,
                info.as_of,
                info.took_ms,
                if info.forced { " (forced)" } else { "" }
            );
            Ok(())
        }
        Command::Healthcheck { config, url } => {
            let cfg = load(&config)?;
            let url = url.unwrap_or_else(|| {
                let mut bind = cfg.http.bind;
                if bind.ip().is_unspecified() {
                    bind.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
                }
                format!("http://{bind}/readyz")
            });
            let resp = reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(5))
                .build()
                .context("building the HTTP client")?
                .get(&url)
                .send()
                .await
                .with_context(|| format!("asking {url}"))?;
            let status = resp.status();
            let body = resp.text().await.unwrap_or_default();
            if !status.is_success() {
                bail!("{url} answered {status}: {body}");
            }
            println!("{body}");
            Ok(())
        }
        Command::Run { config } => {
            let cfg = load(&config)?;
            logging::init(&cfg.log);
            let p = Pipeline::start(&cfg, None, StartOptions::default()).await?;
            stop_on_signal(p.shutdown.clone());
            p.wait().await?;
            Ok(())
        }
        Command::Demo {
            config,
            db,
            keep,
            speed,
        } => {
            let mut cfg = load(&config)?;
            logging::init(&cfg.log);
            if !keep {
                for ext in ["", ".wal"] {
                    let f = std::path::PathBuf::from(format!("{}{ext}", db.display()));
                    if f.exists() {
                        std::fs::remove_file(&f).with_context(|| {
                            format!("removing the old demo database {}", f.display())
                        })?;
                    }
                }
            }
            cfg.storage.path = db;
            let brokers = if cfg.kafka.brokers.trim().is_empty() {
                resolve_brokers(&cfg)?
            } else {
                (cfg.kafka.brokers.clone(), None)
            };
            let bootstrap = brokers.0.clone();
            let p = Pipeline::start(&cfg, Some(brokers), StartOptions::default()).await?;
            let pace = Pace {
                start: Ts::now().minus(cfg.simulator.history_dur()),
                speed: speed.unwrap_or(cfg.simulator.speed),
            };
            let s = &cfg.simulator;
            let sim = simulate::simulator(
                s.seed,
                cfg.zone_set(),
                pace.start,
                s.investigations_per_year,
                s.duplicate_fraction,
                s.invalid_fraction,
            )?;
            let sd = p.shutdown.clone();
            let topic = cfg.kafka.topic.clone();
            let b = bootstrap.clone();
            tokio::spawn(async move {
                if let Err(e) = simulate::produce(sim, pace, &b, &topic, None, sd.clone()).await {
                    tracing::error!(error = %e, "the simulator failed; stopping");
                    sd.cancel();
                }
            });
            println!("childstat demo is running");
            println!("  dashboard:    http://{}/", p.addr);
            println!(
                "  API:          http://{}/api/v1/zones/citywide/indicators",
                p.addr
            );
            println!("  metrics:      http://{}/metrics", p.addr);
            println!(
                "  Kafka broker: {bootstrap} (topic {}, dead letters {})",
                cfg.kafka.topic,
                cfg.kafka.dlq_topic()
            );
            println!("  database:     {}", cfg.storage.path.display());
            println!("Press Ctrl-C to stop.");
            stop_on_signal(p.shutdown.clone());
            p.wait().await?;
            Ok(())
        }
        Command::Simulate {
            config,
            out,
            count,
            brokers,
            topic,
            seed,
            speed,
        } => {
            let cfg = load(&config)?;
            logging::init(&cfg.log);
            let s = &cfg.simulator;
            let start = Ts::now().minus(cfg.simulator.history_dur());
            let sim = simulate::simulator(
                seed.unwrap_or(s.seed),
                cfg.zone_set(),
                start,
                s.investigations_per_year,
                s.duplicate_fraction,
                s.invalid_fraction,
            )?;
            if let Some(path) = out {
                let Some(n) = count else {
                    bail!("--out needs --count: how many messages to write")
                };
                let n = usize::try_from(n).context("--count is too large")?;
                tokio::task::spawn_blocking(move || simulate::to_file(sim, n, &path)).await??;
                return Ok(());
            }
            let brokers = brokers.unwrap_or_else(|| cfg.kafka.brokers.clone());
            if brokers.trim().is_empty() {
                bail!("no Kafka brokers: pass --brokers HOST:PORT, set kafka.brokers, or use --out FILE");
            }
            let topic = topic.unwrap_or_else(|| cfg.kafka.topic.clone());
            let sd = CancellationToken::new();
            stop_on_signal(sd.clone());
            let pace = Pace {
                start,
                speed: speed.unwrap_or(s.speed),
            };
            let sent = simulate::produce(sim, pace, &brokers, &topic, count, sd).await?;
            eprintln!("produced {sent} messages to {topic}");
            Ok(())
        }
        Command::Replay {
            config,
            file,
            batch_size,
            no_progress,
        } => {
            let cfg = load(&config)?;
            logging::init(&cfg.log);
            let bs = batch_size
                .unwrap_or(cfg.kafka.batch_size.max(REPLAY_BATCH))
                .max(1);
            let sum =
                tokio::task::spawn_blocking(move || replay::replay(&cfg, &file, bs, !no_progress))
                    .await??;
            let rate = (sum.lines - sum.skipped) as f64 / sum.seconds.max(1e-9);
            eprintln!(
                "replayed {} lines in {:.1} s ({rate:.0} lines/s): {} applied, {} duplicates, {} dead-lettered, {} already applied before",
                sum.lines, sum.seconds, sum.applied, sum.duplicates, sum.dead_lettered, sum.skipped
            );
            eprintln!("{}{}", replay::RECOVERY_LINE, sum.recovery_line());
            eprintln!("{}{}", replay::WRITER_TIME_LINE, sum.phase_shares());
            let peak = sum.duckdb_memory_peak_line();
            eprintln!("{}{peak}", replay::DUCKDB_MEMORY_PEAK_LINE);
            eprintln!(
                "{}{}",
                replay::DUCKDB_MEMORY_END_LINE,
                sum.duckdb_memory_line()
            );
            Ok(())
        }
    }
}

/// Ctrl-C or SIGTERM requests a graceful shutdown.
fn stop_on_signal(token: CancellationToken) {
    tokio::spawn(async move {
        let ctrl_c = tokio::signal::ctrl_c();
        #[cfg(unix)]
        {
            let mut term =
                match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                    Ok(s) => s,
                    Err(_) => {
                        let _ = ctrl_c.await;
                        token.cancel();
                        return;
                    }
                };
            tokio::select! {
                _ = ctrl_c => {}
                _ = term.recv() => {}
            }
        }
        #[cfg(not(unix))]
        let _ = ctrl_c.await;
        tracing::info!("shutdown requested");
        token.cancel();
    });
}
