//! "Needs attention": the few problems that hurt the most messages, each with what it
//! means and what to do, as plain data for the text and HTML reports.
//!
//! Ranked by how many messages a problem hurts and how badly: a bounce or expiry (the
//! message is lost) weighs four deferrals (late), a deferral two rejects (mostly strangers
//! refused at the door), so a handful of bounces does not hide a hundred deferrals, and a
//! tie goes to the worse event. Nothing here formats or escapes: printers do that.

use super::{ProblemRow, Report};
use crate::catalogue::catalogue;
use crate::code::{EnhancedCode, ReplyCode};
use crate::parse::Event;
use serde::Serialize;

/// How many items a report lists by default.
pub const DEFAULT_MAX: usize = 7;

/// Who an item's `affected` names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Affected {
    /// Recipient domains (deliveries that failed).
    RecipientDomains,
    /// Clients (our server refused them).
    Clients,
}

/// One problem worth a reader's attention.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Attention {
    /// The event (none for a reply line without one, such as an AUTH failure).
    pub event: Option<Event>,
    /// The stage that refused, for rejections.
    pub stage: Option<String>,
    /// The reply code.
    pub code: Option<u16>,
    /// The enhanced code (or dsn).
    pub enhanced: Option<String>,
    /// The normalised reason (log text: escape it before showing it).
    pub reason: String,
    /// Lines (one per recipient or client refused).
    pub count: u64,
    /// What `affected` names.
    pub affected_kind: Affected,
    /// Recipient domains or clients among the examples kept (log text).
    pub affected: Vec<String>,
    /// What it means: the provider rule's meaning, else the catalogue's.
    pub meaning: String,
    /// What to do: the provider rule's action, else the catalogue's advice.
    pub fix: String,
    /// The provider or blocklist the reply came from or named, if a rule matched.
    pub provider: Option<String>,
    /// The provider's page, if a rule matched.
    pub url: Option<String>,
}

/// How badly a problem's event hurts a message: its tier (lower is worse) and the weight
/// of one line in halves of a deferral; `None` is not listed.
fn tier(row: &ProblemRow) -> Option<(u8, u64)> {
    match row.event {
        Some(Event::Bounced | Event::Expired) => Some((0, 8)),
        // Exim's queue runner writes "retry time not reached" each time it skips a host
        // that failed before: the failure itself is counted on its own deferral line.
        Some(Event::Deferred) if row.code.is_none() && is_retry_skip(&row.reason) => None,
        Some(Event::Deferred) => Some((1, 2)),
        Some(Event::Rejected) => Some((2, 1)),
        Some(Event::Held | Event::Discarded) => Some((3, 1)),
        Some(Event::RejectWarning | Event::Delivered | Event::Filtered) => None,
        // A reply without an event: a failed AUTH, a refused command.
        None => Some((3, 1)),
    }
}

fn is_retry_skip(reason: &str) -> bool {
    reason.to_ascii_lowercase().starts_with("retry time not")
}

/// The problems of a report worth a reader's attention, worst first, at most `max`
/// (0: all). Empty when nothing went wrong.
pub fn needs_attention(report: &Report, max: usize) -> Vec<Attention> {
    let mut rows: Vec<((u8, u64), &ProblemRow)> = report
        .problems
        .iter()
        .filter_map(|row| tier(row).map(|t| (t, row)))
        .collect();
    // Stable: rows come most frequent first in a fixed order already.
    rows.sort_by(|((ta, wa), a), ((tb, wb), b)| {
        (b.count * wb).cmp(&(a.count * wa)).then(ta.cmp(tb))
    });
    let max = if max == 0 { rows.len() } else { max };
    rows.into_iter()
        .take(max)
        .map(|(_, row)| item(row))
        .collect()
}

fn item(row: &ProblemRow) -> Attention {
    let affected_kind = match row.event {
        Some(Event::Rejected) | None => Affected::Clients,
        _ => Affected::RecipientDomains,
    };
    let mut affected: Vec<String> = Vec::new();
    for example in &row.examples {
        let who = match affected_kind {
            Affected::RecipientDomains => match example.rsplit_once('@') {
                Some((_, domain)) => domain.to_string(),
                None => example.clone(),
            },
            Affected::Clients => example.clone(),
        };
        if !affected.contains(&who) {
            affected.push(who);
        }
    }
    let (meaning, fix) = match &row.provider {
        Some(p) => (p.meaning.clone(), p.action.clone()),
        None => (meaning_of(row), row.advice.clone()),
    };
    // Without a code the catalogue has nothing to say: the event itself does.
    let (meaning, fix) = match (meaning.is_empty() && fix.is_empty(), row.event) {
        (true, Some(event)) => {
            let (m, f) = event_advice(event);
            (m.to_string(), f.to_string())
        }
        _ => (meaning, fix),
    };
    Attention {
        event: row.event,
        stage: row.stage.clone(),
        code: row.code,
        enhanced: row.enhanced.clone(),
        reason: row.reason.clone(),
        count: row.count,
        affected_kind,
        affected,
        meaning,
        fix,
        provider: row.provider.as_ref().map(|p| p.provider.clone()),
        url: row.provider.as_ref().map(|p| p.url.clone()),
    }
}

