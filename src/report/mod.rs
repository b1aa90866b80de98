//! Reports: plain data made from a [`Summary`], and one module per output format.
//!
//! Nothing here counts; nothing in the counting prints.

pub mod attention;
pub mod baseline;
pub mod blocklists;
pub mod brief;
pub mod csv;
pub mod header;
pub mod html;
pub mod json;
pub mod parties;
pub mod prom;
pub mod providers;
pub mod sources;
pub mod svg;
pub mod text;

use crate::catalogue::catalogue;
use crate::code::{Class, EnhancedCode, ReplyCode};
use crate::count::{Fact, Summary};
use crate::parse::{Counter, Event, Mta};
use crate::sanitize::escape_bytes;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Lines a message id may stay silent before it is forgotten: the text report states it.
pub use crate::count::MAX_SILENT_LINES;

/// Version of the JSON layout; bumped on incompatible changes.
pub const SCHEMA_VERSION: u32 = 1;

/// Line totals as reported.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinesOut {
    /// All lines read (inside the time window).
    pub total: u64,
    /// Postfix/Exim lines of a known shape.
    pub mail: u64,
    /// Lines of other programs, or without a header (including overlong lines).
    pub other: u64,
    /// Postfix/Exim lines of an unknown shape.
    pub unrecognised: u64,
    /// Lines over the length limit (part of `other`).
    #[serde(default)]
    pub overlong: u64,
    /// Journal entries that were not well-formed (part of `other`).
    #[serde(default)]
    pub malformed: u64,
    /// Lines skipped because they fell outside `--since`/`--until` (not in `total`).
    #[serde(default)]
    pub outside_window: u64,
    /// Verbose/debug trace lines (part of `mail`).
    #[serde(default)]
    pub debug: u64,
    /// Lines whose syslog stamp names a date that does not exist (`Feb 29` of a common year).
    #[serde(default)]
    pub bad_stamps: u64,
}

/// Counts per reply class.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClassCounts {
    /// 2xx replies.
    #[serde(rename = "2xx")]
    pub c2: u64,
    /// 3xx replies.
    #[serde(rename = "3xx")]
    pub c3: u64,
    /// 4xx replies.
    #[serde(rename = "4xx")]
    pub c4: u64,
    /// 5xx replies.
    #[serde(rename = "5xx")]
    pub c5: u64,
}

impl ClassCounts {
    fn add(&mut self, class: Class, n: u64) {
        *self.get_mut(class) += n;
    }

    fn get_mut(&mut self, class: Class) -> &mut u64 {
        match class {
            Class::Positive => &mut self.c2,
            Class::Intermediate => &mut self.c3,
            Class::Transient => &mut self.c4,
            Class::Permanent => &mut self.c5,
        }
    }

    /// The count for a class.
    pub fn get(&self, class: Class) -> u64 {
        match class {
            Class::Positive => self.c2,
            Class::Intermediate => self.c3,
            Class::Transient => self.c4,
            Class::Permanent => self.c5,
        }
    }
}

/// Counts per event, in a fixed order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventCounts {
    /// Delivered.
    pub delivered: u64,
    /// Deferred.
    pub deferred: u64,
    /// Bounced.
    pub bounced: u64,
    /// Expired.
    pub expired: u64,
    /// Rejected.
    pub rejected: u64,
    /// Reject warnings.
    pub reject_warning: u64,
    /// Held.
    #[serde(default)]
    pub held: u64,
    /// Discarded.
    #[serde(default)]
    pub discarded: u64,
    /// Handed to a content filter (not counted as delivered).
    #[serde(default)]
    pub filtered: u64,
}

impl EventCounts {
    fn slot(&mut self, event: Event) -> &mut u64 {
        match event {
            Event::Delivered => &mut self.delivered,
            Event::Deferred => &mut self.deferred,
            Event::Bounced => &mut self.bounced,
            Event::Expired => &mut self.expired,
            Event::Rejected => &mut self.rejected,
            Event::RejectWarning => &mut self.reject_warning,
            Event::Held => &mut self.held,
            Event::Discarded => &mut self.discarded,
            Event::Filtered => &mut self.filtered,
        }
    }

    /// The count for an event.
    pub fn get(&self, event: Event) -> u64 {
        let mut copy = *self;
        *copy.slot(event)
    }
}

