//! Problems grouped the way they are solved: event → reply code → enhanced code →
//! normalised reason, with counts and a few examples; and diagnostics (warnings, errors)
//! grouped the same way by program.
//!
//! The texts are normalised by [`crate::count::normalise`], so that one problem is one row.

use super::normalise::{cached_reason, literal};
use crate::code::{EnhancedCode, ReplyCode};
use crate::parse::{Event, ParsedLine};
use crate::sanitize::escape_bytes;
use std::collections::BTreeMap;

/// Distinct reasons kept per group before the group is summed up as one row.
///
/// A group collapses exactly when the whole input holds more distinct reasons than this,
/// whatever the chunking, so results never depend on threads; memory stays bounded even
/// when remote servers put random text in every reply.
pub const MAX_REASONS_PER_GROUP: usize = 200;

/// Examples (recipients or clients) kept per reason.
pub const EXAMPLES_PER_REASON: usize = 3;

/// The reason shown for a collapsed group.
pub const COLLAPSED_REASON: &str = "(too many different texts to list)";

/// What a problem row is keyed by, before the reason.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ProblemKey {
    /// The event (None: a reply line without an event, such as an AUTH failure).
    pub event: Option<Event>,
    /// The reply code.
    pub code: Option<ReplyCode>,
    /// The enhanced code of the reply, or the dsn when there is no reply code.
    pub status: Option<EnhancedCode>,
    /// For rejections: the stage that refused (`RCPT`, `DATA`, `header`, ...).
    pub stage: Option<&'static str>,
    /// The provider or blocklist rule the reply matched, and who said it.
    pub provider: Option<crate::providers::Hit>,
}

/// Counts and examples of one normalised reason.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReasonStats {
    /// Lines with this reason.
    pub count: u64,
    /// The first few recipients or clients, escaped.
    pub examples: Vec<String>,
}

impl crate::tables::capped::CappedValue for ReasonStats {
    fn add_same_key(&mut self, other: Self) {
        self.count += other.count;
        for example in other.examples {
            if self.examples.len() < EXAMPLES_PER_REASON && !self.examples.contains(&example) {
                self.examples.push(example);
            }
        }
    }

    fn add_to_total(&mut self, other: Self) {
        // A total keeps no examples: which come last would depend on the order in which
        // parts are added.
        self.count += other.count;
    }
}

/// One group's reasons, or its total once it had more than [`MAX_REASONS_PER_GROUP`]
/// (`capped`).
pub type ProblemGroup = crate::tables::capped::Capped<String, ReasonStats, MAX_REASONS_PER_GROUP>;

/// Texts grouped under a key, each normalised, counted, with a few examples.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grouped<K: Ord> {
    /// Groups by key.
    pub groups: BTreeMap<K, ProblemGroup>,
}

impl<K: Ord> Default for Grouped<K> {
    fn default() -> Self {
        Grouped {
            groups: BTreeMap::new(),
        }
    }
}

/// All problem groups of a summary.
pub type ProblemTable = Grouped<ProblemKey>;

/// What a diagnostic row is keyed by: which program said what kind of thing.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DiagnosticKey {
    /// The MTA.
    pub mta: crate::parse::Mta,
    /// The daemon (`smtpd`) or program.
    pub program: String,
    /// warning, error, fatal or panic.
    pub severity: crate::parse::Severity,
}

/// Warnings, errors, fatal errors and panics by program, grouped by normalised text.
pub type DiagnosticTable = Grouped<DiagnosticKey>;

impl ProblemTable {
    /// Record a problem line, whose enhanced code and dsn are counted under `enhanced` and
    /// `dsn` (see [`crate::limits`]), and the provider rule its reply matched.
    pub fn record_line(
        &mut self,
        line: &ParsedLine<'_>,
        enhanced: Option<EnhancedCode>,
        dsn: Option<EnhancedCode>,
        provider: Option<crate::providers::Hit>,
    ) {
        let status = if line.code.is_some() { enhanced } else { dsn };
        let key = ProblemKey {
            event: line.event,
            code: line.code,
            status,
            stage: line.stage,
            provider,
        };
        // A group of collapsed codes keeps no examples (see `Summary::collapse_codes`).
        let party = line
            .party
            .filter(|_| !status.is_some_and(EnhancedCode::is_other));
        self.record(key, line.reason, party);
    }

