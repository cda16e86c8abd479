//! The service's clock, which bounds how far the cursor may move: the
//! `Date` header of its answer, else (absent or unreadable) the local clock.
//!
//! HTTP-dates (`Date`, and `Retry-After` for the HTTP client) are read as
//! RFC 9110 §5.6.7 has recipients read them: IMF-fixdate, RFC 850 and
//! asctime, by the `httpdate` crate ([`http_date`]). What it refuses is then
//! read as RFC 2822 (chrono), so a service that sends a numeric zone
//! (`Wed, 21 Oct 2015 07:28:00 +0000`), a one-digit day or no weekday is
//! still understood.

use chrono::{NaiveDateTime, Utc};
use reqwest::header::{HeaderMap, DATE};

/// The time the service says it answered, as naive UTC.
pub fn service_now(headers: &HeaderMap) -> NaiveDateTime {
    headers
        .get(DATE)
        .and_then(|v| v.to_str().ok())
        .and_then(http_date)
        .map_or_else(|| Utc::now().naive_utc(), |t| t.naive_utc())
}

/// An HTTP-date in any of RFC 9110's three forms, else (the form a few
/// services send) RFC 2822; `None` when it is neither.
pub fn http_date(text: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    let text = text.trim();
    match httpdate::parse_http_date(text) {
        Ok(at) => Some(at.into()),
        Err(_) => chrono::DateTime::parse_from_rfc2822(text).ok().map(|at| at.with_timezone(&chrono::Utc)),
    }
}

/// The latest stamp trusted to move the cursor: `now + skew`.
pub fn horizon(now: NaiveDateTime, skew: std::time::Duration) -> NaiveDateTime {
    chrono::Duration::from_std(skew).ok().and_then(|d| now.checked_add_signed(d)).unwrap_or(NaiveDateTime::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn reads_the_date_header_else_the_local_clock() {
        let mut h = HeaderMap::new();
        h.insert(DATE, "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap());
        assert_eq!(crate::util::timestamp::format(service_now(&h)), "2015-10-21T07:28:00.000000");
        for bad in ["yesterday", ""] {
            h.insert(DATE, bad.parse().unwrap());
            let local = Utc::now().naive_utc();
            assert!((service_now(&h) - local).num_seconds().abs() < 60, "{bad:?}");
        }
        let local = Utc::now().naive_utc();
        assert!((service_now(&HeaderMap::new()) - local).num_seconds().abs() < 60);
    }

    #[test]
    fn reads_the_date_header_in_every_form() {
        let mut h = HeaderMap::new();
        for text in [
            "Sun, 06 Nov 1994 08:49:37 GMT",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
            "Sun, 06 Nov 1994 09:49:37 +0100",
        ] {
            h.insert(DATE, text.parse().unwrap());
            assert_eq!(crate::util::timestamp::format(service_now(&h)), "1994-11-06T08:49:37.000000", "{text:?}");
        }
    }

    #[test]
    fn horizon_saturates() {
        let now = crate::util::timestamp::parse("2026-01-01T00:00:00").unwrap();
        assert_eq!(
            crate::util::timestamp::format(horizon(now, Duration::from_secs(300))),
            "2026-01-01T00:05:00.000000"
        );
        assert_eq!(horizon(now, Duration::from_secs(u64::MAX)), NaiveDateTime::MAX);
        assert_eq!(horizon(NaiveDateTime::MAX, Duration::from_secs(1)), NaiveDateTime::MAX);
    }
}
