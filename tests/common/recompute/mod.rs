//! A second, deliberately naive implementation of every indicator, straight from the
//! definitions in `shared/indicators.md`, over the rows of `raw_events`. It shares no code
//! with the product's incremental path (`core::state`, `core::contrib`, the ledger, the SQL):
//! only `Ts` and the local calendar come from the core. Everything is a plain loop over rows,
//! re-evaluated per question, so it is slow and obviously right rather than fast.
//!
//! `raw_events` holds the first delivery of each `event_id` only, so duplicates need no
//! handling here.

mod flows;
mod history;
mod points;

use childstat_core::{Calendar, Ts};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// One `raw_events` row, every typed column.
#[derive(Clone, Debug)]
pub struct Row {
    pub event_id: String,
    pub event_type: String,
    pub zone: String,
    pub occurred_at: i64,
    pub recorded_at: i64,
    pub investigation_id: Option<String>,
    pub worker_id: Option<String>,
    pub supervisor_id: Option<String>,
    pub family_id: Option<String>,
    pub received_at: Option<i64>,
    pub children: Option<i64>,
    pub children_seen: Option<i64>,
    pub kind: Option<String>,
    pub outcome: Option<String>,
    pub role: Option<String>,
    pub status: Option<String>,
    pub heightened: Option<bool>,
    pub after_hours: Option<bool>,
    pub by_ecs: Option<bool>,
    pub emergency: Option<bool>,
}

const SELECT_ROWS: &str = "
    SELECT event_id, event_type, zone, occurred_at, recorded_at, investigation_id, worker_id,
           supervisor_id, family_id, received_at, children, children_seen, kind, outcome, role,
           status, flag_heightened, flag_after_hours, flag_by_ecs, flag_emergency
    FROM raw_events";

pub fn load(db: &Path) -> Vec<Row> {
    let conn = duckdb::Connection::open(db).expect("open db for recomputation");
    let mut stmt = conn.prepare(SELECT_ROWS).expect("prepare");
    let rows = stmt
        .query_map([], |r| {
            Ok(Row {
                event_id: r.get(0)?,
                event_type: r.get(1)?,
                zone: r.get(2)?,
                occurred_at: r.get(3)?,
                recorded_at: r.get(4)?,
                investigation_id: r.get(5)?,
                worker_id: r.get(6)?,
                supervisor_id: r.get(7)?,
                family_id: r.get(8)?,
                received_at: r.get(9)?,
                children: r.get::<_, Option<i32>>(10)?.map(i64::from),
                children_seen: r.get::<_, Option<i32>>(11)?.map(i64::from),
                kind: r.get(12)?,
                outcome: r.get(13)?,
                role: r.get(14)?,
                status: r.get(15)?,
                heightened: r.get(16)?,
                after_hours: r.get(17)?,
                by_ecs: r.get(18)?,
                emergency: r.get(19)?,
            })
        })
        .expect("query");
    rows.map(|r| r.expect("row")).collect()
}

/// `(value, numerator, denominator)`, shaped as the API returns it.
pub type Value = (Option<f64>, Option<i64>, Option<i64>);

/// How an indicator is counted and shown, restated from the definitions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    FlowCount,
    FlowRate,
    /// A flow rate whose members are deadlines: counted only once due.
    FlowDueRate,
    PointCount,
    Caseload,
}

pub const INDICATORS: [(&str, Shape); 21] = [
    ("intakes", Shape::FlowCount),
    ("contact_24h_rate", Shape::FlowDueRate),
    ("safety_assessment_7d_rate", Shape::FlowDueRate),
    ("determination_60d_rate", Shape::FlowDueRate),
    ("indication_rate", Shape::FlowRate),
    ("supervisory_review_rate", Shape::FlowRate),
    ("all_children_seen_rate", Shape::FlowRate),
    ("children_removed", Shape::FlowCount),
    ("safety_conference_rate", Shape::FlowDueRate),
    ("repeat_within_12m_rate", Shape::FlowRate),
    ("ecs_involved", Shape::FlowCount),
    ("open_investigations", Shape::PointCount),
    ("active_cps", Shape::PointCount),
    ("active_supervisors", Shape::PointCount),
    ("caseload_avg", Shape::Caseload),
    ("caseload_max", Shape::Caseload),
    ("cps_over_threshold", Shape::Caseload),
    ("overdue_contact", Shape::PointCount),
    ("overdue_safety_assessment", Shape::PointCount),
    ("overdue_determination", Shape::PointCount),
    ("heightened_oversight_open", Shape::PointCount),
];

pub fn shape(name: &str) -> Shape {
    INDICATORS
        .iter()
        .find(|(n, _)| *n == name)
        .unwrap_or_else(|| panic!("unknown indicator {name}"))
        .1
}

const SEC: i64 = 1_000_000_000;
const HOUR: i64 = 3_600 * SEC;
const DAY: i64 = 24 * HOUR;
// The default clocks and threshold of the definitions.
const CONTACT: i64 = DAY;
const SAFETY_ASSESSMENT: i64 = 7 * DAY;
const DETERMINATION: i64 = 60 * DAY;
const SAFETY_CONFERENCE: i64 = 72 * HOUR;
const REPEAT_LOOKBACK: i64 = 365 * DAY;
const CASELOAD_THRESHOLD: i64 = 12;

