//! Where polling stands, on the service's own clock, and which events of the
//! back-read window were already delivered.
//!
//! The next query asks for `generated >= floor`, with
//! `floor = max(newest_seen - backread, since)`. Every event at or after the
//! floor that was delivered is remembered by `message_id`; older ones can
//! never come back, so they are forgotten. Memory is bounded by the number of
//! events inside the window, not by history.

use std::collections::{BTreeSet, HashMap};

use chrono::{Duration, NaiveDateTime};

use crate::event::{Event, Skipped};

#[derive(Debug)]
pub struct Cursor {
    since: Option<NaiveDateTime>,
    newest: Option<NaiveDateTime>,
    backread: Duration,
    seen: HashMap<String, NaiveDateTime>,
    by_time: BTreeSet<(NaiveDateTime, String)>,
}

impl Cursor {
    pub fn new(since: Option<NaiveDateTime>, backread: std::time::Duration) -> Self {
        Cursor {
            since,
            newest: None,
            backread: Duration::from_std(backread).unwrap_or(Duration::MAX),
            seen: HashMap::new(),
            by_time: BTreeSet::new(),
        }
    }

    /// Lower bound of the next query, `None` for no bound.
    pub fn floor(&self) -> Option<NaiveDateTime> {
        let behind = self.newest.map(|n| n.checked_sub_signed(self.backread).unwrap_or(NaiveDateTime::MIN));
        match (behind, self.since) {
            (Some(b), Some(s)) => Some(b.max(s)),
            (b, s) => b.or(s),
        }
    }

    /// The newest service timestamp seen, else the configured start.
    pub fn position(&self) -> Option<NaiveDateTime> {
        self.newest.or(self.since)
    }

    /// Number of `message_id`s remembered for de-duplication.
    pub fn remembered(&self) -> usize {
        self.seen.len()
    }

    /// Takes in one page's events (already in the order the service gave
    /// them) and returns those not delivered before, plus how many were
    /// dropped as duplicates. An event older than the floor can only come
    /// from a service that ignored `start_timestamp`: it was delivered
    /// already (and forgotten) or arrived too late for the window, so it is
    /// dropped too. Call only with a page that parsed.
    pub fn admit(&mut self, events: Vec<Event>) -> (Vec<Event>, usize) {
        let floor = self.floor();
        let mut fresh = Vec::with_capacity(events.len());
        let mut duplicates = 0;
        for event in events {
            if self.seen.contains_key(&event.message_id) || floor.is_some_and(|f| event.at < f) {
                duplicates += 1;
                continue;
            }
            self.newest = Some(self.newest.map_or(event.at, |n| n.max(event.at)));
            self.remember(&event.message_id, event.at);
            fresh.push(event);
        }
        self.forget_before_floor();
        (fresh, duplicates)
    }

