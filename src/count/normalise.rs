//! Normalising reply texts and reasons so that occurrences of one problem compare equal.
//!
//! Normalising masks what differs between occurrences of one problem (addresses, IPs,
//! host names, numbers, ids, URLs, the repeated codes of multi-line replies) so that one
//! problem is one row. A cheap pre-mask (`<...>`, `[...]`, id words) keys a per-thread
//! cache, so that the regexes run once per problem and thread.
//!
//! Apart from the tables because the event stream, the provider matcher and `diagnose`
//! use it too, and it knows nothing of how texts are counted.

use crate::sanitize::{escape_bytes, shorten};
use regex::Regex;
use std::sync::OnceLock;

thread_local! {
    /// Normalised reasons by their text with `<...>` and `[...]` masked: most occurrences of
    /// a problem differ only there, so the regexes run once per problem and thread, not once
    /// per line. Normalising is a pure function, so the cache never changes a result.
    static REASONS: std::cell::RefCell<ReasonCache> = Default::default();
}

/// Normalised reasons by pre-masked text, and the bytes of text they keep. Beside each
/// reason, once a problem line asked: the provider words of the pre-masked text.
#[derive(Default)]
struct ReasonCache {
    reasons: rustc_hash::FxHashMap<Vec<u8>, CachedReason>,
    bytes: usize,
    /// The last text looked up and what it gave (and whether its pre-mask hid anything): a
    /// problem line looks its reason up twice (provider words, then the reason), and
    /// comparing is cheaper than masking and hashing.
    last: (Vec<u8>, Option<(CachedReason, Hidden)>),
}

/// A normalised reason and the provider words of its pre-masked text, if found yet.
type CachedReason = (
    std::rc::Rc<str>,
    Option<std::rc::Rc<crate::providers::Words>>,
);

/// The normalised reason of a text, through the per-thread cache.
pub fn cached_reason(text: &[u8]) -> std::rc::Rc<str> {
    cached(text, false).0 .0
}

/// The provider words of a text's pre-masked form, found once per distinct masked text
/// (see [`crate::providers::Rules::classify_line`]), and what the pre-mask hid of this text
/// (if nothing, the words are all there is to find).
pub(crate) fn cached_words(text: &[u8]) -> (std::rc::Rc<crate::providers::Words>, Hidden) {
    let ((_, words), hidden) = cached(text, true);
    (words.unwrap_or_default(), hidden)
}

/// [`cached_reason`], with the provider words if `words`.
fn cached(text: &[u8], words: bool) -> (CachedReason, Hidden) {
    thread_local! {
        /// The pre-masked text, in a buffer reused from line to line.
        static MASKED: std::cell::RefCell<Vec<u8>> = Default::default();
    }
    let wanted = |c: &CachedReason| !words || c.1.is_some();
    let last = REASONS.with(|cache| {
        let cache = cache.borrow();
        match &cache.last {
            (seen, Some((c, hidden))) if seen.as_slice() == text && wanted(c) => {
                Some((c.clone(), *hidden))
            }
            _ => None,
        }
    });
    if let Some(c) = last {
        return c;
    }
    let found = MASKED.with(|masked| {
        let mut masked = masked.borrow_mut();
        let hidden = premask_into(text, &mut masked);
        let found = REASONS.with(|cache| {
            let mut cache = cache.borrow_mut();
            let words_of =
                |masked: &[u8]| std::rc::Rc::new(crate::providers::rules().words(masked));
            if let Some(cached) = cache.reasons.get_mut(masked.as_slice()) {
                if words && cached.1.is_none() {
                    cached.1 = Some(words_of(&masked));
                }
                return cached.clone();
            }
            let reason: std::rc::Rc<str> = normalise(&masked).into();
            // Texts may be up to a line long (1 MiB): bound the bytes, not only the entries.
            let bytes = masked.len() + reason.len();
            if cache.reasons.len() >= CACHE_LIMIT || cache.bytes + bytes > CACHE_BYTES {
                cache.reasons.clear();
                cache.bytes = 0;
            }
            cache.bytes += bytes;
            let cached = (reason, words.then(|| words_of(&masked)));
            cache.reasons.insert(masked.clone(), cached.clone());
            cached
        });
        (found, hidden)
    });
    REASONS.with(|cache| {
        let mut cache = cache.borrow_mut();
        cache.last.0.clear();
        cache.last.0.extend_from_slice(text);
        cache.last.1 = Some(found.clone());
    });
    found
}

