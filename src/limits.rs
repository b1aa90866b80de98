//! Limits on the keys a log supplies to the fact, problem and diagnostic tables: enhanced
//! codes outside the catalogue, days, and daemon names.
//!
//! Each kind is listed by name while the whole input holds at most its limit of keys, and
//! past that every key of the kind is counted under one "other" key ([`KeyLimit`]): the
//! same rule as the capped tables, so results never depend on threads or chunks, and memory
//! stays bounded whatever a log holds. Codes in the catalogue and Postfix's own daemons are
//! a fixed, small set and always listed.

use crate::code::EnhancedCode;
use crate::tables::capped::{Admit, KeyLimit};
use chrono::NaiveDate;
use std::sync::OnceLock;

/// Different enhanced codes outside the catalogue listed before they count as `5.*.*`.
pub const MAX_OTHER_CODES: usize = 1000;

/// Different days listed (ten years) before they all count as one, [`OTHER_DAY`].
pub const MAX_DAYS: usize = 3660;

/// Different daemon names (other than Postfix's own) listed in the diagnostics before
/// they count as [`OTHER_DAEMONS`]. Few, since each may hold many texts.
pub const MAX_OTHER_DAEMONS: usize = 100;

/// Different facts (combinations of day, hour, MTA, event, codes) kept before the facts
/// leave out the hour, then the day, then the enhanced code and dsn: every other dimension
/// is small, so that last level always fits.
pub const MAX_FACTS: usize = 200_000;

/// The day every day counts as once there were more than [`MAX_DAYS`]: no log stamp has
/// this date, so it cannot be confused with one.
pub const OTHER_DAY: NaiveDate = NaiveDate::MIN;

/// How reports write [`OTHER_DAY`].
pub const OTHER_DAY_TEXT: &str = "all days";

/// The daemon name that stands for the daemons past [`MAX_OTHER_DAEMONS`].
pub const OTHER_DAEMONS: &str = "(other daemons)";

/// Postfix's daemons and commands: a fixed set, always listed.
const POSTFIX_DAEMONS: &[&[u8]] = &[
    b"anvil",
    b"bounce",
    b"cleanup",
    b"defer",
    b"discard",
    b"dnsblog",
    b"error",
    b"flush",
    b"lmtp",
    b"local",
    b"master",
    b"nqmgr",
    b"oqmgr",
    b"pickup",
    b"pipe",
    b"postalias",
    b"postcat",
    b"postconf",
    b"postdrop",
    b"postfix",
    b"postfix-script",
    b"postkick",
    b"postlock",
    b"postlog",
    b"postlogd",
    b"postmap",
    b"postmulti",
    b"postqueue",
    b"postscreen",
    b"postsuper",
    b"proxymap",
    b"qmgr",
    b"qmqpd",
    b"relay",
    b"retry",
    b"scache",
    b"sendmail",
    b"showq",
    b"smtp",
    b"smtpd",
    b"spawn",
    b"tlsmgr",
    b"tlsproxy",
    b"trivial-rewrite",
    b"verify",
    b"virtual",
];

/// Names always listed: Postfix's daemons, and Exim.
fn is_known_daemon(name: &[u8]) -> bool {
    name == b"exim" || POSTFIX_DAEMONS.contains(&name)
}

/// Whether the catalogue has a code (of any class). A bitmap, since it is asked per line.
pub fn in_catalogue(code: EnhancedCode) -> bool {
    // Every catalogue code has subject < 8 and detail < 1000 (a test checks it).
    static KNOWN: OnceLock<[[u64; 16]; 8]> = OnceLock::new();
    let known = KNOWN.get_or_init(|| {
        let mut bits = [[0u64; 16]; 8];
        for entry in crate::catalogue::catalogue().enhanced_entries() {
            if let Some((subject, detail)) = entry.key() {
                if subject < 8 && detail < 1024 {
                    bits[usize::from(subject)][usize::from(detail / 64)] |= 1 << (detail % 64);
                }
            }
        }
        bits
    });
    let (subject, detail) = (code.subject(), code.detail());
    subject < 8
        && detail < 1024
        && known[usize::from(subject)][usize::from(detail / 64)] & (1 << (detail % 64)) != 0
}

/// The key a code is counted under once codes outside the catalogue are collapsed.
pub fn collapsed_code(code: EnhancedCode) -> EnhancedCode {
    if in_catalogue(code) {
        code
    } else {
        EnhancedCode::other(code.class()).unwrap_or(code)
    }
}

/// Which limits a summary reached.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Reached {
    /// Enhanced codes outside the catalogue count as `5.*.*`.
    pub codes: bool,
    /// Every day counts as [`OTHER_DAY`].
    pub days: bool,
    /// Daemons other than Postfix's count as [`OTHER_DAEMONS`].
    pub daemons: bool,
}

