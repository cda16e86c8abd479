//! Event sources: the dialect of the service polled. A [`Source`] builds the
//! request for a [`Query`] (the paging state the engine keeps) and reads the
//! body that answers it into a [`Page`]; the engine ([`crate::poll::monitor`])
//! does the rest — session, prefetch, back-off, progress checks, cursor —
//! the same for every source.
//!
//! One file per dialect: [`panko`] (OpenStack Panko's v2 events API, with
//! `marker`) and [`ceilometer`] (Ceilometer's own v2 events API: the same
//! filters, no `marker`, no `all_tenants`), and [`json`] (any JSON events
//! API, mapped and paged as its options say).

use std::fmt;

use chrono::NaiveDateTime;
use url::Url;

use crate::model::event::Page;
use crate::util::timestamp;

pub(crate) mod ceilometer;
pub(crate) mod json;
mod kind;
pub(crate) mod panko;

pub use kind::Kind;

/// The most characters of a marker a log line shows.
const MARKER_SHOWN: usize = 100;

/// One request's worth of paging state, whatever the dialect.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Query {
    /// Events stamped at or after this; none on a first poll without a start.
    pub floor: Option<NaiveDateTime>,
    /// Every project's events, where the source can ask for them.
    pub all_tenants: bool,
    pub limit: u32,
    /// `message_id` of the last row of the previous page of this drain;
    /// only for a source that [supports it](Source::supports_marker).
    pub marker: Option<String>,
    /// What `marker` is when it is a cursor kept between polls (a source
    /// that [resumes](Source::resumes)); `None` for a drain's next page.
    pub resume: Option<Resume>,
}

/// A cursor of the service's own, kept between polls in place of the
/// timestamp: the marker then asks for what comes after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resume {
    /// A numeric, increasing record id: records with a greater id.
    Id,
    /// An opaque change-feed token: what comes after the page it ended.
    Token,
}

impl Query {
    /// What the query asks for, for the poll's log line.
    pub fn describe(&self) -> String {
        let mut text = match (self.floor, self.marker.as_deref(), self.resume) {
            (_, Some(m), Some(Resume::Id)) => format!("events after id {}", clipped(m)),
            (_, Some(m), Some(Resume::Token)) => format!("events from cursor token {}", clipped(m)),
            (Some(f), ..) => format!("events with start_timestamp >= {}", timestamp::format(f)),
            (None, ..) => "all events".to_owned(),
        };
        if self.all_tenants {
            text.push_str(", all tenants");
        }
        text.push_str(&format!(", limit {}", self.limit));
        if let (Some(m), None) = (&self.marker, self.resume) {
            text.push_str(&format!(", after marker {}", clipped(m)));
        }
        text
    }
}

/// A marker as a log line shows it: a service's id or token can be of any
/// length, so its start.
fn clipped(marker: &str) -> String {
    match marker.char_indices().nth(MARKER_SHOWN) {
        Some((end, _)) => format!("{}… ({} bytes)", &marker[..end], marker.len()),
        None => marker.to_owned(),
    }
}

/// What answered a request: a source that pages by response headers or
/// by URLs relative to the request reads more than the body.
#[derive(Debug, Clone, Copy)]
pub struct Response<'a> {
    /// The URL asked.
    pub url: &'a Url,
    /// The query it was asked for.
    pub query: &'a Query,
    pub headers: &'a reqwest::header::HeaderMap,
    pub body: &'a [u8],
}

/// One request as a source asks it: the method, the URL, the source's own
/// headers (the credentials' are added to them) and a body.
pub struct Request {
    pub method: reqwest::Method,
    pub url: Url,
    pub headers: Vec<(reqwest::header::HeaderName, reqwest::header::HeaderValue)>,
    pub body: Option<Vec<u8>>,
}

impl Request {
    /// A GET of `url`, nothing more.
    pub fn get(url: Url) -> Request {
        Request { method: reqwest::Method::GET, url, headers: Vec::new(), body: None }
    }
}

impl fmt::Debug for Request {
    /// The header names only: a value may be a secret.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("url", &self.url.as_str())
            .field("headers", &names)
            .field("body_bytes", &self.body.as_ref().map(Vec::len))
            .finish()
    }
}

/// A service dialect. Implementations hold no per-poll state (that is the
/// engine's), so one is shared by the poll and its prefetch task.
pub trait Source: fmt::Debug + Send + Sync {
    /// The source's name, as the `http.source` option spells it.
    fn name(&self) -> &'static str;

    /// What the source is, for `check` and log lines.
    fn describe(&self) -> &'static str;

    /// The URL of the request for `query`, below the service's base URL.
    fn url(&self, base: &Url, query: &Query) -> Url;

    /// The request for `query`; the default is a GET of [`Source::url`].
    fn request(&self, base: &Url, query: &Query) -> Request {
        Request::get(self.url(base, query))
    }

    /// The secrets the source's options hold (header values), for the
    /// monitor's scrubber.
    fn secrets(&self) -> Vec<String> {
        Vec::new()
    }

    /// Reads one response body into a page of rows.
    fn parse(&self, body: &[u8], max_nesting: usize) -> Result<Page, String> {
        panko::parse_page(body, max_nesting)
    }

    /// Reads one answer into a page; the marker of the next page, if the
    /// source pages with one, is the page's `last_message_id`. The default
    /// reads the body alone.
    fn read(&self, response: &Response<'_>, max_nesting: usize) -> Result<Page, String> {
        self.parse(response.body, max_nesting)
    }

    /// Whether the marker is a row's `message_id`, so that a page holding
    /// that row shows the marker ignored. A source whose marker is a URL,
    /// a page number or another field says no.
    fn marker_is_id(&self) -> bool {
        true
    }

    /// Whether the service pages with `marker`; without it, paging goes by
    /// timestamp from the start.
    fn supports_marker(&self) -> bool;

    /// Whether the service knows `all_tenants`; without it the monitor reads
    /// what the token's project may see.
    fn supports_all_tenants(&self) -> bool;

    /// A cursor of the service's own that the marker carries between polls
    /// (the marker is then kept when a drain ends, and each poll asks from
    /// it); `None` (the default): the marker only pages within a drain.
    fn resumes(&self) -> Option<Resume> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describe_clips_a_long_marker() {
        let q = Query { floor: timestamp::parse("2016-03-14T14:22:00.5"), limit: 50, ..Query::default() };
        assert!(q.describe().contains(">= 2016-03-14T14:22:00.500000"));
        let long = Query { marker: Some("m".repeat(5000)), ..q };
        assert!(long.describe().len() < 300 && long.describe().contains("(5000 bytes)"), "{}", long.describe());
    }

    #[test]
    fn describe_says_what_a_cursor_asks_for() {
        let q = Query { limit: 50, marker: Some("1234".into()), resume: Some(Resume::Id), ..Query::default() };
        assert_eq!(q.describe(), "events after id 1234, limit 50");
        let t = Query { marker: Some("t".repeat(500)), resume: Some(Resume::Token), ..q.clone() };
        assert!(t.describe().starts_with("events from cursor token ttt") && t.describe().contains("(500 bytes)"));
        // no cursor yet: the first read as any other
        let first = Query { marker: None, ..t };
        assert_eq!(first.describe(), "all events, limit 50");
    }
}
