//! JSON report → counts: each saved table put back into the counting type it was made from.
//! Rows are checked as they are read (days, hours, codes, rule ids); totals and versions are
//! checked before, by [`super::merge`].

use crate::code::{EnhancedCode, ReplyCode};
use crate::count::blocklists::{Blocklists, CappedCounts, Listing};
use crate::count::parties::{DomainTraffic, Parties, Traffic};
use crate::count::{Fact, Summary};
use crate::report::blocklists::BlocklistsOut;
use crate::report::parties::{Accuracy, PartiesOut, Table, TrafficRow};
use crate::report::sources::SourcesOut;
use crate::report::{header, parties, providers, Report};
use crate::sanitize::unescape;
use crate::saved::merge::MergeError;
use crate::sources::SourceTable;
use crate::tables::sampled::Tally;
use chrono::NaiveDate;

/// A saved report's counts as a summary, so that reports can be added up (`smtplog merge`,
/// through [`merge::Merger`], which checks the report first). No limit is applied yet.
pub(crate) fn load(report: &Report) -> Result<Summary, MergeError> {
    let invalid = |what: &'static str, value: String| MergeError::Invalid { what, value };
    let date = |text: &str| -> Result<NaiveDate, MergeError> {
        if text == crate::limits::OTHER_DAY_TEXT {
            return Ok(crate::limits::OTHER_DAY);
        }
        text.parse()
            .map_err(|_| invalid("day", format!("{text:?}")))
    };
    let hour = |hour: u8| -> Result<u8, MergeError> {
        if hour < 24 {
            Ok(hour)
        } else {
            Err(invalid("hour", hour.to_string()))
        }
    };
    let reply = |code: Option<u16>| -> Result<Option<ReplyCode>, MergeError> {
        code.map(|c| ReplyCode::new(c).ok_or_else(|| invalid("reply code", c.to_string())))
            .transpose()
    };
    let enhanced = |text: &Option<String>| -> Result<Option<EnhancedCode>, MergeError> {
        text.as_deref()
            .map(|t| {
                t.parse()
                    .map_err(|_| invalid("enhanced code", format!("{t:?}")))
            })
            .transpose()
    };
    let mut summary = Summary::new();
    summary.lines.total = report.lines.total;
    summary.lines.mail = report.lines.mail;
    summary.lines.other = report.lines.other;
    summary.lines.unrecognised = report.lines.unrecognised;
    summary.lines.debug = report.lines.debug;
    summary.lines.bad_stamps = report.lines.bad_stamps;
    summary.overlong_lines = report.lines.overlong;
    summary.malformed_entries = report.lines.malformed;
    summary.outside_window = report.lines.outside_window;
    let seen = |text: &Option<String>| -> Result<Option<i64>, MergeError> {
        text.as_deref()
            .map(|t| header::stamp_scalar(t).ok_or_else(|| invalid("stamp", format!("{t:?}"))))
            .transpose()
    };
    if let (Some(first), Some(last)) = (seen(&report.first_seen)?, seen(&report.last_seen)?) {
        summary.see(first, last);
    }
    summary.received = report.received;
    summary.forwarded = report.forwarded;
    for row in &report.received_by_hour {
        *summary
            .received_by_hour
            .entry((date(&row.day)?, hour(row.hour)?))
            .or_insert(0) += row.count;
    }
    for (name, n) in &report.connections {
        let counter = crate::parse::Counter::ALL
            .into_iter()
            .find(|c| c.name() == name)
            .ok_or_else(|| invalid("connection counter", format!("{name:?}")))?;
        summary.counters[counter as usize] = *n;
    }
    summary.blocklists = report.blocklists.to_blocklists();
    if let Some(d) = &report.delays {
        for (bucket, n) in &d.buckets {
            *summary
                .delays
                .buckets
                .get_mut(*bucket)
                .ok_or_else(|| invalid("delay bucket", bucket.to_string()))? += n;
        }
        summary.delays.count = d.count;
        summary.delays.sum_ms = d.sum_ms;
        summary.delays.max_ms = d.max_ms;
    }
    for row in &report.diagnostics {
        let key = crate::count::problems::DiagnosticKey {
            mta: row.mta,
            program: row.program.clone(),
            severity: row.severity,
        };
        let group = summary.diagnostics.groups.entry(key).or_default();
        let stats = crate::count::problems::ReasonStats {
            count: row.count,
            examples: Vec::new(),
        };
        if row.collapsed {
            group.capped = Some(stats);
        } else {
            group.entries.insert(row.text.clone(), stats);
        }
    }
    summary.set_loaded_totals(crate::count::MessageTotals {
        messages: report.messages,
        bytes_received: report.bytes_received,
        bytes_delivered: report.bytes_delivered,
        deferred_messages: report.deferred_messages,
        approximate: report.messages_accuracy != parties::Accuracy::Exact,
    });
    for day in &report.by_day {
        let key = date(&day.day)?;
        if day.lines > 0 {
            *summary.lines_by_day.entry(key).or_insert(0) += day.lines;
        }
    }
    for row in &report.facts {
        let fact = Fact {
            day: row.day.as_deref().map(date).transpose()?,
            hour: row.hour.map(hour).transpose()?,
            mta: row.mta,
            event: row.event,
            code: reply(row.code)?,
            enhanced: enhanced(&row.enhanced)?,
            dsn: enhanced(&row.dsn)?,
            temporary: row.temporary,
        };
        *summary.facts.entry(fact).or_insert(0) += row.count;
    }
    for row in &report.problems {
        let key = crate::count::problems::ProblemKey {
            event: row.event,
            code: reply(row.code)?,
            status: enhanced(&row.enhanced)?,
            stage: row
                .stage
                .as_deref()
                .and_then(|s| crate::parse::stage_of(s.as_bytes())),
            provider: row
                .provider
                .as_ref()
                .map(providers::hit_of)
                .transpose()
                .map_err(MergeError::ProviderRule)?,
        };
        let group = summary.problems.groups.entry(key).or_default();
        let stats = crate::count::problems::ReasonStats {
            count: row.count,
            examples: row.examples.clone(),
        };
        if row.collapsed {
            group.capped = Some(stats);
        } else {
            group.entries.insert(row.reason.clone(), stats);
        }
    }
    report.parties.load_into(&mut summary.parties);
    report.hosts.load_into(&mut summary.hosts);
    report.instances.load_into(&mut summary.instances);
    summary.unrecognised_samples = report
        .unrecognised_examples
        .iter()
        .map(|l| l.as_bytes().to_vec())
        .collect();
    Ok(summary)
}

