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

    /// One step of a stream: a new id (numeric, counting up with gaps, or text), or a replay
    /// of an earlier one.
    #[derive(Debug, Clone)]
    enum Step {
        New { numeric: bool, gap: u64 },
        Replay(proptest::sample::Index),
    }

    fn step() -> impl proptest::strategy::Strategy<Value = Step> {
        use proptest::prelude::*;
        prop_oneof![
            (any::<bool>(), 1u64..4).prop_map(|(numeric, gap)| Step::New { numeric, gap }),
            any::<proptest::sample::Index>().prop_map(Step::Replay),
        ]
    }

    proptest::proptest! {
        /// Ids as a server sends them (numeric ones count up; text ones are unique), with
        /// replays mixed in: a new id is never dropped; a replayed numeric id always is; a
        /// replayed text id is dropped while it is among the last `capacity` text ids kept.
        #[test]
        fn a_new_id_is_never_dropped(
            capacity in 1usize..6,
            steps in proptest::collection::vec(step(), 0..300),
        ) {
            let mut seen = SeenIds::new(capacity);
            let mut sent: Vec<String> = Vec::new();
            let mut next_number = 0u64;
            let mut next_text = 0u64;
            let mut window: VecDeque<String> = VecDeque::new();
            for step in steps {
                match step {
                    Step::New { numeric, gap } => {
                        let id = if numeric {
                            next_number += gap;
                            next_number.to_string()
                        } else {
                            next_text += 1;
                            format!("evt_{next_text}")
                        };
                        proptest::prop_assert!(!seen.contains(&id), "{id} counted as seen");
                        proptest::prop_assert!(seen.insert(&id), "new id {id} dropped");
                        if !numeric {
                            window.push_back(id.clone());
                            if window.len() > capacity {
                                window.pop_front();
                            }
                        }
                        sent.push(id);
                    }
                    Step::Replay(i) if !sent.is_empty() => {
                        let id = sent[i.index(sent.len())].clone();
                        let numeric = id.parse::<u64>().is_ok();
                        let kept = numeric || window.contains(&id);
                        proptest::prop_assert_eq!(seen.contains(&id), kept);
                        proptest::prop_assert_eq!(seen.insert(&id), !kept, "replay of {}", id);
                        if !kept {
                            // Forgotten, so delivered again and remembered anew.
                            window.push_back(id);
                            if window.len() > capacity {
                                window.pop_front();
                            }
                        }
                    }
                    Step::Replay(_) => {}
                }
            }
        }
    }
}