/// One row of the by-code table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CodeRow {
    /// `550`.
    pub code: String,
    /// `5xx`.
    pub class: String,
    /// Reply lines with this code.
    pub count: u64,
    /// Share of all replies, in percent.
    pub share: f64,
    /// Catalogue title.
    pub title: String,
    /// Catalogue one-line advice.
    pub advice: String,
}

/// One row of the enhanced-code table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EnhancedRow {
    /// `5.1.1`.
    pub code: String,
    /// Lines with it.
    pub count: u64,
    /// Catalogue title.
    pub title: String,
    /// Catalogue one-line advice.
    pub advice: String,
}

/// One row of the dsn table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DsnRow {
    /// `4.4.1`.
    pub dsn: String,
    /// Status lines with it.
    pub count: u64,
}

/// Event lines that carried no reply code.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct NoCode {
    /// All of them.
    pub total: u64,
    /// By event (only events that occur).
    pub by_event: BTreeMap<String, u64>,
    /// By dsn or bare enhanced code (`none` when the line had neither).
    pub by_dsn: BTreeMap<String, u64>,
}

/// One day's counts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DayRow {
    /// `2026-11-24`.
    pub day: String,
    /// Lines with that date.
    pub lines: u64,
    /// Reply lines.
    pub replies: u64,
    /// Replies by class.
    pub by_class: ClassCounts,
    /// Events.
    pub by_event: EventCounts,
    /// Messages received.
    #[serde(default)]
    pub received: u64,
}

/// One problem: an event's reply code, enhanced code and normalised reason.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProblemRow {
    /// The event, or none for a reply line without one (an AUTH failure, say).
    pub event: Option<Event>,
    /// The reply code, if any.
    pub code: Option<u16>,
    /// The enhanced code of the reply, or the dsn of a line without a reply code.
    pub enhanced: Option<String>,
    /// For rejections: the stage that refused (`CONNECT`, `HELO`, `MAIL`, `RCPT`, `DATA`,
    /// `END-OF-MESSAGE`, `header`, `body`, ...).
    #[serde(default)]
    pub stage: Option<String>,
    /// The reply text with addresses, hosts, numbers and ids masked.
    pub reason: String,
    /// Lines.
    pub count: u64,
    /// The group had too many different texts; this row is their total.
    #[serde(default)]
    pub collapsed: bool,
    /// The catalogue's advice (enhanced code first, then the reply code).
    pub advice: String,
    /// The first recipients or clients it concerned.
    pub examples: Vec<String>,
    /// The provider or blocklist rule the reply matched, with its advice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<providers::ProviderAdvice>,
}

/// Delivery delay statistics (from a log-scale histogram: percentiles within 30%).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DelayStats {
    /// Deliveries with a delay.
    pub count: u64,
    /// Mean, ms.
    pub mean_ms: u64,
    /// Median (upper bound of its bucket), ms.
    pub p50_ms: u64,
    /// 90th percentile, ms.
    pub p90_ms: u64,
    /// 99th percentile, ms.
    pub p99_ms: u64,
    /// Longest, ms.
    pub max_ms: u64,
    /// The histogram: `[bucket, count]` pairs (bucket i holds up to 1.3^i ms), for `merge`.
    pub buckets: Vec<(usize, u64)>,
    /// Sum of all delays, ms (for `merge`).
    pub sum_ms: u64,
}

/// Warnings, errors, fatal errors and panics by program and normalised text, and the master
/// daemon's own messages.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiagnosticRow {
    /// MTA.
    pub mta: Mta,
    /// Daemon or program.
    pub program: String,
    /// info (master daemon messages), warning, error, fatal or panic.
    pub severity: crate::parse::Severity,
    /// Normalised text (as written, for master daemon messages).
    pub text: String,
    /// Lines.
    pub count: u64,
    /// The group had too many different texts; this row is their total.
    #[serde(default)]
    pub collapsed: bool,
}

/// Traffic in one hour of the day, summed over all days.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HourRow {
    /// 0..=23.
    pub hour: u8,
    /// Messages received.
    pub received: u64,
    /// Delivered.
    pub delivered: u64,
    /// Deferred.
    pub deferred: u64,
    /// Bounced.
    pub bounced: u64,
    /// Rejected.
    pub rejected: u64,
}

