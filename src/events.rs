//! `smtplog events`: one record per reply or event line, with the parsed fields, for the
//! log engines people already run (ClickHouse, Elasticsearch, Loki, DuckDB, BigQuery).
//!
//! A record is written for every line the report counts as a reply (it has a reply code)
//! or an event (delivered, deferred, bounced, ...), in input order. Text from the log is
//! escaped as in the report's JSON (`\xNN` for invalid UTF-8, `\\` for a backslash), so a
//! record always holds valid UTF-8 and the same keys as the report's tables. Records are
//! made chunk by chunk in parallel and written in order.

use crate::code::{EnhancedCode, ReplyCode};
use crate::count::normalise::cached_reason;
use crate::journal::{Converted, Converter, LogFormat};
use crate::parse::{split_header, LineKind, ParsedLine, Parser};
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
fn host_and_ip<'a>(
    texts: &LineText<'a>,
    text: &'a [u8],
) -> (Option<Cow<'a, str>>, Option<Cow<'a, str>>) {
    let text = text.trim_ascii();
    match memchr::memchr(b'[', text) {
        Some(open) => {
            let close = memchr::memchr(b']', &text[open..]).map_or(text.len(), |c| open + c);
            let host = text[..open].trim_ascii();
            let ip = &text[open + 1..close];
            (
                (!host.is_empty() && host != b"unknown").then(|| texts.text(host)),
                (!ip.is_empty()).then(|| texts.text(ip)),
            )
        }
        None => ((!text.is_empty()).then(|| texts.text(text)), None),
    }
}

/// The escaped texts of a line's parts. Nearly every line is plain (printable ASCII, no
/// backslash): it is tested once, and each part is then a slice of it, with no test of its
/// own; whether every part was, for [`Record::write_json`].
struct LineText<'a> {
    line: &'a [u8],
    plain: Option<&'a str>,
    /// Every text made so far is a slice of the plain line, or needs no JSON escape.
    sliced: std::cell::Cell<bool>,
}

impl<'a> LineText<'a> {
    fn new(line: &'a [u8]) -> Self {
        let plain = crate::sanitize::plain(line);
        LineText {
            line,
            plain,
            sliced: std::cell::Cell::new(plain.is_some()),
        }
    }

    /// [`escape_cow`] of a part of the line (or of any text).
    fn text(&self, part: &'a [u8]) -> Cow<'a, str> {
        if let Some(whole) = self.plain {
            if let Some(text) =
                offset_in(self.line, part).and_then(|at| whole.get(at..at + part.len()))
            {
                return Cow::Borrowed(text);
            }
        }
        // Not a slice of the line (Exim's `exim`): its own test.
        let text = escape_cow(part);
        if needs_json_escape(text.as_bytes()) {
            self.sliced.set(false);
        }
        text
    }

    /// What JSON must look for in the texts made, and where in the line the first quote is.
    fn escapes(&self) -> (LogEscapes, Clear<'a>) {
        if !self.sliced.get() {
            return (LogEscapes::Any, Clear::NONE);
        }
        match memchr::memchr(b'"', self.line) {
            None => (LogEscapes::None, Clear::NONE),
            Some(quote) => (
                LogEscapes::Quotes,
                Clear {
                    line: self.line,
                    quote,
                },
            ),
        }
    }
}

/// What texts of a record may hold that JSON escapes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum LogEscapes {
    /// Nothing (slices of a plain line without a quote).
    None,
    /// Quotes, but no backslash or control character (slices of a plain line).
    Quotes,
    /// Anything.
    Any,
}

impl LogEscapes {
    /// What one text holds.
    fn of(text: &str) -> LogEscapes {
        let bytes = text.as_bytes();
        if !needs_json_escape(bytes) {
            LogEscapes::None
        } else if bytes.iter().any(|&b| b < 0x20 || b == b'\\') {
            LogEscapes::Any
        } else {
            LogEscapes::Quotes
        }
    }
}

/// Where `part` starts in `line`, if it is a slice of it (texts of a record are slices of
/// their line, or made apart).
fn offset_in(line: &[u8], part: &[u8]) -> Option<usize> {
    let start = (part.as_ptr() as usize).wrapping_sub(line.as_ptr() as usize);
    (start <= line.len() && part.len() <= line.len() - start).then_some(start)
}

