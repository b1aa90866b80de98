//! DNS blocklist counts: postscreen's combined ranks and dnsblog's listings by list.
//!
//! Both are keyed by text the log supplies, so each table is
//! [capped](crate::tables::capped): exact while the whole input holds at most [`MAX_KEYS`]
//! keys, and past that only its total.

use crate::sanitize::{escape_bytes, shorten};
use crate::tables::capped::Capped;

/// Distinct keys a table keeps before it is summed up as one total.
pub const MAX_KEYS: usize = 1000;

/// Longest blocklist name or reply kept (longer ones are cut, marked with `…`).
const MAX_TEXT: usize = 200;

/// Counts by key, or their total once there were more than [`MAX_KEYS`] keys.
pub type CappedCounts<K> = Capped<K, u64, MAX_KEYS>;

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
            crate::parse::Dnsbl::Rank(rank) => self.ranks.add(rank, 1),
            crate::parse::Dnsbl::Listed { list, reply } => {
                self.listings.add(Listing::new(list, reply), 1)
            }
        }
    }

    /// Add the counts of the lines that follow (or of another log).
    pub fn add(&mut self, other: Blocklists) {
        self.ranks.add_all(other.ranks);
        self.listings.add_all(other.listings);
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
    fn listings_are_escaped_lowercased_and_bounded() {
        let key = Listing::new(b"ZEN.Example.TEST\x1b[2J", &[b'1'; 300]);
        assert_eq!(key.list, "zen.example.test\\u{1b}[2j");
        assert_eq!(key.reply.chars().count(), MAX_TEXT + 1);
        assert!(key.reply.ends_with('…'));
    }
}
