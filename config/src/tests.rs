use super::*;
use std::io::Write;
use std::path::Path;

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn user_file(text: &str) -> tempfile::NamedTempFile {
    let mut f = tempfile::Builder::new().suffix(".toml").tempfile().unwrap();
    f.write_all(text.as_bytes()).unwrap();
    f
}

fn load_err(file: Option<&Path>, vars: &[(&str, &str)]) -> ConfigError {
    match Config::load_from(file, &env(vars)) {
        Ok(c) => panic!("expected an error, loaded {c:?}"),
        Err(e) => e,
    }
}

fn invalid(change: impl FnOnce(&mut Config)) -> String {
    let mut c = Config::embedded_defaults();
    change(&mut c);
    let err = c.validate().expect_err("expected a validation error");
    assert!(matches!(err, ConfigError::Invalid { .. }), "{err:?}");
    err.to_string()
}

#[test]
fn embedded_defaults_load_and_validate() {
    let c = Config::embedded_defaults();
    c.validate().unwrap();
    assert_eq!(c, Config::load_from(None, &[]).unwrap());

    let codes: Vec<&str> = c.zones.iter().map(|z| z.code.as_str()).collect();
    let mut expected: Vec<String> = (1..=20).map(|i| format!("Z{i:02}")).collect();
    expected.push("OSI".into());
    assert_eq!(codes, expected);
    assert_eq!(c.zone_set().len(), 21);
    assert_eq!(c.zone_set().get("OSI").unwrap().borough, "Citywide");

    assert!(c.kafka.embedded());
    assert_eq!(c.kafka.topic, "childstat.events");
    assert_eq!(c.kafka.dlq_topic(), "childstat.events.dlq");
    assert_eq!(c.kafka.group_id, "childstat-aggregator");
    assert_eq!(c.kafka.auto_offset_reset, OffsetReset::Earliest);
    assert_eq!(c.kafka.embedded_partitions, 3);
    assert_eq!(c.kafka.batch_size, 20000);
    assert_eq!(c.kafka.batch_max_bytes, 16 << 20);
    assert_eq!(c.kafka.group_instance_id, "");
    assert_eq!(c.kafka.assignment, Assignment::Group);
    assert_eq!(c.ingest.stall_after, Duration::from_secs(60));
    assert_eq!(c.ingest.watch_interval, Duration::from_secs(5));
    assert_eq!(c.kafka.batch_linger, Duration::from_millis(20));
    assert_eq!(c.kafka.max_message_bytes, 65536);
    assert_eq!(c.kafka.max_future_skew_dur(), Dur::hours(24));
    assert_eq!(c.kafka.orphan_ttl_dur(), Dur::days(7));
    assert!(c.kafka.properties.is_empty());

    assert_eq!(c.storage.path, PathBuf::from("./data/childstat.duckdb"));
    assert_eq!(c.storage.read_connections, 4);
    assert_eq!(c.storage.memory_limit, None);
    assert_eq!(c.clocks.clocks(), childstat_core::Clocks::default());
    assert_eq!(c.indicators.time_zone, chrono_tz::America::New_York);
    assert_eq!(c.indicators.caseload_threshold, 12);
    assert_eq!(c.http.bind, "127.0.0.1:8080".parse().unwrap());
    assert_eq!(c.http.request_timeout, Duration::from_secs(10));
    assert_eq!(c.simulator.seed, 42);
    assert_eq!(c.simulator.history_dur(), Dur::days(91));
    assert_eq!(c.simulator.speed, 259200.0);
    assert_eq!(c.simulator.duplicate_fraction, 0.01);
    assert_eq!(c.simulator.invalid_fraction, 0.005);
    assert_eq!(c.simulator.investigations_per_year, 60000);
    assert_eq!(c.log.level, "info");
    assert_eq!(c.log.format, LogFormat::Text);
}

#[test]
fn group_instance_id_is_configured_or_a_host_name_or_off() {
    let mut k = Config::embedded_defaults().kafka;
    k.group_instance_id = " pod-a ".into();
    assert_eq!(k.group_instance_id().as_deref(), Some("pod-a"));
    k.group_instance_id = "-".into();
    assert_eq!(k.group_instance_id(), None);
    // Empty: some host name; every Linux host has one.
    k.group_instance_id = String::new();
    assert!(k.group_instance_id().is_some_and(|id| !id.is_empty()));
}

#[test]
fn optional_keys_are_documented_in_the_defaults_file() {
    for key in ["# dlq_topic = ", "# memory_limit = ", "[kafka.properties]"] {
        assert!(DEFAULTS_TOML.contains(key), "{key}");
    }
}

