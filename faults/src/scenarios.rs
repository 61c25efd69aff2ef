//! The fault scenarios. Each produces a seeded simulator stream to a broker in its own
//! process, runs `childstat run` through the fault, and ends with [`Outcome`]: what was lost,
//! what was counted twice, and whether the stored state equals a run of the same log without
//! faults (another group, another database).

use crate::brokers::{ExternalBroker, Kind, Tools};
use crate::digest::{counters_of_log, state_difference};
use crate::process::{committed, counter, Childstat, Setup};
use crate::stream::{as_kv, dead_letter_copies, produce, read_all, simulated, Ends, StreamCounts};
use crate::{DLQ, TOPIC};
use rand::{Rng, SeedableRng};
use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

const REFERENCE_DLQ: &str = "childstat.reference.dlq";
const FIRST_RUN_DLQ: &str = "childstat.first-run.dlq";

/// Longest wait for a catch-up in any scenario.
const CATCH_UP: Duration = Duration::from_secs(600);

/// How one scenario ended.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub scenario: String,
    pub broker: Kind,
    /// How the faulted run got its partitions: "group" or "manual".
    pub assignment: &'static str,
    /// Messages in the log.
    pub events: i64,
    /// Messages never counted as consumed, plus raw events or dead letters missing against
    /// the uninterrupted run.
    pub lost: i64,
    /// Messages counted beyond the log, plus applied, duplicate or dead-letter counts beyond
    /// the uninterrupted run's.
    pub double_counted: i64,
    /// Dead letters on the topic more than once (sent again after a crash, before their
    /// batch had committed; the counters are exact either way).
    pub extra_dead_letter_copies: i64,
    /// How the stored state differs from the uninterrupted run's; `None` when it does not.
    pub difference: Option<String>,
    /// Time from each recovery's start (restart, broker back) to ingest committing again.
    pub recovery: Vec<Duration>,
}

impl Outcome {
    /// Nothing lost, nothing counted twice, and the same state as without the fault.
    pub fn exact(&self) -> bool {
        self.lost == 0 && self.double_counted == 0 && self.difference.is_none()
    }

    /// One line for a log or a test's output.
    pub fn line(&self) -> String {
        format!(
            "{} ({:?}, {} assignment): {} events, lost {}, double-counted {}, state {}, extra dead-letter copies {}, recovery {}",
            self.scenario,
            self.broker,
            self.assignment,
            self.events,
            self.lost,
            self.double_counted,
            if self.difference.is_none() { "equal" } else { "DIFFERENT" },
            self.extra_dead_letter_copies,
            self.recovery_summary()
        )
    }

    /// Prints the line, and fails unless [`Outcome::exact`].
    pub fn assert_exact(&self) {
        eprintln!("{}", self.line());
        assert!(self.exact(), "{self:#?}");
    }

    /// Median and longest recovery, as "1.2 s (max 3.4 s)".
    pub fn recovery_summary(&self) -> String {
        let mut r = self.recovery.clone();
        r.sort();
        match (r.get(r.len() / 2), r.last()) {
            (Some(m), Some(x)) if r.len() > 1 => {
                format!("{:.1} s (max {:.1} s)", m.as_secs_f64(), x.as_secs_f64())
            }
            (Some(m), _) => format!("{:.1} s", m.as_secs_f64()),
            _ => "—".into(),
        }
    }
}

/// Sizes for one scenario.
#[derive(Clone, Copy, Debug)]
pub struct Size {
    pub events: usize,
    /// `kafka.batch_size` of the faulted run: small batches make more cut points.
    pub batch_size: usize,
    pub seed: u64,
    /// `kafka.assignment = "manual"`: the faulted run reads every partition itself and never
    /// joins the group.
    pub manual_assignment: bool,
}

fn setup(broker: &ExternalBroker, db: &Path, size: Size) -> Setup {
    let mut s = Setup::new(&broker.bootstrap, db);
    s.batch_size = size.batch_size;
    s.static_membership = static_membership(broker.kind);
    if size.manual_assignment {
        s.extra
            .push(("CHILDSTAT__KAFKA__ASSIGNMENT".into(), "manual".into()));
    }
    s
}

/// tansu 0.6's coordinator loses static members' assignments for good (docs/brokers.md):
/// against it childstat joins as a dynamic member, as `group_instance_id = "-"` does.
pub fn static_membership(kind: Kind) -> bool {
    kind != Kind::Tansu
}

