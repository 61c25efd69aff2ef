//! Command-line interface.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(
    name = "childstat",
    version,
    about = "ChildStat data backbone: Kafka ingest, exactly-once DuckDB indicators, and an HTTP API",
    long_about = "ChildStat data backbone.\n\nConsumes case-status events (contract v1) from Kafka, validates them (bad ones go to a \
dead-letter topic with the reason), keeps per-zone indicators in DuckDB with the Kafka offsets committed in the same \
transaction, and serves them over HTTP with Prometheus metrics.\n\nConfiguration: embedded defaults (config/childstat.toml), \
then --config FILE, then CHILDSTAT__SECTION__KEY environment variables."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Args, Debug, Clone, Default)]
pub struct ConfigArg {
    /// A TOML file merged over the embedded defaults; environment variables override both.
    #[arg(long, short = 'c', env = "CHILDSTAT_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the pipeline and the API. With no kafka.brokers configured, starts an embedded
    /// Kafka-protocol broker and logs its bootstrap address.
    Run {
        #[command(flatten)]
        config: ConfigArg,
    },
    /// `run` plus the embedded broker and the simulator: weeks of history in a minute or two,
    /// then live events. Uses a fresh database at data/demo.duckdb unless --db is given.
    Demo {
        #[command(flatten)]
        config: ConfigArg,
        /// The DuckDB file for the demo (recreated at start unless --keep).
        #[arg(long, default_value = "data/demo.duckdb")]
        db: PathBuf,
        /// Keep the demo database from an earlier run instead of starting fresh.
        #[arg(long)]
        keep: bool,
        /// Simulated seconds per wall second while backfilling history (overrides simulator.speed).
        #[arg(long)]
        speed: Option<f64>,
    },
    /// Generate simulated events: into Kafka, or into an NDJSON file with --out.
    Simulate {
        #[command(flatten)]
        config: ConfigArg,
        /// Write NDJSON to this file instead of producing to Kafka.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Number of messages to generate (required with --out).
        #[arg(long, short = 'n')]
        count: Option<u64>,
        /// Kafka bootstrap servers (default: kafka.brokers from the configuration).
        #[arg(long)]
        brokers: Option<String>,
        /// Topic to produce to (default: kafka.topic).
        #[arg(long)]
        topic: Option<String>,
        /// Random seed (default: simulator.seed).
        #[arg(long)]
        seed: Option<u64>,
        /// Simulated seconds per wall second (default: simulator.speed). Files ignore pacing.
        #[arg(long)]
        speed: Option<f64>,
    },
    /// Feed an NDJSON file of events through the same validation and writer, with a progress
    /// bar. Resumable: the file position is committed with the state.
    Replay {
        #[command(flatten)]
        config: ConfigArg,
        /// The NDJSON file: one event per line.
        file: PathBuf,
        /// Lines per transaction (default: 50,000, or kafka.batch_size if larger): a backfill
        /// has no one waiting on each batch, and each transaction has a fixed cost.
        #[arg(long)]
        batch_size: Option<usize>,
        /// Hide the progress bar.
        #[arg(long)]
        no_progress: bool,
    },
    /// Freeze the weekly snapshot of an ISO week by hand (the service does it on its own at
    /// the end of every week). Run it while the service is stopped: DuckDB allows one writer.
    Snapshot {
        #[command(flatten)]
        config: ConfigArg,
        /// The ISO week, e.g. 2026-W47.
        #[arg(long)]
        week: String,
        /// Retake a snapshot that already exists. Snapshots are otherwise never rewritten;
        /// a forced retake is logged and recorded with the snapshot.
        #[arg(long)]
        force: bool,
    },
    /// Ask a running instance whether it is ready (GET /readyz); exit 0 if it is. For container
    /// health checks, where no curl is installed.
    Healthcheck {
        #[command(flatten)]
        config: ConfigArg,
        /// The URL to ask (default: /readyz on http.bind, with 0.0.0.0 read as 127.0.0.1).
        #[arg(long)]
        url: Option<String>,
    },
    /// Write the configured compliance thresholds ([[alerts]]) as a Prometheus rule file over
    /// the exported childstat_indicator gauges; see docs/alerts.md.
    Rules {
        #[command(flatten)]
        config: ConfigArg,
        /// Write the rule file here instead of to standard output, e.g.
        /// deploy/prometheus/childstat-alerts.rules.yml.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Make a bearer token for the API: prints the token once, and the [access] entry with
    /// its SHA-256 to add to the configuration (see docs/access.md).
    Token {
        #[command(flatten)]
        config: ConfigArg,
        /// Who holds the token, e.g. qi-team; unique among the configured tokens.
        #[arg(long)]
        name: String,
        /// What the token may read.
        #[arg(long, value_enum)]
        role: RoleArg,
    },
    /// Load and validate the configuration, print it, and exit non-zero if it is invalid.
    CheckConfig {
        #[command(flatten)]
        config: ConfigArg,
    },
}

/// The roles of `[access]` tokens, for `childstat token --role`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum RoleArg {
    /// Aggregates, small cells included (management).
    Viewer,
    /// Aggregates and the case-level candidate lists.
    Reviewer,
    /// Aggregates with small-cell suppression.
    Public,
}

impl From<RoleArg> for childstat_config::Role {
    fn from(r: RoleArg) -> Self {
        match r {
            RoleArg::Viewer => childstat_config::Role::Viewer,
            RoleArg::Reviewer => childstat_config::Role::Reviewer,
            RoleArg::Public => childstat_config::Role::Public,
        }
    }
}
