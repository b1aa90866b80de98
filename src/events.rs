//! `smtplog events`: one record per reply or event line, with the parsed fields, for the
//! log engines people already run (ClickHouse, Elasticsearch, Loki, DuckDB, BigQuery).
//!
//! A record is written for every line the report counts as a reply (it has a reply code)
//! or an event (delivered, deferred, bounced, ...), in input order. Text from the log is
//! escaped as in the report's JSON (`\xNN` for invalid UTF-8, `\\` for a backslash), so a
//! record always holds valid UTF-8 and the same keys as the report's tables. Records are
//! made chunk by chunk in parallel and written in order.

use crate::code::ReplyCode;
use crate::journal::{Converted, Converter, LogFormat};
use crate::parse::{split_header, LineKind, ParsedLine, Parser};
use crate::problems::normalise;
use crate::sanitize::{csv_cell, escape_bytes};
use crate::stamp::{Stamp, YearRule};
use crate::window::{Window, Zone};
use serde::Serialize;
use std::io::{self, Write};

/// Output formats of `events`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventFormat {
    /// One JSON object per line.
    Ndjson,
    /// CSV with a header row, the same columns.
    Csv,
}

/// The columns, in order; the JSON keys and the CSV header.
pub const COLUMNS: [&str; 22] = [
    "ts",
    "stamp",
    "host",
    "mta",
    "program",
    "queue_id",
    "event",
    "code",
    "class",
    "enhanced",
    "dsn",
    "relay",
    "relay_ip",
    "client",
    "client_ip",
    "sender",
    "recipient",
    "delay_s",
    "size",
    "stage",
    "temporary",
    "reason",
];

/// One record.
#[derive(Debug, Default, Serialize, PartialEq)]
pub struct Record {
    /// RFC 3339 in UTC, when the line's time is known (stamps without an offset are read in
    /// the `--tz` zone).
    pub ts: Option<String>,
    /// The line's stamp as written, when it has no offset (`2026-11-24 12:05:23`, the year
    /// given by the year rule), else none.
    pub stamp: Option<String>,
    /// The syslog host field.
    pub host: Option<String>,
    /// `postfix` or `exim`.
    pub mta: &'static str,
    /// The Postfix daemon (`smtp`, `smtpd`) or `exim`.
    pub program: String,
    /// Postfix queue id or Exim message id.
    pub queue_id: Option<String>,
    /// delivered, deferred, bounced, expired, rejected, reject_warning, held, discarded, filtered.
    pub event: Option<&'static str>,
    /// The reply code.
    pub code: Option<u16>,
    /// `2xx` .. `5xx`.
    pub class: Option<&'static str>,
    /// The enhanced code that follows the reply code.
    pub enhanced: Option<String>,
    /// Postfix `dsn=`, or a bare enhanced code on a line without a reply code.
    pub dsn: Option<String>,
    /// The host a delivery went to or was tried at.
    pub relay: Option<String>,
    /// Its address.
    pub relay_ip: Option<String>,
    /// The client of a received or rejected message.
    pub client: Option<String>,
    /// Its address.
    pub client_ip: Option<String>,
    /// Envelope sender (Postfix qmgr `from=`, Exim `<=`); empty for the null sender.
    pub sender: Option<String>,
    /// Recipient of a delivery status line.
    pub recipient: Option<String>,
    /// Seconds from arrival to this delivery.
    pub delay_s: Option<f64>,
    /// Message size in bytes.
    pub size: Option<u64>,
    /// For rejections: the stage that refused.
    pub stage: Option<&'static str>,
    /// An Exim `temporarily rejected`, or a Postfix reject with a 4xx code.
    pub temporary: bool,
    /// The reply text or reason, normalised like the report's problems (raw with `--raw`).
    pub reason: Option<String>,
}

/// What records are made of.
#[derive(Clone, Copy, Debug)]
pub struct EventOptions {
    /// Output format.
    pub format: EventFormat,
    /// Keep the reason as written instead of normalising it.
    pub raw: bool,
}

