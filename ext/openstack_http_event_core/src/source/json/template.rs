//! Query parameter templates: literal text with `{since}`, `{limit}` and
//! `{cursor}` placeholders, checked once when the options are read.

use chrono::NaiveDateTime;

use crate::timestamp;

/// How `{since}` is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SinceFormat {
    /// `2016-03-14T14:22:00.123000`: no zone, microseconds (as Panko).
    Iso8601,
    /// `2016-03-14T14:22:00.123000Z`.
    Iso8601Z,
    /// Whole seconds since the epoch (rounded down: a `ge` filter then
    /// re-reads at most a second, which the de-duplication absorbs).
    Unix,
    /// Milliseconds since the epoch (rounded down).
    UnixMs,
}

impl SinceFormat {
    pub const NAMES: &'static str = "\"iso8601\", \"iso8601z\", \"unix\", \"unix_ms\"";

    pub fn named(name: &str) -> Option<SinceFormat> {
        match name {
            "iso8601" => Some(SinceFormat::Iso8601),
            "iso8601z" => Some(SinceFormat::Iso8601Z),
            "unix" => Some(SinceFormat::Unix),
            "unix_ms" => Some(SinceFormat::UnixMs),
            _ => None,
        }
    }

    pub fn write(self, at: NaiveDateTime) -> String {
        let utc = at.and_utc();
        match self {
            SinceFormat::Iso8601 => timestamp::format(at),
            SinceFormat::Iso8601Z => format!("{}Z", timestamp::format(at)),
            SinceFormat::Unix => utc.timestamp().to_string(),
            SinceFormat::UnixMs => utc.timestamp_millis().to_string(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    Since,
    Limit,
    Cursor,
}

/// A parameter value with placeholders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    parts: Vec<Part>,
}

/// What the placeholders stand for in one request.
#[derive(Debug, Clone, Default)]
pub struct Values {
    pub since: Option<String>,
    pub limit: u32,
    /// The paging position sent (marker, page or offset), if any.
    pub cursor: Option<String>,
}

impl Template {
    /// Parses `text`; an unknown or unclosed placeholder is an error.
    pub fn parse(text: &str) -> Result<Template, String> {
        let mut parts = Vec::new();
        let mut rest = text;
        while let Some(open) = rest.find('{') {
            if open > 0 {
                parts.push(Part::Text(rest[..open].to_owned()));
            }
            let after = &rest[open + 1..];
            let Some(close) = after.find('}') else {
                return Err(format!(
                    "{text:?} has a \"{{\" without \"}}\" (placeholders: {{since}}, {{limit}}, {{cursor}})"
                ));
            };
            parts.push(match &after[..close] {
                "since" => Part::Since,
                "limit" => Part::Limit,
                "cursor" => Part::Cursor,
                other => {
                    return Err(format!(
                        "unknown placeholder {{{other}}} in {text:?} (known: {{since}}, {{limit}}, {{cursor}})"
                    ))
                }
            });
            rest = &after[close + 1..];
        }
        if !rest.is_empty() {
            parts.push(Part::Text(rest.to_owned()));
        }
        Ok(Template { parts })
    }

    /// The value for one request; `None` when a placeholder has no value
    /// (no `since` on a first poll without a start, no cursor on a first
    /// page): then the parameter is left out.
    pub fn expand(&self, values: &Values) -> Option<String> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(t) => out.push_str(t),
                Part::Since => out.push_str(values.since.as_deref()?),
                Part::Limit => out.push_str(&values.limit.to_string()),
                Part::Cursor => out.push_str(values.cursor.as_deref()?),
            }
        }
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expands_and_leaves_out_what_has_no_value() {
        let t = Template::parse("start_timestamp>={since}").unwrap();
        let mut v = Values { since: Some("S".into()), limit: 7, cursor: None };
        assert_eq!(t.expand(&v).as_deref(), Some("start_timestamp>=S"));
        assert_eq!(Template::parse("{limit}").unwrap().expand(&v).as_deref(), Some("7"));
        assert_eq!(Template::parse("{cursor}").unwrap().expand(&v), None);
        v.since = None;
        assert_eq!(t.expand(&v), None);
        assert_eq!(Template::parse("plain").unwrap().expand(&v).as_deref(), Some("plain"));
    }

    #[test]
    fn unknown_or_unclosed_placeholders_are_errors() {
        assert!(Template::parse("{sinse}").unwrap_err().contains("unknown placeholder {sinse}"));
        assert!(Template::parse("{since").unwrap_err().contains("without"));
    }

    #[test]
    fn since_formats() {
        let at = timestamp::parse("2016-03-14T14:22:00.123456").unwrap();
        assert_eq!(SinceFormat::Iso8601.write(at), "2016-03-14T14:22:00.123456");
        assert_eq!(SinceFormat::Iso8601Z.write(at), "2016-03-14T14:22:00.123456Z");
        assert_eq!(SinceFormat::Unix.write(at), "1457965320");
        assert_eq!(SinceFormat::UnixMs.write(at), "1457965320123");
        assert_eq!(SinceFormat::named("unix_ms"), Some(SinceFormat::UnixMs));
        assert_eq!(SinceFormat::named("%Y"), None);
    }
}
