//! CSV output: one row per group of a `--by` breakdown, for spreadsheets.

use super::{group, Dimension, Report};
use crate::catalogue::catalogue;
use crate::code::{EnhancedCode, ReplyCode};
use crate::sanitize::csv_cell;
use std::io::{self, Write};

/// Write the breakdown as RFC 4180 CSV with a header row.
///
/// With `advice`, rows keyed by a code get the catalogue's title and advice as two more
/// columns (for the first code or enhanced dimension). No cell can start a formula.
pub fn write(
    report: &Report,
    dims: &[Dimension],
    advice: bool,
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut writer = ::csv::WriterBuilder::new().from_writer(out);
    let mut header: Vec<&str> = dims.iter().map(|d| d.name()).collect();
    header.push("count");
    if advice {
        header.extend(["title", "advice"]);
    }
    writer.write_record(&header)?;
    let advice_dim = dims
        .iter()
        .position(|d| matches!(d, Dimension::Code | Dimension::Enhanced | Dimension::Dsn));
    for row in group(report, dims) {
        let mut record: Vec<String> = row.keys.iter().map(|k| csv_cell(k).into_owned()).collect();
        record.push(row.count.to_string());
        if advice {
            let (title, text) = advice_dim
                .map(|i| advice_for(dims[i], &row.keys[i]))
                .unwrap_or_default();
            record.push(csv_cell(&title).into_owned());
            record.push(csv_cell(&text).into_owned());
        }
        writer.write_record(&record)?;
    }
    writer.flush()
}

/// Write one table of its own (`--by sender`, `--by problem`, ...), every row the report
/// holds, in the order the text shows them.
pub fn write_table(report: &Report, dim: Dimension, out: &mut dyn Write) -> io::Result<()> {
    let mut writer = ::csv::WriterBuilder::new().from_writer(out);
    match dim {
        Dimension::Problem => write_problems(report, &mut writer)?,
        Dimension::Provider => write_providers(report, &mut writer)?,
        Dimension::Diagnostic => write_diagnostics(report, &mut writer)?,
        Dimension::Host => super::sources::write_csv(&report.hosts, "host", &mut writer)?,
        Dimension::Instance => {
            super::sources::write_csv(&report.instances, "instance", &mut writer)?
        }
        Dimension::DnsblRank => {
            writer.write_record(["dnsbl_rank", "clients"])?;
            let b = &report.blocklists;
            for row in &b.ranks {
                writer.write_record([row.rank.to_string(), row.count.to_string()])?;
            }
            if let Some(total) = b.ranks_capped {
                writer.write_record(["all ranks".to_string(), total.to_string()])?;
            }
        }
        Dimension::Blocklist => {
            writer.write_record(["blocklist", "reply", "listings"])?;
            let b = &report.blocklists;
            for row in &b.listings {
                writer.write_record([
                    csv_cell(&row.list).as_ref(),
                    csv_cell(&row.reply).as_ref(),
                    &row.count.to_string(),
                ])?;
            }
            if let Some(total) = b.listings_capped {
                writer.write_record(["(too many to list)", "", &total.to_string()])?;
            }
        }
        _ => write_party(report, dim, &mut writer)?,
    }
    writer.flush()
}

/// Problems: `event,stage,code,enhanced,reason,count,examples,advice`, then the provider
/// rule's `provider_rule,provider,direction,provider_action,provider_url` (empty for none).
fn write_problems<W: Write>(report: &Report, writer: &mut ::csv::Writer<W>) -> io::Result<()> {
    writer.write_record([
        "event",
        "stage",
        "code",
        "enhanced",
        "reason",
        "count",
        "examples",
        "advice",
        "provider_rule",
        "provider",
        "direction",
        "provider_action",
        "provider_url",
    ])?;
    for p in &report.problems {
        let a = p.provider.as_ref();
        writer.write_record([
            p.event.map_or("none", |e| e.name()),
            p.stage.as_deref().unwrap_or_default(),
            &p.code.map(|c| c.to_string()).unwrap_or_default(),
            p.enhanced.as_deref().unwrap_or_default(),
            &csv_cell(&p.reason),
            &p.count.to_string(),
            &csv_cell(&p.examples.join(", ")),
            &csv_cell(&p.advice),
            a.map_or("", |a| &a.rule),
            &csv_cell(a.map_or("", |a| &a.provider)),
            a.map_or("", |a| a.direction.name()),
            &csv_cell(a.map_or("", |a| &a.action)),
            a.map_or("", |a| &a.url),
        ])?;
    }
    Ok(())
}