/// Replace the insides of `<...>` and `[...]` with `*`: a cheap first pass before [`normalise`].
#[cfg(test)]
fn premask(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    premask_into(text, &mut out);
    out
}

/// What [`premask_into`] hid of a text. The provider matcher scans those parts itself, and
/// looks for id words only when there were some.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Hidden {
    /// A `[` or `<` opened: its insides were masked.
    pub brackets: bool,
    /// An id word was masked ([`id_part`]).
    pub ids: bool,
}

impl Hidden {
    /// Whether anything was hidden.
    pub fn any(self) -> bool {
        self.brackets || self.ids
    }
}

/// A bracket of a text as [`brackets`] finds it: where `[` or `<` opens, and where its
/// closer is (none: it runs to the end).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Bracket {
    pub open: usize,
    pub close: Option<usize>,
}

impl Bracket {
    /// What the bracket holds in `text`, without opener and closer.
    pub fn inside(self, text: &[u8]) -> &[u8] {
        &text[self.open + 1..self.close.unwrap_or(text.len())]
    }
}

/// The brackets of a text, in order: `[...]` and `<...>`, not nested (a bracket ends at
/// the first closer of its kind; an unclosed one ends the text). The pre-mask hides their
/// insides and the provider matcher scans them, so both must split a text the same way.
pub(crate) fn brackets(text: &[u8]) -> impl Iterator<Item = Bracket> + '_ {
    let mut at = Some(0);
    std::iter::from_fn(move || {
        let from = at?;
        let open = from + memchr::memchr2(b'<', b'[', &text[from..])?;
        let closer = if text[open] == b'<' { b'>' } else { b']' };
        let close = memchr::memchr(closer, &text[open + 1..]).map(|i| open + 1 + i);
        at = close.map(|c| c + 1);
        Some(Bracket { open, close })
    })
}

/// [`premask`] into a buffer that is cleared first; what it hid.
pub(crate) fn premask_into(text: &[u8], out: &mut Vec<u8>) -> Hidden {
    out.clear();
    let mut hidden = false;
    // Runs between brackets are copied whole: most reply text has none, or a few.
    let mut from = 0;
    for bracket in brackets(text) {
        hidden = true;
        out.extend_from_slice(&text[from..=bracket.open]);
        out.push(b'*');
        match bracket.close {
            Some(close) => {
                out.push(text[close]);
                from = close + 1;
            }
            None => from = text.len(),
        }
    }
    out.extend_from_slice(&text[from..]);
    Hidden {
        ids: mask_id_words(out),
        brackets: hidden,
    }
}

/// Replace words that [`normalise`] masks to `*` anyway (queue ids, message ids, hex
/// tokens: `4F1A2B3C4D`, `id=1xVpHI-0007o9-2x`) with `*`, so that the texts of one problem
/// share a cache entry although every line names another id. Only words where masking
/// first gives the same reason: at least 6 letters, digits, `_` or `-`, starting and ending
/// with a letter or digit, holding a digit, alone between spaces or after `word=`.
/// In place (masking only shortens); whether a word was masked.
fn mask_id_words(text: &mut Vec<u8>) -> bool {
    if !text.iter().any(u8::is_ascii_digit) {
        return false;
    }
    let (mut read, mut write, mut masked) = (0, 0, false);
    while read <= text.len() {
        let end = memchr::memchr(b' ', &text[read..]).map_or(text.len(), |i| read + i);
        let keep = match id_part(&text[read..end]) {
            Some(value) => {
                masked = true;
                value
            }
            None => end - read,
        };
        text.copy_within(read..read + keep, write);
        write += keep;
        if keep < end - read {
            text[write] = b'*';
            write += 1;
        }
        if end < text.len() {
            text[write] = b' ';
            write += 1;
        }
        read = end + 1;
    }
    text.truncate(write);
    masked
}

