//! Time windows: `--since`, `--until`, `--day`, and the time zone of logs without offsets.

use crate::stamp::Stamp;
use chrono::{DateTime, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use regex::Regex;
use std::sync::OnceLock;

/// Why a time zone, time bound or day could not be read.
///
/// Each message is whole without its source (chrono's words add nothing for the user), so
/// a caller showing the error shows its Display alone, not the chain.
#[derive(Debug, thiserror::Error)]
pub enum WindowError {
    /// `--tz` names no zone chrono-tz knows.
    #[error("unknown time zone {name:?} (use an IANA name such as Europe/Berlin, or UTC)")]
    UnknownZone {
        /// The name as given.
        name: String,
        /// chrono-tz's reason.
        #[source]
        source: chrono_tz::ParseError,
    },
    /// A relative bound whose number does not fit.
    #[error("bad number in {text:?}")]
    BadNumber {
        /// The bound as given (trimmed).
        text: String,
        /// The integer parser's reason.
        #[source]
        source: std::num::ParseIntError,
    },
    /// A bound in none of the accepted forms.
    #[error(
        "cannot read the time {text:?}: use 2026-11-03, 2026-11-03T04:00, an RFC 3339 time, today, yesterday, or -24h / -7d"
    )]
    BadTime {
        /// The bound as given (trimmed).
        text: String,
    },
    /// A day that is not `YYYY-MM-DD`, `today` or `yesterday`.
    #[error("cannot read the day {text:?}: use 2026-11-03, today or yesterday")]
    BadDay {
        /// The day as given (trimmed).
        text: String,
        /// chrono's reason.
        #[source]
        source: chrono::ParseError,
    },
}

/// The time zone in which stamps without an offset (and bounds without one) are read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Zone {
    /// The machine's local time zone.
    #[default]
    Local,
    /// A named IANA zone (`Europe/Berlin`).
    Named(chrono_tz::Tz),
}

impl Zone {
    /// Parse `local`, `UTC` or an IANA name.
    pub fn parse(name: &str) -> Result<Zone, WindowError> {
        if name.eq_ignore_ascii_case("local") {
            return Ok(Zone::Local);
        }
        name.parse::<chrono_tz::Tz>()
            .map(Zone::Named)
            .map_err(|source| WindowError::UnknownZone {
                name: name.to_string(),
                source,
            })
    }

    /// The instant of a wall-clock time in this zone (the earlier one in a DST overlap,
    /// the moment after the gap in a DST gap).
    pub fn to_utc(&self, wall: NaiveDateTime) -> DateTime<Utc> {
        fn pick<T: TimeZone>(
            r: LocalResult<DateTime<T>>,
            tz: &T,
            wall: NaiveDateTime,
        ) -> DateTime<Utc> {
            match r {
                LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => t.with_timezone(&Utc),
                // In a spring-forward gap: the first instant after it.
                LocalResult::None => tz
                    .from_local_datetime(&(wall + Duration::hours(1)))
                    .earliest()
                    .map_or_else(|| Utc.from_utc_datetime(&wall), |t| t.with_timezone(&Utc)),
            }
        }
        match self {
            Zone::Local => pick(
                chrono::Local.from_local_datetime(&wall),
                &chrono::Local,
                wall,
            ),
            Zone::Named(tz) => pick(tz.from_local_datetime(&wall), tz, wall),
        }
    }

    /// An instant as this zone's wall clock, with the zone's offset at that instant.
    pub fn in_zone(&self, instant: DateTime<Utc>) -> DateTime<chrono::FixedOffset> {
        match self {
            Zone::Local => instant.with_timezone(&chrono::Local).fixed_offset(),
            Zone::Named(tz) => instant.with_timezone(tz).fixed_offset(),
        }
    }