/// Messages received in one hour of one day (for `merge`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceivedRow {
    /// Date.
    pub day: String,
    /// Hour.
    pub hour: u8,
    /// Messages received.
    pub count: u64,
}

/// A fact as saved in JSON, so that `smtplog merge` can add reports up.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FactRow {
    /// Date.
    pub day: Option<String>,
    /// Hour.
    pub hour: Option<u8>,
    /// MTA.
    pub mta: Mta,
    /// Event.
    pub event: Option<Event>,
    /// Reply code.
    pub code: Option<u16>,
    /// Enhanced code.
    pub enhanced: Option<String>,
    /// dsn.
    pub dsn: Option<String>,
    /// Exim temporary rejection.
    #[serde(default)]
    pub temporary: bool,
    /// How many lines.
    pub count: u64,
}

/// A complete report, ready for any output format.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// JSON layout version.
    pub schema_version: u32,
    /// Line totals.
    pub lines: LinesOut,
    /// Distinct messages.
    pub messages: u64,
    /// Messages received.
    pub received: u64,
    /// Delivered lines that forwarded the message (part of `by_event.delivered`).
    #[serde(default)]
    pub forwarded: u64,
    /// Messages deferred at least once (`by_event.deferred` counts the attempts).
    #[serde(default)]
    pub deferred_messages: u64,
    /// Bytes of the messages received (Postfix qmgr `size=`, Exim `S=`).
    #[serde(default)]
    pub bytes_received: u64,
    /// How `messages`, `deferred_messages` and the bytes were counted: `estimated` when
    /// message ids were forgotten while their message was open (more in flight than the
    /// tracker keeps), so a message may be counted twice.
    #[serde(default)]
    pub messages_accuracy: parties::Accuracy,
    /// Bytes delivered: the message's size for every delivered line.
    #[serde(default)]
    pub bytes_delivered: u64,
    /// Reply lines.
    pub replies: u64,
    /// Replies by code, most frequent first.
    pub by_code: Vec<CodeRow>,
    /// Replies by class.
    pub by_class: ClassCounts,
    /// Enhanced codes of replies, most frequent first.
    pub by_enhanced: Vec<EnhancedRow>,
    /// Postfix `dsn=` values of status lines, most frequent first.
    pub by_dsn: Vec<DsnRow>,
    /// Event counts.
    pub by_event: EventCounts,
    /// Exim rejections that were temporary.
    pub rejected_temporary: u64,
    /// Events without a reply code.
    pub no_code: NoCode,
    /// Per-day counts.
    pub by_day: Vec<DayRow>,
    /// The first unrecognised lines, escaped.
    pub unrecognised_examples: Vec<String>,
    /// The counted facts, for `smtplog merge`.
    pub facts: Vec<FactRow>,
    /// Problems, most frequent first.
    #[serde(default)]
    pub problems: Vec<ProblemRow>,
    /// Problems summed per provider or blocklist (derived from `problems`).
    #[serde(default)]
    pub providers: Vec<providers::ProviderRow>,
    /// Warnings, errors, fatal errors and panics, most frequent first.
    #[serde(default)]
    pub diagnostics: Vec<DiagnosticRow>,
    /// Connection counters (smtpd, postscreen, Exim).
    #[serde(default)]
    pub connections: BTreeMap<String, u64>,
    /// postscreen DNSBL ranks and dnsblog listings.
    #[serde(default)]
    pub blocklists: blocklists::BlocklistsOut,
    /// Delivery delays.
    #[serde(default)]
    pub delays: Option<DelayStats>,
    /// Traffic per hour of the day, summed over the days.
    #[serde(default)]
    pub by_hour: Vec<HourRow>,
    /// Messages received per day and hour (for `merge`).
    #[serde(default)]
    pub received_by_hour: Vec<ReceivedRow>,
    /// Traffic per sender, sending host, recipient and domain.
    #[serde(default)]
    pub parties: parties::PartiesOut,
    /// Lines per syslog host (`-`: lines without one, such as Exim's own main log).
    #[serde(default)]
    pub hosts: sources::SourcesOut,
    /// Postfix and Exim lines per instance, the syslog tag before its `/` (`postfix-out`).
    #[serde(default)]
    pub instances: sources::SourcesOut,
    /// Which kinds of keys were too many to list by name (see [`crate::limits`]).
    #[serde(default)]
    pub limits: LimitsOut,
    /// The `--by` breakdown, when one was asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub breakdown: Option<Breakdown>,
    /// The earliest line stamp counted, `2026-11-24 12:05:23` as the log wrote it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_seen: Option<String>,
    /// The latest line stamp counted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_seen: Option<String>,
    /// The inputs read and the window asked for (set by the command that read them). Not
    /// saved: a report's counts, not where they came from, are what JSON compares and merges.
    #[serde(skip)]
    pub sources: header::Sources,
}

