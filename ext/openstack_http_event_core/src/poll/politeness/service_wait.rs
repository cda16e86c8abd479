//! Waits a service imposes — `Retry-After`, a rate limit's reset, a poll
//! interval header — held to `http.max_service_wait`: a service asking for
//! more gets the cap, and the operator hears of it once per kind of wait.

use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderName};

/// What a service asked the monitor to wait for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Asked {
    RetryAfter,
    RateLimitReset,
    PollInterval,
}

impl Asked {
    fn index(self) -> usize {
        match self {
            Asked::RetryAfter => 0,
            Asked::RateLimitReset => 1,
            Asked::PollInterval => 2,
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Asked::RetryAfter => "Retry-After",
            Asked::RateLimitReset => "its rate limit's reset",
            Asked::PollInterval => "its poll interval header",
        }
    }
}

/// The cap, and which kinds of wait were already reported over it.
#[derive(Debug)]
pub struct ServiceWaits {
    cap: Duration,
    warned: [bool; 3],
}

impl ServiceWaits {
    pub fn new(cap: Duration) -> Self {
        ServiceWaits { cap, warned: [false; 3] }
    }

    /// The wait obeyed for `asked`, and the warning to log the first time
    /// a `kind` of wait asks for more than the cap.
    pub fn cap(&mut self, kind: Asked, asked: Duration) -> (Duration, Option<String>) {
        if asked <= self.cap {
            return (asked, None);
        }
        let warned = std::mem::replace(&mut self.warned[kind.index()], true);
        let warning = (!warned).then(|| {
            format!(
                "the service asked to wait {}s ({}); waiting {}s, the most http.max_service_wait allows (reported \
                 once)",
                asked.as_secs_f64(),
                kind.describe(),
                self.cap.as_secs_f64()
            )
        });
        (self.cap, warning)
    }
}

/// The seconds a poll interval header (`X-Poll-Interval: 60`) asks for: a
/// whole or decimal number, finite and not negative; else none.
pub fn poll_interval(headers: &HeaderMap, name: &HeaderName) -> Option<Duration> {
    let text = headers.get(name)?.to_str().ok()?.trim();
    if text.is_empty() || text.len() > 20 || !text.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return None;
    }
    let seconds = text.parse::<f64>().ok().filter(|s| s.is_finite() && *s < 1.0e9)?;
    Some(Duration::from_secs_f64(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_within_the_cap_are_obeyed_and_longer_ones_capped_with_one_warning_per_kind() {
        let mut waits = ServiceWaits::new(Duration::from_secs(600));
        assert_eq!(waits.cap(Asked::RetryAfter, Duration::from_secs(7)), (Duration::from_secs(7), None));
        let (wait, warning) = waits.cap(Asked::RetryAfter, Duration::from_secs(86_400));
        assert_eq!(wait, Duration::from_secs(600));
        let warning = warning.unwrap();
        assert!(warning.contains("86400s (Retry-After)") && warning.contains("http.max_service_wait"), "{warning}");
        assert_eq!(waits.cap(Asked::RetryAfter, Duration::from_secs(3600)), (Duration::from_secs(600), None));
        let (wait, warning) = waits.cap(Asked::PollInterval, Duration::from_secs(601));
        assert_eq!(wait, Duration::from_secs(600));
        assert!(warning.unwrap().contains("poll interval header"));
        assert!(waits.cap(Asked::RateLimitReset, Duration::from_secs(900)).1.unwrap().contains("rate limit"));
    }

    #[test]
    fn poll_interval_header_in_seconds() {
        let name = HeaderName::from_static("x-poll-interval");
        let mut h = HeaderMap::new();
        assert_eq!(poll_interval(&h, &name), None);
        h.insert(&name, "60".parse().unwrap());
        assert_eq!(poll_interval(&h, &name), Some(Duration::from_secs(60)));
        h.insert(&name, " 1.5 ".parse().unwrap());
        assert_eq!(poll_interval(&h, &name), Some(Duration::from_millis(1500)));
        for bad in ["-1", "soon", "", "1e400", "1.2.3", "99999999999999999999"] {
            h.insert(&name, bad.parse().unwrap());
            assert_eq!(poll_interval(&h, &name), None, "{bad:?}");
        }
    }
}
