//! `docs/benchmarks.md`, written from `bench/results/latest.json` and the hand-written
//! `bench/notes.md` (what profiles showed and what changed), so the numbers in the docs are
//! always the last run's.

use anyhow::{Context, Result};
use serde_json::Value;
use std::fmt::Write;
use std::path::Path;

pub fn write(results: &Path, notes: &Path, out: &Path) -> Result<()> {
    let all: Value = serde_json::from_str(
        &std::fs::read_to_string(results)
            .with_context(|| format!("reading {}", results.display()))?,
    )
    .with_context(|| format!("parsing {}", results.display()))?;
    let notes = std::fs::read_to_string(notes).unwrap_or_default();
    std::fs::write(out, render(&all, &notes))
        .with_context(|| format!("writing {}", out.display()))?;
    eprintln!("wrote {}", out.display());
    Ok(())
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or(f64::NAN)
}

/// One row of the targets table: scenario, target, median, spread, and whether it is met.
struct Target {
    what: &'static str,
    scenario: &'static str,
    value: &'static [&'static str],
    target: &'static [&'static str],
    /// Lower is better (latency, memory) or higher is better (throughput, ratio).
    lower_is_better: bool,
    unit: &'static str,
    scale: f64,
}

const TARGETS: &[Target] = &[
    Target {
        what: "ingest ratio, childstat ÷ bare consumer",
        scenario: "ingest",
        value: &["ratio"],
        target: &["targets", "ratio"],
        lower_is_better: false,
        unit: "",
        scale: 1.0,
    },
    Target {
        what: "ingest, absolute",
        scenario: "ingest",
        value: &["childstat_events_per_sec"],
        target: &["targets", "childstat_events_per_sec"],
        lower_is_better: false,
        unit: " events/s",
        scale: 1.0,
    },
    Target {
        what: "replay",
        scenario: "replay",
        value: &["childstat_events_per_sec"],
        target: &["targets", "childstat_events_per_sec"],
        lower_is_better: false,
        unit: " events/s",
        scale: 1.0,
    },
    Target {
        what: "freshness p99",
        scenario: "freshness",
        value: &["delay_p99_ms"],
        target: &["targets", "delay_p99_ms"],
        lower_is_better: true,
        unit: " ms",
        scale: 1.0,
    },
    Target {
        what: "API p99, current indicators (64 connections, ingest running)",
        scenario: "api",
        value: &["routes", "current", "p99_ms"],
        target: &["targets", "current_p99_ms"],
        lower_is_better: true,
        unit: " ms",
        scale: 1.0,
    },
    Target {
        what: "API p99, 1-year history (64 connections, ingest running)",
        scenario: "api",
        value: &["routes", "history_1y_daily", "p99_ms"],
        target: &["targets", "history_1y_daily_p99_ms"],
        lower_is_better: true,
        unit: " ms",
        scale: 1.0,
    },
    Target {
        what: "peak RSS after 10 M events",
        scenario: "memory",
        value: &["peak_rss_bytes"],
        target: &["targets", "peak_rss_bytes"],
        lower_is_better: true,
        unit: " MB",
        scale: 1e-6,
    },
    Target {
        what: "in-process p99, current values for one zone",
        scenario: "queries",
        value: &["current_p99"],
        target: &["targets", "current_p99_ms"],
        lower_is_better: true,
        unit: " ms",
        scale: 1.0,
    },
    Target {
        what: "in-process p99, 1-year daily history",
        scenario: "queries",
        value: &["history_1y_daily_p99"],
        target: &["targets", "history_1y_daily_p99_ms"],
        lower_is_better: true,
        unit: " ms",
        scale: 1.0,
    },
];

fn at<'a>(v: &'a Value, path: &[&str]) -> &'a Value {
    path.iter().fold(v, |v, k| &v[*k])
}

/// A number with a sensible number of digits for its size.
fn num(x: f64) -> String {
    match x.abs() {
        a if a >= 1000.0 => format!("{:.0}", x)
            .as_bytes()
            .rchunks(3)
            .rev()
            .map(|c| std::str::from_utf8(c).unwrap_or(""))
            .collect::<Vec<_>>()
            .join(","),
        a if a >= 10.0 => format!("{x:.1}"),
        _ => format!("{x:.2}"),
    }
}

/// A ratio far below 1 (a replay beside `wc -l`) keeps three significant digits.
fn small(x: f64) -> String {
    if x != 0.0 && x.abs() < 0.1 {
        format!("{x:.3e}")
    } else {
        num(x)
    }
}