/// What an event means and what to do, for a problem without a code to look up.
fn event_advice(event: Event) -> (&'static str, &'static str) {
    match event {
        Event::Expired => (
            "The message stayed in the queue past its lifetime (Postfix maximal_queue_lifetime, Exim's retry rules) and was returned to the sender.",
            "Find the deferrals to the same domains: their reply says why delivery kept failing.",
        ),
        Event::Bounced => (
            "The message could not be delivered and was returned to the sender.",
            "Read the reason: it names the address, route or content that was refused.",
        ),
        Event::Deferred => (
            "Delivery failed for now; the queue retries.",
            "If it persists, check DNS, the network path and the next hop named in the reason.",
        ),
        Event::Rejected => (
            "This server refused the client or its message.",
            "Check that the rule that refused is meant to; nothing to do for unwanted clients.",
        ),
        _ => ("", ""),
    }
}

/// The catalogue's meaning of a problem's codes, in one line: the enhanced code's title
/// and the reply code's (`Bad destination mailbox address (550: Mailbox Unavailable)`).
fn meaning_of(row: &ProblemRow) -> String {
    let cat = catalogue();
    let enhanced = row
        .enhanced
        .as_deref()
        .and_then(|e| e.parse::<EnhancedCode>().ok())
        .and_then(|code| cat.enhanced(code))
        .map(|e| e.title.clone());
    let reply = row
        .code
        .and_then(ReplyCode::new)
        .and_then(|c| cat.reply(c).map(|e| format!("{c}: {}", e.title)));
    match (enhanced, reply) {
        (Some(e), Some(r)) => format!("{e} ({r})"),
        (Some(e), None) => e,
        (None, Some(r)) => r,
        (None, None) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(event: Option<Event>, code: Option<u16>, reason: &str, count: u64) -> ProblemRow {
        ProblemRow {
            event,
            code,
            enhanced: None,
            stage: None,
            reason: reason.into(),
            count,
            collapsed: false,
            advice: String::new(),
            examples: vec!["a@x.test".into(), "b@x.test".into(), "c@y.test".into()],
            provider: None,
        }
    }

    fn report(problems: Vec<ProblemRow>) -> Report {
        let mut report = Report::new(&crate::count::Summary::new());
        report.problems = problems;
        report
    }

    #[test]
    fn ranked_by_messages_hurt_bounces_weigh_most() {
        let r = report(vec![
            row(Some(Event::Rejected), Some(554), "rejected many", 500),
            row(Some(Event::Deferred), Some(451), "deferred", 100),
            row(Some(Event::Deferred), Some(451), "deferred few", 4),
            row(Some(Event::Bounced), Some(550), "bounced few", 3),
            row(Some(Event::Expired), None, "expired more", 7),
            row(Some(Event::Rejected), Some(554), "rejected as many", 8),
            row(Some(Event::Deferred), None, "retry time not reached", 900),
            row(Some(Event::RejectWarning), Some(554), "warned", 900),
        ]);
        let reasons: Vec<String> = needs_attention(&r, 0)
            .into_iter()
            .map(|a| a.reason)
            .collect();
        // 500 rejects weigh 250 deferrals; 7 expiries 28; 3 bounces 12 (> 4 deferrals, 8
        // rejects: on a tie the worse event first).
        assert_eq!(
            reasons,
            [
                "rejected many",
                "deferred",
                "expired more",
                "bounced few",
                "deferred few",
                "rejected as many"
            ]
        );
        assert_eq!(needs_attention(&r, 2).len(), 2);
        assert!(needs_attention(&report(Vec::new()), 10).is_empty());
    }

    #[test]
    fn affected_are_domains_of_deliveries_and_clients_of_rejects() {
        let r = report(vec![row(Some(Event::Bounced), Some(550), "x", 3)]);
        let a = &needs_attention(&r, 1)[0];
        assert_eq!(a.affected, ["x.test", "y.test"]);
        assert_eq!(a.affected_kind, Affected::RecipientDomains);
        let mut reject = row(Some(Event::Rejected), Some(554), "x", 3);
        reject.examples = vec!["unknown[192.0.2.7]".into()];
        let a = &needs_attention(&report(vec![reject]), 1)[0];
        assert_eq!(a.affected, ["unknown[192.0.2.7]"]);
        assert_eq!(a.affected_kind, Affected::Clients);
    }
}
