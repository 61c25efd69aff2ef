//! childstat as the operator runs it: `childstat run` in a process of its own, configured by
//! environment variables, so a test can `kill -9` it while the broker lives on.

use crate::brokers::{free_port, signal};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Childstat {
    bin: PathBuf,
    child: Option<Child>,
    pub port: u16,
    pub db: PathBuf,
    pub log: PathBuf,
    env: Vec<(String, String)>,
    starts: u32,
}

/// The shipped `kafka.group_id`.
pub const DEFAULT_GROUP: &str = "childstat-aggregator";

/// What a test sets; everything else is the embedded defaults.
#[derive(Clone, Debug)]
pub struct Setup {
    pub brokers: String,
    pub db: PathBuf,
    pub group: String,
    pub batch_size: usize,
    pub stall_after: &'static str,
    /// Joins as a static member (`group.instance.id`, the host name by default).
    pub static_membership: bool,
    /// Where its output goes; beside the database when `None`.
    pub log: Option<PathBuf>,
    /// Extra `CHILDSTAT__...` variables.
    pub extra: Vec<(String, String)>,
}

impl Setup {
    /// Sends this run's dead letters to `topic` instead of the shipped one, so another run's
    /// can be counted on their own.
    pub fn dead_letters_to(&mut self, topic: &str) {
        self.extra
            .push(("CHILDSTAT__KAFKA__DLQ_TOPIC".into(), topic.into()));
    }

    pub fn new(brokers: &str, db: &Path) -> Setup {
        Setup {
            brokers: brokers.to_string(),
            db: db.to_path_buf(),
            group: DEFAULT_GROUP.into(),
            batch_size: 500,
            stall_after: "4s",
            static_membership: true,
            log: None,
            extra: Vec::new(),
        }
    }
}

