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
];

pub const CURRENT_VERSION: i32 = 3;

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
