//! childstat's benchmark harness. Build with `--release`:
//!
//! ```sh
//! cargo run --release -p childstat-bench -- queries
//! ```
//!
//! Scenarios measure what the product promises, side by side in one run, several times, and
//! report medians with the spread. Nothing here is asserted: the numbers go to
//! `bench/results/latest.json` and `docs/benchmarks.md`.

mod queries;
mod report;
mod stats;

use anyhow::Result;
use clap::{Parser, Subcommand};
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "childstat-bench",
    about = "childstat benchmark harness (build with --release)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Query latency on years of simulated history: current values for one zone, and a
    /// one-year daily history, measured in-process on the read pool.
    Queries {
        /// Years of simulated history.
        #[arg(long, default_value_t = 5)]
        years: u32,
        /// Citywide investigations per year.
        #[arg(long, default_value_t = 60_000)]
        per_year: u32,
        /// Queries per measured run.
        #[arg(long, default_value_t = 2_000)]
        queries: usize,
        /// Measured runs (the median and spread are reported).
        #[arg(long, default_value_t = 3)]
        runs: usize,
        /// Where the DuckDB file is built (recreated).
        #[arg(long, default_value = "bench/work/queries.duckdb")]
        db: PathBuf,
        /// Reuse an existing database at --db instead of rebuilding it.
        #[arg(long)]
        reuse: bool,
        /// Where the JSON results go.
        #[arg(long, default_value = "bench/results/latest.json")]
        out: PathBuf,
    },
    /// Rewrite docs/benchmarks.md from the last results and bench/notes.md.
    Report {
        #[arg(long, default_value = "bench/results/latest.json")]
        results: PathBuf,
    },
}

const NOTES: &str = "bench/notes.md";
const REPORT: &str = "docs/benchmarks.md";

fn main() -> Result<()> {
    if cfg!(debug_assertions) {
        eprintln!("warning: childstat-bench was built without --release; the numbers mean little");
    }
    match Cli::parse().command {
        Command::Queries {
            years,
            per_year,
            queries,
            runs,
            db,
            reuse,
            out,
        } => {
            queries::run(years, per_year, queries, runs, &db, reuse, &out)?;
            report::write(&out, NOTES.as_ref(), REPORT.as_ref())
        }
        Command::Report { results } => report::write(&results, NOTES.as_ref(), REPORT.as_ref()),
    }
}
