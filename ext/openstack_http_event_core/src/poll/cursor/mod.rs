//! Where polling stands, on the service's own clock, and which events of the
//! back-read window were already delivered.
//!
//! The next query asks for `generated >= floor`, with
//! `floor = max(newest_seen - backread, since)`. Every event at or after the
//! floor that was delivered is remembered by `message_id`; older ones can
//! never come back, so they are forgotten. An event stamped past the
//! service's clock (plus the allowed skew) is delivered and remembered but
//! does not move `newest_seen`, so one bad stamp cannot push the floor over
//! every later event. Memory is bounded by the number of events inside the
//! window, and in any case by two caps (delivered ids, malformed rows), past
//! which the oldest by time are forgotten first.
//!
//! When the service keeps a cursor of its own (a record id, a change-feed
//! token: [`Cursor::keeping_late`]), polls ask from that cursor, not from
//! the floor: an event stamped before the floor is then a late arrival, not
//! a re-read, and is delivered unless remembered (de-duplication still
//! covers the window) or stamped before the configured start.

use chrono::{Duration, NaiveDateTime};

use crate::config;
use crate::model::event::{Event, Skipped};
use crate::state::{Position, Remembered};

mod digest;
mod memory;

use digest::Digest;
use memory::Memory;

/// A cap of the cursor's memory reached for the first time; the monitor
/// logs it once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CapReached {
    /// `max_remembered_ids`: delivered ids are now forgotten before the
    /// window passes them, so a re-read may deliver one again.
    Ids(usize),
    /// `max_remembered_skipped`: a malformed row forgotten early is counted
    /// and logged again when re-read.
    Skipped(usize),
}

/// What [`Cursor::admit`] made of one page's events.
#[derive(Debug, Default)]
pub struct Admitted {
    /// Events not delivered before, in service order.
    pub fresh: Vec<Event>,
    pub duplicates: usize,
    /// Fresh events stamped past the horizon: delivered, but the cursor
    /// did not move to them.
    pub ahead: usize,
    /// The first of those: `message_id` and `generated`.
    pub first_ahead: Option<(String, String)>,
}

#[derive(Debug)]
pub struct Cursor {
    since: Option<NaiveDateTime>,
    newest: Option<NaiveDateTime>,
    backread: Duration,
    digest: Digest,
    delivered: Memory,
    skipped: Memory,
    notices: Vec<CapReached>,
    /// Whether events before the floor are admitted (see
    /// [`Cursor::keeping_late`]).
    keeps_late: bool,
}

impl Cursor {
    pub fn new(since: Option<NaiveDateTime>, backread: std::time::Duration) -> Self {
        Cursor {
            since,
            newest: None,
            backread: Duration::from_std(backread).unwrap_or(Duration::MAX),
            digest: Digest::new(),
            delivered: Memory::new(config::DEFAULT_MAX_REMEMBERED_IDS as usize),
            skipped: Memory::new(config::DEFAULT_MAX_REMEMBERED_SKIPPED as usize),
            notices: Vec::new(),
            keeps_late: false,
        }
    }

    /// A cursor for a service that keeps a cursor of its own: events
    /// stamped before the floor (but not before the start) are admitted,
    /// de-duplicated by `message_id` as any other.
    pub fn keeping_late(mut self) -> Self {
        self.keeps_late = true;
        self
    }

    /// Caps the ids remembered for de-duplication and the malformed rows
    /// remembered so that each is reported once.
    pub fn with_caps(mut self, ids: usize, skipped: usize) -> Self {
        self.delivered.set_cap(ids);
        self.skipped.set_cap(skipped);
        self
    }

    /// A cursor standing where `position` (read back from a state file)
    /// says: same start, newest timestamp, digest seed and remembered
    /// `message_id`s. Caps and `keeping_late` are this cursor's.
    pub fn restored(mut self, position: &Position) -> Self {
        self.since = position.since;
        self.newest = position.newest;
        self.digest = Digest::seeded(position.seed);
        self.delivered.restore(&position.delivered);
        self.skipped.restore(&position.skipped);
        self.forget_before_floor();
        self
    }

    /// Where the cursor stands, for a state file.
    pub fn position_state(&self) -> Position {
        Position {
            since: self.since,
            newest: self.newest,
            seed: self.digest.seed(),
            delivered: self.delivered.entries(),
            skipped: self.skipped.entries(),
        }
    }

    /// How the delivered `id` is remembered (its digest and until when),
    /// `None` when it is not.
    pub fn remembered_as(&self, id: &str) -> Option<Remembered> {
        let key = self.digest.key(id);
        self.delivered.remembered(key)
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
        self.delivered.len()
    }

    /// Number of malformed rows remembered.
    pub fn remembered_skipped(&self) -> usize {
        self.skipped.len()
    }

