//! `smtplog events`: one record per reply or event line, with the parsed fields, for the
//! log engines people already run (ClickHouse, Elasticsearch, Loki, DuckDB, BigQuery).
//!
//! A record is written for every line the report counts as a reply (it has a reply code)
//! or an event (delivered, deferred, bounced, ...), in input order. Text from the log is
//! escaped as in the report's JSON (`\xNN` for invalid UTF-8, `\\` for a backslash), so a
//! record always holds valid UTF-8 and the same keys as the report's tables. Records are
//! made chunk by chunk in parallel and written in order.

use crate::code::{EnhancedCode, ReplyCode};
use crate::journal::{Converted, Converter, LogFormat};
use crate::parse::{split_header, LineKind, ParsedLine, Parser};
use crate::problems::cached_reason;
use crate::sanitize::{csv_cell, escape_cow};
use crate::stamp::{Stamp, YearRule};
use crate::window::{Window, Zone};
use serde::Serialize;
use std::borrow::Cow;
use std::io::{self, Write};
use std::rc::Rc;

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
    use memchr::memmem::Finder;
    use std::sync::LazyLock;
    // Built once: `memmem::find` builds its searcher anew on every call.
    static RELAY: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b" relay="));
    static HOST: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b" H="));
    match mta {
        crate::parse::Mta::Postfix => {
            let at = RELAY.find(body)? + 7;
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
            let at = HOST.find(body)? + 3;
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
    // From the end: the last word ending in `:` is the tag, the word before it the host.
    let mut words = prefix.split(|b| *b == b' ').filter(|w| !w.is_empty()).rev();
    words.find(|w| w.ends_with(b":"))?;
    words.next()
}

/// The normalised reason of a reply text, through the reason cache, with
/// [`mask_closed_ids`] applied first (into `masked`).
fn reason_of(text: &[u8], masked: &mut Vec<u8>) -> Rc<str> {
    if mask_closed_ids(text, masked) {
        cached_reason(masked)
    } else {
        cached_reason(text)
    }
}

/// Copy `text` into `out` with each id-like word that one `)` or `"` closes masked to `*`
/// (`Ok: queued as 4F1A2B3C)`, Exim's `C="250 Ok: queued as 4F1A2B3C" QT=1s`); whether
/// one was. The reason cache masks ids between spaces only, so every successful delivery
/// would be a new entry and run the normalising regexes. Normalising masks such an id to
/// `*` anyway, and a `)` or `"` ends each of its masks where a space would, so the
/// reason stays the same (tested below).
fn mask_closed_ids(text: &[u8], out: &mut Vec<u8>) -> bool {
    let mut copied = 0;
    for close in memchr::memchr2_iter(b')', b'"', text) {
        if text.get(close + 1).is_some_and(|&b| b != b' ') {
            continue;
        }
        let start = memchr::memrchr(b' ', &text[..close]).map_or(0, |space| space + 1);
        let Some(value) = crate::problems::id_part(&text[start..close]) else {
            continue;
        };
        if copied == 0 {
            out.clear();
        }
        out.extend_from_slice(&text[copied..start + value]);
        out.push(b'*');
        copied = close;
    }
    if copied == 0 {
        return false;
    }
    out.extend_from_slice(&text[copied..]);
    true
}

/// Write `YYYY-MM-DD?HH:MM:SS` of a date-time into `out`, `sep` between date and time.
fn push_date_time(out: &mut String, t: &chrono::NaiveDateTime, sep: char) {
    use chrono::{Datelike, Timelike};
    let year = t.year();
    if !(0..=9999).contains(&year) {
        // Signs and five digits: rare enough for the formatter.
        use std::fmt::Write as _;
        let _ = write!(
            out,
            "{:04}-{:02}-{:02}{sep}{:02}:{:02}:{:02}",
            year,
            t.month(),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        );
        return;
    }
    // Every record has a stamp and most a new one: digits by hand, not through fmt.
    let digits = |n: u32, width: usize, out: &mut String| {
        for place in (0..width).rev() {
            out.push(char::from(b'0' + (n / 10u32.pow(place as u32) % 10) as u8));
        }
    };
    digits(year as u32, 4, out);
    out.push('-');
    digits(t.month(), 2, out);
    out.push('-');
    digits(t.day(), 2, out);
    out.push(sep);
    digits(t.hour(), 2, out);
    out.push(':');
    digits(t.minute(), 2, out);
    out.push(':');
    digits(t.second(), 2, out);
}

/// The texts of the last stamp seen, and the zone's offset in the last hour: lines come in
/// time order, many to a second, and looking a time up in a zone costs more than the rest
/// of a record. Zones change their offset on the hour (or half hour) only, so an offset
/// found for a wall-clock hour holds for the whole hour.
#[derive(Default)]
pub struct StampCache {
    last: Option<Stamp>,
    /// The texts of `last`, when it has them (buffers kept from stamp to stamp).
    ts: (bool, String),
    stamp: (bool, String),
    /// (date, hour, half) of the wall clock, and the zone's offset then.
    offset: Option<((chrono::NaiveDate, u32, bool), i64)>,
}

impl StampCache {
    fn texts(&mut self, stamp: Option<Stamp>, zone: &Zone) -> (Option<&str>, Option<&str>) {
        if stamp != self.last || self.last.is_none() {
            self.last = stamp;
            self.ts.0 = false;
            self.stamp.0 = false;
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
                    self.ts.1.clear();
                    push_date_time(&mut self.ts.1, &utc, 'T');
                    self.ts.1.push('Z');
                    self.ts.0 = true;
                }
                if stamp.offset.is_none() {
                    self.stamp.1.clear();
                    push_date_time(&mut self.stamp.1, &naive, ' ');
                    self.stamp.0 = true;
                }
            }
        }
        fn text((has, text): &(bool, String)) -> Option<&str> {
            has.then_some(text.as_str())
        }
        (text(&self.ts), text(&self.stamp))
    }
}