/// Stops the faulted run, reads the same log without faults, and accounts for the
/// difference.
async fn finish(
    tools: &Tools,
    scenario: &str,
    broker: &ExternalBroker,
    mut cs: Childstat,
    want: &StreamCounts,
    all: &Ends,
    recovery: Vec<Duration>,
) -> Outcome {
    assert!(
        cs.stop(),
        "{scenario}: childstat stops cleanly\n{}",
        cs.log_tail()
    );
    let assignment = cs.assignment();
    let dir = tempfile::tempdir().expect("tempdir");
    let reference = dir.path().join("reference.duckdb");
    let mut setup = Setup::new(&broker.bootstrap, &reference);
    setup.static_membership = static_membership(broker.kind);
    setup.group = "childstat-reference".into();
    setup.batch_size = 20_000;
    // Its dead letters go elsewhere, so the faulted run's copies can be counted.
    broker.create_topics(&[REFERENCE_DLQ], 3);
    setup.dead_letters_to(REFERENCE_DLQ);
    let mut r = Childstat::spawn(tools, &setup);
    r.wait_committed(all, CATCH_UP).await;
    assert!(r.stop(), "{scenario}: the reference run stops cleanly");

    let counters = |db: &Path| -> HashMap<(String, String), i64> {
        counters_of_log(db)
            .into_iter()
            .map(|(n, l, v)| ((n, l), v))
            .collect()
    };
    let (got, base) = (counters(&cs.db), counters(&reference));
    let consumed = got
        .get(&("consumed".into(), String::new()))
        .copied()
        .unwrap_or(0);
    let mut lost = (want.messages - consumed).max(0);
    let mut double = (consumed - want.messages).max(0);
    for (key, b) in &base {
        let g = got.get(key).copied().unwrap_or(0);
        if key.0 == "applied" || key.0 == "duplicate" || key.0 == "dead_lettered" {
            double += (g - b).max(0);
            lost += (b - g).max(0);
        }
    }
    let reads = read_all(
        &broker.bootstrap,
        DLQ,
        want.invalid() as usize,
        Duration::from_secs(20),
    );
    let copies = dead_letter_copies(&reads);
    let extra: i64 = copies.values().map(|n| *n as i64 - 1).sum();
    lost += (want.invalid() - copies.len() as i64).max(0);
    Outcome {
        scenario: scenario.to_string(),
        broker: broker.kind,
        assignment,
        events: want.messages,
        lost,
        double_counted: double,
        extra_dead_letter_copies: extra.max(0),
        difference: state_difference(&cs.db, &reference),
        recovery,
    }
}

/// Waits until something new is committed (or everything is), from `before`.
async fn first_commit_after(
    cs: &mut Childstat,
    before: &HashMap<i32, i64>,
    all: &HashMap<i32, i64>,
) -> Duration {
    let started = Instant::now();
    let before = before.clone();
    let all = all.clone();
    cs.wait_for("a commit", CATCH_UP, move |s| {
        let now = committed(s);
        now.iter().any(|(p, n)| before.get(p).is_none_or(|b| n > b))
            || all.iter().all(|(p, h)| *h == 0 || now.get(p) == Some(h))
    })
    .await;
    started.elapsed()
}

/// `kill -9` at random moments of ingest, `kills` times, each followed by a restart on the
/// same database.
pub async fn kill_nine(tools: &Tools, kind: Kind, kills: usize, size: Size) -> Outcome {
    let broker = ExternalBroker::start(tools, kind, &[TOPIC, DLQ], 3);
    let msgs = simulated(size.seed, size.events, 0.01, 0.01);
    let want = StreamCounts::of(&msgs);
    let all = produce(&broker.bootstrap, TOPIC, &as_kv(&msgs)).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cs = Childstat::spawn(tools, &setup(&broker, &dir.path().join("db.duckdb"), size));
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(size.seed);
    let mut recovery = Vec::new();
    let mut before = HashMap::new();
    for k in 0..=kills {
        // Restart to first commit: what static membership is for.
        let took = first_commit_after(&mut cs, &before, &all).await;
        if k > 0 {
            recovery.push(took);
        }
        if k == kills {
            break;
        }
        tokio::time::sleep(Duration::from_millis(rng.random_range(0..500))).await;
        before = cs.status().await.map(|s| committed(&s)).unwrap_or_default();
        cs.kill9();
        cs.start();
    }
    cs.wait_committed(&all, CATCH_UP).await;
    let name = format!("{kills} × kill -9 during ingest");
    finish(tools, &name, &broker, cs, &want, &all, recovery).await
}

/// The mock broker drops every connection and refuses new ones for `down_for`.
pub async fn broker_outage(tools: &Tools, down_for: Duration, size: Size) -> Outcome {
    let broker = ExternalBroker::mock(tools, &[TOPIC, DLQ], 3);
    let name = format!("broker down {} s during ingest", down_for.as_secs());
    let stop = |b: &ExternalBroker| b.command("down 1");
    let resume = |b: &ExternalBroker| b.command("up 1");
    interrupted(tools, broker, &name, down_for, size, stop, resume).await
}