/// The part of a plain line before its first quote: a text that lies inside it holds no
/// quote, so with [`LogEscapes::Quotes`] it needs no search of its own (Exim's quotes come
/// late in a line, after most fields).
#[derive(Clone, Copy, Debug)]
struct Clear<'a> {
    line: &'a [u8],
    /// The first quote's offset.
    quote: usize,
}

impl<'a> Clear<'a> {
    /// No text lies inside.
    const NONE: Clear<'a> = Clear {
        line: &[],
        quote: 0,
    };

    /// Whether `text` lies inside.
    fn holds(self, text: &str) -> bool {
        offset_in(self.line, text.as_bytes()).is_some_and(|at| at + text.len() <= self.quote)
    }
}

/// What a record's writer needs to know of its texts.
#[derive(Clone, Copy, Debug)]
struct Escapes<'a> {
    /// Of the texts from the log.
    log: LogEscapes,
    /// Where the texts from the log hold no quote (with `log` [`LogEscapes::Quotes`]).
    clear: Clear<'a>,
    /// Of the normalised reason (none: the reason, if any, is log text).
    reason: Option<LogEscapes>,
}

/// The relay of a delivery status line: Postfix `relay=host[ip]:port,`, Exim ` H=host [ip]`.
fn relay_of(body: &[u8], mta: crate::parse::Mta) -> Option<&[u8]> {
    use memchr::memmem::Finder;
    use std::sync::LazyLock;
    // Built once: `memmem::find` builds its searcher anew on every call.
    static RELAY: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b" relay="));
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
            // The first ` H=`, by its `H`: rare in Exim lines, unlike the bytes a searcher
            // for all three picks.
            let at = memchr::memchr_iter(b'H', body)
                .find(|&h| h > 0 && body[h - 1] == b' ' && body.get(h + 1) == Some(&b'='))?
                + 2;
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
/// [`mask_closed_ids`] applied first (into `masked`); the reasons of masked texts are also
/// kept in `seen`, which spares the cache's own masking and hashing of them.
fn reason_of(text: &[u8], masked: &mut Vec<u8>, seen: &mut SeenReasons) -> Rc<str> {
    if !mask_closed_ids(text, masked) {
        return cached_reason(text);
    }
    if let Some(reason) = seen.get(masked.as_slice()) {
        return Rc::clone(reason);
    }
    let reason = cached_reason(masked);
    // A chunk's replies of success are a few texts; a bound all the same.
    if seen.len() >= 256 {
        seen.clear();
    }
    seen.insert(masked.clone(), Rc::clone(&reason));
    reason
}

/// Reasons by masked reply text (see [`reason_of`]).
type SeenReasons = rustc_hash::FxHashMap<Vec<u8>, Rc<str>>;

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
        let Some(value) = crate::count::normalise::id_part(&text[start..close]) else {
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
    debug_assert!(sep.is_ascii());
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
    let two = |n: u32| [b'0' + (n / 10 % 10) as u8, b'0' + (n % 10) as u8];
    let year = year as u32;
    let [y1, y2] = two(year / 100);
    let [y3, y4] = two(year);
    let [mo1, mo2] = two(t.month());
    let [d1, d2] = two(t.day());
    let [h1, h2] = two(t.hour());
    let [mi1, mi2] = two(t.minute());
    let [s1, s2] = two(t.second());
    let sep = u8::try_from(sep).unwrap_or(b' ');
    let text = [
        y1, y2, y3, y4, b'-', mo1, mo2, b'-', d1, d2, sep, h1, h2, b':', mi1, mi2, b':', s1, s2,
    ];
    out.push_str(std::str::from_utf8(&text).unwrap_or_default());
}

/// The texts of the last stamp seen, and the zone's offset in the last hour: lines come in
/// time order, many to a second, and looking a time up in a zone costs more than the rest
/// of a record. Zones change their offset on the hour (or half hour) only, so an offset
/// found for a wall-clock hour holds for the whole hour.
#[derive(Default)]
pub struct StampCache {
    last: Option<Stamp>,
    ts: StampText,
    stamp: StampText,
    /// (date, hour, half) of the wall clock, and the zone's offset then.
    offset: Option<((chrono::NaiveDate, u32, bool), i64)>,
}

