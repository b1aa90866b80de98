//! Line parsing: one log line in, the facts it states out.
//!
//! Lines are bytes: logs carry invalid UTF-8 and control bytes, and nothing here needs text.
//! The header (timestamp, host, program) is split by position; each MTA's body parser
//! then looks for a few literal markers with memchr/memmem before doing any real work.

mod exim;
mod header;
mod postfix;

pub use crate::model::{stage_of, Counter, Dnsbl, Event, LineKind, Mta, Severity, STAGES};
pub use header::{split_header, Header, Source};

use crate::code::{parse_enhanced, parse_reply, EnhancedCode, ReplyCode};
use crate::stamp::{Stamp, YearRule};
use memchr::memmem;

/// Everything one line says that smtplog counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParsedLine<'a> {
    /// How the line was understood.
    pub kind: LineKind,
    /// The line's own timestamp.
    pub stamp: Option<Stamp>,
    /// Queue id or Exim message id in the id position.
    pub message_id: Option<&'a [u8]>,
    /// The line says the message is gone (Postfix `removed`, Exim `Completed`).
    pub finishes_message: bool,
    /// The line records a message arriving (Postfix `client=`/pickup `uid=`, Exim `<=`).
    pub received: bool,
    /// The event the line reports.
    pub event: Option<Event>,
    /// The reply code, if this is a reply line.
    pub code: Option<ReplyCode>,
    /// The enhanced code right after the reply code.
    pub enhanced: Option<EnhancedCode>,
    /// Postfix `dsn=`, or a bare enhanced code on a line with no reply code.
    pub dsn: Option<EnhancedCode>,
    /// Exim `temporarily rejected`: the client was told to try again.
    pub temporary: bool,
    /// The reply's text after its codes, or the reason given for an event without one.
    pub reason: Option<&'a [u8]>,
    /// Who it concerns: the recipient of a delivery, the client of a rejection.
    pub party: Option<&'a [u8]>,
    /// The Postfix daemon (`smtpd`) that wrote the line; `exim` for Exim.
    pub program: &'a [u8],
    /// For diagnostics: how bad (the text is in `reason`).
    pub severity: Option<Severity>,
    /// Milliseconds from arrival to this delivery (Postfix `delay=`, Exim `QT=`).
    pub delay_ms: Option<u64>,
    /// A Postfix `status=sent (forwarded as ...)`: delivered by handing on to a new message.
    pub forwarded: bool,
    /// A connection-level happening to count.
    pub counter: Option<Counter>,
    /// The message's size in bytes (Postfix qmgr `size=`, Exim `<= ... S=`).
    pub size: Option<u64>,
    /// For rejections: the SMTP stage or check that refused (`RCPT`, `header`, ...).
    pub stage: Option<&'static str>,
    /// The envelope sender on a message's size line (Postfix qmgr `from=<..>`, Exim `<=`);
    /// empty for the null sender.
    pub sender: Option<&'a [u8]>,
    /// The sending host on a received line (Postfix `client=host[ip]`, Exim `H=`); none
    /// for local submission.
    pub client: Option<&'a [u8]>,
    /// The recipient of a delivery status line (Postfix `to=<..>`, Exim `=>`/`==`/`**`).
    pub recipient: Option<&'a [u8]>,
    /// A postscreen DNSBL rank or a dnsblog listing.
    pub dnsbl: Option<Dnsbl<'a>>,
    /// The address of the remote host whose reply an Exim host-error or address line
    /// gives (`H=mx [192.0.2.20]: SMTP error ...`), to tell repeats of one reply apart.
    pub reply_host: Option<&'a [u8]>,
    /// For a content filter's hand-off: the queue id of the copy the filter re-injected
    /// (`... 250 2.0.0 Ok: queued as 4F1A2B3C4D)`), which is not a new arrival.
    pub queued_as: Option<&'a [u8]>,
    /// A verbose (`-v`) or debug trace line: understood, counted only as debug.
    pub debug: bool,
    /// The line has a timestamp of the classic shape whose date does not exist
    /// (`Feb 29` in a year without one, `Apr 31`): counted, its stamp unknown.
    pub bad_stamp: bool,
}

impl<'a> ParsedLine<'a> {
    fn new(kind: LineKind, stamp: Option<Stamp>) -> Self {
        ParsedLine {
            kind,
            stamp,
            message_id: None,
            finishes_message: false,
            received: false,
            event: None,
            code: None,
            enhanced: None,
            dsn: None,
            temporary: false,
            reason: None,
            party: None,
            program: b"",
            severity: None,
            delay_ms: None,
            forwarded: false,
            counter: None,
            size: None,
            stage: None,
            sender: None,
            client: None,
            recipient: None,
            dnsbl: None,
            reply_host: None,
            queued_as: None,
            debug: false,
            bad_stamp: false,
        }
    }