/// Split `host[ip]` (Postfix) or `host [ip]` / `(helo) [ip]` (Exim) into host and address.
fn host_and_ip(text: &[u8]) -> (Option<String>, Option<String>) {
    let text = text.trim_ascii();
    match memchr::memchr(b'[', text) {
        Some(open) => {
            let close = memchr::memchr(b']', &text[open..]).map_or(text.len(), |c| open + c);
            let host = text[..open].trim_ascii();
            let ip = &text[open + 1..close];
            (
                (!host.is_empty() && host != b"unknown").then(|| escape_bytes(host)),
                (!ip.is_empty()).then(|| escape_bytes(ip)),
            )
        }
        None => ((!text.is_empty()).then(|| escape_bytes(text)), None),
    }
}

/// The relay of a delivery status line: Postfix `relay=host[ip]:port,`, Exim ` H=host [ip]`.
fn relay_of(body: &[u8], mta: crate::parse::Mta) -> Option<&[u8]> {
    match mta {
        crate::parse::Mta::Postfix => {
            let at = memchr::memmem::find(body, b" relay=")? + 7;
            let rest = &body[at..];
            let end = memchr::memchr(b',', rest).unwrap_or(rest.len());
            let relay = &rest[..end];
            // Drop the port after `]:`.
            Some(match memchr::memrchr(b']', relay) {
                Some(close) => &relay[..=close],
                None => relay,
            })
        }
        crate::parse::Mta::Exim => {
            let at = memchr::memmem::find(body, b" H=")? + 3;
            let rest = &body[at..];
            let close = memchr::memchr(b']', rest)?;
            Some(&rest[..=close])
        }
    }
}

/// The syslog host: the word before the program tag (`host postfix/smtp[1]:`), none for
/// Exim's own mainlog lines.
fn host_of<'a>(line: &'a [u8], body: &'a [u8]) -> Option<&'a [u8]> {
    let offset = (body.as_ptr() as usize).checked_sub(line.as_ptr() as usize)?;
    let prefix = line.get(..offset)?;
    let words: Vec<&[u8]> = prefix
        .split(|b| *b == b' ')
        .filter(|w| !w.is_empty())
        .collect();
    let tag = words.iter().rposition(|w| w.ends_with(b":"))?;
    (tag > 0).then(|| words[tag - 1])
}

/// RFC 3339 UTC text of a stamp; classic and Exim stamps without an offset in `zone`.
fn utc_text(stamp: &Stamp, zone: &Zone) -> Option<String> {
    let naive = stamp.naive();
    let utc = match stamp.offset {
        Some(offset) => naive.checked_sub_signed(chrono::TimeDelta::seconds(i64::from(offset)))?,
        None => zone.to_utc(naive).naive_utc(),
    };
    Some(utc.format("%Y-%m-%dT%H:%M:%SZ").to_string())
}

