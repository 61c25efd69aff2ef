//! A second, deliberately naive implementation of the indicators, straight from the
//! definitions in `shared/indicators.md`, over the rows of `raw_events`. It shares no code
//! with the product's incremental path.

use childstat_core::Ts;
use std::collections::HashMap;
use std::path::Path;

#[derive(Clone, Debug)]
pub struct Row {
    pub event_type: String,
    pub event_id: String,
    pub zone: String,
    pub occurred_at: i64,
    pub recorded_at: i64,
    pub investigation_id: Option<String>,
    pub received_at: Option<i64>,
}

pub fn load(db: &Path) -> Vec<Row> {
    let conn = duckdb::Connection::open(db).expect("open db for recomputation");
    let mut stmt = conn
        .prepare(
            "SELECT event_type, event_id, zone, occurred_at, recorded_at, investigation_id, received_at FROM raw_events",
        )
        .expect("prepare");
    let rows = stmt
        .query_map([], |r| {
            Ok(Row {
                event_type: r.get(0)?,
                event_id: r.get(1)?,
                zone: r.get(2)?,
                occurred_at: r.get(3)?,
                recorded_at: r.get(4)?,
                investigation_id: r.get(5)?,
                received_at: r.get(6)?,
            })
        })
        .expect("query");
    rows.map(|r| r.expect("row")).collect()
}

pub struct Naive {
    /// investigation → its events.
    by_inv: HashMap<String, Vec<Row>>,
}

const H24: i64 = 86_400 * 1_000_000_000;

impl Naive {
    pub fn new(rows: Vec<Row>) -> Naive {
        let mut by_inv: HashMap<String, Vec<Row>> = HashMap::new();
        for r in rows {
            if let Some(id) = r.investigation_id.clone() {
                by_inv.entry(id).or_default().push(r);
            }
        }
        Naive { by_inv }
    }

    fn opening(evs: &[Row]) -> Option<&Row> {
        evs.iter()
            .filter(|e| e.event_type == "investigation_opened")
            .min_by(|a, b| (a.occurred_at, &a.event_id).cmp(&(b.occurred_at, &b.event_id)))
    }

    fn zone_at<'a>(evs: &'a [Row], opening: &'a Row, t: i64) -> &'a str {
        evs.iter()
            .filter(|e| e.event_type == "investigation_transferred" && e.occurred_at <= t)
            .max_by(|a, b| {
                (a.occurred_at, a.recorded_at, &a.event_id).cmp(&(
                    b.occurred_at,
                    b.recorded_at,
                    &b.event_id,
                ))
            })
            .map_or(opening.zone.as_str(), |e| e.zone.as_str())
    }

    fn in_zone(zone: Option<&str>, z: &str) -> bool {
        zone.is_none_or(|want| want == z)
    }

    /// (numerator, denominator) of the four spine indicators for `zone` (None = citywide).
    pub fn spine(
        &self,
        zone: Option<&str>,
        window_ns: i64,
        as_of: Ts,
    ) -> HashMap<&'static str, (i64, i64)> {
        let (lo, hi) = (as_of.0 - window_ns, as_of.0);
        let mut intakes = 0;
        let (mut c_num, mut c_den) = (0, 0);
        let mut open = 0;
        let mut overdue = 0;
        for evs in self.by_inv.values() {
            let Some(o) = Self::opening(evs) else {
                continue;
            };
            let received = o.received_at.expect("openings have received_at");
            if lo < received
                && received <= hi
                && Self::in_zone(zone, Self::zone_at(evs, o, received))
            {
                intakes += 1;
            }
            let deadline = received + H24;
            let first_contact = evs
                .iter()
                .filter(|e| e.event_type == "contact_made")
                .map(|e| e.occurred_at)
                .min();
            if lo < deadline
                && deadline <= hi
                && Self::in_zone(zone, Self::zone_at(evs, o, deadline))
            {
                c_den += 1;
                if first_contact.is_some_and(|t| t <= deadline) {
                    c_num += 1;
                }
            }
            // Point in time: only events that occurred by as_of.
            let t = hi;
            let visible = o.occurred_at <= t && received <= t;
            let closed = evs
                .iter()
                .any(|e| e.event_type == "investigation_closed" && e.occurred_at <= t);
            if visible && !closed && Self::in_zone(zone, Self::zone_at(evs, o, t)) {
                open += 1;
                if deadline <= t && first_contact.is_none_or(|c| c > t) {
                    overdue += 1;
                }
            }
        }
        HashMap::from([
            ("intakes", (intakes, 0)),
            ("contact_24h_rate", (c_num, c_den)),
            ("open_investigations", (open, 0)),
            ("overdue_contact", (overdue, 0)),
        ])
    }
}
