//! Text output for people: totals, classes, codes with their meaning and fix, events, days.

use super::{percent, Report};
use crate::catalogue::catalogue;
use crate::code::Class;
use crate::parse::Event;
use crate::sanitize::escape_str;
use std::io::{self, Write};

mod diagnosis;
mod who;

use diagnosis::{blocklists, diagnostics, problems, providers};
use who::{parties, recipient_domains, traffic_rows};

/// What to include in the text report.
#[derive(Clone, Debug, Default)]
pub struct TextOptions {
    /// Every section, as before the brief report ([`write`]); else [`super::brief::write`].
    pub full: bool,
    /// Width in display columns (the brief report; 0: 80).
    pub width: usize,
    /// ANSI colour (5xx red, 4xx yellow).
    pub color: bool,
    /// Items in "Needs attention" (0: all).
    pub attention: usize,
    /// An earlier report to compare the key figures with.
    pub baseline: Option<std::sync::Arc<Report>>,
    /// Rows per table (0: all).
    pub top: usize,
    /// List the unrecognised example lines.
    pub show_unrecognised: bool,
    /// Rows in the problems section (0: all).
    pub detail: usize,
    /// Put the problems section first.
    pub problems_first: bool,
}

/// Bytes for people: `512 B`, `284.6 kB`, `1.2 GB` (powers of 1000).
pub(super) fn bytes(n: u64) -> String {
    match n {
        0..=999 => format!("{n} B"),
        1_000..=999_999 => format!("{:.1} kB", n as f64 / 1e3),
        1_000_000..=999_999_999 => format!("{:.1} MB", n as f64 / 1e6),
        _ => format!("{:.1} GB", n as f64 / 1e9),
    }
}

/// Milliseconds for people: `850 ms`, `12.4 s`, `3.5 min`, `2.1 h`, `1.5 d`.
fn duration(ms: u64) -> String {
    let s = ms as f64 / 1000.0;
    match ms {
        0..=999 => format!("{ms} ms"),
        1000..=59_999 => format!("{s:.1} s"),
        60_000..=3_599_999 => format!("{:.1} min", s / 60.0),
        3_600_000..=86_399_999 => format!("{:.1} h", s / 3600.0),
        _ => format!("{:.1} d", s / 86_400.0),
    }
}

fn hourly(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    if report.by_hour.is_empty() {
        return Ok(());
    }
    // Days past the limit are one row: their number is not known, so no average.
    let title = match report.days_counted() {
        None => format!(
            "Per-hour traffic (totals of more than {} days)",
            crate::limits::MAX_DAYS
        ),
        Some(days) if days > 1 => format!("Per-hour traffic (daily average over {days} days)"),
        Some(_) => "Per-hour traffic".to_string(),
    };
    let days = report.days_counted().unwrap_or(1);
    rule(out, &title)?;
    writeln!(
        out,
        "  {:<11}  {:>8}  {:>9}  {:>8}  {:>7}  {:>8}",
        "HOUR", "RECEIVED", "DELIVERED", "DEFERRED", "BOUNCED", "REJECTED"
    )?;
    let avg = |n: u64| (n as f64 / days as f64).round() as u64;
    for h in &report.by_hour {
        writeln!(
            out,
            "  {:02}:00-{:02}:00  {:>8}  {:>9}  {:>8}  {:>7}  {:>8}",
            h.hour,
            (h.hour + 1) % 24,
            avg(h.received),
            avg(h.delivered),
            avg(h.deferred),
            avg(h.bounced),
            avg(h.rejected)
        )?;
    }
    Ok(())
}

/// Write every row of one table of its own (`--by sender`, `--by problem`, ...).
pub fn write_table(report: &Report, dim: super::Dimension, out: &mut dyn Write) -> io::Result<()> {
    use super::Dimension;
    let all_rows = TextOptions::default();
    match dim {
        Dimension::Problem => problems(report, &all_rows, out),
        Dimension::Provider => providers(report, &all_rows, out),
        Dimension::Diagnostic => diagnostics(report, &all_rows, out),
        Dimension::DnsblRank | Dimension::Blocklist => blocklists(report, &all_rows, out),
        Dimension::RecipientDomain => recipient_domains(report, 0, out),
        Dimension::Host => super::sources::write_text(&report.hosts, "By host", "host", out),
        Dimension::Instance => {
            super::sources::write_text(&report.instances, "By instance", "instance", out)
        }
        _ => match report.parties.traffic(dim) {
            Some(table) => traffic_rows(out, &format!("By {}", dim.name()), "KEY", table, false, 0),
            None => Ok(()),
        },
    }
}

