//! Per-investigation state: the facts of an investigation that the indicators need,
//! folded from its events in any order.
//!
//! Folding is order-independent: applying the same set of events in any order gives the
//! same state, which is what makes late and out-of-order delivery exact.

use crate::event::{Body, ConferenceKind, Event, Finding, Opened};
use crate::time::Ts;
use serde::{Deserialize, Serialize};

/// The contract's "earliest/latest" order: occurred_at, then recorded_at, then event_id.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct OrderKey {
    pub occurred_at: Ts,
    pub recorded_at: Ts,
    pub event_id: String,
}

impl OrderKey {
    pub fn of(e: &Event) -> OrderKey {
        OrderKey {
            occurred_at: e.occurred_at,
            recorded_at: e.recorded_at,
            event_id: e.event_id.clone(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpeningFact {
    pub event_id: String,
    pub occurred_at: Ts,
    /// Orders the opening against transfers for the assigned worker. States stored before
    /// this field existed read it as 0, which keeps their old tie-break (the transfer wins).
    #[serde(default)]
    pub recorded_at: Ts,
    pub zone: String,
    pub received_at: Ts,
    pub family_id: String,
    pub children: u32,
    pub worker_id: String,
    pub heightened_oversight: bool,
    pub after_hours: bool,
}

impl OpeningFact {
    /// Whether the opening comes before `key` in the contract's earliest/latest order.
    pub fn precedes(&self, key: &OrderKey) -> bool {
        (self.occurred_at, self.recorded_at, self.event_id.as_str())
            < (key.occurred_at, key.recorded_at, key.event_id.as_str())
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransferFact {
    pub key: OrderKey,
    pub zone: String,
    pub worker_id: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactFact {
    pub occurred_at: Ts,
    pub children_seen: u32,
    pub by_ecs: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemovalFact {
    pub event_id: String,
    pub occurred_at: Ts,
    pub children: u32,
    pub emergency: bool,
}

/// An event held because its investigation has not been opened yet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingFact {
    pub zone: String,
    /// Wall-clock arrival, for the orphan TTL; never used by indicator math.
    pub arrived_at: Ts,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvState {
    pub opening: Option<OpeningFact>,
    /// Openings that lost to an earlier one: counted, otherwise ignored.
    pub ignored_openings: u32,
    /// Sorted by `OrderKey`.
    pub transfers: Vec<TransferFact>,
    /// Sorted by occurred_at.
    pub contacts: Vec<ContactFact>,
    pub first_safety_assessment: Option<Ts>,
    pub first_supervisory_review: Option<Ts>,
    pub first_determination: Option<(OrderKey, Finding)>,
    pub first_closed: Option<Ts>,
    /// Sorted by (occurred_at, event_id).
    pub removals: Vec<RemovalFact>,
    /// Child Safety Conference times, sorted.
    pub safety_conferences: Vec<Ts>,
    pub family_team_conferences: u32,
    pub pending: Vec<PendingFact>,
}

fn min_ts(slot: &mut Option<Ts>, t: Ts) {
    if slot.is_none_or(|cur| t < cur) {
        *slot = Some(t);
    }
}

fn insert_sorted<T: Ord>(v: &mut Vec<T>, item: T) {
    let at = v.partition_point(|x| *x <= item);
    v.insert(at, item);
}

/// What applying one event did, for counters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Applied {
    Applied,
    /// Held until its investigation's opening arrives.
    Held,
    /// An `investigation_opened` that lost to an earlier opening.
    IgnoredOpening,
}

impl InvState {
    pub fn is_opened(&self) -> bool {
        self.opening.is_some()
    }

    /// Folds one event into the state. Worker events do not belong here and are ignored.
    pub fn apply(&mut self, e: &Event, arrived_at: Ts) -> Applied {
        match &e.body {
            Body::InvestigationOpened(o) => return self.apply_opening(e, o),
            Body::InvestigationTransferred { worker_id, .. } => {
                let fact = TransferFact {
                    key: OrderKey::of(e),
                    zone: e.zone.clone(),
                    worker_id: worker_id.clone(),
                };
                let at = self.transfers.partition_point(|t| t.key <= fact.key);
                self.transfers.insert(at, fact);
            }
            // Every kind counts as the task event for the contact clock: the contract names
            // `contact_made` as the task without restricting its kind.
            Body::ContactMade {
                children_seen,
                by_ecs,
                ..
            } => {
                let fact = ContactFact {
                    occurred_at: e.occurred_at,
                    children_seen: *children_seen,
                    by_ecs: *by_ecs,
                };
                let at = self.contacts.partition_point(|c| {
                    (c.occurred_at, c.children_seen, c.by_ecs)
                        <= (fact.occurred_at, fact.children_seen, fact.by_ecs)
                });
                self.contacts.insert(at, fact);
            }
            Body::SafetyAssessmentCompleted { .. } => {
                min_ts(&mut self.first_safety_assessment, e.occurred_at)
            }
            Body::SupervisoryReviewCompleted { .. } => {
                min_ts(&mut self.first_supervisory_review, e.occurred_at)
            }
            Body::ConferenceHeld { kind, .. } => match kind {
                ConferenceKind::ChildSafety => {
                    insert_sorted(&mut self.safety_conferences, e.occurred_at)
                }
                ConferenceKind::FamilyTeam => self.family_team_conferences += 1,
            },
            Body::Removal {
                children,
                emergency,
                ..
            } => {
                let fact = RemovalFact {
                    event_id: e.event_id.clone(),
                    occurred_at: e.occurred_at,
                    children: *children,
                    emergency: *emergency,
                };
                let at = self.removals.partition_point(|r| {
                    (r.occurred_at, r.event_id.as_str())
                        <= (fact.occurred_at, fact.event_id.as_str())
                });
                self.removals.insert(at, fact);
            }
            Body::DeterminationMade { finding, .. } => {
                let key = OrderKey::of(e);
                if self
                    .first_determination
                    .as_ref()
                    .is_none_or(|(k, _)| key < *k)
                {
                    self.first_determination = Some((key, *finding));
                }
            }
            Body::InvestigationClosed { .. } => min_ts(&mut self.first_closed, e.occurred_at),
            Body::WorkerStatusChanged { .. } => return Applied::Applied,
        }
        if self.opening.is_none() {
            self.pending.push(PendingFact {
                zone: e.zone.clone(),
                arrived_at,
            });
            Applied::Held
        } else {
            Applied::Applied
        }
    }

    fn apply_opening(&mut self, e: &Event, o: &Opened) -> Applied {
        let candidate = OpeningFact {
            event_id: e.event_id.clone(),
            occurred_at: e.occurred_at,
            recorded_at: e.recorded_at,
            zone: e.zone.clone(),
            received_at: o.received_at,
            family_id: o.family_id.clone(),
            children: o.children,
            worker_id: o.worker_id.clone(),
            heightened_oversight: o.heightened_oversight,
            after_hours: o.after_hours,
        };
        match &self.opening {
            // The earliest opening by occurred_at, ties by event_id, defines the investigation.
            Some(cur)
                if (cur.occurred_at, cur.event_id.as_str())
                    <= (candidate.occurred_at, candidate.event_id.as_str()) =>
            {
                self.ignored_openings += 1;
                Applied::IgnoredOpening
            }
            Some(_) => {
                self.opening = Some(candidate);
                self.ignored_openings += 1;
                Applied::IgnoredOpening
            }
            None => {
                self.opening = Some(candidate);
                self.pending.clear();
                Applied::Applied
            }
        }
    }

    /// The investigation's zone at `t`: its latest transfer at or before `t`, else its opening's.
    pub fn zone_at(&self, t: Ts) -> Option<&str> {
        let opening = self.opening.as_ref()?;
        let idx = self.transfers.partition_point(|x| x.key.occurred_at <= t);
        Some(match idx {
            0 => opening.zone.as_str(),
            i => self.transfers[i - 1].zone.as_str(),
        })
    }

    /// The assigned worker at `t`: the latest opening or transfer at or before `t`.
    ///
    /// Unlike the zone, the definition ranks the opening with the transfers, so a transfer
    /// that occurred before the opening was entered does not outrank it.
    pub fn worker_at(&self, t: Ts) -> Option<&str> {
        let opening = self.opening.as_ref()?;
        let idx = self.transfers.partition_point(|x| x.key.occurred_at <= t);
        let transfer = idx.checked_sub(1).map(|i| &self.transfers[i]);
        let visible = opening.occurred_at <= t;
        match transfer {
            Some(tr) if !visible || opening.precedes(&tr.key) => Some(tr.worker_id.as_str()),
            _ if visible => Some(opening.worker_id.as_str()),
            _ => None,
        }
    }

    pub fn first_contact(&self) -> Option<Ts> {
        self.contacts.first().map(|c| c.occurred_at)
    }

    /// `[start, end)` during which the investigation is open: its opening is visible
    /// (occurred and received) and no closing has occurred.
    pub fn open_span(&self) -> Option<(Ts, Ts)> {
        let o = self.opening.as_ref()?;
        let start = o.received_at.max(o.occurred_at);
        let end = self.first_closed.unwrap_or(Ts::MAX);
        (start < end).then_some((start, end))
    }
}
