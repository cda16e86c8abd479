//! A service's rate limit, read from an answer's headers: when the
//! requests left are none, how long until the budget is renewed.
//!
//! Two conventions: GitHub's `X-RateLimit-Remaining: 0` with
//! `X-RateLimit-Reset: <Unix epoch seconds>` (compared with the service's
//! clock, its `Date` header, so a skewed local clock does not matter), and
//! the IETF draft's `RateLimit-Remaining: 0` with `RateLimit-Reset: <delta
//! seconds>`.

use std::time::Duration;

use chrono::NaiveDateTime;
use reqwest::header::HeaderMap;

/// The budget of requests is spent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exhausted {
    /// How long until the budget is renewed; `None` when the answer does
    /// not say (or says it unreadably).
    pub reset_in: Option<Duration>,
    /// The header that said so, for messages.
    pub header: &'static str,
}

/// Whether `headers` say no request is left; `service_now` is the
/// service's clock when it answered ([`crate::util::clock::service_now`]).
pub fn exhausted(headers: &HeaderMap, service_now: NaiveDateTime) -> Option<Exhausted> {
    if number(headers, "x-ratelimit-remaining") == Some(0) {
        let reset_in = number(headers, "x-ratelimit-reset").map(|epoch| {
            let now = service_now.and_utc().timestamp();
            let ahead = i64::try_from(epoch).unwrap_or(i64::MAX).saturating_sub(now);
            Duration::from_secs(u64::try_from(ahead).unwrap_or(0))
        });
        return Some(Exhausted { reset_in, header: "X-RateLimit-Remaining" });
    }
    if number(headers, "ratelimit-remaining") == Some(0) {
        let reset_in = number(headers, "ratelimit-reset").map(Duration::from_secs);
        return Some(Exhausted { reset_in, header: "RateLimit-Remaining" });
    }
    None
}

/// A header holding a whole number of at most 18 digits (no sign, no
/// fraction); anything else reads as absent.
fn number(headers: &HeaderMap, name: &str) -> Option<u64> {
    let text = headers.get(name)?.to_str().ok()?.trim();
    if text.is_empty() || text.len() > 18 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (name, value) in pairs {
            h.insert(*name, value.parse().unwrap());
        }
        h
    }

    fn at(text: &str) -> NaiveDateTime {
        crate::util::timestamp::parse(text).unwrap()
    }

    #[test]
    fn github_reset_is_an_epoch_against_the_services_clock() {
        // 2026-01-01T00:00:00Z is 1767225600
        let now = at("2026-01-01T00:00:00");
        let h = headers(&[("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", "1767225630")]);
        assert_eq!(
            exhausted(&h, now),
            Some(Exhausted { reset_in: Some(Duration::from_secs(30)), header: "X-RateLimit-Remaining" })
        );
        // a reset already past: no wait
        assert_eq!(exhausted(&h, at("2026-01-01T01:00:00")).unwrap().reset_in, Some(Duration::ZERO));
    }

    #[test]
    fn ietf_reset_is_a_delta() {
        let h = headers(&[("ratelimit-remaining", "0"), ("ratelimit-reset", "12")]);
        let found = exhausted(&h, at("2026-01-01T00:00:00")).unwrap();
        assert_eq!((found.reset_in, found.header), (Some(Duration::from_secs(12)), "RateLimit-Remaining"));
    }

    #[test]
    fn requests_left_or_no_headers_is_no_limit() {
        let now = at("2026-01-01T00:00:00");
        assert_eq!(exhausted(&HeaderMap::new(), now), None);
        let h = headers(&[("x-ratelimit-remaining", "4"), ("x-ratelimit-reset", "1767225630")]);
        assert_eq!(exhausted(&h, now), None);
        assert_eq!(exhausted(&headers(&[("ratelimit-remaining", "1"), ("ratelimit-reset", "5")]), now), None);
    }

    #[test]
    fn unreadable_values_are_no_reset_or_no_limit() {
        let now = at("2026-01-01T00:00:00");
        for bad in ["soon", "-5", "1.5", "", "99999999999999999999999"] {
            let h = headers(&[("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", bad)]);
            assert_eq!(exhausted(&h, now).unwrap().reset_in, None, "{bad:?}");
            let h = headers(&[("x-ratelimit-remaining", bad)]);
            assert_eq!(exhausted(&h, now), None, "{bad:?}");
        }
        // no reset at all: spent, wait unknown
        let h = headers(&[("ratelimit-remaining", "0")]);
        assert_eq!(exhausted(&h, now).unwrap().reset_in, None);
    }
}
