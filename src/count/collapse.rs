//! How a [`Summary`]'s keys collapse: enhanced codes, days and daemon names past their
//! limits (see [`crate::limits`]), and the fact level that keeps the facts within
//! [`crate::limits::MAX_FACTS`].
//!
//! Apart from counting because it rekeys what was counted already, and must give the same
//! result whatever the order in which parts are added up.

use super::problems::ProblemKey;
use super::{Fact, Summary};
use crate::code::EnhancedCode;
use rustc_hash::FxHashMap as HashMap;

impl Summary {
    /// The key a code recorded earlier is counted under now.
    pub(super) fn counted_code(&self, code: EnhancedCode) -> EnhancedCode {
        if self.limits.reached().codes {
            crate::limits::collapsed_code(code)
        } else {
            code
        }
    }

    /// The key a fact recorded earlier (as the line gave it) is counted under now.
    pub(super) fn counted_fact(&self, raw: Fact) -> Fact {
        let f = raw.at_level(self.fact_level);
        Fact {
            day: f.day.map(|d| self.limits.day_key(d)),
            enhanced: f.enhanced.map(|c| self.counted_code(c)),
            dsn: f.dsn.map(|c| self.counted_code(c)),
            ..f
        }
    }

    /// The key an enhanced code or dsn is counted under (see [`crate::limits`]).
    pub(super) fn code_key(&mut self, code: EnhancedCode) -> EnhancedCode {
        let (key, collapsed) = self.limits.code(code);
        if collapsed {
            self.collapse_codes();
        }
        key
    }

    /// Move what was counted under codes outside the catalogue to their class's `5.*.*`.
    fn collapse_codes(&mut self) {
        self.keep_raw_facts();
        let key = |c: Option<EnhancedCode>| c.map(crate::limits::collapsed_code);
        self.rekey_facts(|f| Fact {
            enhanced: key(f.enhanced),
            dsn: key(f.dsn),
            ..f
        });
        let groups = std::mem::take(&mut self.problems.groups);
        for (k, mut group) in groups {
            let status = key(k.status);
            if status != k.status {
                // Groups merged from several codes keep no examples: which would come
                // first depends on when the codes collapsed.
                for stats in group.entries.values_mut() {
                    stats.examples.clear();
                }
            }
            self.problems
                .groups
                .entry(ProblemKey { status, ..k })
                .or_default()
                .add_all(group);
        }
    }

    /// Count every day as [`crate::limits::OTHER_DAY`].
    pub(super) fn collapse_days(&mut self) {
        self.keep_raw_facts();
        let other = crate::limits::OTHER_DAY;
        let lines: u64 = self.lines_by_day.values().sum();
        self.lines_by_day.clear();
        if lines > 0 {
            self.lines_by_day.insert(other, lines);
        }
        let mut by_hour = HashMap::default();
        for ((_, hour), n) in self.received_by_hour.drain() {
            *by_hour.entry((other, hour)).or_insert(0) += n;
        }
        self.received_by_hour = by_hour;
        self.rekey_facts(|f| Fact {
            day: f.day.map(|_| other),
            ..f
        });
    }

    /// Count every daemon that is not always listed as [`crate::limits::OTHER_DAEMONS`].
    pub(super) fn collapse_daemons(&mut self) {
        for (mut key, group) in std::mem::take(&mut self.diagnostics.groups) {
            if !crate::limits::is_listed_daemon(key.program.as_bytes()) {
                key.program = crate::limits::OTHER_DAEMONS.to_string();
            }
            self.diagnostics
                .groups
                .entry(key)
                .or_default()
                .add_all(group);
        }
    }

    /// Raise the fact level until the facts fit in [`crate::limits::MAX_FACTS`].
    pub(super) fn fit_facts(&mut self) {
        let distinct = |s: &Summary| s.raw_facts.as_ref().map_or(s.facts.len(), |r| r.len());
        while distinct(self) > crate::limits::MAX_FACTS && self.fact_level < 4 {
            self.set_fact_level(self.fact_level + 1);
        }
    }

    /// Leave out the dimensions of `level` (if more than already).
    pub(super) fn set_fact_level(&mut self, level: u8) {
        if level <= self.fact_level {
            return;
        }
        self.fact_level = level;
        // The first two levels are the limits on codes and days, reached early.
        let reached = crate::limits::Reached {
            codes: level >= 1,
            days: level >= 2,
            daemons: false,
        };
        let before = self.limits.reached();
        self.limits.collapse(reached);
        self.collapse_to(before, self.limits.reached());
        self.rekey_facts(|f| f.at_level(level));
        match self.raw_facts.take() {
            Some(raws) if self.raw_needed() => {
                self.raw_facts = Some(raws.into_iter().map(|f| f.at_level(level)).collect());
            }
            // The level merges what the limits did: the facts themselves are the measure.
            _ => {}
        }
    }

    /// Before a collapse merges facts: keep them as they are, for [`Summary::fit_facts`],
    /// unless the fact level merges them the same way anyway.
    pub(super) fn keep_raw_facts(&mut self) {
        if self.raw_facts.is_none() && self.raw_needed() {
            self.raw_facts = Some(self.facts.keys().copied().collect());
        }
    }

