//! `childstat-bench faults`: every fault scenario at full size, against brokers in processes
//! of their own, and the table of what was lost, counted twice, and how long recovery took,
//! written to docs/reliability.md. The same scenarios run small in `cargo test`
//! (tests/real_broker.rs, tests/broker_faults.rs), where they must end exact.

use anyhow::{bail, Result};
use childstat_faults::scenarios::{self, Size};
use childstat_faults::{Kind, Outcome, Tools};
use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

/// Most messages a mock-cluster scenario produces: three partitions of 5 MB, the most the
/// mock cluster keeps, hold about 25,000 simulated events.
const MOCK_MAX_EVENTS: usize = 20_000;

/// The tansu freeze under group assignment: below the scenarios' 6 s session timeout.
const GROUP_FREEZE: Duration = Duration::from_secs(4);

/// docs/reliability.md between these lines is the harness's; the rest is written by hand.
const BEGIN: &str = "<!-- childstat-bench faults: begin -->";
const END: &str = "<!-- childstat-bench faults: end -->";

pub struct Args<'a> {
    pub kills: usize,
    pub events: usize,
    /// How long the mock broker is down.
    pub outage: Duration,
    /// How long tansu is frozen under manual assignment. Under group assignment it is
    /// [`GROUP_FREEZE`]: a freeze past the session timeout wedges tansu 0.6's group
    /// coordinator (docs/brokers.md).
    pub freeze: Duration,
    pub out: &'a Path,
}

fn tools() -> Result<Tools> {
    let childstat = crate::replay::childstat_binary()?;
    let mock_broker = childstat.with_file_name("childstat-mock-broker");
    if !mock_broker.exists() {
        bail!(
            "{} not found: build it with the harness (`cargo build --release -p childstat -p childstat-bench`)",
            mock_broker.display()
        );
    }
    let tansu = childstat_faults::brokers::find_tansu();
    if tansu.is_none() {
        bail!("tansu is not installed: `bash .ci/run` installs it, or see docs/brokers.md");
    }
    Ok(Tools {
        childstat,
        mock_broker,
        tansu,
    })
}

pub fn run(a: Args<'_>) -> Result<()> {
    let t = tools()?;
    let rt = tokio::runtime::Runtime::new()?;
    let size = |seed, manual_assignment| Size {
        events: a.events,
        batch_size: 500,
        seed,
        manual_assignment,
    };
    // The mock cluster keeps at most 5 MB per partition, dropping the oldest beyond it.
    let mock = |seed, manual_assignment| Size {
        events: a.events.min(MOCK_MAX_EVENTS),
        ..size(seed, manual_assignment)
    };
    let (group, manual) = (false, true);
    // The tmpfs must fill before the stream is through: 20,000 events filled 6 MB (the log
    // and its checkpoints; 12 MB when every batch also rewrote states and sums).
    let disk_mb = (a.events as u64 * 6 / 20_000 / 2).max(6);
    let (tansu, mock_kind, kills) = (Kind::Tansu, Kind::Mock, a.kills);
    let jobs = [
        (
            "kill tansu group",
            Job::Kill(tansu, kills),
            size(101, group),
        ),
        (
            "kill tansu manual",
            Job::Kill(tansu, kills),
            size(111, manual),
        ),
        (
            "kill mock group",
            Job::Kill(mock_kind, kills),
            mock(102, group),
        ),
        (
            "kill mock manual",
            Job::Kill(mock_kind, kills),
            mock(112, manual),
        ),
        ("outage group", Job::Outage(a.outage), mock(103, group)),
        ("outage manual", Job::Outage(a.outage), mock(113, manual)),
        ("freeze group", Job::Frozen(GROUP_FREEZE), size(104, group)),
        ("freeze manual", Job::Frozen(a.freeze), size(114, manual)),
        ("new database tansu", Job::Fresh(tansu), size(105, group)),
        ("new database mock", Job::Fresh(mock_kind), mock(106, group)),
        (
            "new database tansu manual",
            Job::Fresh(tansu),
            size(115, manual),
        ),
        ("rebalance tansu", Job::Rebalance(tansu), size(107, group)),
        (
            "rebalance mock",
            Job::Rebalance(mock_kind),
            mock(108, group),
        ),
        ("disk full", Job::DiskFull(disk_mb), size(109, group)),
    ];
    let mut outcomes = Vec::new();
    let mut failures = Vec::new();
    rt.block_on(async {
        for (name, job, s) in jobs {
            if let Some(o) = attempt(name, run_job(t.clone(), job, s), &mut failures).await {
                println!("{}", o.line());
                outcomes.push(o);
            }
        }
    });
    let doc = std::fs::read_to_string(a.out).unwrap_or_default();
    std::fs::write(a.out, splice(&doc, &render(&outcomes, &failures, &a)))?;
    println!("wrote {}", a.out.display());
    if !failures.is_empty() || outcomes.iter().any(|o| !o.exact()) {
        bail!("a scenario did not end exact; see {}", a.out.display());
    }
    Ok(())
}

