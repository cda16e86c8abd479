//! What the service says about the requests to come, and the monitor's
//! obedience: conditional requests ([`etag`], `http.source.etag`),
//! a spent rate limit ([`rate_limit`]) that pauses polling until its
//! reset, a poll interval header (`http.source.poll_interval_header`) that
//! may slow polls down, never speed them up, and `Retry-After` — every wait
//! held to `http.max_service_wait` ([`service_wait`]).

pub(crate) mod etag;
pub(crate) mod rate_limit;
pub(crate) mod service_wait;

use std::time::Duration;

use chrono::{NaiveDateTime, Utc};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use tokio::time::Instant;
use url::Url;

use crate::config::Config;
use crate::shared::{Level, Shared};
use etag::EtagMemory;
use service_wait::{Asked, ServiceWaits};

/// The pause after a spent rate limit whose answer does not say when it
/// is renewed.
const UNKNOWN_RESET: Duration = Duration::from_secs(60);

/// The headers of an answer read as a page (a `304 Not Modified` reads as
/// an empty one), with the request they answered.
#[derive(Debug)]
pub struct Heard {
    pub url: Url,
    /// Whether the request was a drain's first (no marker).
    pub first: bool,
    pub not_modified: bool,
    pub headers: HeaderMap,
    /// The service's clock when it answered.
    pub now: NaiveDateTime,
}

/// One monitor's state of politeness.
#[derive(Debug)]
pub struct Politeness {
    /// `None` unless `http.source.etag`.
    etag: Option<EtagMemory>,
    interval_header: Option<HeaderName>,
    waits: ServiceWaits,
    /// No request before this (a spent rate limit).
    paused_until: Option<Instant>,
    /// The poll interval the last answer asked for.
    slower: Option<Duration>,
}

impl Politeness {
    pub fn new(config: &Config) -> Self {
        let json = config.json.as_deref();
        Politeness {
            etag: json.is_some_and(|j| j.etag()).then(EtagMemory::default),
            interval_header: json.and_then(|j| j.poll_interval_header().cloned()),
            waits: ServiceWaits::new(config.limits.max_service_wait),
            paused_until: None,
            slower: None,
        }
    }

    /// The `If-None-Match` header for a request to `url`, if any.
    pub fn if_none_match(&self, url: &Url) -> Option<(HeaderName, HeaderValue)> {
        let etag = self.etag.as_ref()?.if_none_match(url)?;
        Some((reqwest::header::IF_NONE_MATCH, etag.clone()))
    }

    /// Takes in an answer's headers: the `ETag` of a drain's first answer,
    /// a spent rate limit (logged once per pause), the poll interval asked.
    pub fn heard(&mut self, heard: &Heard, shared: &Shared) {
        if let Some(memory) = &mut self.etag {
            if heard.first && !heard.not_modified {
                memory.remember(&heard.url, &heard.headers);
            }
        }
        if let Some(name) = &self.interval_header {
            self.slower = service_wait::poll_interval(&heard.headers, name).map(|asked| {
                let (wait, warning) = self.waits.cap(Asked::PollInterval, asked);
                if let Some(warning) = warning {
                    shared.log(Level::Warn, warning);
                }
                wait
            });
        }
        if let Some(spent) = rate_limit::exhausted(&heard.headers, heard.now) {
            let wait = self.service_wait(Asked::RateLimitReset, spent.reset_in.unwrap_or(UNKNOWN_RESET), shared);
            let until = Instant::now() + wait;
            if self.paused().is_none() {
                let at = Utc::now() + chrono::Duration::from_std(wait).unwrap_or_default();
                let known = if spent.reset_in.is_some() { "" } else { " (the answer does not say when it resets)" };
                shared.log(
                    Level::Warn,
                    format!(
                        "the service's rate limit is spent ({}: 0): no request until {} (in {:.1}s){known}",
                        spent.header,
                        at.format("%Y-%m-%dT%H:%M:%SZ"),
                        wait.as_secs_f64()
                    ),
                );
            }
            self.paused_until = Some(self.paused_until.map_or(until, |p| p.max(until)));
        }
    }

    /// The drain went on past its first answer: its `ETag` covers only
    /// that page, so it is not sent again.
    pub fn drain_went_on(&mut self) {
        if let Some(memory) = &mut self.etag {
            memory.forget();
        }
    }

    /// Until when requests are paused, if they are.
    pub fn paused(&self) -> Option<Instant> {
        self.paused_until.filter(|at| *at > Instant::now())
    }

