//! `childstat replay`: an NDJSON file goes through the same validation and writer as Kafka,
//! dead letters go to a file beside the database, and an interrupted or repeated replay
//! resumes from the committed line instead of applying anything twice.

mod common;

use childstat::replay::replay;
use childstat_aggregator::Store;
use std::io::Write;

fn write_lines(path: &std::path::Path, lines: &[Vec<u8>]) {
    let mut f = std::fs::File::create(path).expect("file");
    for l in lines {
        f.write_all(l).expect("write");
        f.write_all(b"\n").expect("write");
    }
}

#[test]
fn replay_applies_once_dead_letters_to_a_file_and_resumes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cfg = childstat_config::Config::embedded_defaults();
    cfg.storage.path = dir.path().join("replay.duckdb");
    // Valid, duplicate and invalid messages from the simulator, with a known reason each.
    let msgs = common::sim_messages(5, 3_000, 0.02, 0.01);
    let invalid = msgs
        .iter()
        .filter(|m| matches!(m, childstat_sim::SimMessage::Invalid { .. }))
        .count() as u64;
    let dups = msgs
        .iter()
        .filter(|m| matches!(m, childstat_sim::SimMessage::Duplicate { .. }))
        .count() as u64;
    assert!(invalid > 0 && dups > 0, "the stream has both kinds");
    let file = dir.path().join("events.ndjson");
    let lines: Vec<Vec<u8>> = msgs.iter().map(|m| m.payload().to_vec()).collect();
    write_lines(&file, &lines);

    // A batch size that does not divide the file, so the last batch is partial.
    let first = replay(&cfg, &file, 7 * 64 + 3, false).expect("replay");
    assert_eq!(first.lines, 3_000);
    assert_eq!(first.skipped, 0);
    assert_eq!(first.dead_lettered, invalid);
    assert_eq!(first.duplicates, dups);
    assert_eq!(
        first.applied + first.duplicates + first.dead_lettered,
        3_000
    );

    let dl = std::fs::read_to_string(cfg.storage.path.with_extension("deadletters.ndjson"))
        .expect("dead-letter file");
    let dl_lines: Vec<serde_json::Value> = dl
        .lines()
        .map(|l| serde_json::from_str(l).expect("each dead letter is JSON"))
        .collect();
    assert_eq!(dl_lines.len() as u64, invalid);
    for d in &dl_lines {
        assert!(d["reason"].as_str().is_some_and(|r| !r.is_empty()), "{d}");
        let at = d["source_offset"].as_u64().expect("offset") as usize;
        assert_eq!(
            d["payload"].as_str().expect("payload").as_bytes(),
            &lines[at][..],
            "the dead letter carries its line's original bytes"
        );
    }

    // Again: everything is already committed, so nothing is applied or dead-lettered twice.
    let again = replay(&cfg, &file, 100, false).expect("second replay");
    assert_eq!(
        (again.skipped, again.applied, again.dead_lettered),
        (3_000, 0, 0)
    );

    // The file grows: only the new lines are applied.
    let more = common::sim_messages(6, 500, 0.0, 0.0);
    let mut all = lines.clone();
    all.extend(more.iter().map(|m| m.payload().to_vec()));
    write_lines(&file, &all);
    let third = replay(&cfg, &file, 64, false).expect("third replay");
    assert_eq!((third.skipped, third.applied), (3_000, 500));

    let mut store =
        Store::open(&cfg.storage.path, childstat::settings::store_settings(&cfg)).expect("store");
    let pool = store.read_pool(1).expect("pool");
    let c = pool.counters().expect("counters");
    let get = |name: &str| {
        c.values
            .iter()
            .filter(|((n, _), _)| n == name)
            .map(|(_, v)| *v)
            .sum::<i64>()
    };
    assert_eq!(get("applied") as u64, first.applied + 500);
    assert_eq!(get("dead_lettered") as u64, invalid);
}
