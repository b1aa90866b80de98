//! The DNS blocklist part of a report: postscreen ranks and dnsblog listings.

use crate::count::blocklists::Blocklists;
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
}

#[cfg(test)]
mod tests {
    use crate::count::blocklists::Listing;
    use crate::count::blocklists::MAX_KEYS;
    use crate::count::Summary;
    use crate::report::{csv, text, Dimension, Report};

    /// A summary whose rank table capped and whose listing table did not.
    fn capped_summary() -> Summary {
        let mut summary = Summary::new();
        for rank in 0..=MAX_KEYS as u32 {
            summary.blocklists.ranks.add(rank, 1);
        }
        summary
            .blocklists
            .listings
            .add(Listing::new(b"zen.dnsbl.test", b"127.0.0.4"), 2);
        summary
    }

    #[test]
    fn a_capped_table_shows_its_total_and_survives_merge() {
        let report = Report::new(&capped_summary());
        let b = &report.blocklists;
        assert!(b.ranks.is_empty());
        assert_eq!(b.ranks_capped, Some(MAX_KEYS as u64 + 1));
        assert_eq!(b.listings.len(), 1);
        assert_eq!(b.to_blocklists(), capped_summary().blocklists);

        let mut out = Vec::new();
        text::write_table(&report, Dimension::DnsblRank, &mut out).unwrap();
        let shown = String::from_utf8(out).unwrap();
        assert!(shown.contains(" all ranks      1001\n"), "{shown}");
        let mut out = Vec::new();
        csv::write_table(&report, Dimension::DnsblRank, &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "dnsbl_rank,clients\nall ranks,1001\n"
        );
    }
}
