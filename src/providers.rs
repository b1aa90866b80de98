//! Provider-aware diagnosis: which mailbox provider, blocklist or filtering gateway a reply
//! comes from, what it means and what to do about it.
//!
//! The rules are data (`catalogue/providers.toml`, embedded at build time). A reply is
//! matched by its text (one Aho-Corasick pass finds every mark and token of every rule)
//! and by its relay host (one hash lookup per label). Only problem lines are matched, so
//! ordinary lines never pay for it.

use crate::code::EnhancedCode;
use crate::parse::{Event, ParsedLine};
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use memchr::memmem;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use std::cmp::Reverse;
use std::sync::OnceLock;

const PROVIDERS_TOML: &str = include_str!("../catalogue/providers.toml");

/// Most rules a file may hold: matching keeps its per-rule state on the stack.
pub const MAX_RULES: usize = 256;

/// Longest relay host looked up (a DNS name has at most 253 characters).
const MAX_HOST: usize = 253;

/// What a rule is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A mailbox provider (Gmail, Microsoft 365, ...).
    Mailbox,
    /// A DNS blocklist (Spamhaus, Barracuda, ...).
    Blocklist,
    /// A filtering service in front of an organisation (Proofpoint, Mimecast).
    Gateway,
}

impl Kind {
    /// Name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Mailbox => "mailbox",
            Kind::Blocklist => "blocklist",
            Kind::Gateway => "gateway",
        }
    }
}

/// Who said a reply: a remote server to us, or our server to a client.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// A reply our server received from a server it delivered to.
    Received,
    /// A reply our server sent to a client it refused.
    Sent,
}

impl Direction {
    /// Name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            Direction::Received => "received",
            Direction::Sent => "sent",
        }
    }
}

/// An example reply that a rule must pick.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Example {
    /// The reply text, codes included.
    pub text: String,
    /// The relay host it came from, if the example needs one.
    #[serde(default)]
    pub host: Option<String>,
    /// Our server sent it (a blocklist reject), rather than received it.
    #[serde(default)]
    pub sent: bool,
}

impl Example {
    /// The example's direction.
    pub fn direction(&self) -> Direction {
        if self.sent {
            Direction::Sent
        } else {
            Direction::Received
        }
    }
}

/// One rule: how to recognise a provider's reply and what to tell the admin.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// Unique id, such as `gmail-rate-limit`.
    pub id: String,
    /// The provider or blocklist, such as `Gmail / Google Workspace`.
    pub provider: String,
    /// Mailbox provider, blocklist or gateway.
    pub kind: Kind,
    /// Relay host suffixes (`google.com`); they count only for replies we received.
    #[serde(default)]
    pub hosts: Vec<String>,
    /// Words of the reply that name the provider (`gsmtp`).
    #[serde(default)]
    pub marks: Vec<String>,
    /// Words of the reply that name the problem (`4.7.28`); any one will do.
    #[serde(default)]
    pub tokens: Vec<String>,
    /// What it means.
    pub meaning: String,
    /// What to do when a remote server said it to us.
    pub action: String,
    /// For blocklists: what to do when our server said it to a client.
    #[serde(default)]
    pub action_sent: Option<String>,
    /// The provider's own postmaster, lookup or delisting page.
    pub url: String,
    /// Replies this rule must pick.
    #[serde(rename = "example")]
    pub examples: Vec<Example>,
}

impl Rule {
    /// What to do about a reply in this direction.
    pub fn action_for(&self, direction: Direction) -> &str {
        match (direction, &self.action_sent) {
            (Direction::Sent, Some(action)) => action,
            _ => &self.action,
        }
    }

    /// Whether the provider must be recognised (by host or mark) for the rule to match.
    fn needs_provider(&self) -> bool {
        !self.hosts.is_empty() || !self.marks.is_empty()
    }

    /// Whether the rule applies to replies in this direction: only blocklists apply to
    /// replies we sent (our reject of a client that Gmail runs is not Gmail's advice).
    pub fn applies_to(&self, direction: Direction) -> bool {
        direction == Direction::Received || self.kind == Kind::Blocklist
    }
}

/// A rule's position in the rules file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RuleId(u16);

/// How much of a rule matched, least specific first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Specificity {
    /// The host or a mark named the provider; the rule has no tokens.
    Provider,
    /// A token matched; the rule names no provider.
    Token,
    /// The host or a mark named the provider and a token matched.
    ProviderAndToken,
}

