//! Case candidates: open investigations decoded from their stored state and judged by the
//! pure core. Only the reviewer-facing API reads this.

use crate::error::{AggError, Result};
use crate::reader::ReadPool;
use childstat_core::candidates::{candidate, rank, Candidate, Criterion};
use childstat_core::{InvState, Ts};

const OPEN_INVESTIGATIONS: &str = include_str!("../sql/open_investigations.sql");

impl ReadPool {
    /// Open investigations in `zone` at `as_of` meeting any of `criteria`, best first.
    pub fn case_candidates(
        &self,
        zone: &str,
        as_of: Ts,
        criteria: &[Criterion],
    ) -> Result<Vec<Candidate>> {
        let conn = self.get();
        let clocks = self.settings().clocks;
        let mut stmt = conn.prepare_cached(OPEN_INVESTIGATIONS)?;
        let mut rows = stmt.query([as_of.0])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let id: String = r.get(0)?;
            let json: String = r.get(1)?;
            let state: InvState =
                serde_json::from_str(&json).map_err(|source| AggError::CorruptState {
                    table: "investigations",
                    source,
                })?;
            if let Some(c) = candidate(&id, &state, zone, as_of, &clocks, criteria) {
                out.push(c);
            }
        }
        rank(&mut out);
        Ok(out)
    }
}