/// The title of the `5.*.*` rows.
pub const OTHER_CODES_TITLE: &str = "(codes outside the catalogue: too many different to list)";

/// A day as reports write it: `2026-11-24`, or [`crate::limits::OTHER_DAY_TEXT`].
pub fn day_text(day: NaiveDate) -> String {
    if day == crate::limits::OTHER_DAY {
        crate::limits::OTHER_DAY_TEXT.to_string()
    } else {
        day.to_string()
    }
}

/// Which kinds of keys were too many to list by name: their counts are then under one
/// key each (`5.*.*`, `all days`, `(other daemons)`), and only the totals are exact.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LimitsOut {
    /// More than [`crate::limits::MAX_OTHER_CODES`] enhanced codes outside the catalogue:
    /// those count as `2.*.*`, `4.*.*` and `5.*.*`.
    #[serde(default)]
    pub enhanced_codes: bool,
    /// More than [`crate::limits::MAX_DAYS`] days: every day counts as `all days`.
    #[serde(default)]
    pub days: bool,
    /// More than [`crate::limits::MAX_OTHER_DAEMONS`] daemon names besides Postfix's own:
    /// those count as `(other daemons)` in the diagnostics.
    #[serde(default)]
    pub daemons: bool,
    /// More than [`crate::limits::MAX_FACTS`] different facts: 1, codes outside the
    /// catalogue collapsed (as `enhanced_codes`); 2, days too (as `days`); 3, the facts leave
    /// out the hour too (per-hour events, `--by hour`); 4, the enhanced code and dsn too.
    /// 0: nothing left out.
    #[serde(default)]
    pub facts_level: u8,
}

impl LimitsOut {
    fn new(reached: crate::limits::Reached, facts_level: u8) -> LimitsOut {
        LimitsOut {
            enhanced_codes: reached.codes,
            days: reached.days,
            daemons: reached.daemons,
            facts_level,
        }
    }

    /// Whether any limit was reached.
    pub fn any(&self) -> bool {
        self.enhanced_codes || self.days || self.daemons || self.facts_level > 0
    }
}

/// A `--by` breakdown: the dimensions and one row per group.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Breakdown {
    /// Dimension names, in order.
    pub by: Vec<String>,
    /// Rows, sorted by key.
    pub rows: Vec<GroupRow>,
}

impl Report {
    /// Attach the breakdown by `dims`.
    pub fn with_breakdown(mut self, dims: &[Dimension]) -> Report {
        self.breakdown = Some(Breakdown {
            by: dims.iter().map(|d| d.name().to_string()).collect(),
            rows: group(&self, dims),
        });
        self
    }
}

fn sort_rows<T>(rows: &mut [T], key: impl Fn(&T) -> (u64, String)) {
    rows.sort_by(|a, b| {
        let (ca, ka) = key(a);
        let (cb, kb) = key(b);
        cb.cmp(&ca).then(ka.cmp(&kb))
    });
}

/// Percent with one decimal, 0 when the total is 0.
pub fn percent(part: u64, total: u64) -> f64 {
    if total == 0 {
        0.0
    } else {
        (part as f64 * 1000.0 / total as f64).round() / 10.0
    }
}

impl Report {
    /// The report of nothing read, for the printers' unit tests (which must not name the
    /// counting types).
    #[cfg(test)]
    pub(crate) fn empty() -> Report {
        Report::new(&Summary::new())
    }

