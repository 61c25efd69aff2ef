//! Ranking zones against each other for the comparison view.

use crate::indicator::Better;

/// Competition ranks ("1, 2, 2, 4") of `values`, 1 the best; values without a number (a rate
/// over no cases) get no rank. Without a better direction, 1 is the highest value.
pub fn competition_ranks(values: &[Option<f64>], better: Option<Better>) -> Vec<Option<u32>> {
    let ahead = |a: f64, b: f64| match better {
        Some(Better::Lower) => a < b,
        Some(Better::Higher) | None => a > b,
    };
    values
        .iter()
        .map(|v| {
            let v = (*v)?;
            let before = values
                .iter()
                .flatten()
                .filter(|&&other| ahead(other, v))
                .count();
            Some(before as u32 + 1)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_share_a_rank_and_the_next_rank_skips() {
        let v = [Some(0.9), Some(0.95), None, Some(0.9), Some(0.5)];
        assert_eq!(
            competition_ranks(&v, Some(Better::Higher)),
            [Some(2), Some(1), None, Some(2), Some(4)]
        );
        assert_eq!(
            competition_ranks(&v, Some(Better::Lower)),
            [Some(2), Some(4), None, Some(2), Some(1)]
        );
        assert_eq!(
            competition_ranks(&v, None),
            competition_ranks(&v, Some(Better::Higher))
        );
    }

    #[test]
    fn all_missing_gives_no_ranks() {
        assert_eq!(competition_ranks(&[None, None], None), [None, None]);
    }
}