    /// Record the reply at the start of `text`, if there is one. Returns whether one was found.
    fn take_reply(&mut self, text: &'a [u8]) -> bool {
        match parse_reply(text) {
            Some((code, enhanced, len)) => {
                self.code = Some(code);
                self.enhanced = enhanced;
                self.reason = Some(trim_start(&text[len..]));
                true
            }
            None => false,
        }
    }

    /// Record a reply, or failing that a bare enhanced code (which is a dsn, not a reply).
    fn take_reply_or_bare_enhanced(&mut self, text: &'a [u8]) {
        if !self.take_reply(text) {
            match parse_enhanced(text) {
                Some((enhanced, len)) => {
                    self.dsn = Some(enhanced);
                    self.reason = Some(trim_start(&text[len..]));
                }
                None => self.reason = Some(text),
            }
        }
    }
}

fn trim_start(text: &[u8]) -> &[u8] {
    let n = text.iter().take_while(|b| b.is_ascii_whitespace()).count();
    &text[n..]
}

/// A decimal number of seconds (`12`, `0.34`, `1.5`) as milliseconds, without floating point:
/// delays are on every delivery line, and this is much cheaper than parsing an `f64`.
fn seconds_to_ms(text: &[u8]) -> Option<u64> {
    let (whole, fraction) = match memchr::memchr(b'.', text) {
        Some(dot) => (&text[..dot], &text[dot + 1..]),
        None => (text, &b""[..]),
    };
    if whole.is_empty() || whole.len() > 12 || !whole.iter().chain(fraction).all(u8::is_ascii_digit)
    {
        return None;
    }
    let seconds = whole.iter().fold(0u64, |n, d| n * 10 + u64::from(d - b'0'));
    let mut ms = 0;
    for i in 0..3 {
        ms = ms * 10 + fraction.get(i).map_or(0, |d| u64::from(d - b'0'));
    }
    // Round on the fourth digit.
    let round = u64::from(fraction.get(3).is_some_and(|d| *d >= b'5'));
    Some(seconds * 1000 + ms + round)
}

/// A plain decimal number.
fn parse_u64(text: &[u8]) -> Option<u64> {
    if text.is_empty() || text.len() > 19 || !text.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(text.iter().fold(0u64, |n, d| n * 10 + u64::from(d - b'0')))
}

/// Where the last `needle` in `text` starts, found by its byte at `rare` (one seldom in
/// lines): memchr's reverse substring search goes a byte at a time.
fn rfind_by(text: &[u8], needle: &[u8], rare: usize) -> Option<usize> {
    memchr::memrchr_iter(needle[rare], text)
        .filter_map(|i| i.checked_sub(rare))
        .find(|&start| text[start..].starts_with(needle))
}

/// The text between `open` and the next `close`, e.g. the address of `to=<...>`.
fn between<'a>(text: &'a [u8], open: &[u8], close: u8) -> Option<&'a [u8]> {
    // A leading space starts every word of a line: the byte after it is the one looked for.
    let skip = usize::from(open.len() > 1 && open[0] == b' ');
    between_by(text, open, skip, close)
}

/// [`between`], finding `open` by its byte at `rare` (one seldom in lines).
fn between_by<'a>(text: &'a [u8], open: &[u8], rare: usize, close: u8) -> Option<&'a [u8]> {
    // Needles are a few bytes: a byte search plus a prefix check beats building a searcher.
    let start = memchr::memchr_iter(*open.get(rare)?, text.get(rare..)?)
        .find(|&i| text[i..].starts_with(open))?
        + open.len();
    let len = memchr::memchr(close, &text[start..])?;
    Some(&text[start..start + len])
}

impl<'a> ParsedLine<'a> {
    /// Cut a reason where Postfix's field list starts (`; from=<`, `; to=<`, `; proto=`).
    fn end_reason_at_fields(&mut self, separator: &memmem::Finder<'_>) {
        const FIELDS: [&[u8]; 4] = [b"from=<", b"to=<", b"proto=", b"helo=<"];
        if let Some(reason) = self.reason {
            let cut = separator
                .find_iter(reason)
                .find(|&at| FIELDS.iter().any(|f| reason[at + 2..].starts_with(f)));
            if let Some(at) = cut {
                self.reason = Some(&reason[..at]);
            }
        }
    }
}