fn targets_table(all: &Value) -> String {
    let mut md = String::from(
        "## Targets\n\n| scenario | target | median | spread | met |\n|---|---|---|---|---|\n",
    );
    let mut missed = false;
    for t in TARGETS {
        let Some(s) = all.get(t.scenario) else {
            let _ = writeln!(md, "| {} | | not run | | |", t.what);
            continue;
        };
        let v = at(s, t.value);
        // The queries scenario stores `median_ms`; the others `median`.
        let med = f(v.get("median").unwrap_or(&v["median_ms"])) * t.scale;
        let spread = f(v.get("spread").unwrap_or(&v["spread_ms"])) * t.scale;
        let target = f(at(s, t.target)) * t.scale;
        let met = if t.lower_is_better {
            med <= target
        } else {
            med >= target
        };
        let _ = writeln!(
            md,
            "| {} | {} {}{} | {}{} | {}{} | {} |",
            t.what,
            if t.lower_is_better { "≤" } else { "≥" },
            num(target),
            t.unit,
            num(med),
            t.unit,
            num(spread),
            t.unit,
            if met { "yes" } else { "**no**" }
        );
        missed |= !met;
    }
    if missed {
        md.push_str(
            "\nFor each target not met, what the profile showed and the concrete reason: \
             [The missed targets, in short](#the-missed-targets-in-short), with the \
             measurements behind each in the sections after it.\n",
        );
    }
    md.push('\n');
    md
}

