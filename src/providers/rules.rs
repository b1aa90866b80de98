//! Reading the rules file: parsing and checking it, and building the automaton of marks and
//! tokens and the tables of host suffixes and enhanced codes.

use super::{Direction, Kind, Pattern, Role, Rule, Rules, RulesError, MAX_RULES};
use crate::code::EnhancedCode;
use aho_corasick::{AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use rustc_hash::FxHashMap;
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesFile {
    rule: Vec<Rule>,
}
/// `4.7.500-699` → every code from 4.7.500 to 4.7.699; other tokens stay as they are.
pub(super) fn expand_range(token: &str) -> Option<Vec<String>> {
    let (code, last) = token.split_once('-')?;
    let (head, first) = code.rsplit_once('.')?;
    let digits = |s: &str| !s.is_empty() && s.len() <= 3 && s.bytes().all(|b| b.is_ascii_digit());
    let mut parts = head.split('.');
    let class_and_subject_ok = parts.next().is_some_and(digits)
        && parts.next().is_some_and(digits)
        && parts.next().is_none();
    if !class_and_subject_ok || !digits(first) || !digits(last) {
        return None;
    }
    let (first, last): (u16, u16) = (first.parse().ok()?, last.parse().ok()?);
    (first < last).then(|| (first..=last).map(|d| format!("{head}.{d}")).collect())
}

fn invalid(rule: &Rule, problem: impl Into<String>) -> RulesError {
    RulesError::Invalid {
        id: rule.id.clone(),
        problem: problem.into(),
    }
}

/// Check what the file promises of every rule.
fn validate(rules: &[Rule]) -> Result<(), RulesError> {
    if rules.len() > MAX_RULES {
        return Err(RulesError::Invalid {
            id: String::new(),
            problem: format!("more than {MAX_RULES} rules"),
        });
    }
    let mut ids = std::collections::HashSet::new();
    for rule in rules {
        if rule.id.is_empty()
            || !rule
                .id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(invalid(
                rule,
                "ids are lower-case letters, digits and dashes",
            ));
        }
        if !ids.insert(rule.id.as_str()) {
            return Err(invalid(rule, "duplicate id"));
        }
        for (name, text) in [
            ("provider", &rule.provider),
            ("meaning", &rule.meaning),
            ("action", &rule.action),
            ("url", &rule.url),
        ] {
            if text.trim().is_empty() {
                return Err(invalid(rule, format!("{name} is empty")));
            }
        }
        if !rule.url.starts_with("https://") || rule.url.contains(char::is_whitespace) {
            return Err(invalid(rule, "url must be an https:// address"));
        }
        if rule.tokens.is_empty() && !rule.needs_provider() {
            return Err(invalid(rule, "needs tokens, hosts or marks"));
        }
        match (rule.kind, &rule.action_sent) {
            (Kind::Blocklist, None) => return Err(invalid(rule, "a blocklist needs action_sent")),
            (Kind::Blocklist, Some(text)) if text.trim().is_empty() => {
                return Err(invalid(rule, "action_sent is empty"))
            }
            (Kind::Blocklist, Some(_)) if rule.needs_provider() => {
                // Blocklist rules apply to replies we sent, where the host is our client.
                return Err(invalid(rule, "a blocklist is recognised by tokens only"));
            }
            (Kind::Mailbox | Kind::Gateway, Some(_)) => {
                return Err(invalid(rule, "only blocklists apply to replies we sent"))
            }
            _ => {}
        }
        for word in rule.hosts.iter().chain(&rule.marks).chain(&rule.tokens) {
            if word.trim().is_empty()
                || word.trim() != word
                || word.contains(['\n', '[', ']', '<', '>'])
                || word.len() > usize::from(u8::MAX)
            {
                return Err(invalid(rule, format!("bad word {word:?}")));
            }
        }
        for word in rule.marks.iter().chain(&rule.tokens) {
            // Ids in a reply are scanned apart from the words around them (see
            // `masked_parts`), so a word of several may not hold one.
            let id_inside = word.contains(' ')
                && word
                    .split(' ')
                    .any(|w| crate::count::normalise::id_part(w.as_bytes()).is_some());
            if id_inside {
                return Err(invalid(rule, format!("{word:?} holds an id-like word")));
            }
        }
        for host in &rule.hosts {
            let ok = host.split('.').all(|label| {
                !label.is_empty()
                    && label
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            });
            if !ok || !host.contains('.') {
                return Err(invalid(rule, format!("bad host suffix {host:?}")));
            }
        }
        if rule.examples.is_empty() {
            return Err(invalid(rule, "needs at least one example"));
        }
        for example in &rule.examples {
            if example.text.trim().is_empty() {
                return Err(invalid(rule, "an example is empty"));
            }
            if example.sent && !rule.applies_to(Direction::Sent) {
                return Err(invalid(
                    rule,
                    "a sent example for a rule of received replies",
                ));
            }
        }
    }
    Ok(())
}
impl Rules {
    /// Parse, check and compile a rules file.
    pub fn parse(text: &str) -> Result<Rules, RulesError> {
        let file: RulesFile = toml::from_str(text)?;
        validate(&file.rule)?;
        let mut by_text: FxHashMap<String, usize> = FxHashMap::default();
        let mut texts: Vec<String> = Vec::new();
        let mut patterns: Vec<Pattern> = Vec::new();
        let mut hosts: FxHashMap<Box<[u8]>, Vec<u16>> = FxHashMap::default();
        let mut codes: FxHashMap<EnhancedCode, Vec<(u16, u8)>> = FxHashMap::default();
        for (index, rule) in file.rule.iter().enumerate() {
            let index = index as u16;
            for host in &rule.hosts {
                let ids = hosts.entry(host.as_bytes().into()).or_default();
                if !ids.contains(&index) {
                    ids.push(index);
                }
            }
            let words = rule
                .marks
                .iter()
                .map(|w| (w, Role::Mark))
                .chain(rule.tokens.iter().map(|w| (w, Role::Token)));
            for (word, role) in words {
                let expanded = expand_range(word).unwrap_or_else(|| vec![word.clone()]);
                for word in expanded {
                    let code = crate::code::parse_enhanced(word.as_bytes())
                        .filter(|&(_, len)| len == word.len() && role == Role::Token);
                    if let Some((code, len)) = code {
                        let uses = codes.entry(code).or_default();
                        if !uses.iter().any(|&(r, _)| r == index) {
                            uses.push((index, len as u8));
                        }
                    }
                    let (body, prefix) = match word.strip_suffix('*') {
                        Some(body) if !body.is_empty() => (body.to_string(), true),
                        _ => (word, false),
                    };
                    let key = format!(
                        "{}{}",
                        body.to_ascii_lowercase(),
                        if prefix { "*" } else { "" }
                    );
                    let at = *by_text.entry(key).or_insert_with(|| {
                        patterns.push(Pattern {
                            len: u8::try_from(body.len()).unwrap_or(u8::MAX),
                            prefix,
                            digit_start: body.as_bytes()[0].is_ascii_digit(),
                            uses: Vec::new(),
                        });
                        texts.push(body.to_ascii_lowercase());
                        patterns.len() - 1
                    });
                    if !patterns[at].uses.contains(&(index, role)) {
                        patterns[at].uses.push((index, role));
                    }
                }
            }
        }
        // A DFA: a few instructions per byte; the default would pick an NFA for this many
        // patterns, which costs several times more on every problem line.
        let automaton = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::LeftmostLongest)
            .kind(Some(AhoCorasickKind::DFA))
            .build(&texts)?;
        let mut last_labels: Vec<Box<[u8]>> = hosts
            .keys()
            .map(|h| h.rsplit(|&b| b == b'.').next().unwrap_or(h).into())
            .collect();
        last_labels.sort();
        last_labels.dedup();
        Ok(Rules {
            rules: file.rule,
            automaton,
            patterns,
            longest_host: hosts.keys().map(|h| h.len()).max().unwrap_or(0),
            last_labels,
            hosts,
            codes,
            max_words: texts
                .iter()
                .map(|t| t.split(' ').count())
                .max()
                .unwrap_or(1),
        })
    }
}
