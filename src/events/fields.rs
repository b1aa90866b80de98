//! The texts of a record's fields, taken from its line: host and address, relay, syslog
//! host and normalised reason, and what JSON escapes in them (tested once per line).

use super::json::needs_json_escape;
use crate::count::normalise::cached_reason;
use crate::sanitize::escape_cow;
use std::borrow::Cow;
use std::rc::Rc;

/// Split `host[ip]` (Postfix) or `host [ip]` / `(helo) [ip]` (Exim) into host and address.
pub(super) fn host_and_ip<'a>(
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
pub(super) struct LineText<'a> {
    line: &'a [u8],
    plain: Option<&'a str>,
    /// Every text made so far is a slice of the plain line, or needs no JSON escape.
    sliced: std::cell::Cell<bool>,
}

impl<'a> LineText<'a> {
    pub(super) fn new(line: &'a [u8]) -> Self {
        let plain = crate::sanitize::plain(line);
        LineText {
            line,
            plain,
            sliced: std::cell::Cell::new(plain.is_some()),
        }
    }

    /// [`escape_cow`] of a part of the line (or of any text).
    pub(super) fn text(&self, part: &'a [u8]) -> Cow<'a, str> {
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
    pub(super) fn escapes(&self) -> (LogEscapes, Clear<'a>) {
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
pub(super) enum LogEscapes {
    /// Nothing (slices of a plain line without a quote).
    None,
    /// Quotes, but no backslash or control character (slices of a plain line).
    Quotes,
    /// Anything.
    Any,
}

impl LogEscapes {
    /// What one text holds.
    pub(super) fn of(text: &str) -> LogEscapes {
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
pub(super) struct Clear<'a> {
    line: &'a [u8],
    /// The first quote's offset.
    quote: usize,
}

impl<'a> Clear<'a> {
    /// No text lies inside.
    pub(super) const NONE: Clear<'a> = Clear {
        line: &[],
        quote: 0,
    };

    /// Whether `text` lies inside.
    pub(super) fn holds(self, text: &str) -> bool {
        offset_in(self.line, text.as_bytes()).is_some_and(|at| at + text.len() <= self.quote)
    }
}

/// What a record's writer needs to know of its texts.
#[derive(Clone, Copy, Debug)]
pub(super) struct Escapes<'a> {
    /// Of the texts from the log.
    pub(super) log: LogEscapes,
    /// Where the texts from the log hold no quote (with `log` [`LogEscapes::Quotes`]).
    pub(super) clear: Clear<'a>,
    /// Of the normalised reason (none: the reason, if any, is log text).
    pub(super) reason: Option<LogEscapes>,
}

/// The relay of a delivery status line: Postfix `relay=host[ip]:port,`, Exim ` H=host [ip]`.
pub(super) fn relay_of(body: &[u8], mta: crate::parse::Mta) -> Option<&[u8]> {
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
pub(super) fn host_of<'a>(line: &'a [u8], body: &'a [u8]) -> Option<&'a [u8]> {
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
pub(super) fn reason_of(text: &[u8], masked: &mut Vec<u8>, seen: &mut SeenReasons) -> Rc<str> {
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
pub(super) type SeenReasons = rustc_hash::FxHashMap<Vec<u8>, Rc<str>>;

/// Copy `text` into `out` with each id-like word that one `)` or `"` closes masked to `*`
/// (`Ok: queued as 4F1A2B3C)`, Exim's `C="250 Ok: queued as 4F1A2B3C" QT=1s`); whether
/// one was. The reason cache masks ids between spaces only, so every successful delivery
/// would be a new entry and run the normalising regexes. Normalising masks such an id to
/// `*` anyway, and a `)` or `"` ends each of its masks where a space would, so the
/// reason stays the same (tested below).
pub(super) fn mask_closed_ids(text: &[u8], out: &mut Vec<u8>) -> bool {
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
