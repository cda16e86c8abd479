//! Paging through a backlog, with progress checked on every page rather
//! than assumed.
//!
//! Panko pages with `limit` and `marker` (keyset on `generated`,
//! `message_id`). Other services do not: Ceilometer's own v2 events API
//! answers 400 to `marker`, some ignore it and serve the first page again,
//! some cap pages below the `limit` asked. So:
//! - a page whose rows include the marker sent (or start before the last
//!   page ended) shows the marker is ignored; a 400 to a request carrying
//!   `marker` shows it is refused: either way paging goes on by timestamp
//!   only, for good;
//! - by timestamp, the next page starts at the newest stamp of the last
//!   (`start_timestamp ge`); a full page whose rows all share one stamp
//!   would come back the same, so `limit` doubles, up to `max_page_size`
//!   (or the service's page cap); past that the timestamp is reported and
//!   left behind, never re-read in a tight loop;
//! - a short page ends the drain only when it proves the end: the service
//!   has already served a page of that size. Otherwise a page that brought
//!   new rows is followed by another request; one that returns at least as
//!   many rows again after a short one teaches the service's page cap;
//! - a drain goes on back to back only while each page makes progress
//!   (new rows, a marker or floor further on, a larger limit); anything else
//!   ends it, and the next poll waits for the poll interval;
//! - a source that [resumes](crate::source::Source::resumes) (a record id
//!   or change-feed token of the service's own) keeps its marker when a
//!   drain ends: every poll asks from it, without a floor; a full page is
//!   followed at once, a short one ends the drain caught up, and a full one
//!   that brought nothing new ends it as a page served again.

use std::collections::BTreeSet;

use chrono::NaiveDateTime;

use crate::source::{Query, Resume};

mod summary;

pub use summary::Summary;

/// A cap is learned only from pages at least this big: a few events that
/// arrive between two requests must not pass for one.
const MIN_LEARNED_CAP: usize = 10;
/// Over-full timestamps remembered, so each is reported once.
const OVERFULL_KEPT: usize = 1000;

/// Something paging learned that the operator should hear about.
#[derive(Debug, Clone, PartialEq)]
pub enum Notice {
    /// The service served the marker's row again (or rows before it).
    MarkerIgnored,
    /// It returned fewer rows than asked while more existed.
    PageCap(usize),
    /// More events share one timestamp than a page can hold, and there is
    /// no working marker: those past the first `rows` cannot be read.
    Overfull { at: NaiveDateTime, rows: usize, cap: usize },
    /// `rows` rows all stamped `at` came when `limit` were asked, yet later
    /// events exist: either they arrived meanwhile or the service caps
    /// pages at `rows` (then events on `at` past those were not read).
    ShortTimestamp { at: NaiveDateTime, rows: usize, limit: u32 },
    /// A page asked with a marker (a next URL, a page number…) came back
    /// the same as the one before it (same rows, same next marker), or
    /// pointed back at itself: the drain ends instead of looping.
    RepeatedPage,
}

#[derive(Debug, Clone)]
struct Drain {
    floor: Option<NaiveDateTime>,
    marker: Option<String>,
    limit: u32,
    /// Set when this request looks past a short page all stamped `.0`
    /// (`.1` rows), to learn whether the service held more.
    peek: Option<(NaiveDateTime, usize)>,
    /// The page that led here and its request, to learn from the next.
    prev: Summary,
    prev_query: Query,
}

/// The paging state of one monitor.
#[derive(Debug)]
pub struct Paging {
    page_size: u32,
    max_page_size: u32,
    timestamp_only: bool,
    /// The most rows the service returns per page, once learned.
    service_cap: Option<usize>,
    /// The most rows one page has held.
    most_rows: usize,
    drain: Option<Drain>,
    overfull: BTreeSet<NaiveDateTime>,
    /// The kind of the service's cursor, for a source that resumes.
    resumes: Option<Resume>,
    /// Its last value, kept across drains; `None` until a page gave one.
    kept: Option<String>,
    /// Whether the last page was short (for a source that resumes, the
    /// proof of being caught up).
    short: bool,
}

impl Paging {
    pub fn new(page_size: u32, max_page_size: u32) -> Self {
        let page_size = page_size.max(1);
        Paging {
            page_size,
            max_page_size: max_page_size.max(page_size),
            timestamp_only: false,
            service_cap: None,
            most_rows: 0,
            drain: None,
            overfull: BTreeSet::new(),
            resumes: None,
            kept: None,
            short: false,
        }
    }

    /// Paging by a cursor of the service's own (`kind`), kept between polls.
    pub fn resuming(mut self, kind: Resume) -> Self {
        self.resumes = Some(kind);
        self
    }

    /// The service's cursor kept between polls (a source that resumes).
    pub fn kept(&self) -> Option<&str> {
        self.kept.as_deref()
    }