/// Where the id that [`mask_id_words`] masks starts in a word (0, or after `word=`), if it
/// masks one. The provider matcher scans these parts itself (`crate::providers`).
pub(crate) fn id_part(word: &[u8]) -> Option<usize> {
    fn masks(word: &[u8]) -> bool {
        word.len() >= 6
            && word[0].is_ascii_alphanumeric()
            && word[word.len() - 1].is_ascii_alphanumeric()
            && word.iter().any(u8::is_ascii_digit)
            && word
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-'))
    }
    // Most words are short or hold no digit, and then no part of them is an id either.
    if word.len() < 6 || !word.iter().any(u8::is_ascii_digit) {
        return None;
    }
    let value = match memchr::memchr(b'=', word) {
        Some(eq) if word[..eq].iter().all(u8::is_ascii_alphabetic) && eq > 0 => eq + 1,
        _ => 0,
    };
    masks(&word[value..]).then_some(value)
}

/// How many pre-masked reasons a thread remembers before it starts over.
const CACHE_LIMIT: usize = 16_384;

/// How many bytes of text a thread's reason cache holds before it starts over.
const CACHE_BYTES: usize = 4 << 20;

/// Bytes of text in this thread's reason cache (for tests).
#[cfg(test)]
fn cached_bytes() -> usize {
    REASONS.with(|cache| cache.borrow().bytes)
}

struct Masks {
    continuation: Regex,
    exim_newline: Regex,
    bracketed: Regex,
    email: Regex,
    url: Regex,
    ip: Regex,
    host: Regex,
    token_with_digits: Regex,
    number: Regex,
    trailer: Regex,
    spaces: Regex,
}

fn masks() -> &'static Masks {
    static MASKS: OnceLock<Masks> = OnceLock::new();
    MASKS.get_or_init(|| {
        let re = |pattern: &str| Regex::new(pattern).expect("valid pattern");
        Masks {
            // The codes that start each line of a joined multi-line reply.
            continuation: re(r"(?:^|\s)[2-5][0-9]{2}[ -](?:[245]\.[0-9]{1,3}\.[0-9]{1,3}\s)?"),
            exim_newline: re(r"\\+n"),
            bracketed: re(r"\[[^\]]*\]"),
            email: re(r"<[^<>]*>|[^\s<>()]+@[^\s<>()]+"),
            url: re(r"(?i)\b(?:https?|ftp)://\S+"),
            ip: re(
                r"\b[0-9]{1,3}(?:\.[0-9]{1,3}){3}\b|\b[0-9a-fA-F]{0,4}(?::[0-9a-fA-F]{0,4}){2,7}\b",
            ),
            host: re(r"\b[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*\.[A-Za-z]{2,}\b"),
            token_with_digits: re(r"\b[A-Za-z_-]*[0-9][A-Za-z0-9_.+-]*\b"),
            number: re(r"\b[0-9]+\b"),
            // Postfix's `(in reply to RCPT TO command)` and Exim's ` DT=0s` say where, not why.
            trailer: re(r"\s*\(in reply to [^)]*\)\)?$|\s+DT=\S*$|\)$"),
            spaces: re(r"\s+"),
        }
    })
}

/// Normalise a reply text or reason so that occurrences of one problem compare equal.
pub fn normalise(text: &[u8]) -> String {
    let m = masks();
    let text = escape_bytes(text);
    let text = m.exim_newline.replace_all(&text, " ");
    let text = m.trailer.replace_all(&text, "");
    let text = m.continuation.replace_all(&text, " ");
    let text = m.email.replace_all(&text, "<*>");
    let text = m.url.replace_all(&text, "<url>");
    let text = m.bracketed.replace_all(&text, "[*]");
    let text = m.ip.replace_all(&text, "*");
    let text = m.host.replace_all(&text, "*");
    let text = m.token_with_digits.replace_all(&text, "*");
    let text = m.number.replace_all(&text, "*");
    let text = m.spaces.replace_all(&text, " ");
    shorten(text.trim(), MAX_REASON_CHARS)
}

/// Longest reason or diagnostic text kept, in characters.
const MAX_REASON_CHARS: usize = 240;

