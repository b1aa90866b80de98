//! The facts a report's header states: what was read, the time span it covered, and what
//! the reader should distrust. Plain data for the text and HTML reports.

use super::parties::Accuracy;
use super::{LinesOut, Report};
use serde::{Deserialize, Serialize};

/// Where a report's lines came from, set by the command that read them (empty for a
/// report made by `merge`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sources {
    /// The inputs, in the order read.
    #[serde(default)]
    pub inputs: Vec<SourceOut>,
    /// The window's first instant (`--since`, `--day`), RFC 3339 in the `--tz` zone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
    /// The window's first instant left out (`--until`, `--day`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
}

impl Sources {
    /// Whether nothing is known of the sources.
    pub fn is_empty(&self) -> bool {
        self.inputs.is_empty() && self.since.is_none() && self.until.is_none()
    }
}

impl Sources {
    /// The sources of a scan: each input with its lines and error, and the window.
    pub fn of_scan(
        files: &[crate::scan::FileStats],
        errors: &[crate::input::InputError],
        window: &crate::window::Window,
    ) -> Sources {
        let mut inputs: Vec<SourceOut> = files
            .iter()
            .map(|f| SourceOut {
                name: f.name.clone(),
                lines: f.lines,
                error: None,
            })
            .collect();
        for e in errors {
            match inputs.iter_mut().find(|i| i.name == e.name) {
                Some(input) => input.error = Some(e.reason.clone()),
                None => inputs.push(SourceOut {
                    name: e.name.clone(),
                    lines: 0,
                    error: Some(e.reason.clone()),
                }),
            }
        }
        let when = |t: Option<chrono::DateTime<chrono::Utc>>| {
            t.map(|t| {
                window
                    .zone
                    .in_zone(t)
                    .format("%Y-%m-%d %H:%M:%S %:z")
                    .to_string()
            })
        };
        Sources {
            inputs,
            since: when(window.since),
            until: when(window.until),
        }
    }
}

/// One input.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceOut {
    /// Its display name (escaped).
    pub name: String,
    /// Lines counted from it.
    pub lines: u64,
    /// Why it could not be read (or only partly), if so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Everything the header says.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Header {
    /// The inputs (escaped names).
    pub inputs: Vec<SourceOut>,
    /// The first and last stamps seen, `2026-11-24 12:05:23` as the log wrote them.
    pub first_seen: Option<String>,
    /// See `first_seen`.
    pub last_seen: Option<String>,
    /// The window asked for.
    pub since: Option<String>,
    /// See `since`.
    pub until: Option<String>,
    /// Lines by kind.
    pub lines: LinesOut,
    /// One sentence each about what the reader should distrust or know.
    pub notices: Vec<String>,
}

/// The header of a report.
pub fn header(report: &Report) -> Header {
    Header {
        inputs: report.sources.inputs.clone(),
        first_seen: report.first_seen.clone(),
        last_seen: report.last_seen.clone(),
        since: report.sources.since.clone(),
        until: report.sources.until.clone(),
        lines: report.lines.clone(),
        notices: notices(report),
    }
}

/// What the reader should distrust: unreadable input, lines left out, capped tables,
/// estimated counts.
pub fn notices(report: &Report) -> Vec<String> {
    let mut out = Vec::new();
    for input in &report.sources.inputs {
        if let Some(error) = &input.error {
            out.push(format!(
                "{} could not be read to its end ({error}): its counts are missing or partial",
                input.name
            ));
        }
    }
    let l = &report.lines;
    if l.outside_window > 0 {
        out.push(format!(
            "{} lines were outside the time window and not counted",
            l.outside_window
        ));
    }
    if l.unrecognised > 0 {
        out.push(format!(
            "{} Postfix/Exim lines were not understood (--show-unrecognised lists examples)",
            l.unrecognised
        ));
    }
    if l.overlong > 0 {
        out.push(format!("{} overlong lines were skipped", l.overlong));
    }
    if l.malformed > 0 {
        out.push(format!(
            "{} journal entries were not well-formed",
            l.malformed
        ));
    }
    if l.bad_stamps > 0 {
        out.push(format!(
            "{} lines have a date that does not exist (Feb 29 of a common year) and count without one",
            l.bad_stamps
        ));
    }
    if report.messages_accuracy != Accuracy::Exact {
        out.push(
            "message totals are estimated (~): more message ids were in flight than are kept"
                .to_string(),
        );
    }
    if report.limits.any() {
        out.push(
            "some tables were capped: too many different codes, days or daemons to list each (--full shows where)"
                .to_string(),
        );
    }
    if report.parties.accuracies().contains(&Accuracy::Estimated) {
        out.push(
            "sender and recipient tables hold a sample: more keys than --max-distinct".to_string(),
        );
    }
    out
}

/// A stamp scalar ([`crate::stamp::Stamp::scalar`]) as reports write it.
pub fn stamp_text(scalar: i64) -> String {
    let days = scalar.div_euclid(86_400);
    let secs = scalar.rem_euclid(86_400);
    match i32::try_from(days)
        .ok()
        .and_then(chrono::NaiveDate::from_num_days_from_ce_opt)
    {
        Some(date) => format!(
            "{date} {:02}:{:02}:{:02}",
            secs / 3600,
            (secs / 60) % 60,
            secs % 60
        ),
        None => scalar.to_string(),
    }
}

/// The scalar of a stamp as [`stamp_text`] writes it, for `merge`.
pub fn stamp_scalar(text: &str) -> Option<i64> {
    let t = chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").ok()?;
    use chrono::{Datelike, Timelike};
    Some(i64::from(t.date().num_days_from_ce()) * 86_400 + i64::from(t.num_seconds_from_midnight()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_round_trip() {
        for text in [
            "2026-11-24 00:00:00",
            "2026-11-24 12:05:23",
            "1970-01-01 23:59:59",
        ] {
            assert_eq!(stamp_text(stamp_scalar(text).unwrap()), text);
        }
        assert_eq!(stamp_scalar("not a time"), None);
    }
}
