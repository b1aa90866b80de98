//! systemd journal input: `journalctl -o json` and `journalctl -o export`, read as the
//! syslog lines they stand for.
//!
//! Each entry becomes `STAMP HOST IDENT[PID]: MESSAGE`, with the stamp taken from
//! `__REALTIME_TIMESTAMP` (microseconds since the epoch, UTC: no year or zone to guess) and
//! written in the `--tz` zone with its offset, so that the rest of smtplog counts it exactly
//! as it counts the same entry in a classic syslog file. JSON entries are one per line and
//! are converted in the workers, chunk by chunk; export entries span lines (binary fields are
//! length-prefixed), so the reader thread converts them as it reads.

use crate::input::MAX_LINE;
use crate::window::Zone;
use chrono::{DateTime, Utc};
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::borrow::Cow;
use std::fmt;
use std::io::{self, BufRead, Read};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// How the lines of an input are written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LogFormat {
    /// Syslog or Exim mainlog lines.
    #[default]
    Lines,
    /// `journalctl -o json`: one JSON object per line.
    JournalJson,
    /// `journalctl -o export`: `FIELD=value` lines, entries apart by an empty line.
    JournalExport,
}

impl LogFormat {
    /// The format of a (decompressed) input, from its first bytes.
    pub fn detect(head: &[u8]) -> LogFormat {
        let text = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
        let first = text.iter().position(|b| !b.is_ascii_whitespace());
        match first.map(|i| &text[i..]) {
            Some(t) if t.starts_with(b"{") => LogFormat::JournalJson,
            Some(t) if t.starts_with(b"__CURSOR=") || t.starts_with(b"__REALTIME_TIMESTAMP=") => {
                LogFormat::JournalExport
            }
            _ => LogFormat::Lines,
        }
    }

    /// The format's name, for messages.
    pub fn name(self) -> &'static str {
        match self {
            LogFormat::Lines => "log lines",
            LogFormat::JournalJson => "journal JSON",
            LogFormat::JournalExport => "journal export",
        }
    }
}

/// What one journal entry gave.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Converted {
    /// A syslog line, in the output buffer.
    Line,
    /// journald left the message out (over its 4096-byte field limit: `MESSAGE` is null),
    /// or it is longer than [`MAX_LINE`].
    Overlong,
    /// Not a journal entry: bad JSON, no timestamp or no message.
    Malformed,
    /// An empty line between entries: nothing to count.
    Blank,
}

/// A field's value: text, bytes (journald writes non-UTF-8 values as arrays of numbers),
/// or null (a value over journald's size limit).
#[derive(Debug, Default)]
enum Value<'a> {
    #[default]
    Missing,
    Null,
    Text(Cow<'a, str>),
    Bytes(Vec<u8>),
}

impl Value<'_> {
    fn bytes(&self) -> Option<&[u8]> {
        match self {
            Value::Text(t) => Some(t.as_bytes()),
            Value::Bytes(b) => Some(b),
            Value::Missing | Value::Null => None,
        }
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a journal field value")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Value<'de>, E> {
        Ok(Value::Text(Cow::Borrowed(v)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value<'de>, E> {
        Ok(Value::Text(Cow::Owned(v.to_string())))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Value<'de>, E> {
        Ok(Value::Text(Cow::Owned(v)))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value<'de>, E> {
        Ok(Value::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Value<'de>, E> {
        Ok(Value::Null)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value<'de>, E> {
        Ok(Value::Text(Cow::Owned(v.to_string())))
    }

    /// An array of byte values (a non-UTF-8 value), or of values (a field given more
    /// than once: the first counts, as syslog shows the first).
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value<'de>, A::Error> {
        let mut bytes = Vec::new();
        let mut first: Option<Value<'de>> = None;
        while let Some(item) = seq.next_element::<Item<'de>>()? {
            match item {
                Item::Byte(b) => bytes.push(b),
                Item::Value(v) => {
                    first.get_or_insert(v);
                }
            }
            if bytes.len() > MAX_LINE {
                // Still read to the end of the array, but keep no more.
                bytes.truncate(MAX_LINE + 1);
            }
        }
        Ok(first.unwrap_or(Value::Bytes(bytes)))
    }
}

