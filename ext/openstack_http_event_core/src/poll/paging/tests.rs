//! Paging against simulated services: Panko, services that ignore or
//! refuse `marker`, cap pages, serve a page again, or keep a cursor of
//! their own.

use super::*;
use crate::model::event::{Event, Page};
use crate::poll::cursor::Cursor;
use crate::util::timestamp;
use chrono::Duration;

/// How a simulated service treats `marker` and `limit`.
#[derive(Clone, Copy, Default)]
struct Dialect {
    ignore_marker: bool,
    reject_marker: bool,
    max_limit: Option<usize>,
    /// A cursor of the service's own: rows in arrival order, the marker
    /// the largest 1-based position read ("rows after N"); with
    /// `ignore_marker`, every request is served from the start.
    resume: bool,
}

struct Service {
    rows: Vec<Event>,
    dialect: Dialect,
    requests: usize,
}

impl Service {
    fn new(dialect: Dialect) -> Self {
        Service { rows: Vec::new(), dialect, requests: 0 }
    }

    fn add(&mut self, prefix: &str, n: usize, start: &str, step_ms: i64) {
        let start = timestamp::parse(start).unwrap();
        for i in 0..n {
            let at = start + Duration::milliseconds(step_ms * i as i64);
            let message_id = format!("{prefix}-{i:05}");
            self.rows.push(Event {
                message_id,
                event_type: "t".into(),
                generated: timestamp::format(at),
                at,
                traits: vec![],
            });
        }
        if !self.dialect.resume {
            self.rows.sort_by(|a, b| (a.at, &a.message_id).cmp(&(b.at, &b.message_id)));
        }
    }

    /// `None` for a 400.
    fn answer(&mut self, q: &Query) -> Option<Page> {
        self.requests += 1;
        if q.marker.is_some() && self.dialect.reject_marker {
            return None;
        }
        if self.dialect.resume {
            return Some(self.answer_after(q));
        }
        let mut from = q.floor.map_or(0, |f| self.rows.partition_point(|e| e.at < f));
        if let (Some(m), false) = (&q.marker, self.dialect.ignore_marker) {
            let i = self.rows.iter().position(|e| &e.message_id == m).unwrap();
            from = from.max(i + 1);
        }
        let n = self.dialect.max_limit.map_or(q.limit as usize, |c| c.min(q.limit as usize));
        let events: Vec<Event> = self.rows[from..].iter().take(n).cloned().collect();
        Some(Page {
            rows: events.len(),
            last_message_id: events.last().map(|e| e.message_id.clone()),
            events,
            skipped: vec![],
        })
    }
}

impl Service {
    /// Rows after the cursor (`floor` only without one), and the cursor
    /// the source makes of them: the largest position read, never back.
    fn answer_after(&self, q: &Query) -> Page {
        let sent = q.marker.as_deref().map(|m| m.parse::<usize>().unwrap());
        let after = if self.dialect.ignore_marker { 0 } else { sent.unwrap_or(0) };
        let n = self.dialect.max_limit.map_or(q.limit as usize, |c| c.min(q.limit as usize));
        let read: Vec<(usize, Event)> = (after..self.rows.len())
            .map(|i| (i + 1, self.rows[i].clone()))
            .filter(|(_, e)| q.floor.is_none_or(|f| e.at >= f))
            .take(n)
            .collect();
        let largest = read.iter().map(|(seq, _)| *seq).chain(sent).max();
        let events: Vec<Event> = read.into_iter().map(|(_, e)| e).collect();
        Page { rows: events.len(), last_message_id: largest.map(|s| s.to_string()), events, skipped: vec![] }
    }
}

struct Run {
    delivered: Vec<String>,
    notices: Vec<Notice>,
    /// Requests of each poll.
    polls: Vec<usize>,
}

/// Polls until a poll ends caught up with nothing new, at most `polls` times.
fn run(service: &mut Service, page_size: u32, max_page_size: u32, polls: usize) -> (Run, Paging) {
    run_with(service, Paging::new(page_size, max_page_size), polls)
}