    /// Take back one count of a reply line with no event (an Exim host error that an
    /// address line repeated). Its reason's row stays, at a lower count (even zero), so
    /// that which groups collapse does not depend on when the take-back came.
    pub fn take_back(
        &mut self,
        code: Option<ReplyCode>,
        enhanced: Option<EnhancedCode>,
        provider: Option<crate::providers::Hit>,
        text: &[u8],
    ) {
        let key = ProblemKey {
            event: None,
            code,
            status: enhanced,
            stage: None,
            provider,
        };
        let Some(group) = self.groups.get_mut(&key) else {
            return;
        };
        let reason = cached_reason(text);
        let stats = match &mut group.capped {
            Some(total) => Some(total),
            None => group.entries.get_mut(&*reason),
        };
        if let Some(stats) = stats {
            stats.count = stats.count.saturating_sub(1);
        }
    }

    /// Whether a parsed line is a problem worth a row.
    pub fn is_problem(line: &ParsedLine<'_>) -> bool {
        match line.event {
            Some(
                Event::Deferred
                | Event::Bounced
                | Event::Expired
                | Event::Rejected
                | Event::RejectWarning,
            ) => true,
            Some(_) => false,
            None => line.code.is_some_and(|c| c.value() >= 400),
        }
    }
}

impl<K: Ord> Grouped<K> {
    /// Count one text under a key, with who it concerned.
    pub fn record(&mut self, key: K, text: Option<&[u8]>, party: Option<&[u8]>) {
        let reason = cached_reason(text.unwrap_or_default());
        let reason: &str = &reason;
        let group = self.groups.entry(key).or_default();
        if let Some(total) = &mut group.capped {
            // Too many reasons already: only the total counts, so nothing to allocate.
            total.count += 1;
            return;
        }
        // The common case, a reason seen before: no allocation.
        if let Some(stats) = group.entries.get_mut(reason) {
            stats.count += 1;
            if stats.examples.len() < EXAMPLES_PER_REASON {
                if let Some(party) = party {
                    let example = escape_bytes(party);
                    if !stats.examples.contains(&example) {
                        stats.examples.push(example);
                    }
                }
            }
            return;
        }
        let stats = ReasonStats {
            count: 1,
            examples: party.map(escape_bytes).into_iter().collect(),
        };
        group.add(reason.to_string(), stats);
    }

    /// Count one text under a key as it is written (escaped and cut to length, but not
    /// normalised), for the few texts whose numbers are the point.
    pub fn record_literal(&mut self, key: K, text: &[u8]) {
        let text = literal(text);
        let group = self.groups.entry(key).or_default();
        match group.entries.get_mut(&text) {
            Some(stats) => stats.count += 1,
            None => group.add(
                text,
                ReasonStats {
                    count: 1,
                    examples: Vec::new(),
                },
            ),
        }
    }

    /// Add a table of the lines that follow (or of another log): counts add up, examples
    /// keep their order of appearance.
    pub fn add(&mut self, other: Grouped<K>) {
        for (key, group) in other.groups {
            self.groups.entry(key).or_default().add_all(group);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_collapse_exactly_when_the_whole_has_too_many_reasons() {
        let mut parts = ProblemTable::default();
        let mut whole = ProblemGroup::default();
        for half in 0..2 {
            let mut table = ProblemTable::default();
            let group = table
                .groups
                .entry(ProblemKey {
                    event: None,
                    code: None,
                    status: None,
                    stage: None,
                    provider: None,
                })
                .or_default();
            let one = || ReasonStats {
                count: 1,
                examples: Vec::new(),
            };
            for i in 0..150 {
                group.add(format!("reason {half} {i}"), one());
                whole.add(format!("reason {half} {i}"), one());
            }
            assert!(group.capped.is_none());
            parts.add(table);
        }
        let merged = parts.groups.into_values().next().unwrap();
        assert_eq!(merged, whole);
        assert_eq!(merged.capped.map(|c| c.count), Some(300));
    }
}
