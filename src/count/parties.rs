//! Who sent and who received: traffic per sender, sending host, recipient and domain,
//! in memory that stays bounded however many addresses a log holds.
//!
//! Each table keeps exact counts for every key while it holds at most its limit of keys.
//! Past that it keeps a *hash sample*: only the keys whose hash starts with `level` zero
//! bits, raising the level until it fits. Which keys survive depends only on the set of
//! all keys, never on the order or the chunks they came in, so results stay the same for
//! any thread count; the number of distinct keys is then estimated as `kept << level`.

use crate::sanitize::escape_bytes;
use std::hash::Hasher;

/// Keys a table keeps exactly before it starts sampling (`--max-distinct`).
pub const DEFAULT_MAX_DISTINCT: usize = 100_000;

/// What a table counts per key.
pub trait Stats: Default + Clone {
    /// Add another key's counts.
    fn add(&mut self, other: &Self);
    /// Nothing counted: the key is not really there.
    fn is_empty(&self) -> bool;
}

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

/// A well-mixed hash that is the same in every run (sampling must be reproducible).
fn sample_hash(key: &[u8]) -> u64 {
    let mut hasher = rustc_hash::FxHasher::default();
    hasher.write(key);
    // splitmix64's finaliser: FxHash alone is weak in its high bits.
    let mut z = hasher.finish();
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Whether a key with this [`sample_hash`] survives sampling at `level` (its hash starts
/// with `level` zero bits).
fn passes(hash: u64, level: u32) -> bool {
    level == 0 || hash >> (64 - level) == 0
}

/// The hash the table is placed by, made from the sample hash without reading the key
/// again. Kept keys share their leading zero bits, which hashbrown would use as tags, so
/// the bits are mixed once more.
fn table_hash(entry_hash: u64) -> u64 {
    (entry_hash ^ (entry_hash >> 29)).wrapping_mul(0xbf58_476d_1ce4_e5b9)
}

/// A key's place in the arena, its sample hash and its counts.
#[derive(Clone, Debug)]
struct Entry<S> {
    hash: u64,
    start: usize,
    len: usize,
    stats: S,
}

/// Counts per key (an address, a domain, a host), exact up to a limit of keys, then a
/// reproducible hash sample (see the module docs).
///
/// Keys live end to end in one arena, not in an allocation each, and each entry keeps its
/// hash, so adding tables up never hashes a key twice.
#[derive(Clone, Debug)]
pub struct Tally<S> {
    entries: hashbrown::HashTable<Entry<S>>,
    arena: Vec<u8>,
    /// Arena bytes of keys that were dropped (compacted away once they are half).
    dead: usize,
    level: u32,
    limit: usize,
    /// Built from reports that listed only some keys (`merge`): counts are lower bounds.
    partial: bool,
    /// Distinct keys some report proved there were, listed or not (`merge`).
    floor: u64,
}

impl<S> Default for Tally<S> {
    fn default() -> Self {
        Tally {
            entries: hashbrown::HashTable::new(),
            arena: Vec::new(),
            dead: 0,
            level: 0,
            limit: usize::MAX,
            partial: false,
            floor: 0,
        }
    }
}

impl<S: Stats> Tally<S> {
    fn key_of<'t>(arena: &'t [u8], entry: &Entry<S>) -> &'t [u8] {
        &arena[entry.start..entry.start + entry.len]
    }

    fn find_mut(&mut self, hash: u64, key: &[u8]) -> Option<&mut S> {
        let arena = &self.arena;
        self.entries
            .find_mut(table_hash(hash), |e| {
                e.hash == hash && Self::key_of(arena, e) == key
            })
            .map(|e| &mut e.stats)
    }

    /// Insert a key known to be absent.
    fn insert_new(&mut self, hash: u64, key: &[u8], stats: S) {
        let start = self.arena.len();
        self.arena.extend_from_slice(key);
        let entry = Entry {
            hash,
            start,
            len: key.len(),
            stats,
        };
        self.entries
            .insert_unique(table_hash(hash), entry, |e| table_hash(e.hash));
        if self.entries.len() > self.limit {
            self.shrink();
        }
    }

    /// Room for about `keys` more keys.
    fn reserve(&mut self, keys: usize) {
        self.entries.reserve(keys, |e| table_hash(e.hash));
    }

    /// Set the number of keys kept exactly (0: all, however many); sampling starts if
    /// there are more already.
    pub fn set_limit(&mut self, limit: usize) {
        self.limit = if limit == 0 { usize::MAX } else { limit };
        self.shrink();
    }

    fn shrink(&mut self) {
        while self.entries.len() > self.limit && self.level < 63 {
            self.raise_level(self.level + 1);
        }
    }

    /// Count something for a key.
    pub fn update(&mut self, key: &[u8], change: impl FnOnce(&mut S)) {
        let hash = sample_hash(key);
        // Every key kept passes the level (raising it drops the others): a key that does
        // not is not looked for, which spares a sampling table most of its probes.
        if !passes(hash, self.level) {
            return;
        }
        if let Some(stats) = self.find_mut(hash, key) {
            change(stats);
            return;
        }
        let mut stats = S::default();
        change(&mut stats);
        self.insert_new(hash, key, stats);
    }

    /// Add saved counts for a key (`merge`).
    pub fn load(&mut self, key: &[u8], stats: S) {
        self.update(key, |mine| mine.add(&stats));
    }

    /// Say that the table lacks some keys (`merge` of a report that did not list them all),
    /// and how many distinct keys that report proved there were.
    pub fn mark_partial(&mut self, proven: u64) {
        self.partial = true;
        self.floor = self.floor.max(proven);
    }

    /// Distinct keys that some merged report proved there were (0 when none lacked keys).
    pub fn floor(&self) -> u64 {
        self.floor
    }

    /// Whether the table lacks some keys.
    pub fn is_partial(&self) -> bool {
        self.partial
    }

    /// Add another table (of the lines that follow, or of another log).
    pub fn add(&mut self, other: Tally<S>) {
        let level = self.level.max(other.level);
        if self.entries.is_empty() {
            // The first part: take it whole, keeping this table's settings.
            let (limit, partial, floor) = (self.limit, self.partial, self.floor);
            *self = other;
            self.limit = limit;
            self.partial |= partial;
            self.floor = self.floor.max(floor);
            self.level = level;
            self.retain(|e| !e.stats.is_empty() && passes(e.hash, level));
            self.shrink();
            return;
        }
        self.partial |= other.partial;
        self.floor = self.floor.max(other.floor);
        self.raise_level(level);
        for entry in other.entries {
            if entry.stats.is_empty() || !passes(entry.hash, level) {
                continue;
            }
            let key = Self::key_of(&other.arena, &entry);
            match self.find_mut(entry.hash, key) {
                Some(mine) => mine.add(&entry.stats),
                None => {
                    // `shrink` runs once below, not per key.
                    let start = self.arena.len();
                    self.arena.extend_from_slice(key);
                    let moved = Entry { start, ..entry };
                    self.entries
                        .insert_unique(table_hash(moved.hash), moved, |e| table_hash(e.hash));
                }
            }
        }
        self.shrink();
    }

    /// Keep the entries `keep` says to, counting the arena bytes of the others as dead.
    fn retain(&mut self, mut keep: impl FnMut(&Entry<S>) -> bool) {
        let mut dropped = 0;
        self.entries.retain(|e| {
            let kept = keep(e);
            if !kept {
                dropped += e.len;
            }
            kept
        });
        self.dead += dropped;
        self.compact_if_sparse();
    }

    /// Distinct keys: exact, or estimated from the sample (never below what a merged
    /// report proved).
    pub fn distinct(&self) -> Distinct {
        Distinct {
            count: ((self.entries.len() as u64) << self.level).max(self.floor),
            exact: self.level == 0,
        }
    }

    /// The sampling level: keys kept have this many leading zero bits in their hash.
    pub fn level(&self) -> u32 {
        self.level
    }

    /// Start sampling at `level` at least: a part of the log counted while the whole is
    /// already at that level skips the keys the whole would drop anyway (the same keys
    /// survive in the end, so results do not change).
    pub fn raise_level(&mut self, level: u32) {
        if level > self.level {
            self.level = level.min(63);
            let level = self.level;
            self.retain(|e| passes(e.hash, level));
        }
    }

    /// Copy the live keys to a new arena once dropped keys take half of it.
    fn compact_if_sparse(&mut self) {
        if self.dead < 4096 || self.dead * 2 < self.arena.len() {
            return;
        }
        let mut arena = Vec::with_capacity(self.arena.len() - self.dead);
        for e in self.entries.iter_mut() {
            let start = arena.len();
            arena.extend_from_slice(&self.arena[e.start..e.start + e.len]);
            e.start = start;
        }
        self.arena = arena;
        self.dead = 0;
    }

    /// How many keys each kept key stands for (1 while exact).
    pub fn scale(&self) -> u64 {
        1 << self.level
    }

    /// Whether every key is kept (no sampling happened).
    pub fn is_exact(&self) -> bool {
        self.level == 0
    }

    /// The kept keys (escaped for display) and their counts, in no particular order.
    pub fn rows(&self) -> Vec<(String, S)> {
        self.entries
            .iter()
            .map(|e| (escape_bytes(Self::key_of(&self.arena, e)), e.stats.clone()))
            .collect()
    }

    /// Keys kept.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// No key kept.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl Tally<Traffic> {
    /// Take back a credit made earlier (a guess that a message started in a part of the
    /// log), forgetting the key when nothing is left.
    pub fn subtract(&mut self, key: &[u8], taken: Traffic) {
        let hash = sample_hash(key);
        let arena = &self.arena;
        let Ok(mut found) = self.entries.find_entry(table_hash(hash), |e| {
            e.hash == hash && Self::key_of(arena, e) == key
        }) else {
            return;
        };
        let stats = &mut found.get_mut().stats;
        stats.messages = stats.messages.saturating_sub(taken.messages);
        stats.bytes = stats.bytes.saturating_sub(taken.bytes);
        if stats.is_empty() {
            let (removed, _) = found.remove();
            self.dead += removed.len;
        }
    }
}

