//! Regulatory clock lengths. Exact durations: DST never stretches them.

use crate::time::Dur;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Clocks {
    pub contact: Dur,
    pub safety_assessment: Dur,
    pub determination: Dur,
    pub safety_conference: Dur,
}

impl Default for Clocks {
    fn default() -> Self {
        Clocks {
            contact: Dur::hours(24),
            safety_assessment: Dur::days(7),
            determination: Dur::days(60),
            safety_conference: Dur::hours(72),
        }
    }
}

/// The repeat-investigation look-back: `[received_at - 365d, received_at)`.
pub const REPEAT_LOOKBACK: Dur = Dur::days(365);