fn run_with(service: &mut Service, mut paging: Paging, polls: usize) -> (Run, Paging) {
    let mut cursor = Cursor::new(None, std::time::Duration::from_secs(5));
    if paging.resumes() {
        cursor = cursor.keeping_late();
    }
    let mut out = Run { delivered: vec![], notices: vec![], polls: vec![] };
    let horizon = timestamp::parse("2030-01-01T00:00:00").unwrap();
    for _ in 0..polls {
        let before = service.requests;
        let mut new_in_poll = 0;
        loop {
            assert!(service.requests - before < 1000, "tight loop");
            let query = paging.next_query(cursor.floor(), false);
            let Some(page) = service.answer(&query) else {
                assert!(query.marker.is_some());
                out.notices.extend(paging.marker_rejected());
                if paging.draining() {
                    continue;
                }
                break;
            };
            let mut summary = Summary::of(&page, query.marker.as_deref(), horizon);
            let admitted = cursor.admit(page.events, horizon);
            summary.fresh = admitted.fresh.len();
            new_in_poll += admitted.fresh.len();
            out.delivered.extend(admitted.fresh.into_iter().map(|e| e.message_id));
            out.notices.extend(paging.after_page(&query, &summary));
            if !paging.draining() {
                break;
            }
        }
        out.polls.push(service.requests - before);
        if new_in_poll == 0 {
            break;
        }
    }
    (out, paging)
}

fn expect_all_once(run: &Run, service: &Service) {
    let mut got = run.delivered.clone();
    got.sort();
    let before = got.len();
    got.dedup();
    assert_eq!(got.len(), before, "duplicates delivered");
    let mut want: Vec<String> = service.rows.iter().map(|e| e.message_id.clone()).collect();
    want.sort();
    assert_eq!(got, want);
}

#[test]
fn panko_drains_in_ceil_n_over_limit_plus_one_requests() {
    let mut s = Service::new(Dialect::default());
    s.add("a", 250, "2026-01-01T00:00:00", 10);
    let (run, paging) = run(&mut s, 100, 10_000, 5);
    expect_all_once(&run, &s);
    assert_eq!(run.polls[0], 3, "two full pages, one short page that proves the end");
    assert!(run.notices.is_empty() && !paging.timestamp_only());
}

#[test]
fn a_short_first_page_is_checked_once_more() {
    let mut s = Service::new(Dialect::default());
    s.add("a", 30, "2026-01-01T00:00:00", 10);
    let (run, _) = run(&mut s, 100, 10_000, 5);
    expect_all_once(&run, &s);
    assert_eq!(run.polls, vec![2, 1]);
}

#[test]
fn a_service_that_ignores_marker_is_paged_by_timestamp() {
    for (distinct, shared) in [(250, 0), (100, 150), (0, 250)] {
        let mut s = Service::new(Dialect { ignore_marker: true, ..Dialect::default() });
        s.add("d", distinct, "2026-01-01T00:00:00", 10);
        s.add("s", shared, "2026-01-01T00:00:01.500", 0);
        let (run, paging) = run(&mut s, 100, 10_000, 5);
        expect_all_once(&run, &s);
        assert!(paging.timestamp_only());
        assert_eq!(run.notices.iter().filter(|n| **n == Notice::MarkerIgnored).count(), 1);
        assert!(run.polls.iter().all(|&n| n <= 8), "{:?}", run.polls);
    }
}

#[test]
fn a_service_that_rejects_marker_is_paged_by_timestamp() {
    let mut s = Service::new(Dialect { reject_marker: true, ..Dialect::default() });
    s.add("s", 150, "2026-01-01T00:00:00", 0);
    s.add("o", 100, "2026-01-01T00:00:01", 10);
    let (run, paging) = run(&mut s, 100, 10_000, 5);
    expect_all_once(&run, &s);
    assert!(paging.timestamp_only());
    assert!(run.polls[0] <= 6, "{:?}", run.polls);
}

