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

mod export;
mod json;

pub use export::{ExportReader, ExportTally};
use json::{Entry, Value};

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

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;
    use std::sync::atomic::Ordering;
    use std::sync::Arc;

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