    /// `~` before the message totals (messages, bytes, deferred messages) when the
    /// tracker could not keep them exact, else nothing.
    pub fn messages_approx(&self) -> &'static str {
        if self.messages_accuracy == parties::Accuracy::Exact {
            ""
        } else {
            "~"
        }
    }

    /// How many days the per-hour counts sum over: `None` past [`crate::limits::MAX_DAYS`]
    /// (every day is then one row, so their number is not known), else at least 1.
    pub fn days_counted(&self) -> Option<u64> {
        if self.limits.days {
            None
        } else {
            Some(self.by_day.len().max(1) as u64)
        }
    }

    /// Build the report of a summary.
    pub fn new(summary: &Summary) -> Report {
        let cat = catalogue();
        let totals = summary.message_totals();
        let mut by_code: BTreeMap<ReplyCode, u64> = BTreeMap::new();
        let mut by_enhanced: BTreeMap<EnhancedCode, u64> = BTreeMap::new();
        let mut by_dsn: BTreeMap<EnhancedCode, u64> = BTreeMap::new();
        let mut by_class = ClassCounts::default();
        let mut by_event = EventCounts::default();
        let mut no_code = NoCode::default();
        let mut days: BTreeMap<NaiveDate, DayRow> = BTreeMap::new();
        let mut rejected_temporary = 0;
        let mut replies = 0;
        let day_row = |day: NaiveDate| DayRow {
            day: day_text(day),
            lines: 0,
            replies: 0,
            by_class: ClassCounts::default(),
            by_event: EventCounts::default(),
            received: 0,
        };
        let mut hours: Vec<HourRow> = (0..24)
            .map(|hour| HourRow {
                hour,
                ..HourRow::default()
            })
            .collect();
        let mut received: Vec<_> = summary.received_by_hour.iter().collect();
        received.sort();
        for ((day, hour), n) in received {
            days.entry(*day).or_insert_with(|| day_row(*day)).received += n;
            hours[usize::from(*hour).min(23)].received += n;
        }
        for (day, lines) in &summary.lines_by_day {
            days.entry(*day).or_insert_with(|| day_row(*day)).lines += lines;
        }
        let mut facts: Vec<(&Fact, &u64)> = summary.facts.iter().collect();
        facts.sort();
        for (fact, &n) in &facts {
            let mut day = fact
                .day
                .map(|d| days.entry(d).or_insert_with(|| day_row(d)));
            if let Some(code) = fact.code {
                replies += n;
                *by_code.entry(code).or_insert(0) += n;
                by_class.add(code.class(), n);
                if let Some(enhanced) = fact.enhanced {
                    *by_enhanced.entry(enhanced).or_insert(0) += n;
                }
                if let Some(day) = day.as_mut() {
                    day.replies += n;
                    day.by_class.add(code.class(), n);
                }
            }
            if let Some(dsn) = fact.dsn {
                *by_dsn.entry(dsn).or_insert(0) += n;
            }
            if let Some(event) = fact.event {
                *by_event.slot(event) += n;
                if let Some(hour) = fact.hour {
                    let row = &mut hours[usize::from(hour).min(23)];
                    match event {
                        Event::Delivered => row.delivered += n,
                        Event::Deferred => row.deferred += n,
                        Event::Bounced => row.bounced += n,
                        Event::Rejected => row.rejected += n,
                        _ => {}
                    }
                }
                if let Some(day) = day.as_mut() {
                    *day.by_event.slot(event) += n;
                }
                if event == Event::Rejected && fact.temporary {
                    rejected_temporary += n;
                }
                // A reject_warning's code was never sent, so it is not an event "without a code".
                if fact.code.is_none() && event != Event::RejectWarning {
                    no_code.total += n;
                    *no_code
                        .by_event
                        .entry(event.name().to_string())
                        .or_insert(0) += n;
                    let dsn = fact
                        .dsn
                        .map_or_else(|| "none".to_string(), |d| d.to_string());
                    *no_code.by_dsn.entry(dsn).or_insert(0) += n;
                }
            }
        }
        let mut code_rows: Vec<CodeRow> = by_code
            .into_iter()
            .map(|(code, count)| {
                let entry = cat.reply(code);
                CodeRow {
                    code: code.to_string(),
                    class: code.class().label().to_string(),
                    count,
                    share: percent(count, replies),
                    title: entry
                        .map_or_else(|| "(not in the catalogue)".to_string(), |e| e.title.clone()),
                    advice: entry.map_or_else(String::new, |e| e.advice.clone()),
                }
            })
            .collect();
        sort_rows(&mut code_rows, |r| (r.count, r.code.clone()));
        let mut enhanced_rows: Vec<EnhancedRow> = by_enhanced
            .into_iter()
            .map(|(code, count)| {
                let entry = cat.enhanced(code);
                EnhancedRow {
                    code: code.to_string(),
                    count,
                    title: match entry {
                        _ if code.is_other() => OTHER_CODES_TITLE.to_string(),
                        Some(e) => e.title.clone(),
                        None => "(not in the catalogue)".to_string(),
                    },
                    advice: entry.map_or_else(String::new, |e| e.advice.clone()),
                }
            })
            .collect();
        sort_rows(&mut enhanced_rows, |r| (r.count, r.code.clone()));
        let mut dsn_rows: Vec<DsnRow> = by_dsn
            .into_iter()
            .map(|(dsn, count)| DsnRow {
                dsn: dsn.to_string(),
                count,
            })
            .collect();
        sort_rows(&mut dsn_rows, |r| (r.count, r.dsn.clone()));
        let problems = problem_rows(summary);
        Report {
            schema_version: SCHEMA_VERSION,
            lines: LinesOut {
                total: summary.lines.total,
                mail: summary.lines.mail,
                other: summary.lines.other,
                unrecognised: summary.lines.unrecognised,
                overlong: summary.overlong_lines,
                malformed: summary.malformed_entries,
                debug: summary.lines.debug,
                bad_stamps: summary.lines.bad_stamps,
                outside_window: summary.outside_window,
            },
            messages: totals.messages,
            received: summary.received,
            forwarded: summary.forwarded,
            deferred_messages: totals.deferred_messages,
            bytes_received: totals.bytes_received,
            bytes_delivered: totals.bytes_delivered,
            messages_accuracy: if totals.approximate {
                parties::Accuracy::Estimated
            } else {
                parties::Accuracy::Exact
            },
            replies,
            by_code: code_rows,
            by_class,
            by_enhanced: enhanced_rows,
            by_dsn: dsn_rows,
            by_event,
            rejected_temporary,
            no_code,
            by_day: days.into_values().collect(),
            unrecognised_examples: summary
                .unrecognised_samples
                .iter()
                .map(|l| escape_bytes(l))
                .collect(),
            facts: facts
                .into_iter()
                .map(|(f, &count)| FactRow {
                    day: f.day.map(day_text),
                    hour: f.hour,
                    mta: f.mta,
                    event: f.event,
                    code: f.code.map(ReplyCode::value),
                    enhanced: f.enhanced.map(|e| e.to_string()),
                    dsn: f.dsn.map(|e| e.to_string()),
                    temporary: f.temporary,
                    count,
                })
                .collect(),
            providers: providers::by_provider(&problems),
            problems,
            diagnostics: diagnostic_rows(summary),
            connections: Counter::ALL
                .iter()
                .zip(summary.counters)
                .filter(|(_, n)| *n > 0)
                .map(|(c, n)| (c.name().to_string(), n))
                .collect(),
            blocklists: blocklists::BlocklistsOut::new(&summary.blocklists),
            delays: delay_stats(&summary.delays),
            by_hour: if hours.iter().all(|h| {
                *h == HourRow {
                    hour: h.hour,
                    ..HourRow::default()
                }
            }) {
                Vec::new()
            } else {
                hours
            },
            received_by_hour: {
                let mut rows: Vec<_> = summary.received_by_hour.iter().collect();
                rows.sort();
                rows
            }
            .into_iter()
            .map(|((day, hour), count)| ReceivedRow {
                day: day_text(*day),
                hour: *hour,
                count: *count,
            })
            .collect(),
            parties: parties::PartiesOut::new(&summary.parties),
            hosts: sources::SourcesOut::new(&summary.host_table()),
            instances: sources::SourcesOut::new(&summary.instance_table()),
            limits: LimitsOut::new(summary.limits_reached(), summary.fact_level()),
            breakdown: None,
            first_seen: summary.seen().map(|(first, _)| header::stamp_text(first)),
            last_seen: summary.seen().map(|(_, last)| header::stamp_text(last)),
            sources: header::Sources::default(),
        }
    }
}

