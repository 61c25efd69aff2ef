//! Caseload figures at many instants in one pass: per-worker loads from a starting prefix
//! plus time-ordered deltas, and the active CPS at each instant from their status spans.
//!
//! The same code answers "now" (one instant) and a history (one instant per bucket), so the
//! two can never disagree.

use crate::indicator::Caseload;
use crate::time::Ts;

/// A worker's active-CPS span `[start, end)` (in the zone asked about).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ActiveSpan {
    pub worker: usize,
    pub start: Ts,
    pub end: Ts,
}

/// Caseload at each of `instants` (ascending). `prefix[w]` is worker `w`'s load from every
/// delta before the first delta in `deltas`; `deltas` are `(worker, at, delta)` sorted by
/// `at`, covering everything up to the last instant.
pub fn caseloads_at(
    instants: &[Ts],
    spans: &[ActiveSpan],
    prefix: &[i64],
    deltas: &[(usize, Ts, i64)],
    threshold: i64,
) -> Vec<Caseload> {
    let mut load = prefix.to_vec();
    let mut counted = vec![usize::MAX; load.len()];
    let mut next = 0;
    instants
        .iter()
        .enumerate()
        .map(|(i, &t)| {
            while let Some(&(w, at, d)) = deltas.get(next) {
                if at > t {
                    break;
                }
                load[w] += d;
                next += 1;
            }
            let mut c = Caseload::default();
            for s in spans.iter().filter(|s| s.start <= t && t < s.end) {
                // Two spans of one worker can both cover t only if their zone filter kept
                // both; the worker still counts once.
                if counted[s.worker] == i {
                    continue;
                }
                counted[s.worker] = i;
                let n = load[s.worker];
                c.active_cps += 1;
                c.total += n;
                c.max = Some(c.max.map_or(n, |m| m.max(n)));
                c.over_threshold += i64::from(n > threshold);
            }
            c
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(worker: usize, start: i64, end: i64) -> ActiveSpan {
        ActiveSpan {
            worker,
            start: Ts(start),
            end: Ts(end),
        }
    }

    #[test]
    fn loads_accumulate_and_only_active_workers_count() {
        let spans = [span(0, 0, 100), span(1, 50, 200), span(1, 10, 60)];
        let prefix = [2, 0];
        let deltas = [
            (0, Ts(5), 1),
            (1, Ts(20), 13),
            (0, Ts(60), -1),
            (1, Ts(150), -1),
        ];
        let got = caseloads_at(
            &[Ts(5), Ts(55), Ts(100), Ts(150)],
            &spans,
            &prefix,
            &deltas,
            12,
        );
        // t=5: only worker 0 (load 3).
        assert_eq!(
            got[0],
            Caseload {
                active_cps: 1,
                total: 3,
                max: Some(3),
                over_threshold: 0
            }
        );
        // t=55: both; worker 1 counted once despite two spans; 13 > 12.
        assert_eq!(
            got[1],
            Caseload {
                active_cps: 2,
                total: 16,
                max: Some(13),
                over_threshold: 1
            }
        );
        // t=100: worker 0's span ended (exclusive).
        assert_eq!(
            got[2],
            Caseload {
                active_cps: 1,
                total: 13,
                max: Some(13),
                over_threshold: 1
            }
        );
        assert_eq!(
            got[3],
            Caseload {
                active_cps: 1,
                total: 12,
                max: Some(12),
                over_threshold: 0
            }
        );
    }

    #[test]
    fn no_active_workers_is_an_empty_caseload() {
        let got = caseloads_at(&[Ts(1)], &[], &[4], &[(0, Ts(0), 1)], 12);
        assert_eq!(got, [Caseload::default()]);
        assert_eq!(got[0].max, None);
    }
}
