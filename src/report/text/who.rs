//! The text sections on who sent and received: parties, recipient domains and the traffic
//! tables (also of `--by sender` and the like).

use super::{bytes, duration, limit, rule, TextOptions};
use crate::report::parties::{Accuracy, TrafficRow};
use crate::report::Report;
use crate::sanitize::escape_str;
use std::io;
use std::io::Write;

/// A distinct count as people read it: `194`, `≈ 1490000 (estimated)`, `at least 12`.
pub(super) fn distinct(table: &crate::report::parties::Table<impl Clone>) -> String {
    match table.accuracy {
        Accuracy::Exact => table.distinct.to_string(),
        Accuracy::Estimated => format!("~{} (estimated from a sample)", table.distinct),
        Accuracy::AtLeast => format!("at least {}", table.distinct),
    }
}

pub(super) fn traffic_rows(
    out: &mut dyn Write,
    title: &str,
    what: &str,
    table: &crate::report::parties::Table<TrafficRow>,
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

pub(super) fn recipient_domains(
    report: &Report,
    top: usize,
    out: &mut dyn Write,
) -> io::Result<()> {
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

pub(super) fn parties(
    report: &Report,
    options: &TextOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
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
