//! Making log text safe to show: terminals, spreadsheets.
//!
//! Remote servers and clients write parts of every mail log, so any text taken from
//! a log may hold escape sequences or spreadsheet formulas.

use std::borrow::Cow;
use std::fmt::Write;

/// Render bytes from a log as printable text, reversibly: valid UTF-8 stays, control
/// characters, invisible and bidi-reordering characters and invalid bytes become visible
/// escapes (ESC as `\u{1b}`, `\xff`, `\t`), and a backslash becomes `\\`, so a
/// literal `\u{1b}` written in a log never looks like an escaped ESC. The result cannot
/// move the cursor, change colours or reorder a terminal line.
///
/// Apply it once, where log text becomes a key; [`unescape`] undoes it.
pub fn escape_bytes(bytes: &[u8]) -> String {
    match plain(bytes) {
        Some(text) => text.to_owned(),
        None => escape_each(bytes),
    }
}

/// [`escape_bytes`] of text that is not [`plain`].
fn escape_each(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        escape_into(chunk.valid(), true, &mut out);
        for b in chunk.invalid() {
            let _ = write!(out, "\\x{b:02x}");
        }
    }
    out
}

/// Printable ASCII without a backslash: text that every escape leaves as it is. Checked
/// first because it is nearly all log text, and a byte test is far cheaper than decoding.
fn is_plain(bytes: &[u8]) -> bool {
    // No early exit inside a block of 32, so the test compiles to vector compares.
    let odd = |block: &[u8]| {
        block.iter().fold(false, |odd, &b| {
            odd | (b.wrapping_sub(b' ') > b'~' - b' ') | (b == b'\\')
        })
    };
    let mut blocks = bytes.chunks_exact(32);
    !blocks.any(odd) && !odd(blocks.remainder())
}

/// The text, if it is printable ASCII without a backslash: valid UTF-8 that no escape
/// changes, so that any part of it is its own [`escape_cow`].
pub fn plain(bytes: &[u8]) -> Option<&str> {
    if is_plain(bytes) {
        std::str::from_utf8(bytes).ok()
    } else {
        None
    }
}

/// [`escape_bytes`], without a copy when nothing needs escaping (most log text).
pub fn escape_cow(bytes: &[u8]) -> Cow<'_, str> {
    if let Some(text) = plain(bytes) {
        return Cow::Borrowed(text);
    }
    match std::str::from_utf8(bytes) {
        Ok(text) if !text.chars().any(|c| c == '\\' || is_unsafe(c)) => Cow::Borrowed(text),
        _ => Cow::Owned(escape_each(bytes)),
    }
}

/// Characters that are invisible or change how the rest of a line is shown: bidi controls
/// (a U+202E can make `exe.txt` read `txt.exe`), zero-width and other format characters,
/// line and paragraph separators, and Unicode tag characters.
fn is_deceptive(c: char) -> bool {
    matches!(c,
        '\u{ad}' | '\u{34f}' | '\u{61c}' | '\u{115f}' | '\u{1160}' | '\u{17b4}' | '\u{17b5}'
        | '\u{180b}'..='\u{180f}' | '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}'
        | '\u{2060}'..='\u{206f}' | '\u{3164}' | '\u{feff}'
        | '\u{ffa0}' | '\u{fff0}'..='\u{fffb}' | '\u{e0000}'..='\u{e0fff}')
}

/// Whether a character must not reach a terminal as it is.
fn is_unsafe(c: char) -> bool {
    c.is_control() || is_deceptive(c)
}

