//! Texts smtplog makes for a record, kept from line to line: the stamp's times (most lines
//! share their minute with the line before) and the enhanced codes.

use crate::code::EnhancedCode;
use crate::stamp::Stamp;
use crate::window::Zone;

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
    pub(super) fn texts(
        &mut self,
        stamp: Option<Stamp>,
        zone: &Zone,
    ) -> (Option<&str>, Option<&str>) {
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
pub(super) struct CodeText {
    code: Option<EnhancedCode>,
    text: String,
}

impl CodeText {
    pub(super) fn of(&mut self, code: EnhancedCode) -> &str {
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