/// A number of distinct keys.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Distinct {
    /// How many.
    pub count: u64,
    /// Counted exactly (else estimated from a hash sample, within about 1%).
    pub exact: bool,
}

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
    pub fn levels(&self) -> [u32; 5] {
        [
            self.senders.level(),
            self.sender_domains.level(),
            self.clients.level(),
            self.recipients.level(),
            self.recipient_domains.level(),
        ]
    }

    /// Raise the sampling levels of the five tables to at least `levels`.
    pub fn raise_levels(&mut self, levels: [u32; 5]) {
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

    fn tally_of(keys: impl Iterator<Item = u64>, limit: usize) -> Tally<Traffic> {
        let mut t = Tally::default();
        t.set_limit(limit);
        for k in keys {
            t.update(
                format!("user{k}@example.test").as_bytes(),
                |s: &mut Traffic| {
                    s.messages += 1;
                    s.bytes += k;
                },
            );
        }
        t
    }

    fn sorted(t: &Tally<Traffic>) -> Vec<(String, Traffic)> {
        let mut rows = t.rows();
        rows.sort_by(|a, b| a.0.cmp(&b.0));
        rows
    }

    #[test]
    fn exact_under_the_limit() {
        let t = tally_of((0..500).chain(0..500), 1000);
        assert_eq!(
            t.distinct(),
            Distinct {
                count: 500,
                exact: true
            }
        );
        assert!(t.rows().iter().all(|(_, s)| s.messages == 2));
    }

    #[test]
    fn sample_is_the_same_for_any_split_and_estimates_well() {
        let keys: Vec<u64> = (0..20_000).map(|i| (i * 7919) % 5000).collect();
        let whole = tally_of(keys.iter().copied(), 400);
        assert!(!whole.is_exact());
        let d = whole.distinct();
        assert!((4000..6000).contains(&d.count), "estimate {}", d.count);
        for cut in [1, 999, 10_000, 19_999] {
            // Parts are unlimited, as chunk summaries are; the whole has the limit.
            let mut acc = tally_of(keys[..cut].iter().copied(), 400);
            acc.add(tally_of(keys[cut..].iter().copied(), usize::MAX));
            assert_eq!(sorted(&acc), sorted(&whole), "cut at {cut}");
            let mut rev = tally_of(keys[cut..].iter().copied(), 400);
            rev.add(tally_of(keys[..cut].iter().copied(), 400));
            assert_eq!(sorted(&rev), sorted(&whole), "reversed cut at {cut}");
        }
        // Every kept key has its full count.
        for (key, stats) in whole.rows() {
            let n: u64 = key
                .trim_start_matches("user")
                .trim_end_matches("@example.test")
                .parse()
                .unwrap();
            assert_eq!(
                stats.messages,
                keys.iter().filter(|k| **k == n).count() as u64
            );
        }
    }

    #[test]
    fn a_limit_of_zero_keeps_every_key_exactly() {
        let t = tally_of((0..3000).chain(0..3000), 0);
        assert_eq!(
            t.distinct(),
            Distinct {
                count: 3000,
                exact: true
            }
        );
        assert!(t.rows().iter().all(|(_, s)| s.messages == 2));
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
