//! The DNS blocklist part of a report: postscreen ranks and dnsblog listings.

use crate::blocklists::{Blocklists, CappedCounts, Listing};
use serde::{Deserialize, Serialize};

/// Clients that reached one postscreen DNSBL rank.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RankRow {
    /// The combined score of the lists that named the client.
    pub rank: u32,
    /// postscreen `DNSBL rank` lines with this rank.
    pub count: u64,
}

/// How often one blocklist listed a client with one answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListingRow {
    /// The blocklist's domain, lower case.
    pub list: String,
    /// Its answer (`127.0.0.4`).
    pub reply: String,
    /// dnsblog lines.
    pub count: u64,
}

/// postscreen DNSBL ranks and dnsblog listings.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlocklistsOut {
    /// Clients by rank, lowest rank first.
    pub ranks: Vec<RankRow>,
    /// Set when the input held more distinct ranks than are listed: the total of all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ranks_capped: Option<u64>,
    /// Listings, most frequent first.
    pub listings: Vec<ListingRow>,
    /// Set when the input held more distinct listings than are listed: the total of all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub listings_capped: Option<u64>,
}

impl BlocklistsOut {
    /// The rows of a summary's counts.
    pub fn new(blocklists: &Blocklists) -> BlocklistsOut {
        let mut listings: Vec<ListingRow> = blocklists
            .listings
            .entries
            .iter()
            .map(|(key, &count)| ListingRow {
                list: key.list.clone(),
                reply: key.reply.clone(),
                count,
            })
            .collect();
        // Busiest first; the key breaks ties, so the order is stable.
        listings.sort_by(|a, b| (b.count, &a.list, &a.reply).cmp(&(a.count, &b.list, &b.reply)));
        BlocklistsOut {
            ranks: blocklists
                .ranks
                .entries
                .iter()
                .map(|(&rank, &count)| RankRow { rank, count })
                .collect(),
            ranks_capped: blocklists.ranks.capped,
            listings,
            listings_capped: blocklists.listings.capped,
        }
    }

    /// Whether there is nothing to show.
    pub fn is_empty(&self) -> bool {
        self.ranks.is_empty()
            && self.ranks_capped.is_none()
            && self.listings.is_empty()
            && self.listings_capped.is_none()
    }

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
