//! Timestamps as they appear in mail logs, and the year rule for syslog stamps without a year.

use chrono::{Datelike, NaiveDate, NaiveDateTime, Timelike};

/// A log line's own date and time of day, as written (no time zone conversion).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Stamp {
    /// The date in the line.
    pub date: NaiveDate,
    /// Seconds since midnight.
    pub secs: u32,
    /// Offset from UTC in seconds, when the stamp states one.
    pub offset: Option<i32>,
}

impl Stamp {
    /// Hour of day, 0..=23.
    pub fn hour(&self) -> u8 {
        (self.secs / 3600) as u8
    }

    /// Seconds on a single monotonic scale (local wall time), for gaps between lines.
    pub fn scalar(&self) -> i64 {
        self.midnight() + i64::from(self.secs)
    }

    /// [`Stamp::scalar`] of the first second of the stamp's day.
    pub fn midnight(&self) -> i64 {
        i64::from(self.date.num_days_from_ce()) * 86_400
    }

    /// The wall-clock date and time.
    pub fn naive(&self) -> NaiveDateTime {
        self.date
            .and_hms_opt(self.secs / 3600, (self.secs / 60) % 60, self.secs % 60)
            .expect("secs < 86400")
    }
}

/// How to give a year to `Nov  3 04:12:55`, which has none.
///
/// A line gets the latest year in which its date is not after the reference instant
/// (plus a day of slack for clock and time zone differences). With the file's
/// modification time as reference, a log running from December into January gets
/// December of the old year and January of the new one.
#[derive(Clone, Copy, Debug)]
pub struct YearRule {
    /// `limit` as (month, day, seconds), to choose the year without building dates.
    limit_key: (u32, u32, u32),
    /// Every date of the limit's year and the year before, by month and day: a table
    /// lookup per line instead of a calendar computation.
    dates: [[[Option<NaiveDate>; 32]; 12]; 2],
}

impl YearRule {
    /// Years relative to a reference instant (usually the file's modification time).
    pub fn from_reference(reference: NaiveDateTime) -> YearRule {
        let limit = reference + chrono::Duration::days(1);
        let mut dates = [[[None; 32]; 12]; 2];
        for (back, year) in dates.iter_mut().enumerate() {
            for (m, month) in year.iter_mut().enumerate() {
                for (d, date) in month.iter_mut().enumerate() {
                    *date =
                        NaiveDate::from_ymd_opt(limit.year() - back as i32, m as u32 + 1, d as u32);
                }
            }
        }
        YearRule {
            limit_key: (
                limit.month(),
                limit.day(),
                limit.num_seconds_from_midnight(),
            ),
            dates,
        }
    }

    /// A log whose first line, dated `month`/`day` at `secs`, is in `year`; later lines
    /// roll over into the next year at New Year, as with a file time.
    pub fn starting(year: i32, month: u32, day: u32, secs: u32) -> YearRule {
        // Lines may run a little backwards (several hosts, clock steps): a line up to three
        // days before the first stays in `year` (the limit is a day past the reference).
        let first = NaiveDate::from_ymd_opt(year, month, day)
            .or_else(|| NaiveDate::from_ymd_opt(year, month, 28))
            .and_then(|d| d.and_hms_opt(secs / 3600, (secs / 60) % 60, secs % 60));
        match first.and_then(|f| f.checked_add_months(chrono::Months::new(12))) {
            Some(next) => YearRule::from_reference(next - chrono::Duration::days(4)),
            None => YearRule::fixed(year),
        }
    }

    /// Every undated line is in `year`.
    pub fn fixed(year: i32) -> YearRule {
        let reference = NaiveDate::from_ymd_opt(year, 12, 31)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .unwrap_or_default();
        YearRule::from_reference(reference)
    }

