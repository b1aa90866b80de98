//! Who sent and who received: traffic per sender, sending host, recipient and domain,
//! in memory that stays bounded however many addresses a log holds.
//!
//! Each table is a [`Tally`]: exact up to its limit of keys, then a reproducible hash
//! sample (see [`crate::tables::sampled`]). What is mail here is the keys (addresses with
//! their domain lower-cased, domains, hosts) and what is counted per key.

use crate::tables::sampled::{Stats, Tally};

/// Keys a table keeps exactly before it starts sampling (`--max-distinct`).
pub const DEFAULT_MAX_DISTINCT: usize = 100_000;

/// Messages and their bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Traffic {
    /// Messages (received) or deliveries (to a recipient).
    pub messages: u64,
    /// Their sizes.
    pub bytes: u64,
}

impl Stats for Traffic {
    fn add(&mut self, other: &Self) {
        self.messages += other.messages;
        self.bytes += other.bytes;
    }
    fn is_empty(&self) -> bool {
        self.messages == 0 && self.bytes == 0
    }
}

/// Delivery outcomes for one recipient domain.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DomainTraffic {
    /// Delivered lines.
    pub delivered: u64,
    /// Bytes delivered (the message's size for every delivery).
    pub bytes: u64,
    /// Deferred lines.
    pub deferred: u64,
    /// Bounced lines.
    pub bounced: u64,
    /// Deliveries with a delay, and the sum of those delays in ms.
    pub delayed: u64,
    /// Sum of delivery delays, ms.
    pub delay_sum_ms: u64,
    /// Longest delay of a delivery or a deferral, ms; none when no line had a delay.
    pub delay_max_ms: Option<u64>,
}

impl Stats for DomainTraffic {
    fn add(&mut self, other: &Self) {
        self.delivered += other.delivered;
        self.bytes += other.bytes;
        self.deferred += other.deferred;
        self.bounced += other.bounced;
        self.delayed += other.delayed;
        self.delay_sum_ms = self.delay_sum_ms.saturating_add(other.delay_sum_ms);
        self.delay_max_ms = self.delay_max_ms.max(other.delay_max_ms);
    }
    fn is_empty(&self) -> bool {
        self.delivered == 0 && self.deferred == 0 && self.bounced == 0 && self.bytes == 0
    }
}

impl Tally<Traffic> {
    /// Take back a credit made earlier (a guess that a message started in a part of the
    /// log), forgetting the key when nothing is left.
    pub fn subtract(&mut self, key: &[u8], taken: Traffic) {
        self.change_kept(key, |stats| {
            stats.messages = stats.messages.saturating_sub(taken.messages);
            stats.bytes = stats.bytes.saturating_sub(taken.bytes);
        });
    }
}

/// The sampling levels of the five tables of [`Parties`], in the order senders, sender
/// domains, sending hosts, recipients, recipient domains (see [`Tally::raise_level`]).
pub type Levels = [u32; 5];

/// How a sender, client or recipient is written as a key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum KeyKind {
    /// An address: its domain lower-cased (local parts are case-sensitive); `<>` for none.
    Address,
    /// The domain of an address; the address itself when it has none.
    Domain,
    /// A host name and address: lower-cased.
    Host,
}

/// The key of `text`: `text` itself when it is already in key form, else written into `buf`.
fn key_into<'b>(text: &'b [u8], kind: KeyKind, buf: &'b mut Vec<u8>) -> &'b [u8] {
    let text = match text {
        b"" | b"<>" => return b"<>",
        other => other,
    };
    let (keep, lower) = match kind {
        KeyKind::Address => match memchr::memrchr(b'@', text) {
            Some(at) => text.split_at(at),
            None => return text,
        },
        KeyKind::Domain => (
            &b""[..],
            memchr::memrchr(b'@', text).map_or(text, |at| &text[at + 1..]),
        ),
        KeyKind::Host => (&b""[..], text),
    };
    if !lower.iter().any(u8::is_ascii_uppercase) {
        // Most keys are lower case already: no copy.
        if keep.is_empty() {
            return lower;
        }
        return text;
    }
    buf.clear();
    buf.extend_from_slice(keep);
    buf.extend(lower.iter().map(u8::to_ascii_lowercase));
    buf
}

/// The host key of locally submitted mail (Postfix pickup, Exim without `H=`).
pub const LOCAL_HOST: &[u8] = b"local";

/// Traffic per sender, sender domain, sending host, recipient and recipient domain.
#[derive(Clone, Debug, Default)]
pub struct Parties {
    /// Messages received and their bytes, per envelope sender.
    pub senders: Tally<Traffic>,
    /// The same per sender domain.
    pub sender_domains: Tally<Traffic>,
    /// The same per sending host (`local` for local submission).
    pub clients: Tally<Traffic>,
    /// Deliveries and their bytes, per recipient.
    pub recipients: Tally<Traffic>,
    /// Deliveries, bytes, deferrals, bounces and delays, per recipient domain.
    pub recipient_domains: Tally<DomainTraffic>,
    scratch: Vec<u8>,
}

impl Parties {
    /// Room for about `keys` keys in each per-address table (a part of the log).
    pub fn reserve(&mut self, keys: usize) {
        self.senders.reserve(keys);
        self.clients.reserve(keys);
        self.recipients.reserve(keys);
    }

    /// Set how many keys each table keeps exactly (0: all).
    pub fn set_limit(&mut self, limit: usize) {
        self.senders.set_limit(limit);
        self.sender_domains.set_limit(limit);
        self.clients.set_limit(limit);
        self.recipients.set_limit(limit);
        self.recipient_domains.set_limit(limit);
    }

