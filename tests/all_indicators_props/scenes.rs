//! Fixed scenes, added to every case whatever the seed: they give every indicator a non-zero
//! value at the DST instant, so no case can pass by comparing zeros.

use super::{Gen, CONF, CONTACT, DAY, DET, HOUR, NS, SA};
use childstat_core::event::{
    Body, ConferenceKind, ContactKind, Finding, Opened, Role, WorkerStatus,
};
use childstat_core::Ts;

fn opened_exact(inv: &str, r: i64, family: &str, worker: &str, flags: bool) -> Body {
    Body::InvestigationOpened(Opened {
        investigation_id: inv.to_string(),
        received_at: Ts(r),
        family_id: family.to_string(),
        children: 2,
        worker_id: worker.to_string(),
        supervisor_id: "XS1".into(),
        heightened_oversight: flags,
        after_hours: flags,
    })
}

/// Non-zero at `pivot`, citywide, in the 91d window; `first` is the earliest instant read.
pub(super) fn fixed(g: &mut Gen<'_>, pivot: i64, first: i64) {
    let t = g.tag;
    let (s1, s2, s3) = (format!("XP{t}-1"), format!("XP{t}-2"), format!("XP{t}-3"));
    let r1 = pivot - DET;
    g.push(
        r1,
        "Z01",
        opened_exact(&s1, r1, "XF-scene", "XW5", true),
        false,
    );
    let seen_all = |inv: &str| Body::ContactMade {
        investigation_id: inv.to_string(),
        kind: ContactKind::Initial,
        children_seen: 2,
        by_ecs: false,
    };
    g.push(r1 + CONTACT, "Z01", seen_all(&s1), false);
    g.task(&s1, r1 + SA + NS, 1);
    let det = Body::DeterminationMade {
        investigation_id: s1.clone(),
        finding: Finding::Indicated,
    };
    g.push(pivot, "Z01", det, false);
    g.task(&s1, pivot, 3);
    let removal = Body::Removal {
        investigation_id: s1.clone(),
        children: 2,
        emergency: true,
    };
    g.push(pivot - CONF, "Z01", removal, false);
    let conference = Body::ConferenceHeld {
        investigation_id: s1.clone(),
        kind: ConferenceKind::ChildSafety,
    };
    g.push(pivot, "Z01", conference, false);
    // A repeat of s1's family, with every clock overdue but the determination's.
    let r2 = pivot - SA - NS;
    g.push(
        r2,
        "Z02",
        opened_exact(&s2, r2, "XF-scene", "XW5", false),
        false,
    );
    // Determination overdue, the other two done on time.
    let r3 = pivot - DET - DAY;
    g.push(
        r3,
        "Z13",
        opened_exact(&s3, r3, "XF-other", "XW5", false),
        false,
    );
    g.task(&s3, r3 + HOUR, 0);
    g.task(&s3, r3 + SA, 1);
    // XW4 carries 12 open investigations until `pivot`, when a 13th puts them over the
    // threshold of 12 (strictly more).
    let body = Body::WorkerStatusChanged {
        worker_id: "XW4".into(),
        role: Role::Cps,
        status: WorkerStatus::Active,
    };
    g.push(first - 3 * DAY, "Z13", body, false);
    for k in 0..13 {
        let r = if k < 12 { first - DAY } else { pivot };
        let inv = format!("XC{t}-{k}");
        g.push(
            r,
            "Z13",
            opened_exact(&inv, r, "XF-load", "XW4", false),
            false,
        );
    }
}
