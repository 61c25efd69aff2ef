//! Query latency on a realistic multi-year state.

use crate::stats::{median_spread, percentile};
use crate::sys::{machine, ms, peak_rss_bytes, save};
use anyhow::{Context, Result};
use childstat::settings::{decode_limits, store_settings};
use childstat_aggregator::Store;
use childstat_config::Config;
use childstat_core::{decode, Accepted, Batch, Dur, Indicator, Source, Step, Ts};
use childstat_sim::{SimConfig, Simulator};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

pub fn run(
    years: u32,
    per_year: u32,
    queries: usize,
    runs: usize,
    db: &Path,
    reuse: bool,
    out: &Path,
) -> Result<()> {
    let cfg = Config::embedded_defaults();
    let reuse = reuse && db.exists();
    if !reuse {
        for ext in ["", ".wal"] {
            let _ = std::fs::remove_file(format!("{}{ext}", db.display()));
        }
    }
    let now = Ts::now();
    let start = now.minus(Dur::days(365 * i64::from(years)));
    let zones = cfg.zone_set();
    let mut sim = Simulator::try_new(SimConfig {
        seed: 2026,
        zones: zones.clone(),
        start,
        investigations_per_year: per_year,
        duplicate_fraction: 0.01,
        invalid_fraction: 0.0,
    })
    .map_err(|e| anyhow::anyhow!("simulator: {e}"))?;
    let mut store = Store::open(db, store_settings(&cfg))
        .with_context(|| format!("opening {}", db.display()))?;
    let limits = decode_limits(&cfg);

    let load_started = Instant::now();
    let mut events = 0u64;
    let mut offset = 0i64;
    while !reuse && sim.peek_time() < now {
        let mut batch = Batch::default();
        while batch.messages < 20_000 && sim.peek_time() < now {
            let m = sim.next_message();
            batch.messages += 1;
            offset += 1;
            batch.next_offsets.insert(("bench".into(), 0), offset);
            if let Ok(event) = decode(m.payload(), &zones, &limits, now) {
                batch.accepted.push(Accepted {
                    event,
                    payload: String::from_utf8_lossy(m.payload()).into_owned(),
                    source: Source {
                        topic: "bench".into(),
                        partition: 0,
                        offset: offset - 1,
                    },
                });
            }
        }
        events += batch.messages;
        store.apply_batch(&batch, now)?;
    }
    let load_secs = load_started.elapsed().as_secs_f64();
    eprintln!(
        "loaded {events} events ({} investigations) in {load_secs:.1} s: {:.0} events/s",
        store.investigations()?,
        events as f64 / load_secs
    );

    let rss_before_index = crate::sys::proc_status_bytes("self", "VmRSS:");
    let index_started = Instant::now();
    let pool = store.read_pool(1)?;
    let index_load_ms = ms(index_started.elapsed());
    let index_rss_bytes =
        crate::sys::proc_status_bytes("self", "VmRSS:").saturating_sub(rss_before_index);
    eprintln!(
        "serving index loaded in {index_load_ms:.0} ms (+{} MB RSS)",
        index_rss_bytes >> 20
    );
    let codes: Vec<Option<String>> = std::iter::once(None)
        .chain(zones.codes().map(|c| Some(c.to_string())))
        .collect();
    let windows = [Dur::days(7), Dur::days(28), Dur::days(91)];
    let cal = pool.settings().calendar;
    let to = cal.local_date(now);
    let from = to - chrono::Days::new(364);

    let mut current_p50 = Vec::new();
    let mut current_p99 = Vec::new();
    let mut history_p50 = Vec::new();
    let mut history_p99 = Vec::new();
    let mut by_path: BTreeMap<&str, Vec<Duration>> = BTreeMap::new();
    for run in 0..runs {
        let mut lat = Vec::with_capacity(queries);
        for q in 0..queries {
            let zone = codes[(q * 7 + run) % codes.len()].as_deref();
            let t = Instant::now();
            std::hint::black_box(pool.current(zone, windows[q % 3], now)?);
            lat.push(t.elapsed());
        }
        lat.sort();
        let mut load_lat = Vec::with_capacity(queries / 4);
        for q in 0..queries / 4 {
            let zone = codes[(q * 3 + run) % codes.len()].as_deref();
            let t = Instant::now();
            std::hint::black_box(pool.caseload(zone, now)?);
            load_lat.push(t.elapsed());
        }
        load_lat.sort();
        eprintln!(
            "  of which caseload alone: p50 {:.2} ms",
            ms(percentile(&load_lat, 50.0))
        );
        current_p50.push(ms(percentile(&lat, 50.0)));
        current_p99.push(ms(percentile(&lat, 99.0)));
        // Every indicator in turn: flows, ledger point-in-time counts and caseloads, which take
        // three different read paths.
        let mut lat = Vec::with_capacity(queries / 4);
        for q in 0..queries / 4 {
            let zone = codes[(q * 5 + run) % codes.len()].as_deref();
            let ind = Indicator::ALL[q % Indicator::ALL.len()];
            let t = Instant::now();
            std::hint::black_box(pool.history(zone, ind, from, to, Step::Day, now)?);
            let took = t.elapsed();
            lat.push(took);
            by_path.entry(path_of(ind)).or_default().push(took);
        }
        lat.sort();
        history_p50.push(ms(percentile(&lat, 50.0)));
        history_p99.push(ms(percentile(&lat, 99.0)));
        eprintln!(
            "run {}: current p50 {:.2} ms p99 {:.2} ms; 1-year daily history p50 {:.2} ms p99 {:.2} ms",
            run + 1,
            current_p50[run],
            current_p99[run],
            history_p50[run],
            history_p99[run]
        );
    }
    // The same reads by SQL alone (what a read falls back to past the index's horizon):
    // the before of the serving index, side by side.
    let sql = store.read_pool_sql_only(1)?;
    let mut sql_current = Vec::new();
    for q in 0..queries / 4 {
        let zone = codes[(q * 7) % codes.len()].as_deref();
        let t = Instant::now();
        std::hint::black_box(sql.current(zone, windows[q % 3], now)?);
        sql_current.push(t.elapsed());
    }
    sql_current.sort();
    let mut sql_history = Vec::new();
    for q in 0..queries / 8 {
        let zone = codes[(q * 5) % codes.len()].as_deref();
        let ind = Indicator::ALL[q % Indicator::ALL.len()];
        let t = Instant::now();
        std::hint::black_box(sql.history(zone, ind, from, to, Step::Day, now)?);
        sql_history.push(t.elapsed());
    }
    sql_history.sort();
    let sql_only = serde_json::json!({
        "current_p50_ms": ms(percentile(&sql_current, 50.0)),
        "current_p99_ms": ms(percentile(&sql_current, 99.0)),
        "history_1y_daily_p50_ms": ms(percentile(&sql_history, 50.0)),
        "history_1y_daily_p99_ms": ms(percentile(&sql_history, 99.0)),
    });
    eprintln!("by SQL alone: {sql_only}");
    let summary = |xs: &Vec<f64>| {
        let (m, s) = median_spread(xs.clone());
        serde_json::json!({"median_ms": m, "spread_ms": s, "runs_ms": xs})
    };
    let result = serde_json::json!({
        "scenario": "queries",
        "machine": machine(),
        "years": years,
        "investigations_per_year": per_year,
        "events": events,
        "investigations": store.investigations()?,
        "load_events_per_sec": events as f64 / load_secs,
        "db_bytes": std::fs::metadata(db).map(|m| m.len()).unwrap_or(0),
        "peak_rss_bytes": peak_rss_bytes(),
        "current_p50": summary(&current_p50),
        "current_p99": summary(&current_p99),
        "history_1y_daily_p50": summary(&history_p50),
        "history_1y_daily_p99": summary(&history_p99),
        "history_1y_daily_p99_by_read_path_ms": by_path
            .iter_mut()
            .map(|(k, v)| {
                v.sort();
                (k.to_string(), serde_json::json!(ms(percentile(v, 99.0))))
            })
            .collect::<serde_json::Map<_, _>>(),
        "sql_only": sql_only,
        "serving_index_load_ms": index_load_ms,
        "serving_index_rss_bytes": index_rss_bytes,
        "serving_index_bytes": pool.serving_index_bytes().unwrap_or(0),
        "targets": {"current_p99_ms": 5.0, "history_1y_daily_p99_ms": 20.0},
    });
    save(out, "queries", result)
}

/// Which of the three history read paths an indicator takes.
fn path_of(ind: Indicator) -> &'static str {
    use childstat_core::indicator::{Kind, Value};
    match (ind.kind(), ind.value()) {
        (Kind::Flow, _) => "flow",
        (Kind::PointInTime, Value::Caseload) => "caseload",
        (Kind::PointInTime, _) => "point_in_time",
    }
}