/// The tansu process frozen (SIGSTOP) for `frozen_for`, then resumed (SIGCONT).
pub async fn broker_frozen(tools: &Tools, frozen_for: Duration, size: Size) -> Outcome {
    let broker = ExternalBroker::tansu(tools, &[TOPIC, DLQ], 3);
    let name = format!("broker frozen {} s during ingest", frozen_for.as_secs());
    let (stop, resume) = (ExternalBroker::pause, ExternalBroker::resume);
    interrupted(tools, broker, &name, frozen_for, size, stop, resume).await
}

/// The whole stream is produced, then the broker `stop`s for `gap` once a quarter is
/// consumed, then it `resume`s. Recovery: from the resume to the next commit. (Nothing is
/// produced after the fault, so the figure is childstat's alone.)
async fn interrupted(
    tools: &Tools,
    broker: ExternalBroker,
    name: &str,
    gap: Duration,
    size: Size,
    stop: impl Fn(&ExternalBroker),
    resume: impl Fn(&ExternalBroker),
) -> Outcome {
    let msgs = simulated(size.seed, size.events, 0.01, 0.01);
    let want = StreamCounts::of(&msgs);
    let all = produce(&broker.bootstrap, TOPIC, &as_kv(&msgs)).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cs = Childstat::spawn(tools, &setup(&broker, &dir.path().join("db.duckdb"), size));
    let quarter = want.messages / 4;
    cs.wait_for("ingest under way", CATCH_UP, move |s| {
        counter(s, "consumed") > quarter
    })
    .await;
    stop(&broker);
    tokio::time::sleep(gap).await;
    let before = cs.status().await.map(|s| committed(&s)).unwrap_or_default();
    let back = Instant::now();
    resume(&broker);
    first_commit_after(&mut cs, &before, &all).await;
    let took = back.elapsed();
    cs.wait_committed(&all, CATCH_UP).await;
    finish(tools, name, &broker, cs, &want, &all, vec![took]).await
}

/// A group reads the log into one database; then a new, empty database joins the same
/// group, as the docs' recovery from a damaged file does. It must read the whole history.
pub async fn fresh_database(tools: &Tools, kind: Kind, size: Size) -> Outcome {
    let broker = ExternalBroker::start(tools, kind, &[TOPIC, DLQ], 3);
    let msgs = simulated(size.seed, size.events, 0.01, 0.01);
    let want = StreamCounts::of(&msgs);
    let all = produce(&broker.bootstrap, TOPIC, &as_kv(&msgs)).await;
    let dir = tempfile::tempdir().expect("tempdir");
    // The first database's dead letters go elsewhere, so the topic holds the new one's only.
    broker.create_topics(&[FIRST_RUN_DLQ], 3);
    let mut first = setup(&broker, &dir.path().join("old.duckdb"), size);
    first.dead_letters_to(FIRST_RUN_DLQ);
    let mut old = Childstat::spawn(tools, &first);
    old.wait_committed(&all, CATCH_UP).await;
    // The offsets' mirror reaches Kafka, so the group has a position there to be misled by.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(old.stop(), "the first database's run stops cleanly");
    let started = Instant::now();
    let mut cs = Childstat::spawn(tools, &setup(&broker, &dir.path().join("db.duckdb"), size));
    // A few seconds with nothing committed is the old failure: it never reads anything.
    cs.wait_committed(&all, CATCH_UP).await;
    let took = started.elapsed();
    let name = "new empty database in an existing group";
    finish(tools, name, &broker, cs, &want, &all, vec![took]).await
}

