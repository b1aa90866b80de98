//! Matching a reply against the rules: one scan of its text (or of what the pre-mask hides,
//! [`masked_parts`]), the host suffixes of its relay ([`Rules::mark_hosts`]), and what each
//! rule was shown, kept in [`Seen`], ranked into the best match ([`Rules::classify_line`]).

use super::{
    direction_of, exim_host, postfix_host, Direction, Hit, Match, Pattern, Role, RuleId, Rules,
    Specificity, MAX_HOST, MAX_RULES,
};
use crate::code::EnhancedCode;
use crate::parse::ParsedLine;
use std::cmp::Reverse;

impl Rules {
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
pub(super) fn masked_parts(text: &[u8], span: usize, ids: bool, mut part: impl FnMut(&[u8])) {
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
