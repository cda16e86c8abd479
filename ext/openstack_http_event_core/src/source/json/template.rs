//! Templates: literal text with placeholders (`{since}`, `{limit}`,
//! `{cursor}`, `{page}`, `{offset}`), checked once when the options are
//! read, for query parameters, headers and bodies. `{{` and `}}` stand for
//! literal braces.

use std::fmt::Write as _;

use chrono::format::{Item, StrftimeItems};
use chrono::NaiveDateTime;

use crate::util::timestamp;

/// How `{since}` is written.
#[derive(Debug, Clone, PartialEq)]
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
    /// A strftime pattern (chrono's format items), written in UTC.
    Strftime(Vec<Item<'static>>),
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

    /// The format `text` names, or the strftime pattern it is (any text
    /// with a `%`); the error says why not.
    pub fn parse(text: &str) -> Result<SinceFormat, String> {
        if let Some(format) = SinceFormat::named(text) {
            return Ok(format);
        }
        if !text.contains('%') {
            return Err(format!(
                "unknown format {text:?} (known: {}, or a strftime pattern such as \"%Y-%m-%d %H:%M:%S\")",
                SinceFormat::NAMES
            ));
        }
        let items = StrftimeItems::new(text)
            .parse_to_owned()
            .map_err(|_| format!("{text:?} is not a strftime pattern chrono can write"))?;
        let format = SinceFormat::Strftime(items);
        // an item that needs what a UTC time does not have fails only when written
        let mut probe = String::new();
        write!(probe, "{}", chrono::DateTime::<chrono::Utc>::default().format_with_items(format.items()))
            .map_err(|_| format!("{text:?} is not a strftime pattern chrono can write"))?;
        Ok(format)
    }

    fn items(&self) -> std::slice::Iter<'_, Item<'static>> {
        match self {
            SinceFormat::Strftime(items) => items.iter(),
            _ => [].iter(),
        }
    }

    /// Whether `{since}` is a number (a body sends it as one).
    pub fn is_numeric(&self) -> bool {
        matches!(self, SinceFormat::Unix | SinceFormat::UnixMs)
    }

    pub fn write(&self, at: NaiveDateTime) -> String {
        let utc = at.and_utc();
        match self {
            SinceFormat::Iso8601 => timestamp::format(at),
            SinceFormat::Iso8601Z => format!("{}Z", timestamp::format(at)),
            SinceFormat::Unix => utc.timestamp().to_string(),
            SinceFormat::UnixMs => utc.timestamp_millis().to_string(),
            SinceFormat::Strftime(_) => {
                let mut out = String::new();
                // checked when the options were read; Panko's form if it still fails
                match write!(out, "{}", utc.format_with_items(self.items())) {
                    Ok(()) => out,
                    Err(_) => timestamp::format(at),
                }
            }
        }
    }
}

/// What a placeholder stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placeholder {
    Since,
    Limit,
    Cursor,
    /// The page number under `paging: {type: :page}`.
    Page,
    /// Records read so far under `paging: {type: :offset}`.
    Offset,
}

impl Placeholder {
    pub const ALL: [Placeholder; 5] =
        [Placeholder::Since, Placeholder::Limit, Placeholder::Cursor, Placeholder::Page, Placeholder::Offset];
    pub const KNOWN: &'static str = "{since}, {limit}, {cursor}, {page}, {offset}";

    pub fn name(self) -> &'static str {
        match self {
            Placeholder::Since => "since",
            Placeholder::Limit => "limit",
            Placeholder::Cursor => "cursor",
            Placeholder::Page => "page",
            Placeholder::Offset => "offset",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    Hole(Placeholder),
}

/// A value with placeholders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    parts: Vec<Part>,
}

/// What the placeholders stand for in one request.
#[derive(Debug, Clone, Default)]
pub struct Values {
    pub since: Option<String>,
    /// Whether `since` is a number (Unix seconds or milliseconds).
    pub since_numeric: bool,
    pub limit: u32,
    /// The paging position sent (marker, page or offset), if any.
    pub cursor: Option<String>,
    /// The page number, under page paging.
    pub page: Option<u64>,
    /// The records read so far, under offset paging.
    pub offset: Option<u64>,
}

impl Values {
    /// The text for `p`; `None` when it has no value in this request.
    pub fn text(&self, p: Placeholder) -> Option<String> {
        match p {
            Placeholder::Since => self.since.clone(),
            Placeholder::Limit => Some(self.limit.to_string()),
            Placeholder::Cursor => self.cursor.clone(),
            Placeholder::Page => self.page.map(|n| n.to_string()),
            Placeholder::Offset => self.offset.map(|n| n.to_string()),
        }
    }

    /// Whether `p` is a number (a JSON body sends it as one).
    pub fn is_numeric(&self, p: Placeholder) -> bool {
        match p {
            Placeholder::Since => self.since_numeric,
            Placeholder::Limit | Placeholder::Page | Placeholder::Offset => true,
            Placeholder::Cursor => false,
        }
    }
}