fn escape_into(text: &str, backslash: bool, out: &mut String) {
    for c in text.chars() {
        match c {
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\\' if backslash => out.push_str("\\\\"),
            c if is_unsafe(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
}

/// Make text safe for a terminal: control, invisible and bidi characters become escapes,
/// everything else (backslashes included) stays, so text that is already escaped
/// comes out unchanged. For messages and for keys escaped by [`escape_bytes`].
pub fn escape_str(text: &str) -> Cow<'_, str> {
    if text.chars().any(is_unsafe) {
        let mut out = String::with_capacity(text.len() + 8);
        escape_into(text, false, &mut out);
        Cow::Owned(out)
    } else {
        Cow::Borrowed(text)
    }
}

/// Show a path in a message: its bytes escaped like log text (file names may hold any
/// byte, escape sequences included).
pub fn escape_path(path: &std::path::Path) -> String {
    use std::os::unix::ffi::OsStrExt;
    escape_bytes(path.as_os_str().as_bytes())
}

/// The bytes that [`escape_bytes`] turned into `text` (for `merge`, which reloads keys a
/// report wrote). Text that no escaping produced is taken as it is.
pub fn unescape(text: &str) -> Cow<'_, [u8]> {
    if !text.contains('\\') {
        return Cow::Borrowed(text.as_bytes());
    }
    let mut out = Vec::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('\\') {
        out.extend_from_slice(&rest.as_bytes()[..at]);
        let after = &rest[at + 1..];
        let (bytes, used): (Vec<u8>, usize) = match after.as_bytes().first() {
            Some(b'\\') => (vec![b'\\'], 1),
            Some(b't') => (vec![b'\t'], 1),
            Some(b'n') => (vec![b'\n'], 1),
            Some(b'r') => (vec![b'\r'], 1),
            Some(b'x') => match after.get(1..3).and_then(|h| u8::from_str_radix(h, 16).ok()) {
                Some(b) => (vec![b], 3),
                None => (vec![b'\\'], 0),
            },
            Some(b'u') => match after
                .strip_prefix("u{")
                .and_then(|r| r.split_once('}'))
                .and_then(|(hex, _)| u32::from_str_radix(hex, 16).ok().map(|v| (v, hex.len())))
                .and_then(|(v, len)| char::from_u32(v).map(|c| (c, len)))
            {
                Some((c, len)) => (c.to_string().into_bytes(), len + 3),
                None => (vec![b'\\'], 0),
            },
            _ => (vec![b'\\'], 0),
        };
        out.extend_from_slice(&bytes);
        rest = &after[used..];
    }
    out.extend_from_slice(rest.as_bytes());
    Cow::Owned(out)
}

/// Make a CSV cell that a spreadsheet shows as text, never evaluates as a formula.
///
/// Cells starting with `=`, `+`, `-`, `@`, tab or CR get a leading apostrophe (the
/// OWASP advice); numbers that we write ourselves never pass through here.
pub fn csv_cell(text: &str) -> Cow<'_, str> {
    let text = escape_str(text);
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r' | '\\') => Cow::Owned(format!("'{text}")),
        _ => text,
    }
}

/// A text cut after `max_chars` characters, marked with `…`, so a row stays one line.
pub fn shorten(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_bytes_become_visible() {
        assert_eq!(escape_bytes(b"a\x1b[31mred\x00"), "a\\u{1b}[31mred\\u{0}");
        assert_eq!(
            escape_bytes(b"caf\xc3\xa9 \xff\xfe"),
            "caf\u{e9} \\xff\\xfe"
        );
        assert_eq!(escape_bytes("\u{9b}2J".as_bytes()), "\\u{9b}2J");
        assert!(!escape_bytes(b"\t\r\n\x07\x7f")
            .chars()
            .any(char::is_control));
    }

    #[test]
    fn escaping_can_be_undone_and_tells_literal_escapes_apart() {
        // `merge` reloads keys a report already escaped: unescaping gives the log's bytes.
        for raw in [
            &b"a\x1b[31mred\x00"[..],
            b"caf\xc3\xa9 \xff\xfe",
            b"\t\r\n\x07\x7f",
            b"back\\slash \\u{1b} \\x41 \\",
            "bidi \u{202e}txt.exe \u{200b}\u{2028}".as_bytes(),
        ] {
            let once = escape_bytes(raw);
            assert_eq!(unescape(&once).as_ref(), raw, "{once}");
        }
        // A literal `\u{1b}` in a log differs from an ESC.
        assert_ne!(escape_bytes(b"\\u{1b}"), escape_bytes(b"\x1b"));
        assert_eq!(escape_bytes(b"\\u{1b}"), "\\\\u{1b}");
    }

    #[test]
    fn bidi_zero_width_and_separators_are_escaped() {
        let text = "a\u{202e}b\u{200b}c\u{2028}d\u{2029}e\u{2066}f\u{feff}g\u{e0041}";
        let shown = escape_bytes(text.as_bytes());
        assert_eq!(
            shown,
            "a\\u{202e}b\\u{200b}c\\u{2028}d\\u{2029}e\\u{2066}f\\u{feff}g\\u{e0041}"
        );
        assert_eq!(escape_str(text), shown);
        // Already-escaped text passes the terminal filter unchanged.
        assert_eq!(escape_str(&shown), shown);
        // Ordinary non-ASCII text stays.
        assert_eq!(escape_bytes("Grüße 你好".as_bytes()), "Grüße 你好");
    }

    #[test]
    fn formulas_stay_text() {
        for evil in ["=1+1", "+1", "-2", "@SUM(A1)", "\tx", "\r=x"] {
            let cell = csv_cell(evil);
            assert!(cell.starts_with('\''), "{evil:?} -> {cell:?}");
        }
        assert_eq!(csv_cell("550 5.1.1"), "550 5.1.1");
    }
}
