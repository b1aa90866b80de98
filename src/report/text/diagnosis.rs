//! The text sections on what went wrong: provider diagnostics, blocklists, problems, and
//! problems per provider and blocklist.

use super::{limit, more_rows, rule, TextOptions};
use crate::report::Report;
use crate::sanitize::escape_str;
use std::io;
use std::io::Write;

pub(super) fn diagnostics(
    report: &Report,
    options: &TextOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
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

pub(super) fn blocklists(
    report: &Report,
    options: &TextOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
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

pub(super) fn problems(
    report: &Report,
    options: &TextOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
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

/// Problems summed per provider or blocklist, each rule with what to do.
pub(super) fn providers(
    report: &Report,
    options: &TextOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
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
