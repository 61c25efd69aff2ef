//! The writer's fold state, held in memory between checkpoints: investigation states, the
//! family index the repeat indicator needs, workers, the lateness watermark and the counters.
//!
//! Every investigation that is open, not yet opened (events held for their opening), or
//! changed since the last checkpoint (dirty) is here. Clean closed ones are evicted once more
//! than `closed_kept` gather; their ids go into the evicted filter, and an event that touches
//! one reads its checkpointed state back (`state_load.rs`) before the fold. A dirty state is
//! never evicted, so DuckDB's copy of an evicted state is always the current one.
//!
//! The family index keeps, for every opened investigation, its family, receipt and intake
//! zone: all a new intake needs to move its relatives' repeat flags (see `fold.rs`).

use crate::bloom::{id_hash, Bloom};
use crate::outcome::Counters;
use childstat_core::contrib::intake;
use childstat_core::{InvState, Ts, WorkerState};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

/// Closed, clean investigations kept in memory past a checkpoint: late events for recently
/// closed investigations are common, for long-closed ones rare.
pub const CLOSED_KEPT: usize = 20_000;

/// One opened investigation of a family.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    pub id: Box<str>,
    pub received_at: Ts,
    /// The zone it was in at receipt: where its intake and repeat flag are attributed.
    pub zone: Arc<str>,
}

pub struct FoldState {
    pub(crate) invs: HashMap<String, InvState>,
    pub(crate) dirty_invs: HashSet<String>,
    /// family_id → its opened investigations.
    pub(crate) families: HashMap<String, Vec<Member>>,
    pub(crate) workers: HashMap<String, WorkerState>,
    pub(crate) dirty_workers: HashSet<String>,
    /// The newest occurred_at applied so far: lateness is measured against it.
    pub(crate) watermark: Option<Ts>,
    pub(crate) counters: Counters,
    pub(crate) next_batch_id: i64,
    /// Every applied event id's hash (`bloom.rs`).
    pub(crate) seen: Bloom,
    /// Ids of investigations evicted from memory.
    pub(crate) evicted: Bloom,
    pub(crate) closed_kept: usize,
    zones: HashMap<String, Arc<str>>,
}

fn is_closed(s: &InvState) -> bool {
    s.is_opened() && s.first_closed.is_some()
}

impl FoldState {
    pub fn new() -> FoldState {
        FoldState {
            invs: HashMap::new(),
            dirty_invs: HashSet::new(),
            families: HashMap::new(),
            workers: HashMap::new(),
            dirty_workers: HashSet::new(),
            watermark: None,
            counters: Counters::default(),
            next_batch_id: 1,
            seen: Bloom::for_event_ids(),
            evicted: Bloom::for_investigations(),
            closed_kept: CLOSED_KEPT,
            zones: HashMap::new(),
        }
    }

    fn zone(&mut self, z: &str) -> Arc<str> {
        if let Some(a) = self.zones.get(z) {
            return a.clone();
        }
        let a: Arc<str> = Arc::from(z);
        self.zones.insert(z.to_string(), a.clone());
        a
    }

    /// Adds an opened investigation to its family (loading a checkpoint).
    pub(crate) fn add_member(&mut self, family: &str, id: &str, received_at: Ts, zone: &str) {
        let zone = self.zone(zone);
        let members = match self.families.get_mut(family) {
            Some(m) => m,
            None => self.families.entry(family.to_string()).or_default(),
        };
        members.retain(|m| &*m.id != id);
        members.push(Member {
            id: id.into(),
            received_at,
            zone,
        });
    }

    fn remove_member(&mut self, family: &str, id: &str) {
        if let Some(m) = self.families.get_mut(family) {
            m.retain(|m| &*m.id != id);
            if m.is_empty() {
                self.families.remove(family);
            }
        }
    }

    /// A checkpointed state read back into memory; it is clean.
    pub(crate) fn insert_loaded(&mut self, id: String, state: InvState) {
        self.invs.insert(id, state);
    }

    /// A checkpointed state known to be absent from memory (loading a checkpoint).
    pub(crate) fn note_evicted(&mut self, id: &str) {
        self.evicted.insert(id_hash(id));
    }

    /// Investigations `ids` names that are not in memory but may be in DuckDB.
    pub(crate) fn missing<'a>(&self, ids: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
        let mut out: Vec<&str> = ids
            .filter(|id| !self.invs.contains_key(*id) && self.evicted.may_contain(id_hash(id)))
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Takes in a folded batch: its new investigation states (dirty until the next
    /// checkpoint, and moved in the family index), its new worker states and the watermark.
    pub(crate) fn install(
        &mut self,
        invs: BTreeMap<String, InvState>,
        workers: BTreeMap<String, WorkerState>,
        watermark: Option<Ts>,
    ) {
        for (id, new) in invs {
            let old = self
                .invs
                .get(&id)
                .and_then(|s| s.opening.as_ref().map(|o| o.family_id.clone()));
            if let Some(f) = old {
                self.remove_member(&f, &id);
            }
            if let (Some(o), Some((r, zone))) = (new.opening.as_ref(), intake(&new)) {
                let (family, zone) = (o.family_id.clone(), zone.to_string());
                self.add_member(&family, &id, r, &zone);
            }
            self.dirty_invs.insert(id.clone());
            self.invs.insert(id, new);
        }
        for (id, w) in workers {
            self.dirty_workers.insert(id.clone());
            self.workers.insert(id, w);
        }
        self.watermark = watermark;
        self.next_batch_id += 1;
    }

    /// States changed since the last checkpoint, in id order.
    pub(crate) fn dirty_states(&self) -> Vec<(&str, &InvState)> {
        let mut out: Vec<(&str, &InvState)> = self
            .dirty_invs
            .iter()
            .filter_map(|id| self.invs.get(id).map(|s| (id.as_str(), s)))
            .collect();
        out.sort_unstable_by_key(|(id, _)| *id);
        out
    }

    pub(crate) fn dirty_workers(&self) -> Vec<(&str, &WorkerState)> {
        let mut out: Vec<(&str, &WorkerState)> = self
            .dirty_workers
            .iter()
            .filter_map(|id| self.workers.get(id).map(|w| (id.as_str(), w)))
            .collect();
        out.sort_unstable_by_key(|(id, _)| *id);
        out
    }

    /// After a checkpoint committed: everything is clean, and closed investigations past
    /// the bound leave memory.
    pub(crate) fn checkpointed(&mut self) {
        self.dirty_invs.clear();
        self.dirty_workers.clear();
        let closed = self.invs.values().filter(|s| is_closed(s)).count();
        if closed <= self.closed_kept {
            return;
        }
        let evicted = &mut self.evicted;
        self.invs.retain(|id, s| {
            let keep = !is_closed(s);
            if !keep {
                evicted.insert(id_hash(id));
            }
            keep
        });
    }

    /// Held events waiting longer than `ttl` for their opening, by zone. Wall-clock based:
    /// reporting only. Every unopened investigation is in memory.
    pub fn orphans(&self, cutoff: Ts) -> std::collections::BTreeMap<String, u64> {
        let mut out = std::collections::BTreeMap::new();
        for s in self.invs.values().filter(|s| !s.is_opened()) {
            for p in s.pending.iter().filter(|p| p.arrived_at <= cutoff) {
                *out.entry(p.zone.clone()).or_insert(0) += 1;
            }
        }
        out
    }

    /// Opened investigations known: all members of all families.
    pub fn opened(&self) -> u64 {
        self.families.values().map(|m| m.len() as u64).sum()
    }
}

impl Default for FoldState {
    fn default() -> Self {
        FoldState::new()
    }
}