    /// Today's date in this zone.
    pub fn today(&self, now: DateTime<Utc>) -> NaiveDate {
        match self {
            Zone::Local => now.with_timezone(&chrono::Local).date_naive(),
            Zone::Named(tz) => now.with_timezone(tz).date_naive(),
        }
    }
}

fn midnight(date: NaiveDate) -> NaiveDateTime {
    date.and_time(NaiveTime::MIN)
}

/// Parse a time bound: RFC 3339, `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM[:SS]`, `YYYY-MM-DD HH:MM[:SS]`,
/// `today`, `yesterday`, `now`, or relative to now: `-24h`, `-7d`, `-30m`, `-2w`, `-90s`.
pub fn parse_bound(
    text: &str,
    zone: Zone,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>, WindowError> {
    let text = text.trim();
    match text {
        "now" => return Ok(now),
        "today" => return Ok(zone.to_utc(midnight(zone.today(now)))),
        "yesterday" => return Ok(zone.to_utc(midnight(zone.today(now) - Duration::days(1)))),
        "tomorrow" => return Ok(zone.to_utc(midnight(zone.today(now) + Duration::days(1)))),
        _ => {}
    }
    static RELATIVE: OnceLock<Regex> = OnceLock::new();
    let relative =
        RELATIVE.get_or_init(|| Regex::new(r"^-(\d{1,9})([smhdw])$").expect("valid regex"));
    if let Some(caps) = relative.captures(text) {
        let n: i64 = caps[1].parse().map_err(|source| WindowError::BadNumber {
            text: text.to_string(),
            source,
        })?;
        let unit = match &caps[2] {
            "s" => Duration::seconds(n),
            "m" => Duration::minutes(n),
            "h" => Duration::hours(n),
            "d" => Duration::days(n),
            _ => Duration::weeks(n),
        };
        return Ok(now - unit);
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    if let Ok(d) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Ok(zone.to_utc(midnight(d)));
    }
    for format in [
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(text, format) {
            return Ok(zone.to_utc(t));
        }
    }
    Err(WindowError::BadTime {
        text: text.to_string(),
    })
}

/// A day: `YYYY-MM-DD`, `today` or `yesterday`, as the half-open window of that day.
pub fn parse_day(
    text: &str,
    zone: Zone,
    now: DateTime<Utc>,
) -> Result<(DateTime<Utc>, DateTime<Utc>), WindowError> {
    let date = match text.trim() {
        "today" => zone.today(now),
        "yesterday" => zone.today(now) - Duration::days(1),
        other => {
            NaiveDate::parse_from_str(other, "%Y-%m-%d").map_err(|source| WindowError::BadDay {
                text: other.to_string(),
                source,
            })?
        }
    };
    Ok((
        zone.to_utc(midnight(date)),
        zone.to_utc(midnight(date + Duration::days(1))),
    ))
}

/// A half-open window `[since, until)` of instants.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Window {
    /// First instant included.
    pub since: Option<DateTime<Utc>>,
    /// First instant excluded.
    pub until: Option<DateTime<Utc>>,
    /// The zone of stamps without an offset.
    pub zone: Zone,
    /// Keep only the lines of this syslog host (`--host`); the others count as outside.
    pub host: Option<&'static [u8]>,
}

impl Window {
    /// Whether a line of this stamp and host is counted: in the time window, and of the
    /// host asked for, if any (lines without a host field then do not count).
    #[inline]
    pub fn keeps(&self, stamp: Option<&Stamp>, host: &[u8]) -> bool {
        self.host.is_none_or(|h| h == host) && self.contains(stamp)
    }

    /// Whether the window limits anything.
    pub fn is_open(&self) -> bool {
        self.since.is_none() && self.until.is_none()
    }