impl Record {
    /// The record of a parsed line, or none when the line is neither a reply nor an event.
    pub fn of(
        line: &[u8],
        parsed: &ParsedLine<'_>,
        body: &[u8],
        zone: &Zone,
        raw: bool,
    ) -> Option<Record> {
        let LineKind::Mail(mta) = parsed.kind else {
            return None;
        };
        if parsed.code.is_none() && parsed.event.is_none() {
            return None;
        }
        let text = |b: &[u8]| escape_bytes(b);
        let (relay, relay_ip) = relay_of(body, mta).map_or((None, None), host_and_ip);
        let client_text = parsed.client.or(match parsed.event {
            Some(crate::parse::Event::Rejected | crate::parse::Event::RejectWarning) => {
                parsed.party
            }
            _ => None,
        });
        let (client, client_ip) = client_text.map_or((None, None), host_and_ip);
        let recipient = parsed.recipient.or(match parsed.event {
            Some(
                crate::parse::Event::Delivered
                | crate::parse::Event::Deferred
                | crate::parse::Event::Bounced
                | crate::parse::Event::Expired,
            ) => parsed.party,
            _ => None,
        });
        Some(Record {
            ts: parsed.stamp.as_ref().and_then(|s| utc_text(s, zone)),
            stamp: parsed
                .stamp
                .filter(|s| s.offset.is_none())
                .map(|s| s.naive().format("%Y-%m-%d %H:%M:%S").to_string()),
            host: host_of(line, body).map(text),
            mta: mta.name(),
            program: text(parsed.program),
            queue_id: parsed.message_id.map(text),
            event: parsed.event.map(|e| e.name()),
            code: parsed.code.map(ReplyCode::value),
            class: parsed
                .code
                .map(|c| ["", "", "2xx", "3xx", "4xx", "5xx"][usize::from(c.value() / 100)]),
            enhanced: parsed.code.and(parsed.enhanced).map(|e| e.to_string()),
            dsn: parsed.dsn.map(|e| e.to_string()),
            relay,
            relay_ip,
            client,
            client_ip,
            sender: parsed.sender.map(text),
            recipient: recipient.map(text),
            delay_s: parsed.delay_ms.map(|ms| ms as f64 / 1000.0),
            size: parsed.size,
            stage: parsed.stage,
            temporary: parsed.temporary
                || (parsed.event == Some(crate::parse::Event::Rejected)
                    && parsed.code.is_some_and(|c| c.value() / 100 == 4)),
            reason: parsed
                .reason
                .map(|r| if raw { escape_bytes(r) } else { normalise(r) }),
        })
    }

