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

pub struct Args<'a> {
    pub kills: usize,
    pub events: usize,
    /// How long the mock broker is down.
    pub outage: Duration,
    /// How long tansu is frozen: below the consumer's session timeout, since a longer
    /// freeze wedges tansu 0.6's group coordinator (docs/brokers.md).
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
    let size = |seed| Size {
        events: a.events,
        batch_size: 500,
        seed,
    };
    // The mock cluster keeps at most 5 MB per partition, dropping the oldest beyond it.
    let mock = |seed| Size {
        events: a.events.min(MOCK_MAX_EVENTS),
        batch_size: 500,
        seed,
    };
    let mut outcomes = Vec::new();
    let mut record = |o: Outcome| {
        println!("{}", o.line());
        outcomes.push(o);
    };
    rt.block_on(async {
        record(scenarios::kill_nine(&t, Kind::Tansu, a.kills, size(101)).await);
        record(scenarios::kill_nine(&t, Kind::Mock, a.kills, mock(102)).await);
        record(scenarios::broker_outage(&t, a.outage, mock(103)).await);
        record(scenarios::broker_frozen(&t, a.freeze, size(104)).await);
        record(scenarios::fresh_database(&t, Kind::Tansu, size(105)).await);
        record(scenarios::fresh_database(&t, Kind::Mock, mock(106)).await);
        record(scenarios::rebalance(&t, Kind::Tansu, size(107)).await);
        record(scenarios::rebalance(&t, Kind::Mock, mock(108)).await);
        match scenarios::disk_full(&t, Kind::Tansu, 64, size(109)).await {
            Some(o) => record(o),
            None => println!("disk full: skipped, a tmpfs cannot be mounted here (run as root)"),
        }
    });
    std::fs::write(a.out, render(&outcomes, &a))?;
    println!("wrote {}", a.out.display());
    if outcomes.iter().any(|o| !o.exact()) {
        bail!("a scenario did not end exact; see {}", a.out.display());
    }
    Ok(())
}

fn render(outcomes: &[Outcome], a: &Args<'_>) -> String {
    let mut md = String::from(HEADER);
    let _ =
        writeln!(
        md,
        "\nProduced by `cargo run --release -p childstat-bench -- faults --kills {} --events {} \
         --outage-secs {} --freeze-secs {}` on {} ({} cores).\n",
        a.kills,
        a.events,
        a.outage.as_secs(),
        a.freeze.as_secs(),
        chrono::Utc::now().format("%Y-%m-%d"),
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
    );
    md.push_str(
        "| scenario | broker | events | lost | double-counted | state vs. uninterrupted run | \
         extra dead-letter copies | time to recover |\n|---|---|---|---|---|---|---|---|\n",
    );
    for o in outcomes {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            o.scenario,
            match o.broker {
                Kind::Tansu => "tansu 0.6.0",
                Kind::Mock => "librdkafka mock",
            },
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
    md.push_str(FOOTER);
    md
}

const HEADER: &str = "# Reliability: faults with exact accounting

Every scenario runs `childstat run` as a process of its own against a Kafka-protocol broker in
another process, which outlives a killed childstat: tansu 0.6.0 (in-memory storage), or
librdkafka's mock cluster in `childstat-mock-broker`, whose fault API drives what tansu cannot.
Each produces a seeded simulator stream (1% duplicates, 1–2% invalid messages) to a 3-partition
topic and ends by reading the same log, without faults, into another database in another
consumer group. Then:

- **lost**: messages not counted as consumed, plus applied, duplicate and dead-letter counts
  or dead letters on the topic missing against the uninterrupted run;
- **double-counted**: messages counted beyond the log, plus applied, duplicate and
  dead-letter counts beyond the uninterrupted run's;
- **state**: every stored table (raw events, investigation states, ledgers, day and month
  sums, caseload, offsets) and every counter that is a function of the log, compared row by
  row with the uninterrupted run;
- **extra dead-letter copies**: dead letters on the topic more than once. The dead-letter
  topic is at-least-once across a crash (a batch's dead letters are sent before it commits);
  the `source_partition` and `source_offset` headers identify copies;
- **time to recover**: from each restart (or the broker's return) to the first new commit;
  for the new database, from its start to the end of the full catch-up; for the rebalance,
  from the other member leaving to the end of the catch-up. Median, and the longest.
";

const FOOTER: &str = "
The same scenarios run at a reduced size in `cargo test --workspace` (tests/real_broker.rs,
tests/broker_faults.rs), where each must end with nothing lost, nothing double-counted and the
state equal; CI runs the 20-kill scenario on tansu among them. The stall, dead-letter and
memory checks are tests only: they assert behaviour (`/readyz`, metrics, truncation headers,
peak memory) rather than produce a figure. What each broker supports is in
[brokers.md](brokers.md).
";
