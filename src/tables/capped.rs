//! Tables keyed by text a log supplies, in bounded memory: exact while the whole input holds
//! at most `LIMIT` keys, and past that only their total.
//!
//! A table caps exactly when the union of all keys is larger than the limit, so whether it
//! does never depends on threads, chunks or the order in which parts are added up.

use std::collections::BTreeMap;

/// What a capped table keeps per key.
pub trait CappedValue: Default {
    /// Add the value of the same key from the lines that follow (or another log).
    fn add_same_key(&mut self, other: Self);
    /// Add a key's value to the total of a capped table. What depends on the order of
    /// parts (such as examples) is left out, so that the total does not.
    fn add_to_total(&mut self, other: Self);
}

impl CappedValue for u64 {
    fn add_same_key(&mut self, other: Self) {
        *self += other;
    }
    fn add_to_total(&mut self, other: Self) {
        *self += other;
    }
}

/// Values by key, or their total once there were more than `LIMIT` keys.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Capped<K: Ord, V, const LIMIT: usize> {
    /// Values by key (empty once capped).
    pub entries: BTreeMap<K, V>,
    /// The total of every key, once there were too many to list.
    pub capped: Option<V>,
}

impl<K: Ord, V, const LIMIT: usize> Default for Capped<K, V, LIMIT> {
    fn default() -> Self {
        Capped {
            entries: BTreeMap::new(),
            capped: None,
        }
    }
}

impl<K: Ord, V: CappedValue, const LIMIT: usize> Capped<K, V, LIMIT> {
    /// Add a value under a key.
    pub fn add(&mut self, key: K, value: V) {
        if let Some(total) = &mut self.capped {
            total.add_to_total(value);
            return;
        }
        match self.entries.get_mut(&key) {
            Some(mine) => mine.add_same_key(value),
            None => {
                self.entries.insert(key, value);
                if self.entries.len() > LIMIT {
                    self.cap();
                }
            }
        }
    }

    /// Add the table of the lines that follow (or of another log).
    pub fn add_all(&mut self, other: Capped<K, V, LIMIT>) {
        if let Some(total) = other.capped {
            // The other side saw too many keys: so does the whole.
            self.cap();
            if let Some(mine) = &mut self.capped {
                mine.add_to_total(total);
            }
        }
        for (key, value) in other.entries {
            self.add(key, value);
        }
    }

    /// Sum every key into the total.
    pub fn cap(&mut self) {
        let mut total = self.capped.take().unwrap_or_default();
        for value in std::mem::take(&mut self.entries).into_values() {
            total.add_to_total(value);
        }
        self.capped = Some(total);
    }

    /// Whether nothing was counted.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty() && self.capped.is_none()
    }
}

/// Which keys of one kind (enhanced codes, days, daemon names) a summary lists by name:
/// every key while the whole input holds at most `LIMIT` of them, and past that none,
/// each then counted under one "other" key.
///
/// As for [`Capped`], whether it collapses depends only on the union of all keys, never on
/// threads, chunks or the order in which parts are added up.
#[derive(Clone, Debug)]
pub struct KeyLimit<K, const LIMIT: usize> {
    seen: rustc_hash::FxHashSet<K>,
    collapsed: bool,
}

impl<K, const LIMIT: usize> Default for KeyLimit<K, LIMIT> {
    fn default() -> Self {
        KeyLimit {
            seen: Default::default(),
            collapsed: false,
        }
    }
}

/// What [`KeyLimit::admit`] decided for a key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admit {
    /// Listed by name.
    Listed,
    /// Counted under the other key (the limit was passed before).
    Other,
    /// This key passed the limit: what was listed must now move to the other key.
    Collapsed,
}

