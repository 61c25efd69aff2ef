//! A comparable digest of everything the aggregator stores, minus what legitimately differs
//! between two runs (wall-clock arrival times, batch numbering); and the comparison of two
//! stored states that every fault scenario ends with.

use std::path::Path;

const QUERIES: &[(&str, &str)] = &[
    // Merged and pending sums together: where two runs cut their batches differently, a key's
    // sum may sit in either table.
    (
        "day_agg",
        "SELECT indicator, zone, day, sum(num), sum(den) FROM day_sums GROUP BY ALL
         HAVING sum(num) <> 0 OR sum(den) <> 0 ORDER BY ALL",
    ),
    (
        "month_agg",
        "SELECT indicator, zone, month, sum(num), sum(den) FROM month_sums GROUP BY ALL
         HAVING sum(num) <> 0 OR sum(den) <> 0 ORDER BY ALL",
    ),
    (
        "ledger",
        "SELECT indicator, zone, at_ns, sum(num), sum(den) FROM contrib_ledger GROUP BY ALL
         HAVING sum(num) <> 0 OR sum(den) <> 0 ORDER BY ALL",
    ),
    (
        "caseload",
        "SELECT worker_id, at_ns, sum(delta) FROM caseload_ledger GROUP BY ALL HAVING sum(delta) <> 0 ORDER BY ALL",
    ),
    (
        "caseload_epoch",
        "SELECT worker_id, epoch, sum(delta) FROM caseload_epoch_sums GROUP BY ALL
         HAVING sum(delta) <> 0 ORDER BY ALL",
    ),
    ("investigations", "SELECT investigation_id, family_id, zone, received_at, opened, state, intake_zone FROM investigations ORDER BY ALL"),
    ("workers", "SELECT * FROM workers ORDER BY ALL"),
    ("counters", "SELECT * FROM pipeline_counters ORDER BY ALL"),
    ("offsets", "SELECT * FROM kafka_offsets ORDER BY ALL"),
    (
        "raw_events",
        "SELECT * EXCLUDE (arrived_at, batch_id, batch_seq) FROM raw_events ORDER BY event_id",
    ),
];

/// The digest, table by table, with wall-clock pending arrival times removed from states.
pub fn digest(db: &Path, keep_arrival: bool) -> Vec<(String, Vec<String>)> {
    let conn = duckdb::Connection::open(db).expect("open for digest");
    QUERIES
        .iter()
        .map(|(name, sql)| {
            let mut stmt = conn.prepare(sql).expect("prepare digest query");
            let mut rows = stmt.query([]).expect("digest query");
            let mut out = Vec::new();
            while let Some(r) = rows.next().expect("row") {
                let n = r.as_ref().column_count();
                let mut cols = Vec::with_capacity(n);
                for i in 0..n {
                    let v: duckdb::types::Value = r.get(i).expect("value");
                    match v {
                        duckdb::types::Value::Blob(stored) if *name == "investigations" => {
                            cols.push(state_text(&stored, keep_arrival))
                        }
                        v => cols.push(format!("{v:?}")),
                    }
                }
                out.push(cols.join("|"));
            }
            (name.to_string(), out)
        })
        .collect()
}

/// A stored investigation state, decoded, as comparable text. Wall-clock arrival times of
/// pending facts are not state, so they are blanked unless `keep_arrival`.
fn state_text(stored: &[u8], keep_arrival: bool) -> String {
    let mut state = childstat_core::decode_inv_state(stored).expect("stored state decodes");
    if !keep_arrival {
        for p in &mut state.pending {
            p.arrived_at = childstat_core::Ts(0);
        }
    }
    serde_json::to_string(&state).expect("state json")
}

/// The first difference between two digests, table by table; `None` when equal.
pub fn difference(a: &[(String, Vec<String>)], b: &[(String, Vec<String>)]) -> Option<String> {
    for ((na, ra), (_, rb)) in a.iter().zip(b) {
        if ra != rb {
            let first = ra
                .iter()
                .zip(rb)
                .position(|(x, y)| x != y)
                .unwrap_or(ra.len().min(rb.len()));
            return Some(format!(
                "table {na} differs ({} vs {} rows); first difference at row {first}:\n  {:?}\n  {:?}",
                ra.len(),
                rb.len(),
                ra.get(first),
                rb.get(first)
            ));
        }
    }
    None
}

pub fn assert_same(a: &[(String, Vec<String>)], b: &[(String, Vec<String>)], what: &str) {
    if let Some(d) = difference(a, b) {
        panic!("{what}: {d}");
    }
}

/// Pipeline counters stored in `db`, less lateness (it measures how the partitions happened
/// to interleave on arrival, not the log: see tests/two_groups.rs).
pub fn counters_of_log(db: &Path) -> Vec<(String, String, i64)> {
    let conn = duckdb::Connection::open(db).expect("open for counters");
    let mut stmt = conn
        .prepare(
            "SELECT name, label, value FROM pipeline_counters \
             WHERE name <> 'late' AND value <> 0 ORDER BY ALL",
        )
        .expect("counters query");
    let rows = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .expect("counters");
    rows.map(|r| r.expect("counter row")).collect()
}

/// How `faulted` differs from `reference` (the same log, read without faults), in every
/// stored table and every counter that is a function of the log; `None` when it does not.
pub fn state_difference(faulted: &Path, reference: &Path) -> Option<String> {
    let without_counters = |db| {
        digest(db, false)
            .into_iter()
            .filter(|(table, _)| table != "counters")
            .collect::<Vec<_>>()
    };
    if let Some(d) = difference(&without_counters(faulted), &without_counters(reference)) {
        return Some(d);
    }
    let (a, b) = (counters_of_log(faulted), counters_of_log(reference));
    (a != b).then(|| format!("counters differ:\n  {a:?}\n  {b:?}"))
}
