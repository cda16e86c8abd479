//! Panko's timestamps: naive UTC ISO 8601, with or without fraction or zone.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime};

/// Parses a service timestamp into naive UTC. Accepts `2016-03-14T14:22:00`,
/// `...00.123456`, a trailing `Z` or `±hh:mm` offset (converted to UTC), and a
/// space instead of `T`.
pub fn parse(text: &str) -> Option<NaiveDateTime> {
    let text = text.trim();
    // Every row of every page goes through here: Panko's own shape is read
    // by hand, anything else by chrono.
    if let Some(t) = parse_naive(text.as_bytes()) {
        return Some(t);
    }
    parse_general(text)
}

/// Panko's shape, `YYYY-MM-DD[T ]HH:MM:SS[.f]` with 1 to 9 fraction digits
/// and no zone; `None` for anything else (including a leap second), which
/// then takes the general path.
fn parse_naive(b: &[u8]) -> Option<NaiveDateTime> {
    fn digits(b: &[u8]) -> Option<u32> {
        b.iter().try_fold(0u32, |n, &c| c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0')))
    }
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b' ') || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let nanos = match &b[19..] {
        [] => 0,
        [b'.', fraction @ ..] if (1..=9).contains(&fraction.len()) => {
            digits(fraction)? * 10u32.pow(9 - fraction.len() as u32)
        }
        _ => return None,
    };
    let date = NaiveDate::from_ymd_opt(i32::try_from(digits(&b[0..4])?).ok()?, digits(&b[5..7])?, digits(&b[8..10])?)?;
    let second = digits(&b[17..19])?;
    if second > 59 {
        return None;
    }
    let time = NaiveTime::from_hms_nano_opt(digits(&b[11..13])?, digits(&b[14..16])?, second, nanos)?;
    Some(date.and_time(time))
}

/// Every other shape a service or a user writes.
fn parse_general(text: &str) -> Option<NaiveDateTime> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.naive_utc());
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(text, format) {
            return Some(t);
        }
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f%#z", "%Y-%m-%d %H:%M:%S%.f %#z", "%Y-%m-%d %H:%M:%S%.f%#z"] {
        if let Ok(t) = DateTime::parse_from_str(text, format) {
            return Some(t.naive_utc());
        }
    }
    None
}

/// Formats a timestamp the way Panko writes them (microseconds, no zone).
pub fn format(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6f").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_shape_panko_and_users_write() {
        let want = parse("2016-03-14T14:22:00.123000").unwrap();
        assert_eq!(format(want), "2016-03-14T14:22:00.123000");
        assert_eq!(parse("2016-03-14T14:22:00.123Z"), Some(want));
        assert_eq!(parse("2016-03-14T16:22:00.123+02:00"), Some(want));
        assert_eq!(parse("2016-03-14 14:22:00.123"), Some(want));
        assert_eq!(format(parse("2016-03-14T14:22:00").unwrap()), "2016-03-14T14:22:00.000000");
        assert_eq!(format(parse("2016-03-14 09:22:00 -0500").unwrap()), "2016-03-14T14:22:00.000000");
    }

    #[test]
    fn the_fast_path_agrees_with_chrono() {
        for text in [
            "2016-03-14T14:22:00.123000",
            "2016-03-14 14:22:00",
            "2016-03-14T14:22:00.1",
            "2016-03-14T14:22:00.123456789",
            "2024-02-29T23:59:59.999999",
            "0001-01-01T00:00:00",
            "9999-12-31T23:59:59.000001",
        ] {
            assert_eq!(parse_naive(text.as_bytes()), parse_general(text), "{text}");
            assert!(parse_naive(text.as_bytes()).is_some(), "{text}");
        }
        for text in [
            "2016-03-14T14:22:00Z",
            "2016-03-14T14:22:00.",
            "2016-03-14T14:22:60",
            "2016-03-14T14:22:00.1234567890",
            "2023-02-29T00:00:00",
            "2016-03-14T24:00:00",
            "2016-3-14T14:22:00",
            "2016-03-14T14:22:0a",
            "+016-03-14T14:22:00",
        ] {
            assert_eq!(parse_naive(text.as_bytes()), None, "{text}");
        }
    }

    proptest::proptest! {
        #[test]
        fn the_fast_path_agrees_with_chrono_on_any_digits(
            text in "[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{0,10})?"
        ) {
            let fast = parse_naive(text.as_bytes());
            if fast.is_some() {
                proptest::prop_assert_eq!(fast, parse_general(&text));
            }
            proptest::prop_assert_eq!(parse(&text), parse_general(&text));
        }

        #[test]
        fn the_fast_path_reads_every_valid_panko_timestamp(
            text in "[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])[T ]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]{1,9})?"
        ) {
            let fast = parse_naive(text.as_bytes());
            proptest::prop_assert!(fast.is_some());
            proptest::prop_assert_eq!(fast, parse_general(&text));
        }
    }

    #[test]
    fn rejects_garbage() {
        assert_eq!(parse("yesterday"), None);
        assert_eq!(parse(""), None);
        assert_eq!(parse("2016-13-14T14:22:00"), None);
    }
}