/// One rule that matched a reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Match {
    /// The rule.
    pub rule: RuleId,
    /// How much of it matched.
    pub specificity: Specificity,
    /// Length of the longest token that matched (0 for none).
    pub token_len: usize,
}

impl Match {
    /// The order of preference: most specific, then longest token, then earliest rule.
    fn rank(&self) -> (Specificity, usize, Reverse<RuleId>) {
        (self.specificity, self.token_len, Reverse(self.rule))
    }

    /// Whether two matches are equally good but for the order of the rules in the file.
    pub fn ties_with(&self, other: &Match) -> bool {
        (self.specificity, self.token_len) == (other.specificity, other.token_len)
    }
}

/// The rule a reply matched and who said the reply: what a problem group keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Hit {
    /// The rule.
    pub rule: RuleId,
    /// Who said it.
    pub direction: Direction,
}

/// Why a rules file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum RulesError {
    /// Not TOML, or not the shape of a rules file.
    #[error("the provider rules are not valid: {0}")]
    Toml(#[from] toml::de::Error),
    /// A rule breaks one of the file's promises.
    #[error("provider rule {id:?}: {problem}")]
    Invalid {
        /// The rule's id.
        id: String,
        /// What is wrong with it.
        problem: String,
    },
    /// The matcher could not be built.
    #[error("the provider rules cannot be compiled: {0}")]
    Build(#[from] aho_corasick::BuildError),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesFile {
    rule: Vec<Rule>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    Mark,
    Token,
}

/// One distinct pattern of the automaton, and the rules that use it.
#[derive(Debug)]
struct Pattern {
    /// Length in bytes, at most 255 (checked when the rules are parsed).
    len: u8,
    /// A token written `word*`: no word edge wanted after it.
    prefix: bool,
    /// Starts with a digit: a dot before it means it is the tail of a longer code.
    digit_start: bool,
    uses: Vec<(u16, Role)>,
}

/// The rules, with their matchers built.
#[derive(Debug)]
pub struct Rules {
    rules: Vec<Rule>,
    automaton: AhoCorasick,
    patterns: Vec<Pattern>,
    /// Host suffix (lower case) → rules that name it.
    hosts: FxHashMap<Box<[u8]>, Vec<u16>>,
    /// The last labels (`com`, `net`) of those suffixes, and their longest length: a host
    /// ending otherwise, or a longer suffix, is not looked up.
    last_labels: Vec<Box<[u8]>>,
    longest_host: usize,
    /// Tokens that are enhanced codes → (rule, token length): a problem line's code is
    /// looked up here instead of being scanned.
    codes: FxHashMap<EnhancedCode, Vec<(u16, u8)>>,
    /// The most words (parts between spaces) any mark or token has.
    max_words: usize,
}

/// The embedded rules, parsed and compiled once.
pub fn rules() -> &'static Rules {
    static RULES: OnceLock<Rules> = OnceLock::new();
    RULES.get_or_init(|| {
        Rules::parse(PROVIDERS_TOML).expect("the embedded provider rules are checked by tests")
    })
}

