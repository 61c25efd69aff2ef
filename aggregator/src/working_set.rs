//! What one batch needs from the committed state, read from DuckDB just before it is folded:
//! which of its event ids were applied before, the investigations it touches, and the
//! members of their families (a repeat report depends on the family's other intakes). The
//! writer therefore keeps no per-event or per-investigation index of all history in memory.

use crate::error::Result;
use crate::memory::id_hash;
use crate::store::Store;
use childstat_core::{Accepted, Body, Ts};
use std::collections::{BTreeSet, HashSet};

pub(crate) const CREATE_WANTED: &str = "
    CREATE TEMP TABLE IF NOT EXISTS wanted_ids (id VARCHAR);
    CREATE TEMP TABLE IF NOT EXISTS wanted_hashes (h UBIGINT);";
const CLEAR_IDS: &str = "DELETE FROM wanted_ids";
const CLEAR_HASHES: &str = "DELETE FROM wanted_hashes";
/// A hash match is confirmed by the exact id, so a collision never drops an event.
const SEEN_BEFORE: &str = "
    SELECT r.event_id FROM raw_events r JOIN wanted_hashes w ON r.id_hash = w.h";
const LOAD_STATES: &str = "
    SELECT i.investigation_id, i.state
    FROM investigations i JOIN wanted_ids w ON i.investigation_id = w.id";
const FAMILY_MEMBERS: &str = "
    SELECT i.family_id, i.investigation_id, i.received_at
    FROM investigations i JOIN wanted_ids w ON i.family_id = w.id
    WHERE i.opened";

impl Store {
    /// The ids among `ids` that earlier batches applied.
    pub(crate) fn seen_before(&self, ids: &[&str]) -> Result<HashSet<String>> {
        if ids.is_empty() {
            return Ok(HashSet::new());
        }
        self.conn.prepare_cached(CLEAR_HASHES)?.execute([])?;
        {
            let mut app = self.conn.appender("wanted_hashes")?;
            for id in ids {
                app.append_row([id_hash(id)])?;
            }
            app.flush()?;
        }
        let mut stmt = self.conn.prepare_cached(SEEN_BEFORE)?;
        let known = stmt
            .query_map([], |r| r.get::<_, String>(0))?
            .collect::<Result<HashSet<_>, _>>()?;
        Ok(known)
    }

    /// Brings into memory every investigation `fresh` touches and every opened member of
    /// their families, old and new.
    pub(crate) fn load_working_set(&mut self, fresh: &[&Accepted]) -> Result<()> {
        let touched: BTreeSet<&str> = fresh
            .iter()
            .filter_map(|a| a.event.body.investigation_id())
            .collect();
        self.load_states(touched.iter().copied())?;
        let mut families: BTreeSet<String> = BTreeSet::new();
        for id in &touched {
            if let Some(o) = self.mem.invs.get(*id).and_then(|s| s.opening.as_ref()) {
                families.insert(o.family_id.clone());
            }
        }
        for a in fresh {
            if let Body::InvestigationOpened(o) = &a.event.body {
                families.insert(o.family_id.clone());
            }
        }
        self.mem.families.clear();
        if families.is_empty() {
            return Ok(());
        }
        self.want_ids(families.iter().map(String::as_str))?;
        let mut stmt = self.conn.prepare_cached(FAMILY_MEMBERS)?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                Ts(r.get::<_, i64>(2)?),
            ))
        })?;
        for row in rows {
            let (family, id, received) = row?;
            self.mem
                .families
                .entry(family)
                .or_default()
                .push((id, received));
        }
        drop(stmt);
        let members: Vec<String> = self
            .mem
            .families
            .values_mut()
            .flat_map(|m| {
                m.sort();
                m.iter().map(|(id, _)| id.clone())
            })
            .collect();
        self.load_states(members.iter().map(String::as_str))
    }

    /// Reads the stored state of each of `ids` not already in memory.
    fn load_states<'a>(&mut self, ids: impl Iterator<Item = &'a str>) -> Result<()> {
        let missing: Vec<&str> = ids.filter(|id| !self.mem.invs.contains_key(*id)).collect();
        if missing.is_empty() {
            return Ok(());
        }
        self.want_ids(missing.into_iter())?;
        let mut stmt = self.conn.prepare_cached(LOAD_STATES)?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let id: String = r.get(0)?;
            let state = crate::candidates_read::decode_inv_state(&r.get::<_, Vec<u8>>(1)?)?;
            self.mem.invs.insert(id, state);
        }
        Ok(())
    }

    fn want_ids<'a>(&self, ids: impl Iterator<Item = &'a str>) -> Result<()> {
        self.conn.prepare_cached(CLEAR_IDS)?.execute([])?;
        let mut app = self.conn.appender("wanted_ids")?;
        for id in ids {
            app.append_row([id])?;
        }
        app.flush()?;
        Ok(())
    }
}
