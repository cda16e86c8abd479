//! What one page held, as far as paging cares: its rows, the stamps it
//! spans (and how far the service's clock lets the floor move), whether it
//! repeats the marker sent, and a digest of its ids to tell a page served
//! again.

use std::hash::{Hash, Hasher};

use chrono::NaiveDateTime;

use crate::model::event::Page;

/// What one page held, as far as paging cares.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Summary {
    /// Rows in the body, good or bad.
    pub rows: usize,
    /// Rows not met before: new events and new malformed rows.
    pub fresh: usize,
    /// Whether a row carries the marker the request sent.
    pub repeats_marker: bool,
    /// `generated` of the first and last event.
    pub first_at: Option<NaiveDateTime>,
    pub last_at: Option<NaiveDateTime>,
    /// The earliest and latest stamp known on the page.
    pub min_at: Option<NaiveDateTime>,
    pub max_at: Option<NaiveDateTime>,
    /// The latest stamp at or before the service's clock (plus skew): the
    /// furthest the floor may move.
    pub max_trusted_at: Option<NaiveDateTime>,
    pub last_message_id: Option<String>,
    /// A digest of the rows' ids in order, to tell a page served again.
    pub ids_digest: u64,
}

impl Summary {
    /// Reads a parsed page; `fresh` is left for the caller to fill in once
    /// the cursor has admitted it.
    pub fn of(page: &Page, marker: Option<&str>, horizon: NaiveDateTime) -> Summary {
        let known = page.events.iter().map(|e| e.at).chain(page.skipped.iter().filter_map(|s| s.at));
        let (mut min_at, mut max_at, mut max_trusted_at) = (None, None, None);
        for at in known {
            min_at = Some(min_at.map_or(at, |m: NaiveDateTime| m.min(at)));
            max_at = Some(max_at.map_or(at, |m: NaiveDateTime| m.max(at)));
            if at <= horizon {
                max_trusted_at = Some(max_trusted_at.map_or(at, |m: NaiveDateTime| m.max(at)));
            }
        }
        let repeats_marker = marker.is_some_and(|m| {
            page.events.iter().any(|e| e.message_id == m)
                || page.skipped.iter().any(|s| s.message_id.as_deref() == Some(m))
        });
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        for e in &page.events {
            e.message_id.hash(&mut hasher);
        }
        for s in &page.skipped {
            s.message_id.hash(&mut hasher);
        }
        Summary {
            ids_digest: hasher.finish(),
            rows: page.rows,
            fresh: 0,
            repeats_marker,
            first_at: page.events.first().map(|e| e.at),
            last_at: page.events.last().map(|e| e.at),
            min_at,
            max_at,
            max_trusted_at,
            last_message_id: page.last_message_id.clone(),
        }
    }

    /// The stamp every row shares, when they share one the floor may move to.
    pub(super) fn one_timestamp(&self) -> Option<NaiveDateTime> {
        (self.min_at == self.max_at && self.max_at == self.max_trusted_at).then_some(self.max_at).flatten()
    }
}
