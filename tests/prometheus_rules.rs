//! The committed Prometheus rule file is what `childstat rules` generates from the default
//! configuration, and the gauges it reads are exported. promtool checks and unit-tests the
//! file itself in CI (`.ci/run`).

use childstat::prom_rules::{render, COMMITTED_PATH};
use childstat_config::Config;
use std::path::Path;

fn regenerate_hint() -> String {
    format!("run `cargo run -- rules --out {COMMITTED_PATH}` to regenerate it")
}

#[test]
fn committed_rule_file_matches_the_default_configuration() {
    let want = render(&Config::embedded_defaults()).expect("the default alerts render");
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(COMMITTED_PATH);
    let have = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}; {}", path.display(), regenerate_hint()));
    if have != want {
        let (line, (h, w)) = have
            .lines()
            .chain(std::iter::repeat(""))
            .zip(want.lines().chain(std::iter::repeat("")))
            .enumerate()
            .find(|(_, (h, w))| h != w)
            .unwrap_or((0, ("", "")));
        panic!(
            "{COMMITTED_PATH} is stale: line {} is\n  {h}\nbut the configuration gives\n  {w}\n{}",
            line + 1,
            regenerate_hint()
        );
    }
}

#[test]
fn the_rules_subcommand_writes_the_same_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("rules.yml");
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_childstat"))
        .args(["rules", "--out"])
        .arg(&out)
        .env_clear()
        .status()
        .expect("run childstat rules");
    assert!(status.success());
    let written = std::fs::read_to_string(&out).expect("written file");
    assert_eq!(
        written,
        render(&Config::embedded_defaults()).expect("render")
    );

    let stdout = std::process::Command::new(env!("CARGO_BIN_EXE_childstat"))
        .arg("rules")
        .env_clear()
        .output()
        .expect("run childstat rules");
    assert!(stdout.status.success());
    assert_eq!(String::from_utf8_lossy(&stdout.stdout), written);
}

/// Every (zone, indicator, window) a default rule reads has a series after one gauge refresh,
/// so the Prometheus rules see every zone the service evaluates.
#[test]
fn exported_gauges_cover_every_rule() {
    let cfg = Config::embedded_defaults();
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = childstat_aggregator::Store::open(
        &dir.path().join("gauges.duckdb"),
        childstat::settings::store_settings(&cfg),
    )
    .expect("store");
    let pool = store.read_pool(1).expect("pool");
    let metrics = childstat_telemetry::Metrics::new();
    childstat::gauges::refresh_once(&pool, &cfg.zone_set(), &metrics).expect("refresh");
    let zones: Vec<String> = cfg
        .zone_set()
        .codes()
        .map(str::to_string)
        .chain([childstat_core::CITYWIDE.to_string()])
        .collect();
    let text = metrics.render();
    let scrape = prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_string())))
        .expect("Prometheus text format");
    // The numerator is exported even when a rate's value is undefined (no members).
    let exported = |zone: &str, indicator: &str, window: &str| {
        scrape.samples.iter().any(|s| {
            s.metric == "childstat_indicator_numerator"
                && s.labels.get("zone") == Some(zone)
                && s.labels.get("indicator") == Some(indicator)
                && s.labels.get("window") == Some(window)
        })
    };
    let rules = cfg.alert_rules().expect("rules");
    assert!(!rules.is_empty());
    for rule in &rules {
        for zone in &zones {
            let (ind, window) = (rule.indicator.name(), rule.window.name());
            assert!(
                exported(zone, ind, window),
                "no exported series for {zone}/{ind}/{window}, which alert {} reads",
                rule.name
            );
        }
    }
    assert!(!exported("Z99", "intakes", "7d"), "the check can fail");
    assert!(text.contains(&format!(
        "childstat_indicator{{indicator=\"overdue_contact\",window=\"7d\",zone=\"{}\"}} 0",
        childstat_core::CITYWIDE
    )));
}