/// `doc` with the text between [`BEGIN`] and [`END`] replaced by `section`; appended, with
/// the markers, when they are missing.
fn splice(doc: &str, section: &str) -> String {
    match (doc.find(BEGIN), doc.find(END)) {
        (Some(b), Some(e)) if b < e => {
            format!("{}{BEGIN}\n{section}{}", &doc[..b], &doc[e..])
        }
        _ => format!("{doc}\n{BEGIN}\n{section}{END}\n"),
    }
}

/// One scenario of the harness, with what it needs besides its [`Size`].
#[derive(Clone, Copy)]
enum Job {
    Kill(Kind, usize),
    Outage(Duration),
    Frozen(Duration),
    Fresh(Kind),
    Rebalance(Kind),
    /// Size of the tmpfs in MB.
    DiskFull(u64),
}

async fn run_job(t: Tools, job: Job, size: Size) -> Option<Outcome> {
    Some(match job {
        Job::Kill(kind, kills) => scenarios::kill_nine(&t, kind, kills, size).await,
        Job::Outage(down) => scenarios::broker_outage(&t, down, size).await,
        Job::Frozen(frozen) => scenarios::broker_frozen(&t, frozen, size).await,
        Job::Fresh(kind) => scenarios::fresh_database(&t, kind, size).await,
        Job::Rebalance(kind) => scenarios::rebalance(&t, kind, size).await,
        Job::DiskFull(mb) => {
            let o = scenarios::disk_full(&t, Kind::Tansu, mb, size).await;
            if o.is_none() {
                println!("disk full: skipped, a tmpfs cannot be mounted here (run as root)");
            }
            o?
        }
    })
}

/// Runs one scenario as a task of its own: an assertion failing inside it is reported, and
/// the harness goes on with the next scenario.
async fn attempt(
    name: &str,
    scenario: impl std::future::Future<Output = Option<Outcome>> + Send + 'static,
    failures: &mut Vec<String>,
) -> Option<Outcome> {
    match tokio::spawn(scenario).await {
        Ok(o) => o,
        Err(e) => {
            let why = match e.try_into_panic() {
                Ok(p) => p
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default(),
                Err(e) => e.to_string(),
            };
            let first: String = why
                .lines()
                .next()
                .unwrap_or_default()
                .chars()
                .take(300)
                .collect();
            println!("{name}: did not finish: {first}");
            failures.push(format!("{name}: {first}"));
            None
        }
    }
}

fn render(outcomes: &[Outcome], failures: &[String], a: &Args<'_>) -> String {
    let mut md = String::new();
    let _ = writeln!(
        md,
        "Produced by `cargo run --release -p childstat-bench -- faults --kills {} --events {} \
         --outage-secs {} --freeze-secs {}` on {} ({} cores).\n",
        a.kills,
        a.events,
        a.outage.as_secs(),
        a.freeze.as_secs(),
        chrono::Utc::now().format("%Y-%m-%d"),
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0),
    );
    md.push_str(
        "| scenario | broker | assignment | events | lost | double-counted | \
         state vs. uninterrupted run | extra dead-letter copies | time to recover |\n\
         |---|---|---|---|---|---|---|---|---|\n",
    );
    for o in outcomes {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            o.scenario,
            match o.broker {
                Kind::Tansu => "tansu 0.6.0",
                Kind::Mock => "librdkafka mock",
            },
            o.assignment,
            o.events,
            o.lost,
            o.double_counted,
            match &o.difference {
                None => "equal".to_string(),
                Some(d) => format!("**differs**: {}", d.lines().next().unwrap_or_default()),
            },
            o.extra_dead_letter_copies,
            o.recovery_summary()
        );
    }
    for f in failures {
        let _ = writeln!(md, "\n**Did not finish**: {f}");
    }
    md
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_replaces_only_its_own_section() {
        let doc = format!("# Title\nhand\n{BEGIN}\nold table\n{END}\nmore hand\n");
        let out = splice(&doc, "new table\n");
        assert_eq!(
            out,
            format!("# Title\nhand\n{BEGIN}\nnew table\n{END}\nmore hand\n")
        );
        assert_eq!(splice(&out, "new table\n"), out, "idempotent");
        let fresh = splice("# Title\n", "t\n");
        assert!(fresh.starts_with("# Title\n") && fresh.contains(&format!("{BEGIN}\nt\n{END}")));
    }
}
