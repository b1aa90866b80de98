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
use crate::stamp::YearRule;
use crate::window::{Window, Zone};
use cache::CodeText;
use fields::{
    host_and_ip, host_of, reason_of, relay_of, Escapes, LineText, LogEscapes, SeenReasons,
};
use serde::Serialize;
use std::borrow::Cow;
use std::io;
use std::rc::Rc;

mod cache;
mod csv;
mod fields;
mod json;
#[cfg(test)]
mod tests;

pub use self::csv::write_header;
pub use cache::StampCache;

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

/// What the records of a chunk borrow their made texts from, kept from line to line.
#[derive(Default)]
struct Scratch {
    stamps: StampCache,
    enhanced: CodeText,
    dsn: CodeText,
    /// The normalised reason of the last record, and what JSON escapes in it.
    reason: Option<(Rc<str>, LogEscapes)>,
    /// A reply text with its ids masked (see [`mask_closed_ids`]).
    masked: Vec<u8>,
    /// Reasons by masked text.
    seen: SeenReasons,
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
        let mut scratch = Scratch::default();
        Record::with_scratch(line, parsed, body, zone, raw, &mut scratch)
            .map(|(record, _)| record.into_owned())
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

    /// [`Record::of`], with the texts made for the lines before.
    fn with_scratch(
        line: &'a [u8],
        parsed: &ParsedLine<'a>,
        body: &'a [u8],
        zone: &Zone,
        raw: bool,
        scratch: &'a mut Scratch,
    ) -> Option<(Record<'a>, Escapes<'a>)> {
        let LineKind::Mail(mta) = parsed.kind else {
            return None;
        };
        if parsed.code.is_none() && parsed.event.is_none() {
            return None;
        }
        let Scratch {
            stamps,
            enhanced,
            dsn,
            reason,
            masked,
            seen,
        } = scratch;
        let texts = LineText::new(line);
        let text = |b: &'a [u8]| texts.text(b);
        let (relay, relay_ip) =
            relay_of(body, mta).map_or((None, None), |r| host_and_ip(&texts, r));
        let client_text = parsed.client.or(match parsed.event {
            Some(crate::parse::Event::Rejected | crate::parse::Event::RejectWarning) => {
                parsed.party
            }
            _ => None,
        });
        let (client, client_ip) = client_text.map_or((None, None), |c| host_and_ip(&texts, c));
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
        let (reason, reason_escapes) = match parsed.reason {
            Some(r) if raw => (Some(text(r)), None),
            Some(r) => {
                let normalised = reason_of(r, masked, seen);
                // Consecutive records mostly share one cached reason: test it once.
                if !reason
                    .as_ref()
                    .is_some_and(|(last, _)| Rc::ptr_eq(last, &normalised))
                {
                    let escapes = LogEscapes::of(&normalised);
                    *reason = Some((normalised, escapes));
                }
                let (normalised, escapes) = reason.as_ref()?;
                (Some(Cow::Borrowed(&**normalised)), Some(*escapes))
            }
            None => (None, None),
        };
        let record = Record {
            ts: ts.map(Cow::Borrowed),
            stamp: stamp.map(Cow::Borrowed),
            host: host_of(line, body).map(text),
            mta: mta.name(),
            // Exim's program is always `exim`, a name not in its line: no test of its own.
            program: match mta {
                crate::parse::Mta::Exim => Cow::Borrowed("exim"),
                crate::parse::Mta::Postfix => text(parsed.program),
            },
            queue_id: parsed.message_id.map(text),
            event: parsed.event.map(|e| e.name()),
            code: parsed.code.map(ReplyCode::value),
            class: parsed
                .code
                .map(|c| ["", "", "2xx", "3xx", "4xx", "5xx"][usize::from(c.value() / 100)]),
            enhanced: parsed
                .code
                .and(parsed.enhanced)
                .map(|e| Cow::Borrowed(enhanced.of(e))),
            dsn: parsed.dsn.map(|e| Cow::Borrowed(dsn.of(e))),
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
            reason,
        };
        let (log, clear) = texts.escapes();
        let escapes = Escapes {
            log,
            clear,
            reason: reason_escapes,
        };
        Some((record, escapes))
    }
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
        ::csv::WriterBuilder::new()
            .has_headers(false)
            .from_writer(Vec::new())
    });
    let mut converter = Converter::new(window.zone);
    let mut scratch = Scratch::default();
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
        let Some((record, escapes)) =
            Record::with_scratch(line, &parsed, body, &window.zone, options.raw, &mut scratch)
        else {
            continue;
        };
        match &mut csv {
            Some(writer) => writer.write_record(record.csv_cells())?,
            None => record.write_json(out, escapes)?,
        }
    }
    if let Some(writer) = csv {
        out.extend(writer.into_inner().map_err(|e| e.into_error())?);
    }
    Ok(())
}

/// The JSON Schema of an NDJSON record.
pub const SCHEMA: &str = include_str!("schema.json");
