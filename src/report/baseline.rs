//! Key figures of a report, and how they moved against an earlier report (`--baseline`),
//! as plain data for the text and HTML reports.

use super::{percent, Report};
use crate::parse::Event;
use serde::Serialize;
use std::collections::BTreeMap;

/// One key figure: its name, value, share and what the share is of.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Figure {
    /// `received`, `delivered`, `deferred`, `bounced`, `expired`, `rejected`.
    pub name: &'static str,
    /// The count.
    pub value: u64,
    /// Its share in percent, where it has a base.
    pub share: Option<f64>,
    /// What the share is of, in words.
    pub share_of: &'static str,
    /// A note in plain words (`attempts; 56 messages`).
    pub note: String,
    /// The baseline's value, when there is a baseline.
    pub before: Option<u64>,
}

impl Figure {
    /// The change against the baseline (after minus before).
    pub fn change(&self) -> Option<i64> {
        self.before.map(|b| self.value as i64 - b as i64)
    }
}

/// The key figures of a report, in the order people read them: what came in, what went
/// out, what was late, lost or refused. Shares are those of `--fail-if` (and pflogsumm's
/// for rejects): delivery events of all delivery outcomes, rejects of messages offered.
pub fn key_figures(report: &Report, baseline: Option<&Report>) -> Vec<Figure> {
    let figures = |r: &Report| -> Vec<(&'static str, u64)> {
        let e = &r.by_event;
        vec![
            ("received", r.received),
            ("delivered", e.delivered),
            ("deferred", e.deferred),
            ("bounced", e.bounced),
            ("expired", e.expired),
            ("rejected", e.rejected),
        ]
    };
    let before: BTreeMap<&str, u64> = baseline
        .map(figures)
        .unwrap_or_default()
        .into_iter()
        .collect();
    let e = &report.by_event;
    let outcomes = e.delivered + e.deferred + e.bounced + e.expired;
    let offered = report.received + e.rejected;
    figures(report)
        .into_iter()
        .filter(|(name, value)| *value > 0 || matches!(*name, "received" | "delivered" | "bounced"))
        .map(|(name, value)| {
            let (share, share_of) = match name {
                "received" => (None, ""),
                "rejected" => (Some(percent(value, offered)), "of messages offered"),
                _ => (Some(percent(value, outcomes)), "of delivery attempts"),
            };
            let note = match name {
                "received" => "messages from clients and local submission".to_string(),
                "delivered" if report.forwarded > 0 => {
                    format!("{} of them forwarded", report.forwarded)
                }
                "delivered" => "handed to the next server or mailbox".to_string(),
                "bounced" => "refused for good: returned to the sender".to_string(),
                "expired" => "given up after retrying too long".to_string(),
                "deferred" => format!(
                    "attempts to retry later ({} messages waited)",
                    report.deferred_messages
                ),
                "rejected" if report.rejected_temporary > 0 => format!(
                    "refused by this server, {} of them for now (4xx)",
                    report.rejected_temporary
                ),
                _ => "refused by this server".to_string(),
            };
            Figure {
                name,
                value,
                share: share.filter(|_| value > 0),
                share_of,
                note,
                before: baseline.map(|_| before.get(name).copied().unwrap_or(0)),
            }
        })
        .collect()
}

/// A problem that moved most against the baseline.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Mover {
    /// The event.
    pub event: Option<Event>,
    /// The reply code.
    pub code: Option<u16>,
    /// The enhanced code.
    pub enhanced: Option<String>,
    /// Lines in the baseline.
    pub before: u64,
    /// Lines now.
    pub after: u64,
    /// Not in the baseline at all.
    pub new: bool,
    /// The recipient domain or client most named now (log text).
    pub top_affected: Option<String>,
}

type ProblemKey = (Option<Event>, Option<u16>, Option<String>);

fn problem_counts(report: &Report) -> BTreeMap<ProblemKey, (u64, Vec<String>)> {
    let mut groups: BTreeMap<ProblemKey, (u64, Vec<String>)> = BTreeMap::new();
    for row in &report.problems {
        let entry = groups
            .entry((row.event, row.code, row.enhanced.clone()))
            .or_default();
        entry.0 += row.count;
        entry.1.extend(row.examples.iter().cloned());
    }
    groups
}

/// The problems (by event, code and enhanced code) that grew most since the baseline,
/// biggest growth first, at most `max`. Only growth is listed: what got better shows in
/// the key figures.
pub fn movers(report: &Report, baseline: &Report, max: usize) -> Vec<Mover> {
    let before = problem_counts(baseline);
    let mut movers: Vec<Mover> = problem_counts(report)
        .into_iter()
        .filter_map(|(key, (after, examples))| {
            let was = before.get(&key).map(|(n, _)| *n);
            let grew = after.saturating_sub(was.unwrap_or(0));
            (grew > 0).then(|| Mover {
                event: key.0,
                code: key.1,
                enhanced: key.2,
                before: was.unwrap_or(0),
                after,
                new: was.is_none(),
                top_affected: most_named(&examples, key.0),
            })
        })
        .filter(|m| m.event != Some(Event::Delivered))
        .collect();
    movers.sort_by(|a, b| {
        (b.after - b.before)
            .cmp(&(a.after - a.before))
            .then_with(|| (a.event, a.code, &a.enhanced).cmp(&(b.event, b.code, &b.enhanced)))
    });
    movers.truncate(max);
    movers
}

/// The domain (of a delivery) or client (of a reject) that the examples name most.
fn most_named(examples: &[String], event: Option<Event>) -> Option<String> {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for e in examples {
        let who = match (event, e.rsplit_once('@')) {
            (Some(Event::Rejected) | None, _) | (_, None) => e.clone(),
            (_, Some((_, domain))) => domain.to_string(),
        };
        *counts.entry(who).or_insert(0) += 1;
    }
    counts
        .into_iter()
        .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))
        .map(|(who, _)| who)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::ProblemRow;

    fn report(bounced: u64, problems: Vec<(u16, &str, u64, &str)>) -> Report {
        let mut r = Report::new(&crate::count::Summary::new());
        r.by_event.bounced = bounced;
        r.by_event.delivered = 100;
        r.problems = problems
            .into_iter()
            .map(|(code, enhanced, count, example)| ProblemRow {
                event: Some(Event::Bounced),
                code: Some(code),
                enhanced: Some(enhanced.into()),
                stage: None,
                reason: "x".into(),
                count,
                collapsed: false,
                advice: String::new(),
                examples: vec![example.into()],
                provider: None,
            })
            .collect();
        r
    }

    #[test]
    fn figures_carry_the_baseline_and_movers_say_what_is_new() {
        let before = report(12, vec![(550, "5.1.1", 12, "a@old.test")]);
        let after = report(
            352,
            vec![
                (550, "5.1.1", 12, "a@old.test"),
                (550, "5.7.26", 340, "b@gmail.com"),
            ],
        );
        let figures = key_figures(&after, Some(&before));
        let bounced = figures.iter().find(|f| f.name == "bounced").unwrap();
        assert_eq!((bounced.before, bounced.value), (Some(12), 352));
        assert_eq!(bounced.change(), Some(340));
        let movers = movers(&after, &before, 5);
        assert_eq!(movers.len(), 1);
        assert_eq!(movers[0].enhanced.as_deref(), Some("5.7.26"));
        assert!(movers[0].new);
        assert_eq!(movers[0].top_affected.as_deref(), Some("gmail.com"));
        assert!(key_figures(&after, None).iter().all(|f| f.before.is_none()));
    }
}
