//! The CSV of records: the header row and a record's cells.

use super::{Record, COLUMNS};
use crate::sanitize::csv_cell;
use std::borrow::Cow;
use std::io::{self, Write};

impl Record<'_> {
    pub(super) fn csv_cells(&self) -> [String; 23] {
        let opt = |v: &Option<Cow<'_, str>>| {
            v.as_deref()
                .map(|s| csv_cell(s).into_owned())
                .unwrap_or_default()
        };
        let num = |v: Option<u64>| v.map(|n| n.to_string()).unwrap_or_default();
        [
            opt(&self.ts),
            opt(&self.stamp),
            opt(&self.host),
            self.mta.to_string(),
            csv_cell(&self.program).into_owned(),
            opt(&self.queue_id),
            self.event.unwrap_or_default().to_string(),
            num(self.code.map(u64::from)),
            self.class.unwrap_or_default().to_string(),
            opt(&self.enhanced),
            opt(&self.dsn),
            opt(&self.relay),
            opt(&self.relay_ip),
            opt(&self.client),
            opt(&self.client_ip),
            opt(&self.sender),
            opt(&self.recipient),
            self.delay_s.map(|d| d.to_string()).unwrap_or_default(),
            num(self.size),
            self.stage.unwrap_or_default().to_string(),
            self.temporary.to_string(),
            self.host_error.to_string(),
            opt(&self.reason),
        ]
    }
}

/// Write the CSV header row.
pub fn write_header(out: &mut dyn Write) -> io::Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(COLUMNS)?;
    writer.flush()
}