#[test]
fn serializes_back_to_the_same_config() {
    let c = Config::embedded_defaults();
    let back: Config = figment::Figment::from(figment::providers::Serialized::defaults(&c))
        .extract()
        .unwrap();
    assert_eq!(back, c);
}

#[test]
fn env_overrides_defaults() {
    let c = Config::load_from(
        None,
        &env(&[
            ("CHILDSTAT__KAFKA__BROKERS", "host:9092"),
            ("CHILDSTAT__KAFKA__BATCH_SIZE", "100"),
            ("CHILDSTAT__KAFKA__BATCH_LINGER", "250ms"),
            ("CHILDSTAT__KAFKA__AUTO_OFFSET_RESET", "latest"),
            ("childstat__clocks__determination", "30d"),
            ("CHILDSTAT__HTTP__BIND", "0.0.0.0:8080"),
            ("CHILDSTAT__STORAGE__MEMORY_LIMIT", "1GB"),
            ("CHILDSTAT__INDICATORS__TIME_ZONE", "America/Chicago"),
            ("CHILDSTAT__SIMULATOR__SPEED", "3600"),
            ("CHILDSTAT__KAFKA__ASSIGNMENT", "manual"),
            ("CHILDSTAT__LOG__FORMAT", "json"),
            ("OTHER__KAFKA__TOPIC", "ignored"),
            ("CHILDSTAT__", "ignored"),
        ]),
    )
    .unwrap();
    assert_eq!(c.kafka.brokers, "host:9092");
    assert!(!c.kafka.embedded());
    assert_eq!(c.kafka.batch_size, 100);
    assert_eq!(c.kafka.batch_linger, Duration::from_millis(250));
    assert_eq!(c.kafka.auto_offset_reset, OffsetReset::Latest);
    assert_eq!(c.kafka.assignment, Assignment::Manual);
    assert_eq!(c.kafka.topic, "childstat.events");
    assert_eq!(c.clocks.clocks().determination, Dur::days(30));
    assert_eq!(c.clocks.clocks().contact, Dur::hours(24));
    assert_eq!(c.http.bind, "0.0.0.0:8080".parse().unwrap());
    assert_eq!(c.storage.memory_limit.as_deref(), Some("1GB"));
    assert_eq!(c.indicators.time_zone, chrono_tz::America::Chicago);
    assert_eq!(c.simulator.speed, 3600.0);
    assert_eq!(c.log.format, LogFormat::Json);
}

#[test]
fn env_sets_librdkafka_properties_with_dotted_names() {
    let file = user_file("[kafka.properties]\n\"security.protocol\" = \"PLAINTEXT\"\n");
    let c = Config::load_from(
        Some(file.path()),
        &env(&[
            (
                "CHILDSTAT__KAFKA__PROPERTIES__SECURITY_PROTOCOL",
                "SASL_SSL",
            ),
            ("CHILDSTAT__KAFKA__PROPERTIES__QUEUE_BUFFERING_MAX_MS", "5"),
            ("CHILDSTAT__KAFKA__PROPERTIES__ENABLE_IDEMPOTENCE", "true"),
        ]),
    )
    .unwrap();
    let props: Vec<(&str, &str)> = c
        .kafka
        .properties
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        props,
        [
            ("enable.idempotence", "true"),
            ("queue.buffering.max.ms", "5"),
            ("security.protocol", "SASL_SSL"),
        ]
    );
}

#[test]
fn process_environment_is_read_by_load() {
    // The only test touching the process environment, and the only caller of `load`.
    std::env::set_var("CHILDSTAT__KAFKA__GROUP_ID", "from-process-env");
    let c = Config::load(None);
    std::env::remove_var("CHILDSTAT__KAFKA__GROUP_ID");
    assert_eq!(c.unwrap().kafka.group_id, "from-process-env");
}

#[test]
fn user_file_is_merged_over_defaults_and_env_wins() {
    let file = user_file(
        "[kafka]\ntopic = \"cases\"\nbatch_size = 10\n\n[http]\nbind = \"0.0.0.0:9000\"\n",
    );
    let c = Config::load_from(Some(file.path()), &[]).unwrap();
    assert_eq!(c.kafka.topic, "cases");
    assert_eq!(c.kafka.dlq_topic(), "cases.dlq");
    assert_eq!(c.kafka.batch_size, 10);
    assert_eq!(c.kafka.group_id, "childstat-aggregator");
    assert_eq!(c.http.bind, "0.0.0.0:9000".parse().unwrap());
    assert_eq!(c.http.request_timeout, Duration::from_secs(10));
    assert_eq!(c.zones.len(), 21);

    let vars = env(&[("CHILDSTAT__KAFKA__BATCH_SIZE", "20")]);
    let c = Config::load_from(Some(file.path()), &vars).unwrap();
    assert_eq!((c.kafka.topic.as_str(), c.kafka.batch_size), ("cases", 20));
}

