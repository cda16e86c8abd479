//! Panko's timestamps: naive UTC ISO 8601, with or without fraction or zone.

use chrono::{DateTime, NaiveDateTime};

/// Parses a service timestamp into naive UTC. Accepts `2016-03-14T14:22:00`,
/// `...00.123456`, a trailing `Z` or `±hh:mm` offset (converted to UTC), and a
/// space instead of `T`.
pub fn parse(text: &str) -> Option<NaiveDateTime> {
    let text = text.trim();
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
    fn rejects_garbage() {
        assert_eq!(parse("yesterday"), None);
        assert_eq!(parse(""), None);
        assert_eq!(parse("2016-13-14T14:22:00"), None);
    }
}