impl Template {
    /// Parses `text`; an unknown or unclosed placeholder is an error.
    pub fn parse(text: &str) -> Result<Template, String> {
        let mut parts: Vec<Part> = Vec::new();
        let mut literal = String::new();
        let mut rest = text;
        while let Some(at) = rest.find(['{', '}']) {
            literal.push_str(&rest[..at]);
            let after = &rest[at + 1..];
            // `{{` and `}}`: a literal brace
            if after.starts_with(&rest[at..=at]) {
                literal.push_str(&rest[at..=at]);
                rest = &after[1..];
                continue;
            }
            if rest[at..].starts_with('}') {
                literal.push('}');
                rest = after;
                continue;
            }
            let Some(close) = after.find('}') else {
                return Err(format!(
                    "{text:?} has a \"{{\" without \"}}\" (placeholders: {}; {{{{ for a literal brace)",
                    Placeholder::KNOWN
                ));
            };
            let name = &after[..close];
            let Some(p) = Placeholder::ALL.into_iter().find(|p| p.name() == name) else {
                return Err(format!("unknown placeholder {{{name}}} in {text:?} (known: {})", Placeholder::KNOWN));
            };
            if !literal.is_empty() {
                parts.push(Part::Text(std::mem::take(&mut literal)));
            }
            parts.push(Part::Hole(p));
            rest = &after[close + 1..];
        }
        literal.push_str(rest);
        if !literal.is_empty() {
            parts.push(Part::Text(literal));
        }
        Ok(Template { parts })
    }

    /// The placeholders it holds.
    pub fn placeholders(&self) -> impl Iterator<Item = Placeholder> + '_ {
        self.parts.iter().filter_map(|p| match p {
            Part::Hole(p) => Some(*p),
            Part::Text(_) => None,
        })
    }

    /// Its literal text, without the placeholders.
    pub fn literals(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|p| match p {
            Part::Text(t) => Some(t.as_str()),
            Part::Hole(_) => None,
        })
    }

    /// The value for one request; `None` when a placeholder has no value
    /// (no `since` on a first poll without a start, no cursor on a first
    /// page): then the parameter is left out.
    pub fn expand(&self, values: &Values) -> Option<String> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(t) => out.push_str(t),
                Part::Hole(p) => out.push_str(&values.text(*p)?),
            }
        }
        Some(out)
    }

    /// The value with a placeholder that has no value written empty.
    pub fn expand_or_empty(&self, values: &Values) -> String {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(t) => out.push_str(t),
                Part::Hole(p) => out.push_str(&values.text(*p).unwrap_or_default()),
            }
        }
        out
    }

    /// The value as a JSON leaf: a number when the template is exactly one
    /// numeric placeholder, else a string; `None` as for [`Template::expand`].
    pub fn expand_json(&self, values: &Values) -> Option<serde_json::Value> {
        if let [Part::Hole(p)] = self.parts.as_slice() {
            let text = values.text(*p)?;
            if values.is_numeric(*p) {
                if let Ok(n) = text.parse::<i64>() {
                    return Some(n.into());
                }
            }
            return Some(text.into());
        }
        self.expand(values).map(serde_json::Value::String)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expands_and_leaves_out_what_has_no_value() {
        let t = Template::parse("start_timestamp>={since}").unwrap();
        let mut v = Values { since: Some("S".into()), limit: 7, ..Values::default() };
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

    #[test]
    fn page_offset_and_literal_braces() {
        let v = Values { limit: 5, page: Some(3), offset: Some(40), ..Values::default() };
        assert_eq!(Template::parse("p{page}o{offset}").unwrap().expand(&v).as_deref(), Some("p3o40"));
        let t = Template::parse("{{\"q\": {limit}}}").unwrap();
        assert_eq!(t.expand(&v).as_deref(), Some("{\"q\": 5}"));
        assert_eq!(t.placeholders().collect::<Vec<_>>(), vec![Placeholder::Limit]);
        assert_eq!(Template::parse("a}b").unwrap().expand(&v).as_deref(), Some("a}b"));
        let e = Template::parse("{pages}").unwrap_err();
        assert!(e.contains("(known: {since}, {limit}, {cursor}, {page}, {offset})"), "{e}");
    }

    #[test]
    fn json_leaves_are_numbers_only_for_one_numeric_placeholder() {
        let mut v = Values { since: Some("1457965320".into()), limit: 5, page: Some(2), ..Values::default() };
        let leaf = |t: &str, v: &Values| Template::parse(t).unwrap().expand_json(v);
        assert_eq!(leaf("{limit}", &v), Some(serde_json::json!(5)));
        assert_eq!(leaf("{page}", &v), Some(serde_json::json!(2)));
        assert_eq!(leaf("p{page}", &v), Some(serde_json::json!("p2")));
        assert_eq!(leaf("{since}", &v), Some(serde_json::json!("1457965320")));
        v.since_numeric = true;
        assert_eq!(leaf("{since}", &v), Some(serde_json::json!(1457965320)));
        assert_eq!(leaf("{offset}", &v), None);
        assert_eq!(leaf("{cursor}", &Values { cursor: Some("7".into()), ..v.clone() }), Some(serde_json::json!("7")));
    }

    #[test]
    fn strftime_patterns() {
        let at = timestamp::parse("2016-03-14T14:22:00.123456").unwrap();
        let f = SinceFormat::parse("%Y/%m/%d %H:%M:%S%z").unwrap();
        assert_eq!(f.write(at), "2016/03/14 14:22:00+0000");
        assert!(!f.is_numeric() && SinceFormat::parse("unix").unwrap().is_numeric());
        assert_eq!(SinceFormat::parse("%s.%f").unwrap().write(at), "1457965320.123456000");
        assert_eq!(SinceFormat::parse("%s").unwrap().write(at), "1457965320");
        assert!(SinceFormat::parse("%Q").unwrap_err().contains("not a strftime pattern"));
        let e = SinceFormat::parse("rfc3339").unwrap_err();
        assert!(e.contains("unknown format \"rfc3339\"") && e.contains("strftime pattern"), "{e}");
    }
}