fn delay_stats(h: &crate::count::delays::DelayHistogram) -> Option<DelayStats> {
    (h.count > 0).then(|| DelayStats {
        count: h.count,
        mean_ms: h.sum_ms / h.count,
        p50_ms: h.percentile_ms(50).unwrap_or(0),
        p90_ms: h.percentile_ms(90).unwrap_or(0),
        p99_ms: h.percentile_ms(99).unwrap_or(0),
        max_ms: h.max_ms,
        buckets: h
            .buckets
            .iter()
            .enumerate()
            .filter(|(_, n)| **n > 0)
            .map(|(i, n)| (i, *n))
            .collect(),
        sum_ms: h.sum_ms,
    })
}

fn diagnostic_rows(summary: &Summary) -> Vec<DiagnosticRow> {
    let mut rows = Vec::new();
    for (key, group) in &summary.diagnostics.groups {
        let row = |text: String, count: u64, collapsed: bool| DiagnosticRow {
            mta: key.mta,
            program: key.program.clone(),
            severity: key.severity,
            text,
            count,
            collapsed,
        };
        if let Some(total) = &group.capped {
            rows.push(row(
                crate::count::problems::COLLAPSED_REASON.to_string(),
                total.count,
                true,
            ));
        }
        for (text, stats) in &group.entries {
            rows.push(row(text.clone(), stats.count, false));
        }
    }
    rows.sort_by(|a, b| {
        b.count.cmp(&a.count).then_with(|| {
            (a.mta, &a.program, a.severity, &a.text).cmp(&(b.mta, &b.program, b.severity, &b.text))
        })
    });
    rows
}