    fn csv_cells(&self) -> [String; 22] {
        let opt = |v: &Option<String>| {
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

/// Make the records of one chunk of lines into `out` (lines outside `window` are skipped).
pub fn write_chunk(
    parser: &Parser,
    data: &[u8],
    years: &YearRule,
    window: &Window,
    format: LogFormat,
    options: EventOptions,
    out: &mut Vec<u8>,
) -> io::Result<()> {
    let mut csv = (options.format == EventFormat::Csv).then(|| {
        csv::WriterBuilder::new()
            .has_headers(false)
            .from_writer(Vec::new())
    });
    let mut converter = Converter::new(window.zone);
    for line in crate::input::lines(data) {
        if crate::input::is_overlong(line) {
            continue;
        }
        let line = match format {
            LogFormat::JournalJson => match converter.json(line) {
                Converted::Line => converter.line.as_slice(),
                _ => continue,
            },
            LogFormat::Lines | LogFormat::JournalExport => line,
        };
        let header = split_header(line, years);
        if !window.contains(header.stamp.as_ref()) {
            continue;
        }
        let body = header.body;
        let parsed = parser.parse_body(header);
        let Some(record) = Record::of(line, &parsed, body, &window.zone, options.raw) else {
            continue;
        };
        match &mut csv {
            Some(writer) => writer.write_record(record.csv_cells())?,
            None => {
                serde_json::to_writer(&mut *out, &record)?;
                out.push(b'\n');
            }
        }
    }
    if let Some(writer) = csv {
        out.extend(writer.into_inner().map_err(|e| e.into_error())?);
    }
    Ok(())
}

/// The JSON Schema of an NDJSON record.
pub const SCHEMA: &str = include_str!("events.schema.json");

#[cfg(test)]
mod tests {
    use super::*;

    fn record(line: &str) -> Option<Record> {
        let parser = Parser::new();
        let years = YearRule::fixed(2026);
        let header = split_header(line.as_bytes(), &years);
        let body = header.body;
        let parsed = parser.parse_body(header);
        Record::of(
            line.as_bytes(),
            &parsed,
            body,
            &Zone::Named(chrono_tz::Tz::UTC),
            false,
        )
    }

    #[test]
    fn a_postfix_deferral_has_its_fields() {
        let r = record("Nov 24 12:05:23 mx1 postfix/smtp[29970]: 80403B82BD: to=<u450@sink.test>, relay=mx.sink.test[192.0.2.7]:25, delay=1.5, delays=0/0/0/1.5, dsn=4.2.1, status=deferred (host mx.sink.test[192.0.2.7] said: 450 4.2.1 <u450@sink.test>: Mailbox busy (in reply to RCPT TO command))").unwrap();
        assert_eq!(r.ts.as_deref(), Some("2026-11-24T12:05:23Z"));
        assert_eq!(r.stamp.as_deref(), Some("2026-11-24 12:05:23"));
        assert_eq!(r.host.as_deref(), Some("mx1"));
        assert_eq!((r.mta, r.program.as_str()), ("postfix", "smtp"));
        assert_eq!(r.queue_id.as_deref(), Some("80403B82BD"));
        assert_eq!(
            (r.event, r.code, r.class),
            (Some("deferred"), Some(450), Some("4xx"))
        );
        assert_eq!(
            (r.enhanced.as_deref(), r.dsn.as_deref()),
            (Some("4.2.1"), Some("4.2.1"))
        );
        assert_eq!(
            (r.relay.as_deref(), r.relay_ip.as_deref()),
            (Some("mx.sink.test"), Some("192.0.2.7"))
        );
        assert_eq!(r.recipient.as_deref(), Some("u450@sink.test"));
        assert_eq!(r.delay_s, Some(1.5));
        assert_eq!(r.reason.as_deref(), Some("<*>: Mailbox busy"));
    }

    #[test]
    fn a_reject_names_its_client_and_an_exim_delivery_its_relay() {
        let r = record("2026-11-24T12:05:23+01:00 mx1 postfix/smtpd[1]: NOQUEUE: reject: RCPT from c.example[192.0.2.9]: 450 4.7.1 <x@y.test>: Recipient address rejected: greylisted; from=<a@b.test> to=<x@y.test> proto=ESMTP helo=<c>").unwrap();
        assert_eq!(r.ts.as_deref(), Some("2026-11-24T11:05:23Z"));
        assert_eq!(r.stamp, None);
        assert_eq!(
            (r.event, r.code, r.stage),
            (Some("rejected"), Some(450), Some("RCPT"))
        );
        assert!(r.temporary);
        assert_eq!(
            (r.client.as_deref(), r.client_ip.as_deref()),
            (Some("c.example"), Some("192.0.2.9"))
        );
        let r = record("2026-11-24 12:05:40 1xVpHI-0007o9-2x => ok@sink.test R=r T=remote_smtp S=1404 H=mx.sink.test [192.0.2.5]:2525 C=\"250 2.0.0 Ok\" QT=2s DT=0s").unwrap();
        assert_eq!((r.host, r.mta, r.event), (None, "exim", Some("delivered")));
        assert_eq!(
            (r.relay.as_deref(), r.relay_ip.as_deref()),
            (Some("mx.sink.test"), Some("192.0.2.5"))
        );
        assert_eq!(r.code, Some(250));
        assert!(
            record("Nov 24 12:05:23 mx1 postfix/smtpd[1]: connect from a[192.0.2.1]").is_none()
        );
        assert!(record("Nov 24 12:05:23 mx1 sshd[1]: 550 nope").is_none());
    }

    #[test]
    fn hostile_text_stays_data() {
        let r = record("Nov 24 12:05:23 mx1 postfix/smtp[2]: 80403B82BD: to=<=cmd|'/C calc'!A0@b.test>, relay=mx[192.0.2.1]:25, delay=1, delays=0/0/0/1, dsn=5.1.1, status=bounced (host mx[192.0.2.1] said: 550 5.1.1 \x1b[2J\"},{\"x\":1 \u{202e} (in reply to RCPT TO command))").unwrap();
        let json = serde_json::to_string(&r).unwrap();
        let back: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(back["event"], "bounced");
        assert!(
            !json.contains('\x1b') && !json.contains('\u{202e}'),
            "{json}"
        );
        let cells = r.csv_cells();
        assert!(cells[16].starts_with('\''), "{:?}", cells[16]);
    }
}