impl PartiesOut {
    /// Load the tables of a saved report into `parties` (for `merge`): complete tables add
    /// up exactly; the others make the merged table a lower bound, never below the distinct
    /// keys that report proved.
    pub fn load_into(&self, parties: &mut Parties) {
        fn proven<R>(table: &Table<R>) -> u64 {
            match table.accuracy {
                Accuracy::Exact | Accuracy::AtLeast => table.distinct,
                // A sample's rows are real keys; its estimate proves nothing.
                Accuracy::Estimated => table.rows.len() as u64,
            }
        }
        fn load(table: &Table<TrafficRow>, tally: &mut Tally<Traffic>) {
            for row in &table.rows {
                tally.load(
                    &unescape(&row.key),
                    Traffic {
                        messages: row.messages,
                        bytes: row.bytes,
                    },
                );
            }
            if !table.complete {
                tally.mark_partial(proven(table));
            }
        }
        load(&self.senders, &mut parties.senders);
        load(&self.sender_domains, &mut parties.sender_domains);
        load(&self.sending_hosts, &mut parties.clients);
        load(&self.recipients, &mut parties.recipients);
        let domains = &self.recipient_domains;
        for row in &domains.rows {
            parties.recipient_domains.load(
                &unescape(&row.domain),
                DomainTraffic {
                    delivered: row.delivered,
                    bytes: row.bytes,
                    deferred: row.deferred,
                    bounced: row.bounced,
                    delayed: row.delayed,
                    delay_sum_ms: row.delay_sum_ms,
                    delay_max_ms: row.max_delay_ms,
                },
            );
        }
        if !domains.complete {
            let proven = match domains.accuracy {
                Accuracy::Exact | Accuracy::AtLeast => domains.distinct,
                Accuracy::Estimated => {
                    domains.rows.iter().filter(|r| r.delivered > 0).count() as u64
                }
            };
            parties.recipient_domains.mark_partial(proven);
        }
    }
}

impl BlocklistsOut {
    /// The counts again, for `smtplog merge`.
    pub fn to_blocklists(&self) -> Blocklists {
        fn load<K: Ord>(
            rows: impl Iterator<Item = (K, u64)>,
            capped: Option<u64>,
        ) -> CappedCounts<K> {
            let mut counts = CappedCounts {
                capped,
                ..CappedCounts::default()
            };
            for (key, n) in rows {
                counts.add(key, n);
            }
            counts
        }
        Blocklists {
            ranks: load(
                self.ranks.iter().map(|r| (r.rank, r.count)),
                self.ranks_capped,
            ),
            listings: load(
                self.listings.iter().map(|r| {
                    let key = Listing {
                        list: r.list.clone(),
                        reply: r.reply.clone(),
                    };
                    (key, r.count)
                }),
                self.listings_capped,
            ),
        }
    }
}

impl SourcesOut {
    /// Put the table back into a summary's (for `merge`).
    pub fn load_into(&self, table: &mut SourceTable) {
        for row in &self.rows {
            table.load(&row.name, row.counts);
        }
        if let Some(total) = self.capped {
            table.load_capped(total);
        }
    }
}