    /// When the next poll may start after a caught-up one that started at
    /// `started`: the poll interval, or the service's when it is longer,
    /// and not before a pause ends.
    pub fn next_poll(&self, started: Instant, poll_interval: Duration) -> Instant {
        let at = started + poll_interval.max(self.slower.unwrap_or(Duration::ZERO));
        self.paused().map_or(at, |p| p.max(at))
    }

    /// A wait the service asked for, capped (warned once per kind).
    pub fn service_wait(&mut self, kind: Asked, asked: Duration, shared: &Shared) -> Duration {
        let (wait, warning) = self.waits.cap(kind, asked);
        if let Some(warning) = warning {
            shared.log(Level::Warn, warning);
        }
        wait
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn politeness(source: serde_json::Value, extra: serde_json::Value) -> Politeness {
        let mut options = serde_json::json!({"url": "http://h/json/gh", "source": source});
        for (k, v) in extra.as_object().unwrap() {
            options[k] = v.clone();
        }
        Politeness::new(&Config::from_value(&options).unwrap())
    }

    fn gh(extra: serde_json::Value) -> serde_json::Value {
        let mut source =
            serde_json::json!({"type": "json", "records": "", "fields": {"event_type": "/type", "timestamp": "/time"}});
        for (k, v) in extra.as_object().unwrap() {
            source[k] = v.clone();
        }
        source
    }

    fn heard(url: &str, first: bool, pairs: &[(&'static str, &str)]) -> Heard {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.insert(*name, value.parse().unwrap());
        }
        Heard { url: Url::parse(url).unwrap(), first, not_modified: false, headers, now: Utc::now().naive_utc() }
    }

    #[test]
    fn etag_of_a_first_answer_is_sent_back_until_the_drain_goes_on() {
        let shared = Shared::new();
        let mut p = politeness(gh(serde_json::json!({"etag": true})), serde_json::json!({}));
        let url = Url::parse("http://h/json/gh?since=x").unwrap();
        p.heard(&heard("http://h/json/gh?since=x&page=2", false, &[("etag", "\"b\"")]), &shared);
        assert_eq!(p.if_none_match(&url), None, "not a first answer");
        p.heard(&heard("http://h/json/gh?since=x", true, &[("etag", "\"a\"")]), &shared);
        assert_eq!(p.if_none_match(&url).unwrap().1, "\"a\"");
        p.drain_went_on();
        assert_eq!(p.if_none_match(&url), None);
        // off by default
        let mut p = politeness(gh(serde_json::json!({})), serde_json::json!({}));
        p.heard(&heard("http://h/json/gh?since=x", true, &[("etag", "\"a\"")]), &shared);
        assert_eq!(p.if_none_match(&url), None);
    }

    #[test]
    fn a_spent_rate_limit_pauses_and_is_logged_once() {
        let shared = Shared::new();
        let mut p = politeness(gh(serde_json::json!({})), serde_json::json!({}));
        assert_eq!(p.paused(), None);
        let spent = [("ratelimit-remaining", "0"), ("ratelimit-reset", "30")];
        p.heard(&heard("http://h/x", true, &spent), &shared);
        p.heard(&heard("http://h/x", false, &spent), &shared);
        let paused = p.paused().unwrap();
        assert!(paused > Instant::now() + Duration::from_secs(25));
        let started = Instant::now();
        assert_eq!(p.next_poll(started, Duration::from_secs(1)), paused);
        let logs = shared.drain_logs();
        assert_eq!(logs.len(), 1, "{logs:?}");
        assert!(logs[0].1.contains("rate limit is spent (RateLimit-Remaining: 0)"), "{}", logs[0].1);
    }

    #[test]
    fn the_poll_interval_header_slows_polls_never_speeds_them_and_is_capped() {
        let shared = Shared::new();
        let source = gh(serde_json::json!({"poll_interval_header": "X-Poll-Interval"}));
        let mut p = politeness(source, serde_json::json!({"max_service_wait": 30}));
        let started = Instant::now();
        let second = Duration::from_secs(1);
        p.heard(&heard("http://h/x", true, &[("x-poll-interval", "5")]), &shared);
        assert_eq!(p.next_poll(started, second), started + Duration::from_secs(5));
        assert_eq!(p.next_poll(started, Duration::from_secs(9)), started + Duration::from_secs(9));
        p.heard(&heard("http://h/x", true, &[("x-poll-interval", "3600")]), &shared);
        assert_eq!(p.next_poll(started, second), started + Duration::from_secs(30));
        assert!(shared.drain_logs().iter().any(|(_, l)| l.contains("http.max_service_wait")));
        p.heard(&heard("http://h/x", true, &[]), &shared);
        assert_eq!(p.next_poll(started, second), started + second);
    }
}