/// Literal searchers built once and shared by every thread.
pub(crate) struct Finders {
    pub status: memmem::Finder<'static>,
    pub status_rev: memmem::FinderRev<'static>,
    pub queued_as_rev: memmem::FinderRev<'static>,
    pub dsn: memmem::Finder<'static>,
    pub said: memmem::Finder<'static>,
    pub refused_to_talk: memmem::Finder<'static>,
    pub exim_smtp_error: memmem::Finder<'static>,
    pub exim_reply_field: memmem::Finder<'static>,
    pub from_fields: memmem::Finder<'static>,
    pub field_separator: memmem::Finder<'static>,
    pub colon_space: memmem::Finder<'static>,
    pub auth_failed: memmem::Finder<'static>,
    pub verify_was: memmem::Finder<'static>,
    pub address_end: memmem::Finder<'static>,
    pub verify: memmem::Finder<'static>,
    pub discarded_by: memmem::Finder<'static>,
    pub connect_acl_accept: memmem::Finder<'static>,
    pub router: memmem::Finder<'static>,
    pub transport_returned: memmem::Finder<'static>,
    pub transport_output: memmem::Finder<'static>,
    pub exim_protocol: memmem::Finder<'static>,
    pub exim_host: memmem::Finder<'static>,
    pub space_bracket: memmem::Finder<'static>,
}

/// Ports on the loopback address where content filters listen by convention: amavis 10024
/// (and its return path 10025), clamsmtp and dspam setups 10025–10026, and Zimbra's amavis
/// listeners 10030 and 10032.
pub const DEFAULT_FILTER_PORTS: [u16; 5] = [10024, 10025, 10026, 10030, 10032];

/// The line parser. Build once, share across threads (`&Parser` is `Sync`).
pub struct Parser {
    finders: Finders,
    filter_ports: Vec<u16>,
}

impl Default for Parser {
    fn default() -> Self {
        Parser::new()
    }
}

impl Parser {
    /// Build the parser and its searchers.
    pub fn new() -> Parser {
        Parser::with_filter_ports(DEFAULT_FILTER_PORTS.to_vec())
    }

    /// A parser that treats deliveries to these loopback ports as content-filter hand-offs.
    pub fn with_filter_ports(filter_ports: Vec<u16>) -> Parser {
        Parser {
            filter_ports,
            finders: Finders {
                status: memmem::Finder::new(b" status="),
                status_rev: memmem::FinderRev::new(b" status="),
                queued_as_rev: memmem::FinderRev::new(b"queued as "),
                dsn: memmem::Finder::new(b" dsn="),
                said: memmem::Finder::new(b" said: "),
                refused_to_talk: memmem::Finder::new(b" refused to talk to me: "),
                exim_smtp_error: memmem::Finder::new(b"SMTP error from remote mail server after "),
                exim_reply_field: memmem::Finder::new(b" C=\""),
                from_fields: memmem::Finder::new(b"; from=<"),
                field_separator: memmem::Finder::new(b"; "),
                colon_space: memmem::Finder::new(b": "),
                auth_failed: memmem::Finder::new(b"authenticator failed"),
                verify_was: memmem::Finder::new(b" was: "),
                address_end: memmem::Finder::new(b">, "),
                verify: memmem::Finder::new(b" verify "),
                discarded_by: memmem::Finder::new(b": discarded by "),
                connect_acl_accept: memmem::Finder::new(b" accepted by connect ACL"),
                router: memmem::Finder::new(b" router: "),
                transport_returned: memmem::Finder::new(b" transport process returned "),
                transport_output: memmem::Finder::new(b" transport output: "),
                exim_protocol: memmem::Finder::new(b" P="),
                exim_host: memmem::Finder::new(b" H="),
                space_bracket: memmem::Finder::new(b" ["),
            },
        }
    }