#[test]
fn a_service_without_marker_is_paged_by_timestamp_from_the_first_request() {
    let mut s = Service::new(Dialect { reject_marker: true, ..Dialect::default() });
    s.add("s", 150, "2026-01-01T00:00:00", 0);
    s.add("o", 100, "2026-01-01T00:00:01", 10);
    // `run_with` asserts a refused request carried a marker: none is sent
    let (run, paging) = run_with(&mut s, Paging::without_marker(100, 10_000), 5);
    expect_all_once(&run, &s);
    assert!(paging.timestamp_only());
    assert!(run.notices.is_empty(), "{:?}", run.notices);
    assert!(run.polls[0] <= 5, "{:?}", run.polls);
}

#[test]
fn stopping_marker_mid_drain_goes_on_from_the_floor() {
    let mut paging = Paging::new(10, 100);
    let first = paging.next_query(None, false);
    let page = Summary { rows: 10, fresh: 10, last_message_id: Some("m".into()), ..Summary::default() };
    paging.after_page(&first, &page);
    assert_eq!(paging.next_query(None, false).marker.as_deref(), Some("m"));
    paging.stop_marker();
    assert!(paging.timestamp_only());
    assert_eq!(paging.next_query(None, false).marker, None);
}

#[test]
fn a_page_served_again_under_a_marker_ends_the_drain() {
    let mut paging = Paging::new(10, 100);
    let first = paging.next_query(None, false);
    let page =
        Summary { rows: 10, fresh: 10, ids_digest: 7, last_message_id: Some("/next".into()), ..Summary::default() };
    assert!(paging.after_page(&first, &page).is_empty());
    let second = paging.next_query(None, false);
    assert_eq!(second.marker.as_deref(), Some("/next"));
    // the same rows and the same next page again
    let again = Summary { fresh: 0, ..page.clone() };
    assert_eq!(paging.after_page(&second, &again), vec![Notice::RepeatedPage]);
    assert!(!paging.draining());
    // a next link pointing at the page itself
    let mut paging = Paging::new(10, 100);
    paging.after_page(&first, &page);
    let other = Summary { ids_digest: 8, ..page.clone() };
    assert_eq!(paging.after_page(&second, &other), vec![Notice::RepeatedPage]);
    assert!(!paging.draining() && !paging.timestamp_only());
}

#[test]
fn a_service_that_caps_pages_is_not_taken_for_caught_up() {
    let mut s = Service::new(Dialect { max_limit: Some(100), ..Dialect::default() });
    s.add("c", 250, "2026-01-01T00:00:00", 10);
    let (run, paging) = run(&mut s, 1000, 10_000, 5);
    expect_all_once(&run, &s);
    assert_eq!(paging.service_cap(), Some(100));
    assert_eq!(run.notices, vec![Notice::PageCap(100)]);
    assert_eq!(run.polls[0], 3);
}

#[test]
fn more_events_on_one_stamp_than_the_largest_page_are_reported_and_left_behind() {
    let mut s = Service::new(Dialect { ignore_marker: true, ..Dialect::default() });
    s.add("s", 500, "2026-01-01T00:00:00", 0);
    s.add("after", 20, "2026-01-01T00:00:01", 10);
    let (run, _) = run(&mut s, 100, 400, 5);
    let at = timestamp::parse("2026-01-01T00:00:00").unwrap();
    assert_eq!(run.notices.iter().filter(|n| matches!(n, Notice::Overfull { .. })).count(), 1);
    assert!(run.notices.contains(&Notice::Overfull { at, rows: 400, cap: 400 }));
    assert_eq!(run.delivered.len(), 420, "400 on the stamp, then every later event");
    assert!(run.delivered.iter().filter(|id| id.starts_with("after")).count() == 20);
}

#[test]
fn a_capped_service_without_marker_and_an_overfull_stamp_is_not_a_silent_stall() {
    let mut s = Service::new(Dialect { ignore_marker: true, max_limit: Some(100), ..Dialect::default() });
    s.add("s", 150, "2026-01-01T00:00:00", 0);
    s.add("after", 50, "2026-01-01T00:00:01", 10);
    let (run, _) = run(&mut s, 1000, 10_000, 5);
    assert_eq!(run.delivered.iter().filter(|id| id.starts_with("after")).count(), 50);
    assert!(
        run.notices
            .iter()
            .any(|n| matches!(n, Notice::Overfull { rows: 100, .. } | Notice::ShortTimestamp { rows: 100, .. })),
        "{:?}",
        run.notices
    );
}

