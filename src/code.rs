//! SMTP reply codes (RFC 5321 `550`) and enhanced status codes (RFC 3463 `5.1.1`).

use std::fmt;
use std::str::FromStr;

/// A basic SMTP reply code in the range 200..=599.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ReplyCode(u16);

impl ReplyCode {
    /// Build a code, refusing anything outside 2xx–5xx.
    pub fn new(value: u16) -> Option<ReplyCode> {
        (200..=599).contains(&value).then_some(ReplyCode(value))
    }

    /// The numeric value, e.g. 550.
    pub fn value(self) -> u16 {
        self.0
    }

    /// The class digit: 2, 3, 4 or 5.
    pub fn class(self) -> Class {
        Class::from_digit((self.0 / 100) as u8).expect("range checked in new")
    }
}

impl fmt::Display for ReplyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl FromStr for ReplyCode {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        match parse_reply(s.as_bytes()) {
            Some((code, None, len)) if len == s.len() => Ok(code),
            _ => Err(()),
        }
    }
}

/// The class of a reply: what the sender should do next.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Class {
    /// 2xx: done.
    Positive,
    /// 3xx: go on with the next step.
    Intermediate,
    /// 4xx: try again later.
    Transient,
    /// 5xx: give up.
    Permanent,
}

impl Class {
    /// All classes in order.
    pub const ALL: [Class; 4] = [
        Class::Positive,
        Class::Intermediate,
        Class::Transient,
        Class::Permanent,
    ];

    /// The class for a leading digit.
    pub fn from_digit(digit: u8) -> Option<Class> {
        match digit {
            2 => Some(Class::Positive),
            3 => Some(Class::Intermediate),
            4 => Some(Class::Transient),
            5 => Some(Class::Permanent),
            _ => None,
        }
    }

    /// The leading digit.
    pub fn digit(self) -> u8 {
        match self {
            Class::Positive => 2,
            Class::Intermediate => 3,
            Class::Transient => 4,
            Class::Permanent => 5,
        }
    }

    /// The label used in reports: `2xx`.
    pub fn label(self) -> &'static str {
        match self {
            Class::Positive => "2xx",
            Class::Intermediate => "3xx",
            Class::Transient => "4xx",
            Class::Permanent => "5xx",
        }
    }

    /// Position in [`Class::ALL`].
    pub fn index(self) -> usize {
        self.digit() as usize - 2
    }
}

/// An RFC 3463 enhanced status code `class.subject.detail`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EnhancedCode {
    class: u8,
    subject: u16,
    detail: u16,
}

impl EnhancedCode {
    /// Build a code; class must be 2, 4 or 5, subject and detail 0..=999.
    pub fn new(class: u8, subject: u16, detail: u16) -> Option<EnhancedCode> {
        (matches!(class, 2 | 4 | 5) && subject <= 999 && detail <= 999).then_some(EnhancedCode {
            class,
            subject,
            detail,
        })
    }

    /// The class digit (2, 4 or 5).
    pub fn class(self) -> u8 {
        self.class
    }

    /// The subject number (the `1` of `5.1.1`).
    pub fn subject(self) -> u16 {
        self.subject
    }

    /// The detail number (the last `1` of `5.1.1`).
    pub fn detail(self) -> u16 {
        self.detail
    }

    /// The code that stands for all the codes of a class that are not in the catalogue,
    /// once a log held too many different ones to list (written `5.*.*`).
    pub fn other(class: u8) -> Option<EnhancedCode> {
        // Out of range for `new`, so no log line can spell it.
        matches!(class, 2 | 4 | 5).then_some(EnhancedCode {
            class,
            subject: OTHER,
            detail: OTHER,
        })
    }

    /// Whether this is [`EnhancedCode::other`].
    pub fn is_other(self) -> bool {
        self.subject == OTHER
    }
}

/// Subject and detail of [`EnhancedCode::other`].
const OTHER: u16 = 1000;

impl fmt::Display for EnhancedCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_other() {
            return write!(f, "{}.*.*", self.class);
        }
        write!(f, "{}.{}.{}", self.class, self.subject, self.detail)
    }
}

impl FromStr for EnhancedCode {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        if let [class, b'.', b'*', b'.', b'*'] = s.as_bytes() {
            return EnhancedCode::other(class.wrapping_sub(b'0')).ok_or(());
        }
        match parse_enhanced(s.as_bytes()) {
            Some((code, len)) if len == s.len() => Ok(code),
            _ => Err(()),
        }
    }
}

/// Bytes that may follow a code and end it: anything that cannot continue a number or word.
fn ends_token(b: Option<&u8>) -> bool {
    match b {
        None => true,
        Some(b) => !(b.is_ascii_alphanumeric() || *b == b'.' || *b == b'_'),
    }
}

/// Parse a run of 1..=3 ASCII digits; returns the value and how many bytes it took.
fn digits_1_to_3(text: &[u8]) -> Option<(u16, usize)> {
    let n = text
        .iter()
        .take(4)
        .take_while(|b| b.is_ascii_digit())
        .count();
    if n == 0 || n > 3 {
        return None;
    }
    let value = text[..n]
        .iter()
        .fold(0u16, |acc, b| acc * 10 + u16::from(b - b'0'));
    Some((value, n))
}

