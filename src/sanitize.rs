//! Making log text safe to show: terminals, spreadsheets.
//!
//! Remote servers and clients write parts of every mail log, so any text taken from
//! a log may hold escape sequences or spreadsheet formulas.

use std::borrow::Cow;
use std::fmt::Write;

/// Render bytes as printable text: valid UTF-8 stays, control characters and invalid
/// bytes become visible escapes (`\x1b`, `\xff`, `\t`). The result holds no control
/// character, so it cannot move the cursor or change colours on a terminal.
pub fn escape_bytes(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        escape_str_into(chunk.valid(), &mut out);
        for b in chunk.invalid() {
            let _ = write!(out, "\\x{b:02x}");
        }
    }
    out
}

fn escape_str_into(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\\' => out.push('\\'),
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
}

/// Escape control characters in text that is already UTF-8.
pub fn escape_str(text: &str) -> Cow<'_, str> {
    if text.chars().any(char::is_control) {
        let mut out = String::with_capacity(text.len() + 8);
        escape_str_into(text, &mut out);
        Cow::Owned(out)
    } else {
        Cow::Borrowed(text)
    }
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
    fn escaping_twice_changes_nothing() {
        // `merge` reloads keys a report already escaped: they must come out the same.
        for raw in [
            &b"a\x1b[31mred\x00"[..],
            b"caf\xc3\xa9 \xff\xfe",
            b"\t\r\n\x07\x7f",
            b"back\\slash \\u{1b}",
        ] {
            let once = escape_bytes(raw);
            assert_eq!(escape_bytes(once.as_bytes()), once, "{raw:?}");
        }
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
