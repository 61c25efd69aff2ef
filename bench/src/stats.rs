//! Percentiles and run summaries.

use std::time::Duration;

pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// The median of per-run values and their spread (max − min).
pub fn median_spread(mut xs: Vec<f64>) -> (f64, f64) {
    xs.sort_by(f64::total_cmp);
    let median = if xs.is_empty() { 0.0 } else { xs[xs.len() / 2] };
    let spread = xs.last().copied().unwrap_or(0.0) - xs.first().copied().unwrap_or(0.0);
    (median, spread)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let xs: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile(&xs, 50.0), Duration::from_millis(50));
        assert_eq!(percentile(&xs, 99.0), Duration::from_millis(99));
        assert_eq!(percentile(&xs, 100.0), Duration::from_millis(100));
        assert_eq!(median_spread(vec![3.0, 1.0, 2.0]), (2.0, 2.0));
    }
}
