//! Point-in-time indicators at an instant `t`, seeing only events with `occurred_at <= t`.

use super::{
    count, in_zone, order, rate, Naive, Value, CASELOAD_THRESHOLD, CONTACT, DETERMINATION,
    SAFETY_ASSESSMENT,
};
use std::collections::HashMap;

impl Naive {
    /// Every point-in-time indicator for `zone` (None = citywide) at `t`.
    pub(super) fn point(&self, zone: Option<&str>, t: i64) -> HashMap<&'static str, Value> {
        let mut open = 0;
        let mut heightened = 0;
        let mut overdue = [0i64; 3];
        // Caseloads count open investigations in any zone, so every one is looked at.
        let mut caseload: HashMap<&str, i64> = HashMap::new();
        for inv in &self.invs {
            if !inv.open_at(t) {
                continue;
            }
            if let Some(w) = inv.worker_at(t) {
                *caseload.entry(w).or_insert(0) += 1;
            }
            if !in_zone(zone, inv.zone_at(t)) {
                continue;
            }
            open += 1;
            if inv.opening.heightened == Some(true) {
                heightened += 1;
            }
            let r = inv.received();
            for (i, (len, task)) in [
                (CONTACT, "contact_made"),
                (SAFETY_ASSESSMENT, "safety_assessment_completed"),
                (DETERMINATION, "determination_made"),
            ]
            .into_iter()
            .enumerate()
            {
                let done = inv.of_type(task).any(|e| e.occurred_at <= t);
                if r + len <= t && !done {
                    overdue[i] += 1;
                }
            }
        }

        let (mut cps, mut supervisors) = (0, 0);
        let (mut total, mut max, mut over) = (0, None::<i64>, 0);
        for (id, changes) in &self.workers {
            let Some(state) = changes
                .iter()
                .filter(|c| c.occurred_at <= t)
                .max_by(|a, b| order(a).cmp(&order(b)))
            else {
                continue;
            };
            if state.status.as_deref() != Some("active") || !in_zone(zone, &state.zone) {
                continue;
            }
            match state.role.as_deref() {
                Some("supervisor") => supervisors += 1,
                Some("cps") => {
                    cps += 1;
                    let load = caseload.get(id.as_str()).copied().unwrap_or(0);
                    total += load;
                    max = Some(max.map_or(load, |m: i64| m.max(load)));
                    if load > CASELOAD_THRESHOLD {
                        over += 1;
                    }
                }
                _ => {}
            }
        }

        HashMap::from([
            ("open_investigations", count(open)),
            ("heightened_oversight_open", count(heightened)),
            ("overdue_contact", count(overdue[0])),
            ("overdue_safety_assessment", count(overdue[1])),
            ("overdue_determination", count(overdue[2])),
            ("active_cps", count(cps)),
            ("active_supervisors", count(supervisors)),
            ("caseload_avg", rate(total, cps)),
            ("caseload_max", (max.map(|m| m as f64), max, None)),
            ("cps_over_threshold", count(over)),
        ])
    }
}
