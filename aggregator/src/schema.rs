//! Versioned schema migrations, applied in order inside one transaction each.

use crate::error::{AggError, Result};
use duckdb::Connection;

struct Migration {
    version: i32,
    name: &'static str,
    sql: &'static str,
}

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "initial",
        sql: include_str!("../migrations/0001_initial.sql"),
    },
    Migration {
        version: 2,
        name: "caseload_and_snapshots",
        sql: include_str!("../migrations/0002_caseload_and_snapshots.sql"),
    },
    Migration {
        version: 3,
        name: "month_agg",
        sql: include_str!("../migrations/0003_month_agg.sql"),
    },
    Migration {
        version: 4,
        name: "investigation_closed_at",
        sql: include_str!("../migrations/0004_investigation_closed_at.sql"),
    },
    Migration {
        version: 5,
        name: "caseload_epoch",
        sql: include_str!("../migrations/0005_caseload_epoch.sql"),
    },
    Migration {
        version: 6,
        name: "pending_sums",
        sql: include_str!("../migrations/0006_pending_sums.sql"),
    },
    Migration {
        version: 7,
        name: "binary_state",
        sql: include_str!("../migrations/0007_binary_state.sql"),
    },
    Migration {
        version: 8,
        name: "state_in_memory",
        sql: include_str!("../migrations/0008_state_in_memory.sql"),
    },
];

pub const CURRENT_VERSION: i32 = 8;

const CREATE_MIGRATIONS_TABLE: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)";
const SELECT_APPLIED: &str = "SELECT coalesce(max(version), 0) FROM schema_migrations";
const INSERT_APPLIED: &str =
    "INSERT INTO schema_migrations VALUES (?, ?, current_timestamp::TIMESTAMP)";

/// Brings the database to `CURRENT_VERSION`; returns how many migrations ran.
pub fn migrate(conn: &mut Connection) -> Result<usize> {
    conn.execute_batch(CREATE_MIGRATIONS_TABLE)?;
    let applied: i32 = conn.query_row(SELECT_APPLIED, [], |r| r.get(0))?;
    let mut ran = 0;
    for m in MIGRATIONS.iter().filter(|m| m.version > applied) {
        let fail = |source| AggError::Migration {
            version: m.version,
            name: m.name,
            source,
        };
        let tx = conn.transaction().map_err(fail)?;
        tx.execute_batch(m.sql).map_err(fail)?;
        tx.execute(INSERT_APPLIED, duckdb::params![m.version, m.name])
            .map_err(fail)?;
        tx.commit().map_err(fail)?;
        ran += 1;
    }
    Ok(ran)
}

#[cfg(test)]
mod tests {
    use super::*;
    use childstat_core::{InvState, Ts};

    /// An in-memory database with the first `version` migrations applied.
    fn at_version(version: usize) -> Connection {
        let conn = Connection::open_in_memory().expect("duckdb");
        conn.execute_batch(CREATE_MIGRATIONS_TABLE).expect("table");
        for m in &MIGRATIONS[..version] {
            conn.execute_batch(m.sql).expect("migration");
            conn.execute(INSERT_APPLIED, duckdb::params![m.version, m.name])
                .expect("record");
        }
        conn
    }

    /// A database at version 3 gains `closed_at`, read back from each state's JSON.
    #[test]
    fn closed_at_is_backfilled_from_the_state() {
        let mut conn = at_version(3);
        let closed = InvState {
            first_closed: Some(Ts(1_790_000_000_123_456_789)),
            ..InvState::default()
        };
        let open = InvState::default();
        for (id, s) in [("closed", &closed), ("open", &open)] {
            let json = serde_json::to_string(s).expect("json");
            conn.execute(
                "INSERT INTO investigations VALUES (?, NULL, 'Z01', 0, true, ?)",
                duckdb::params![id, json],
            )
            .expect("insert");
        }
        assert_eq!(migrate(&mut conn).expect("migrate"), 5);
        let got: Vec<(String, Option<i64>)> = conn
            .prepare("SELECT investigation_id, closed_at FROM investigations ORDER BY 1")
            .expect("prepare")
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .expect("query")
            .collect::<std::result::Result<_, _>>()
            .expect("rows");
        assert_eq!(
            got,
            [
                ("closed".to_string(), Some(1_790_000_000_123_456_789)),
                ("open".to_string(), None)
            ]
        );
    }

    /// A database at version 6 keeps its JSON states through the rebuild into a BLOB column,
    /// and they decode to the same states; a state written afterwards is binary.
    #[test]
    fn json_states_survive_the_binary_state_migration() {
        let mut conn = at_version(6);
        let closed = InvState {
            first_closed: Some(Ts(1_790_000_000_123_456_789)),
            family_team_conferences: 3,
            ..InvState::default()
        };
        let json = serde_json::to_string(&closed).expect("json");
        conn.execute(
            "INSERT INTO investigations VALUES ('a', 'F1', 'Z01', 5, true, ?, 1790000000123456789)",
            duckdb::params![json],
        )
        .expect("insert");
        assert_eq!(migrate(&mut conn).expect("migrate"), 2);
        let (stored, closed_at, family): (Vec<u8>, Option<i64>, String) = conn
            .query_row(
                "SELECT state, closed_at, family_id FROM investigations WHERE investigation_id = 'a'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .expect("row");
        assert_eq!(stored, json.as_bytes());
        assert_eq!(
            childstat_core::decode_inv_state(&stored).expect("decode"),
            closed
        );
        assert_eq!(
            (closed_at, family.as_str()),
            (Some(1_790_000_000_123_456_789), "F1")
        );
        let binary = childstat_core::encode_inv_state(&closed).expect("encode");
        conn.execute(
            "INSERT OR REPLACE INTO investigations VALUES ('a', 'F1', 'Z01', 5, true, ?, NULL, NULL)",
            duckdb::params![binary],
        )
        .expect("replace");
        let stored: Vec<u8> = conn
            .query_row("SELECT state FROM investigations", [], |r| r.get(0))
            .expect("row");
        assert_eq!(stored[0], childstat_core::state_codec::FORMAT_V1);
    }

    /// A database written by the per-batch path derived every batch it committed: migration 8
    /// records a checkpoint through its last batch, so nothing is folded twice at start.
    #[test]
    fn an_old_database_is_checkpointed_through_its_last_batch() {
        let mut conn = at_version(7);
        conn.execute_batch(
            "INSERT INTO batches VALUES (1, 10, 5, 5, NULL), (2, 20, 3, 3, NULL);
             INSERT INTO kafka_offsets VALUES ('t', 0, 8);",
        )
        .expect("batches");
        assert_eq!(migrate(&mut conn).expect("migrate"), 1);
        let through: i64 = conn
            .query_row("SELECT max(derived_through) FROM checkpoints", [], |r| {
                r.get(0)
            })
            .expect("checkpoint");
        assert_eq!(through, 2);
        let next: i64 = conn
            .query_row(
                "SELECT next_offset FROM committed_offsets WHERE topic = 't' AND kafka_partition = 0",
                [],
                |r| r.get(0),
            )
            .expect("offsets");
        assert_eq!(next, 8);
    }
}