    /// The caps reached since the last call (each at most once per cursor).
    pub fn take_notices(&mut self) -> Vec<CapReached> {
        std::mem::take(&mut self.notices)
    }

    /// Whether `id` was delivered or reported as malformed and is still
    /// remembered.
    pub fn knows(&self, id: &str) -> bool {
        let key = self.digest.key(id);
        self.delivered.contains(key) || self.skipped.contains(key)
    }

    /// Takes in one page's events (already in the order the service gave
    /// them) and returns those not delivered before. An event older than
    /// the floor can only come from a service that ignored `start_timestamp`:
    /// it was delivered already (and forgotten) or arrived too late for the
    /// window, so it is dropped as a duplicate too. An event stamped after
    /// `horizon` is fresh but leaves the cursor where it is. Call only with
    /// a page that parsed. A cursor [keeping late events](Cursor::keeping_late)
    /// drops only those before the start, and remembers a late one for a
    /// window from the floor.
    pub fn admit(&mut self, events: Vec<Event>, horizon: NaiveDateTime) -> Admitted {
        let floor = if self.keeps_late { self.since } else { self.floor() };
        let late_until = self.floor().filter(|_| self.keeps_late);
        let mut out = Admitted { fresh: Vec::with_capacity(events.len()), ..Admitted::default() };
        for event in events {
            let key = self.digest.key(&event.message_id);
            if self.delivered.contains(key) || floor.is_some_and(|f| event.at < f) {
                out.duplicates += 1;
                continue;
            }
            if event.at > horizon {
                out.ahead += 1;
                if out.first_ahead.is_none() {
                    out.first_ahead = Some((event.message_id.clone(), event.generated.clone()));
                }
            } else {
                self.newest = Some(self.newest.map_or(event.at, |n| n.max(event.at)));
            }
            if self.delivered.insert(key, event.at.max(late_until.unwrap_or(event.at))) {
                self.notices.push(CapReached::Ids(self.delivered.cap()));
            }
            out.fresh.push(event);
        }
        self.forget_before_floor();
        out
    }

