//! Properties (proptest): parsing never panics; the summary of a concatenation equals the
//! appended summaries of its parts; counts do not depend on how the input is chunked.

use proptest::prelude::*;
use smtplog::count::Summary;
use smtplog::input::ChunkReader;
use smtplog::parse::Parser;
use smtplog::report::Report;
use smtplog::scan::{count_chunk, Window};
use smtplog::stamp::YearRule;

/// Real lines of every kind, from the corpus, plus junk: the material the properties mix.
fn corpus_lines() -> Vec<Vec<u8>> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/");
    let mut lines = Vec::new();
    // Lines of one day, in any order: message ids are matched across chunks exactly as long as
    // log time never runs back by more than two message lifetimes (see src/count/messages.rs).
    for file in ["real/postfix-maillog.log", "real/exim-mainlog.log"] {
        let data = std::fs::read(format!("{dir}{file}")).unwrap();
        // Every 7th line keeps the pool varied and small.
        lines.extend(data.split(|b| *b == b'\n').step_by(7).map(<[u8]>::to_vec));
    }
    // Whole: lines whose counts depend on other lines of their message (host errors and the
    // address lines that repeat them, filter hand-offs and their copies).
    // Two servers' messages under the same queue ids, and instances (syslog names): counted
    // per host and instance, the ids per host.
    for file in [
        "tracker/exim-mx-fallback.log",
        "tracker/postfix-amavis.log",
        "hosts/two-servers.log",
        "hosts/instances.log",
    ] {
        let data = std::fs::read(format!("{dir}{file}")).unwrap();
        lines.extend(data.split(|b| *b == b'\n').map(<[u8]>::to_vec));
    }
    lines.push(b"\x00\x01\xff\xfe binary".to_vec());
    lines.push(Vec::new());
    lines
}

fn report_of(summary: Summary) -> Report {
    let mut summary = summary;
    summary.finish();
    Report::new(&summary)
}

fn count(data: &[u8]) -> Summary {
    count_chunk(
        &Parser::new(),
        data,
        &YearRule::fixed(2026),
        &Window::default(),
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn parsing_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let parser = Parser::new();
        let years = YearRule::fixed(2026);
        let _ = parser.parse(&bytes, &years);
        // The same bytes after each real header, so that the body parsers see them too.
        for prefix in [&b"Nov 24 12:05:23 mx1 postfix/smtp[1]: 5BFB6B82BD: "[..], b"Nov 24 12:05:23 mx1 postfix/smtpd[1]: NOQUEUE: reject: ", b"2026-11-24 12:05:40 1xVpHI-0007o9-2x ", b"2026-11-24 12:05:40 H=", b"2026-11-24T12:05:23+00:00 mx1 postfix/cleanup[2]: ABCDEF123: "] {
            let mut line = prefix.to_vec();
            line.extend_from_slice(&bytes);
            let _ = parser.parse(&line, &years);
        }
    }

    #[test]
    fn concatenation_equals_appended_parts(picks in proptest::collection::vec(0usize..10_000, 1..120), cut in 0usize..120) {
        let pool = corpus_lines();
        let lines: Vec<&[u8]> = picks.iter().map(|i| pool[i % pool.len()].as_slice()).collect();
        let cut = cut.min(lines.len());
        let join = |ls: &[&[u8]]| ls.iter().flat_map(|l| l.iter().copied().chain([b'\n'])).collect::<Vec<u8>>();
        let whole = report_of(count(&join(&lines)));
        let mut parts = Summary::new();
        parts.append(count(&join(&lines[..cut])));
        parts.append(count(&join(&lines[cut..])));
        prop_assert_eq!(report_of(parts), whole);
    }

    #[test]
    fn chunk_size_never_changes_counts(picks in proptest::collection::vec(0usize..10_000, 1..150), chunk in 1usize..3000) {
        let pool = corpus_lines();
        let data: Vec<u8> = picks.iter().flat_map(|i| pool[i % pool.len()].iter().copied().chain([b'\n'])).collect();
        let whole = report_of(count(&data));
        let mut reader = ChunkReader::new(&data[..], chunk);
        let mut total = Summary::new();
        while let Some(c) = reader.next_chunk().unwrap() {
            total.append(count(c.data()));
        }
        prop_assert_eq!(report_of(total), whole);
    }

    #[test]
    fn sampled_party_tables_never_depend_on_chunks(picks in proptest::collection::vec(0usize..10_000, 1..200), chunk in 1usize..3000, limit in 1usize..12) {
        // A tiny --max-distinct makes every table sample its keys: which keys are kept, and
        // their counts, must still not depend on where chunks begin.
        let pool = corpus_lines();
        let data: Vec<u8> = picks.iter().flat_map(|i| pool[i % pool.len()].iter().copied().chain([b'\n'])).collect();
        let mut whole = Summary::new();
        whole.set_max_distinct(limit);
        whole.append(count(&data));
        let mut reader = ChunkReader::new(&data[..], chunk);
        let mut total = Summary::new();
        total.set_max_distinct(limit);
        while let Some(c) = reader.next_chunk().unwrap() {
            total.append(count(c.data()));
        }
        prop_assert_eq!(report_of(total).parties, report_of(whole).parties);
    }
}

proptest! {
    #[test]
    fn messages_split_anywhere_count_the_same(
        file in 0usize..3,
        cuts in proptest::collection::vec(0usize..4000, 0..6),
        drop in proptest::collection::vec(0usize..40, 0..4),
    ) {
        // Whole messages in order (host errors before the address lines that repeat them, a
        // hand-off before or after its copy's lines), some lines dropped, cut anywhere.
        let name = [
            "tracker/exim-mx-fallback.log",
            "tracker/postfix-amavis.log",
            "hosts/two-servers.log",
        ][file];
        let text = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/").to_string() + name).unwrap();
        let data: Vec<u8> = text
            .split_inclusive(|b| *b == b'\n')
            .enumerate()
            .filter(|(i, _)| !drop.contains(i))
            .flat_map(|(_, line)| line.iter().copied())
            .collect();
        let whole = report_of(count(&data));
        let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c % (data.len() + 1)).collect();
        cuts.sort_unstable();
        let mut total = Summary::new();
        let mut start = 0;
        for cut in cuts.into_iter().chain([data.len()]) {
            // Parts end at line ends, as the reader cuts them.
            let end = data[cut..].iter().position(|b| *b == b'\n').map_or(data.len(), |p| cut + p + 1);
            if end > start {
                total.append(count(&data[start..end]));
                start = end;
            }
        }
        prop_assert_eq!(report_of(total), whole);
    }
}
