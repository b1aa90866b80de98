//! Reading `journalctl -o export`: entries of `FIELD=value` lines and length-prefixed
//! binary fields, converted into syslog lines as they are read.

use super::{Converted, Converter};
use crate::input::MAX_LINE;
use crate::window::Zone;
use std::io;
use std::io::{BufRead, Read};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Entries of an export stream that could not become lines, for the report's counts.
#[derive(Debug, Default)]
pub struct ExportTally {
    /// Entries whose message was too long.
    pub overlong: AtomicU64,
    /// Entries that were not well-formed.
    pub malformed: AtomicU64,
}

/// Reads `journalctl -o export` and yields the syslog lines of its entries, one per line.
pub struct ExportReader<R> {
    inner: R,
    converter: Converter,
    tally: Arc<ExportTally>,
    /// Lines made but not yet read out.
    out: Vec<u8>,
    at: usize,
    field: Vec<u8>,
    entry: ExportEntry,
    done: bool,
}

#[derive(Default)]
pub(super) struct ExportEntry {
    fields: usize,
    broken: bool,
    overlong: bool,
    realtime: Vec<u8>,
    hostname: Option<Vec<u8>>,
    identifier: Option<Vec<u8>>,
    comm: Option<Vec<u8>>,
    pid: Option<Vec<u8>>,
    syslog_pid: Option<Vec<u8>>,
    message: Option<Vec<u8>>,
}

impl<R: BufRead> ExportReader<R> {
    /// Read export entries from `inner`, writing stamps in `zone`; entries that make no
    /// line are counted in `tally`.
    pub fn new(inner: R, zone: Zone, tally: Arc<ExportTally>) -> ExportReader<R> {
        ExportReader {
            inner,
            converter: Converter::new(zone),
            tally,
            out: Vec::new(),
            at: 0,
            field: Vec::new(),
            entry: ExportEntry::default(),
            done: false,
        }
    }

    /// Read one `\n`-terminated line of at most `MAX_LINE` bytes into `self.field`; a longer
    /// one is skipped to its end. Returns false at the end of the input.
    fn read_field_line(&mut self) -> io::Result<Option<bool>> {
        self.field.clear();
        let n = (&mut self.inner)
            .take(MAX_LINE as u64 + 1)
            .read_until(b'\n', &mut self.field)?;
        if n == 0 {
            return Ok(None);
        }
        if self.field.last() == Some(&b'\n') {
            self.field.pop();
            return Ok(Some(true));
        }
        if n <= MAX_LINE {
            // The input ended inside the line.
            return Ok(Some(true));
        }
        // Too long: skip the rest of it.
        let mut sink = Vec::new();
        loop {
            sink.clear();
            let m = (&mut self.inner)
                .take(64 << 10)
                .read_until(b'\n', &mut sink)?;
            if m == 0 || sink.last() == Some(&b'\n') {
                return Ok(Some(false));
            }
        }
    }

    /// Finish the entry read so far: a line in `self.out`, or a count in the tally.
    fn finish_entry(&mut self) {
        let entry = std::mem::take(&mut self.entry);
        if entry.fields == 0 {
            return;
        }
        let result = match (&entry.message, entry.broken, entry.overlong) {
            (_, _, true) => Converted::Overlong,
            (_, true, _) | (None, _, _) => Converted::Malformed,
            (Some(message), false, false) => self.converter.write_line(
                &entry.realtime,
                entry.hostname.as_deref(),
                entry.identifier.as_deref().or(entry.comm.as_deref()),
                entry.syslog_pid.as_deref().or(entry.pid.as_deref()),
                message,
            ),
        };
        match result {
            Converted::Line => {
                self.out.extend_from_slice(&self.converter.line);
                self.out.push(b'\n');
            }
            Converted::Overlong => {
                self.tally.overlong.fetch_add(1, Ordering::Relaxed);
            }
            Converted::Malformed => {
                self.tally.malformed.fetch_add(1, Ordering::Relaxed);
            }
            Converted::Blank => {}
        }
    }

    /// Take one field (a line read into `self.field`) into the current entry.
    fn take_field(&mut self, whole: bool) -> io::Result<()> {
        self.entry.fields += 1;
        if !whole {
            self.entry.overlong |= self.field.starts_with(b"MESSAGE=");
            self.entry.broken |= !self.field.starts_with(b"MESSAGE=");
            return Ok(());
        }
        let (name, value) = match memchr::memchr(b'=', &self.field) {
            Some(eq) => (
                self.field[..eq].to_vec(),
                Some(self.field[eq + 1..].to_vec()),
            ),
            None => (std::mem::take(&mut self.field), None),
        };
        let value = match value {
            Some(v) => v,
            None => {
                // A binary field: little-endian 64-bit length, the data, a newline.
                let mut len = [0u8; 8];
                if self.inner.read_exact(&mut len).is_err() {
                    self.entry.broken = true;
                    return Ok(());
                }
                let len = u64::from_le_bytes(len);
                if len > MAX_LINE as u64 {
                    io::copy(&mut (&mut self.inner).take(len), &mut io::sink())?;
                    let mut newline = [0u8; 1];
                    let _ = self.inner.read_exact(&mut newline);
                    if name == b"MESSAGE" {
                        self.entry.overlong = true;
                    }
                    return Ok(());
                }
                let mut data = Vec::with_capacity(len as usize);
                (&mut self.inner).take(len).read_to_end(&mut data)?;
                let mut newline = [0u8; 1];
                if data.len() as u64 != len
                    || self.inner.read_exact(&mut newline).is_err()
                    || newline[0] != b'\n'
                {
                    self.entry.broken = true;
                    return Ok(());
                }
                data
            }
        };
        let e = &mut self.entry;
        match name.as_slice() {
            b"__REALTIME_TIMESTAMP" => e.realtime = value,
            b"_HOSTNAME" => e.hostname = Some(value),
            b"SYSLOG_IDENTIFIER" => e.identifier = e.identifier.take().or(Some(value)),
            b"_COMM" => e.comm = Some(value),
            b"_PID" => e.pid = Some(value),
            b"SYSLOG_PID" => e.syslog_pid = Some(value),
            b"MESSAGE" => e.message = e.message.take().or(Some(value)),
            _ => {}
        }
        Ok(())
    }

    /// Read until at least one line is ready or the input ends.
    fn refill(&mut self) -> io::Result<()> {
        self.out.clear();
        self.at = 0;
        while self.out.is_empty() && !self.done {
            match self.read_field_line()? {
                None => {
                    self.finish_entry();
                    self.done = true;
                }
                Some(true) if self.field.is_empty() => self.finish_entry(),
                Some(whole) => self.take_field(whole)?,
            }
        }
        Ok(())
    }
}

impl<R: BufRead> Read for ExportReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.at >= self.out.len() {
            self.refill()?;
        }
        let ready = &self.out[self.at..];
        let n = ready.len().min(buf.len());
        buf[..n].copy_from_slice(&ready[..n]);
        self.at += n;
        Ok(n)
    }
}