fn scenarios(all: &Value) -> String {
    let mut md = String::new();
    let m = |s: &Value, k: &str| f(&s[k]["median"]);
    if let Some(s) = all.get("ingest") {
        let _ = writeln!(
            md,
            "## Ingest, end to end\n\n{} simulator events ({:.0} bytes on average, {}% duplicates, {}% invalid) \
             on {} partitions of the embedded broker. The embedded broker (librdkafka's mock \
             cluster) keeps only 5 MB per partition, so the events are not prefilled: a feeder \
             produces them at most {} messages ahead of the reader. Per run, side by side, each on \
             a fresh topic: a bare rdkafka consumer reading and discarding every message, then \
             childstat from start until every event's offset is committed to DuckDB with the state \
             (batches of {}). Both times run from the feeder's first send.\n\n\
             | | events/s (median) | spread |\n|---|---|---|\n\
             | bare rdkafka consumer (the limit) | {} | {} |\n| childstat | {} | {} |\n| ratio | {} | {} |\n",
            s["events"], f(&s["payload_bytes_avg"]), f(&s["duplicate_fraction"]) * 100.0,
            f(&s["invalid_fraction"]) * 100.0, s["partitions"], s["max_ahead"], s["batch_size"],
            num(m(s, "bare_consumer_events_per_sec")), num(f(&s["bare_consumer_events_per_sec"]["spread"])),
            num(m(s, "childstat_events_per_sec")), num(f(&s["childstat_events_per_sec"]["spread"])),
            num(m(s, "ratio")), num(f(&s["ratio"]["spread"])),
        );
    }
    for (key, title) in [("replay", "Replay"), ("memory", "Memory and disk")] {
        if let Some(s) = all.get(key) {
            let quarters: Vec<String> = s["rss_bytes_by_quarter_of_file"]
                .as_array()
                .map(|runs| {
                    runs.iter()
                        .map(|q| {
                            let qs: Vec<String> = q
                                .as_array()
                                .map(|q| q.iter().map(|b| format!("{:.0}", f(b) / 1e6)).collect())
                                .unwrap_or_default();
                            format!("[{}]", qs.join(", "))
                        })
                        .collect()
                })
                .unwrap_or_default();
            let _ = writeln!(
                md,
                "## {title}\n\n`childstat replay` of {} events ({:.0} MB of NDJSON) into a fresh DuckDB file \
                 (`storage.memory_limit = \"{}\"`), beside `wc -l` on the same file (the I/O floor), \
                 in each run.\n\n\
                 | | median | spread |\n|---|---|---|\n\
                 | `wc -l`, lines/s | {} | {} |\n| childstat replay, events/s | {} | {} |\n\
                 | ratio to `wc -l` | {} | {} |\n| peak RSS of the replay, MB | {} | {} |\n| DuckDB file, MB | {} | {} |\n\n\
                 Resident memory, highest in each quarter of the file, MB, per run: {}.\n",
                s["events"], f(&s["file_bytes"]) / 1e6,
                s["memory_limit"].as_str().unwrap_or("unset"),
                num(m(s, "wc_l_lines_per_sec")), num(f(&s["wc_l_lines_per_sec"]["spread"])),
                num(m(s, "childstat_events_per_sec")), num(f(&s["childstat_events_per_sec"]["spread"])),
                small(m(s, "ratio_to_wc_l")), small(f(&s["ratio_to_wc_l"]["spread"])),
                num(m(s, "peak_rss_bytes") / 1e6), num(f(&s["peak_rss_bytes"]["spread"]) / 1e6),
                num(m(s, "db_bytes") / 1e6), num(f(&s["db_bytes"]["spread"]) / 1e6),
                quarters.join("; "),
            );
            if let Some(line) = s["recovery_after_sigkill_at_97_percent"].as_str() {
                let _ = writeln!(
                    md,
                    "\nRecovery: a replay killed with SIGKILL at 97% of the file, then started \
                     again on its database: opening it took {line} (the batches logged after the \
                     last checkpoint, folded again from `raw_events` before the file resumes).\n"
                );
            }
            const MEMORY: &str = "(`duckdb_memory()`; primary-key indexes are `ART_INDEX`)";
            for (key, heading) in [
                (
                    "writer_time_by_step",
                    "The writer's time by step, as shares of each run's wall-clock time \
                     (`childstat replay` prints it):"
                        .to_string(),
                ),
                (
                    "duckdb_memory_at_peak",
                    format!(
                        "DuckDB's memory by tag after the batch at which its total was highest, \
                         per run {MEMORY}:"
                    ),
                ),
                (
                    "duckdb_memory_at_end",
                    format!("DuckDB's memory by tag at the end, per run {MEMORY}:"),
                ),
            ] {
                if let Some(lines) = s[key].as_array().filter(|a| !a.is_empty()) {
                    let _ = writeln!(md, "\n{heading}\n");
                    for (i, line) in lines.iter().filter_map(|l| l.as_str()).enumerate() {
                        let _ = writeln!(md, "- run {}: {line}", i + 1);
                    }
                }
            }
            md.push('\n');
        }
    }
    if let Some(s) = all.get("freshness") {
        let _ = writeln!(
            md,
            "## Freshness\n\n{} events/s for {} s on {} partitions; the delay from the producer's send \
             to the first `/api/v1/status` answer whose committed offset passes the message (polled \
             every {:.1} ms; offsets commit with the state, so the figures show it from then on). \
             Batch linger {:.0} ms. Measured after a {} s warm-up, in which the consumer joins its \
             group; the first message of a run became visible after {} ms (median), the start-up \
             cost.\n\n| | median | spread |\n|---|---|---|\n\
             | p50, ms | {} | {} |\n| p99, ms | {} | {} |\n| max, ms | {} | {} |\n",
            s["rate_per_sec"], s["seconds"], s["partitions"], f(&s["poll_interval_ms"]),
            f(&s["batch_linger_ms"]),
            s["warm_up_s"],
            num(m(s, "startup_first_visible_ms")),
            num(m(s, "delay_p50_ms")), num(f(&s["delay_p50_ms"]["spread"])),
            num(m(s, "delay_p99_ms")), num(f(&s["delay_p99_ms"]["spread"])),
            num(m(s, "delay_max_ms")), num(f(&s["delay_max_ms"]["spread"])),
        );
    }
    if let Some(s) = all.get("api") {
        let _ = writeln!(
            md,
            "## API under load\n\n`wrk` with {} connections for {} s per route on loopback, on a copy of \
             the queries scenario's state, while {} events/s flow through ingest. Current values rotate \
             over all 22 zones (28-day window); histories over all 21 indicators. The last column is \
             the same requests' p99 as the server timed them, from its request-duration histogram \
             (an upper bucket bound): the rest of wrk's figure is time outside childstat's handlers, \
             waiting for a core or in the sockets.\n\n\
             | route | p50 ms | p99 ms | requests/s | errors | p99 in the server, ms |\n|---|---|---|---|---|---|",
            s["connections"], s["seconds_per_route"], s["ingest_rate_per_sec"],
        );
        for (k, label) in [
            ("current", "current indicators, one zone"),
            ("history_1y_daily", "1-year daily history"),
        ] {
            let r = &s["routes"][k];
            let _ = writeln!(
                md,
                "| {label} | {} (±{}) | {} (±{}) | {} | {} | {} |",
                num(f(&r["p50_ms"]["median"])),
                num(f(&r["p50_ms"]["spread"])),
                num(f(&r["p99_ms"]["median"])),
                num(f(&r["p99_ms"]["spread"])),
                num(f(&r["requests_per_sec"]["median"])),
                r["errors"],
                r["server_p99_ms_bound"]["median"]
                    .as_f64()
                    .map_or("—".to_string(), |b| format!("≤ {}", num(b))),
            );
        }
        md.push('\n');
    }
    md
}

