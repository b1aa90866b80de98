//! Provider-aware diagnosis: which mailbox provider, blocklist or filtering gateway a reply
//! comes from, what it means and what to do about it.
//!
//! The rules are data (`catalogue/providers.toml`, embedded at build time). A reply is
//! matched by its text (one Aho-Corasick pass finds every mark and token of every rule)
//! and by its relay host (one hash lookup per label). Only problem lines are matched, so
//! ordinary lines never pay for it.

use crate::code::EnhancedCode;
use crate::parse::{Event, ParsedLine};
use aho_corasick::AhoCorasick;
use memchr::memmem;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use std::cmp::Reverse;
use std::sync::OnceLock;

mod matcher;
mod rules;

pub use matcher::Words;

const PROVIDERS_TOML: &str = include_str!("../../catalogue/providers.toml");

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

impl Rules {
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
