//! The sender, host, recipient and domain tables of a report.

use crate::count::parties::{DomainTraffic, Parties, Traffic};
use crate::tables::sampled::Tally;
use serde::{Deserialize, Serialize};

/// How a table's distinct count was made.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Accuracy {
    /// Every key counted.
    #[default]
    Exact,
    /// More keys than `--max-distinct`: estimated from a hash sample (about 1%).
    Estimated,
    /// Merged from reports that listed only their top rows: a lower bound.
    AtLeast,
}

/// Messages and bytes of one sender, host or recipient.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrafficRow {
    /// The address or host, escaped.
    pub key: String,
    /// Messages received from it, or deliveries to it.
    pub messages: u64,
    /// Their bytes.
    pub bytes: u64,
}

/// Delivery outcomes for one recipient domain.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DomainRow {
    /// The domain, escaped.
    pub domain: String,
    /// Deliveries.
    pub delivered: u64,
    /// Bytes delivered.
    pub bytes: u64,
    /// Deferrals.
    pub deferred: u64,
    /// Bounces.
    pub bounced: u64,
    /// Mean delay of the deliveries, ms.
    pub avg_delay_ms: Option<u64>,
    /// Longest delay of a delivery or deferral, ms; none (JSON `null`) when no line of the
    /// domain had a delay, which is unknown, not zero.
    pub max_delay_ms: Option<u64>,
    /// Deliveries with a delay, and their sum (for `merge`).
    #[serde(default)]
    pub delayed: u64,
    /// Sum of the delivery delays, ms (for `merge`).
    #[serde(default)]
    pub delay_sum_ms: u64,
}

impl DomainRow {
    /// Lines about the domain: deliveries, deferrals and bounces.
    pub fn attempts(&self) -> u64 {
        self.delivered + self.deferred + self.bounced
    }
}

/// One table: how many distinct keys, and rows (most messages first).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Table<R> {
    /// Distinct keys.
    pub distinct: u64,
    /// Whether `distinct` is exact.
    pub accuracy: Accuracy,
    /// The rows hold every key, exactly (so reports can be merged).
    pub complete: bool,
    /// Rows, busiest first, ties by key.
    pub rows: Vec<R>,
}

/// Traffic per sender, sending host, recipient and domain.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartiesOut {
    /// Envelope senders of received messages (`<>`: the null sender).
    pub senders: Table<TrafficRow>,
    /// Their domains.
    pub sender_domains: Table<TrafficRow>,
    /// Sending hosts of received messages (`local`: submitted on the host).
    pub sending_hosts: Table<TrafficRow>,
    /// Recipients of deliveries (forwards excluded).
    pub recipients: Table<TrafficRow>,
    /// Recipient domains: deliveries, deferrals, bounces and delays (`distinct` counts the
    /// domains delivered to; `rows` also hold those that only saw deferrals or bounces).
    pub recipient_domains: Table<DomainRow>,
}

fn accuracy<S: crate::tables::sampled::Stats>(tally: &Tally<S>) -> Accuracy {
    if tally.is_partial() {
        Accuracy::AtLeast
    } else if tally.is_exact() {
        Accuracy::Exact
    } else {
        Accuracy::Estimated
    }
}

fn table<R>(distinct: u64, accuracy: Accuracy, rows: Vec<R>) -> Table<R> {
    Table {
        distinct,
        accuracy,
        // Every key, exactly: what `merge` needs to add tables up.
        complete: accuracy == Accuracy::Exact,
        rows,
    }
}

fn traffic_table(tally: &Tally<Traffic>) -> Table<TrafficRow> {
    let mut rows: Vec<TrafficRow> = tally
        .rows()
        .into_iter()
        .map(|(key, t)| TrafficRow {
            key,
            messages: t.messages,
            bytes: t.bytes,
        })
        .collect();
    // Keys are distinct, so an unstable sort gives the one order, and faster.
    rows.sort_unstable_by(|a, b| b.messages.cmp(&a.messages).then_with(|| a.key.cmp(&b.key)));
    table(tally.distinct().count, accuracy(tally), rows)
}

fn domain_table(tally: &Tally<DomainTraffic>) -> Table<DomainRow> {
    let mut rows: Vec<DomainRow> = tally
        .rows()
        .into_iter()
        .map(|(domain, d)| DomainRow {
            domain,
            delivered: d.delivered,
            bytes: d.bytes,
            deferred: d.deferred,
            bounced: d.bounced,
            avg_delay_ms: (d.delayed > 0).then(|| d.delay_sum_ms / d.delayed),
            max_delay_ms: d.delay_max_ms,
            delayed: d.delayed,
            delay_sum_ms: d.delay_sum_ms,
        })
        .collect();
    rows.sort_unstable_by(|a, b| {
        b.attempts()
            .cmp(&a.attempts())
            .then_with(|| a.domain.cmp(&b.domain))
    });
    // Domains delivered to, as pflogsumm counts them; the rows also list domains that
    // only saw deferrals or bounces.
    let delivered_to = rows.iter().filter(|r| r.delivered > 0).count() as u64;
    let distinct = (delivered_to * tally.scale()).max(tally.floor());
    table(distinct, accuracy(tally), rows)
}

impl PartiesOut {
    /// The tables of a summary's parties, every kept row.
    pub fn new(parties: &Parties) -> PartiesOut {
        PartiesOut {
            senders: traffic_table(&parties.senders),
            sender_domains: traffic_table(&parties.sender_domains),
            sending_hosts: traffic_table(&parties.clients),
            recipients: traffic_table(&parties.recipients),
            recipient_domains: domain_table(&parties.recipient_domains),
        }
    }

    /// How each of the five tables was counted.
    pub fn accuracies(&self) -> [Accuracy; 5] {
        [
            self.senders.accuracy,
            self.sender_domains.accuracy,
            self.sending_hosts.accuracy,
            self.recipients.accuracy,
            self.recipient_domains.accuracy,
        ]
    }
}

impl PartiesOut {
    /// The traffic table a `--by` dimension names (all but recipient domains).
    pub fn traffic(&self, dim: super::Dimension) -> Option<&Table<TrafficRow>> {
        use super::Dimension;
        match dim {
            Dimension::Sender => Some(&self.senders),
            Dimension::SenderDomain => Some(&self.sender_domains),
            Dimension::SendingHost => Some(&self.sending_hosts),
            Dimension::Recipient => Some(&self.recipients),
            _ => None,
        }
    }
}