#[test]
fn user_file_replaces_the_zone_list_whole() {
    let file = user_file(
        "zones = [\n  { code = \"N1\", name = \"North\", borough = \"Bronx\" },\n  \
         { code = \"S1\", name = \"South\", borough = \"Brooklyn\" },\n]\n",
    );
    let c = Config::load_from(Some(file.path()), &[]).unwrap();
    assert_eq!(c.zone_set().codes().collect::<Vec<_>>(), ["N1", "S1"]);
}

#[test]
fn unknown_key_in_file_names_key_and_file() {
    let file = user_file("[kafka]\nbatch_sise = 3\n");
    let err = load_err(Some(file.path()), &[]);
    let msg = err.to_string();
    assert!(msg.contains("unknown field `batch_sise` in kafka"), "{msg}");
    assert!(msg.contains("`batch_size`"), "{msg}");
    assert!(msg.contains(&file.path().display().to_string()), "{msg}");
    assert_eq!(err.key(), Some("kafka.batch_sise"));

    let file = user_file("[kafak]\nbrokers = \"x\"\n");
    let msg = load_err(Some(file.path()), &[]).to_string();
    assert!(
        msg.contains("unknown field `kafak` at the top level"),
        "{msg}"
    );

    let file = user_file("zones = [{ code = \"A\", name = \"A\", borough = \"B\", x = 1 }]\n");
    let msg = load_err(Some(file.path()), &[]).to_string();
    assert!(msg.contains("unknown field `x` in zones[0]"), "{msg}");
}

#[test]
fn unknown_env_key_names_the_variable() {
    let err = load_err(None, &[("CHILDSTAT__KAFKA__BOGUS", "1")]);
    let msg = err.to_string();
    assert!(msg.contains("unknown field `bogus` in kafka"), "{msg}");
    assert!(
        msg.contains("from environment variable CHILDSTAT__KAFKA__BOGUS"),
        "{msg}"
    );
    assert_eq!(err.key(), Some("kafka.bogus"));
}

#[test]
fn wrong_types_name_key_and_source() {
    let err = load_err(None, &[("CHILDSTAT__KAFKA__BATCH_SIZE", "lots")]);
    let msg = err.to_string();
    assert!(msg.starts_with("kafka.batch_size: invalid type"), "{msg}");
    assert!(msg.contains("CHILDSTAT__KAFKA__BATCH_SIZE"), "{msg}");

    let file = user_file("[clocks]\ncontact = \"soon\"\n");
    let msg = load_err(Some(file.path()), &[]).to_string();
    assert!(msg.starts_with("clocks.contact: "), "{msg}");
    assert!(msg.contains(&file.path().display().to_string()), "{msg}");

    let msg = load_err(None, &[("CHILDSTAT__HTTP__BIND", "localhost")]).to_string();
    assert!(msg.starts_with("http.bind: "), "{msg}");

    let msg = load_err(None, &[("CHILDSTAT__LOG__FORMAT", "xml")]).to_string();
    assert!(
        msg.starts_with("log.format: unknown value `xml`; expected one of `text`, `json`"),
        "{msg}"
    );
}

#[test]
fn unknown_time_zone_is_rejected() {
    let err = load_err(None, &[("CHILDSTAT__INDICATORS__TIME_ZONE", "Mars/Base")]);
    let msg = err.to_string();
    assert!(
        msg.starts_with("indicators.time_zone: unknown time zone `Mars/Base`"),
        "{msg}"
    );
    assert_eq!(err.key(), Some("indicators.time_zone"));
}

#[test]
fn unreadable_or_malformed_files_fail() {
    let missing = Path::new("/nonexistent/childstat.toml");
    assert!(matches!(
        load_err(Some(missing), &[]),
        ConfigError::Read { .. }
    ));

    let file = user_file("[kafka\n");
    let msg = load_err(Some(file.path()), &[]).to_string();
    assert!(msg.contains("TOML parse error"), "{msg}");
    assert!(msg.contains(&file.path().display().to_string()), "{msg}");
}