impl<K: std::hash::Hash + Eq, const LIMIT: usize> KeyLimit<K, LIMIT> {
    /// Note a key (made with `owned` only when it is new).
    pub fn admit<Q>(&mut self, key: &Q, owned: impl FnOnce(&Q) -> K) -> Admit
    where
        K: std::borrow::Borrow<Q>,
        Q: std::hash::Hash + Eq + ?Sized,
    {
        if self.collapsed {
            return Admit::Other;
        }
        if self.seen.contains(key) {
            return Admit::Listed;
        }
        self.seen.insert(owned(key));
        if self.seen.len() > LIMIT {
            self.collapse();
            return Admit::Collapsed;
        }
        Admit::Listed
    }

    /// Whether keys are counted under the other key.
    pub fn is_collapsed(&self) -> bool {
        self.collapsed
    }

    /// Count every key under the other key from now on.
    pub fn collapse(&mut self) {
        self.collapsed = true;
        self.seen = Default::default();
    }

    /// Add the keys of another part; true when this made the whole collapse.
    pub fn add(&mut self, other: KeyLimit<K, LIMIT>) -> bool {
        if self.collapsed {
            return false;
        }
        if other.collapsed {
            self.collapse();
            return true;
        }
        self.seen.extend(other.seen);
        if self.seen.len() > LIMIT {
            self.collapse();
            return true;
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMIT: usize = 50;
    type Counts = Capped<u32, u64, LIMIT>;

    #[test]
    fn exact_up_to_the_limit_then_the_total() {
        let mut whole = Counts::default();
        for key in 0..LIMIT as u32 {
            whole.add(key, 2);
        }
        assert_eq!((whole.entries.len(), whole.capped), (LIMIT, None));
        whole.add(u32::MAX, 1);
        assert!(whole.entries.is_empty());
        assert_eq!(whole.capped, Some(2 * LIMIT as u64 + 1));
        whole.add(7, 1);
        assert_eq!(whole.capped, Some(2 * LIMIT as u64 + 2));
    }

    #[test]
    fn capping_does_not_depend_on_how_the_input_was_split() {
        let keys: Vec<u32> = (0..=LIMIT as u32).collect();
        let mut one = Counts::default();
        for &k in &keys {
            one.add(k, 1);
        }
        for cut in [0, 1, LIMIT / 2, LIMIT, LIMIT + 1] {
            let (mut left, mut right) = (Counts::default(), Counts::default());
            for &k in &keys[..cut] {
                left.add(k, 1);
            }
            for &k in &keys[cut..] {
                right.add(k, 1);
            }
            left.add_all(right);
            assert_eq!(left, one, "cut at {cut}");
        }
        // A capped part caps the whole even when the other part is small.
        let mut small = Counts::default();
        small.add(1, 5);
        small.add_all(one.clone());
        assert_eq!(small.capped, Some(LIMIT as u64 + 1 + 5));
    }

    #[test]
    fn a_key_limit_collapses_exactly_when_the_union_is_too_large() {
        type Days = KeyLimit<u32, 3>;
        let admit_all = |keys: &[u32]| {
            let mut limit = Days::default();
            let answers: Vec<Admit> = keys.iter().map(|k| limit.admit(k, |k| *k)).collect();
            (limit, answers)
        };
        let (whole, answers) = admit_all(&[1, 2, 1, 3, 4, 5]);
        assert!(whole.is_collapsed());
        assert_eq!(
            answers,
            [
                Admit::Listed,
                Admit::Listed,
                Admit::Listed,
                Admit::Listed,
                Admit::Collapsed,
                Admit::Other
            ]
        );
        // Two parts of three keys each: together four, so the whole collapses...
        let (mut left, _) = admit_all(&[1, 2, 3]);
        assert!(left.add(admit_all(&[2, 3, 4]).0));
        assert!(left.is_collapsed());
        // ...but three keys in all do not, however they are split.
        let (mut left, _) = admit_all(&[1, 2]);
        assert!(!left.add(admit_all(&[2, 3]).0));
        assert!(!left.is_collapsed());
        // A collapsed part collapses the whole.
        let (mut small, _) = admit_all(&[1]);
        assert!(small.add(whole));
        assert!(small.is_collapsed());
    }
}
