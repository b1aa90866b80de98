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
use crate::problems::cached_reason;
use crate::sanitize::{csv_cell, escape_bytes, escape_cow};
use crate::stamp::{Stamp, YearRule};
use crate::window::{Window, Zone};
use serde::Serialize;
use std::borrow::Cow;
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
pub const COLUMNS: [&str; 23] = [
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
    "host_error",
    "reason",
];

/// One record.
#[derive(Debug, Default, Serialize, PartialEq)]
pub struct Record<'a> {
    /// RFC 3339 in UTC, when the line's time is known (stamps without an offset are read in
    /// the `--tz` zone).
    pub ts: Option<Cow<'a, str>>,
    /// The line's stamp as written, when it has no offset (`2026-11-24 12:05:23`, the year
    /// given by the year rule), else none.
    pub stamp: Option<Cow<'a, str>>,
    /// The syslog host field.
    pub host: Option<Cow<'a, str>>,
    /// `postfix` or `exim`.
    pub mta: &'static str,
    /// The Postfix daemon (`smtp`, `smtpd`) or `exim`.
    pub program: Cow<'a, str>,
    /// Postfix queue id or Exim message id.
    pub queue_id: Option<Cow<'a, str>>,
    /// delivered, deferred, bounced, expired, rejected, reject_warning, held, discarded, filtered.
    pub event: Option<&'static str>,
    /// The reply code.
    pub code: Option<u16>,
    /// `2xx` .. `5xx`.
    pub class: Option<&'static str>,
    /// The enhanced code that follows the reply code.
    pub enhanced: Option<Cow<'a, str>>,
    /// Postfix `dsn=`, or a bare enhanced code on a line without a reply code.
    pub dsn: Option<Cow<'a, str>>,
    /// The host a delivery went to or was tried at.
    pub relay: Option<Cow<'a, str>>,
    /// Its address.
    pub relay_ip: Option<Cow<'a, str>>,
    /// The client of a received or rejected message.
    pub client: Option<Cow<'a, str>>,
    /// Its address.
    pub client_ip: Option<Cow<'a, str>>,
    /// Envelope sender (Postfix qmgr `from=`, Exim `<=`); empty for the null sender.
    pub sender: Option<Cow<'a, str>>,
    /// Recipient of a delivery status line.
    pub recipient: Option<Cow<'a, str>>,
    /// Seconds from arrival to this delivery.
    pub delay_s: Option<f64>,
    /// Message size in bytes.
    pub size: Option<u64>,
    /// For rejections: the stage that refused.
    pub stage: Option<&'static str>,
    /// An Exim `temporarily rejected`, or a Postfix reject with a 4xx code.
    pub temporary: bool,
    /// An Exim host-level error without a flag (`H=mx [ip]: SMTP error ...`). When an
    /// address line (`==`/`**`) of the same message repeats its host and reply, the report
    /// counts that reply once, on the address line; these records let a query leave it out.
    pub host_error: bool,
    /// The reply text or reason, normalised like the report's problems (raw with `--raw`).
    pub reason: Option<Cow<'a, str>>,
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
fn host_and_ip(text: &[u8]) -> (Option<Cow<'_, str>>, Option<Cow<'_, str>>) {
    let text = text.trim_ascii();
    match memchr::memchr(b'[', text) {
        Some(open) => {
            let close = memchr::memchr(b']', &text[open..]).map_or(text.len(), |c| open + c);
            let host = text[..open].trim_ascii();
            let ip = &text[open + 1..close];
            (
                (!host.is_empty() && host != b"unknown").then(|| escape_cow(host)),
                (!ip.is_empty()).then(|| escape_cow(ip)),
            )
        }
        None => ((!text.is_empty()).then(|| escape_cow(text)), None),
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
/// Write `YYYY-MM-DD?HH:MM:SS` of a date-time into `out`, `sep` between date and time.
fn push_date_time(out: &mut String, t: &chrono::NaiveDateTime, sep: char) {
    use chrono::{Datelike, Timelike};
    use std::fmt::Write as _;
    let _ = write!(
        out,
        "{:04}-{:02}-{:02}{sep}{:02}:{:02}:{:02}",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    );
}

/// The texts of the last stamp seen, and the zone's offset in the last hour: lines come in
/// time order, many to a second, and looking a time up in a zone costs more than the rest
/// of a record. Zones change their offset on the hour (or half hour) only, so an offset
/// found for a wall-clock hour holds for the whole hour.
#[derive(Default)]
pub struct StampCache {
    last: Option<Stamp>,
    ts: Option<String>,
    stamp: Option<String>,
    /// (date, hour, half) of the wall clock, and the zone's offset then.
    offset: Option<((chrono::NaiveDate, u32, bool), i64)>,
}

impl StampCache {
    fn texts(&mut self, stamp: Option<Stamp>, zone: &Zone) -> (Option<&str>, Option<&str>) {
        if stamp != self.last || self.last.is_none() {
            self.last = stamp;
            self.ts = None;
            self.stamp = None;
            if let Some(stamp) = stamp {
                let naive = stamp.naive();
                let offset = match stamp.offset {
                    Some(offset) => Some(i64::from(offset)),
                    None => {
                        let hour = (stamp.date, stamp.secs / 3600, stamp.secs % 3600 >= 1800);
                        match self.offset {
                            Some((h, offset)) if h == hour => Some(offset),
                            _ => {
                                let utc = zone.to_utc(naive).naive_utc();
                                let offset = (naive - utc).num_seconds();
                                self.offset = Some((hour, offset));
                                Some(offset)
                            }
                        }
                    }
                };
                if let Some(utc) =
                    offset.and_then(|o| naive.checked_sub_signed(chrono::TimeDelta::seconds(o)))
                {
                    let mut text = String::with_capacity(20);
                    push_date_time(&mut text, &utc, 'T');
                    text.push('Z');
                    self.ts = Some(text);
                }
                if stamp.offset.is_none() {
                    let mut text = String::with_capacity(19);
                    push_date_time(&mut text, &naive, ' ');
                    self.stamp = Some(text);
                }
            }
        }
        (self.ts.as_deref(), self.stamp.as_deref())
    }
}

impl<'a> Record<'a> {
    /// The record of a parsed line, or none when the line is neither a reply nor an event.
    pub fn of(
        line: &'a [u8],
        parsed: &ParsedLine<'a>,
        body: &'a [u8],
        zone: &Zone,
        raw: bool,
    ) -> Option<Record<'static>> {
        let mut stamps = StampCache::default();
        Record::with_cache(line, parsed, body, zone, raw, &mut stamps).map(Record::into_owned)
    }

    /// The record with nothing borrowed.
    pub fn into_owned(self) -> Record<'static> {
        fn own(c: Option<Cow<'_, str>>) -> Option<Cow<'static, str>> {
            c.map(|c| Cow::Owned(c.into_owned()))
        }
        Record {
            ts: own(self.ts),
            stamp: own(self.stamp),
            host: own(self.host),
            mta: self.mta,
            program: Cow::Owned(self.program.into_owned()),
            queue_id: own(self.queue_id),
            event: self.event,
            code: self.code,
            class: self.class,
            enhanced: own(self.enhanced),
            dsn: own(self.dsn),
            relay: own(self.relay),
            relay_ip: own(self.relay_ip),
            client: own(self.client),
            client_ip: own(self.client_ip),
            sender: own(self.sender),
            recipient: own(self.recipient),
            delay_s: self.delay_s,
            size: self.size,
            stage: self.stage,
            temporary: self.temporary,
            host_error: self.host_error,
            reason: own(self.reason),
        }
    }

    /// [`Record::of`], with the stamp texts of the lines before.
    fn with_cache(
        line: &'a [u8],
        parsed: &ParsedLine<'a>,
        body: &'a [u8],
        zone: &Zone,
        raw: bool,
        stamps: &'a mut StampCache,
    ) -> Option<Record<'a>> {
        let LineKind::Mail(mta) = parsed.kind else {
            return None;
        };
        if parsed.code.is_none() && parsed.event.is_none() {
            return None;
        }
        let text = |b: &'a [u8]| escape_cow(b);
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
        let (ts, stamp) = stamps.texts(parsed.stamp, zone);
        Some(Record {
            ts: ts.map(Cow::Borrowed),
            stamp: stamp.map(Cow::Borrowed),
            host: host_of(line, body).map(text),
            mta: mta.name(),
            program: text(parsed.program),
            queue_id: parsed.message_id.map(text),
            event: parsed.event.map(|e| e.name()),
            code: parsed.code.map(ReplyCode::value),
            class: parsed
                .code
                .map(|c| ["", "", "2xx", "3xx", "4xx", "5xx"][usize::from(c.value() / 100)]),
            enhanced: parsed
                .code
                .and(parsed.enhanced)
                .map(|e| Cow::Owned(e.to_string())),
            dsn: parsed.dsn.map(|e| Cow::Owned(e.to_string())),
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
            host_error: mta == crate::parse::Mta::Exim
                && parsed.event.is_none()
                && parsed.reply_host.is_some(),
            reason: parsed.reason.map(|r| {
                Cow::Owned(if raw {
                    escape_bytes(r)
                } else {
                    cached_reason(r).to_string()
                })
            }),
        })
    }

    fn csv_cells(&self) -> [String; 23] {
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
    let mut stamps = StampCache::default();
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
        if !window.keeps(header.stamp.as_ref(), header.host) {
            continue;
        }
        let body = header.body;
        let parsed = parser.parse_body(header);
        let Some(record) =
            Record::with_cache(line, &parsed, body, &window.zone, options.raw, &mut stamps)
        else {
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

    fn record(line: &str) -> Option<Record<'static>> {
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
        assert_eq!((r.mta, r.program.as_ref()), ("postfix", "smtp"));
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