/// The text of the last enhanced code seen: most records repeat the one before.
#[derive(Default)]
struct CodeText {
    code: Option<EnhancedCode>,
    text: String,
}

impl CodeText {
    fn of(&mut self, code: EnhancedCode) -> &str {
        if self.code != Some(code) {
            use std::fmt::Write as _;
            self.text.clear();
            // As `Display` writes it; by hand, since codes alternate from line to line.
            if code.is_other() {
                let _ = write!(self.text, "{code}");
            } else {
                let mut digits = itoa::Buffer::new();
                self.text.push_str(digits.format(code.class()));
                self.text.push('.');
                self.text.push_str(digits.format(code.subject()));
                self.text.push('.');
                self.text.push_str(digits.format(code.detail()));
            }
            self.code = Some(code);
        }
        &self.text
    }
}

/// What the records of a chunk borrow their made texts from, kept from line to line.
#[derive(Default)]
struct Scratch {
    stamps: StampCache,
    enhanced: CodeText,
    dsn: CodeText,
    /// The normalised reason of the record being made.
    reason: Option<Rc<str>>,
    /// A reply text with its ids masked (see [`mask_closed_ids`]).
    masked: Vec<u8>,
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
        Record::with_scratch(line, parsed, body, zone, raw, &mut scratch).map(Record::into_owned)
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
    ) -> Option<Record<'a>> {
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
        } = scratch;
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
        let reason = match parsed.reason {
            Some(r) if raw => Some(escape_cow(r)),
            Some(r) => {
                *reason = Some(reason_of(r, masked));
                reason.as_deref().map(Cow::Borrowed)
            }
            None => None,
        };
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
        })
    }

    /// Append the record as one line of JSON, byte for byte as `serde_json` writes the
    /// derived `Serialize` (tested): serde's walk of the struct, escaping every key and
    /// value a byte at a time, was most of the cost of a record.
    fn write_json(&self, out: &mut Vec<u8>) -> io::Result<()> {
        let mut json = Json(out);
        json.made(b"{\"ts\":", self.ts.as_deref());
        json.made(b",\"stamp\":", self.stamp.as_deref());
        json.text(b",\"host\":", self.host.as_deref())?;
        json.made(b",\"mta\":", Some(self.mta));
        json.text(b",\"program\":", Some(&self.program))?;
        json.text(b",\"queue_id\":", self.queue_id.as_deref())?;
        json.made(b",\"event\":", self.event);
        json.value(b",\"code\":", &self.code)?;
        json.made(b",\"class\":", self.class);
        json.made(b",\"enhanced\":", self.enhanced.as_deref());
        json.made(b",\"dsn\":", self.dsn.as_deref());
        json.text(b",\"relay\":", self.relay.as_deref())?;
        json.text(b",\"relay_ip\":", self.relay_ip.as_deref())?;
        json.text(b",\"client\":", self.client.as_deref())?;
        json.text(b",\"client_ip\":", self.client_ip.as_deref())?;
        json.text(b",\"sender\":", self.sender.as_deref())?;
        json.text(b",\"recipient\":", self.recipient.as_deref())?;
        json.value(b",\"delay_s\":", &self.delay_s)?;
        json.value(b",\"size\":", &self.size)?;
        json.made(b",\"stage\":", self.stage);
        json.value(b",\"temporary\":", &self.temporary)?;
        json.value(b",\"host_error\":", &self.host_error)?;
        json.text(b",\"reason\":", self.reason.as_deref())?;
        out.extend_from_slice(b"}\n");
        Ok(())
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

/// Fields of a JSON object written into a buffer, each key a literal with its `{` or `,`
/// (inlined, so its copy is a few moves, not a call).
struct Json<'o>(&'o mut Vec<u8>);