fn delays_and_connections(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    if let Some(d) = &report.delays {
        rule(out, "Delivery delays (arrival to delivery)")?;
        writeln!(
            out,
            "  {} deliveries: mean {}, median {}, 90% {}, 99% {}, max {}",
            d.count,
            duration(d.mean_ms),
            duration(d.p50_ms),
            duration(d.p90_ms),
            duration(d.p99_ms),
            duration(d.max_ms)
        )?;
    }
    if !report.connections.is_empty() {
        rule(out, "Connections")?;
        for (name, n) in &report.connections {
            writeln!(out, "  {name:<26} {n:>9}")?;
        }
    }
    Ok(())
}

/// Say how many rows `--detail` left out.
pub(super) fn more_rows(out: &mut dyn Write, total: usize, shown: usize) -> io::Result<()> {
    if shown != 0 && total > shown {
        writeln!(out, "  ({} more; --detail 0 shows all)", total - shown)?;
    }
    Ok(())
}

/// Say which kinds of keys were too many to list, and where their counts went (the view's
/// [`super::header::limit_notices`]).
fn limits(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    for notice in super::header::limit_notices(report) {
        writeln!(out, "{notice}")?;
    }
    Ok(())
}

fn rule(out: &mut dyn Write, title: &str) -> io::Result<()> {
    writeln!(out)?;
    writeln!(out, "{title}")?;
    writeln!(out, "{}", "-".repeat(title.chars().count()))
}

pub(super) fn limit<T>(rows: &[T], top: usize) -> &[T] {
    if top == 0 || rows.len() <= top {
        rows
    } else {
        &rows[..top]
    }
}

/// Write the report as text: the brief report, or every section with `full`.
pub fn write(report: &Report, options: &TextOptions, out: &mut dyn Write) -> io::Result<()> {
    if options.full {
        write_full(report, options, out)
    } else {
        super::brief::write(report, options, out)
    }
}