    /// The date for a month and day without a year; none when the year the rule gives
    /// has no such day (`Feb 29` of a common year is a bad stamp, not another year's date).
    pub fn date(&self, month: u32, day: u32, secs: u32) -> Option<NaiveDate> {
        let back = usize::from((month, day, secs) > self.limit_key);
        self.dates[back]
            .get(month.wrapping_sub(1) as usize)
            .and_then(|m| m.get(day as usize))
            .copied()
            .flatten()
    }
}

impl Default for YearRule {
    fn default() -> Self {
        let now = chrono::Local::now().naive_local();
        YearRule::from_reference(now.with_nanosecond(0).unwrap_or(now))
    }
}

fn num(bytes: &[u8]) -> Option<u32> {
    if bytes.is_empty() || !bytes.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(
        bytes
            .iter()
            .fold(0u32, |acc, b| acc * 10 + u32::from(b - b'0')),
    )
}

/// `HH:MM:SS` at the start of `text`, as seconds of the day.
fn time_of_day(text: &[u8]) -> Option<u32> {
    if text.len() < 8 || text[2] != b':' || text[5] != b':' {
        return None;
    }
    let (h, m, s) = (num(&text[0..2])?, num(&text[3..5])?, num(&text[6..8])?);
    // 60 allows a leap second.
    (h < 24 && m < 60 && s <= 60).then(|| h * 3600 + m * 60 + s.min(59))
}

/// Skip `.123456` after the seconds; returns the bytes consumed.
fn fraction(text: &[u8]) -> usize {
    if text.first() == Some(&b'.') {
        1 + text[1..].iter().take_while(|b| b.is_ascii_digit()).count()
    } else {
        0
    }
}

thread_local! {
    /// The last date read, by its ten bytes: lines come in long runs of one date.
    static LAST_DATE: std::cell::Cell<([u8; 10], Option<NaiveDate>)> =
        const { std::cell::Cell::new(([0; 10], None)) };
}

/// `YYYY-MM-DD` at the start of `text`.
fn iso_date(text: &[u8]) -> Option<NaiveDate> {
    if text.len() < 10 || text[4] != b'-' || text[7] != b'-' {
        return None;
    }
    let key: [u8; 10] = text[..10].try_into().ok()?;
    let (last_key, last) = LAST_DATE.get();
    if last.is_some() && last_key == key {
        return last;
    }
    let date = NaiveDate::from_ymd_opt(
        num(&text[0..4])? as i32,
        num(&text[5..7])?,
        num(&text[8..10])?,
    );
    LAST_DATE.set((key, date));
    date
}

/// `Z`, `+01:00`, `+0100`, `-0200` at the start of `text`: offset seconds and length.
fn zone(text: &[u8]) -> Option<(i32, usize)> {
    match text.first()? {
        b'Z' => Some((0, 1)),
        sign @ (b'+' | b'-') => {
            let (h, m, len) = if text.len() >= 6 && text[3] == b':' {
                (num(&text[1..3])?, num(&text[4..6])?, 6)
            } else if text.len() >= 5 {
                (num(&text[1..3])?, num(&text[3..5])?, 5)
            } else {
                return None;
            };
            let secs = (h * 3600 + m * 60) as i32;
            Some((if *sign == b'-' { -secs } else { secs }, len))
        }
        _ => None,
    }
}

/// RFC 3339 (`2026-11-03T04:12:55.123456+00:00`, `...+0100`, `...Z`): the stamp and its length.
pub fn parse_rfc3339(text: &[u8]) -> Option<(Stamp, usize)> {
    // The `T` first: every Exim line is tried here before its own shape.
    if text.get(10) != Some(&b'T') {
        return None;
    }
    let date = iso_date(text)?;
    let secs = time_of_day(&text[11..])?;
    let mut pos = 19 + fraction(&text[19..]);
    let offset = match zone(&text[pos..]) {
        Some((offset, len)) => {
            pos += len;
            Some(offset)
        }
        None => None,
    };
    Some((Stamp { date, secs, offset }, pos))
}