/// `4.7.500-699` → every code from 4.7.500 to 4.7.699; other tokens stay as they are.
fn expand_range(token: &str) -> Option<Vec<String>> {
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

    /// Every rule, in file order.
    pub fn all(&self) -> &[Rule] {
        &self.rules
    }

    /// Every rule with its id.
    pub fn iter(&self) -> impl Iterator<Item = (RuleId, &Rule)> {
        self.rules
            .iter()
            .enumerate()
            .map(|(i, r)| (RuleId(i as u16), r))
    }

    /// The rule with an id.
    pub fn get(&self, id: RuleId) -> &Rule {
        &self.rules[usize::from(id.0)]
    }

    /// The rule named by its text id (`gmail-rate-limit`).
    pub fn find(&self, name: &str) -> Option<RuleId> {
        self.rules
            .iter()
            .position(|r| r.id == name)
            .map(|i| RuleId(i as u16))
    }

    /// Every rule that matches a reply, best first.
    pub fn matches(&self, text: &[u8], host: Option<&[u8]>, direction: Direction) -> Vec<Match> {
        let mut found = Vec::new();
        self.each_match(Texts::Whole(text), &[], None, host, direction, |m| {
            found.push(m)
        });
        found.sort_by_key(|m| Reverse(m.rank()));
        found
    }

    /// The best rule for a reply, if any matches.
    pub fn classify(
        &self,
        text: &[u8],
        host: Option<&[u8]>,
        direction: Direction,
    ) -> Option<RuleId> {
        self.best(text, None, host, direction)
    }

    /// The best rule for a reply text whose enhanced code is given apart (`status`).
    fn best(
        &self,
        text: &[u8],
        status: Option<EnhancedCode>,
        host: Option<&[u8]>,
        direction: Direction,
    ) -> Option<RuleId> {
        self.best_in(Texts::Whole(text), &[], status, host, direction)
    }

    /// [`Rules::best`] over several texts, with evidence found before (by an earlier scan of
    /// other parts of the reply).
    fn best_in(
        &self,
        texts: Texts<'_>,
        evidence: &[Evidence],
        status: Option<EnhancedCode>,
        host: Option<&[u8]>,
        direction: Direction,
    ) -> Option<RuleId> {
        let mut best: Option<Match> = None;
        self.each_match(texts, evidence, status, host, direction, |m| {
            if best.is_none_or(|b| m.rank() > b.rank()) {
                best = Some(m);
            }
        });
        best.map(|m| m.rule)
    }

    fn each_match(
        &self,
        texts: Texts<'_>,
        evidence: &[Evidence],
        status: Option<EnhancedCode>,
        host: Option<&[u8]>,
        direction: Direction,
        mut found: impl FnMut(Match),
    ) {
        let mut seen = Seen::new();
        if let Some(uses) = status.and_then(|s| self.codes.get(&s)) {
            for &(rule, len) in uses {
                seen.token(rule, len);
            }
        }
        if direction == Direction::Received {
            if let Some(host) = host {
                self.mark_hosts(host, &mut seen);
            }
        }
        let mut note = |(rule, role, len): Evidence| match role {
            Role::Mark => seen.recognise(rule),
            Role::Token => seen.token(rule, len),
        };
        evidence.iter().copied().for_each(&mut note);
        match texts {
            Texts::Whole(text) => self.scan(text, &mut note),
            Texts::Masked(text, ids) => {
                masked_parts(text, self.max_words, ids, |part| self.scan(part, &mut note))
            }
        }
        // Only the rules something pointed at; most problem replies point at none.
        for &index in seen.candidates() {
            let index = usize::from(index);
            let rule = &self.rules[index];
            if !rule.applies_to(direction) {
                continue;
            }
            let (recognised, token_len) = seen.state(index);
            let token = token_len > 0;
            let specificity = match (rule.needs_provider(), rule.tokens.is_empty()) {
                (true, false) if recognised && token => Specificity::ProviderAndToken,
                (true, true) if recognised => Specificity::Provider,
                (false, false) if token => Specificity::Token,
                _ => continue,
            };
            found(Match {
                rule: RuleId(index as u16),
                specificity,
                token_len: usize::from(token_len),
            });
        }
    }

    /// Every mark and token in a text, as (rule, role, token length).
    ///
    /// Leftmost-longest, one match at a time: a word inside a longer one that matched
    /// (`spamhaus` in `zen.spamhaus.org`) does not count again. A match that fails its word
    /// edges gives way to whatever starts after its first byte.
    fn scan(&self, text: &[u8], mut note: impl FnMut(Evidence)) {
        let mut at = 0;
        while at < text.len() {
            let Some(m) = self
                .automaton
                .find(aho_corasick::Input::new(text).range(at..))
            else {
                break;
            };
            let pattern = &self.patterns[m.pattern().as_usize()];
            if !at_word_edges(text, m.start(), m.end(), pattern) {
                at = m.start() + 1;
                continue;
            }
            at = m.end();
            for &(rule, role) in &pattern.uses {
                note((rule, role, pattern.len));
            }
        }
    }

    /// Mark the rules whose host suffix ends the host (at a label edge, any case); whether
    /// any was.
    fn mark_hosts(&self, host: &[u8], seen: &mut Seen) {
        let host = host.strip_suffix(b".").unwrap_or(host);
        if host.is_empty() || host.len() > MAX_HOST {
            return;
        }
        let mut buffer = [0u8; MAX_HOST];
        let lower: &[u8] = if host.iter().any(u8::is_ascii_uppercase) {
            let lower = &mut buffer[..host.len()];
            for (l, h) in lower.iter_mut().zip(host) {
                *l = h.to_ascii_lowercase();
            }
            lower
        } else {
            host
        };
        let last = memchr::memrchr(b'.', lower).map_or(lower, |dot| &lower[dot + 1..]);
        if self
            .last_labels
            .binary_search_by(|l| (**l).cmp(last))
            .is_err()
        {
            return;
        }
        // Suffixes longer than the longest in the file are not looked up: start at the first
        // label edge that leaves one short enough.
        let shortest_start = lower.len().saturating_sub(self.longest_host);
        let mut start = match shortest_start {
            0 => 0,
            from => match memchr::memchr(b'.', &lower[from - 1..]) {
                Some(dot) => from + dot,
                None => return,
            },
        };
        // Every suffix in the file has two labels or more (checked): the last label alone
        // (`com`) is never looked up.
        while let Some(dot) = memchr::memchr(b'.', &lower[start..]) {
            if let Some(rules) = self.hosts.get(&lower[start..]) {
                for &rule in rules {
                    seen.recognise(rule);
                }
            }
            start += dot + 1;
        }
    }

    /// The rule of a problem line: its reply (codes and text), relay host and direction.
    /// The same as [`Rules::classify`] of [`reply_text_into`]'s text, without building it:
    /// the enhanced code is looked up rather than scanned (and the pre-masked reason is
    /// scanned apart from what the pre-mask hides, as the report does through its cache).
    ///
    /// The words of the pre-masked reason come from the problem normaliser's per-thread
    /// cache, so they are found once per distinct problem text, not once per line; only
    /// what the pre-mask hid is scanned here ([`masked_parts`]). No word spans the two
    /// parts: words hold no bracket and no id inside a longer word (checked).
    pub fn classify_line(&self, line: &ParsedLine<'_>, raw: &[u8]) -> Option<Hit> {
        let text = line.reason.unwrap_or_default();
        let (words, hidden) = crate::count::normalise::cached_words(text);
        // Nothing masked: the cached words are every word of the text.
        let text = if hidden.any() { text } else { &[] };
        self.classify_parts(line, raw, Texts::Masked(text, hidden.ids), &words.0)
    }

    /// The words of a reason with the insides of its `[...]` and `<...>` masked (as the
    /// problem normaliser masks them), for [`Rules::classify_line`].
    pub fn words(&self, masked: &[u8]) -> Words {
        let mut found = Vec::new();
        self.scan(masked, |e| found.push(e));
        Words(found.into_boxed_slice())
    }

    fn classify_parts(
        &self,
        line: &ParsedLine<'_>,
        raw: &[u8],
        texts: Texts<'_>,
        evidence: &[Evidence],
    ) -> Option<Hit> {
        let direction = direction_of(line, raw);
        // Only replies we received are matched by their host: no host search otherwise.
        let host = (direction == Direction::Received)
            .then(|| {
                if line.kind == crate::parse::LineKind::Mail(crate::parse::Mta::Exim) {
                    exim_host(raw)
                } else {
                    postfix_host(raw)
                }
            })
            .flatten();
        let status = line.enhanced.or(line.dsn);
        self.best_in(texts, evidence, status, host, direction)
            .map(|rule| Hit { rule, direction })
    }
}

