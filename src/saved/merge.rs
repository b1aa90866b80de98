//! `smtplog merge`: reports read back from JSON, checked, and added up.
//!
//! A saved report may have been edited by anyone, so it is input like a log: its
//! `schema_version` must be one this smtplog writes, every value in range, every total
//! equal to what its facts add up to, and no sum across reports may overflow. A report
//! that fails is refused whole (nothing of it is added), so the others still add up.

use crate::count::Summary;
use crate::report::parties::{Accuracy, PartiesOut, Table};
use crate::report::{Report, SCHEMA_VERSION};
use serde::Deserialize;

/// Why a report cannot be merged.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    /// Not JSON, or not the layout of a report.
    #[error("not a report written by `smtplog report --format json` ({0})")]
    NotAReport(#[from] serde_json::Error),
    /// A layout this smtplog does not know.
    #[error("schema_version {found} is not one this smtplog reads (it reads {SCHEMA_VERSION})")]
    Version {
        /// The version the report says.
        found: u64,
    },
    /// A value out of range (an hour of 99, a code of 700, a day that does not exist).
    #[error("bad {what}: {value}")]
    Invalid {
        /// What the value is.
        what: &'static str,
        /// The value, as written.
        value: String,
    },
    /// A provider rule this smtplog does not have, or not for that direction.
    // The rule's words are part of this message, so not also a `source` (a printed chain
    // would say them twice).
    #[error("bad provider rule: {0}")]
    ProviderRule(crate::report::providers::HitError),
    /// A total that is not what the counts it sums say.
    #[error("{what} is {stated}, but {counted}")]
    Disagrees {
        /// The total.
        what: String,
        /// What it says.
        stated: String,
        /// What the counts say.
        counted: String,
    },
    /// A sum larger than a count can hold.
    #[error("{0} is too large: the sum overflows a 64-bit count")]
    Overflow(&'static str),
}

/// Sums across reports that bound every count a merged summary adds up: each count of a
/// checked report is at most its line total (or its own sum here), so while these do not
/// overflow, nothing does.
#[derive(Clone, Copy, Debug, Default)]
struct Sums {
    lines: u64,
    messages: u64,
    bytes_received: u64,
    bytes_delivered: u64,
    deferred_messages: u64,
    /// Messages (or deliveries, bounces, deferrals) and bytes of each party table.
    parties: [(u64, u64); 5],
}

fn add(a: u64, b: u64, what: &'static str) -> Result<u64, MergeError> {
    a.checked_add(b).ok_or(MergeError::Overflow(what))
}

fn sum(counts: impl IntoIterator<Item = u64>, what: &'static str) -> Result<u64, MergeError> {
    counts.into_iter().try_fold(0, |a, b| add(a, b, what))
}

/// A count that must not exceed a total of the same report.
fn at_most(what: &'static str, count: u64, total: u64, of: &'static str) -> Result<(), MergeError> {
    if count <= total {
        return Ok(());
    }
    Err(MergeError::Disagrees {
        what: of.to_string(),
        stated: total.to_string(),
        counted: format!("its {what} add up to {count}"),
    })
}

/// A figure that must be what the report's facts add up to.
fn agree<T: PartialEq + std::fmt::Debug>(
    what: &str,
    stated: T,
    counted: T,
) -> Result<(), MergeError> {
    if stated == counted {
        return Ok(());
    }
    Err(MergeError::Disagrees {
        what: what.to_string(),
        stated: format!("{stated:?}"),
        counted: format!("its facts add up to {counted:?}"),
    })
}

/// Rows that must be what the report's facts add up to: the first that differs is named.
fn agree_rows<T: PartialEq + std::fmt::Debug>(
    what: &str,
    stated: &[T],
    counted: &[T],
) -> Result<(), MergeError> {
    let row = |rows: &[T], i: usize| {
        rows.get(i)
            .map_or_else(|| "no row".to_string(), |r| format!("{r:?}"))
    };
    match (0..stated.len().max(counted.len())).find(|&i| stated.get(i) != counted.get(i)) {
        None => Ok(()),
        Some(i) => Err(MergeError::Disagrees {
            what: format!("{what} row {}", i + 1),
            stated: row(stated, i),
            counted: format!("its facts add up to {}", row(counted, i)),
        }),
    }
}

/// The checks of one report that need no other report.
fn check(r: &Report) -> Result<(), MergeError> {
    let l = &r.lines;
    let lines = sum([l.mail, l.other, l.unrecognised], "lines")?;
    if lines != l.total {
        return Err(MergeError::Disagrees {
            what: "lines.total".into(),
            stated: l.total.to_string(),
            counted: format!("mail, other and unrecognised add up to {lines}"),
        });
    }
    at_most("overlong", l.overlong, l.other, "lines.other")?;
    if r.limits.facts_level > 4 {
        return Err(MergeError::Invalid {
            what: "limits.facts_level",
            value: r.limits.facts_level.to_string(),
        });
    }
    let mail = l.mail;
    at_most("received", r.received, mail, "lines.mail")?;
    let facts = sum(r.facts.iter().map(|f| f.count), "facts")?;
    at_most("facts", facts, mail, "lines.mail")?;
    let by_day = sum(r.by_day.iter().map(|d| d.lines), "by_day")?;
    at_most("by_day lines", by_day, l.total, "lines.total")?;
    let received = sum(
        r.received_by_hour.iter().map(|h| h.count),
        "received_by_hour",
    )?;
    at_most("received_by_hour", received, r.received, "received")?;
    let problems = sum(r.problems.iter().map(|p| p.count), "problems")?;
    at_most("problems", problems, mail, "lines.mail")?;
    let diagnostics = sum(r.diagnostics.iter().map(|d| d.count), "diagnostics")?;
    at_most("diagnostics", diagnostics, mail, "lines.mail")?;
    let connections = sum(r.connections.values().copied(), "connections")?;
    at_most("connections", connections, mail, "lines.mail")?;
    let b = &r.blocklists;
    let blocklists = sum(
        b.ranks
            .iter()
            .map(|x| x.count)
            .chain(b.listings.iter().map(|x| x.count))
            .chain(b.ranks_capped)
            .chain(b.listings_capped),
        "blocklists",
    )?;
    at_most("blocklists", blocklists, mail, "lines.mail")?;
    if let Some(d) = &r.delays {
        let buckets = sum(d.buckets.iter().map(|(_, n)| *n), "delays")?;
        agree("delays.count", d.count, buckets)?;
        at_most("delays", d.count, mail, "lines.mail")?;
    }
    at_most(
        "forwarded",
        r.forwarded,
        r.by_event.delivered,
        "by_event.delivered",
    )?;
    check_parties(&r.parties)
}

fn check_parties(p: &PartiesOut) -> Result<(), MergeError> {
    fn complete<R>(
        name: &'static str,
        t: &Table<R>,
        keys: impl Fn(&[R]) -> usize,
    ) -> Result<(), MergeError> {
        if !t.complete {
            return Ok(());
        }
        if t.accuracy != Accuracy::Exact {
            return Err(MergeError::Invalid {
                what: name,
                value: format!("complete but {:?}", t.accuracy),
            });
        }
        let listed = keys(&t.rows) as u64;
        if listed != t.distinct {
            return Err(MergeError::Disagrees {
                what: format!("{name}.distinct"),
                stated: t.distinct.to_string(),
                counted: format!("the table says it is complete and lists {listed} keys"),
            });
        }
        Ok(())
    }
    complete("senders", &p.senders, <[_]>::len)?;
    complete("sender_domains", &p.sender_domains, <[_]>::len)?;
    complete("sending_hosts", &p.sending_hosts, <[_]>::len)?;
    complete("recipients", &p.recipients, <[_]>::len)?;
    complete("recipient_domains", &p.recipient_domains, |rows| {
        rows.iter().filter(|r| r.delivered > 0).count()
    })
}

/// What the report's derived tables must be, given its facts.
fn check_derived(r: &Report, rebuilt: &Report) -> Result<(), MergeError> {
    agree("replies", r.replies, rebuilt.replies)?;
    agree("by_class", r.by_class, rebuilt.by_class)?;
    agree("by_event", r.by_event, rebuilt.by_event)?;
    agree(
        "rejected_temporary",
        r.rejected_temporary,
        rebuilt.rejected_temporary,
    )?;
    agree("no_code", &r.no_code, &rebuilt.no_code)?;
    let codes = |rows: &[crate::report::CodeRow]| -> Vec<(String, String, u64)> {
        let mut v: Vec<_> = rows
            .iter()
            .map(|c| (c.code.clone(), c.class.clone(), c.count))
            .collect();
        v.sort();
        v
    };
    agree_rows("by_code", &codes(&r.by_code), &codes(&rebuilt.by_code))?;
    let enhanced = |rows: &[crate::report::EnhancedRow]| -> Vec<(String, u64)> {
        let mut v: Vec<_> = rows.iter().map(|c| (c.code.clone(), c.count)).collect();
        v.sort();
        v
    };
    agree_rows(
        "by_enhanced",
        &enhanced(&r.by_enhanced),
        &enhanced(&rebuilt.by_enhanced),
    )?;
    let dsn = |rows: &[crate::report::DsnRow]| -> Vec<(String, u64)> {
        let mut v: Vec<_> = rows.iter().map(|c| (c.dsn.clone(), c.count)).collect();
        v.sort();
        v
    };
    agree_rows("by_dsn", &dsn(&r.by_dsn), &dsn(&rebuilt.by_dsn))?;
    agree_rows("by_day", &r.by_day, &rebuilt.by_day)?;
    agree_rows("by_hour", &r.by_hour, &rebuilt.by_hour)
}

/// Reports added up one by one; each is checked first, and refused whole if it fails.
#[derive(Debug)]
pub struct Merger {
    total: Summary,
    sums: Sums,
}

impl Default for Merger {
    fn default() -> Self {
        Merger::new(crate::count::parties::DEFAULT_MAX_DISTINCT)
    }
}

/// Just the version, read before the rest so that another layout is named as such.
#[derive(Deserialize)]
struct Version {
    schema_version: u64,
}

impl Merger {
    /// Nothing merged yet; the sender and recipient tables keep `max_distinct` keys exactly
    /// (as `smtplog report --max-distinct`).
    pub fn new(max_distinct: usize) -> Merger {
        let mut total = Summary::new();
        total.set_max_distinct(max_distinct);
        Merger {
            total,
            sums: Sums::default(),
        }
    }

    /// Check a report's JSON and add it; on error nothing of it is added.
    pub fn add_json(&mut self, text: &str) -> Result<(), MergeError> {
        let Version { schema_version } = serde_json::from_str(text)?;
        if schema_version != u64::from(SCHEMA_VERSION) {
            return Err(MergeError::Version {
                found: schema_version,
            });
        }
        self.add_report(&crate::report::json::read(text)?)
    }

    /// Check a report and add it; on error nothing of it is added.
    pub fn add_report(&mut self, report: &Report) -> Result<(), MergeError> {
        if report.schema_version != SCHEMA_VERSION {
            return Err(MergeError::Version {
                found: report.schema_version.into(),
            });
        }
        check(report)?;
        let sums = self.sums_with(report)?;
        let mut summary = super::load::load(report)?;
        // The tables made from the facts, before any limit merges keys.
        summary.finish();
        check_derived(report, &Report::new(&summary))?;
        summary.relimit(
            crate::limits::Reached {
                codes: report.limits.enhanced_codes,
                days: report.limits.days,
                daemons: report.limits.daemons,
            },
            report.limits.facts_level,
        );
        self.sums = sums;
        self.total.add(summary);
        Ok(())
    }

    /// The sums with one more report, or which would overflow.
    fn sums_with(&self, r: &Report) -> Result<Sums, MergeError> {
        let s = &self.sums;
        let p = &r.parties;
        let traffic = |t: &Table<crate::report::parties::TrafficRow>,
                       what|
         -> Result<(u64, u64), MergeError> {
            Ok((
                sum(t.rows.iter().map(|x| x.messages), what)?,
                sum(t.rows.iter().map(|x| x.bytes), what)?,
            ))
        };
        let mut outcomes = 0u64;
        let mut domain_bytes = 0u64;
        for d in &p.recipient_domains.rows {
            // `delayed` counts some of the deliveries, so it is bounded by them.
            outcomes = sum(
                [outcomes, d.delivered, d.deferred, d.bounced],
                "recipient_domains",
            )?;
            domain_bytes = add(domain_bytes, d.bytes, "recipient_domains")?;
        }
        let mine = [
            traffic(&p.senders, "senders")?,
            traffic(&p.sender_domains, "sender_domains")?,
            traffic(&p.sending_hosts, "sending_hosts")?,
            traffic(&p.recipients, "recipients")?,
            (outcomes, domain_bytes),
        ];
        let mut parties = s.parties;
        for (total, (messages, bytes)) in parties.iter_mut().zip(mine) {
            *total = (
                add(total.0, messages, "party table messages")?,
                add(total.1, bytes, "party table bytes")?,
            );
        }
        Ok(Sums {
            lines: add(s.lines, r.lines.total, "lines.total")?,
            messages: add(s.messages, r.messages, "messages")?,
            bytes_received: add(s.bytes_received, r.bytes_received, "bytes_received")?,
            bytes_delivered: add(s.bytes_delivered, r.bytes_delivered, "bytes_delivered")?,
            deferred_messages: add(
                s.deferred_messages,
                r.deferred_messages,
                "deferred_messages",
            )?,
            parties,
        })
    }

    /// The sum of every report added.
    pub fn finish(mut self) -> Summary {
        self.total.finish();
        self.total
    }
}
