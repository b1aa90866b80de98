//! The rules file's promises: it parses, its examples pick their own rules, broken files are
//! refused, ranges expand, and every host suffix is recognised.

use super::matcher::masked_parts;
use super::rules::expand_range;
use super::*;
use crate::parse::Parser;
use crate::stamp::YearRule;

mod coverage;
mod matching;

#[test]
fn embedded_rules_parse() {
    let parsed = Rules::parse(PROVIDERS_TOML).unwrap();
    assert!(parsed.all().len() >= 60, "{} rules", parsed.all().len());
}

#[test]
fn file_is_well_formed() {
    // `validate` is what promises this; check its result independently here.
    let rules = rules().all();
    let mut ids = std::collections::HashSet::new();
    for rule in rules {
        assert!(ids.insert(&rule.id), "duplicate id {}", rule.id);
        assert!(
            rule.url.starts_with("https://"),
            "{}: {}",
            rule.id,
            rule.url
        );
        assert!(rule.provider.len() > 2, "{}", rule.id);
        for text in [&rule.meaning, &rule.action] {
            assert!(text.len() > 20, "{}: {text:?}", rule.id);
        }
        assert!(!rule.examples.is_empty(), "{}", rule.id);
        assert!(
            !rule.tokens.is_empty() || !rule.hosts.is_empty() || !rule.marks.is_empty(),
            "{}",
            rule.id
        );
        assert_eq!(
            rule.kind == Kind::Blocklist,
            rule.action_sent.as_deref().is_some_and(|a| a.len() > 20),
            "{}",
            rule.id
        );
    }
}

/// A rules file of one rule, with `extra` lines in it.
fn one_rule(extra: &str) -> String {
    format!(
        "[[rule]]\nid = \"a\"\nprovider = \"P\"\nkind = \"mailbox\"\ntokens = [\"T1\"]\n\
         meaning = \"m\"\naction = \"a\"\n{extra}\n[[rule.example]]\ntext = \"550 T1\"\n"
    )
}

#[test]
fn broken_files_are_refused_with_the_reason() {
    let with_url = |url: &str| one_rule(&format!("url = \"{url}\""));
    assert!(Rules::parse(&with_url("https://example.test/")).is_ok());
    for (text, problem) in [
        (with_url("http://example.test/"), "https"),
        (with_url(""), "url"),
        (
            format!(
                "{}{}",
                with_url("https://x.test/"),
                with_url("https://y.test/")
            ),
            "duplicate",
        ),
        (
            with_url("https://x.test/").replace("meaning = \"m\"", "meaning = \" \""),
            "meaning is empty",
        ),
        (
            with_url("https://x.test/").replace("kind = \"mailbox\"", "kind = \"blocklist\""),
            "action_sent",
        ),
        (
            with_url("https://x.test/").replace("tokens = [\"T1\"]", "tokens = []"),
            "needs tokens",
        ),
        (
            with_url("https://x.test/").replace("tokens = [\"T1\"]", "hosts = [\"Bad Host\"]"),
            "host suffix",
        ),
        (
            with_url("https://x.test/") + "sent = true\n",
            "sent example",
        ),
        (
            with_url("https://x.test/").replace("[[rule.example]]\ntext = \"550 T1\"\n", ""),
            "example",
        ),
    ] {
        let err = Rules::parse(&text).expect_err(&text).to_string();
        assert!(err.contains(problem), "{err} (wanted {problem:?})");
    }
}

#[test]
fn every_example_picks_its_own_rule_and_ties_with_no_other() {
    let rules = rules();
    for (id, rule) in rules.iter() {
        for example in &rule.examples {
            let found = rules.matches(
                example.text.as_bytes(),
                example.host.as_deref().map(str::as_bytes),
                example.direction(),
            );
            let Some(best) = found.first() else {
                panic!("{}: no rule matches {:?}", rule.id, example.text);
            };
            assert_eq!(
                rules.get(best.rule).id,
                rule.id,
                "example of {} picked {} ({:?})",
                rule.id,
                rules.get(best.rule).id,
                example.text
            );
            assert_eq!(best.rule, id);
            for other in &found[1..] {
                assert!(
                    !other.ties_with(best),
                    "example of {} ties with {} ({:?})",
                    rule.id,
                    rules.get(other.rule).id,
                    example.text
                );
            }
            assert_eq!(
                rules.classify(
                    example.text.as_bytes(),
                    example.host.as_deref().map(str::as_bytes),
                    example.direction()
                ),
                Some(id)
            );
        }
    }
}

#[test]
fn ranges_expand_and_other_tokens_stay() {
    let codes = expand_range("5.7.606-649").unwrap();
    assert_eq!(codes.len(), 44);
    assert_eq!(codes.first().map(String::as_str), Some("5.7.606"));
    assert_eq!(codes.last().map(String::as_str), Some("5.7.649"));
    for not_a_range in [
        "sbl-xbl.spamhaus.org",
        "dnsbl-1.uceprotect.net",
        "5.7.9-5",
        "5.7.50-40",
        "x.7.1-2",
    ] {
        assert_eq!(expand_range(not_a_range), None, "{not_a_range}");
    }
}

#[test]
fn every_host_suffix_is_recognised_however_long() {
    // The lookup skips suffixes longer than the longest in the file: each suffix, alone or
    // under a longer name, must still name its provider (a too-small bound would drop the
    // longest). The text holds a token of the rule and no mark, so only the host can.
    let rules = rules();
    let mut longest = 0;
    for (id, rule) in rules.iter().filter(|(_, rule)| !rule.hosts.is_empty()) {
        let text = format!("550 {}", rule.tokens.first().map_or("x", String::as_str));
        let expected = match rule.tokens.is_empty() {
            true => Specificity::Provider,
            false => Specificity::ProviderAndToken,
        };
        let specificity = |host: &str| {
            rules
                .matches(text.as_bytes(), Some(host.as_bytes()), Direction::Received)
                .iter()
                .find(|m| m.rule == id)
                .map(|m| m.specificity)
        };
        for suffix in &rule.hosts {
            longest = longest.max(suffix.len());
            for host in [
                suffix.clone(),
                format!("mx1.{suffix}"),
                format!("a-very-long-label-before-it.mx.{}.", suffix.to_uppercase()),
            ] {
                assert_eq!(specificity(&host), Some(expected), "{} in {host}", rule.id);
            }
            // A name that only ends like the suffix, without a label edge, is not it.
            let glued = format!("x{suffix}");
            assert_ne!(
                specificity(&glued),
                Some(expected),
                "{} in {glued}",
                rule.id
            );
        }
    }
    assert!(longest > 10, "the file names long host suffixes");
}