    /// Whether a line's stamp falls in the window. Without a window every line counts;
    /// with one, lines without a stamp do not.
    pub fn contains(&self, stamp: Option<&Stamp>) -> bool {
        if self.is_open() {
            return true;
        }
        let Some(stamp) = stamp else { return false };
        let at = match stamp.offset {
            Some(offset) => {
                Utc.from_utc_datetime(&(stamp.naive() - Duration::seconds(i64::from(offset))))
            }
            None => self.zone.to_utc(stamp.naive()),
        };
        self.since.is_none_or(|s| at >= s) && self.until.is_none_or(|u| at < u)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn bounds_in_every_form() {
        let berlin = Zone::parse("Europe/Berlin").unwrap();
        let now = utc("2026-11-24T10:00:00Z");
        assert_eq!(
            parse_bound("2026-11-01", berlin, now).unwrap(),
            utc("2026-10-31T23:00:00Z")
        );
        assert_eq!(
            parse_bound("2026-11-01T06:30", berlin, now).unwrap(),
            utc("2026-11-01T05:30:00Z")
        );
        assert_eq!(
            parse_bound("2026-11-01 06:30:15", berlin, now).unwrap(),
            utc("2026-11-01T05:30:15Z")
        );
        assert_eq!(
            parse_bound("2026-11-01T06:30:00+00:00", berlin, now).unwrap(),
            utc("2026-11-01T06:30:00Z")
        );
        assert_eq!(
            parse_bound("today", berlin, now).unwrap(),
            utc("2026-11-23T23:00:00Z")
        );
        assert_eq!(
            parse_bound("yesterday", berlin, now).unwrap(),
            utc("2026-11-22T23:00:00Z")
        );
        assert_eq!(
            parse_bound("-24h", berlin, now).unwrap(),
            utc("2026-11-23T10:00:00Z")
        );
        assert_eq!(
            parse_bound("-7d", berlin, now).unwrap(),
            utc("2026-11-17T10:00:00Z")
        );
        assert!(parse_bound("last tuesday", berlin, now).is_err());
        assert!(Zone::parse("Mars/Olympus").is_err());
    }

    #[test]
    fn window_is_half_open_and_honours_offsets() {
        let utc_zone = Zone::parse("UTC").unwrap();
        let now = utc("2026-11-24T10:00:00Z");
        let (since, until) = parse_day("2026-11-24", utc_zone, now).unwrap();
        let w = Window {
            since: Some(since),
            until: Some(until),
            zone: utc_zone,
            host: None,
        };
        let stamp = |d: &str, secs: u32, offset: Option<i32>| Stamp {
            date: d.parse().unwrap(),
            secs,
            offset,
        };
        assert!(w.contains(Some(&stamp("2026-11-24", 0, None))));
        assert!(w.contains(Some(&stamp("2026-11-24", 86_399, None))));
        assert!(!w.contains(Some(&stamp("2026-11-25", 0, None))));
        assert!(!w.contains(Some(&stamp("2026-11-23", 86_399, None))));
        // 00:30 at +01:00 is 23:30 the day before in UTC.
        assert!(!w.contains(Some(&stamp("2026-11-24", 1800, Some(3600)))));
        assert!(!w.contains(None));
        assert!(Window::default().contains(None));
    }

    #[test]
    fn errors_keep_their_words_and_sources() {
        use std::error::Error as _;
        let now = utc("2026-11-24T10:00:00Z");
        let err = Zone::parse("Mars/Olympus").unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown time zone \"Mars/Olympus\" (use an IANA name such as Europe/Berlin, or UTC)"
        );
        assert!(err.source().is_some());
        let err = parse_bound(" last tuesday ", Zone::Local, now).unwrap_err();
        assert!(matches!(&err, WindowError::BadTime { text } if text == "last tuesday"));
        assert!(err
            .to_string()
            .starts_with("cannot read the time \"last tuesday\": use "));
        let err = parse_day("2026-13-01", Zone::Local, now).unwrap_err();
        assert_eq!(
            err.to_string(),
            "cannot read the day \"2026-13-01\": use 2026-11-03, today or yesterday"
        );
        assert!(err.source().is_some());
    }
}
