//! `smtplog merge`: add up JSON reports into one.

use super::output::{emit, exceeded, table_dimension, tell_exceeded, OutputArgs};
use super::Outcome;
use anyhow::{bail, Context, Result};
use clap::Args;
use smtplog::report::Report;
use smtplog::sanitize::escape_str;
use smtplog::saved;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct MergeArgs {
    /// JSON reports written by `smtplog report --format json`.
    #[arg(required = true, value_name = "REPORT.json")]
    reports: Vec<PathBuf>,
    #[command(flatten)]
    output: OutputArgs,
    /// Keys each sender and recipient table keeps exactly, as for `report` (0: all).
    #[arg(long, default_value_t = smtplog::count::parties::DEFAULT_MAX_DISTINCT, value_name = "N")]
    max_distinct: usize,
}

/// Add up the reports and print the sum; a report that cannot be read is left out.
pub fn run(args: MergeArgs) -> Result<Outcome> {
    table_dimension(&args.output.by)?;
    let mut merger = saved::merge::Merger::new(args.max_distinct);
    // A bad report is named and left out; the others are still merged (exit status 1).
    let mut refused = 0;
    for path in &args.reports {
        let merged = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))
            .and_then(|text| {
                merger
                    .add_json(&text)
                    .with_context(|| format!("cannot merge {}", path.display()))
            });
        if let Err(e) = merged {
            eprintln!("smtplog: error: {}", escape_str(&format!("{e:#}")));
            refused += 1;
        }
    }
    if refused == args.reports.len() {
        bail!("no report could be merged");
    }
    let report = Report::new(&merger.finish());
    let over = exceeded(&report, &args.output);
    let mut output = args.output;
    output.times.generated = chrono::Utc::now().timestamp();
    emit(report, &output)?;
    tell_exceeded(&over);
    Ok(if refused > 0 {
        Outcome::SomeInputsFailed
    } else if !over.is_empty() {
        Outcome::ThresholdExceeded
    } else {
        Outcome::Complete
    })
}
