//! Lines per syslog host and per instance (`--by host`, `--by instance`), in bounded memory.
//!
//! Lines come in runs of one host and one instance (a single-host log is one run): the
//! current run is counted in place and added to its table only when the name changes, so
//! a line costs a comparison of a few bytes. The tables are [`Capped`]: exact while the
//! whole input holds at most [`MAX_SOURCES`] names, and past that only their total, for
//! any thread count and chunk size.

use crate::parse::Event;
use crate::tables::capped::{Capped, CappedValue};
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

/// A summary's running totals: a run's counts are their difference between the run's first
/// line and the line after its last, so that a line costs no counting here.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Running {
    /// Lines of the window (overlong lines and malformed entries left out).
    pub lines: u64,
    /// Postfix and Exim lines, recognised or not.
    pub mail: u64,
    /// Lines by event, indexed like [`Event::ALL`].
    pub events: [u64; Event::ALL.len()],
}

impl SourceCounts {
    /// The counts of the lines between `start` and `now`; `mail_only` for an instance
    /// table, whose lines are only Postfix and Exim lines.
    fn between(start: &Running, now: &Running, mail_only: bool) -> SourceCounts {
        let event = |e: Event| now.events[e.index()] - start.events[e.index()];
        let mail = now.mail - start.mail;
        SourceCounts {
            lines: if mail_only {
                mail
            } else {
                now.lines - start.lines
            },
            mail,
            delivered: event(Event::Delivered),
            deferred: event(Event::Deferred),
            bounced: event(Event::Bounced),
            expired: event(Event::Expired),
            rejected: event(Event::Rejected),
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
    /// The current run's name, the running totals at its start, and the name's
    /// [`key`](SourceTable::key).
    name: Vec<u8>,
    start: Running,
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
    /// Whether the current run is of `name`.
    #[inline]
    pub fn is_current(&self, name: &[u8]) -> bool {
        self.active && same(&self.name, name)
    }

    /// Whether the current run is of the instance of tag `tag`: the tag up to its first
    /// `/`. The instance seldom changes, so the tag is tried against the current one, which
    /// needs no search.
    #[inline]
    pub fn is_current_instance(&self, tag: &[u8]) -> bool {
        let n = self.name.len();
        self.active
            && tag.len() >= n
            && same(&self.name, &tag[..n])
            && (tag.len() == n || tag[n] == b'/')
    }

    /// Note that the next line, counted in `now` after this, is of `name`.
    pub fn enter(&mut self, name: &[u8], now: &Running) {
        if !self.is_current(name) {
            self.switch(name, now, false);
        }
    }

    /// Note that the next line, counted in `now` after this, has the tag `tag`.
    pub fn enter_instance(&mut self, tag: &[u8], now: &Running) {
        if !self.is_current_instance(tag) {
            let end = tag.iter().position(|b| *b == b'/').unwrap_or(tag.len());
            self.switch(&tag[..end], now, true);
        }
    }

    /// The key of the current run's name (see [`key_of`]).
    #[inline]
    pub fn key(&self) -> u64 {
        self.key
    }

    #[cold]
    fn switch(&mut self, name: &[u8], now: &Running, mail_only: bool) {
        self.flush(now, mail_only);
        self.name.clear();
        self.name.extend_from_slice(name);
        self.key = key_of(name);
        self.start = *now;
        self.active = true;
    }

    /// Add the current run, which ends at `now`, to the table.
    pub fn flush(&mut self, now: &Running, mail_only: bool) {
        if !self.active {
            return;
        }
        self.active = false;
        let counts = SourceCounts::between(&self.start, now, mail_only);
        match self.table.entries.get_mut(self.name.as_slice()) {
            Some(mine) => mine.add_same_key(counts),
            None => self.table.add(self.name.as_slice().into(), counts),
        }
    }

    /// Add the table of the lines that follow (or of another log), each run ending at the
    /// running totals given.
    pub fn add(
        &mut self,
        mine: &Running,
        mut other: SourceTable,
        theirs: &Running,
        mail_only: bool,
    ) {
        self.flush(mine, mail_only);
        other.flush(theirs, mail_only);
        self.table.add_all(other.table);
    }

    /// Add counts loaded from a saved report (`name` as reports write it).
    pub fn load(&mut self, name: &str, counts: SourceCounts) {
        debug_assert!(!self.active);
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
        debug_assert!(!self.active);
        self.table.cap();
        if let Some(total) = &mut self.table.capped {
            total.add_to_total(counts);
        }
    }

    /// The table with the current run, ending at `now`, in it.
    pub fn with_current(&self, now: &Running, mail_only: bool) -> SourceTable {
        let mut whole = self.clone();
        whole.flush(now, mail_only);
        whole
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
