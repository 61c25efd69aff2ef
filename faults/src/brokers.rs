//! Kafka-protocol brokers in processes of their own, which outlive a killed childstat:
//! tansu (a real broker, from crates.io) and librdkafka's mock cluster hosted by
//! `childstat-mock-broker` (for the faults tansu cannot inject).

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::ClientConfig;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Tansu,
    Mock,
}

pub struct ExternalBroker {
    pub kind: Kind,
    pub bootstrap: String,
    child: Child,
    /// The mock cluster's command channel.
    io: Mutex<Option<(ChildStdin, BufReader<ChildStdout>)>>,
    _dir: tempfile::TempDir,
}

/// The pinned tansu build `.ci/run` installs: `CHILDSTAT_TANSU`, else the shared tools
/// directory, else `tansu` on the PATH.
pub fn find_tansu() -> Option<PathBuf> {
    let candidates = [
        std::env::var_os("CHILDSTAT_TANSU").map(PathBuf::from),
        Some(PathBuf::from("/var/cache/childstat/tools/bin/tansu")),
    ];
    candidates
        .into_iter()
        .flatten()
        .find(|p| p.is_file())
        .or_else(|| {
            std::env::var_os("PATH").and_then(|paths| {
                std::env::split_paths(&paths)
                    .map(|d| d.join("tansu"))
                    .find(|p| p.is_file())
            })
        })
}

/// The programs a scenario runs.
#[derive(Clone, Debug)]
pub struct Tools {
    /// The `childstat` binary under test.
    pub childstat: PathBuf,
    /// `childstat-mock-broker`, built with it.
    pub mock_broker: PathBuf,
    pub tansu: Option<PathBuf>,
}

impl Tools {
    /// True when a test needing tansu should run; false (with a note) when it may skip,
    /// which is only outside CI. In CI a missing tansu fails the test.
    pub fn have_tansu(&self, test: &str) -> bool {
        if self.tansu.is_some() {
            return true;
        }
        assert!(
            std::env::var_os("CI").is_none(),
            "{test}: tansu is not installed (.ci/run installs it into /var/cache/childstat/tools)"
        );
        eprintln!("{test}: skipped, tansu is not installed (see .ci/run)");
        false
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

impl ExternalBroker {
    pub fn start(tools: &Tools, kind: Kind, topics: &[&str], partitions: i32) -> ExternalBroker {
        match kind {
            Kind::Tansu => ExternalBroker::tansu(tools, topics, partitions),
            Kind::Mock => ExternalBroker::mock(tools, topics, partitions),
        }
    }

    /// tansu 0.6 with in-memory storage, on a free loopback port.
    pub fn tansu(tools: &Tools, topics: &[&str], partitions: i32) -> ExternalBroker {
        let bin = tools.tansu.as_ref().expect("tansu installed");
        let dir = tempfile::tempdir().expect("tempdir");
        let port = free_port();
        let url = format!("tcp://127.0.0.1:{port}");
        let log = std::fs::File::create(dir.path().join("tansu.log")).expect("log file");
        let child = Command::new(bin)
            .args(["broker", "--listener-url", &url])
            .args(["--advertised-listener-url", &url])
            .args(["--storage-engine", "memory://tansu/"])
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("start tansu");
        let b = ExternalBroker {
            kind: Kind::Tansu,
            bootstrap: format!("127.0.0.1:{port}"),
            child,
            io: Mutex::new(None),
            _dir: dir,
        };
        b.wait_listening(Duration::from_secs(30));
        b.create_topics(topics, partitions);
        b
    }

    /// librdkafka's mock cluster in `childstat-mock-broker`; faults through [`Self::command`].
    pub fn mock(tools: &Tools, topics: &[&str], partitions: i32) -> ExternalBroker {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut child = Command::new(&tools.mock_broker)
            .args(["--partitions", &partitions.to_string()])
            .args(topics)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start childstat-mock-broker");
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let mut first = String::new();
        stdout.read_line(&mut first).expect("bootstrap line");
        let bootstrap = first
            .trim()
            .strip_prefix("bootstrap ")
            .unwrap_or_else(|| panic!("unexpected first line {first:?}"))
            .to_string();
        let stdin = child.stdin.take().expect("stdin");
        ExternalBroker {
            kind: Kind::Mock,
            bootstrap,
            io: Mutex::new(Some((stdin, stdout))),
            child,
            _dir: dir,
        }
    }

    pub fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    /// A fault for the mock cluster (see `src/bin/childstat-mock-broker.rs` in the root).
    pub fn command(&self, line: &str) {
        let mut io = self.io.lock().unwrap_or_else(|p| p.into_inner());
        let (stdin, stdout) = io.as_mut().expect("only the mock cluster takes commands");
        writeln!(stdin, "{line}").expect("send command");
        stdin.flush().expect("flush command");
        let mut answer = String::new();
        stdout.read_line(&mut answer).expect("answer");
        assert_eq!(answer.trim(), "ok", "mock broker refused `{line}`");
    }

    /// Freezes the broker process (SIGSTOP) until [`Self::resume`].
    pub fn pause(&self) {
        signal(self.pid(), libc::SIGSTOP);
    }

    pub fn resume(&self) {
        signal(self.pid(), libc::SIGCONT);
    }

    fn wait_listening(&self, timeout: Duration) {
        let started = Instant::now();
        while std::net::TcpStream::connect(&self.bootstrap).is_err() {
            assert!(
                started.elapsed() < timeout,
                "{:?} not listening on {} after {timeout:?}",
                self.kind,
                self.bootstrap
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn create_topics(&self, topics: &[&str], partitions: i32) {
        if self.kind == Kind::Mock {
            // The mock cluster answers no CreateTopics; it has its own command.
            for t in topics {
                self.command(&format!("topic {t} {partitions}"));
            }
            return;
        }
        let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
            .set("bootstrap.servers", &self.bootstrap)
            .create()
            .expect("admin client");
        let new: Vec<NewTopic<'_>> = topics
            .iter()
            .map(|t| NewTopic::new(t, partitions, TopicReplication::Fixed(1)))
            .collect();
        // librdkafka's own threads complete the future: no runtime is needed (or allowed,
        // inside a tokio test) to wait for it.
        let results = futures::executor::block_on(admin.create_topics(&new, &AdminOptions::new()))
            .expect("create topics");
        for r in results {
            if let Err((topic, e)) = r {
                panic!("creating topic {topic}: {e}");
            }
        }
    }
}

pub fn signal(pid: i32, sig: i32) {
    // Safety: kill(2) with a pid this test started; no memory is shared.
    let rc = unsafe { libc::kill(pid, sig) };
    assert_eq!(rc, 0, "kill({pid}, {sig})");
}

impl Drop for ExternalBroker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
