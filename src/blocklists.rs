//! DNS blocklist counts: postscreen's combined ranks and dnsblog's listings by list.
//!
//! Both are keyed by text the log supplies, so each table is capped: it is exact while the
//! whole input holds at most [`MAX_KEYS`] keys, and past that it keeps only its total.
//! Whether a table is capped depends only on the set of keys, never on threads or chunks.

use crate::sanitize::{escape_bytes, shorten};
use std::collections::BTreeMap;

/// Distinct keys a table keeps before it is summed up as one total.
pub const MAX_KEYS: usize = 1000;

/// Longest blocklist name or reply kept (longer ones are cut, marked with `…`).
const MAX_TEXT: usize = 200;

/// Counts by key, or their total once there were more than [`MAX_KEYS`] keys.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CappedCounts<K: Ord> {
    /// Counts by key (empty once capped).
    pub counts: BTreeMap<K, u64>,
    /// The total of every key, once there were too many to list.
    pub capped: Option<u64>,
}

impl<K: Ord> Default for CappedCounts<K> {
    fn default() -> Self {
        CappedCounts {
            counts: BTreeMap::new(),
            capped: None,
        }
    }
}

impl<K: Ord> CappedCounts<K> {
    /// Count `n` under a key.
    pub fn add_count(&mut self, key: K, n: u64) {
        if let Some(total) = &mut self.capped {
            *total += n;
            return;
        }
        *self.counts.entry(key).or_insert(0) += n;
        if self.counts.len() > MAX_KEYS {
            self.cap();
        }
    }

    /// Add the counts of the lines that follow (or of another log).
    pub fn add(&mut self, other: CappedCounts<K>) {
        if let Some(total) = other.capped {
            // The other side saw too many keys: so does the whole.
            self.cap();
            *self.capped.get_or_insert(0) += total;
        }
        for (key, n) in other.counts {
            self.add_count(key, n);
        }
    }

    /// Whether nothing was counted.
    pub fn is_empty(&self) -> bool {
        self.counts.is_empty() && self.capped.is_none()
    }

    /// Every count, listed or capped.
    pub fn total(&self) -> u64 {
        self.counts.values().sum::<u64>() + self.capped.unwrap_or(0)
    }

    fn cap(&mut self) {
        let listed: u64 = std::mem::take(&mut self.counts).into_values().sum();
        *self.capped.get_or_insert(0) += listed;
    }
}

/// A blocklist and its answer, escaped for display.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Listing {
    /// The blocklist's domain, in lower case (`zen.spamhaus.org`).
    pub list: String,
    /// What it answered (`127.0.0.4`).
    pub reply: String,
}

impl Listing {
    /// The key of a dnsblog line's list and reply.
    pub fn new(list: &[u8], reply: &[u8]) -> Listing {
        Listing {
            list: bounded(&list.to_ascii_lowercase()),
            reply: bounded(reply),
        }
    }
}

/// Escape a text from a log, cut to [`MAX_TEXT`] characters.
fn bounded(text: &[u8]) -> String {
    shorten(&escape_bytes(text), MAX_TEXT)
}

/// What postscreen and dnsblog said about DNS blocklists.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Blocklists {
    /// Clients by postscreen DNSBL rank (their combined score when it reached the threshold).
    pub ranks: CappedCounts<u32>,
    /// dnsblog listings by blocklist and reply.
    pub listings: CappedCounts<Listing>,
}

impl Blocklists {
    /// Count what one line says.
    pub fn record(&mut self, dnsbl: crate::parse::Dnsbl<'_>) {
        match dnsbl {
            crate::parse::Dnsbl::Rank(rank) => self.ranks.add_count(rank, 1),
            crate::parse::Dnsbl::Listed { list, reply } => {
                self.listings.add_count(Listing::new(list, reply), 1)
            }
        }
    }

    /// Add the counts of the lines that follow (or of another log).
    pub fn add(&mut self, other: Blocklists) {
        self.ranks.add(other.ranks);
        self.listings.add(other.listings);
    }

    /// Whether no line spoke of blocklists.
    pub fn is_empty(&self) -> bool {
        self.ranks.is_empty() && self.listings.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_stay_exact_up_to_the_cap_then_keep_the_total() {
        let mut whole = CappedCounts::default();
        for key in 0..MAX_KEYS as u32 {
            whole.add_count(key, 2);
        }
        assert_eq!(whole.counts.len(), MAX_KEYS);
        assert_eq!(whole.capped, None);
        whole.add_count(u32::MAX, 1);
        assert!(whole.counts.is_empty());
        assert_eq!(whole.capped, Some(2 * MAX_KEYS as u64 + 1));
        whole.add_count(7, 1);
        assert_eq!(whole.total(), 2 * MAX_KEYS as u64 + 2);
    }

    #[test]
    fn capping_does_not_depend_on_how_the_input_was_split() {
        let keys: Vec<u32> = (0..=MAX_KEYS as u32).collect();
        let mut one = CappedCounts::default();
        for &k in &keys {
            one.add_count(k, 1);
        }
        for cut in [0, 1, MAX_KEYS / 2, MAX_KEYS, MAX_KEYS + 1] {
            let (mut left, mut right) = (CappedCounts::default(), CappedCounts::default());
            for &k in &keys[..cut] {
                left.add_count(k, 1);
            }
            for &k in &keys[cut..] {
                right.add_count(k, 1);
            }
            left.add(right);
            assert_eq!(left, one, "cut at {cut}");
        }
        // A capped part caps the whole even when the other part is small.
        let mut small = CappedCounts::default();
        small.add_count(1, 5);
        small.add(one.clone());
        assert_eq!(small.capped, Some(one.total() + 5));
    }

    #[test]
    fn listings_are_escaped_lowercased_and_bounded() {
        let key = Listing::new(b"ZEN.Example.TEST\x1b[2J", &[b'1'; 300]);
        assert_eq!(key.list, "zen.example.test\\u{1b}[2j");
        assert_eq!(key.reply.chars().count(), MAX_TEXT + 1);
        assert!(key.reply.ends_with('…'));
    }
}