impl Json<'_> {
    /// A text smtplog made (a stamp, a code, a name): nothing in it needs an escape.
    #[inline(always)]
    fn made(&mut self, key: &'static [u8], text: Option<&str>) {
        self.0.extend_from_slice(key);
        match text {
            Some(text) => {
                debug_assert!(!needs_json_escape(text.as_bytes()), "{text}");
                self.0.push(b'"');
                self.0.extend_from_slice(text.as_bytes());
                self.0.push(b'"');
            }
            None => self.0.extend_from_slice(b"null"),
        }
    }

    /// Text from the log (escaped already, so it seldom holds what JSON escapes).
    #[inline(always)]
    fn text(&mut self, key: &'static [u8], text: Option<&str>) -> io::Result<()> {
        match text {
            Some(text) if needs_json_escape(text.as_bytes()) => {
                self.0.extend_from_slice(key);
                Ok(serde_json::to_writer(&mut *self.0, text)?)
            }
            text => {
                self.made(key, text);
                Ok(())
            }
        }
    }

    /// A number, a boolean or null, as serde_json writes it.
    #[inline(always)]
    fn value(&mut self, key: &'static [u8], value: &impl Serialize) -> io::Result<()> {
        self.0.extend_from_slice(key);
        Ok(serde_json::to_writer(&mut *self.0, value)?)
    }
}