/// Another member joins the group in the middle of a catch-up, holds its share of the
/// partitions for a while, and leaves. Offsets must never go back.
pub async fn rebalance(tools: &Tools, kind: Kind, size: Size) -> Outcome {
    let broker = ExternalBroker::start(tools, kind, &[TOPIC, DLQ], 3);
    let msgs = simulated(size.seed, size.events, 0.01, 0.02);
    let want = StreamCounts::of(&msgs);
    let all = produce(&broker.bootstrap, TOPIC, &as_kv(&msgs)).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cs = Childstat::spawn(tools, &setup(&broker, &dir.path().join("db.duckdb"), size));
    let tenth = want.messages / 10;
    cs.wait_for("a tenth committed", CATCH_UP, move |s| {
        counter(s, "consumed") >= tenth
    })
    .await;
    let mut seen: HashMap<i32, i64> = HashMap::new();
    let mut regressions = Vec::new();
    let mut watch = |s: &serde_json::Value| {
        for (p, next) in committed(s) {
            let before = seen.insert(p, next).unwrap_or(0);
            if next < before {
                regressions.push((p, before, next));
            }
        }
    };
    let held = other_member(&broker.bootstrap, &cs, &mut watch).await;
    let left = Instant::now();
    loop {
        if let Some(s) = cs.status().await {
            watch(&s);
            let c = committed(&s);
            if all.iter().all(|(p, h)| *h == 0 || c.get(p) == Some(h)) {
                break;
            }
        }
        assert!(
            left.elapsed() < CATCH_UP,
            "not caught up after the rebalance\n{}",
            cs.log_tail()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let name = format!("rebalance during catch-up (other member held {held} partitions)");
    let mut o = finish(tools, &name, &broker, cs, &want, &all, vec![left.elapsed()]).await;
    if !regressions.is_empty() {
        o.difference = Some(format!("committed offsets went back: {regressions:?}"));
    }
    o
}

/// Joins the group as a plain consumer for eight seconds, polling (so it keeps its share)
/// and committing nothing; returns how many partitions it held.
async fn other_member(
    bootstrap: &str,
    cs: &Childstat,
    watch: &mut impl FnMut(&serde_json::Value),
) -> usize {
    use rdkafka::consumer::{BaseConsumer, Consumer};
    let other: BaseConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", crate::process::DEFAULT_GROUP)
        .set("enable.auto.commit", "false")
        .set("session.timeout.ms", "6000")
        .set("heartbeat.interval.ms", "500")
        .create()
        .expect("other member");
    other.subscribe(&[TOPIC]).expect("subscribe");
    let joined = Instant::now();
    let mut held = 0;
    while joined.elapsed() < Duration::from_secs(8) {
        let _ = other.poll(Duration::from_millis(100));
        held = held.max(other.assignment().map(|a| a.count()).unwrap_or(0));
        if let Some(s) = cs.status().await {
            watch(&s);
        }
    }
    held
}

/// A small filesystem of its own (tmpfs), so the disk can fill and be grown again.
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    /// `None` where this process may not mount (not root): the scenario cannot run there.
    fn mount(mb: u64) -> Option<SmallDisk> {
        let dir = tempfile::tempdir().expect("tempdir");
        let ok = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={mb}m"), "tmpfs"])
            .arg(dir.path())
            .status()
            .is_ok_and(|s| s.success());
        ok.then_some(SmallDisk { dir })
    }

    fn grow(&self, mb: u64) {
        let ok = std::process::Command::new("mount")
            .args(["-o", &format!("remount,size={mb}m")])
            .arg(self.dir.path())
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "remounting {} larger", self.dir.path().display());
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg(self.dir.path())
            .status();
    }
}

/// The disk under the DuckDB file fills during ingest: the writer stops with a clear error
/// and the process exits non-zero, with nothing committed past what was written. Once the
/// disk is grown and childstat restarted, the result is exact. `None` where a filesystem
/// cannot be mounted (not root).
pub async fn disk_full(tools: &Tools, kind: Kind, disk_mb: u64, size: Size) -> Option<Outcome> {
    let disk = SmallDisk::mount(disk_mb)?;
    let broker = ExternalBroker::start(tools, kind, &[TOPIC, DLQ], 3);
    let msgs = simulated(size.seed, size.events, 0.01, 0.01);
    let want = StreamCounts::of(&msgs);
    let all = produce(&broker.bootstrap, TOPIC, &as_kv(&msgs)).await;
    let mut setup = setup(&broker, &disk.dir.path().join("db.duckdb"), size);
    // Its log goes elsewhere: a full disk must not also silence it.
    let logs = tempfile::tempdir().expect("tempdir");
    setup.log = Some(logs.path().join("childstat.log"));
    let mut cs = Childstat::spawn(tools, &setup);
    let started = Instant::now();
    let status = loop {
        if let Some(status) = cs.exited() {
            break status;
        }
        let s = cs.status().await;
        let done = s.as_ref().is_some_and(|s| {
            let c = committed(s);
            all.iter().all(|(p, h)| c.get(p) == Some(h))
        });
        assert!(
            !done,
            "the disk never filled: grow the stream or shrink the disk"
        );
        assert!(
            started.elapsed() < CATCH_UP,
            "still running on a full disk\n{}",
            cs.log_tail()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let log = cs.log_tail();
    assert!(!status.success(), "exits non-zero on a full disk");
    assert!(
        log.to_lowercase().contains("no space left") || log.to_lowercase().contains("disk"),
        "the log names the full disk:\n{log}"
    );
    disk.grow(disk_mb * 8);
    let restarted = Instant::now();
    cs.start();
    cs.wait_committed(&all, CATCH_UP).await;
    let took = restarted.elapsed();
    let name = format!("disk full under the database ({disk_mb} MB), grown, restarted");
    let o = finish(tools, &name, &broker, cs, &want, &all, vec![took]).await;
    drop(disk);
    Some(o)
}