/// Parse an enhanced code at the start of `text` (`5.7.1`, `4.7.25`, `5.12.345`).
///
/// Returns the code and its length in bytes. The code must end at a token boundary,
/// so `2.0.0.127.dnsbl` and `5.1.1x` are refused.
pub fn parse_enhanced(text: &[u8]) -> Option<(EnhancedCode, usize)> {
    let class = *text.first()?;
    if !matches!(class, b'2' | b'4' | b'5') || text.get(1) != Some(&b'.') {
        return None;
    }
    let (subject, n1) = digits_1_to_3(&text[2..])?;
    let dot = 2 + n1;
    if text.get(dot) != Some(&b'.') {
        return None;
    }
    let (detail, n2) = digits_1_to_3(&text[dot + 1..])?;
    let len = dot + 1 + n2;
    if !ends_token(text.get(len)) {
        return None;
    }
    Some((EnhancedCode::new(class - b'0', subject, detail)?, len))
}

/// Parse a reply at the start of `text`: `550 5.1.1 <a@b>: ...`, `550-5.7.1 ...`, `554 text`.
///
/// The basic code is three digits, 2xx–5xx, followed by a space, a `-` (continued
/// multi-line reply), or the end of the text. The enhanced code counts only when it
/// directly follows that separator. Returns both and the number of bytes consumed.
pub fn parse_reply(text: &[u8]) -> Option<(ReplyCode, Option<EnhancedCode>, usize)> {
    if text.len() < 3 || !text[..3].iter().all(u8::is_ascii_digit) {
        return None;
    }
    let value = text[..3]
        .iter()
        .fold(0u16, |acc, b| acc * 10 + u16::from(b - b'0'));
    let code = ReplyCode::new(value)?;
    match text.get(3) {
        None => return Some((code, None, 3)),
        Some(b' ' | b'-' | b'\t') => {}
        // `550\n...` as Exim writes a multi-line reply in one log line.
        Some(b'\\') if text.get(4) == Some(&b'n') => return Some((code, None, 3)),
        Some(b'"' | b')' | b';') => return Some((code, None, 3)),
        _ => return None,
    }
    match parse_enhanced(&text[4..]) {
        Some((enhanced, len)) => Some((code, Some(enhanced), 4 + len)),
        None => Some((code, None, 3)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(s: &str) -> Option<(u16, Option<String>)> {
        parse_reply(s.as_bytes()).map(|(c, e, _)| (c.value(), e.map(|e| e.to_string())))
    }

    #[test]
    fn basic_and_enhanced() {
        assert_eq!(
            reply("550 5.1.1 <a@b>: no"),
            Some((550, Some("5.1.1".into())))
        );
        assert_eq!(
            reply("550-5.7.1 [1.2.3.4 12] Our"),
            Some((550, Some("5.7.1".into())))
        );
        assert_eq!(
            reply("450 4.7.25 Client"),
            Some((450, Some("4.7.25".into())))
        );
        assert_eq!(
            reply("550 5.12.345 <x>"),
            Some((550, Some("5.12.345".into())))
        );
        assert_eq!(reply("554 <x@y>: Relay access denied"), Some((554, None)));
        assert_eq!(reply("451 DT:SPM 163 mx40"), Some((451, None)));
        assert_eq!(reply("250"), Some((250, None)));
        assert_eq!(reply("550-no mate\\n550-1"), Some((550, None)));
        assert_eq!(reply("550\\n550 x"), Some((550, None)));
    }

    #[test]
    fn refuses_non_codes() {
        assert_eq!(reply("850 NONSENSE"), None);
        assert_eq!(reply("123 1.2.3"), None);
        assert_eq!(reply("12 Malformed"), None);
        assert_eq!(reply("9999 text"), None);
        assert_eq!(reply("5500 x"), None);
        assert_eq!(reply("550A12: x"), None);
        assert_eq!(reply("100 x"), None);
        assert_eq!(reply("55"), None);
    }

    #[test]
    fn enhanced_boundaries() {
        assert!(parse_enhanced(b"2.0.0.127.dnsbltest").is_none());
        assert!(parse_enhanced(b"5.1.1x").is_none());
        assert!(parse_enhanced(b"1.2.3").is_none());
        assert!(parse_enhanced(b"5.1234.1").is_none());
        assert!(parse_enhanced(b"5..1").is_none());
        assert_eq!(parse_enhanced(b"5.7.1;").map(|(_, n)| n), Some(5));
        assert_eq!(
            "4.7.0".parse::<EnhancedCode>().map(|e| e.to_string()),
            Ok("4.7.0".into())
        );
        // An enhanced code right after a code that is not followed by a separator does not count.
        assert_eq!(reply("550 2.0.0.127.x"), Some((550, None)));
    }

    #[test]
    fn the_other_code_reads_back_and_no_log_can_write_it() {
        let other = EnhancedCode::other(5).unwrap();
        assert_eq!(other.to_string(), "5.*.*");
        assert_eq!("5.*.*".parse::<EnhancedCode>(), Ok(other));
        assert!("3.*.*".parse::<EnhancedCode>().is_err());
        assert!(parse_enhanced(b"5.*.*").is_none());
        assert!(!EnhancedCode::new(5, 999, 999).unwrap().is_other());
    }

    #[test]
    fn classes() {
        assert_eq!(ReplyCode::new(421).unwrap().class(), Class::Transient);
        assert_eq!(Class::Permanent.label(), "5xx");
        assert_eq!("251".parse::<ReplyCode>().map(|c| c.value()), Ok(251));
        assert!("251 ".parse::<ReplyCode>().is_err());
    }
}
