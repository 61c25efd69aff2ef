//! A simulator stream over 3 partitions, through the real pipeline, checked over HTTP against
//! a naive recomputation from the raw events table.

mod common;

use childstat::StartOptions;
use childstat_core::Dur;
use common::recompute::{load, Naive};
use common::{as_kv, sim_messages, sim_start, Env};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pipeline_matches_recomputation_over_http() {
    let env = Env::new(3);
    let msgs = sim_messages(7, 6_000, 0.01, 0.005);
    env.produce(&as_kv(&msgs)).await;
    let cfg = env.config();
    let p = env.start(&cfg, StartOptions::default()).await;
    env.wait_caught_up(&p, Duration::from_secs(120)).await;

    let base = format!("http://{}", p.addr);
    let client = reqwest::Client::new();
    let zones: Vec<serde_json::Value> = client
        .get(format!("{base}/api/v1/zones"))
        .send()
        .await
        .expect("zones")
        .json()
        .await
        .expect("zones json");
    assert_eq!(zones.len(), 21);

    let naive = Naive::new(load(&env.db_path()));
    let last = msgs
        .iter()
        .map(|m| m.publish_time())
        .max()
        .expect("messages");
    let mut checked = 0;
    for as_of in [
        sim_start().plus(Dur::days(1)),
        sim_start().plus(Dur::hours(60)),
        last,
    ] {
        for (wname, w) in [("7d", Dur::days(7)), ("28d", Dur::days(28))] {
            for zone in ["citywide", "Z01", "Z07", "OSI"] {
                let url = format!(
                    "{base}/api/v1/zones/{zone}/indicators?window={wname}&as_of={}",
                    as_of.to_rfc3339().replace('+', "%2B")
                );
                let body: serde_json::Value = client
                    .get(&url)
                    .send()
                    .await
                    .expect("get")
                    .json()
                    .await
                    .expect("json");
                assert_eq!(body["zone"], zone);
                assert_eq!(body["window"], wname);
                let expected = naive.spine((zone != "citywide").then_some(zone), w.0, as_of);
                for (name, (num, den)) in expected {
                    let got = body["indicators"]
                        .as_array()
                        .expect("indicators")
                        .iter()
                        .find(|i| i["name"] == name)
                        .unwrap_or_else(|| panic!("{name} missing"));
                    assert_eq!(
                        got["numerator"], num,
                        "{name} numerator, {zone} {wname} at {as_of}"
                    );
                    if name.ends_with("_rate") {
                        assert_eq!(
                            got["denominator"], den,
                            "{name} denominator, {zone} {wname} at {as_of}"
                        );
                        if den == 0 {
                            assert!(got["value"].is_null());
                        }
                    }
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 0);
    // The stream really exercised the indicators.
    let city = naive.spine(None, Dur::days(28).0, last);
    assert!(city["intakes"].0 > 100, "{city:?}");
    assert!(city["contact_24h_rate"].1 > 50, "{city:?}");
    assert!(city["open_investigations"].0 > 50, "{city:?}");
    p.shutdown.cancel();
    p.wait().await.expect("clean shutdown");
}