impl<'de> de::Deserialize<'de> for Value<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ValueVisitor)
    }
}

/// One element of an array value.
enum Item<'a> {
    Byte(u8),
    Value(Value<'a>),
}

impl<'de> de::Deserialize<'de> for Item<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct ItemVisitor;
        impl<'de> Visitor<'de> for ItemVisitor {
            type Value = Item<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a byte or a field value")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Item<'de>, E> {
                u8::try_from(v)
                    .map(Item::Byte)
                    .map_err(|_| E::custom("byte value over 255"))
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Item<'de>, E> {
                Ok(Item::Value(Value::Text(Cow::Borrowed(v))))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Item<'de>, E> {
                Ok(Item::Value(Value::Text(Cow::Owned(v.to_string()))))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Item<'de>, A::Error> {
                ValueVisitor.visit_seq(seq).map(Item::Value)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Item<'de>, E> {
                Ok(Item::Value(Value::Null))
            }
        }
        d.deserialize_any(ItemVisitor)
    }
}

/// The fields of an entry that make a syslog line; the rest are skipped unread.
#[derive(Default)]
struct Entry<'a> {
    realtime: Value<'a>,
    hostname: Value<'a>,
    identifier: Value<'a>,
    comm: Value<'a>,
    pid: Value<'a>,
    syslog_pid: Value<'a>,
    message: Value<'a>,
}

impl<'de> de::Deserialize<'de> for Entry<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct EntryVisitor;
        impl<'de> Visitor<'de> for EntryVisitor {
            type Value = Entry<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a journal entry (a JSON object)")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Entry<'de>, A::Error> {
                let mut entry = Entry::default();
                while let Some(key) = map.next_key::<Cow<'de, str>>()? {
                    let slot = match key.as_ref() {
                        "__REALTIME_TIMESTAMP" => &mut entry.realtime,
                        "_HOSTNAME" => &mut entry.hostname,
                        "SYSLOG_IDENTIFIER" => &mut entry.identifier,
                        "_COMM" => &mut entry.comm,
                        "_PID" => &mut entry.pid,
                        "SYSLOG_PID" => &mut entry.syslog_pid,
                        "MESSAGE" => &mut entry.message,
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                            continue;
                        }
                    };
                    *slot = map.next_value()?;
                }
                Ok(entry)
            }
        }
        d.deserialize_map(EntryVisitor)
    }
}

/// Turns journal entries into syslog lines, remembering the last second's stamp: entries
/// come in time order, and formatting a date in a zone costs more than the rest of a line.
#[derive(Debug)]
pub struct Converter {
    zone: Zone,
    /// The second of the stamp below, and its text up to the fraction, and its offset.
    second: Option<i64>,
    date_time: String,
    offset: String,
    /// The line made last.
    pub line: Vec<u8>,
}

impl Converter {
    /// A converter writing stamps in `zone`.
    pub fn new(zone: Zone) -> Converter {
        Converter {
            zone,
            second: None,
            date_time: String::new(),
            offset: String::new(),
            line: Vec::new(),
        }
    }

