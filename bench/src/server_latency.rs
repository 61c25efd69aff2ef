//! The server's own view of request latency, from the request-duration histogram on
//! `/metrics`: scraped before and after a load run, the difference is the run's requests.
//! Beside wrk's figures it separates time spent in childstat's handlers from time spent
//! waiting for a core (the load generator shares the machine).

use childstat_telemetry::names::HTTP_REQUEST_SECONDS;

/// One route's cumulative bucket counts: (upper bound in seconds, requests at or below it).
pub type Buckets = Vec<(f64, f64)>;

/// Reads one route's buckets from Prometheus text exposition.
pub fn route_buckets(metrics: &str, route: &str) -> Buckets {
    let prefix = format!("{HTTP_REQUEST_SECONDS}_bucket{{");
    let route_label = format!("route=\"{route}\"");
    let mut out = Buckets::new();
    for line in metrics.lines() {
        let Some(rest) = line.strip_prefix(&prefix) else {
            continue;
        };
        let Some((labels, value)) = rest.split_once("} ") else {
            continue;
        };
        if !labels.split(',').any(|l| l == route_label) {
            continue;
        }
        let le = labels
            .split(',')
            .find_map(|l| l.strip_prefix("le=\""))
            .and_then(|l| l.strip_suffix('"'))
            .and_then(|l| l.parse::<f64>().ok());
        if let (Some(le), Ok(n)) = (le, value.trim().parse::<f64>()) {
            out.push((le, n));
        }
    }
    out.sort_by(|a, b| a.0.total_cmp(&b.0));
    out
}

/// The upper bound (ms) of the bucket holding quantile `q` of the requests between two
/// scrapes; `None` without requests.
pub fn quantile_bound_ms(before: &Buckets, after: &Buckets, q: f64) -> Option<f64> {
    let count_before = |le: f64| {
        before
            .iter()
            .find(|(b, _)| *b == le)
            .map_or(0.0, |(_, n)| *n)
    };
    let diff: Vec<(f64, f64)> = after
        .iter()
        .map(|(le, n)| (*le, n - count_before(*le)))
        .collect();
    let total = diff.last()?.1;
    if total <= 0.0 {
        return None;
    }
    diff.iter()
        .find(|(_, n)| *n >= q * total)
        .map(|(le, _)| le * 1e3)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(counts: [u64; 4]) -> String {
        let les = ["0.0005", "0.001", "0.002", "+Inf"];
        let mut s = String::from("# HELP x\n");
        for (le, n) in les.iter().zip(counts) {
            s.push_str(&format!(
                "{HTTP_REQUEST_SECONDS}_bucket{{route=\"/a\",le=\"{le}\"}} {n}\n"
            ));
            s.push_str(&format!(
                "{HTTP_REQUEST_SECONDS}_bucket{{route=\"/b\",le=\"{le}\"}} 7\n"
            ));
        }
        s
    }

    #[test]
    fn bounds_the_quantile_of_the_requests_between_scrapes() {
        let before = route_buckets(&text([10, 10, 10, 10]), "/a");
        assert_eq!(before.len(), 4);
        // 100 new requests: 50 under 0.5 ms, 49 more under 1 ms, one under 2 ms.
        let after = route_buckets(&text([60, 109, 110, 110]), "/a");
        assert_eq!(quantile_bound_ms(&before, &after, 0.5), Some(0.5));
        assert_eq!(quantile_bound_ms(&before, &after, 0.99), Some(1.0));
        assert_eq!(quantile_bound_ms(&before, &after, 1.0), Some(2.0));
        assert_eq!(quantile_bound_ms(&before, &before, 0.5), None);
    }
}
