//! Lines per syslog host and per instance (`--by host`, `--by instance`), in bounded memory.
//!
//! Lines come in runs of one host and one instance (a single-host log is one run): the
//! current run is counted in place and added to its table only when the name changes, so
//! a line costs a comparison of a few bytes. The tables are [`Capped`]: exact while the
//! whole input holds at most [`MAX_SOURCES`] names, and past that only their total, for
//! any thread count and chunk size.

use crate::capped::{Capped, CappedValue};
use crate::parse::{Event, LineKind, ParsedLine};
use serde::{Deserialize, Serialize};
use std::hash::{Hash, Hasher};

/// Different hosts (and, separately, instances) listed by name before only their total is.
pub const MAX_SOURCES: usize = 10_000;

/// How reports write the host or instance of lines without one (Exim's own main log).
pub const NO_SOURCE: &str = "-";

/// What was counted for one host or instance.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceCounts {
    /// Lines (of the window; overlong lines and malformed journal entries are not counted
    /// here, having no host).
    pub lines: u64,
    /// Postfix and Exim lines (recognised or not).
    pub mail: u64,
    /// Delivered lines.
    pub delivered: u64,
    /// Deferred lines.
    pub deferred: u64,
    /// Bounced lines.
    pub bounced: u64,
    /// Expired lines.
    pub expired: u64,
    /// Rejected lines.
    pub rejected: u64,
}

impl SourceCounts {
    /// Count one line.
    #[inline]
    fn count(&mut self, line: &ParsedLine<'_>) {
        self.lines += 1;
        self.mail += u64::from(!matches!(line.kind, LineKind::Other));
        if let Some(event) = line.event {
            match event {
                Event::Delivered => self.delivered += 1,
                Event::Deferred => self.deferred += 1,
                Event::Bounced => self.bounced += 1,
                Event::Expired => self.expired += 1,
                Event::Rejected => self.rejected += 1,
                _ => {}
            }
        }
    }

    fn add(&mut self, other: SourceCounts) {
        self.lines += other.lines;
        self.mail += other.mail;
        self.delivered += other.delivered;
        self.deferred += other.deferred;
        self.bounced += other.bounced;
        self.expired += other.expired;
        self.rejected += other.rejected;
    }
}

impl CappedValue for SourceCounts {
    fn add_same_key(&mut self, other: Self) {
        self.add(other);
    }
    fn add_to_total(&mut self, other: Self) {
        self.add(other);
    }
}

/// Counts by host or instance name (empty: the lines have none).
#[derive(Clone, Debug, Default)]
pub struct SourceTable {
    /// Counts of the runs that ended.
    pub table: Capped<Box<[u8]>, SourceCounts, MAX_SOURCES>,
    /// The current run's name, counts and name's [`key`](SourceTable::key).
    name: Vec<u8>,
    current: SourceCounts,
    key: u64,
    active: bool,
}

/// Whether two names are equal, without a call to `memcmp` for the usual short ones: this
/// runs on every line.
#[inline]
fn same(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    let word = |s: &[u8], at: usize| u64::from_le_bytes(s[at..at + 8].try_into().unwrap());
    let half = |s: &[u8], at: usize| u32::from_le_bytes(s[at..at + 4].try_into().unwrap());
    match n {
        0 => true,
        1..=3 => a.iter().zip(b).all(|(x, y)| x == y),
        4..=8 => half(a, 0) == half(b, 0) && half(a, n - 4) == half(b, n - 4),
        9..=16 => word(a, 0) == word(b, 0) && word(a, n - 8) == word(b, n - 8),
        _ => a == b,
    }
}

/// A fixed hash of a name (the same in every thread and run), which stands for it in the
/// message tracker's keys.
fn key_of(name: &[u8]) -> u64 {
    let mut hasher = std::hash::DefaultHasher::new();
    name.hash(&mut hasher);
    hasher.finish()
}

impl SourceTable {
    /// Count a line of `name`.
    #[inline]
    pub fn count(&mut self, name: &[u8], line: &ParsedLine<'_>) {
        if !self.active || !same(&self.name, name) {
            self.switch(name);
        }
        self.current.count(line);
    }

    /// Count a line whose tag is `tag`, under its instance: the tag up to its first `/`.
    /// The instance seldom changes, so the tag is first tried against the current one,
    /// which needs no search.
    #[inline]
    pub fn count_instance(&mut self, tag: &[u8], line: &ParsedLine<'_>) {
        let n = self.name.len();
        let current = self.active
            && tag.len() >= n
            && same(&self.name, &tag[..n])
            && (tag.len() == n || tag[n] == b'/');
        if !current {
            let end = tag.iter().position(|b| *b == b'/').unwrap_or(tag.len());
            self.switch(&tag[..end]);
        }
        self.current.count(line);
    }

    /// The key of the current run's name (see [`key_of`]).
    #[inline]
    pub fn key(&self) -> u64 {
        self.key
    }

    #[cold]
    fn switch(&mut self, name: &[u8]) {
        self.flush();
        self.name.clear();
        self.name.extend_from_slice(name);
        self.key = key_of(name);
        self.active = true;
    }

    /// Add the current run to the table.
    pub fn flush(&mut self) {
        if !self.active {
            return;
        }
        self.active = false;
        let counts = std::mem::take(&mut self.current);
        match self.table.entries.get_mut(self.name.as_slice()) {
            Some(mine) => mine.add_same_key(counts),
            None => self.table.add(self.name.as_slice().into(), counts),
        }
    }

    /// Add the table of the lines that follow (or of another log).
    pub fn add(&mut self, mut other: SourceTable) {
        self.flush();
        other.flush();
        self.table.add_all(other.table);
    }

    /// Add counts loaded from a saved report (`name` as reports write it).
    pub fn load(&mut self, name: &str, counts: SourceCounts) {
        self.flush();
        let name: &[u8] = if name == NO_SOURCE {
            b""
        } else {
            name.as_bytes()
        };
        match self.table.entries.get_mut(name) {
            Some(mine) => mine.add_same_key(counts),
            None => self.table.add(name.into(), counts),
        }
    }

    /// Mark the table as having had too many names, with these counts among the total.
    pub fn load_capped(&mut self, counts: SourceCounts) {
        self.flush();
        self.table.cap();
        if let Some(total) = &mut self.table.capped {
            total.add_to_total(counts);
        }
    }

    /// The table with the current run in it.
    pub fn whole(&self) -> Capped<Box<[u8]>, SourceCounts, MAX_SOURCES> {
        let mut whole = self.clone();
        whole.flush();
        whole.table
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_agrees_with_equality_at_every_length() {
        let text = b"abcdefghijklmnopqrstuvwxyz0123456789";
        for n in 0..text.len() {
            let a = &text[..n];
            assert!(same(a, a));
            for i in 0..n {
                let mut b = a.to_vec();
                b[i] ^= 1;
                assert!(!same(a, &b), "{n} {i}");
            }
            assert!(!same(a, &text[..n + 1]));
        }
    }
}