/// Exim's `2026-11-03 04:12:55[.123][ +0100]`: the stamp and its length.
pub fn parse_exim(text: &[u8]) -> Option<(Stamp, usize)> {
    let date = iso_date(text)?;
    if text.get(10) != Some(&b' ') {
        return None;
    }
    let secs = time_of_day(&text[11..])?;
    let mut pos = 19 + fraction(&text[19..]);
    let mut offset = None;
    if text.get(pos) == Some(&b' ') {
        if let Some((off, len)) = zone(&text[pos + 1..]) {
            // Only a numeric zone: `Z` would be a word of the message.
            if len == 5 {
                offset = Some(off);
                pos += 1 + len;
            }
        }
    }
    Some((Stamp { date, secs, offset }, pos))
}

const MONTHS: [&[u8; 3]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];

/// Classic syslog `Nov  3 04:12:55` (also `Nov 03`, `Nov 3`, `.123456` fractions): stamp and length.
pub fn parse_classic(text: &[u8], years: &YearRule) -> Option<(Stamp, usize)> {
    match parse_classic_shape(text, years)? {
        (Some(stamp), len) => Some((stamp, len)),
        (None, _) => None,
    }
}

/// The month, day and seconds of a classic stamp, without giving it a year.
pub fn classic_month_day(text: &[u8]) -> Option<(u32, u32, u32)> {
    let (month, day, secs, _) = classic_fields(text)?;
    Some((month, day, secs))
}

/// Like [`parse_classic`], but a stamp of the right shape whose date does not exist in
/// the year the rule gives (`Feb 29`, `Apr 31`) is `(None, length)`.
pub fn parse_classic_shape(text: &[u8], years: &YearRule) -> Option<(Option<Stamp>, usize)> {
    let (month, day, secs, pos) = classic_fields(text)?;
    let stamp = years.date(month, day, secs).map(|date| Stamp {
        date,
        secs,
        offset: None,
    });
    Some((stamp, pos))
}