#[test]
fn load_validates() {
    let err = load_err(None, &[("CHILDSTAT__KAFKA__BATCH_SIZE", "0")]);
    assert_eq!(
        err.to_string(),
        "kafka.batch_size must be at least 1, not 0"
    );
    assert_eq!(err.key(), Some("kafka.batch_size"));
}

#[test]
fn validation_messages_name_the_key() {
    let cases: Vec<(String, &str)> = vec![
        (
            invalid(|c| c.kafka.batch_size = 0),
            "kafka.batch_size must be at least 1",
        ),
        (
            invalid(|c| c.zones[3].code = "Z01".into()),
            "zones[3].code `Z01` is duplicated (first at zones[0])",
        ),
        (
            invalid(|c| c.zones[2].code = String::new()),
            "zones[2].code must not be empty",
        ),
        (
            invalid(|c| c.zones[0].code = "x".repeat(129)),
            "zones[0].code `xxx",
        ),
        (
            invalid(|c| c.zones[1].code = "Citywide".into()),
            "zones[1].code `Citywide` is reserved",
        ),
        (
            invalid(|c| c.zones[1].code = " Z02".into()),
            "zones[1].code ` Z02` has leading or trailing whitespace",
        ),
        (
            invalid(|c| c.zones.clear()),
            "zones must list at least one zone",
        ),
        (
            invalid(|c| c.simulator.duplicate_fraction = 1.5),
            "simulator.duplicate_fraction must be between 0 and 1",
        ),
        (
            invalid(|c| c.simulator.invalid_fraction = f64::NAN),
            "simulator.invalid_fraction must be between 0 and 1",
        ),
        (
            invalid(|c| c.simulator.speed = 0.0),
            "simulator.speed must be a positive number",
        ),
        (
            invalid(|c| c.clocks.contact = Duration::ZERO),
            "clocks.contact must be longer than zero",
        ),
        (
            invalid(|c| c.kafka.batch_linger = Duration::ZERO),
            "kafka.batch_linger must be longer than zero",
        ),
        (
            invalid(|c| c.kafka.batch_max_bytes = 1000),
            "kafka.batch_max_bytes must be at least 65536",
        ),
        (
            invalid(|c| c.ingest.stall_after = Duration::ZERO),
            "ingest.stall_after must be longer than zero",
        ),
        (
            invalid(|c| c.storage.read_connections = 0),
            "storage.read_connections must be at least 1",
        ),
        (
            invalid(|c| c.kafka.dlq_topic = Some(c.kafka.topic.clone())),
            "kafka.dlq_topic must differ from kafka.topic",
        ),
        (
            invalid(|c| c.kafka.topic = "bad topic".into()),
            "kafka.topic `bad topic` is not",
        ),
        (
            invalid(|c| c.kafka.group_id = " ".into()),
            "kafka.group_id must not be empty",
        ),
        (
            invalid(|c| c.storage.memory_limit = Some(String::new())),
            "storage.memory_limit must not be empty",
        ),
    ];
    for (message, expected) in cases {
        assert!(
            message.starts_with(expected),
            "{message:?} should start with {expected:?}"
        );
    }
}

#[test]
fn a_129_character_code_is_too_long_but_128_is_fine() {
    invalid(|c| c.zones[0].code = "é".repeat(129));
    let mut c = Config::embedded_defaults();
    c.zones[0].code = "é".repeat(128);
    c.validate().unwrap();
}

#[test]
fn default_alerts_load_as_rules() {
    use childstat_core::alerts::{Op, Severity, Window};
    let c = Config::embedded_defaults();
    assert_eq!(c.alerting.interval, Duration::from_secs(30));
    let rules = c.alert_rules().unwrap();
    assert_eq!(rules.len(), c.alerts.len());
    assert!(
        rules.len() >= 6,
        "the agency's defaults cover the main clocks"
    );
    let contact = rules.iter().find(|r| r.name == "contact_24h_low").unwrap();
    assert_eq!(contact.indicator, childstat_core::Indicator::Contact24hRate);
    assert_eq!((contact.op, contact.threshold), (Op::Lt, 0.90));
    assert_eq!(contact.window, Window::D28);
    assert_eq!(contact.hold, Dur::hours(1));
    assert_eq!(contact.severity, Severity::Critical);
    assert!(!contact.runbook.is_empty() && !contact.runbook.ends_with('\n'));
    let det = rules
        .iter()
        .find(|r| r.name == "determination_60d_low")
        .unwrap();
    assert_eq!(det.threshold_for("OSI"), 0.75);
    assert_eq!(det.threshold_for("Z07"), 0.85);
}