/// Problems per provider: one row per provider and rule,
/// `provider,kind,rule,direction,count,codes,meaning,action,url`.
fn write_providers<W: Write>(report: &Report, writer: &mut ::csv::Writer<W>) -> io::Result<()> {
    writer.write_record([
        "provider",
        "kind",
        "rule",
        "direction",
        "count",
        "codes",
        "meaning",
        "action",
        "url",
    ])?;
    for p in &report.providers {
        for r in &p.rules {
            writer.write_record([
                csv_cell(&p.provider).as_ref(),
                p.kind.name(),
                &r.rule,
                r.direction.name(),
                &r.count.to_string(),
                &r.codes.join(" "),
                &csv_cell(&r.meaning),
                &csv_cell(&r.action),
                &r.url,
            ])?;
        }
    }
    Ok(())
}

/// Diagnostics: `mta,program,severity,text,count`.
fn write_diagnostics<W: Write>(report: &Report, writer: &mut ::csv::Writer<W>) -> io::Result<()> {
    writer.write_record(["mta", "program", "severity", "text", "count"])?;
    for d in &report.diagnostics {
        writer.write_record([
            d.mta.name(),
            &csv_cell(&d.program),
            d.severity.name(),
            &csv_cell(&d.text),
            &d.count.to_string(),
        ])?;
    }
    Ok(())
}

/// A sender/recipient table, busiest first.
fn write_party<W: Write>(
    report: &Report,
    dim: Dimension,
    writer: &mut ::csv::Writer<W>,
) -> io::Result<()> {
    let p = &report.parties;
    match p.traffic(dim) {
        Some(table) => {
            writer.write_record([dim.name(), "messages", "bytes"])?;
            for row in &table.rows {
                writer.write_record([
                    csv_cell(&row.key).as_ref(),
                    &row.messages.to_string(),
                    &row.bytes.to_string(),
                ])?;
            }
        }
        None => {
            writer.write_record([
                dim.name(),
                "delivered",
                "bytes",
                "deferred",
                "bounced",
                "avg_delay_s",
                "max_delay_s",
            ])?;
            let seconds = |ms: u64| format!("{:.3}", ms as f64 / 1000.0);
            for row in &p.recipient_domains.rows {
                writer.write_record([
                    csv_cell(&row.domain).as_ref(),
                    &row.delivered.to_string(),
                    &row.bytes.to_string(),
                    &row.deferred.to_string(),
                    &row.bounced.to_string(),
                    &row.avg_delay_ms.map(seconds).unwrap_or_default(),
                    &row.max_delay_ms.map(seconds).unwrap_or_default(),
                ])?;
            }
        }
    }
    Ok(())
}

fn advice_for(dim: Dimension, key: &str) -> (String, String) {
    let cat = catalogue();
    let found = match dim {
        Dimension::Code => key
            .parse::<ReplyCode>()
            .ok()
            .and_then(|c| cat.reply(c))
            .map(|e| (e.title.clone(), e.advice.clone())),
        _ => key
            .parse::<EnhancedCode>()
            .ok()
            .and_then(|c| cat.enhanced(c))
            .map(|e| (e.title.clone(), e.advice.clone())),
    };
    found.unwrap_or_default()
}
