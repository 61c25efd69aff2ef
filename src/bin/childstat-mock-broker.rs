//! librdkafka's mock cluster in a process of its own, for fault tests: the broker and its
//! group state outlive a killed childstat, and faults are injected from outside.
//!
//! It prints `bootstrap HOST:PORT` on its first line, then reads one command a line from
//! standard input and answers `ok` or `error <why>` for each; it exits when standard input
//! closes, so a test that drops its handle leaves no broker behind.
//!
//! ```text
//! down <broker>                  the broker drops its connections and refuses new ones
//! up <broker>                    it accepts them again
//! delay <broker> <ms>            every response is delayed by <ms>
//! errors <api> <error> <count>   the next <count> <api> requests fail with <error>
//! clear <api>                    forget pushed errors for <api>
//! topic <name> <partitions>      create a topic
//! ```
//! `<api>` is a Kafka API name (Produce, Fetch, JoinGroup, ...); `<error>` a librdkafka
//! error name without its `RD_KAFKA_RESP_ERR_` prefix (TOPIC_AUTHORIZATION_FAILED, ...).

use childstat_ingest::EmbeddedBroker;
use rdkafka::types::{RDKafkaApiKey, RDKafkaRespErr};
use std::io::{BufRead, Write};
use std::process::ExitCode;
use std::time::Duration;

const USAGE: &str = "usage: childstat-mock-broker [--brokers N] [--partitions N] [TOPIC ...]";

fn main() -> ExitCode {
    let mut brokers = 1;
    let mut partitions = 3;
    let mut topics = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let number = |v: Option<String>| v.and_then(|v| v.parse::<i32>().ok()).filter(|n| *n > 0);
        match a.as_str() {
            "--brokers" => match number(args.next()) {
                Some(n) => brokers = n,
                None => return fail(USAGE),
            },
            "--partitions" => match number(args.next()) {
                Some(n) => partitions = n,
                None => return fail(USAGE),
            },
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            t if !t.starts_with('-') => topics.push(t.to_string()),
            _ => return fail(USAGE),
        }
    }
    let names: Vec<&str> = topics.iter().map(String::as_str).collect();
    let broker = match EmbeddedBroker::start_cluster(brokers, &names, partitions) {
        Ok(b) => b,
        Err(e) => return fail(&e.to_string()),
    };
    let mut out = std::io::stdout().lock();
    if writeln!(out, "bootstrap {}", broker.bootstrap_servers())
        .and_then(|()| out.flush())
        .is_err()
    {
        return ExitCode::FAILURE;
    }
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        let answer = match command(&broker, &line) {
            Ok(()) => "ok".to_string(),
            Err(why) => format!("error {why}"),
        };
        if writeln!(out, "{answer}")
            .and_then(|()| out.flush())
            .is_err()
        {
            break;
        }
    }
    ExitCode::SUCCESS
}

fn fail(why: &str) -> ExitCode {
    eprintln!("childstat-mock-broker: {why}");
    ExitCode::from(2)
}

fn command(b: &EmbeddedBroker, line: &str) -> Result<(), String> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let int = |i: usize| -> Result<i64, String> {
        words
            .get(i)
            .and_then(|w| w.parse().ok())
            .ok_or_else(|| format!("word {} of `{line}` must be a number", i + 1))
    };
    let e = |e: childstat_ingest::IngestError| e.to_string();
    match words.first().copied() {
        Some("down") => b.broker_down(int(1)? as i32).map_err(e),
        Some("up") => b.broker_up(int(1)? as i32).map_err(e),
        Some("delay") => b
            .broker_delay(int(1)? as i32, Duration::from_millis(int(2)?.max(0) as u64))
            .map_err(e),
        Some("errors") => {
            let api = api_key(words.get(1).copied().unwrap_or_default())?;
            let err = resp_err(words.get(2).copied().unwrap_or_default())?;
            let n = int(3)?.clamp(0, 100_000) as usize;
            b.request_errors(api, &vec![err; n]);
            Ok(())
        }
        Some("clear") => {
            b.clear_request_errors(api_key(words.get(1).copied().unwrap_or_default())?);
            Ok(())
        }
        Some("topic") => {
            let name = words.get(1).ok_or("topic needs a name")?;
            b.create_topic(name, int(2)? as i32).map_err(e)
        }
        _ => Err(format!("unknown command `{line}`")),
    }
}

fn api_key(name: &str) -> Result<RDKafkaApiKey, String> {
    use RDKafkaApiKey as K;
    Ok(match name {
        "Produce" => K::Produce,
        "Fetch" => K::Fetch,
        "ListOffsets" => K::ListOffsets,
        "Metadata" => K::Metadata,
        "OffsetCommit" => K::OffsetCommit,
        "OffsetFetch" => K::OffsetFetch,
        "FindCoordinator" => K::FindCoordinator,
        "JoinGroup" => K::JoinGroup,
        "Heartbeat" => K::Heartbeat,
        "LeaveGroup" => K::LeaveGroup,
        "SyncGroup" => K::SyncGroup,
        _ => return Err(format!("unknown API `{name}`")),
    })
}

fn resp_err(name: &str) -> Result<RDKafkaRespErr, String> {
    use RDKafkaRespErr as E;
    Ok(match name {
        "_TRANSPORT" => E::RD_KAFKA_RESP_ERR__TRANSPORT,
        "UNKNOWN_TOPIC_OR_PART" => E::RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART,
        "LEADER_NOT_AVAILABLE" => E::RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE,
        "NOT_LEADER_FOR_PARTITION" => E::RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION,
        "REQUEST_TIMED_OUT" => E::RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT,
        "MSG_SIZE_TOO_LARGE" => E::RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE,
        "COORDINATOR_NOT_AVAILABLE" => E::RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE,
        "NOT_COORDINATOR" => E::RD_KAFKA_RESP_ERR_NOT_COORDINATOR,
        "NOT_ENOUGH_REPLICAS" => E::RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS,
        "REBALANCE_IN_PROGRESS" => E::RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS,
        "TOPIC_AUTHORIZATION_FAILED" => E::RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED,
        "GROUP_AUTHORIZATION_FAILED" => E::RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED,
        _ => return Err(format!("unknown error `{name}`")),
    })
}
