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
