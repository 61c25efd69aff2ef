//! Fixed per-zone character drawn from the seed: size, staffing and how well it performs.

use crate::dist::{self, SimRng};
use childstat_core::ZoneSet;

/// The code of the Office of Special Investigations, which is small and never receives
/// borough transfers.
pub(crate) const OSI: &str = "OSI";

/// OSI's share of all intakes.
const OSI_SHARE: f64 = 0.03;

/// Probabilities that a zone meets each practice standard. Zones differ, and a zone that
/// is good at one thing tends to be good at the others, so the profile hangs off a single
/// latent "quality" with some noise per measure.
#[derive(Clone, Debug)]
pub(crate) struct Performance {
    pub contact_24h: f64,
    pub safety_7d: f64,
    pub determination_60d: f64,
    pub review_before_determination: f64,
    pub all_children_seen: f64,
    pub safety_conference_72h: f64,
    pub family_team_conference: f64,
}

#[derive(Clone, Debug)]
pub(crate) struct ZoneProfile {
    pub code: String,
    pub borough: String,
    pub osi: bool,
    /// Share of intakes.
    pub weight: f64,
    pub cps: u32,
    pub perf: Performance,
}

fn measure(rng: &mut SimRng, quality: f64, lo: f64, hi: f64) -> f64 {
    let x = (0.65 * quality + 0.35 * dist::unit(rng)).clamp(0.0, 1.0);
    lo + (hi - lo) * x
}

pub(crate) fn profiles(rng: &mut SimRng, zones: &ZoneSet) -> Vec<ZoneProfile> {
    let has_osi = zones.contains(OSI);
    let mut out: Vec<ZoneProfile> = zones
        .iter()
        .map(|z| {
            let osi = z.code == OSI;
            let quality = dist::unit(rng);
            // Zone sizes vary by about a factor of two across the city.
            let raw = dist::lognormal(rng, 1.0, 0.28);
            let cps = if osi {
                dist::uniform(rng, 14.5, 19.5).round() as u32
            } else {
                let fit = 55.0 * raw.sqrt() * dist::uniform(rng, 0.92, 1.08);
                fit.round().clamp(45.0, 65.0) as u32
            };
            let perf = Performance {
                contact_24h: measure(rng, quality, 0.80, 0.98),
                safety_7d: measure(rng, quality, 0.75, 0.95),
                determination_60d: measure(rng, quality, 0.60, 0.92),
                review_before_determination: measure(rng, quality, 0.82, 0.98),
                all_children_seen: measure(rng, quality, 0.78, 0.97),
                safety_conference_72h: measure(rng, quality, 0.72, 0.96),
                family_team_conference: measure(rng, quality, 0.06, 0.18),
            };
            ZoneProfile {
                code: z.code.clone(),
                borough: z.borough.clone(),
                osi,
                weight: raw,
                cps,
                perf,
            }
        })
        .collect();
    let borough_total: f64 = out.iter().filter(|z| !z.osi).map(|z| z.weight).sum();
    let only_osi = borough_total <= 0.0;
    let borough_share = if has_osi { 1.0 - OSI_SHARE } else { 1.0 };
    for z in &mut out {
        z.weight = match (z.osi, only_osi) {
            (true, true) => 1.0,
            (true, false) => OSI_SHARE,
            (false, _) => z.weight / borough_total * borough_share,
        };
    }
    out
}