#[test]
fn caught_up_polls_cost_a_bounded_number_of_requests() {
    let mut s = Service::new(Dialect { ignore_marker: true, ..Dialect::default() });
    s.add("d", 250, "2026-01-01T00:00:00", 10);
    let mut cursor_run = run(&mut s, 100, 10_000, 1).1;
    // poll again and again: nothing new, each poll ends
    let mut cursor = Cursor::new(None, std::time::Duration::from_secs(5));
    let horizon = timestamp::parse("2030-01-01T00:00:00").unwrap();
    for _ in 0..3 {
        let before = s.requests;
        loop {
            let q = cursor_run.next_query(cursor.floor(), false);
            let page = s.answer(&q).unwrap();
            let mut summary = Summary::of(&page, q.marker.as_deref(), horizon);
            summary.fresh = cursor.admit(page.events, horizon).fresh.len();
            cursor_run.after_page(&q, &summary);
            if !cursor_run.draining() {
                break;
            }
            assert!(s.requests - before < 20, "tight loop");
        }
    }
}

fn page(rows: &[(&str, &str)]) -> Page {
    let events: Vec<Event> = rows
        .iter()
        .map(|(id, at)| Event {
            message_id: (*id).into(),
            event_type: "t".into(),
            generated: (*at).into(),
            at: timestamp::parse(at).unwrap(),
            traits: vec![],
        })
        .collect();
    Page { rows: events.len(), last_message_id: events.last().map(|e| e.message_id.clone()), events, skipped: vec![] }
}

#[test]
fn a_summary_sees_the_marker_and_the_horizon() {
    let horizon = timestamp::parse("2026-01-01T00:05:00").unwrap();
    let p = page(&[("a", "2026-01-01T00:00:00"), ("b", "2026-01-01T00:00:01"), ("far", "2099-01-01T00:00:00")]);
    let s = Summary::of(&p, Some("b"), horizon);
    assert!(s.repeats_marker);
    assert_eq!(s.max_at, timestamp::parse("2099-01-01T00:00:00"));
    assert_eq!(s.max_trusted_at, timestamp::parse("2026-01-01T00:00:01"));
    assert_eq!(s.one_timestamp(), None);
    assert!(!Summary::of(&p, Some("zz"), horizon).repeats_marker);
    let same = page(&[("a", "2026-01-01T00:00:00"), ("b", "2026-01-01T00:00:00")]);
    assert_eq!(Summary::of(&same, None, horizon).one_timestamp(), timestamp::parse("2026-01-01T00:00:00"));
    // rows all on one stamp past the horizon: the floor may not go there
    let future = page(&[("x", "2099-01-01T00:00:00"), ("y", "2099-01-01T00:00:00")]);
    assert_eq!(Summary::of(&future, None, horizon).one_timestamp(), None);
}

#[test]
fn a_refused_marker_goes_on_by_timestamp_from_the_page_before() {
    let mut paging = Paging::new(2, 100);
    let horizon = timestamp::parse("2030-01-01T00:00:00").unwrap();
    let first = paging.next_query(None, false);
    let mut s = Summary::of(&page(&[("a", "2026-01-01T00:00:00"), ("b", "2026-01-01T00:00:05")]), None, horizon);
    s.fresh = 2;
    assert!(paging.after_page(&first, &s).is_empty());
    assert_eq!(paging.next_query(None, false).marker.as_deref(), Some("b"));
    assert!(paging.marker_rejected().is_empty());
    assert!(paging.timestamp_only() && paging.draining());
    let q = paging.next_query(None, false);
    assert_eq!((q.floor, q.marker, q.limit), (timestamp::parse("2026-01-01T00:00:05"), None, 2));
}

