//! What the cursor remembers of the back-read window: digests of delivered
//! ids (or malformed rows), each until the floor passes its time, at most a
//! cap of them, the oldest forgotten first.

use std::collections::{BTreeSet, HashMap};

use chrono::NaiveDateTime;

use super::digest::Key;
use crate::state::Remembered;
use crate::util::prehashed::PrehashedState;

/// Keys remembered until the floor passes the time each carries, at most
/// `cap` of them: past the cap the oldest by time are forgotten first.
#[derive(Debug)]
pub(super) struct Memory {
    /// Keyed by the digest's own bits: a second keyed hash adds nothing.
    at: HashMap<Key, NaiveDateTime, PrehashedState>,
    by_time: BTreeSet<(NaiveDateTime, Key)>,
    cap: usize,
    reached: bool,
}

impl Memory {
    pub(super) fn new(cap: usize) -> Self {
        Memory { at: HashMap::default(), by_time: BTreeSet::new(), cap: cap.max(1), reached: false }
    }

    pub(super) fn contains(&self, key: Key) -> bool {
        self.at.contains_key(&key)
    }

    /// Remembers `key` until the floor passes `at`; `true` the first time
    /// the cap makes it forget something.
    pub(super) fn insert(&mut self, key: Key, at: NaiveDateTime) -> bool {
        if let Some(old) = self.at.insert(key, at) {
            self.by_time.remove(&(old, key));
        }
        self.by_time.insert((at, key));
        let mut first = false;
        while self.at.len() > self.cap {
            let Some((_, oldest)) = self.by_time.pop_first() else { break };
            self.at.remove(&oldest);
            first |= !std::mem::replace(&mut self.reached, true);
        }
        first
    }

    /// The keys remembered and until when, oldest first.
    pub(super) fn entries(&self) -> Vec<Remembered> {
        self.by_time.iter().map(|&(at, key)| (key.0, (at != NaiveDateTime::MIN).then_some(at))).collect()
    }

    /// Takes in keys read back from a state (past the cap, the oldest are
    /// forgotten, as they would have been).
    pub(super) fn restore(&mut self, entries: &[Remembered]) {
        for &(key, at) in entries {
            self.insert(Key(key), at.unwrap_or(NaiveDateTime::MIN));
        }
    }

    pub(super) fn forget_before(&mut self, floor: NaiveDateTime) {
        while let Some(&(at, key)) = self.by_time.first() {
            if at >= floor {
                break;
            }
            self.by_time.pop_first();
            self.at.remove(&key);
        }
    }

    /// Remembers at most `cap` keys from now on (at least one).
    pub(super) fn set_cap(&mut self, cap: usize) {
        self.cap = cap.max(1);
    }

    pub(super) fn cap(&self) -> usize {
        self.cap
    }

    /// The number of keys remembered.
    pub(super) fn len(&self) -> usize {
        self.at.len()
    }

    /// How `key` is remembered (see [`Remembered`]), if it is.
    pub(super) fn remembered(&self, key: Key) -> Option<Remembered> {
        self.at.get(&key).map(|&at| (key.0, (at != NaiveDateTime::MIN).then_some(at)))
    }
}