    /// Resumes from a service cursor kept earlier (a state file); ignored
    /// by a source that does not resume.
    pub fn resume_from(&mut self, kept: Option<String>) {
        if self.resumes.is_some() {
            self.kept = kept;
        }
    }

    /// Whether the marker is a cursor kept between polls.
    pub fn resumes(&self) -> bool {
        self.resumes.is_some()
    }

    /// Whether the last page proved there is nothing more: no drain under
    /// way and, for a source that resumes, the last page short.
    pub fn caught_up(&self) -> bool {
        self.drain.is_none() && (self.resumes.is_none() || self.short)
    }

    /// Paging for a service without `marker` (Ceilometer's own v2 events
    /// API): by timestamp from the first request, as after
    /// [`Paging::marker_rejected`], without the failed request.
    pub fn without_marker(page_size: u32, max_page_size: u32) -> Self {
        let mut paging = Paging::new(page_size, max_page_size);
        paging.timestamp_only = true;
        paging
    }

    /// From now on pages by timestamp only: the service turned out to be
    /// one without `marker` (found from the catalog). A drain under way
    /// goes on as after [`Paging::marker_rejected`].
    pub fn stop_marker(&mut self) -> Vec<Notice> {
        self.marker_rejected()
    }

    /// Whether a drain is under way (its next page is due at once).
    pub fn draining(&self) -> bool {
        self.drain.is_some()
    }

    /// Whether `marker` was found ignored or refused.
    #[cfg(test)]
    pub fn timestamp_only(&self) -> bool {
        self.timestamp_only
    }

    /// The service's page cap, once learned.
    #[cfg(test)]
    pub fn service_cap(&self) -> Option<usize> {
        self.service_cap
    }

    /// The next request: the drain's next page, else a new poll from
    /// `floor` (the cursor's).
    pub fn next_query(&mut self, floor: Option<NaiveDateTime>, all_tenants: bool) -> Query {
        if let Some(kind) = self.resumes {
            // once the service's cursor is known, it alone says where to read
            let (floor, limit) = match (&self.kept, &self.drain) {
                (Some(_), d) => (None, d.as_ref().map_or(self.page_size, |d| d.limit)),
                (None, Some(d)) => (d.floor, d.limit),
                (None, None) => (floor, self.page_size),
            };
            return Query { floor, all_tenants, limit, marker: self.kept.clone(), resume: Some(kind) };
        }
        match &self.drain {
            Some(d) => Query {
                floor: d.floor,
                all_tenants,
                limit: d.limit,
                marker: if self.timestamp_only { None } else { d.marker.clone() },
                resume: None,
            },
            None => {
                // a stamp below the floor can never be read again
                if let Some(floor) = floor {
                    self.overfull = self.overfull.split_off(&floor);
                }
                Query { floor, all_tenants, limit: self.page_size, marker: None, resume: None }
            }
        }
    }

    /// A failed request ends the drain; the next poll starts from the cursor
    /// (a kept one too: a page that cannot be read never moves it).
    pub fn abandon(&mut self) {
        self.drain = None;
    }

    /// A 400 to a request carrying `marker`: paging by timestamp only from
    /// now on. The drain goes on from the page that led to the refused
    /// request; [`Paging::draining`] tells whether a request is due at once.
    /// A source that resumes has no timestamp paging to fall back on: its
    /// drain ends, the cursor kept.
    pub fn marker_rejected(&mut self) -> Vec<Notice> {
        if self.resumes.is_some() {
            self.drain = None;
            return Vec::new();
        }
        self.timestamp_only = true;
        let mut notices = Vec::new();
        if let Some(d) = self.drain.take() {
            self.drain = self.by_timestamp(&d.prev_query, &d.prev, &mut notices);
            self.remember(&d.prev_query, &d.prev);
        }
        notices
    }