pub fn render(all: &Value, notes: &str) -> String {
    let mut md = String::from(
        "# Benchmarks\n\n\
         Generated by the harness (`cargo run --release -p childstat-bench -- all`, or one\n\
         scenario at a time) from `bench/results/latest.json`; the notes at the end are\n\
         `bench/notes.md`. Each figure is the median of the runs, with the spread (max − min)\n\
         across runs. Comparisons are ratios measured side by side in the same run. Nothing\n\
         here is asserted in tests.\n\n",
    );
    md.push_str(&targets_table(all));
    md.push_str(&scenarios(all));
    if let Some(q) = all.get("queries") {
        let m = &q["machine"];
        let _ = writeln!(
            md,
            "## Query latency\n\nMachine: {} CPUs, {} ({}). State: {} years of simulated \
             citywide history, {} investigations, {} events, loaded in-process at {:.0} \
             events/s into a {:.0} MB DuckDB file (peak RSS of the harness {:.0} MB).\n",
            m["cpus"],
            m["cpu"].as_str().unwrap_or("?"),
            m["os"].as_str().unwrap_or("?"),
            q["years"],
            q["investigations"],
            q["events"],
            f(&q["load_events_per_sec"]),
            f(&q["db_bytes"]) / 1e6,
            f(&q["peak_rss_bytes"]) / 1e6,
        );
        md.push_str("| measure | target | median | spread | met |\n|---|---|---|---|---|\n");
        let rows = [
            ("current values, one zone, p50", "current_p50", None),
            (
                "current values, one zone, p99",
                "current_p99",
                Some(f(&q["targets"]["current_p99_ms"])),
            ),
            ("1-year daily history, p50", "history_1y_daily_p50", None),
            (
                "1-year daily history, p99",
                "history_1y_daily_p99",
                Some(f(&q["targets"]["history_1y_daily_p99_ms"])),
            ),
        ];
        for (label, key, target) in rows {
            let med = f(&q[key]["median_ms"]);
            let spread = f(&q[key]["spread_ms"]);
            let (t, met) = match target {
                Some(t) => (format!("≤ {t} ms"), if med <= t { "yes" } else { "**no**" }),
                None => ("".into(), ""),
            };
            let _ = writeln!(
                md,
                "| {label} | {t} | {med:.2} ms | {spread:.2} ms | {met} |"
            );
        }
        if let Some(paths) = q["history_1y_daily_p99_by_read_path_ms"].as_object() {
            md.push_str("\n1-year daily history p99 by read path, over all runs: ");
            let parts: Vec<String> = paths
                .iter()
                .map(|(k, v)| format!("{k} {:.2} ms", f(v)))
                .collect();
            md.push_str(&parts.join(", "));
            md.push_str(".\n");
        }
        if q["sql_only"].is_object() {
            let sq = &q["sql_only"];
            let _ = writeln!(
                md,
                "\nThe serving index loaded in {:.0} ms{} (+{:.0} MB resident, with \
                 the DuckDB cache its load warmed). The same reads by \
                 SQL alone, on the same state in the same run (the path a read takes past the \
                 index's horizon): current p50 {:.2} ms, p99 {:.2} ms; 1-year daily history \
                 p50 {:.2} ms, p99 {:.2} ms.",
                f(&q["serving_index_load_ms"]),
                // Results from before the index counted its bytes lack the figure.
                q["serving_index_bytes"]
                    .as_f64()
                    .map(|b| format!(" and holds {:.0} MB", b / 1e6))
                    .unwrap_or_default(),
                f(&q["serving_index_rss_bytes"]) / 1e6,
                f(&sq["current_p50_ms"]),
                f(&sq["current_p99_ms"]),
                f(&sq["history_1y_daily_p50_ms"]),
                f(&sq["history_1y_daily_p99_ms"]),
            );
        }
        md.push('\n');
    }
    if !notes.trim().is_empty() {
        md.push_str(notes.trim_end());
        md.push('\n');
    }
    md
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missed_target_is_marked() {
        let q = serde_json::json!({"queries": {
            "machine": {"cpus": 2, "cpu": "x", "os": "linux"},
            "years": 5, "investigations": 300000, "events": 10, "load_events_per_sec": 1.0,
            "targets": {"current_p99_ms": 5.0, "history_1y_daily_p99_ms": 20.0},
            "current_p50": {"median_ms": 1.0, "spread_ms": 0.1},
            "current_p99": {"median_ms": 6.0, "spread_ms": 0.1},
            "history_1y_daily_p50": {"median_ms": 1.0, "spread_ms": 0.1},
            "history_1y_daily_p99": {"median_ms": 2.0, "spread_ms": 0.1},
        }});
        let md = render(&q, "## Notes\n");
        assert!(
            md.contains("| current values, one zone, p99 | ≤ 5 ms | 6.00 ms | 0.10 ms | **no** |"),
            "{md}"
        );
        assert!(md.contains("| 1-year daily history, p99 | ≤ 20 ms | 2.00 ms | 0.10 ms | yes |"));
        assert!(md.ends_with("## Notes\n"));
    }
}