/// The contract's "earliest/latest" order.
fn order(r: &Row) -> (i64, i64, &str) {
    (r.occurred_at, r.recorded_at, r.event_id.as_str())
}

/// An investigation: its defining opening and every event carrying its id.
struct Inv {
    id: String,
    opening: Row,
    events: Vec<Row>,
}

impl Inv {
    fn received(&self) -> i64 {
        self.opening
            .received_at
            .expect("openings carry received_at")
    }

    fn of_type(&self, t: &'static str) -> impl Iterator<Item = &Row> + '_ {
        self.events.iter().filter(move |e| e.event_type == t)
    }

    fn earliest(&self, t: &'static str) -> Option<&Row> {
        self.of_type(t).min_by(|a, b| order(a).cmp(&order(b)))
    }

    /// Latest transfer at or before `t`, else the opening's zone (whatever the opening's time).
    fn zone_at(&self, t: i64) -> &str {
        self.of_type("investigation_transferred")
            .filter(|e| e.occurred_at <= t)
            .max_by(|a, b| order(a).cmp(&order(b)))
            .map_or(self.opening.zone.as_str(), |e| e.zone.as_str())
    }

    /// The worker of the latest of the defining opening and the transfers, at or before `t`.
    fn worker_at(&self, t: i64) -> Option<&str> {
        std::iter::once(&self.opening)
            .chain(self.of_type("investigation_transferred"))
            .filter(|e| e.occurred_at <= t)
            .max_by(|a, b| order(a).cmp(&order(b)))
            .and_then(|e| e.worker_id.as_deref())
    }

    /// Open at `t`, seeing only events that occurred by `t`.
    fn open_at(&self, t: i64) -> bool {
        self.opening.occurred_at <= t
            && self.received() <= t
            && !self
                .of_type("investigation_closed")
                .any(|e| e.occurred_at <= t)
    }
}

pub struct Naive {
    invs: Vec<Inv>,
    /// worker_id → its status changes.
    workers: BTreeMap<String, Vec<Row>>,
    members: Vec<flows::Member>,
    cal: Calendar,
}

fn in_zone(zone: Option<&str>, z: &str) -> bool {
    zone.is_none_or(|want| want == z)
}

fn count(n: i64) -> Value {
    (Some(n as f64), Some(n), None)
}

fn rate(num: i64, den: i64) -> Value {
    (
        (den != 0).then(|| num as f64 / den as f64),
        Some(num),
        Some(den),
    )
}

impl Naive {
    pub fn new(rows: Vec<Row>) -> Naive {
        let mut by_inv: BTreeMap<String, Vec<Row>> = BTreeMap::new();
        let mut workers: BTreeMap<String, Vec<Row>> = BTreeMap::new();
        for r in rows {
            if r.event_type == "worker_status_changed" {
                let id = r.worker_id.clone().expect("worker events carry worker_id");
                workers.entry(id).or_default().push(r);
            } else {
                let id = r.investigation_id.clone().expect("investigation id");
                by_inv.entry(id).or_default().push(r);
            }
        }
        // Investigations without an opening do not exist yet: they count nowhere.
        let invs: Vec<Inv> = by_inv
            .into_iter()
            .filter_map(|(id, events)| {
                let opening = events
                    .iter()
                    .filter(|e| e.event_type == "investigation_opened")
                    .min_by(|a, b| (a.occurred_at, &a.event_id).cmp(&(b.occurred_at, &b.event_id)))?
                    .clone();
                Some(Inv {
                    id,
                    opening,
                    events,
                })
            })
            .collect();
        let members = flows::members(&invs);
        Naive {
            invs,
            workers,
            members,
            cal: Calendar::new(chrono_tz::America::New_York),
        }
    }

    /// Every indicator for `zone` (None = citywide): flows over `(as_of - window, as_of]`,
    /// point-in-time ones at `as_of`.
    pub fn current(
        &self,
        zone: Option<&str>,
        window_ns: i64,
        as_of: Ts,
    ) -> HashMap<&'static str, Value> {
        let (lo, hi) = (as_of.0 - window_ns, as_of.0);
        let mut out = self.point(zone, hi);
        for (name, shape) in INDICATORS {
            if matches!(shape, Shape::PointCount | Shape::Caseload) {
                continue;
            }
            out.insert(name, self.flow(zone, name, |at| lo < at && at <= hi));
        }
        out
    }

    /// (numerator, denominator) of the four indicators `incremental_props` checks.
    pub fn spine(
        &self,
        zone: Option<&str>,
        window_ns: i64,
        as_of: Ts,
    ) -> HashMap<&'static str, (i64, i64)> {
        let all = self.current(zone, window_ns, as_of);
        [
            "intakes",
            "contact_24h_rate",
            "open_investigations",
            "overdue_contact",
        ]
        .into_iter()
        .map(|n| {
            let (_, num, den) = all[n];
            (n, (num.unwrap_or(0), den.unwrap_or(0)))
        })
        .collect()
    }
}