/// The text of a time, kept with its minute: a line in the same minute as the one before
/// (most lines) only rewrites the seconds.
#[derive(Default)]
struct StampText {
    /// Whether there is a text (a time out of range has none).
    has: bool,
    /// The minute of `text`, as seconds from the start of the era / 60.
    minute: i64,
    text: String,
}

impl StampText {
    /// The text of the time `scalar` (seconds on [`Stamp::scalar`]'s scale) that ends in
    /// `suffix`; `make` writes it whole, or says there is none.
    fn set(&mut self, scalar: i64, suffix: &str, make: impl FnOnce(&mut String) -> bool) {
        let minute = scalar.div_euclid(60);
        if self.has && self.minute == minute {
            let second = scalar.rem_euclid(60) as u8;
            // The text ends in `:SS` and the suffix, all ASCII.
            self.text.truncate(self.text.len() - 2 - suffix.len());
            self.text.push(char::from(b'0' + second / 10));
            self.text.push(char::from(b'0' + second % 10));
            self.text.push_str(suffix);
        } else {
            self.text.clear();
            self.has = make(&mut self.text);
            self.minute = minute;
        }
    }

    fn get(&self) -> Option<&str> {
        self.has.then_some(self.text.as_str())
    }
}

impl StampCache {
    fn texts(&mut self, stamp: Option<Stamp>, zone: &Zone) -> (Option<&str>, Option<&str>) {
        if stamp != self.last || self.last.is_none() {
            self.last = stamp;
            let Some(stamp) = stamp else {
                self.ts.has = false;
                self.stamp.has = false;
                return (None, None);
            };
            {
                let naive = || stamp.naive();
                let offset = match stamp.offset {
                    Some(offset) => Some(i64::from(offset)),
                    None => {
                        let hour = (stamp.date, stamp.secs / 3600, stamp.secs % 3600 >= 1800);
                        match self.offset {
                            Some((h, offset)) if h == hour => Some(offset),
                            _ => {
                                let utc = zone.to_utc(naive()).naive_utc();
                                let offset = (naive() - utc).num_seconds();
                                self.offset = Some((hour, offset));
                                Some(offset)
                            }
                        }
                    }
                };
                let scalar = stamp.scalar();
                match offset {
                    None => self.ts.has = false,
                    Some(offset) => self.ts.set(scalar - offset, "Z", |text| {
                        let delta = chrono::TimeDelta::seconds(offset);
                        let Some(utc) = naive().checked_sub_signed(delta) else {
                            return false;
                        };
                        push_date_time(text, &utc, 'T');
                        text.push('Z');
                        true
                    }),
                }
                match stamp.offset {
                    Some(_) => self.stamp.has = false,
                    None => self.stamp.set(scalar, "", |text| {
                        push_date_time(text, &naive(), ' ');
                        true
                    }),
                }
            }
        }
        (self.ts.get(), self.stamp.get())
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

    /// Append the record as one line of JSON, byte for byte as `serde_json` writes the
    /// derived `Serialize` (tested): serde's walk of the struct, escaping every key and
    /// value a byte at a time, was most of the cost of a record.
    fn write_json(&self, out: &mut Vec<u8>, escapes: Escapes<'_>) -> io::Result<()> {
        let mut json = Json {
            out,
            log: escapes.log,
            clear: escapes.clear,
        };
        json.made(b"{\"ts\":", self.ts.as_deref());
        json.made(b",\"stamp\":", self.stamp.as_deref());
        json.text(b",\"host\":", self.host.as_deref())?;
        json.made(b",\"mta\":", Some(self.mta));
        json.text(b",\"program\":", Some(&self.program))?;
        json.text(b",\"queue_id\":", self.queue_id.as_deref())?;
        json.made(b",\"event\":", self.event);
        json.number(b",\"code\":", self.code);
        json.made(b",\"class\":", self.class);
        json.made(b",\"enhanced\":", self.enhanced.as_deref());
        json.made(b",\"dsn\":", self.dsn.as_deref());
        json.text(b",\"relay\":", self.relay.as_deref())?;
        json.text(b",\"relay_ip\":", self.relay_ip.as_deref())?;
        json.text(b",\"client\":", self.client.as_deref())?;
        json.text(b",\"client_ip\":", self.client_ip.as_deref())?;
        json.text(b",\"sender\":", self.sender.as_deref())?;
        json.text(b",\"recipient\":", self.recipient.as_deref())?;
        json.seconds(b",\"delay_s\":", self.delay_s)?;
        json.number(b",\"size\":", self.size);
        json.made(b",\"stage\":", self.stage);
        json.boolean(b",\"temporary\":", self.temporary);
        json.boolean(b",\"host_error\":", self.host_error);
        match escapes.reason {
            Some(reason) => json.text_as(b",\"reason\":", self.reason.as_deref(), reason)?,
            None => json.text(b",\"reason\":", self.reason.as_deref())?,
        }
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
struct Json<'o> {
    out: &'o mut Vec<u8>,
    /// What the log texts may hold.
    log: LogEscapes,
    /// Where they hold no quote.
    clear: Clear<'o>,
}

impl Json<'_> {
    /// A text that needs no escape (one smtplog made: a stamp, a code, a name).
    #[inline(always)]
    fn made(&mut self, key: &'static [u8], text: Option<&str>) {
        self.out.extend_from_slice(key);
        match text {
            Some(text) => {
                debug_assert!(!needs_json_escape(text.as_bytes()), "{text}");
                self.out.push(b'"');
                self.out.extend_from_slice(text.as_bytes());
                self.out.push(b'"');
            }
            None => self.out.extend_from_slice(b"null"),
        }
    }

    /// A text escaped by serde_json.
    #[inline(always)]
    fn escaped(&mut self, key: &'static [u8], text: Option<&str>) -> io::Result<()> {
        self.out.extend_from_slice(key);
        Ok(serde_json::to_writer(&mut *self.out, &text)?)
    }

    /// Text from the log: escaped for the terminal already, so it seldom holds what JSON
    /// escapes, and if its line was plain, only a quote.
    #[inline(always)]
    fn text(&mut self, key: &'static [u8], text: Option<&str>) -> io::Result<()> {
        let escapes = match text {
            Some(text) if self.log == LogEscapes::Quotes && self.clear.holds(text) => {
                LogEscapes::None
            }
            _ => self.log,
        };
        self.text_as(key, text, escapes)
    }

    /// A text that may hold `escapes`.
    #[inline(always)]
    fn text_as(
        &mut self,
        key: &'static [u8],
        text: Option<&str>,
        escapes: LogEscapes,
    ) -> io::Result<()> {
        match (text, escapes) {
            (Some(text), LogEscapes::Quotes) if memchr::memchr(b'"', text.as_bytes()).is_some() => {
                // serde_json writes `\"` for a quote and every other byte of such text as
                // it is; Exim's `C="..."` replies put quotes in most reasons.
                self.out.extend_from_slice(key);
                self.out.push(b'"');
                let mut from = 0;
                for quote in memchr::memchr_iter(b'"', text.as_bytes()) {
                    self.out.extend_from_slice(&text.as_bytes()[from..quote]);
                    self.out.extend_from_slice(b"\\\"");
                    from = quote + 1;
                }
                self.out.extend_from_slice(&text.as_bytes()[from..]);
                self.out.push(b'"');
                Ok(())
            }
            (Some(text), LogEscapes::Any) if needs_json_escape(text.as_bytes()) => {
                self.escaped(key, Some(text))
            }
            (text, _) => {
                self.made(key, text);
                Ok(())
            }
        }
    }

    /// A number or null.
    #[inline(always)]
    fn number(&mut self, key: &'static [u8], value: Option<impl itoa::Integer>) {
        self.out.extend_from_slice(key);
        match value {
            Some(n) => self
                .out
                .extend_from_slice(itoa::Buffer::new().format(n).as_bytes()),
            None => self.out.extend_from_slice(b"null"),
        }
    }

    /// A boolean.
    #[inline(always)]
    fn boolean(&mut self, key: &'static [u8], value: bool) {
        self.out.extend_from_slice(key);
        self.out
            .extend_from_slice(if value { &b"true"[..] } else { &b"false"[..] });
    }

    /// Seconds, or null, as serde_json writes them.
    #[inline(always)]
    fn seconds(&mut self, key: &'static [u8], seconds: Option<f64>) -> io::Result<()> {
        self.out.extend_from_slice(key);
        // Delays are whole milliseconds (`ms / 1000`). Below 2^40 ms, doubles are far closer
        // together than 1 ms, so the shortest text that reads back as the delay is the
        // decimal digits of its milliseconds (tested): most records have a delay, and this
        // spares the float formatter.
        let ms = seconds
            .map(|s| (s * 1000.0).round())
            .filter(|&ms| (0.0..(1u64 << 40) as f64).contains(&ms) && Some(ms / 1000.0) == seconds);
        match ms.map(|ms| ms as u64) {
            Some(ms) => {
                let mut digits = itoa::Buffer::new();
                self.out
                    .extend_from_slice(digits.format(ms / 1000).as_bytes());
                self.out.push(b'.');
                let fraction = ms % 1000;
                let (mut fraction, mut width) = (fraction, 3);
                while fraction % 10 == 0 && width > 1 {
                    fraction /= 10;
                    width -= 1;
                }
                let text = digits.format(fraction).as_bytes();
                // Leading zeros of the fraction (`0.05`), then its digits.
                for _ in text.len()..width {
                    self.out.push(b'0');
                }
                self.out.extend_from_slice(text);
                Ok(())
            }
            None => Ok(serde_json::to_writer(&mut *self.out, &seconds)?),
        }
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
    fn corpus_records(raw: bool, each: &mut dyn FnMut(&Record<'_>, Escapes<'_>)) {
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
            if let Some((r, escapes)) =
                Record::with_scratch(line, &parsed, body, &zone, raw, &mut scratch)
            {
                each(&r, escapes);
            }
        }
    }

    /// Every text tested in full.
    const ANY: Escapes<'static> = Escapes {
        log: LogEscapes::Any,
        clear: Clear::NONE,
        reason: None,
    };