#[test]
fn a_user_file_replaces_the_alert_list() {
    let file = user_file(
        "[[alerts]]\nname = \"intakes_high\"\nindicator = \"intakes\"\nop = \">=\"\n\
         threshold = 400\nwindow = \"7d\"\nfor = \"0s\"\nseverity = \"warning\"\n\
         runbook = \"Check staffing.\"\nzones = { Z07 = 250, citywide = 9000 }\n",
    );
    let c = Config::load_from(Some(file.path()), &[]).unwrap();
    let rules = c.alert_rules().unwrap();
    assert_eq!(rules.len(), 1);
    assert_eq!(rules[0].threshold_for("Z07"), 250.0);
    assert_eq!(rules[0].threshold_for("citywide"), 9000.0);
    assert_eq!(rules[0].hold, Dur(0));

    let none = user_file("alerts = []\n");
    let c = Config::load_from(Some(none.path()), &[]).unwrap();
    assert!(c.alerts.is_empty());
}

#[test]
fn alert_keys_are_checked_while_loading() {
    let entry = |extra: &str| {
        user_file(&format!(
            "[[alerts]]\nname = \"a\"\nindicator = \"intakes\"\nthreshold = 1\n\
             window = \"7d\"\nfor = \"1h\"\nseverity = \"warning\"\nrunbook = \"r\"\n{extra}\n"
        ))
    };
    let msg = load_err(Some(entry("op = \"=\"").path()), &[]).to_string();
    assert!(msg.starts_with("alerts[0].op: unknown value `=`"), "{msg}");
    let msg = load_err(Some(entry("op = \"<\"\nwindow_ = 1").path()), &[]).to_string();
    assert!(
        msg.contains("unknown field `window_` in alerts[0]"),
        "{msg}"
    );
    let f = user_file(
        "[[alerts]]\nname = \"a\"\nindicator = \"intakes\"\nop = \"<\"\nthreshold = 1\n\
         window = \"30d\"\nfor = \"1h\"\nseverity = \"warning\"\nrunbook = \"r\"\n",
    );
    let msg = load_err(Some(f.path()), &[]).to_string();
    assert!(
        msg.starts_with("alerts[0].window: unknown value `30d`"),
        "{msg}"
    );
    let err = load_err(None, &[("CHILDSTAT__ALERTING__INTERVAL", "0s")]);
    assert_eq!(
        err.to_string(),
        "alerting.interval must be longer than zero"
    );
}

#[test]
fn alert_validation_names_the_key() {
    let cases: Vec<(String, &str)> = vec![
        (
            invalid(|c| c.alerts[1].name = c.alerts[0].name.clone()),
            "alerts[1].name `contact_24h_low` is duplicated (first at alerts[0])",
        ),
        (
            invalid(|c| c.alerts[0].name = "Contact-Low".into()),
            "alerts[0].name `Contact-Low` must be snake_case",
        ),
        (
            invalid(|c| c.alerts[0].name = "a".repeat(65)),
            "alerts[0].name `aaa",
        ),
        (
            invalid(|c| c.alerts[2].indicator = "contact_rate".into()),
            "alerts[2].indicator `contact_rate` is not an indicator; expected one of intakes,",
        ),
        (
            invalid(|c| c.alerts[0].threshold = f64::NAN),
            "alerts[0].threshold must be a finite number",
        ),
        (
            invalid(|c| c.alerts[0].hold = Duration::from_millis(1500)),
            "alerts[0].for must be a whole number of seconds",
        ),
        (
            invalid(|c| c.alerts[0].runbook = " \n".into()),
            "alerts[0].runbook must not be empty",
        ),
        (
            invalid(|c| {
                c.alerts[0].zones.insert("Z99".into(), 0.5);
            }),
            "alerts[0].zones.Z99 is not a configured zone code, `OSI` or `citywide`",
        ),
        (
            invalid(|c| {
                c.alerts[0].zones.insert("OSI".into(), f64::INFINITY);
            }),
            "alerts[0].zones.OSI must be a finite number",
        ),
        (
            invalid(|c| c.alerting.interval = Duration::ZERO),
            "alerting.interval must be longer than zero",
        ),
    ];
    for (message, expected) in cases {
        assert!(
            message.starts_with(expected),
            "{message:?} should start with {expected:?}"
        );
    }
    let err = Config {
        alerts: vec![],
        ..Config::embedded_defaults()
    };
    err.validate().unwrap();
}