/// The keys of each kind seen so far, or that there were too many.
#[derive(Clone, Debug, Default)]
pub struct Limits {
    codes: KeyLimit<EnhancedCode, MAX_OTHER_CODES>,
    days: KeyLimit<NaiveDate, MAX_DAYS>,
    daemons: KeyLimit<Box<[u8]>, MAX_OTHER_DAEMONS>,
}

impl Limits {
    /// The key to count a code under, and whether it just collapsed the codes (then what
    /// was counted before must move to the collapsed keys).
    pub fn code(&mut self, code: EnhancedCode) -> (EnhancedCode, bool) {
        if in_catalogue(code) {
            return (code, false);
        }
        match self.codes.admit(&code, |c| *c) {
            Admit::Listed => (code, false),
            Admit::Other => (collapsed_code(code), false),
            Admit::Collapsed => (collapsed_code(code), true),
        }
    }

    /// Note a day; true when it just collapsed the days.
    pub fn day(&mut self, day: NaiveDate) -> bool {
        self.days.admit(&day, |d| *d) == Admit::Collapsed
    }

    /// The key a day is counted under.
    pub fn day_key(&self, day: NaiveDate) -> NaiveDate {
        if self.days.is_collapsed() {
            OTHER_DAY
        } else {
            day
        }
    }

    /// Whether a daemon is listed by name, and whether it just collapsed the daemons.
    pub fn daemon(&mut self, name: &[u8]) -> (bool, bool) {
        if is_known_daemon(name) {
            return (true, false);
        }
        match self.daemons.admit(name, |n| n.into()) {
            Admit::Listed => (true, false),
            Admit::Other => (false, false),
            Admit::Collapsed => (false, true),
        }
    }

    /// Note a daemon name read back from a report (`merge`).
    pub fn daemon_name(&mut self, name: &str) -> bool {
        if name == OTHER_DAEMONS {
            self.daemons.collapse();
            return true;
        }
        self.daemon(name.as_bytes()).1
    }

    /// Which limits were reached.
    pub fn reached(&self) -> Reached {
        Reached {
            codes: self.codes.is_collapsed(),
            days: self.days.is_collapsed(),
            daemons: self.daemons.is_collapsed(),
        }
    }

    /// Collapse the kinds `reached` says (a report read back says it had).
    pub fn collapse(&mut self, reached: Reached) {
        if reached.codes {
            self.codes.collapse();
        }
        if reached.days {
            self.days.collapse();
        }
        if reached.daemons {
            self.daemons.collapse();
        }
    }

    /// Add the keys of another part (union); returns what is reached after.
    pub fn add(&mut self, other: Limits) -> Reached {
        self.codes.add(other.codes);
        self.days.add(other.days);
        self.daemons.add(other.daemons);
        self.reached()
    }
}

/// Whether a daemon name is one that [`Limits`] always lists (for tests and `merge`).
pub fn is_listed_daemon(name: &[u8]) -> bool {
    is_known_daemon(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_catalogue_code_is_in_the_bitmap_and_others_are_not() {
        let mut n = 0;
        for entry in crate::catalogue::catalogue().enhanced_entries() {
            let (subject, detail) = entry.key().unwrap();
            let code = EnhancedCode::new(5, subject, detail).unwrap();
            assert!(in_catalogue(code), "{}", entry.code);
            n += 1;
        }
        assert!(n > 50);
        for (s, d) in [(1, 63), (123, 456), (7, 999), (0, 99), (8, 1)] {
            assert!(
                !in_catalogue(EnhancedCode::new(5, s, d).unwrap()),
                "5.{s}.{d}"
            );
        }
        assert_eq!(
            collapsed_code(EnhancedCode::new(4, 123, 456).unwrap()).to_string(),
            "4.*.*"
        );
        assert_eq!(
            collapsed_code(EnhancedCode::new(5, 1, 1).unwrap()).to_string(),
            "5.1.1"
        );
    }

    #[test]
    fn catalogue_codes_and_postfix_daemons_never_count_toward_a_limit() {
        let mut limits = Limits::default();
        for _ in 0..3 {
            for name in POSTFIX_DAEMONS.iter().copied() {
                assert_eq!(limits.daemon(name), (true, false));
            }
        }
        let known = EnhancedCode::new(5, 7, 1).unwrap();
        assert_eq!(limits.code(known), (known, false));
        for i in 0..MAX_OTHER_DAEMONS {
            assert_eq!(limits.daemon(format!("p{i}").as_bytes()), (true, false));
        }
        assert_eq!(limits.daemon(b"one-too-many"), (false, true));
        assert_eq!(limits.daemon(b"p1"), (false, false));
        assert_eq!(limits.daemon(b"smtpd"), (true, false));
        assert_eq!(
            limits.reached(),
            Reached {
                daemons: true,
                ..Reached::default()
            }
        );
    }
}