/// A word of a rule found in a reply: the rule, whether it was a mark or a token, and the
/// token's length.
type Evidence = (u16, Role, u8);

/// What to scan of a reply text: all of it, or only what the pre-mask hides (the rest came
/// from the cache), and whether that includes id words.
#[derive(Clone, Copy)]
enum Texts<'t> {
    Whole(&'t [u8]),
    Masked(&'t [u8], bool),
}

/// The words of rules found in a text (see [`Rules::words`]).
#[derive(Clone, Debug, Default)]
pub struct Words(Box<[Evidence]>);

/// The parts of a text that [`crate::count::normalise::premask_into`] masks, to be scanned apart
/// from the rest (which [`Rules::words`] scans once per distinct masked text): the insides of
/// `[...]` and `<...>` (from an opener to the next closer of its kind, or to the end), and
/// around each id word it masks ([`crate::count::normalise::id_part`]) a window of `span` words each
/// way. Ids are glued to words (`554-Bad`), so a word of several (`Bad DNS PTR resource
/// record`) may start or end in one: the window holds any such match whole.
///
/// Without `ids` (the pre-mask masked no id word, so no word here is one) only the
/// brackets are found, without walking the words.
fn masked_parts(text: &[u8], span: usize, ids: bool, mut part: impl FnMut(&[u8])) {
    if !ids {
        for bracket in crate::count::normalise::brackets(text) {
            part(bracket.inside(text));
        }
        return;
    }
    let window = |from: usize, to: usize| {
        let start = (0..span).fold(from, |at, _| {
            at.checked_sub(1)
                .and_then(|before| memchr::memrchr(b' ', &text[..before]))
                .map_or(0, |space| space + 1)
        });
        let end = (0..span).fold(to, |at, _| {
            text.get(at + 1..)
                .and_then(|after| memchr::memchr(b' ', after))
                .map_or(text.len(), |space| at + 1 + space)
        });
        (start, end.max(to))
    };
    // Words are split at spaces outside brackets; a word that holds a bracket is never an
    // id (ids are letters, digits, `_` and `-`).
    let (mut word, mut tainted, mut at) = (0, false, 0);
    loop {
        let next = memchr::memchr3(b' ', b'[', b'<', &text[at..]).map(|found| at + found);
        let word_end = match next {
            Some(i) if text[i] != b' ' => None,
            Some(i) => Some(i),
            None => Some(text.len()),
        };
        if let Some(end) = word_end {
            if !tainted && crate::count::normalise::id_part(&text[word..end]).is_some() {
                let (from, to) = window(word, end);
                part(&text[from..to]);
            }
            match next {
                Some(i) => (word, tainted, at) = (i + 1, false, i + 1),
                None => return,
            }
            continue;
        }
        let i = next.unwrap_or(text.len());
        let close = if text[i] == b'[' { b']' } else { b'>' };
        tainted = true;
        match memchr::memchr(close, &text[i + 1..]) {
            Some(end) => {
                part(&text[i + 1..i + 1 + end]);
                at = i + 1 + end + 1;
            }
            None => {
                part(&text[i + 1..]);
                return;
            }
        }
    }
}

/// What one reply pointed at, per rule, on the stack: provider recognised, longest token,
/// and the rules touched in the order they were first touched.
struct Seen {
    recognised: [bool; MAX_RULES],
    token_len: [u8; MAX_RULES],
    touched: [u8; MAX_RULES],
    count: usize,
}

impl Seen {
    fn new() -> Seen {
        Seen {
            recognised: [false; MAX_RULES],
            token_len: [0; MAX_RULES],
            touched: [0; MAX_RULES],
            count: 0,
        }
    }

    fn touch(&mut self, rule: usize) {
        if !self.recognised[rule] && self.token_len[rule] == 0 {
            // `MAX_RULES` is 256 and rules are checked to fit, so the index fits a byte.
            self.touched[self.count] = rule as u8;
            self.count += 1;
        }
    }

    fn recognise(&mut self, rule: u16) {
        let rule = usize::from(rule);
        self.touch(rule);
        self.recognised[rule] = true;
    }

    fn token(&mut self, rule: u16, len: u8) {
        let rule = usize::from(rule);
        self.touch(rule);
        self.token_len[rule] = self.token_len[rule].max(len.max(1));
    }

    fn candidates(&self) -> &[u8] {
        &self.touched[..self.count]
    }

    fn state(&self, rule: usize) -> (bool, u8) {
        (self.recognised[rule], self.token_len[rule])
    }
}

/// The reply a parsed line carries, as a reply text: code, enhanced code (or dsn), text.
/// The parser keeps the codes apart from the text, and tokens such as `4.7.28` are codes.
pub fn reply_text_into(line: &ParsedLine<'_>, out: &mut Vec<u8>) {
    // Digits by hand: this runs on every problem line, and `write!` costs more than the match.
    fn number(n: u16, out: &mut Vec<u8>) {
        let mut digits = [0u8; 5];
        let mut at = digits.len();
        let mut n = n;
        loop {
            at -= 1;
            digits[at] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        out.extend_from_slice(&digits[at..]);
    }
    out.clear();
    if let Some(code) = line.code {
        number(code.value(), out);
        out.push(b' ');
    }
    if let Some(status) = line.enhanced.or(line.dsn) {
        number(u16::from(status.class()), out);
        out.push(b'.');
        number(status.subject(), out);
        out.push(b'.');
        number(status.detail(), out);
        out.push(b' ');
    }
    out.extend_from_slice(line.reason.unwrap_or_default());
}

/// Whether a match stands as a word of its own: `5.7.2` must not match inside `5.7.26`,
/// nor `7.26` inside `5.7.26`, but `zen.spamhaus.org` matches in `a.zen.spamhaus.org`.
fn at_word_edges(text: &[u8], start: usize, end: usize, pattern: &Pattern) -> bool {
    let before_ok = match start.checked_sub(1).map(|i| text[i]) {
        None => true,
        Some(b) => !(b.is_ascii_alphanumeric() || pattern.digit_start && b == b'.'),
    };
    let after_ok = pattern.prefix || text.get(end).is_none_or(|b| !b.is_ascii_alphanumeric());
    before_ok && after_ok
}

/// Who said the reply of a problem line. Rejections are ours; delivery events are the
/// remote server's. Lines without an event are replies to our client (Postfix smtp/lmtp,
/// Exim's client-side authenticator and callout answers) or else ours.
pub fn direction_of(line: &ParsedLine<'_>, raw: &[u8]) -> Direction {
    match line.event {
        Some(Event::Rejected | Event::RejectWarning) => Direction::Sent,
        Some(_) => Direction::Received,
        None => {
            let client_side = match line.program {
                b"smtp" | b"lmtp" => true,
                b"exim" => {
                    memmem::find(raw, b"authenticator failed H=").is_some()
                        || memmem::find(raw, b" was: ").is_some()
                }
                _ => false,
            };
            if client_side {
                Direction::Received
            } else {
                Direction::Sent
            }
        }
    }
}

/// The relay or peer host a raw Postfix or Exim line names: Postfix `relay=HOST[ip]:port`,
/// `host HOST[ip] said:` (or `refused to talk to me`), the client of a Postfix
/// `reject: RCPT from HOST[ip]:`, and Exim ` H=HOST [ip]`. A bare IP, `none`, `unknown` and
/// Exim's unverified `(helo)` names are not host names.
pub fn relay_host(line: &[u8]) -> Option<&[u8]> {
    postfix_host(line).or_else(|| exim_host(line))
}

/// The host of a Postfix line; the searches run one after the other, only as far as needed.
fn postfix_host(line: &[u8]) -> Option<&[u8]> {
    let name_before_bracket = |at: usize| -> Option<&[u8]> {
        let rest = &line[at..];
        let end = rest
            .iter()
            .position(|&b| matches!(b, b'[' | b',' | b' ' | b')'))?;
        (rest[end] == b'[')
            .then(|| &rest[..end])
            .filter(|h| is_host_name(h))
    };
    let f = finders();
    f.relay
        .find(line)
        .and_then(|i| name_before_bracket(i + 7))
        .or_else(|| {
            f.paren_host
                .find(line)
                .and_then(|i| name_before_bracket(i + 6))
        })
        .or_else(|| {
            f.colon_host
                .find(line)
                .and_then(|i| name_before_bracket(i + 7))
        })
        .or_else(|| {
            let at = f.reject.find(line)?;
            let from = f.from.find(&line[at..])? + at + 6;
            name_before_bracket(from)
        })
}

/// The host of an Exim line (` H=HOST [ip]`).
fn exim_host(line: &[u8]) -> Option<&[u8]> {
    let at = finders().exim_host.find(line)?;
    let rest = &line[at + 3..];
    let end = rest.iter().position(|&b| b == b' ').unwrap_or(rest.len());
    Some(&rest[..end]).filter(|h| is_host_name(h))
}

/// Searchers for [`relay_host`], built once: building one costs more than a search.
struct HostFinders {
    relay: memmem::Finder<'static>,
    paren_host: memmem::Finder<'static>,
    colon_host: memmem::Finder<'static>,
    exim_host: memmem::Finder<'static>,
    reject: memmem::Finder<'static>,
    from: memmem::Finder<'static>,
}

fn finders() -> &'static HostFinders {
    static FINDERS: OnceLock<HostFinders> = OnceLock::new();
    FINDERS.get_or_init(|| HostFinders {
        relay: memmem::Finder::new(b" relay="),
        paren_host: memmem::Finder::new(b"(host "),
        colon_host: memmem::Finder::new(b": host "),
        exim_host: memmem::Finder::new(b" H="),
        reject: memmem::Finder::new(b"reject: "),
        from: memmem::Finder::new(b" from "),
    })
}

/// A DNS name with at least one dot and one letter, not an address or a placeholder.
fn is_host_name(host: &[u8]) -> bool {
    if host.len() > MAX_HOST || host.first().is_none_or(|&b| b == b'.') {
        return false;
    }
    let (mut dot, mut letter) = (false, false);
    for &b in host {
        match b {
            b'.' => dot = true,
            b'-' | b'_' | b'0'..=b'9' => {}
            b if b.is_ascii_alphabetic() => letter = true,
            _ => return false,
        }
    }
    dot && letter
}

#[cfg(test)]
mod tests;