fn problem_rows(summary: &Summary) -> Vec<ProblemRow> {
    let cat = catalogue();
    let mut rows = Vec::new();
    for (key, group) in &summary.problems.groups {
        let advice = key
            .status
            .and_then(|e| cat.enhanced(e))
            .map(|e| e.advice.clone())
            .or_else(|| {
                key.code
                    .and_then(|c| cat.reply(c))
                    .map(|e| e.advice.clone())
            })
            .unwrap_or_default();
        let row = |reason: String, stats: &crate::count::problems::ReasonStats, collapsed: bool| {
            ProblemRow {
                event: key.event,
                code: key.code.map(ReplyCode::value),
                enhanced: key.status.map(|e| e.to_string()),
                stage: key.stage.map(String::from),
                reason,
                count: stats.count,
                collapsed,
                advice: advice.clone(),
                examples: stats.examples.clone(),
                provider: key.provider.map(providers::advice),
            }
        };
        if let Some(total) = &group.capped {
            rows.push(row(
                crate::count::problems::COLLAPSED_REASON.to_string(),
                total,
                true,
            ));
        }
        for (reason, stats) in &group.entries {
            rows.push(row(reason.clone(), stats, false));
        }
    }
    // Most frequent first; ties in key order, so the output is stable.
    rows.sort_by(|a, b| {
        b.count.cmp(&a.count).then_with(|| {
            (a.event, a.code, &a.enhanced, &a.reason).cmp(&(
                b.event,
                b.code,
                &b.enhanced,
                &b.reason,
            ))
        })
    });
    rows
}

/// A dimension for `--by` breakdowns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dimension {
    /// The basic reply code.
    Code,
    /// The reply class (2xx..5xx).
    Class,
    /// The enhanced code that followed the reply code.
    Enhanced,
    /// Postfix dsn= (or the bare enhanced code of a line without a reply code).
    Dsn,
    /// The event (delivered, deferred, ...).
    Event,
    /// The date.
    Day,
    /// The hour of day.
    Hour,
    /// The MTA (postfix, exim).
    Mta,
    /// Envelope sender of received messages (a table of its own: use alone).
    Sender,
    /// Sender domain (use alone).
    SenderDomain,
    /// Sending host (use alone).
    SendingHost,
    /// Recipient of deliveries (use alone).
    Recipient,
    /// Recipient domain: deliveries, deferrals, bounces, delays (use alone).
    RecipientDomain,
    /// Problems by event, stage, code, enhanced code and reason, with advice (use alone).
    Problem,
    /// Warnings, errors, fatal errors, panics and master messages by daemon (use alone).
    Diagnostic,
    /// postscreen DNSBL ranks (use alone).
    DnsblRank,
    /// dnsblog listings by blocklist and reply (use alone).
    Blocklist,
    /// Problems summed per provider or blocklist, with advice (use alone).
    Provider,
    /// Lines and outcomes per syslog host (`-`: none, as in Exim's main log; use alone).
    Host,
    /// Lines and outcomes per instance, the syslog tag before its `/` (use alone).
    Instance,
}

