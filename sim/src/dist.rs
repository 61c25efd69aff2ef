//! Small sampling helpers over `ChaCha8Rng`.
//!
//! Hand-rolled rather than pulled from `rand_distr`: the simulator needs only a handful of
//! shapes, and owning them keeps streams stable across dependency upgrades.

use childstat_core::{Dur, Ts};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

pub(crate) type SimRng = ChaCha8Rng;

const NANOS_PER_MS: i64 = 1_000_000;

/// Uniform in `[0, 1)`.
pub(crate) fn unit(rng: &mut SimRng) -> f64 {
    rng.random::<f64>()
}

/// `true` with probability `p`; tolerates any `p` (values outside `[0, 1]` saturate).
pub(crate) fn chance(rng: &mut SimRng, p: f64) -> bool {
    unit(rng) < p
}

pub(crate) fn uniform(rng: &mut SimRng, lo: f64, hi: f64) -> f64 {
    lo + (hi - lo) * unit(rng)
}

pub(crate) fn exponential(rng: &mut SimRng, mean: f64) -> f64 {
    // 1 - u is in (0, 1], so the log is finite.
    -mean * (1.0 - unit(rng)).ln()
}

/// Standard normal by Box–Muller (one of the pair is discarded to keep the state simple).
pub(crate) fn normal(rng: &mut SimRng) -> f64 {
    let u1 = 1.0 - unit(rng);
    let u2 = unit(rng);
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

pub(crate) fn lognormal(rng: &mut SimRng, median: f64, sigma: f64) -> f64 {
    median * (sigma * normal(rng)).exp()
}

pub(crate) fn poisson(rng: &mut SimRng, lambda: f64) -> u32 {
    if lambda <= 0.0 {
        return 0;
    }
    if lambda > 30.0 {
        // Knuth's method underflows for large means; the normal approximation is plenty here.
        let x = lambda + lambda.sqrt() * normal(rng);
        return x.round().max(0.0) as u32;
    }
    let limit = (-lambda).exp();
    let mut k = 0u32;
    let mut p = unit(rng);
    while p > limit {
        k += 1;
        p *= unit(rng);
    }
    k
}

/// An index drawn in proportion to `weights`; `weights` must be non-empty.
pub(crate) fn weighted(rng: &mut SimRng, weights: &[f64]) -> usize {
    let total: f64 = weights.iter().sum();
    let mut x = unit(rng) * total;
    for (i, w) in weights.iter().enumerate() {
        if x < *w {
            return i;
        }
        x -= w;
    }
    weights.len().saturating_sub(1)
}

/// Uniform index below `n`; `n` must be positive.
pub(crate) fn index(rng: &mut SimRng, n: usize) -> usize {
    rng.random_range(0..n.max(1))
}

pub(crate) fn minutes(m: f64) -> Dur {
    Dur((m * 60e9) as i64)
}

pub(crate) fn hours(h: f64) -> Dur {
    Dur((h * 3_600e9) as i64)
}

pub(crate) fn days(d: f64) -> Dur {
    Dur((d * 86_400e9) as i64)
}

/// Whole milliseconds, rounded down: producers rarely send finer, and flooring keeps every
/// `a <= b` relation between generated instants intact.
pub(crate) fn floor_ms(t: Ts) -> Ts {
    Ts(t.0.div_euclid(NANOS_PER_MS) * NANOS_PER_MS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn means_are_plausible() {
        let mut rng = SimRng::seed_from_u64(7);
        let n = 20_000;
        let exp: f64 = (0..n).map(|_| exponential(&mut rng, 3.0)).sum::<f64>() / n as f64;
        assert!((exp - 3.0).abs() < 0.15, "{exp}");
        let poi: f64 = (0..n)
            .map(|_| f64::from(poisson(&mut rng, 4.0)))
            .sum::<f64>()
            / n as f64;
        assert!((poi - 4.0).abs() < 0.1, "{poi}");
        let big: f64 = (0..n)
            .map(|_| f64::from(poisson(&mut rng, 50.0)))
            .sum::<f64>()
            / n as f64;
        assert!((big - 50.0).abs() < 0.5, "{big}");
        let hits = (0..n)
            .filter(|_| weighted(&mut rng, &[1.0, 3.0]) == 1)
            .count();
        assert!((hits as f64 / n as f64 - 0.75).abs() < 0.02);
    }

    #[test]
    fn floor_keeps_order() {
        assert_eq!(floor_ms(Ts(1_999_999)), Ts(1_000_000));
        assert_eq!(floor_ms(Ts(-1)), Ts(-1_000_000));
    }
}