#[test]
fn a_page_that_starts_before_the_last_one_ended_shows_an_ignored_marker() {
    let mut paging = Paging::new(2, 100);
    let horizon = timestamp::parse("2030-01-01T00:00:00").unwrap();
    let q = paging.next_query(None, false);
    let mut s = Summary::of(&page(&[("a", "2026-01-01T00:00:00"), ("b", "2026-01-01T00:00:05")]), None, horizon);
    s.fresh = 2;
    paging.after_page(&q, &s);
    // not the marker's own row, but rows before it: the service started over
    let q = paging.next_query(None, false);
    let s = Summary::of(
        &page(&[("a0", "2026-01-01T00:00:01"), ("c", "2026-01-01T00:00:06")]),
        q.marker.as_deref(),
        horizon,
    );
    assert_eq!(paging.after_page(&q, &s), vec![Notice::MarkerIgnored]);
    assert!(paging.timestamp_only());
}

fn resuming(page_size: u32) -> Paging {
    Paging::new(page_size, 10_000).resuming(Resume::Id)
}

#[test]
fn a_cursor_of_the_service_s_own_drains_once_and_is_kept_between_polls() {
    let mut s = Service::new(Dialect { resume: true, ..Dialect::default() });
    s.add("same", 150, "2026-01-01T00:00:01", 0);
    s.add("other", 100, "2026-01-01T00:00:02", 10);
    let (run, mut paging) = run_with(&mut s, resuming(100), 5);
    expect_all_once(&run, &s);
    assert_eq!(run.polls, vec![3, 1], "two full pages, a short one; then a poll from the cursor");
    assert!(run.notices.is_empty() && paging.caught_up() && !paging.timestamp_only());
    let q = paging.next_query(timestamp::parse("2026-01-01T00:00:00"), false);
    assert_eq!((q.marker.as_deref(), q.floor, q.limit, q.resume), (Some("250"), None, 100, Some(Resume::Id)));
    // arrivals stamped long before the newest: read from the cursor, once
    s.add("late", 30, "2025-01-01T00:00:00", 10);
    let (late, _) = run_with(&mut s, paging, 5);
    assert_eq!(late.delivered.len(), 30);
    assert!(late.delivered.iter().all(|id| id.starts_with("late")));
}

#[test]
fn a_failed_request_does_not_move_a_kept_cursor() {
    let mut paging = resuming(10);
    let first = paging.next_query(None, false);
    assert_eq!(first.marker, None, "no cursor yet: the first read is bound by the floor");
    let full = Summary { rows: 10, fresh: 10, last_message_id: Some("10".into()), ..Summary::default() };
    paging.after_page(&first, &full);
    assert!(paging.draining() && !paging.caught_up());
    paging.abandon();
    assert!(!paging.caught_up(), "a failure proves nothing");
    assert_eq!(paging.next_query(None, false).marker.as_deref(), Some("10"));
    // a 400 to a cursor is no reason to page by timestamp
    assert!(paging.marker_rejected().is_empty() && !paging.timestamp_only());
    // a page that gives no cursor (a null token) keeps the one before
    let q = paging.next_query(None, false);
    let empty = Summary { rows: 0, ..Summary::default() };
    assert!(paging.after_page(&q, &empty).is_empty());
    assert!(paging.caught_up());
    assert_eq!(paging.next_query(None, false).marker.as_deref(), Some("10"));
}

#[test]
fn a_service_that_ignores_the_cursor_ends_each_drain_instead_of_looping() {
    let mut s = Service::new(Dialect { resume: true, ignore_marker: true, ..Dialect::default() });
    s.add("a", 250, "2026-01-01T00:00:00", 10);
    let (run, paging) = run_with(&mut s, resuming(100), 5);
    assert_eq!(run.delivered.len(), 100, "the first page, once");
    assert_eq!(run.polls, vec![2, 1], "the first page, its repeat; then one request");
    assert_eq!(run.notices, vec![Notice::RepeatedPage; 2]);
    assert!(!paging.caught_up(), "a repeated full page proves nothing");
    // a repeated short page ends the drain without a warning
    let mut s = Service::new(Dialect { resume: true, ignore_marker: true, ..Dialect::default() });
    s.add("a", 5, "2026-01-01T00:00:00", 10);
    let (run, _) = run_with(&mut s, resuming(100), 5);
    assert_eq!((run.delivered.len(), run.notices.len()), (5, 0));
}