    /// Takes in the page `query` brought and decides whether the drain
    /// goes on (see [`Paging::draining`]).
    pub fn after_page(&mut self, query: &Query, page: &Summary) -> Vec<Notice> {
        let mut notices = Vec::new();
        let prev = self.drain.take();
        if self.resumes.is_some() {
            // the page was read: its cursor is where the next request asks
            if let Some(next) = &page.last_message_id {
                self.kept = Some(next.clone());
            }
        }
        if let Some(d) = &prev {
            let k = d.prev.rows;
            let asked = self.effective(d.prev_query.limit);
            // rows past the previous page: after its marker, or stamped later
            let beyond =
                page.rows > 0 && ((query.marker.is_some() && !page.repeats_marker) || page.max_at > d.prev.max_at);
            if k >= MIN_LEARNED_CAP && k < asked && beyond && page.rows >= k && self.service_cap != Some(k) {
                self.service_cap = Some(k);
                notices.push(Notice::PageCap(k));
            }
            if let Some((at, rows)) = d.peek.filter(|_| beyond) {
                if self.service_cap == Some(rows) {
                    self.overfull(at, rows, rows, &mut notices);
                } else {
                    notices.push(Notice::ShortTimestamp { at, rows, limit: d.prev_query.limit });
                }
            }
        }
        if self.service_cap.is_some_and(|cap| page.rows > cap) {
            self.service_cap = None;
        }
        self.most_rows = self.most_rows.max(page.rows);
        self.short = page.rows < self.effective(query.limit);
        let went_back = match (&prev, page.first_at) {
            (Some(d), Some(first)) => d.prev.last_at.is_some_and(|last| first < last),
            _ => false,
        };
        if query.marker.is_some()
            && !self.timestamp_only
            && self.resumes.is_none()
            && (page.repeats_marker || went_back)
        {
            self.timestamp_only = true;
            notices.push(Notice::MarkerIgnored);
        }
        if query.marker.is_some() && !self.timestamp_only {
            let same_as_before = prev.as_ref().is_some_and(|d| {
                page.rows > 0
                    && d.prev.rows == page.rows
                    && d.prev.ids_digest == page.ids_digest
                    && d.prev.last_message_id == page.last_message_id
            });
            let points_back = page.last_message_id.is_some() && page.last_message_id == query.marker;
            let repeated = match self.resumes {
                None => same_as_before || points_back,
                // a short page ends the drain anyway; a full one that brought
                // nothing new, or the same cursor, would be asked for again
                Some(_) => !self.short && (page.fresh == 0 || points_back),
            };
            if repeated {
                notices.push(Notice::RepeatedPage);
                self.drain = None;
                return notices;
            }
        }
        self.drain = if self.timestamp_only {
            self.by_timestamp(query, page, &mut notices)
        } else {
            self.by_marker(query, page)
        };
        self.remember(query, page);
        notices
    }

    fn remember(&mut self, query: &Query, page: &Summary) {
        if let Some(d) = &mut self.drain {
            d.prev = page.clone();
            d.prev_query = query.clone();
        }
    }

    /// Rows a page can hold: the limit, or the service's cap below it.
    fn effective(&self, limit: u32) -> usize {
        self.service_cap.map_or(limit as usize, |cap| cap.min(limit as usize))
    }

    /// Whether a page this short proves there is nothing more: the service
    /// has already served a page that size.
    fn proves_end(&self, limit: u32) -> bool {
        self.most_rows >= self.effective(limit)
    }

    fn next(&self, floor: Option<NaiveDateTime>, marker: Option<String>, limit: u32) -> Drain {
        Drain { floor, marker, limit, peek: None, prev: Summary::default(), prev_query: Query::default() }
    }

    fn by_marker(&self, query: &Query, page: &Summary) -> Option<Drain> {
        let full = page.rows >= self.effective(query.limit);
        if !full && (self.proves_end(query.limit) || page.fresh == 0) {
            return None;
        }
        let marker = page.last_message_id.clone()?;
        Some(self.next(query.floor, Some(marker), query.limit))
    }

    fn by_timestamp(&mut self, query: &Query, page: &Summary, notices: &mut Vec<Notice>) -> Option<Drain> {
        let floor = query.floor;
        let full = page.rows >= self.effective(query.limit);
        if full {
            if let Some(at) = page.one_timestamp() {
                let past = at.checked_add_signed(chrono::Duration::microseconds(1));
                if self.overfull.contains(&at) {
                    return past.map(|p| self.next(Some(p), None, self.page_size));
                }
                let cap = self.service_cap.map_or(self.max_page_size as usize, |c| c.min(self.max_page_size as usize));
                if (query.limit as usize) < cap {
                    let grown = query.limit.saturating_mul(2).min(cap as u32);
                    return Some(self.next(Some(at), None, grown));
                }
                self.overfull(at, page.rows, cap, notices);
                return past.map(|p| self.next(Some(p), None, self.page_size));
            }
            // on from the newest trusted stamp, if that is further on
            let on = page.max_trusted_at.filter(|m| floor.is_none_or(|f| *m > f))?;
            return Some(self.next(Some(on), None, self.page_size));
        }
        if self.proves_end(query.limit) {
            return None;
        }
        // not proven the end: on while the page brought new rows or the
        // floor can move
        let on = floor.max(page.max_trusted_at);
        if page.fresh > 0 || on > floor {
            return Some(self.next(on, None, query.limit));
        }
        // all known, all on one stamp: look past it once
        let at = page.one_timestamp().filter(|at| page.rows > 0 && !self.overfull.contains(at))?;
        let past = at.checked_add_signed(chrono::Duration::microseconds(1))?;
        let mut drain = self.next(Some(past), None, query.limit);
        drain.peek = Some((at, page.rows));
        Some(drain)
    }

    fn overfull(&mut self, at: NaiveDateTime, rows: usize, cap: usize, notices: &mut Vec<Notice>) {
        if self.overfull.len() >= OVERFULL_KEPT {
            self.overfull.pop_first();
        }
        if self.overfull.insert(at) {
            notices.push(Notice::Overfull { at, rows, cap });
        }
    }
}

#[cfg(test)]
mod tests;
