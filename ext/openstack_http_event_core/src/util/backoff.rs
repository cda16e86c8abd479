//! How long to wait before retrying a failed poll: exponential from
//! [`FIRST`] doubling to [`CAP`], with "equal jitter" (half fixed, half
//! random), and never less than what the service asked for with
//! `Retry-After` (which the caller caps at `http.max_service_wait`, see
//! [`crate::poll::politeness::service_wait`]).

use std::time::Duration;

pub const FIRST: Duration = Duration::from_millis(500);
pub const CAP: Duration = Duration::from_secs(60);

/// The wait after the `failures`-th failure in a row (1 for the first);
/// `random` is drawn uniformly from `[0, 1)` by the caller.
pub fn delay(failures: u32, asked: Option<Duration>, random: f64) -> Duration {
    let doublings = failures.clamp(1, 17) - 1;
    let exp = FIRST.saturating_mul(1u32 << doublings).min(CAP);
    let half = exp / 2;
    let random = if random.is_finite() { random.clamp(0.0, 1.0) } else { 0.0 };
    let jittered = half + half.mul_f64(random);
    match asked {
        Some(asked) => jittered.max(asked),
        None => jittered,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_from_half_a_second_to_a_minute() {
        let fixed: Vec<Duration> = (1..=9).map(|n| delay(n, None, 1.0)).collect();
        let secs: Vec<f64> = fixed.iter().map(Duration::as_secs_f64).collect();
        assert_eq!(secs, vec![0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0]);
        assert_eq!(delay(u32::MAX, None, 1.0), CAP);
        assert_eq!(delay(0, None, 1.0), FIRST, "zero failures counts as the first");
    }

    #[test]
    fn jitter_keeps_at_least_half() {
        assert_eq!(delay(3, None, 0.0), Duration::from_secs(1));
        assert_eq!(delay(3, None, 0.5), Duration::from_millis(1500));
        // out-of-range randomness cannot stretch or shrink the wait
        assert_eq!(delay(3, None, 7.0), Duration::from_secs(2));
        assert_eq!(delay(3, None, f64::NAN), Duration::from_secs(1));
    }

    #[test]
    fn retry_after_is_obeyed() {
        assert_eq!(delay(1, Some(Duration::from_secs(7)), 0.0), Duration::from_secs(7));
        // capped by the caller (http.max_service_wait), not here
        assert_eq!(delay(1, Some(Duration::from_secs(900)), 0.0), Duration::from_secs(900));
        // a Retry-After shorter than the back-off does not shorten it
        assert_eq!(delay(8, Some(Duration::ZERO), 1.0), CAP);
    }
}