    /// Parse one line (without its line terminator).
    pub fn parse<'a>(&self, line: &'a [u8], years: &YearRule) -> ParsedLine<'a> {
        self.parse_body(split_header(line, years))
    }

    /// Parse the body of a line whose header is already split (see [`split_header`]).
    #[inline]
    pub fn parse_body<'a>(&self, header: Header<'a>) -> ParsedLine<'a> {
        // Filled in place through a reference: returned from the parser itself, the struct
        // (a few hundred bytes, one per line) was copied into the caller's.
        let mut parsed = ParsedLine::new(LineKind::Other, header.stamp);
        self.parse_body_into(header, &mut parsed);
        parsed
    }

    /// [`Parser::parse_body`] into a line of kind `Other` with the header's stamp.
    fn parse_body_into<'a>(&self, header: Header<'a>, parsed: &mut ParsedLine<'a>) {
        match header.source {
            Source::Postfix { daemon } => {
                parsed.kind = LineKind::Mail(Mta::Postfix);
                parsed.bad_stamp = header.bad_stamp;
                parsed.program = daemon;
                if !postfix::parse(&self.finders, daemon, header.body, parsed) {
                    parsed.kind = LineKind::Unrecognised(Mta::Postfix);
                }
                if parsed.event == Some(Event::Delivered) && self.is_filter_relay(header.body) {
                    parsed.event = Some(Event::Filtered);
                    parsed.queued_as = parsed
                        .reason
                        .and_then(|r| postfix::queued_as(&self.finders, r));
                }
            }
            Source::Exim { id } => {
                parsed.kind = LineKind::Mail(Mta::Exim);
                parsed.bad_stamp = header.bad_stamp;
                parsed.program = b"exim";
                if !exim::parse(&self.finders, header.body, id, parsed) {
                    parsed.kind = LineKind::Unrecognised(Mta::Exim);
                }
            }
            Source::Other => {}
        }
    }
}

impl Parser {
    /// `relay=127.0.0.1[127.0.0.1]:10024` (or `[::1]:10024`): a hand-off to a content filter.
    fn is_filter_relay(&self, body: &[u8]) -> bool {
        // By its `y`: the letters before it are in most host names.
        let Some(relay) = between_by(body, b" relay=", 5, b',') else {
            return false;
        };
        let Some(open) = memchr::memchr(b'[', relay) else {
            return false;
        };
        let rest = &relay[open + 1..];
        let Some(close) = memchr::memchr(b']', rest) else {
            return false;
        };
        let addr = &rest[..close];
        let loopback = addr.starts_with(b"127.") || addr == b"::1";
        let port = rest[close + 1..].strip_prefix(b":").and_then(parse_u64);
        loopback && port.is_some_and(|p| self.filter_ports.iter().any(|f| u64::from(*f) == p))
    }
}

/// Lines that only verbose logging (`-v`) writes, whatever the daemon.
fn is_verbose_trace(body: &[u8]) -> bool {
    const PREFIXES: [&[u8]; 10] = [
        b"> ",
        b"< ",
        b">>> ",
        b"send attr ",
        b"input attribute ",
        b"done incoming queue scan",
        b"done deferred queue scan",
        b"connect to subsystem ",
        b"private/",
        b"public/",
    ];
    PREFIXES.iter().any(|p| body.starts_with(p)) || {
        // `smtp socket: wanted attribute: request`: a stream's attribute trace.
        let word = body
            .iter()
            .take(64)
            .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'/' | b'-'))
            .count();
        word > 0 && body[word..].starts_with(b" socket: ")
    }
}

/// Lines of verbose/debug logging (`debug_peer_list`, `-v`): understood, counted as debug.
fn is_debug_trace(body: &[u8]) -> bool {
    if is_verbose_trace(body) {
        return true;
    }
    // `name: ...` where name is a C identifier or a socket path: Postfix's msg_info traces.
    let word_len = body
        .iter()
        .take_while(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'_' | b'/'))
        .count();
    word_len > 0
        && body.get(word_len) == Some(&b':')
        && (body.get(word_len + 1) == Some(&b' ') || body.len() == word_len + 1)
        && word_len >= 3
}

/// Lines every Postfix daemon may write that carry no reply: diagnostics (counted by
/// severity, with their text as the reason), statistics and debug traces.
fn is_common_diagnostic<'a>(body: &'a [u8], out: &mut ParsedLine<'a>) -> bool {
    const SEVERITIES: [(&[u8], Severity); 4] = [
        (b"warning: ", Severity::Warning),
        (b"error: ", Severity::Error),
        (b"fatal: ", Severity::Fatal),
        (b"panic: ", Severity::Panic),
    ];
    for (prefix, severity) in SEVERITIES {
        if let Some(text) = body.strip_prefix(prefix) {
            out.severity = Some(severity);
            out.reason = Some(text);
            return true;
        }
    }
    const QUIET: [&[u8]; 2] = [
        b"statistics: ",
        b"using backwards-compatible default setting",
    ];
    if QUIET.iter().any(|p| body.starts_with(p)) {
        return true;
    }
    out.debug = is_debug_trace(body);
    out.debug
}

#[cfg(test)]
mod tests;
