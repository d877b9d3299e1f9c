//! Bounded memory of delivered event ids, so a replayed event reaches the caller only once.

use std::collections::{HashSet, VecDeque};

/// A bounded memory of delivered event ids, so a replayed event reaches the caller only once.
#[derive(Debug, Clone)]
pub struct SeenIds {
    capacity: usize,
    set: HashSet<String>,
    order: VecDeque<String>,
    /// Highest numeric id delivered: Pokee ids count up by one per event, so a numeric id at
    /// or below it is a replay even once the bounded set has forgotten it.
    max_numeric: Option<u64>,
}

impl SeenIds {
    /// Remembers up to `capacity` ids (at least one).
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            set: HashSet::new(),
            order: VecDeque::new(),
            max_numeric: None,
        }
    }

    /// Records `id`; returns false when it was seen before (a replay to drop).
    pub fn insert(&mut self, id: &str) -> bool {
        if let Ok(n) = id.parse::<u64>() {
            // A numeric id is judged by `max_numeric` alone (see `contains`), so it never
            // needs a place in the set: the usual stream costs no allocation here.
            if self.max_numeric.is_some_and(|max| n <= max) {
                return false;
            }
            self.max_numeric = Some(n);
            return true;
        }
        if self.set.contains(id) {
            return false;
        }
        if self.order.len() == self.capacity {
            if let Some(old) = self.order.pop_front() {
                self.set.remove(&old);
            }
        }
        self.set.insert(id.to_owned());
        self.order.push_back(id.to_owned());
        true
    }

    /// True when `id` would be dropped as a replay.
    pub fn contains(&self, id: &str) -> bool {
        match id.parse::<u64>() {
            Ok(n) => self.max_numeric.is_some_and(|max| n <= max),
            Err(_) => self.set.contains(id),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seen_ids_are_bounded_and_numeric_replays_stay_dropped() {
        let mut seen = SeenIds::new(2);
        assert!(seen.insert("a"));
        assert!(seen.insert("b"));
        assert!(!seen.insert("a"));
        assert!(seen.insert("c"));
        // "a" fell out of the bounded set.
        assert!(seen.insert("a"));
        let mut seen = SeenIds::new(2);
        for i in 0..10 {
            assert!(seen.insert(&i.to_string()));
        }
        assert!(!seen.insert("0"));
        assert!(seen.contains("3"));
        assert!(!seen.contains("11"));
        assert!(seen.insert("10"));
        // Numeric ids never crowd text ids out of the bounded set.
        assert!(seen.insert("x"));
        assert!(seen.insert("11"));
        assert!(!seen.insert("x"));
    }
}
