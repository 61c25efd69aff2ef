//! Reading frozen snapshots, and exporting one as CSV or Parquet.

use crate::error::Result;
use crate::snapshot::SnapshotInfo;
use childstat_core::Ts;
use duckdb::{params, Connection};
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct SnapshotValue {
    pub zone: String,
    pub window: String,
    pub indicator: String,
    pub value: Option<f64>,
    pub numerator: Option<i64>,
    pub denominator: Option<i64>,
}

const LIST: &str =
    "SELECT iso_week, as_of, taken_at, forced, took_ms FROM snapshots ORDER BY iso_week";
const ONE: &str =
    "SELECT iso_week, as_of, taken_at, forced, took_ms FROM snapshots WHERE iso_week = ?";
const VALUES: &str = "SELECT zone, window_name, indicator, value, numerator, denominator
    FROM snapshot_values WHERE iso_week = ? ORDER BY zone, window_name, indicator";
const STAGE_EXPORT: &str = "CREATE OR REPLACE TEMP TABLE export_snapshot AS
    SELECT iso_week, zone, window_name, indicator, value, numerator, denominator
    FROM snapshot_values WHERE iso_week = ? ORDER BY zone, window_name, indicator";
const DROP_EXPORT: &str = "DROP TABLE IF EXISTS export_snapshot";

fn info(r: &duckdb::Row<'_>) -> duckdb::Result<SnapshotInfo> {
    Ok(SnapshotInfo {
        iso_week: r.get(0)?,
        as_of: Ts(r.get(1)?),
        taken_at: Ts(r.get(2)?),
        forced: r.get(3)?,
        took_ms: r.get(4)?,
    })
}

pub(crate) fn snapshots_on(conn: &Connection) -> Result<Vec<SnapshotInfo>> {
    let mut stmt = conn.prepare_cached(LIST)?;
    let rows = stmt.query_map([], info)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub(crate) fn snapshot_on(
    conn: &Connection,
    week: &str,
) -> Result<Option<(SnapshotInfo, Vec<SnapshotValue>)>> {
    let mut stmt = conn.prepare_cached(ONE)?;
    let mut rows = stmt.query([week])?;
    let Some(r) = rows.next()? else {
        return Ok(None);
    };
    let head = info(r)?;
    let mut stmt = conn.prepare_cached(VALUES)?;
    let values = stmt
        .query_map([week], |r| {
            Ok(SnapshotValue {
                zone: r.get(0)?,
                window: r.get(1)?,
                indicator: r.get(2)?,
                value: r.get(3)?,
                numerator: r.get(4)?,
                denominator: r.get(5)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(Some((head, values)))
}

/// The snapshot's values as a Parquet file, written by DuckDB to a private temporary
/// file (the only path in the statement is ours, never the caller's).
pub(crate) fn snapshot_parquet_on(conn: &Connection, week: &str) -> Result<Vec<u8>> {
    static N: AtomicU64 = AtomicU64::new(0);
    let path = std::env::temp_dir().join(format!(
        "childstat-export-{}-{}.parquet",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    conn.execute(STAGE_EXPORT, params![week])?;
    let copy = format!(
        "COPY export_snapshot TO '{}' (FORMAT parquet)",
        path.display()
    );
    let written = conn.execute_batch(&copy);
    let _ = conn.execute_batch(DROP_EXPORT);
    written?;
    let bytes = std::fs::read(&path).map_err(|source| crate::error::AggError::Io {
        path: path.display().to_string(),
        source,
    });
    let _ = std::fs::remove_file(&path);
    bytes
}