/// A text escaped, with runs of white space made one and cut after 240 characters.
pub fn literal(text: &[u8]) -> String {
    let text = escape_bytes(text);
    let text = masks().spaces.replace_all(&text, " ");
    shorten(text.trim(), MAX_REASON_CHARS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masking_ids_first_gives_the_same_reason() {
        for text in [
            &b"Ok: queued as 4F1A2B3C4D"[..],
            b"OK id=1xVpHI-0007o9-2x",
            b"250 2.0.0 Ok: queued as 4F1A2B3C4D (in reply to end of DATA command)",
            b"x 450-abc123 y",
            b"450-abc123 y",
            b"-abc123 abc123- _ab12 a1b2c3d4e5",
            b"see https://x.test/abc123 and mx1.example.com abc123@x.test",
            b"queued as ABC123 DT=123456s",
            b"550 5.1.1 <user1234@x.test>: unknown [192.0.2.1] a\\nb123456",
            b"token id=ab12 k9=abcdef1 =abcdef1 ID=ZZZ999 ID=ZZ999-",
            b"ip 2001:db8::1 and 198.51.100.7:25 abc123:",
        ] {
            // The cache is keyed by the pre-masked text: it must normalise the same.
            let pre = premask(text);
            assert_eq!(
                normalise(&pre),
                normalise(text),
                "{}",
                String::from_utf8_lossy(text)
            );
        }
        let mut pre = Vec::new();
        premask_into(b"Ok: queued as 4F1A2B3C4D", &mut pre);
        assert_eq!(pre, b"Ok: queued as *");
    }

    #[test]
    fn one_problem_one_reason() {
        let a = normalise(b"<u550+p71@sink.test>: Recipient address rejected: User unknown in virtual mailbox table (in reply to RCPT TO command))");
        let b = normalise(b"<bob@other.example>: Recipient address rejected: User unknown in virtual mailbox table (in reply to RCPT TO command))");
        assert_eq!(
            a,
            "<*>: Recipient address rejected: User unknown in virtual mailbox table"
        );
        assert_eq!(a, b);
    }

    #[test]
    fn multi_line_replies_join_into_one_reason() {
        let postfix = normalise(b"The account does not exist. Please try 550-5.1.1 double-checking the address. 550 5.1.1  https://support.example.test/mail/?p=NoSuchUser a1si123456qkb.42 - gsmtp (in reply to RCPT TO command))");
        assert_eq!(
            postfix,
            "The account does not exist. Please try double-checking the address. <url> * - gsmtp"
        );
        let exim = normalise(b"The inbox is full. Please direct the\\n452-4.2.2 recipient to\\n452 4.2.2 https://support.test/x DT=0s");
        assert_eq!(
            exim,
            "The inbox is full. Please direct the recipient to <url>"
        );
    }

    #[test]
    fn masks_hosts_ips_numbers_and_ids() {
        assert_eq!(
            normalise(b"Service unavailable; Client host [198.51.100.7] blocked using zen.dnsbl.test; see https://x.test/q?ip=198.51.100.7"),
            "Service unavailable; Client host [*] blocked using *; see <url>"
        );
        assert_eq!(
            normalise(b"sink.example.test Error: too many connections from 127.0.0.1"),
            "* Error: too many connections from *"
        );
        assert_eq!(
            normalise(b"Message rejected as spam. 554 5.7.1 Reference SPAM-S00048"),
            "Message rejected as spam. Reference *"
        );
        let hostile = normalise(b"\x1b[2J evil\xff");
        assert!(
            !hostile.chars().any(char::is_control) && hostile.contains("evil"),
            "{hostile}"
        );
    }

    #[test]
    fn the_reason_cache_holds_a_bounded_number_of_bytes() {
        // Long texts, each different: without a byte bound 24 of them would keep 6 MiB.
        for i in 0..24u8 {
            let mut text = vec![b'a' + i; 1 << 18];
            text.push(b' ');
            let reason = cached_reason(&text);
            assert!(reason.chars().count() <= MAX_REASON_CHARS + 1);
            assert!(cached_bytes() <= CACHE_BYTES, "{}", cached_bytes());
        }
        assert!(cached_bytes() > 0);
    }

    #[test]
    fn premasking_does_not_change_the_result() {
        for text in [
            &b"<a@b.test>: rejected [192.0.2.1] x"[..],
            b"Client host [2001:db8::1] blocked <x@y>",
            b"",
        ] {
            assert_eq!(
                normalise(&premask(text)),
                normalise(text),
                "{}",
                String::from_utf8_lossy(text)
            );
        }
    }
}