impl Childstat {
    pub fn spawn(tools: &crate::Tools, s: &Setup) -> Childstat {
        let port = free_port();
        let log = s.log.clone().unwrap_or_else(|| s.db.with_extension("log"));
        let mut env: Vec<(String, String)> = [
            ("CHILDSTAT__KAFKA__BROKERS", s.brokers.clone()),
            ("CHILDSTAT__KAFKA__GROUP_ID", s.group.clone()),
            ("CHILDSTAT__KAFKA__BATCH_SIZE", s.batch_size.to_string()),
            ("CHILDSTAT__KAFKA__BATCH_LINGER", "20ms".into()),
            ("CHILDSTAT__STORAGE__PATH", s.db.display().to_string()),
            ("CHILDSTAT__STORAGE__READ_CONNECTIONS", "2".into()),
            ("CHILDSTAT__HTTP__BIND", format!("127.0.0.1:{port}")),
            ("CHILDSTAT__INGEST__STALL_AFTER", s.stall_after.into()),
            ("CHILDSTAT__INGEST__WATCH_INTERVAL", "500ms".into()),
            // A member that went away is noticed within seconds, not 45.
            (
                "CHILDSTAT__KAFKA__PROPERTIES__SESSION_TIMEOUT_MS",
                "6000".into(),
            ),
            (
                "CHILDSTAT__KAFKA__PROPERTIES__HEARTBEAT_INTERVAL_MS",
                "500".into(),
            ),
            ("CHILDSTAT__LOG__LEVEL", "info".into()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        if !s.static_membership {
            env.push(("CHILDSTAT__KAFKA__GROUP_INSTANCE_ID".into(), "-".into()));
        }
        env.extend(s.extra.iter().cloned());
        let mut c = Childstat {
            bin: tools.childstat.clone(),
            child: None,
            port,
            db: s.db.clone(),
            log,
            env,
            starts: 0,
        };
        c.start();
        c
    }

    /// Starts (again) on the same database, port and settings.
    pub fn start(&mut self) {
        if let Some(c) = &mut self.child {
            assert!(c.try_wait().ok().flatten().is_some(), "already running");
            self.child = None;
        }
        self.starts += 1;
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("log file");
        let child = Command::new(&self.bin)
            .arg("run")
            .env_remove("CHILDSTAT_CONFIG")
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("start childstat");
        self.child = Some(child);
    }

    /// `kafka.assignment` of this process: "group" unless set to "manual".
    pub fn assignment(&self) -> &'static str {
        let manual = self
            .env
            .iter()
            .any(|(k, v)| k == "CHILDSTAT__KAFKA__ASSIGNMENT" && v == "manual");
        if manual {
            "manual"
        } else {
            "group"
        }
    }

    pub fn pid(&self) -> i32 {
        self.child.as_ref().expect("running").id() as i32
    }

    /// SIGKILL: no shutdown step of any kind runs.
    pub fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// SIGTERM, then waits for the exit; true when it exited successfully.
    pub fn stop(&mut self) -> bool {
        let Some(mut c) = self.child.take() else {
            return true;
        };
        signal(c.id() as i32, libc::SIGTERM);
        let started = Instant::now();
        loop {
            if let Some(status) = c.try_wait().expect("wait") {
                return status.success();
            }
            if started.elapsed() > Duration::from_secs(40) {
                let _ = c.kill();
                let _ = c.wait();
                return false;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Exited on its own (with its status), while it should be running.
    pub fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child
            .as_mut()
            .and_then(|c| c.try_wait().ok().flatten())
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// GET `path` as JSON; `None` while the API does not answer.
    pub async fn get(&self, path: &str) -> Option<(u16, serde_json::Value)> {
        let r = reqwest::Client::new()
            .get(self.url(path))
            .timeout(Duration::from_secs(5))
            .send()
            .await
            .ok()?;
        let code = r.status().as_u16();
        Some((code, r.json().await.ok()?))
    }

    pub async fn status(&self) -> Option<serde_json::Value> {
        self.get("/api/v1/status")
            .await
            .and_then(|(c, v)| (c == 200).then_some(v))
    }

    /// Waits until `done` holds for the status, panicking with the log's tail after `timeout`.
    pub async fn wait_for(
        &mut self,
        what: &str,
        timeout: Duration,
        done: impl Fn(&serde_json::Value) -> bool,
    ) -> serde_json::Value {
        let started = Instant::now();
        loop {
            if let Some(s) = self.status().await {
                if done(&s) {
                    return s;
                }
            }
            if let Some(status) = self.exited() {
                panic!(
                    "childstat exited ({status}) waiting for {what}:\n{}",
                    self.log_tail()
                );
            }
            if started.elapsed() > timeout {
                let last = self.status().await;
                panic!(
                    "{what}: not within {timeout:?}; last status {last:?}\n{}",
                    self.log_tail()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until the committed offsets reach `high` on every partition.
    pub async fn wait_committed(
        &mut self,
        high: &std::collections::HashMap<i32, i64>,
        timeout: Duration,
    ) -> serde_json::Value {
        let want = high.clone();
        self.wait_for(
            "offsets committed up to the high watermarks",
            timeout,
            move |s| {
                let got = committed(s);
                want.iter()
                    .all(|(p, h)| *h == 0 || got.get(p).copied() == Some(*h))
            },
        )
        .await
    }

    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }

    pub fn starts(&self) -> u32 {
        self.starts
    }
}

/// Committed next offsets by partition, from a status answer.
pub fn committed(status: &serde_json::Value) -> std::collections::HashMap<i32, i64> {
    status["committed_offsets"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|o| Some((o["partition"].as_i64()? as i32, o["next_offset"].as_i64()?)))
                .collect()
        })
        .unwrap_or_default()
}

/// A committed counter from a status answer (0 when absent).
pub fn counter(status: &serde_json::Value, name: &str) -> i64 {
    status["counters"][name].as_i64().unwrap_or(0)
}

/// Dead letters committed, over all reasons.
pub fn dead_lettered(status: &serde_json::Value) -> i64 {
    status["dead_letters"]
        .as_array()
        .map(|a| a.iter().filter_map(|r| r["count"].as_i64()).sum())
        .unwrap_or(0)
}

impl Drop for Childstat {
    fn drop(&mut self) {
        self.kill9();
    }
}
