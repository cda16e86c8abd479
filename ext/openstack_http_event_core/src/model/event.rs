//! One event as ManageIQ sees it ([`Event`]), whatever the source: the
//! page a source reads out of a response ([`Page`]), and a row it could not
//! read ([`Skipped`]).

use chrono::NaiveDateTime;

use crate::model::json::Value;
use crate::model::trait_name::TraitName;

/// A Panko event, converted the way ManageIQ's Ceilometer converter does:
/// `message_id`, `event_type`, `generated` verbatim as `timestamp`, and the
/// traits as `name => value` in order (a repeated name keeps its first
/// position and its last value, as Ruby's Hash#[]= does).
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub message_id: String,
    pub event_type: String,
    /// `generated` exactly as the service wrote it.
    pub generated: String,
    /// `generated` parsed as UTC; the cursor moves on this.
    pub at: NaiveDateTime,
    /// Every trait in the order of the body, repeats included; the binding
    /// makes the Hash. The parser shares one copy of each name between the
    /// events of a page.
    pub traits: Vec<(TraitName, Value)>,
}

/// A row the parser could not turn into an event, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Skipped {
    pub message_id: Option<String>,
    pub reason: String,
    /// Its `generated` when that could be read, else that of the good row
    /// before it on the page (rows come sorted by `generated`, so this is a
    /// lower bound); `None` when neither is known.
    pub at: Option<NaiveDateTime>,
}

/// One parsed response.
#[derive(Debug, Default)]
pub struct Page {
    pub events: Vec<Event>,
    pub skipped: Vec<Skipped>,
    /// Rows in the body, good or bad: a page with `limit` rows is full.
    pub rows: usize,
    /// The last row's `message_id`, the marker for the next page.
    pub last_message_id: Option<String>,
}
