//! Text output for people: totals, classes, codes with their meaning and fix, events, days.

use super::parties::{Accuracy, TrafficRow};
use super::{percent, Report};
use crate::catalogue::catalogue;
use crate::code::Class;
use crate::parse::Event;
use crate::sanitize::escape_str;
use std::io::{self, Write};

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

/// A distinct count as people read it: `194`, `≈ 1490000 (estimated)`, `at least 12`.
fn distinct(table: &super::parties::Table<impl Clone>) -> String {
    match table.accuracy {
        Accuracy::Exact => table.distinct.to_string(),
        Accuracy::Estimated => format!("~{} (estimated from a sample)", table.distinct),
        Accuracy::AtLeast => format!("at least {}", table.distinct),
    }
}

fn traffic_rows(
    out: &mut dyn Write,
    title: &str,
    what: &str,
    table: &super::parties::Table<TrafficRow>,
    by_bytes: bool,
    top: usize,
) -> io::Result<()> {
    if table.rows.is_empty() {
        return Ok(());
    }
    if table.accuracy == Accuracy::Estimated {
        // A sample's busiest keys need not be the busiest keys: list none.
        rule(out, title)?;
        writeln!(
            out,
            "  ({} distinct: more than --max-distinct; raise it to list them)",
            distinct(table)
        )?;
        return Ok(());
    }
    let mut rows: Vec<&TrafficRow> = table.rows.iter().collect();
    if by_bytes {
        rows.sort_by(|a, b| b.bytes.cmp(&a.bytes).then_with(|| a.key.cmp(&b.key)));
    }
    rule(out, title)?;
    writeln!(out, "  {:>9}  {:>10}  {what}", "MESSAGES", "BYTES")?;
    for row in limit(&rows, top) {
        writeln!(
            out,
            "  {:>9}  {:>10}  {}",
            row.messages,
            bytes(row.bytes),
            escape_str(&row.key)
        )?;
    }
    if top != 0 && table.distinct as usize > top.min(rows.len()) {
        writeln!(
            out,
            "  ({} of {}; --top 0 shows all)",
            top.min(rows.len()),
            distinct(table)
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

fn recipient_domains(report: &Report, top: usize, out: &mut dyn Write) -> io::Result<()> {
    let d = &report.parties.recipient_domains;
    if d.rows.is_empty() {
        return Ok(());
    }
    rule(out, "Recipient domains")?;
    if d.accuracy == Accuracy::Estimated {
        // As for the other tables: a sample's busiest domains need not be the busiest.
        writeln!(
            out,
            "  ({} distinct: more than --max-distinct; raise it to list them)",
            distinct(d)
        )?;
        return Ok(());
    }
    writeln!(
        out,
        "  {:>9}  {:>10}  {:>8}  {:>7}  {:>9}  {:>9}  DOMAIN",
        "DELIVERED", "BYTES", "DEFERRED", "BOUNCED", "AVG DELAY", "MAX DELAY"
    )?;
    for row in limit(&d.rows, top) {
        writeln!(
            out,
            "  {:>9}  {:>10}  {:>8}  {:>7}  {:>9}  {:>9}  {}",
            row.delivered,
            bytes(row.bytes),
            row.deferred,
            row.bounced,
            row.avg_delay_ms.map_or_else(|| "-".to_string(), duration),
            row.max_delay_ms.map_or_else(|| "-".to_string(), duration),
            escape_str(&row.domain)
        )?;
    }
    if top != 0 && d.rows.len() > top {
        writeln!(out, "  ({} of {}; --top 0 shows all)", top, d.rows.len())?;
    }
    Ok(())
}

fn parties(report: &Report, options: &TextOptions, out: &mut dyn Write) -> io::Result<()> {
    let p = &report.parties;
    if p.senders.rows.is_empty()
        && p.recipients.rows.is_empty()
        && p.recipient_domains.rows.is_empty()
    {
        return Ok(());
    }
    rule(out, "Senders and recipients")?;
    writeln!(out, "  {:<20} {}", "senders", distinct(&p.senders))?;
    writeln!(
        out,
        "  {:<20} {}",
        "sender domains",
        distinct(&p.sender_domains)
    )?;
    writeln!(
        out,
        "  {:<20} {}",
        "sending hosts",
        distinct(&p.sending_hosts)
    )?;
    writeln!(out, "  {:<20} {}", "recipients", distinct(&p.recipients))?;
    writeln!(
        out,
        "  {:<20} {} delivered to ({} with deliveries, deferrals or bounces listed)",
        "recipient domains",
        distinct(&p.recipient_domains),
        p.recipient_domains.rows.len()
    )?;
    if p.accuracies().contains(&Accuracy::Estimated) {
        writeln!(
            out,
            "  (tables over --max-distinct keep a reproducible sample of their keys; raise it for all)"
        )?;
    }
    recipient_domains(report, options.top, out)?;
    let top = options.top;
    traffic_rows(
        out,
        "Sender domains",
        "DOMAIN",
        &p.sender_domains,
        false,
        top,
    )?;
    traffic_rows(out, "Sending hosts", "HOST", &p.sending_hosts, false, top)?;
    traffic_rows(
        out,
        "Top senders by messages",
        "SENDER",
        &p.senders,
        false,
        top,
    )?;
    traffic_rows(out, "Top senders by size", "SENDER", &p.senders, true, top)?;
    traffic_rows(
        out,
        "Top recipients by messages",
        "RECIPIENT",
        &p.recipients,
        false,
        top,
    )?;
    traffic_rows(
        out,
        "Top recipients by size",
        "RECIPIENT",
        &p.recipients,
        true,
        top,
    )
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

fn diagnostics(report: &Report, options: &TextOptions, out: &mut dyn Write) -> io::Result<()> {
    use crate::parse::Severity;
    let (master, faults): (Vec<_>, Vec<_>) = report
        .diagnostics
        .iter()
        .partition(|d| d.severity == Severity::Info);
    if !faults.is_empty() {
        rule(out, "Warnings, errors, fatal errors and panics")?;
        for d in limit(&faults, options.detail) {
            writeln!(
                out,
                "  {:>7}  {:<8} {:<7} {:<12} {}",
                d.count,
                d.mta.name(),
                d.severity.name(),
                escape_str(&d.program),
                escape_str(&d.text)
            )?;
        }
        more_rows(out, faults.len(), options.detail)?;
    }
    if !master.is_empty() {
        rule(out, "Master daemon messages")?;
        for d in limit(&master, options.detail) {
            writeln!(out, "  {:>7}  {}", d.count, escape_str(&d.text))?;
        }
        more_rows(out, master.len(), options.detail)?;
    }
    Ok(())
}

fn blocklists(report: &Report, options: &TextOptions, out: &mut dyn Write) -> io::Result<()> {
    let b = &report.blocklists;
    if b.is_empty() {
        return Ok(());
    }
    rule(out, "DNS blocklists")?;
    if !b.ranks.is_empty() || b.ranks_capped.is_some() {
        writeln!(out, "  {:>10} {:>9}", "DNSBL RANK", "CLIENTS")?;
        for row in &b.ranks {
            writeln!(out, "  {:>10} {:>9}", row.rank, row.count)?;
        }
        if let Some(total) = b.ranks_capped {
            writeln!(out, "  {:>10} {:>9}", "all ranks", total)?;
        }
    }
    if !b.listings.is_empty() || b.listings_capped.is_some() {
        if !b.ranks.is_empty() || b.ranks_capped.is_some() {
            writeln!(out)?;
        }
        writeln!(out, "  {:>9}  {:<16} BLOCKLIST", "LISTINGS", "REPLY")?;
        for row in limit(&b.listings, options.detail) {
            writeln!(
                out,
                "  {:>9}  {:<16} {}",
                row.count,
                escape_str(&row.reply),
                escape_str(&row.list)
            )?;
        }
        more_rows(out, b.listings.len(), options.detail)?;
        if let Some(total) = b.listings_capped {
            writeln!(
                out,
                "  {total:>9}  (too many different lists and replies to list)"
            )?;
        }
    }
    Ok(())
}

fn problems(report: &Report, options: &TextOptions, out: &mut dyn Write) -> io::Result<()> {
    if report.problems.is_empty() {
        return Ok(());
    }
    rule(out, "Problems by reply code, enhanced code and reason")?;
    writeln!(
        out,
        "  {:>7}  {:<23} {:<4} {:<8}  REASON",
        "COUNT", "EVENT", "CODE", "ENHANCED"
    )?;
    for p in limit(&report.problems, options.detail) {
        let event = match (p.event, &p.stage) {
            (Some(e), Some(stage)) => format!("{} {stage}", e.name()),
            (Some(e), None) => e.name().to_string(),
            (None, _) => "(reply)".to_string(),
        };
        let code = p.code.map_or_else(|| "-".to_string(), |c| c.to_string());
        let enhanced = p.enhanced.as_deref().unwrap_or("-");
        writeln!(
            out,
            "  {:>7}  {event:<23} {code:<4} {enhanced:<8}  {}",
            p.count,
            escape_str(&p.reason)
        )?;
        if !p.advice.is_empty() {
            writeln!(out, "  {:>7}  fix: {}", "", p.advice)?;
        }
        if let Some(a) = &p.provider {
            writeln!(
                out,
                "  {:>7}  {} [{}]: {} {}",
                "", a.provider, a.rule, a.action, a.url
            )?;
        }
        if !p.examples.is_empty() {
            let examples: Vec<String> = p
                .examples
                .iter()
                .map(|e| escape_str(e).into_owned())
                .collect();
            writeln!(out, "  {:>7}  e.g. {}", "", examples.join(", "))?;
        }
    }
    more_rows(out, report.problems.len(), options.detail)?;
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

/// Problems summed per provider or blocklist, each rule with what to do.
fn providers(report: &Report, options: &TextOptions, out: &mut dyn Write) -> io::Result<()> {
    if report.providers.is_empty() {
        return Ok(());
    }
    rule(out, "Problems by provider and blocklist")?;
    for p in limit(&report.providers, options.detail) {
        let events: Vec<String> = p.events.iter().map(|(e, n)| format!("{e} {n}")).collect();
        writeln!(
            out,
            "  {:>7}  {} ({}): {}",
            p.count,
            p.provider,
            p.kind.name(),
            events.join(", ")
        )?;
        for r in &p.rules {
            writeln!(
                out,
                "  {:>7}    {:>7}  {} ({}, {})",
                "",
                r.count,
                r.rule,
                r.codes.join(" "),
                r.direction.name()
            )?;
            writeln!(out, "  {:>7}             {}", "", r.meaning)?;
            writeln!(out, "  {:>7}             do: {}", "", r.action)?;
            writeln!(out, "  {:>7}             see: {}", "", r.url)?;
        }
    }
    more_rows(out, report.providers.len(), options.detail)?;
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
            crate::count::MAX_SILENT_LINES
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
