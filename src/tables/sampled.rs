//! Counts per key in memory that stays bounded however many keys there are.
//!
//! A [`Tally`] keeps exact counts for every key while it holds at most its limit of keys.
//! Past that it keeps a *hash sample*: only the keys whose hash starts with `level` zero
//! bits, raising the level until it fits. Which keys survive depends only on the set of
//! all keys, never on the order or the chunks they came in, so results stay the same for
//! any thread count; the number of distinct keys is then estimated as `kept << level`.
//!
//! Apart from the mail tables that use it ([`crate::count::parties`]) because it knows
//! nothing of mail: keys are bytes, counts are any [`Stats`].

use crate::sanitize::escape_bytes;
use std::hash::Hasher;

/// What a table counts per key.
pub trait Stats: Default + Clone {
    /// Add another key's counts.
    fn add(&mut self, other: &Self);
    /// Nothing counted: the key is not really there.
    fn is_empty(&self) -> bool;
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
    pub fn reserve(&mut self, keys: usize) {
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

    /// Change the counts of a key that is kept, forgetting the key when nothing is left (a
    /// key not kept is left alone).
    pub fn change_kept(&mut self, key: &[u8], change: impl FnOnce(&mut S)) {
        let hash = sample_hash(key);
        let arena = &self.arena;
        let Ok(mut found) = self.entries.find_entry(table_hash(hash), |e| {
            e.hash == hash && Self::key_of(arena, e) == key
        }) else {
            return;
        };
        let stats = &mut found.get_mut().stats;
        change(stats);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::count::parties::Traffic;

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
}