    /// A message arrived: credit its sender, their domain and the sending host.
    pub fn arrival(&mut self, sender: &[u8], client: Option<&[u8]>, size: u64) {
        let traffic = Traffic {
            messages: 1,
            bytes: size,
        };
        self.each_arrival_key(sender, client, |table, key| {
            table.update(key, |t| t.add(&traffic))
        });
    }

    /// Take back an arrival credited earlier (a guess that a message started in a part of
    /// the log, proved wrong), forgetting keys with nothing left.
    pub fn take_back_arrival(&mut self, sender: &[u8], client: Option<&[u8]>, size: u64) {
        let traffic = Traffic {
            messages: 1,
            bytes: size,
        };
        self.each_arrival_key(sender, client, |table, key| table.subtract(key, traffic));
    }

    /// Run `apply` on each table an arrival credits, with the arrival's key in it.
    fn each_arrival_key(
        &mut self,
        sender: &[u8],
        client: Option<&[u8]>,
        mut apply: impl FnMut(&mut Tally<Traffic>, &[u8]),
    ) {
        let client = client.unwrap_or(LOCAL_HOST);
        let tables = [
            (&mut self.senders, sender, KeyKind::Address),
            (&mut self.sender_domains, sender, KeyKind::Domain),
            (&mut self.clients, client, KeyKind::Host),
        ];
        for (table, text, kind) in tables {
            apply(table, key_into(text, kind, &mut self.scratch));
        }
    }

    /// A delivery to a recipient, with the message's size when it is known yet.
    pub fn delivery(&mut self, recipient: &[u8], size: u64, delay_ms: Option<u64>) {
        let key = key_into(recipient, KeyKind::Address, &mut self.scratch);
        self.recipients.update(key, |t| {
            t.messages += 1;
            t.bytes += size;
        });
        let key = key_into(recipient, KeyKind::Domain, &mut self.scratch);
        self.recipient_domains.update(key, |d| {
            d.delivered += 1;
            d.bytes += size;
            if let Some(ms) = delay_ms {
                d.delayed += 1;
                d.delay_sum_ms = d.delay_sum_ms.saturating_add(ms);
                d.delay_max_ms = d.delay_max_ms.max(Some(ms));
            }
        });
    }

    /// Bytes of a delivery counted before its message's size was known.
    pub fn delivery_bytes(&mut self, recipient: &[u8], size: u64) {
        if size == 0 {
            return;
        }
        let key = key_into(recipient, KeyKind::Address, &mut self.scratch);
        self.recipients.update(key, |t| t.bytes += size);
        let key = key_into(recipient, KeyKind::Domain, &mut self.scratch);
        self.recipient_domains.update(key, |d| d.bytes += size);
    }

    /// A deferral (`bounced: false`) or bounce of a recipient.
    pub fn failure(&mut self, recipient: &[u8], bounced: bool, delay_ms: Option<u64>) {
        let key = key_into(recipient, KeyKind::Domain, &mut self.scratch);
        self.recipient_domains.update(key, |d| {
            if bounced {
                d.bounced += 1;
            } else {
                d.deferred += 1;
            }
            if let Some(ms) = delay_ms {
                d.delay_max_ms = d.delay_max_ms.max(Some(ms));
            }
        });
    }

    /// The sampling levels of the five tables (see [`Tally::raise_level`]).
    pub fn levels(&self) -> Levels {
        [
            self.senders.level(),
            self.sender_domains.level(),
            self.clients.level(),
            self.recipients.level(),
            self.recipient_domains.level(),
        ]
    }

    /// Raise the sampling levels of the five tables to at least `levels`.
    pub fn raise_levels(&mut self, levels: Levels) {
        self.senders.raise_level(levels[0]);
        self.sender_domains.raise_level(levels[1]);
        self.clients.raise_level(levels[2]);
        self.recipients.raise_level(levels[3]);
        self.recipient_domains.raise_level(levels[4]);
    }

    /// Add the tables of the lines that follow, or of another log.
    pub fn add(&mut self, other: Parties) {
        self.senders.add(other.senders);
        self.sender_domains.add(other.sender_domains);
        self.clients.add(other.clients);
        self.recipients.add(other.recipients);
        self.recipient_domains.add(other.recipient_domains);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_lower_case_domains_and_hosts_only() {
        let mut buf = Vec::new();
        assert_eq!(
            key_into(b"Bob.Smith@Example.COM", KeyKind::Address, &mut buf),
            b"Bob.Smith@example.com"
        );
        assert_eq!(
            key_into(b"Bob@Example.COM", KeyKind::Domain, &mut buf),
            b"example.com"
        );
        assert_eq!(key_into(b"", KeyKind::Address, &mut buf), b"<>");
        assert_eq!(key_into(b"<>", KeyKind::Domain, &mut buf), b"<>");
        assert_eq!(
            key_into(b"MX.Example.com[192.0.2.1]", KeyKind::Host, &mut buf),
            b"mx.example.com[192.0.2.1]"
        );
    }

    #[test]
    fn taking_back_forgets_a_key_with_nothing_left() {
        let mut p = Parties::default();
        p.arrival(b"a@x.test", Some(b"h[192.0.2.1]"), 10);
        p.arrival(b"b@x.test", None, 5);
        p.take_back_arrival(b"a@x.test", Some(b"h[192.0.2.1]"), 10);
        assert_eq!(p.senders.len(), 1);
        assert_eq!(
            p.clients.rows(),
            vec![(
                "local".to_string(),
                Traffic {
                    messages: 1,
                    bytes: 5
                }
            )]
        );
        assert_eq!(
            p.sender_domains.rows(),
            vec![(
                "x.test".to_string(),
                Traffic {
                    messages: 1,
                    bytes: 5
                }
            )]
        );
    }
}