impl Dimension {
    /// Column name.
    pub fn name(self) -> &'static str {
        match self {
            Dimension::Code => "code",
            Dimension::Class => "class",
            Dimension::Enhanced => "enhanced",
            Dimension::Dsn => "dsn",
            Dimension::Event => "event",
            Dimension::Day => "day",
            Dimension::Hour => "hour",
            Dimension::Mta => "mta",
            Dimension::Sender => "sender",
            Dimension::SenderDomain => "sender-domain",
            Dimension::SendingHost => "sending-host",
            Dimension::Recipient => "recipient",
            Dimension::RecipientDomain => "recipient-domain",
            Dimension::Problem => "problem",
            Dimension::Diagnostic => "diagnostic",
            Dimension::DnsblRank => "dnsbl-rank",
            Dimension::Blocklist => "blocklist",
            Dimension::Provider => "provider",
            Dimension::Host => "host",
            Dimension::Instance => "instance",
        }
    }

    /// Whether this names a table of its own (a party table, the problems, ...) that is
    /// printed whole and alone, rather than a dimension of the facts.
    pub fn is_table(self) -> bool {
        matches!(
            self,
            Dimension::Sender
                | Dimension::SenderDomain
                | Dimension::SendingHost
                | Dimension::Recipient
                | Dimension::RecipientDomain
                | Dimension::Problem
                | Dimension::Diagnostic
                | Dimension::DnsblRank
                | Dimension::Blocklist
                | Dimension::Provider
                | Dimension::Host
                | Dimension::Instance
        )
    }

    fn value(self, fact: &FactRow) -> String {
        let code = fact.code.and_then(ReplyCode::new);
        match self {
            Dimension::Code => code.map_or_else(|| "none".into(), |c| c.to_string()),
            Dimension::Class => code.map_or_else(|| "none".into(), |c| c.class().label().into()),
            Dimension::Enhanced => fact.enhanced.clone().unwrap_or_else(|| "none".into()),
            Dimension::Dsn => fact.dsn.clone().unwrap_or_else(|| "none".into()),
            Dimension::Event => fact
                .event
                .map_or_else(|| "none".into(), |e| e.name().into()),
            Dimension::Day => fact.day.clone().unwrap_or_else(|| "none".into()),
            Dimension::Hour => fact
                .hour
                .map_or_else(|| "none".into(), |h| format!("{h:02}")),
            Dimension::Mta => fact.mta.name().into(),
            // Not a property of a fact: these are tables of their own.
            Dimension::Sender
            | Dimension::SenderDomain
            | Dimension::SendingHost
            | Dimension::Recipient
            | Dimension::RecipientDomain
            | Dimension::Problem
            | Dimension::Diagnostic
            | Dimension::DnsblRank
            | Dimension::Blocklist
            | Dimension::Provider
            | Dimension::Host
            | Dimension::Instance => "none".into(),
        }
    }
}

/// One row of a `--by` breakdown: the values of the dimensions, and the count.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupRow {
    /// Values, in the order of the dimensions.
    pub keys: Vec<String>,
    /// Lines counted.
    pub count: u64,
}

/// Group the report's facts by the given dimensions (rows sorted by key).
///
/// Facts that are not reply lines have no code: grouping by code or class keeps only
/// reply lines, so a `--by code` table adds up to `replies`.
pub fn group(report: &Report, dims: &[Dimension]) -> Vec<GroupRow> {
    let reply_only = dims
        .iter()
        .any(|d| matches!(d, Dimension::Code | Dimension::Class | Dimension::Enhanced));
    let event_only = dims.contains(&Dimension::Event) && !reply_only;
    let mut groups: BTreeMap<Vec<String>, u64> = BTreeMap::new();
    for fact in &report.facts {
        if (reply_only && fact.code.is_none()) || (event_only && fact.event.is_none()) {
            continue;
        }
        let key = dims.iter().map(|d| d.value(fact)).collect();
        *groups.entry(key).or_insert(0) += fact.count;
    }
    groups
        .into_iter()
        .map(|(keys, count)| GroupRow { keys, count })
        .collect()
}