#[test]
fn a_token_that_does_not_change_on_a_full_page_is_a_repeated_page() {
    let mut paging = Paging::new(2, 100).resuming(Resume::Token);
    let first = paging.next_query(None, false);
    let page = Summary { rows: 2, fresh: 2, last_message_id: Some("t1".into()), ..Summary::default() };
    assert!(paging.after_page(&first, &page).is_empty());
    let q = paging.next_query(None, false);
    assert_eq!((q.marker.as_deref(), q.resume), (Some("t1"), Some(Resume::Token)));
    // new rows, but the same token: asking again would serve them again
    let same = Summary { ids_digest: 9, ..page.clone() };
    assert_eq!(paging.after_page(&q, &same), vec![Notice::RepeatedPage]);
    assert!(!paging.draining());
    // an empty page with the same token: caught up, quietly
    let q = paging.next_query(None, false);
    let empty = Summary { rows: 0, last_message_id: Some("t1".into()), ..Summary::default() };
    assert!(paging.after_page(&q, &empty).is_empty() && paging.caught_up());
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]

    #[test]
    fn a_resuming_cursor_delivers_every_arrival_once(
        batches in proptest::collection::vec((-5_000i64..3_000, 1usize..120), 1..6),
        page_size in 1u32..60,
        cap in proptest::option::of(5usize..80),
    ) {
        let mut s = Service::new(Dialect { resume: true, max_limit: cap, ..Dialect::default() });
        let mut paging = resuming(page_size);
        let start = timestamp::parse("2026-01-01T00:00:00").unwrap();
        let mut want = 0;
        for (i, (offset_ms, n)) in batches.iter().enumerate() {
            // each batch arrives after the last poll, stamped anywhere
            s.add(&format!("b{i}"), *n, &timestamp::format(start + Duration::milliseconds(*offset_ms)), 1);
            want += n;
            let (run, p) = run_with(&mut s, paging, 50);
            paging = p;
            proptest::prop_assert!(run.notices.iter().all(|n| matches!(n, Notice::PageCap(_))), "{:?}", run.notices);
            let batch = format!("b{i}-");
            proptest::prop_assert!(run.delivered.iter().all(|id| id.starts_with(&batch)));
            proptest::prop_assert_eq!(run.delivered.len(), *n);
            proptest::prop_assert!(paging.caught_up());
        }
        proptest::prop_assert_eq!(s.rows.len(), want);
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]

    #[test]
    fn every_dialect_delivers_everything_once(
        clusters in proptest::collection::vec((1i64..3_000, 1usize..120), 1..8),
        page_size in 1u32..60,
        ignore_marker: bool,
        reject_marker: bool,
        cap in proptest::option::of(5usize..80),
    ) {
        let mut s = Service::new(Dialect { ignore_marker, reject_marker, max_limit: cap, ..Dialect::default() });
        // without a marker, a capped service cannot show more events on one
        // timestamp than its cap: no client can tell they exist
        let readable = |n: usize| if ignore_marker || reject_marker { cap.map_or(n, |c| n.min(c)) } else { n };
        let mut at = timestamp::parse("2026-01-01T00:00:00").unwrap();
        for (i, (gap, n)) in clusters.iter().map(|(gap, n)| (gap, readable(*n))).enumerate() {
            at += Duration::milliseconds(*gap); // one timestamp per cluster
            s.add(&format!("c{i}"), n, &timestamp::format(at), 0);
        }
        let (run, _) = run(&mut s, page_size, 10_000, 50);
        expect_all_once(&run, &s);
        // a timestamp holding exactly as many events as a capped page looks
        // just like one holding more: reporting it is right
        let ambiguous = (ignore_marker || reject_marker)
            && clusters.iter().any(|(_, n)| cap.is_some_and(|c| *n >= c));
        let overfull = run.notices.iter().any(|n| matches!(n, Notice::Overfull { .. }));
        proptest::prop_assert!(!overfull || ambiguous, "{:?}", run.notices);
    }
}