    /// Whether the limits merged facts that the fact level alone would keep apart.
    pub(super) fn raw_needed(&self) -> bool {
        let reached = self.limits.reached();
        (reached.codes && self.fact_level < 1) || (reached.days && self.fact_level < 2)
    }

    /// How much the facts leave out, as in [`Fact::at_level`] (more than
    /// [`crate::limits::MAX_FACTS`] combinations otherwise).
    pub fn fact_level(&self) -> u8 {
        self.fact_level
    }

    fn rekey_facts(&mut self, key: impl Fn(Fact) -> Fact) {
        let mut facts = HashMap::default();
        for (fact, n) in self.facts.drain() {
            *facts.entry(key(fact)).or_insert(0) += n;
        }
        self.facts = facts;
    }

    /// Bring a summary to the limits its side did not reach but the whole did.
    pub(super) fn collapse_to(
        &mut self,
        before: crate::limits::Reached,
        after: crate::limits::Reached,
    ) {
        if after.codes && !before.codes {
            self.collapse_codes();
        }
        if after.days && !before.days {
            self.collapse_days();
        }
        if after.daemons && !before.daemons {
            self.collapse_daemons();
        }
    }

    /// Which limits on enhanced codes, days and daemon names were reached.
    pub fn limits_reached(&self) -> crate::limits::Reached {
        self.limits.reached()
    }

    /// Note the codes, days and daemons of a summary rebuilt from a saved report, and
    /// that the report reached `reached` and left out the fact dimensions of `fact_level`
    /// (`merge`).
    pub fn relimit(&mut self, reached: crate::limits::Reached, fact_level: u8) {
        self.raw_facts = None;
        self.set_fact_level(fact_level.min(4));
        let mut limits = crate::limits::Limits::default();
        limits.collapse(reached);
        let codes = self
            .facts
            .keys()
            .flat_map(|f| [f.enhanced, f.dsn])
            .chain(self.problems.groups.keys().map(|k| k.status))
            .flatten();
        for code in codes {
            if code.is_other() {
                limits.collapse(crate::limits::Reached {
                    codes: true,
                    ..Default::default()
                });
            }
            limits.code(code);
        }
        let days = self
            .lines_by_day
            .keys()
            .copied()
            .chain(self.received_by_hour.keys().map(|k| k.0))
            .chain(self.facts.keys().filter_map(|f| f.day));
        for day in days {
            if day == crate::limits::OTHER_DAY {
                limits.collapse(crate::limits::Reached {
                    days: true,
                    ..Default::default()
                });
            }
            limits.day(day);
        }
        for key in self.diagnostics.groups.keys() {
            limits.daemon_name(&key.program);
        }
        self.limits = limits;
        self.collapse_to(crate::limits::Reached::default(), self.limits.reached());
        self.fit_facts();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::code::ReplyCode;
    use crate::parse::{Event, Mta};
    use chrono::NaiveDate;

    #[test]
    fn facts_leave_out_the_hour_exactly_when_the_whole_has_too_many() {
        use crate::limits::MAX_FACTS;
        let fact = |i: usize| Fact {
            day: NaiveDate::from_ymd_opt(2026, 1, 1)
                .map(|d| d + chrono::Days::new((i / 9600) as u64)),
            hour: Some((i / 400 % 24) as u8),
            mta: Mta::Postfix,
            event: Some(Event::Rejected),
            code: ReplyCode::new(200 + (i % 400) as u16),
            enhanced: None,
            dsn: None,
            temporary: false,
        };
        let part = |range: std::ops::Range<usize>| {
            let mut s = Summary::default();
            for i in range {
                s.facts.insert(fact(i), 1);
                s.fit_facts();
            }
            s
        };
        let at_limit = part(0..MAX_FACTS);
        assert_eq!(at_limit.fact_level(), 0);
        // Collapsing codes does not make them fit (there are none outside the catalogue);
        // collapsing the 21 days does, and the hours stay.
        let whole = part(0..MAX_FACTS + 1);
        assert_eq!(whole.fact_level(), 2);
        assert_eq!(whole.facts.len(), 400 * 24);
        assert!(whole
            .facts
            .keys()
            .all(|f| f.day == Some(crate::limits::OTHER_DAY) && f.hour.is_some()));
        assert!(whole.limits_reached().days);
        assert_eq!(whole.facts.values().sum::<u64>(), MAX_FACTS as u64 + 1);
        // Two parts under the limit, over it together: the same as the whole.
        let mut left = part(0..MAX_FACTS / 2 + 7);
        left.add_counts(part(MAX_FACTS / 2..MAX_FACTS + 1));
        assert_eq!(left.fact_level(), 2);
        let total = |s: &Summary| {
            let mut v: Vec<(Fact, u64)> = s.facts.iter().map(|(f, n)| (*f, *n)).collect();
            v.sort();
            v
        };
        let mut overlap = total(&whole);
        for (f, n) in &mut overlap {
            // The overlapping facts were counted twice.
            let twice = (MAX_FACTS / 2..MAX_FACTS / 2 + 7).filter(|&i| fact(i).at_level(2) == *f);
            *n += twice.count() as u64;
        }
        assert_eq!(total(&left), overlap);
    }
}