/// Whether JSON needs an escape in the text: a quote, a backslash or a control character.
/// Without early exit in a block, so that the test compiles to vector compares.
fn needs_json_escape(text: &[u8]) -> bool {
    let odd = |block: &[u8]| {
        block.iter().fold(false, |odd, &b| {
            odd | (b < 0x20) | (b == b'"') | (b == b'\\')
        })
    };
    let mut blocks = text.chunks_exact(16);
    blocks.any(odd) || odd(blocks.remainder())
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
        let Some(record) =
            Record::with_scratch(line, &parsed, body, &window.zone, options.raw, &mut scratch)
        else {
            continue;
        };
        match &mut csv {
            Some(writer) => writer.write_record(record.csv_cells())?,
            None => record.write_json(out)?,
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

    /// Every record of the corpus and of hostile lines, normalised and raw.
    fn corpus_records(raw: bool, each: &mut dyn FnMut(&Record<'_>)) {
        let parser = Parser::new();
        let years = YearRule::fixed(2026);
        let zone = Zone::Named(chrono_tz::Tz::America__New_York);
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/real/");
        let mut data = Vec::new();
        for file in [
            "postfix-maillog.log",
            "postfix-maillog.rfc3339.log",
            "exim-mainlog.log",
        ] {
            data.extend(std::fs::read(format!("{dir}{file}")).unwrap());
        }
        data.extend_from_slice(b"Nov 24 12:05:23 mx1 postfix/smtp[2]: 80403B82BD: to=<\"q\\\\\"@b.test>, relay=mx[192.0.2.1]:25, delay=1e3, delays=0/0/0/1, dsn=5.1.1, status=bounced (host mx[192.0.2.1] said: 550 5.1.1 \x1b[2J\"},{\"x\":1 \xe2\x80\xae \xe2\x80\xa8 caf\xc3\xa9 \xff\x7f\t (in reply to RCPT TO command))\n");
        let mut scratch = Scratch::default();
        for line in crate::input::lines(&data) {
            let header = split_header(line, &years);
            let body = header.body;
            let parsed = parser.parse_body(header);
            if let Some(r) = Record::with_scratch(line, &parsed, body, &zone, raw, &mut scratch) {
                each(&r);
            }
        }
    }

    #[test]
    fn json_is_what_serde_writes() {
        let mut checked = 0;
        for raw in [false, true] {
            corpus_records(raw, &mut |r| {
                let mut ours = Vec::new();
                r.write_json(&mut ours).unwrap();
                let mut serde = serde_json::to_vec(r).unwrap();
                serde.push(b'\n');
                assert_eq!(
                    String::from_utf8_lossy(&ours),
                    String::from_utf8_lossy(&serde)
                );
                checked += 1;
            });
        }
        assert!(checked > 1000, "{checked}");
        // Text that JSON escapes, in every kind of field a log fills.
        let odd = "a\"b\\c\u{1}\n\u{7f}\u{2028}é";
        let r = Record {
            host: Some(odd.into()),
            program: odd.into(),
            relay: Some(odd.into()),
            reason: Some(odd.into()),
            delay_s: Some(1e21),
            size: Some(u64::MAX),
            code: Some(599),
            temporary: true,
            ..Record::default()
        };
        let mut ours = Vec::new();
        r.write_json(&mut ours).unwrap();
        assert_eq!(
            ours,
            [serde_json::to_vec(&r).unwrap(), b"\n".to_vec()].concat()
        );
    }

    #[test]
    fn masking_closed_ids_keeps_the_reason() {
        let texts: [&[u8]; 14] = [
            b"Ok: queued as 4F1A2B3C4D)",
            b"Ok: queued as 4F1A2B3C\" QT=1s DT=0s",
            b"Ok: queued as ABCDEF)",
            b"Ok: queued as 13F)",
            b"id=1xVpHI-0007o9-2x) and (x abc1234) y",
            b"queued as abc123))",
            b"(in reply to abc1234) x)",
            b"foo (in reply to RCPT abc1234)",
            b"x DT=12345678)",
            b"450-abc123) y 451 4.3.0 abc1234\"",
            b"<a abc1234) b> [c def5678)] e",
            b"\"abc1234\" \"q=abc12345\" ab-12c) 9abcdef)",
            b"\x1b[2J abc1234) \xff zz99zz9)",
            b"abc1234)",
        ];
        let mut masked = Vec::new();
        for text in texts {
            let want = crate::problems::normalise(text);
            if mask_closed_ids(text, &mut masked) {
                assert_eq!(
                    crate::problems::normalise(&masked),
                    want,
                    "{}",
                    String::from_utf8_lossy(text)
                );
            }
            // What the cache gave before (which is not always `normalise`: an unclosed
            // `[` or `<` hides the rest of the text).
            assert_eq!(reason_of(text, &mut masked), cached_reason(text));
        }
        assert!(mask_closed_ids(texts[0], &mut masked));
        assert_eq!(masked, b"Ok: queued as *)");
        assert!(!mask_closed_ids(texts[3], &mut masked));
    }
}