    /// Takes in the rows of a page that could not be read and returns those
    /// not met before, so that a malformed row re-read on every poll of the
    /// back-read window is counted and logged once. It is remembered by
    /// `message_id` (apart from delivered ids, under its own cap) until the
    /// floor passes the time it was generated (or a lower bound of it, never
    /// below `query_floor`, the floor of the query that returned it). A row
    /// without a `message_id` cannot be recognised and is always new.
    pub fn note_skipped<'a>(&mut self, skipped: &'a [Skipped], query_floor: Option<NaiveDateTime>) -> Vec<&'a Skipped> {
        let mut new = Vec::new();
        for row in skipped {
            let Some(id) = &row.message_id else {
                new.push(row);
                continue;
            };
            let key = self.digest.key(id);
            if self.skipped.contains(key) {
                continue;
            }
            // None orders below Some: the later of the two bounds known
            let at = row.at.max(query_floor).unwrap_or(NaiveDateTime::MIN);
            if self.skipped.insert(key, at) {
                self.notices.push(CapReached::Skipped(self.skipped.cap()));
            }
            new.push(row);
        }
        new
    }

    fn forget_before_floor(&mut self) {
        let Some(floor) = self.floor() else { return };
        self.delivered.forget_before(floor);
        self.skipped.forget_before(floor);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::timestamp;

    fn ev(id: &str, at: &str) -> Event {
        Event {
            message_id: id.into(),
            event_type: "t".into(),
            generated: at.into(),
            at: timestamp::parse(at).unwrap(),
            traits: vec![],
        }
    }

    fn admit(c: &mut Cursor, page: Vec<Event>) -> (Vec<Event>, usize) {
        let a = c.admit(page, NaiveDateTime::MAX);
        (a.fresh, a.duplicates)
    }

    fn ids(events: &[Event]) -> Vec<&str> {
        events.iter().map(|e| e.message_id.as_str()).collect()
    }

    #[test]
    fn starts_at_since_and_never_reads_below_it() {
        let since = timestamp::parse("2020-01-01T00:00:10").unwrap();
        let mut c = Cursor::new(Some(since), std::time::Duration::from_secs(5));
        assert_eq!(c.floor(), Some(since));
        admit(&mut c, vec![ev("a", "2020-01-01T00:00:12")]);
        assert_eq!(c.floor(), Some(since), "backread must not reach below since");
        admit(&mut c, vec![ev("b", "2020-01-01T00:01:00")]);
        assert_eq!(timestamp::format(c.floor().unwrap()), "2020-01-01T00:00:55.000000");
    }

    #[test]
    fn rereading_the_window_yields_nothing_twice() {
        let mut c = Cursor::new(None, std::time::Duration::from_secs(5));
        let page = vec![ev("a", "2020-01-01T00:00:01"), ev("b", "2020-01-01T00:00:02")];
        let (fresh, dup) = admit(&mut c, page.clone());
        assert_eq!((ids(&fresh), dup), (vec!["a", "b"], 0));
        let mut again = page;
        again.push(ev("late", "2020-01-01T00:00:01.5"));
        let (fresh, dup) = admit(&mut c, again);
        assert_eq!((ids(&fresh), dup), (vec!["late"], 2));
    }

    #[test]
    fn a_cursor_keeping_late_events_delivers_them_once_but_nothing_before_the_start() {
        let since = timestamp::parse("2020-01-01T00:00:00").unwrap();
        let mut c = Cursor::new(Some(since), std::time::Duration::from_secs(5)).keeping_late();
        assert_eq!(ids(&admit(&mut c, vec![ev("a", "2020-01-01T00:01:00")]).0), vec!["a"]);
        // a minute late, far behind the floor: delivered once
        let late = vec![ev("late", "2020-01-01T00:00:01"), ev("a", "2020-01-01T00:01:00")];
        assert_eq!(admit(&mut c, late.clone()), (vec![late[0].clone()], 1));
        assert_eq!(admit(&mut c, vec![ev("before", "2019-12-31T23:59:59")]).1, 1);
        // the floor still moves with the newest stamp and bounds memory; the
        // late one is remembered for a window from where the floor was
        assert_eq!(timestamp::format(c.floor().unwrap()), "2020-01-01T00:00:55.000000");
        assert_eq!(c.remembered(), 2);
        assert_eq!(admit(&mut c, vec![late[0].clone()]).1, 1);
        admit(&mut c, vec![ev("b", "2020-01-01T00:02:00")]);
        assert_eq!(c.remembered(), 1, "past the window: forgotten");
    }

    #[test]
    fn a_forgotten_event_served_again_is_not_delivered_twice() {
        let mut c = Cursor::new(None, std::time::Duration::from_secs(5));
        let page = vec![ev("old", "2016-01-01T00:00:00"), ev("new", "2026-01-01T00:00:00")];
        assert_eq!(ids(&admit(&mut c, page.clone()).0), vec!["old", "new"]);
        assert_eq!(c.remembered(), 1, "old is outside the window and forgotten");
        let (fresh, dup) = admit(&mut c, page);
        assert_eq!((fresh.len(), dup), (0, 2));
    }

    #[test]
    fn memory_is_bounded_by_the_window() {
        let mut c = Cursor::new(None, std::time::Duration::from_secs(5));
        let start = timestamp::parse("2020-01-01T00:00:00").unwrap();
        for i in 0..10_000 {
            let at = start + Duration::milliseconds(i * 10);
            admit(&mut c, vec![Event { at, ..ev(&format!("m{i}"), "2020-01-01T00:00:00") }]);
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
        admit(&mut c, vec![ev("a", "2020-01-01T00:00:03")]);
        // read again: the row with an id is known, the one without is not recognisable
        let again = c.note_skipped(&rows, c.floor());
        assert_eq!(again.iter().map(|s| s.message_id.as_deref()).collect::<Vec<_>>(), vec![None]);
        // once the window has passed it, it is forgotten like a delivered event
        admit(&mut c, vec![ev("z", "2020-01-01T00:01:00")]);
        assert_eq!((c.remembered(), c.remembered_skipped()), (1, 0));
    }

    #[test]
    fn many_events_on_one_timestamp_are_all_remembered() {
        let mut c = Cursor::new(None, std::time::Duration::from_secs(5));
        let page: Vec<Event> = (0..5000).map(|i| ev(&format!("m{i:05}"), "2020-01-01T00:00:00")).collect();
        assert_eq!(admit(&mut c, page.clone()).0.len(), 5000);
        assert_eq!(admit(&mut c, page).1, 5000);
    }

    #[test]
    fn an_event_past_the_horizon_is_delivered_once_but_does_not_move_the_cursor() {
        let mut c = Cursor::new(None, std::time::Duration::from_secs(5));
        let horizon = timestamp::parse("2026-01-01T00:05:00").unwrap();
        let page =
            vec![ev("a", "2026-01-01T00:00:00"), ev("far", "2099-01-01T00:00:00"), ev("b", "2026-01-01T00:00:01")];
        let got = c.admit(page.clone(), horizon);
        assert_eq!(ids(&got.fresh), vec!["a", "far", "b"]);
        assert_eq!((got.ahead, got.first_ahead), (1, Some(("far".into(), "2099-01-01T00:00:00".into()))));
        assert_eq!(timestamp::format(c.position().unwrap()), "2026-01-01T00:00:01.000000");
        // re-read with the window: remembered, so not delivered again
        let again = c.admit(page, horizon);
        assert_eq!((again.fresh.len(), again.duplicates, again.ahead), (0, 3, 0));
        // a later event still lands above the floor
        assert_eq!(ids(&c.admit(vec![ev("c", "2026-01-01T00:00:02")], horizon).fresh), vec!["c"]);
    }

    #[test]
    fn delivered_ids_are_capped_oldest_first_with_one_notice() {
        let mut c = Cursor::new(None, std::time::Duration::from_secs(3600)).with_caps(100, 10);
        let start = timestamp::parse("2026-01-01T00:00:00").unwrap();
        let page = |from: i64, n: i64| -> Vec<Event> {
            (from..from + n)
                .map(|i| Event { at: start + Duration::seconds(i), ..ev(&format!("m{i}"), "2026-01-01T00:00:00") })
                .collect()
        };
        assert_eq!(admit(&mut c, page(0, 100)).0.len(), 100);
        assert!(c.take_notices().is_empty());
        assert_eq!(admit(&mut c, page(100, 50)).0.len(), 50);
        assert_eq!(c.remembered(), 100);
        assert_eq!(c.take_notices(), vec![CapReached::Ids(100)]);
        admit(&mut c, page(150, 50));
        assert!(c.take_notices().is_empty(), "one notice only");
        // the newest are kept: the last page is still known
        assert_eq!(admit(&mut c, page(150, 50)).1, 50);
        assert!(c.knows("m199") && !c.knows("m0"));
    }

    #[test]
    fn a_restored_cursor_stands_where_the_saved_one_stood() {
        let since = timestamp::parse("2026-01-01T00:00:00").unwrap();
        let mut c = Cursor::new(Some(since), std::time::Duration::from_secs(5));
        let page = vec![ev("a", "2026-01-01T00:00:01"), ev("b", "2026-01-01T00:00:08"), ev("c", "2026-01-01T00:00:09")];
        admit(&mut c, page.clone());
        let bad =
            Skipped { message_id: Some("bad".into()), reason: "x".into(), at: timestamp::parse("2026-01-01T00:00:07") };
        c.note_skipped(std::slice::from_ref(&bad), c.floor());
        let saved = c.position_state();
        // through the file's text, as a restart reads it
        let snapshot = crate::state::Snapshot {
            stream: crate::config::Stream::of(&serde_json::json!({"url": "http://x"})),
            position: saved.clone(),
            floor: c.floor(),
            service_cursor: None,
        };
        let read = crate::state::Snapshot::parse(&snapshot.to_json()).unwrap();
        let mut r = Cursor::new(None, std::time::Duration::from_secs(5)).restored(&read.position);
        assert_eq!((r.floor(), r.position(), r.remembered()), (c.floor(), c.position(), c.remembered()));
        assert_eq!(r.position_state(), saved);
        // the window re-read: nothing delivered twice, the new one once
        let mut again = page;
        again.push(ev("d", "2026-01-01T00:00:06"));
        assert_eq!(admit(&mut r, again), (vec![ev("d", "2026-01-01T00:00:06")], 3));
        assert!(r.note_skipped(&[bad], r.floor()).is_empty(), "the malformed row is reported once");
        assert_eq!(r.remembered_as("c").map(|(_, at)| at), Some(timestamp::parse("2026-01-01T00:00:09")));
        // a fresh cursor's keys differ: the seed is what makes them match
        let fresh = Cursor::new(None, std::time::Duration::from_secs(5));
        assert_ne!(fresh.digest.key("c"), r.digest.key("c"));
        assert_eq!(c.digest.key("c"), r.digest.key("c"));
    }

    #[test]
    fn malformed_rows_are_capped_apart_from_delivered_ids() {
        let mut c = Cursor::new(None, std::time::Duration::from_secs(5)).with_caps(1000, 10);
        let future = timestamp::parse("2099-01-01T00:00:00").unwrap();
        let rows: Vec<Skipped> = (0..25)
            .map(|i| Skipped {
                message_id: Some(format!("{i}{}", "x".repeat(10_000))),
                reason: "r".into(),
                at: Some(future + Duration::seconds(i)),
            })
            .collect();
        assert_eq!(c.note_skipped(&rows, None).len(), 25);
        assert_eq!(c.remembered_skipped(), 10);
        assert_eq!(c.take_notices(), vec![CapReached::Skipped(10)]);
        assert_eq!(c.remembered(), 0);
        // the newest ten are still recognised
        assert_eq!(c.note_skipped(&rows[15..], None).len(), 0);
        // a delivered id and a skipped one do not push each other out
        admit(&mut c, vec![ev("ok", "2026-01-01T00:00:00")]);
        assert_eq!((c.remembered(), c.remembered_skipped()), (1, 10));
    }
}
