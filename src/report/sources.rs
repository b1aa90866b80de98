//! Lines per syslog host and per instance in reports (`--by host`, `--by instance`).

use crate::sanitize::{csv_cell, escape_bytes, escape_str};
use crate::sources::{SourceCounts, SourceTable, NO_SOURCE};
use serde::{Deserialize, Serialize};
use std::io::{self, Write};

/// One host's or instance's counts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceRow {
    /// The name as written in the log (escaped), or [`NO_SOURCE`] for lines without one.
    pub name: String,
    /// What was counted.
    #[serde(flatten)]
    pub counts: SourceCounts,
}

/// A host or instance table.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourcesOut {
    /// Rows, most lines first (ties by name).
    #[serde(default)]
    pub rows: Vec<SourceRow>,
    /// With more than [`crate::sources::MAX_SOURCES`] names: no rows, only their total.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capped: Option<SourceCounts>,
}

impl SourcesOut {
    /// The table of a summary.
    pub fn new(table: &SourceTable) -> SourcesOut {
        let whole = &table.table;
        let mut rows: Vec<SourceRow> = whole
            .entries
            .iter()
            .map(|(name, counts)| SourceRow {
                name: if name.is_empty() {
                    NO_SOURCE.to_string()
                } else {
                    escape_bytes(name)
                },
                counts: *counts,
            })
            .collect();
        rows.sort_by(|a, b| {
            b.counts
                .lines
                .cmp(&a.counts.lines)
                .then_with(|| a.name.cmp(&b.name))
        });
        SourcesOut {
            rows,
            capped: whole.capped,
        }
    }
}

/// The columns, in order, after the name.
const COLUMNS: [&str; 7] = [
    "lines",
    "mail",
    "delivered",
    "deferred",
    "bounced",
    "expired",
    "rejected",
];

fn cells(c: &SourceCounts) -> [u64; 7] {
    [
        c.lines,
        c.mail,
        c.delivered,
        c.deferred,
        c.bounced,
        c.expired,
        c.rejected,
    ]
}

/// The text table: `title` (`By host`), one row per name.
pub fn write_text(
    table: &SourcesOut,
    title: &str,
    key: &str,
    out: &mut dyn Write,
) -> io::Result<()> {
    writeln!(out, "{title}")?;
    writeln!(out, "{}", "-".repeat(title.chars().count()))?;
    write!(out, " ")?;
    for column in COLUMNS {
        write!(out, " {:>9}", column.to_uppercase())?;
    }
    writeln!(out, "  {}", key.to_uppercase())?;
    let row = |out: &mut dyn Write, counts: &SourceCounts, name: &str| -> io::Result<()> {
        write!(out, " ")?;
        for n in cells(counts) {
            write!(out, " {n:>9}")?;
        }
        writeln!(out, "  {name}")
    };
    for r in &table.rows {
        row(out, &r.counts, &escape_str(&r.name))?;
    }
    if let Some(total) = &table.capped {
        row(
            out,
            total,
            &format!(
                "(more than {} names: only their total)",
                crate::sources::MAX_SOURCES
            ),
        )?;
    }
    Ok(())
}

/// The CSV table: a header row, then one row per name.
pub fn write_csv<W: Write>(
    table: &SourcesOut,
    key: &str,
    writer: &mut ::csv::Writer<W>,
) -> io::Result<()> {
    let mut header = vec![key];
    header.extend(COLUMNS);
    writer.write_record(&header)?;
    let row = |writer: &mut ::csv::Writer<W>, name: &str, counts: &SourceCounts| {
        // `-` is the name of no host, not the start of a formula.
        let name = if name == NO_SOURCE {
            name.to_string()
        } else {
            csv_cell(name).into_owned()
        };
        let mut record = vec![name];
        record.extend(cells(counts).iter().map(u64::to_string));
        writer.write_record(&record)
    };
    for r in &table.rows {
        row(writer, &r.name, &r.counts)?;
    }
    if let Some(total) = &table.capped {
        row(writer, "(too many to list)", total)?;
    }
    Ok(())
}