    #[test]
    fn json_is_what_serde_writes() {
        let mut checked = 0;
        for raw in [false, true] {
            corpus_records(raw, &mut |r, escapes| {
                let mut serde = serde_json::to_vec(r).unwrap();
                serde.push(b'\n');
                // With what the record's line told, and testing every text in full.
                for escapes in [escapes, ANY] {
                    let mut ours = Vec::new();
                    r.write_json(&mut ours, escapes).unwrap();
                    assert_eq!(
                        String::from_utf8_lossy(&ours),
                        String::from_utf8_lossy(&serde)
                    );
                }
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
        r.write_json(&mut ours, ANY).unwrap();
        assert_eq!(
            ours,
            [serde_json::to_vec(&r).unwrap(), b"\n".to_vec()].concat()
        );
        // Quotes only, as in a plain line: escaped by hand.
        let quoted = "\"a\" b=\"c\"\"";
        let r = Record {
            host: Some(quoted.into()),
            reason: Some(format!("{quoted} …").into()),
            ..Record::default()
        };
        assert_eq!(LogEscapes::of(quoted), LogEscapes::Quotes);
        let escapes = Escapes {
            log: LogEscapes::Quotes,
            clear: Clear::NONE,
            reason: Some(LogEscapes::Quotes),
        };
        let mut ours = Vec::new();
        r.write_json(&mut ours, escapes).unwrap();
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
        let (mut masked, mut seen) = (Vec::new(), SeenReasons::default());
        for text in texts.iter().chain(&texts) {
            let want = crate::count::normalise::normalise(text);
            if mask_closed_ids(text, &mut masked) {
                assert_eq!(
                    crate::count::normalise::normalise(&masked),
                    want,
                    "{}",
                    String::from_utf8_lossy(text)
                );
            }
            // What the cache gave before (which is not always `normalise`: an unclosed
            // `[` or `<` hides the rest of the text).
            let fresh = reason_of(text, &mut masked, &mut SeenReasons::default());
            assert_eq!(fresh, cached_reason(text));
            assert_eq!(reason_of(text, &mut masked, &mut seen), fresh);
        }
        assert!(mask_closed_ids(texts[0], &mut masked));
        assert_eq!(masked, b"Ok: queued as *)");
        assert!(!mask_closed_ids(texts[3], &mut masked));
    }

    #[test]
    fn stamp_texts_are_those_of_chrono() {
        // What the texts were before they were cached by minute: chrono's formatting, with
        // the zone's offset looked up once per wall-clock half hour.
        fn reference(
            stamp: Stamp,
            zone: &Zone,
            offsets: &mut Option<((chrono::NaiveDate, u32, bool), i64)>,
        ) -> (Option<String>, Option<String>) {
            let naive = stamp.naive();
            let offset = stamp.offset.map(i64::from).unwrap_or_else(|| {
                let hour = (stamp.date, stamp.secs / 3600, stamp.secs % 3600 >= 1800);
                match *offsets {
                    Some((h, offset)) if h == hour => offset,
                    _ => {
                        let offset = (naive - zone.to_utc(naive).naive_utc()).num_seconds();
                        *offsets = Some((hour, offset));
                        offset
                    }
                }
            });
            let ts = naive
                .checked_sub_signed(chrono::TimeDelta::seconds(offset))
                .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string());
            let wall = stamp
                .offset
                .is_none()
                .then(|| naive.format("%Y-%m-%d %H:%M:%S").to_string());
            (ts, wall)
        }
        let zones = [
            "UTC",
            "America/New_York",
            "Asia/Kolkata",
            "Australia/Lord_Howe",
            "Europe/Amsterdam",
        ];
        for name in zones {
            let zone = Zone::Named(name.parse().unwrap());
            let mut cache = StampCache::default();
            let mut offsets = None;
            // Across a DST change, midnight and the year's end, in steps of 1 s to 2 h; in
            // 1900 Amsterdam's offset was not whole minutes (+00:19:32).
            for (year, month, day) in [(2026, 3, 8), (2026, 10, 4), (2026, 12, 31), (1900, 1, 1)] {
                let start = chrono::NaiveDate::from_ymd_opt(year, month, day).unwrap();
                let mut at = start.and_hms_opt(0, 0, 0).unwrap();
                let mut step = 1i64;
                for n in 0..3000u32 {
                    let offset = [None, None, Some(3600), Some(-19800), Some(1172)][n as usize % 5];
                    let stamp = Stamp {
                        date: at.date(),
                        secs: chrono::Timelike::num_seconds_from_midnight(&at),
                        offset,
                    };
                    let (ts, wall) = cache.texts(Some(stamp), &zone);
                    let want = reference(stamp, &zone, &mut offsets);
                    assert_eq!(
                        (ts.map(str::to_string), wall.map(str::to_string)),
                        want,
                        "{name} {stamp:?}"
                    );
                    // Mostly a few seconds (within the minute), now and then up to 2 h.
                    step = (step * 7 + 3) % 7200 + 1;
                    let gap = if n % 5 == 4 { step } else { i64::from(n % 3) };
                    at += chrono::TimeDelta::seconds(gap);
                }
            }
            assert_eq!(cache.texts(None, &zone), (None, None));
        }
    }

    #[test]
    fn delays_are_written_as_serde_writes_them() {
        let ms = (0..300_000u64)
            .chain((0..40).map(|b| 1u64 << b))
            .chain((0..40).flat_map(|b| [(1u64 << b) - 1, (1 << b) + 1, (1 << b) * 999 / 1000]))
            .chain((0..100_000u64).map(|i| i.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 24));
        let ours = |seconds: Option<f64>| {
            let mut out = Vec::new();
            Json {
                out: &mut out,
                log: LogEscapes::Any,
                clear: Clear::NONE,
            }
            .seconds(b"", seconds)
            .unwrap();
            out
        };
        for ms in ms {
            let seconds = Some(ms as f64 / 1000.0);
            assert_eq!(ours(seconds), serde_json::to_vec(&seconds).unwrap(), "{ms}");
        }
        for odd in [
            None,
            Some(-1.5),
            Some(1e21),
            Some(0.1234),
            Some(f64::NAN),
            Some(1e-9),
        ] {
            assert_eq!(ours(odd), serde_json::to_vec(&odd).unwrap(), "{odd:?}");
        }
    }
}
