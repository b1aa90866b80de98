//! The log options of `report` and `events`, and the inputs, time window and scan options
//! they ask for.

use anyhow::{bail, Context, Result};
use clap::Args;
use smtplog::input::{Input, DEFAULT_CHUNK_SIZE};
use smtplog::sanitize::escape_str;
use smtplog::scan::{ScanOptions, YearSource};
use smtplog::window::{self, Window, Zone};
use std::ffi::OsString;

/// The logs to read and how to read them (`report` and `events`).
#[derive(Args, Debug)]
pub struct LogArgs {
    /// Log files: syslog or Exim lines, or `journalctl -o json` / `-o export` output; plain,
    /// gzip, xz, bzip2 or zstd; all told apart by content. `-` reads standard input.
    #[arg(required = true, value_name = "LOG", value_parser = clap::value_parser!(OsString))]
    inputs: Vec<OsString>,

    /// Count only lines at or after this time: 2026-11-03, 2026-11-03T04:00, RFC 3339, today,
    /// yesterday, -24h, -7d.
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    since: Option<String>,

    /// Count only lines before this time (same forms as --since; the window is [since, until)).
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    until: Option<String>,

    /// Count only lines of one day: 2026-11-03, today or yesterday.
    #[arg(long, value_name = "DAY", conflicts_with_all = ["since", "until"])]
    day: Option<String>,

    /// Count only the lines of this syslog host (journald: `_HOSTNAME`); the others count as
    /// outside the window, and lines without a host field (Exim's own main log) too.
    #[arg(long, value_name = "NAME")]
    host: Option<String>,

    /// Time zone of log stamps without an offset, and of the times above (IANA name, UTC or local).
    #[arg(long, value_name = "ZONE", default_value = "local")]
    tz: String,

    /// The current time, for reproducible relative windows (RFC 3339).
    #[arg(long, hide = true, value_name = "TIME")]
    now: Option<String>,

    /// Loopback ports of content filters (amavis...): Postfix deliveries to them are counted as
    /// `filtered`, not `delivered`, since the message comes back and is delivered later.
    #[arg(long, value_delimiter = ',', value_name = "PORT,...", default_value = DEFAULT_FILTER_PORTS)]
    filter_ports: Vec<u16>,

    /// Year of each file's first syslog timestamp without one; later lines roll over at New
    /// Year (default: from each file's modification time).
    #[arg(long, value_name = "YYYY", value_parser = clap::value_parser!(i32).range(1970..=9999))]
    year: Option<i32>,

    /// Worker threads (default: one per core; at most 4 per core).
    #[arg(short = 'j', long, default_value_t = 0, value_name = "N")]
    threads: usize,

    /// Bytes per chunk handed to a worker, 1 to 64 MiB (results never depend on it).
    #[arg(long, default_value_t = DEFAULT_CHUNK_SIZE, hide = true, value_parser = chunk_size)]
    chunk_size: usize,

    /// Senders, hosts, recipients and domains each table keeps exactly; past that it keeps a
    /// reproducible sample and estimates the distinct count (memory stays bounded). 0: keep
    /// every key exactly, however many (memory then grows with them).
    #[arg(long, default_value_t = smtplog::count::parties::DEFAULT_MAX_DISTINCT, value_name = "N")]
    max_distinct: usize,
}

/// `--filter-ports`' default, written as the option takes it (a comma list).
const DEFAULT_FILTER_PORTS: &str = "10024,10025,10026,10030,10032";

/// A `--chunk-size` value: big enough to hold a byte, small enough that a few per thread fit.
fn chunk_size(text: &str) -> Result<usize, String> {
    const MAX: usize = 64 << 20;
    match text.parse::<usize>() {
        Ok(n) if (1..=MAX).contains(&n) => Ok(n),
        _ => Err(format!("must be a number of bytes from 1 to {MAX}")),
    }
}

/// The time window the options ask for.
fn window_of(args: &LogArgs) -> Result<Window> {
    let zone = Zone::parse(&args.tz).map_err(anyhow::Error::msg)?;
    let now = match &args.now {
        Some(text) => chrono::DateTime::parse_from_rfc3339(text)
            .context("--now takes an RFC 3339 time")?
            .with_timezone(&chrono::Utc),
        None => chrono::Utc::now(),
    };
    let bound = |text: &Option<String>| {
        text.as_deref()
            .map(|t| window::parse_bound(t, zone, now))
            .transpose()
            .map_err(anyhow::Error::msg)
    };
    let (since, until) = match &args.day {
        Some(day) => {
            let (since, until) = window::parse_day(day, zone, now).map_err(anyhow::Error::msg)?;
            (Some(since), Some(until))
        }
        None => (bound(&args.since)?, bound(&args.until)?),
    };
    if let (Some(s), Some(u)) = (since, until) {
        if s >= u {
            bail!("--since must be before --until (the window is [since, until))");
        }
    }
    // Leaked once: the window is copied into every worker and stays for the whole run.
    let host = args
        .host
        .as_ref()
        .map(|h| &*Box::leak(h.clone().into_bytes().into_boxed_slice()));
    Ok(Window {
        since,
        until,
        zone,
        host,
    })
}

/// The inputs and scan options the arguments ask for.
pub fn scan_options(args: &LogArgs) -> Result<(Vec<Input>, ScanOptions)> {
    if args.inputs.iter().filter(|i| *i == "-").count() > 1 {
        bail!("standard input (-) can be given only once");
    }
    let inputs: Vec<Input> = args.inputs.iter().map(|a| Input::from_arg(a)).collect();
    let options = ScanOptions {
        window: window_of(args)?,
        filter_ports: args.filter_ports.clone(),
        threads: args.threads,
        chunk_size: args.chunk_size,
        max_distinct: args.max_distinct,
        years: args.year.map_or(YearSource::FileTime, YearSource::Fixed),
        ..ScanOptions::default()
    };
    Ok((inputs, options))
}

/// Print a scan's notes (unless `quiet`) and the inputs it could not read.
pub fn tell(notices: &[String], errors: &[smtplog::input::InputError], quiet: bool) {
    if !quiet {
        for notice in notices {
            eprintln!("smtplog: note: {}", escape_str(notice));
        }
    }
    for error in errors {
        eprintln!("smtplog: error: {}", escape_str(&error.to_string()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_ports_default_is_the_parser_default_as_a_comma_list() {
        let ports: Vec<String> = smtplog::parse::DEFAULT_FILTER_PORTS
            .iter()
            .map(u16::to_string)
            .collect();
        assert_eq!(DEFAULT_FILTER_PORTS, ports.join(","));
    }
}
