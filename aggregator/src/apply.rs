//! Applying a batch in memory once its log has committed: fold it, take the result into the
//! fold state and the checkpoint's accumulators, and hand the readers a segment. No I/O.

use crate::delta::Segment;
use crate::fold::{fold_batch, Folded};
use crate::fold_state::FoldState;
use crate::outcome::{BatchOutcome, Counters};
use crate::published::Published;
use crate::settings::StoreSettings;
use crate::since_checkpoint::SinceCheckpoint;
use childstat_core::{Accepted, Ts};
use std::collections::BTreeSet;
use std::sync::Arc;

/// A folded batch for the readers, and the generation to move once it is in.
#[must_use = "a folded batch is invisible to reads until its index update is applied"]
pub struct IndexUpdate {
    segment: Arc<Segment>,
    counters: Arc<Counters>,
    now: Ts,
    published: Arc<Published>,
}

impl IndexUpdate {
    /// Applies the batch to every serving index, publishes the counters, and moves the
    /// generation. The writer runs it on a thread of normal priority: readers wait on the
    /// index lock while it runs.
    pub fn apply(self) {
        for ix in self.published.serving() {
            ix.write()
                .unwrap_or_else(|p| p.into_inner())
                .apply(&self.segment, self.now);
        }
        self.published.set_counters(self.counters);
        self.published.bump();
    }
}

/// Folds `fresh` (the batch's new events, already in the log) into `st`, counts it in
/// `out`, and returns the readers' update. `out` arrives with the log's counts filled in.
pub(crate) fn fold_and_install(
    st: &mut FoldState,
    since: &mut SinceCheckpoint,
    published: &Arc<Published>,
    fresh: &[&Accepted],
    out: &mut BatchOutcome,
    settings: &StoreSettings,
    now: Ts,
) -> IndexUpdate {
    let folded = fold_batch(st, fresh, &settings.clocks, &settings.calendar, now);
    install(st, since, published, folded, out, now)
}

/// Takes a batch folded from `st` (and nothing since) into it; see [`fold_and_install`].
pub(crate) fn install(
    st: &mut FoldState,
    since: &mut SinceCheckpoint,
    published: &Arc<Published>,
    mut folded: Folded,
    out: &mut BatchOutcome,
    now: Ts,
) -> IndexUpdate {
    out.held = std::mem::take(&mut folded.held);
    out.ignored_openings = folded.ignored_openings;
    out.late = folded.late;
    out.ledger_rows = folded.ledger.len() as u64;
    let zones: BTreeSet<&str> = folded.ledger.iter().map(|r| r.zone.as_str()).collect();
    out.zones_touched = zones.into_iter().map(str::to_string).collect();
    since.add(out.batch_id, out.applied, &folded.ledger, &folded.caseload);
    let keep_states = published.segments.keeping();
    let segment = Segment {
        batch_id: out.batch_id,
        ledger: std::mem::take(&mut folded.ledger),
        caseload: std::mem::take(&mut folded.caseload.map)
            .into_iter()
            .map(|((w, at), d)| (w, at, d))
            .collect(),
        workers: folded
            .workers
            .iter()
            .map(|(id, w)| (id.clone(), w.clone()))
            .collect(),
        invs: if keep_states {
            folded
                .invs
                .iter()
                .map(|(id, s)| (id.clone(), s.clone()))
                .collect()
        } else {
            Vec::new()
        },
    };
    st.install(
        std::mem::take(&mut folded.invs),
        std::mem::take(&mut folded.workers),
        folded.watermark,
    );
    st.counters.add(out, now);
    let segment = Arc::new(segment);
    published.segments.push(segment.clone());
    IndexUpdate {
        segment,
        counters: Arc::new(st.counters.clone()),
        now,
        published: published.clone(),
    }
}