/// Month, day (1..=31), seconds and length of a classic stamp.
fn classic_fields(text: &[u8]) -> Option<(u32, u32, u32, usize)> {
    if text.len() < 15 || text[3] != b' ' {
        return None;
    }
    let month = MONTHS.iter().position(|m| m[..] == text[..3])? as u32 + 1;
    let mut pos = 4;
    if text[pos] == b' ' {
        pos += 1;
    }
    let day_len = text[pos..]
        .iter()
        .take(3)
        .take_while(|b| b.is_ascii_digit())
        .count();
    if !(1..=2).contains(&day_len) {
        return None;
    }
    let day = num(&text[pos..pos + day_len])?;
    pos += day_len;
    if text.get(pos) != Some(&b' ') {
        return None;
    }
    pos += 1;
    let secs = time_of_day(text.get(pos..)?)?;
    pos += 8;
    pos += fraction(&text[pos..]);
    (1..=31).contains(&day).then_some((month, day, secs, pos))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(y: i32, m: u32, d: u32) -> YearRule {
        YearRule::from_reference(
            NaiveDate::from_ymd_opt(y, m, d)
                .unwrap()
                .and_hms_opt(12, 0, 0)
                .unwrap(),
        )
    }

    #[test]
    fn classic_year_crosses_new_year() {
        let years = rule(2027, 1, 2);
        let (dec, _) = parse_classic(b"Dec 31 23:59:59 host x", &years).unwrap();
        let (jan, _) = parse_classic(b"Jan  1 00:00:01 host x", &years).unwrap();
        assert_eq!(dec.date.to_string(), "2026-12-31");
        assert_eq!(jan.date.to_string(), "2027-01-01");
    }

    #[test]
    fn classic_day_paddings() {
        let years = YearRule::fixed(2026);
        for line in [
            &b"Jun  4 22:24:28 m"[..],
            b"Jun 04 22:24:28 m",
            b"Jun 4 22:24:28 m",
        ] {
            let (s, len) = parse_classic(line, &years).unwrap();
            assert_eq!(s.date.to_string(), "2026-06-04");
            assert_eq!(s.secs, 22 * 3600 + 24 * 60 + 28);
            assert_eq!(line[len], b' ');
        }
        let (_, len) = parse_classic(b"Feb 01 01:02:04.123456 h", &years).unwrap();
        assert_eq!(len, 22);
        assert!(parse_classic(b"Jan: 1 00:00:00 h", &years).is_none());
        assert!(parse_classic(b"Jan", &years).is_none());
        assert!(parse_classic(b"Feb 30 00:00:00 h", &years).is_none());
    }

    #[test]
    fn leap_day_of_a_common_year_is_a_bad_stamp() {
        let line = b"Feb 29 10:00:00 h";
        assert!(parse_classic(line, &YearRule::fixed(2026)).is_none());
        assert_eq!(
            parse_classic_shape(line, &YearRule::fixed(2026)),
            Some((None, 15))
        );
        let (s, _) = parse_classic(line, &YearRule::fixed(2028)).unwrap();
        assert_eq!(s.date.to_string(), "2028-02-29");
        assert!(parse_classic_shape(b"Feb 32 10:00:00 h", &YearRule::fixed(2028)).is_none());
    }

    #[test]
    fn a_starting_year_is_the_first_lines_and_rolls_over() {
        let years = YearRule::starting(2025, 12, 30, 3600);
        let date = |line: &[u8]| parse_classic(line, &years).unwrap().0.date.to_string();
        assert_eq!(date(b"Dec 30 01:00:00 h"), "2025-12-30");
        // A little backwards stays in the year; after New Year, the next one.
        assert_eq!(date(b"Dec 28 23:00:00 h"), "2025-12-28");
        assert_eq!(date(b"Dec 31 23:59:59 h"), "2025-12-31");
        assert_eq!(date(b"Jan  2 00:00:01 h"), "2026-01-02");
        let years = YearRule::starting(2026, 3, 1, 0);
        assert_eq!(
            parse_classic(b"Mar  1 00:00:00 h", &years)
                .unwrap()
                .0
                .date
                .to_string(),
            "2026-03-01"
        );
        assert_eq!(
            parse_classic(b"Feb 20 00:00:00 h", &years)
                .unwrap()
                .0
                .date
                .to_string(),
            "2027-02-20"
        );
    }

    #[test]
    fn rfc3339_variants() {
        for (text, len, off) in [
            (&b"2024-08-29T01:08:59.764590+00:00 h"[..], 32, Some(0)),
            (b"2023-03-14T00:00:31.185246+01:00 h", 32, Some(3600)),
            (b"2022-04-14T00:36:03.150Z h", 24, Some(0)),
            (b"2023-02-01T01:02:04+0100 h", 24, Some(3600)),
            (b"2023-02-01T01:02:04 h", 19, None),
        ] {
            let (s, n) = parse_rfc3339(text).unwrap();
            assert_eq!(
                (n, s.offset),
                (len, off),
                "{}",
                String::from_utf8_lossy(text)
            );
        }
    }

    #[test]
    fn exim_variants() {
        let (s, n) = parse_exim(b"2020-06-20 02:32:57 -0200 [789] x").unwrap();
        assert_eq!((n, s.offset), (25, Some(-7200)));
        let (_, n) = parse_exim(b"2017-07-30 18:51:05.712 10HmaZ").unwrap();
        assert_eq!(n, 23);
        let (_, n) = parse_exim(b"2026-11-24 12:05:21 exim 4.96").unwrap();
        assert_eq!(n, 19);
        assert!(parse_exim(b"2026-11-24T12:05:21 x").is_none());
        assert!(parse_exim(b"2026-13-24 12:05:21 x").is_none());
    }
}
