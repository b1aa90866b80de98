//! JSON output: the [`Report`] as one object, stable keys (see `schema_version`).

use super::Report;
use std::io::{self, Write};

/// Write the report as pretty JSON.
///
/// Text from logs reaches the JSON only through [`crate::sanitize::escape_bytes`],
/// so invalid UTF-8 shows as `\xNN` escapes and the output is always valid JSON.
pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report)?;
    writeln!(out)
}

/// Read a report written by [`write`].
pub fn read(text: &str) -> Result<Report, serde_json::Error> {
    serde_json::from_str(text)
}
