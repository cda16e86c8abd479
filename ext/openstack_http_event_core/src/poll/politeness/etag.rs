//! Conditional requests (`http.source.etag`): the `ETag` of the answer to
//! the first request of a drain, kept with that request's URL, so that
//! asking the same URL again sends `If-None-Match` and a `304 Not
//! Modified` can say "nothing new" without a body.
//!
//! Only an answer that was the whole drain (one page, no next one) is kept:
//! a 304 for the first page of several says nothing of the pages after it,
//! where new events of a service that lists oldest first would appear.

use reqwest::header::{HeaderMap, HeaderValue, ETAG};
use url::Url;

/// The one `ETag` remembered, and the URL it answered.
#[derive(Debug, Default)]
pub struct EtagMemory {
    kept: Option<(Url, HeaderValue)>,
}

impl EtagMemory {
    /// The `If-None-Match` value for a request to `url`: the remembered
    /// `ETag` when it answered that very URL.
    pub fn if_none_match(&self, url: &Url) -> Option<&HeaderValue> {
        self.kept.as_ref().filter(|(kept, _)| kept == url).map(|(_, etag)| etag)
    }

    /// Remembers the `ETag` of the answer to `url` (the first request of a
    /// drain); an answer without one forgets what was kept.
    pub fn remember(&mut self, url: &Url, headers: &HeaderMap) {
        self.kept = headers.get(ETAG).filter(|v| is_etag(v.as_bytes())).map(|etag| (url.clone(), etag.clone()));
    }

    /// Forgets the `ETag` (its answer turned out to be only the first page).
    pub fn forget(&mut self) {
        self.kept = None;
    }
}

/// Whether `value` is an entity tag as RFC 9110 writes it: `"…"` or
/// `W/"…"`, visible ASCII inside, at most 1 KiB.
fn is_etag(value: &[u8]) -> bool {
    let tag = value.strip_prefix(b"W/").unwrap_or(value);
    tag.len() >= 2
        && value.len() <= 1024
        && tag.first() == Some(&b'"')
        && tag.last() == Some(&b'"')
        && tag[1..tag.len() - 1].iter().all(|b| *b == 0x21 || (0x23..=0x7e).contains(b) || *b >= 0x80)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn etag(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(ETAG, value.parse().unwrap());
        h
    }

    #[test]
    fn sends_the_etag_only_for_the_same_url() {
        let first = Url::parse("http://h/json/gh?since=2026-01-01T00:00:00").unwrap();
        let other = Url::parse("http://h/json/gh?since=2026-01-01T00:00:05").unwrap();
        let mut memory = EtagMemory::default();
        assert_eq!(memory.if_none_match(&first), None);
        memory.remember(&first, &etag("\"abc\""));
        assert_eq!(memory.if_none_match(&first).unwrap(), "\"abc\"");
        assert_eq!(memory.if_none_match(&other), None);
        memory.remember(&other, &etag("W/\"def\""));
        assert_eq!(memory.if_none_match(&first), None, "one URL at a time");
        assert_eq!(memory.if_none_match(&other).unwrap(), "W/\"def\"");
        memory.forget();
        assert_eq!(memory.if_none_match(&other), None);
    }

    #[test]
    fn an_answer_without_a_valid_etag_forgets() {
        let url = Url::parse("http://h/events").unwrap();
        let mut memory = EtagMemory::default();
        memory.remember(&url, &etag("\"abc\""));
        memory.remember(&url, &HeaderMap::new());
        assert_eq!(memory.if_none_match(&url), None);
        for bad in ["abc", "\"", "W/abc", "\"a\"b\"", "\"a b\""] {
            memory.remember(&url, &etag(bad));
            assert_eq!(memory.if_none_match(&url), None, "{bad:?}");
        }
        memory.remember(&url, &etag(&format!("\"{}\"", "x".repeat(2000))));
        assert_eq!(memory.if_none_match(&url), None, "too long");
    }
}
