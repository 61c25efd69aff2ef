//! How long after the fact an entry reaches the system (18 NYCRR 428.5 records both).

use crate::dist::{self, days, minutes, SimRng};
use childstat_core::Dur;

#[derive(Clone, Copy)]
pub(crate) enum Entry {
    /// Intake and routing, recorded by the system itself within minutes, bar outages.
    System,
    /// Progress notes typed up by caseworkers: usually the same day, sometimes weeks later.
    Note,
    /// Personnel changes keyed by HR.
    Personnel,
}

pub(crate) fn delay(rng: &mut SimRng, entry: Entry) -> Dur {
    let u = dist::unit(rng);
    match entry {
        Entry::System if u < 0.03 => days(dist::uniform(rng, 1.0, 4.0)),
        Entry::System => minutes(dist::lognormal(rng, 8.0, 1.0).clamp(0.1, 360.0)),
        Entry::Note if u < 0.01 => days(dist::uniform(rng, 7.0, 30.0)),
        Entry::Note if u < 0.11 => days(dist::uniform(rng, 1.0, 7.0)),
        Entry::Note => minutes(dist::lognormal(rng, 45.0, 1.1).clamp(0.2, 20.0 * 60.0)),
        Entry::Personnel if u < 0.05 => days(dist::uniform(rng, 1.0, 7.0)),
        Entry::Personnel => minutes(dist::lognormal(rng, 60.0, 1.0).clamp(1.0, 600.0)),
    }
}
