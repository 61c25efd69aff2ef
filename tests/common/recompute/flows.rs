//! Flow indicators: each member has an attribution instant and the zone its investigation
//! was in at that instant; a range counts the members whose instant falls in it.

use super::{
    count, in_zone, rate, shape, Inv, Naive, Shape, Value, CONTACT, DETERMINATION, REPEAT_LOOKBACK,
    SAFETY_ASSESSMENT, SAFETY_CONFERENCE,
};

pub(super) struct Member {
    pub name: &'static str,
    pub at: i64,
    pub zone: String,
    pub num: i64,
    pub den: i64,
}

/// Every flow member of every investigation, as the data now stands.
pub(super) fn members(invs: &[Inv]) -> Vec<Member> {
    let mut out = Vec::new();
    for inv in invs {
        let mut add = |name: &'static str, at: i64, num: i64, den: i64| {
            out.push(Member {
                name,
                at,
                zone: inv.zone_at(at).to_string(),
                num,
                den,
            });
        };
        let r = inv.received();
        add("intakes", r, 1, 0);

        let family = inv.opening.family_id.as_deref().expect("family_id");
        let repeat = invs.iter().any(|other| {
            other.id != inv.id
                && other.opening.family_id.as_deref() == Some(family)
                && r - REPEAT_LOOKBACK <= other.received()
                && other.received() < r
        });
        add("repeat_within_12m_rate", r, i64::from(repeat), 1);

        let by_ecs = inv.of_type("contact_made").any(|c| c.by_ecs == Some(true));
        if inv.opening.after_hours == Some(true) || by_ecs {
            add("ecs_involved", r, 1, 0);
        }

        for (name, len, task) in [
            ("contact_24h_rate", CONTACT, "contact_made"),
            (
                "safety_assessment_7d_rate",
                SAFETY_ASSESSMENT,
                "safety_assessment_completed",
            ),
            (
                "determination_60d_rate",
                DETERMINATION,
                "determination_made",
            ),
        ] {
            let deadline = r + len;
            let met = inv
                .earliest(task)
                .is_some_and(|e| e.occurred_at <= deadline);
            add(name, deadline, i64::from(met), 1);
        }

        if let Some(det) = inv.earliest("determination_made") {
            let at = det.occurred_at;
            let indicated = det.outcome.as_deref() == Some("indicated");
            add("indication_rate", at, i64::from(indicated), 1);
            let reviewed = inv
                .of_type("supervisory_review_completed")
                .any(|e| e.occurred_at <= at);
            add("supervisory_review_rate", at, i64::from(reviewed), 1);
            let children = inv.opening.children.expect("children");
            let all_seen = inv
                .of_type("contact_made")
                .any(|c| c.occurred_at <= at && c.children_seen.expect("seen") >= children);
            add("all_children_seen_rate", at, i64::from(all_seen), 1);
        }

        for rem in inv.of_type("removal") {
            add(
                "children_removed",
                rem.occurred_at,
                rem.children.expect("children"),
                0,
            );
            if rem.emergency == Some(true) {
                let deadline = rem.occurred_at + SAFETY_CONFERENCE;
                let met = inv.of_type("conference_held").any(|c| {
                    c.kind.as_deref() == Some("child_safety")
                        && rem.occurred_at <= c.occurred_at
                        && c.occurred_at <= deadline
                });
                add("safety_conference_rate", deadline, i64::from(met), 1);
            }
        }
    }
    out
}

impl Naive {
    /// One flow indicator over the members whose attribution instant satisfies `in_range`.
    pub(super) fn flow(
        &self,
        zone: Option<&str>,
        name: &str,
        in_range: impl Fn(i64) -> bool,
    ) -> Value {
        let (mut num, mut den) = (0, 0);
        for m in &self.members {
            if m.name == name && in_zone(zone, &m.zone) && in_range(m.at) {
                num += m.num;
                den += m.den;
            }
        }
        match shape(name) {
            Shape::FlowCount => count(num),
            Shape::FlowRate | Shape::FlowDueRate => rate(num, den),
            other => panic!("{name} is not a flow ({other:?})"),
        }
    }
}