    /// Takes in the rows of a page that could not be read and returns those
    /// not met before, so that a malformed row re-read on every poll of the
    /// back-read window is counted and logged once. It is remembered like a
    /// delivered event, by `message_id`, until the floor passes the time it
    /// was generated (or a lower bound of it, never below `query_floor`, the
    /// floor of the query that returned it). A row without a `message_id`
    /// cannot be recognised and is always new.
    pub fn note_skipped<'a>(&mut self, skipped: &'a [Skipped], query_floor: Option<NaiveDateTime>) -> Vec<&'a Skipped> {
        let mut new = Vec::new();
        for row in skipped {
            let Some(id) = &row.message_id else {
                new.push(row);
                continue;
            };
            if self.seen.contains_key(id) {
                continue;
            }
            // None orders below Some: the later of the two bounds known
            self.remember(id, row.at.max(query_floor).unwrap_or(NaiveDateTime::MIN));
            new.push(row);
        }
        new
    }

    /// Remembers `id` until the floor passes `at`.
    fn remember(&mut self, id: &str, at: NaiveDateTime) {
        self.seen.insert(id.to_owned(), at);
        self.by_time.insert((at, id.to_owned()));
    }

    fn forget_before_floor(&mut self) {
        let Some(floor) = self.floor() else { return };
        while let Some(first) = self.by_time.first() {
            if first.0 >= floor {
                break;
            }
            if let Some((_, id)) = self.by_time.pop_first() {
                self.seen.remove(&id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timestamp;

    fn ev(id: &str, at: &str) -> Event {
        Event {
            message_id: id.into(),
            event_type: "t".into(),
            generated: at.into(),
            at: timestamp::parse(at).unwrap(),
            traits: vec![],
        }
    }

    fn ids(events: &[Event]) -> Vec<&str> {
        events.iter().map(|e| e.message_id.as_str()).collect()
    }

    #[test]
    fn starts_at_since_and_never_reads_below_it() {
        let since = timestamp::parse("2020-01-01T00:00:10").unwrap();
        let mut c = Cursor::new(Some(since), std::time::Duration::from_secs(5));
        assert_eq!(c.floor(), Some(since));
        c.admit(vec![ev("a", "2020-01-01T00:00:12")]);
        assert_eq!(c.floor(), Some(since), "backread must not reach below since");
        c.admit(vec![ev("b", "2020-01-01T00:01:00")]);
        assert_eq!(timestamp::format(c.floor().unwrap()), "2020-01-01T00:00:55.000000");
    }

    #[test]
    fn rereading_the_window_yields_nothing_twice() {
        let mut c = Cursor::new(None, std::time::Duration::from_secs(5));
        let page = vec![ev("a", "2020-01-01T00:00:01"), ev("b", "2020-01-01T00:00:02")];
        let (fresh, dup) = c.admit(page.clone());
        assert_eq!((ids(&fresh), dup), (vec!["a", "b"], 0));
        let mut again = page;
        again.push(ev("late", "2020-01-01T00:00:01.5"));
        let (fresh, dup) = c.admit(again);
        assert_eq!((ids(&fresh), dup), (vec!["late"], 2));
    }

    #[test]
    fn a_forgotten_event_served_again_is_not_delivered_twice() {
        let mut c = Cursor::new(None, std::time::Duration::from_secs(5));
        let page = vec![ev("old", "2016-01-01T00:00:00"), ev("new", "2026-01-01T00:00:00")];
        assert_eq!(ids(&c.admit(page.clone()).0), vec!["old", "new"]);
        assert_eq!(c.remembered(), 1, "old is outside the window and forgotten");
        let (fresh, dup) = c.admit(page);
        assert_eq!((fresh.len(), dup), (0, 2));
    }

    #[test]
    fn memory_is_bounded_by_the_window() {
        let mut c = Cursor::new(None, std::time::Duration::from_secs(5));
        let start = timestamp::parse("2020-01-01T00:00:00").unwrap();
        for i in 0..10_000 {
            let at = start + Duration::milliseconds(i * 10);
            c.admit(vec![Event { at, ..ev(&format!("m{i}"), "2020-01-01T00:00:00") }]);
        }
        // 5 s of events at 100 per second, plus the boundary
        assert!(c.remembered() <= 502, "{}", c.remembered());
    }

    #[test]
    fn a_malformed_row_reread_with_the_window_is_new_once() {
        let mut c = Cursor::new(None, std::time::Duration::from_secs(5));
        let at = |t| timestamp::parse(t);
        let bad = |id: Option<&str>, t| Skipped { message_id: id.map(str::to_owned), reason: "x".into(), at: at(t) };
        let rows = vec![bad(Some("b1"), "2020-01-01T00:00:01"), bad(None, "2020-01-01T00:00:01")];
        assert_eq!(c.note_skipped(&rows, None).len(), 2);
        c.admit(vec![ev("a", "2020-01-01T00:00:03")]);
        // read again: the row with an id is known, the one without is not recognisable
        let again = c.note_skipped(&rows, c.floor());
        assert_eq!(again.iter().map(|s| s.message_id.as_deref()).collect::<Vec<_>>(), vec![None]);
        // once the window has passed it, it is forgotten like a delivered event
        c.admit(vec![ev("z", "2020-01-01T00:01:00")]);
        assert_eq!(c.remembered(), 1);
    }

    #[test]
    fn many_events_on_one_timestamp_are_all_remembered() {
        let mut c = Cursor::new(None, std::time::Duration::from_secs(5));
        let page: Vec<Event> = (0..5000).map(|i| ev(&format!("m{i:05}"), "2020-01-01T00:00:00")).collect();
        assert_eq!(c.admit(page.clone()).0.len(), 5000);
        assert_eq!(c.admit(page).1, 5000);
    }
}