/// Write every section of the report as text (`--full`).
pub fn write_full(report: &Report, options: &TextOptions, out: &mut dyn Write) -> io::Result<()> {
    let cat = catalogue();
    // Columns as wide as the longest title shown, so that the advice lines up.
    let width = |titles: &mut dyn Iterator<Item = &String>| {
        titles.map(|t| t.chars().count()).max().unwrap_or(0)
    };
    let code_width =
        width(&mut limit(&report.by_code, options.top).iter().map(|r| &r.title)).max(7);
    let enhanced_width = width(
        &mut limit(&report.by_enhanced, options.top)
            .iter()
            .map(|r| &r.title),
    )
    .max(7);
    let l = &report.lines;
    writeln!(
        out,
        "SMTP replies in {} lines ({} Postfix/Exim, {} other, {} unrecognised)",
        l.total, l.mail, l.other, l.unrecognised
    )?;
    if l.overlong > 0 {
        writeln!(
            out,
            "  {} overlong lines were skipped (counted as other)",
            l.overlong
        )?;
    }
    if l.malformed > 0 {
        writeln!(
            out,
            "  {} journal entries were not well-formed (counted as other)",
            l.malformed
        )?;
    }
    if l.outside_window > 0 {
        writeln!(
            out,
            "  {} lines outside the time window were not counted",
            l.outside_window
        )?;
    }
    if l.debug > 0 {
        writeln!(out, "  {} debug lines (verbose logging)", l.debug)?;
    }
    if l.bad_stamps > 0 {
        writeln!(
            out,
            "  {} lines have a date that does not exist (such as Feb 29 of a common year); counted without a date",
            l.bad_stamps
        )?;
    }
    // Like the tables' estimates: a `~` before each figure the tracker could not keep exact.
    let approx = report.messages_approx();
    writeln!(
        out,
        "Messages: {approx}{}   Received: {}   Replies: {}",
        report.messages, report.received, report.replies
    )?;
    if report.bytes_received > 0 || report.deferred_messages > 0 {
        writeln!(
            out,
            "Bytes received: {approx}{}   Bytes delivered: {approx}{}   Messages deferred: {approx}{} ({} deferrals)",
            bytes(report.bytes_received),
            bytes(report.bytes_delivered),
            report.deferred_messages,
            report.by_event.deferred
        )?;
    }
    if !approx.is_empty() {
        writeln!(
            out,
            "  (~ estimated: more message ids were in flight than are kept; ids silent for {} lines were forgotten, so a message may count twice)",
            super::MAX_SILENT_LINES
        )?;
    }
    limits(report, out)?;
    if options.problems_first {
        problems(report, options, out)?;
        providers(report, options, out)?;
    }

    if report.replies > 0 {
        rule(out, "Replies by class")?;
        for class in Class::ALL {
            let n = report.by_class.get(class);
            let (name, action) = cat
                .class(class)
                .map_or(("", ""), |c| (c.name.as_str(), c.sender_action.as_str()));
            writeln!(
                out,
                "  {}  {:>9}  {:>5.1}%  {} ({})",
                class.label(),
                n,
                percent(n, report.replies),
                name,
                action
            )?;
        }

        rule(out, "Replies by code")?;
        writeln!(
            out,
            "  {:<4}  {:>9}  {:>6}  {:<w$}  ADVICE",
            "CODE",
            "COUNT",
            "SHARE",
            "MEANING",
            w = code_width
        )?;
        for row in limit(&report.by_code, options.top) {
            writeln!(
                out,
                "  {:<4}  {:>9}  {:>5.1}%  {:<w$}  {}",
                row.code,
                row.count,
                row.share,
                row.title,
                row.advice,
                w = code_width
            )?;
        }
    }

    if !report.by_enhanced.is_empty() {
        rule(out, "Enhanced status codes of replies")?;
        for row in limit(&report.by_enhanced, options.top) {
            writeln!(
                out,
                "  {:<8}  {:>9}  {:<w$}  {}",
                row.code,
                row.count,
                row.title,
                row.advice,
                w = enhanced_width
            )?;
        }
    }

    rule(out, "Events")?;
    for event in Event::ALL {
        let n = report.by_event.get(event);
        if n == 0 && matches!(event, Event::Held | Event::Discarded | Event::Filtered) {
            continue;
        }
        write!(out, "  {:<15} {:>9}", event.name(), n)?;
        if event == Event::Rejected && report.rejected_temporary > 0 {
            write!(out, "  ({} temporary)", report.rejected_temporary)?;
        }
        if event == Event::Delivered && report.forwarded > 0 {
            write!(out, "  ({} forwarded)", report.forwarded)?;
        }
        if event == Event::Filtered {
            write!(
                out,
                "  (handed to a content filter and sent back in: counted once, when delivered)"
            )?;
        }
        writeln!(out)?;
    }

    if !report.by_dsn.is_empty() {
        rule(out, "Postfix dsn= of delivery status lines")?;
        for row in limit(&report.by_dsn, options.top) {
            writeln!(out, "  {:<8}  {:>9}", row.dsn, row.count)?;
        }
    }

    if report.no_code.total > 0 {
        rule(out, "Events without a reply code")?;
        // Grouped from the facts: rows of event and dsn for lines without a code.
        let mut rows: std::collections::BTreeMap<(String, String), u64> = Default::default();
        for fact in report.facts.iter().filter(|f| f.code.is_none()) {
            match fact.event {
                Some(event) if event != Event::RejectWarning => {
                    let dsn = fact.dsn.clone().unwrap_or_else(|| "none".into());
                    *rows.entry((event.name().to_string(), dsn)).or_insert(0) += fact.count;
                }
                _ => {}
            }
        }
        writeln!(out, "  {:<15} {:<8}  {:>9}", "EVENT", "DSN", "COUNT")?;
        for ((event, dsn), n) in &rows {
            writeln!(out, "  {event:<15} {dsn:<8}  {n:>9}")?;
        }
        writeln!(
            out,
            "  {:<15} {:<8}  {:>9}",
            "total", "", report.no_code.total
        )?;
    }

    if report.by_day.len() > 1 || report.by_day.iter().any(|d| d.replies > 0) {
        rule(out, "By day")?;
        writeln!(
            out,
            "  {:<10}  {:>9}  {:>8}  {:>8}  {:>7}  {:>7}  {:>7}  {:>9}  {:>8}  {:>7}  {:>8}",
            "DAY",
            "LINES",
            "RECEIVED",
            "REPLIES",
            "2xx",
            "4xx",
            "5xx",
            "DELIVERED",
            "DEFERRED",
            "BOUNCED",
            "REJECTED"
        )?;
        for d in &report.by_day {
            writeln!(
                out,
                "  {:<10}  {:>9}  {:>8}  {:>8}  {:>7}  {:>7}  {:>7}  {:>9}  {:>8}  {:>7}  {:>8}",
                d.day,
                d.lines,
                d.received,
                d.replies,
                d.by_class.c2,
                d.by_class.c4,
                d.by_class.c5,
                d.by_event.delivered,
                d.by_event.deferred,
                d.by_event.bounced,
                d.by_event.rejected
            )?;
        }
    }

    hourly(report, out)?;
    delays_and_connections(report, out)?;
    blocklists(report, options, out)?;
    parties(report, options, out)?;
    diagnostics(report, options, out)?;

    if !options.problems_first {
        problems(report, options, out)?;
        providers(report, options, out)?;
    }

    if l.unrecognised > 0 {
        if options.show_unrecognised {
            rule(out, "Unrecognised Postfix/Exim lines (first examples)")?;
            for line in &report.unrecognised_examples {
                writeln!(out, "  {}", escape_str(line))?;
            }
        } else {
            writeln!(out)?;
            writeln!(
                out,
                "{} Postfix/Exim lines were not understood; --show-unrecognised lists examples.",
                l.unrecognised
            )?;
        }
    }
    Ok(())
}