    /// Convert one line of `journalctl -o json`; the syslog line is left in `self.line`.
    pub fn json(&mut self, entry: &[u8]) -> Converted {
        if entry.iter().all(u8::is_ascii_whitespace) {
            return Converted::Blank;
        }
        let Ok(entry) = serde_json::from_slice::<Entry<'_>>(entry) else {
            return Converted::Malformed;
        };
        let message = match &entry.message {
            Value::Null => return Converted::Overlong,
            Value::Missing => return Converted::Malformed,
            m => m.bytes().unwrap_or_default(),
        };
        let Some(realtime) = entry.realtime.bytes() else {
            return Converted::Malformed;
        };
        let pid = entry.syslog_pid.bytes().or(entry.pid.bytes());
        self.write_line(
            realtime,
            entry.hostname.bytes(),
            entry.identifier.bytes().or(entry.comm.bytes()),
            pid,
            message,
        )
    }

    /// Write `STAMP HOST IDENT[PID]: MESSAGE` into `self.line`.
    fn write_line(
        &mut self,
        realtime: &[u8],
        host: Option<&[u8]>,
        ident: Option<&[u8]>,
        pid: Option<&[u8]>,
        message: &[u8],
    ) -> Converted {
        self.line.clear();
        let Some(micros) = std::str::from_utf8(realtime)
            .ok()
            .and_then(|t| t.trim().parse::<i64>().ok())
            .filter(|&m| DateTime::<Utc>::from_timestamp_micros(m).is_some())
        else {
            return Converted::Malformed;
        };
        if message.len() > MAX_LINE {
            return Converted::Overlong;
        }
        let (second, fraction) = (micros.div_euclid(1_000_000), micros.rem_euclid(1_000_000));
        if self.second != Some(second) {
            let Some(instant) = DateTime::<Utc>::from_timestamp(second, 0) else {
                return Converted::Malformed;
            };
            let stamp = self.zone.in_zone(instant);
            self.date_time = stamp.format("%Y-%m-%dT%H:%M:%S").to_string();
            self.offset = stamp.format("%:z").to_string();
            self.second = Some(second);
        }
        let out = &mut self.line;
        out.extend_from_slice(self.date_time.as_bytes());
        out.push(b'.');
        let digits = fraction as u32;
        for place in [100_000, 10_000, 1000, 100, 10, 1] {
            out.push(b'0' + ((digits / place) % 10) as u8);
        }
        out.extend_from_slice(self.offset.as_bytes());
        write_rest(out, host, ident, pid, message);
        Converted::Line
    }
}

/// The part of a syslog line after its stamp.
fn write_rest(
    out: &mut Vec<u8>,
    host: Option<&[u8]>,
    ident: Option<&[u8]>,
    pid: Option<&[u8]>,
    message: &[u8],
) {
    out.push(b' ');
    push_word(out, host.filter(|h| !h.is_empty()).unwrap_or(b"localhost"));
    out.push(b' ');
    push_word(out, ident.filter(|i| !i.is_empty()).unwrap_or(b"unknown"));
    if let Some(pid) = pid.filter(|p| !p.is_empty() && p.iter().all(u8::is_ascii_digit)) {
        out.push(b'[');
        out.extend_from_slice(pid);
        out.push(b']');
    }
    out.extend_from_slice(b": ");
    // One entry is one line: a newline inside a message must not start another.
    let start = out.len();
    out.extend_from_slice(message);
    for b in &mut out[start..] {
        if matches!(*b, b'\n' | b'\r') {
            *b = b' ';
        }
    }
}

/// A host or tag as one word of a syslog header.
fn push_word(out: &mut Vec<u8>, word: &[u8]) {
    out.extend(
        word.iter()
            .map(|&b| if b.is_ascii_whitespace() { b'_' } else { b }),
    );
}

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
struct ExportEntry {
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

#[cfg(test)]
mod tests {
    use super::*;

    const UTC: Zone = Zone::Named(chrono_tz::Tz::UTC);

    fn json(entry: &str) -> (Converted, String) {
        let mut converter = Converter::new(UTC);
        let c = converter.json(entry.as_bytes());
        (c, String::from_utf8_lossy(&converter.line).into_owned())
    }

    #[test]
    fn formats_are_told_by_their_first_bytes() {
        assert_eq!(
            LogFormat::detect(b"{\"__CURSOR\":\"s=1\"}\n"),
            LogFormat::JournalJson
        );
        assert_eq!(
            LogFormat::detect(b"__CURSOR=s=1;i=2\n"),
            LogFormat::JournalExport
        );
        assert_eq!(
            LogFormat::detect(b"__REALTIME_TIMESTAMP=1\n"),
            LogFormat::JournalExport
        );
        assert_eq!(
            LogFormat::detect(b"Nov 24 12:05:23 mx1 x"),
            LogFormat::Lines
        );
        assert_eq!(LogFormat::detect(b""), LogFormat::Lines);
    }

