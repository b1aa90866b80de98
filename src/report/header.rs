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
    let counted = [
        (
            l.outside_window,
            "lines were outside the time window and not counted",
        ),
        (
            l.unrecognised,
            "Postfix/Exim lines were not understood (--show-unrecognised lists examples)",
        ),
        (l.overlong, "overlong lines were skipped"),
        (l.malformed, "journal entries were not well-formed"),
        (
            l.bad_stamps,
            "lines have a date that does not exist (Feb 29 of a common year) and count without one",
        ),
    ];
    for (count, what) in counted {
        if count > 0 {
            out.push(format!("{count} {what}"));
        }
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

/// Which kinds of keys were too many to list, and where their counts went: one sentence
/// (without a full stop) per limit reached, for the full text report and the HTML header.
pub fn limit_notices(report: &Report) -> Vec<String> {
    use crate::limits::{
        MAX_DAYS, MAX_FACTS, MAX_OTHER_CODES, MAX_OTHER_DAEMONS, OTHER_DAEMONS, OTHER_DAY_TEXT,
    };
    let l = &report.limits;
    // Why: the limit of the kind itself, or too many combinations in the facts (levels 1, 2).
    let why = |kinds: String, level: u8| {
        if l.facts_level >= level {
            format!("{kinds}, or more than {MAX_FACTS} combinations of day, hour and codes")
        } else {
            kinds
        }
    };
    let mut out = Vec::new();
    if l.enhanced_codes {
        let why = why(format!("more than {MAX_OTHER_CODES} of them"), 1);
        out.push(format!(
            "Limit: enhanced codes outside the catalogue are counted as 2.*.*, 4.*.* and 5.*.* ({why})"
        ));
    }
    if l.days {
        let why = why(format!("more than {MAX_DAYS} different days"), 2);
        out.push(format!(
            "Limit: every day is counted as \"{OTHER_DAY_TEXT}\" ({why})"
        ));
    }
    if l.facts_level >= 3 {
        let left_out = if l.facts_level == 3 {
            "hours (per-hour events, --by hour)"
        } else {
            "hours, enhanced codes and dsn values"
        };
        out.push(format!(
            "Limit: more than {MAX_FACTS} combinations of day, hour and codes; the counts leave out {left_out}"
        ));
    }
    if l.daemons {
        out.push(format!(
            "Limit: daemon names besides Postfix's own are counted as {OTHER_DAEMONS} (more than {MAX_OTHER_DAEMONS} of them)"
        ));
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

    fn capped(limits: super::super::LimitsOut) -> Report {
        let mut report = Report::empty();
        report.limits = limits;
        report
    }

    #[test]
    fn each_limit_reached_is_one_notice_saying_why() {
        use super::super::LimitsOut;
        assert!(limit_notices(&capped(LimitsOut::default())).is_empty());
        let all = LimitsOut {
            enhanced_codes: true,
            days: true,
            daemons: true,
            facts_level: 4,
        };
        let facts = "more than 200000 combinations of day, hour and codes";
        assert_eq!(
            limit_notices(&capped(all)),
            [
                format!("Limit: enhanced codes outside the catalogue are counted as 2.*.*, 4.*.* and 5.*.* (more than 1000 of them, or {facts})"),
                format!("Limit: every day is counted as \"all days\" (more than 3660 different days, or {facts})"),
                format!("Limit: {facts}; the counts leave out hours, enhanced codes and dsn values"),
                "Limit: daemon names besides Postfix's own are counted as (other daemons) (more than 100 of them)".to_string(),
            ]
        );
        // Level 1 explains the codes only; level 3 leaves out the hours only.
        let some = limit_notices(&capped(LimitsOut {
            enhanced_codes: true,
            days: true,
            facts_level: 1,
            ..LimitsOut::default()
        }));
        assert!(some[0].ends_with(&format!("(more than 1000 of them, or {facts})")));
        assert!(some[1].ends_with("(more than 3660 different days)"));
        let hours = limit_notices(&capped(LimitsOut {
            facts_level: 3,
            ..LimitsOut::default()
        }));
        assert_eq!(
            hours,
            [format!(
                "Limit: {facts}; the counts leave out hours (per-hour events, --by hour)"
            )]
        );
        // The header itself only says that tables were capped (--full says how).
        let notes = notices(&capped(all));
        assert_eq!(
            notes
                .iter()
                .filter(|n| n.starts_with("some tables were capped"))
                .count(),
            1
        );
        assert!(!notes.iter().any(|n| n.starts_with("Limit:")));
    }
}
