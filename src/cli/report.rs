//! `smtplog report`: scan the logs, then print the report.

use super::output::{emit, exceeded, table_dimension, tell_exceeded, OutputArgs};
use super::progress::progress_bar;
use super::scan::{scan_options, tell, LogArgs};
use super::Outcome;
use anyhow::{bail, Result};
use clap::Args;
use smtplog::report::{self, Report};
use smtplog::sanitize::escape_str;
use smtplog::scan::{self, ScanOptions};
use std::io::{self, IsTerminal};
use std::sync::Arc;

#[derive(Args, Debug)]
pub struct ReportArgs {
    #[command(flatten)]
    logs: LogArgs,

    #[command(flatten)]
    output: OutputArgs,
}

/// Scan the logs and print their report.
pub fn run(args: ReportArgs) -> Result<Outcome> {
    let (inputs, options) = scan_options(&args.logs)?;
    let window = options.window;
    table_dimension(&args.output.by)?;
    let progress =
        (!args.output.quiet && io::stderr().is_terminal()).then(|| progress_bar(&inputs));
    let options = ScanOptions {
        progress: progress.as_ref().map(|p| Arc::clone(&p.bytes)),
        ..options
    };
    let outcome = scan::scan(&inputs, &options);
    if let Some(progress) = progress {
        progress.finish();
    }
    tell(&outcome.notices, &outcome.errors, args.output.quiet);
    for file in outcome
        .files
        .iter()
        .filter(|f| f.complete && f.holds_no_mail())
    {
        eprintln!(
            "smtplog: warning: {}: {}",
            escape_str(&file.name),
            if file.lines == 0 {
                "empty (no lines)".to_string()
            } else {
                let read_as = match (file.compression, file.format) {
                    (smtplog::input::Compression::None, smtplog::journal::LogFormat::Lines) => {
                        "read as plain text".to_string()
                    }
                    (c, f) => format!("{} {}", c.name(), f.name()),
                };
                format!(
                    "no Postfix or Exim line in {} lines ({read_as}); is this a mail log?",
                    file.lines
                )
            }
        );
    }
    if outcome.errors.len() == inputs.len() && outcome.summary.lines.total == 0 {
        bail!("no input could be read");
    }
    let has_mail = outcome.has_mail_lines();
    let outside: u64 = outcome.files.iter().map(|f| f.outside_window).sum();
    if !has_mail && outside > 0 {
        let what = if window.host.is_some() {
            "the time window and --host"
        } else {
            "the time window"
        };
        eprintln!("smtplog: warning: {what} kept no line ({outside} lines were outside it)");
    }
    let mut report = Report::new(&outcome.summary);
    report.sources = report::header::Sources::of_scan(&outcome.files, &outcome.errors, &window);
    let over = exceeded(&report, &args.output);
    let mut output = args.output;
    output.times = report::prom::Times {
        generated: chrono::Utc::now().timestamp(),
        since: window.since.map(|t| t.timestamp()),
        until: window.until.map(|t| t.timestamp()),
    };
    emit(report, &output)?;
    tell_exceeded(&over);
    Ok(if !outcome.errors.is_empty() {
        Outcome::SomeInputsFailed
    } else if !has_mail {
        Outcome::NoMailLines
    } else if !over.is_empty() {
        Outcome::ThresholdExceeded
    } else {
        Outcome::Complete
    })
}