    #[test]
    fn a_json_entry_becomes_its_syslog_line() {
        let (c, line) = json(
            r#"{"__CURSOR":"s=a","__REALTIME_TIMESTAMP":"1764000000123456","_HOSTNAME":"mx1","SYSLOG_IDENTIFIER":"postfix/smtpd","_PID":"42","SYSLOG_PID":"41","PRIORITY":"6","MESSAGE":"connect from a[192.0.2.1]","_SOURCE_MONOTONIC_TIMESTAMP":"1"}"#,
        );
        assert_eq!(c, Converted::Line);
        assert_eq!(
            line,
            "2025-11-24T16:00:00.123456+00:00 mx1 postfix/smtpd[41]: connect from a[192.0.2.1]"
        );
    }

    #[test]
    fn byte_arrays_null_messages_and_junk() {
        // journald writes a value that is not UTF-8 as an array of bytes.
        let (c, line) = json(
            r#"{"__REALTIME_TIMESTAMP":"0","_HOSTNAME":"h","SYSLOG_IDENTIFIER":"exim","MESSAGE":[104,105,255,10,33]}"#,
        );
        assert_eq!(c, Converted::Line);
        assert!(line.ends_with("exim: hi\u{fffd} !"), "{line}");
        // Over 4096 bytes, journald writes null.
        let (c, _) = json(r#"{"__REALTIME_TIMESTAMP":"0","MESSAGE":null}"#);
        assert_eq!(c, Converted::Overlong);
        for junk in [
            "{",
            "[1,2]",
            r#"{"MESSAGE":"no stamp"}"#,
            r#"{"__REALTIME_TIMESTAMP":"x","MESSAGE":"m"}"#,
            r#"{"__REALTIME_TIMESTAMP":"99999999999999999999","MESSAGE":"m"}"#,
            r#"{"__REALTIME_TIMESTAMP":"1","MESSAGE":[300]}"#,
            r#"{"__REALTIME_TIMESTAMP":"1"}"#,
        ] {
            assert_eq!(json(junk).0, Converted::Malformed, "{junk}");
        }
        assert_eq!(json("  ").0, Converted::Blank);
        // Escapes in strings, a field given twice (the first counts), newlines flattened.
        let (c, line) = json(
            r#"{"__REALTIME_TIMESTAMP":"1","SYSLOG_IDENTIFIER":["postfix/smtp","x"],"MESSAGE":"a\"b\nc\u0007"}"#,
        );
        assert_eq!(c, Converted::Line);
        assert!(
            line.ends_with("localhost postfix/smtp: a\"b c\u{7}"),
            "{line:?}"
        );
    }

    fn export(data: &[u8]) -> (String, u64, u64) {
        let tally = Arc::new(ExportTally::default());
        let mut reader = ExportReader::new(data, UTC, Arc::clone(&tally));
        let mut out = Vec::new();
        reader.read_to_end(&mut out).unwrap();
        (
            String::from_utf8_lossy(&out).into_owned(),
            tally.overlong.load(Ordering::Relaxed),
            tally.malformed.load(Ordering::Relaxed),
        )
    }

    #[test]
    fn export_entries_with_text_and_binary_fields() {
        let mut data = b"__CURSOR=s=1\n__REALTIME_TIMESTAMP=1000000\n_HOSTNAME=mx1\nSYSLOG_IDENTIFIER=postfix/qmgr\n_PID=7\nMESSAGE=ABC: removed\n\n".to_vec();
        data.extend(
            b"__CURSOR=s=2\n__REALTIME_TIMESTAMP=2000000\nSYSLOG_IDENTIFIER=exim\nMESSAGE\n",
        );
        data.extend(&5u64.to_le_bytes());
        data.extend(b"a\nb\xff\n\n\n");
        // No message: malformed. A binary length past the end: malformed.
        data.extend(b"__REALTIME_TIMESTAMP=3\nPRIORITY=6\n\n");
        data.extend(b"__REALTIME_TIMESTAMP=4\nMESSAGE\n");
        data.extend(&(1u64 << 40).to_le_bytes());
        data.extend(b"short");
        let (text, overlong, malformed) = export(&data);
        assert_eq!(
            text,
            "1970-01-01T00:00:01.000000+00:00 mx1 postfix/qmgr[7]: ABC: removed\n\
             1970-01-01T00:00:02.000000+00:00 localhost exim: a b\u{fffd} \n"
        );
        assert_eq!((overlong, malformed), (1, 1));
    }
}
