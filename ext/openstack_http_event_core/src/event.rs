//! One event as ManageIQ sees it, and the page parser that makes it out of a
//! Panko v2 response body.

use chrono::NaiveDateTime;
use serde::Deserialize;
use serde_json::Value;

use crate::timestamp;

/// A Panko event, converted the way ManageIQ's Ceilometer converter does:
/// `message_id`, `event_type`, `generated` verbatim as `timestamp`, and the
/// traits as `name => value` in order (a repeated name keeps its first
/// position and its last value, as Ruby's Hash#[]= does).
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub message_id: String,
    pub event_type: String,
    /// `generated` exactly as the service wrote it.
    pub generated: String,
    /// `generated` parsed as UTC; the cursor moves on this.
    pub at: NaiveDateTime,
    pub traits: Vec<(String, Value)>,
}

/// A row the parser could not turn into an event, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Skipped {
    pub message_id: Option<String>,
    pub reason: String,
}

/// One parsed response.
#[derive(Debug, Default)]
pub struct Page {
    pub events: Vec<Event>,
    pub skipped: Vec<Skipped>,
    /// Rows in the body, good or bad: a page with `limit` rows is full.
    pub rows: usize,
    /// The last row's `message_id`, the marker for the next page.
    pub last_message_id: Option<String>,
}

#[derive(Deserialize)]
struct RawEvent {
    #[serde(default)]
    message_id: Value,
    #[serde(default)]
    event_type: Value,
    #[serde(default)]
    generated: Value,
    #[serde(default)]
    traits: Value,
}

/// Parses a `/v2/events` body. An error means the body as a whole is not a
/// JSON array of objects: the caller must not move its cursor. Bad rows
/// inside a good array are reported in `skipped`. Invalid UTF-8 is replaced
/// with U+FFFD rather than failing the page.
pub fn parse_page(body: &[u8]) -> Result<Page, String> {
    let text = String::from_utf8_lossy(body);
    let rows: Vec<Value> = serde_json::from_str(&text).map_err(|e| match e.classify() {
        serde_json::error::Category::Eof => format!("body ends early ({e})"),
        _ => format!("not a JSON array of events ({e})"),
    })?;
    let mut page = Page { rows: rows.len(), ..Page::default() };
    for row in rows {
        if !row.is_object() {
            page.skipped.push(Skipped { message_id: None, reason: "row is not a JSON object".into() });
            continue;
        }
        let raw: RawEvent = match serde_json::from_value(row) {
            Ok(raw) => raw,
            Err(e) => {
                page.skipped.push(Skipped { message_id: None, reason: e.to_string() });
                continue;
            }
        };
        let message_id = raw.message_id.as_str().map(str::to_owned);
        if message_id.is_some() {
            page.last_message_id.clone_from(&message_id);
        }
        match convert(raw) {
            Ok(event) => page.events.push(event),
            Err(reason) => page.skipped.push(Skipped { message_id, reason }),
        }
    }
    Ok(page)
}

fn convert(raw: RawEvent) -> Result<Event, String> {
    let Value::String(message_id) = raw.message_id else { return Err("missing or non-string message_id".into()) };
    let Value::String(event_type) = raw.event_type else { return Err("missing or non-string event_type".into()) };
    let Value::String(generated) = raw.generated else { return Err("missing or non-string generated".into()) };
    let at = timestamp::parse(&generated).ok_or_else(|| format!("generated {generated:?} is not a timestamp"))?;
    let traits = match raw.traits {
        Value::Null => Vec::new(),
        Value::Array(list) => {
            let mut traits = Vec::with_capacity(list.len());
            for item in list {
                let Value::Object(mut map) = item else { return Err("a trait is not a JSON object".into()) };
                let Some(Value::String(name)) = map.remove("name") else { return Err("a trait has no string name".into()) };
                traits.push((name, map.remove("value").unwrap_or(Value::Null)));
            }
            traits
        }
        _ => return Err("traits is not a list".into()),
    };
    Ok(Event { message_id, event_type, generated, at, traits })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_a_panko_row() {
        let body = br#"[{"message_id":"m1","event_type":"compute.instance.create.end","generated":"2016-03-14T14:22:00.123000",
            "traits":[{"name":"tenant_id","type":"string","value":"t1"},{"name":"memory_mb","type":"integer","value":"512"}],"raw":{}}]"#;
        let page = parse_page(body).unwrap();
        assert_eq!(page.rows, 1);
        let e = &page.events[0];
        assert_eq!((e.message_id.as_str(), e.generated.as_str()), ("m1", "2016-03-14T14:22:00.123000"));
        assert_eq!(e.traits, vec![("tenant_id".into(), Value::from("t1")), ("memory_mb".into(), Value::from("512"))]);
        assert_eq!(page.last_message_id.as_deref(), Some("m1"));
    }

    #[test]
    fn bad_rows_are_skipped_not_fatal() {
        let body = br#"[{"event_type":"a","generated":"2016-03-14T14:22:00"},
                        {"message_id":"m2","event_type":"a","generated":"2016-03-14T14:22:00","traits":"nope"},
                        {"message_id":"m3","event_type":"a","generated":"2016-03-14T14:22:01","traits":[]},
                        7]"#;
        let page = parse_page(body).unwrap();
        assert_eq!(page.rows, 4);
        assert_eq!(page.events.len(), 1);
        assert_eq!(page.skipped.len(), 3);
        assert_eq!(page.skipped[1].message_id.as_deref(), Some("m2"));
        assert_eq!(page.last_message_id.as_deref(), Some("m3"));
    }

    #[test]
    fn truncated_or_foreign_bodies_fail_whole() {
        assert!(parse_page(br#"[{"message_id":"m1""#).unwrap_err().contains("ends early"));
        assert!(parse_page(b"<html>oops</html>").is_err());
        assert!(parse_page(br#"{"error_message":"x"}"#).is_err());
    }

    #[test]
    fn invalid_utf8_is_replaced() {
        let mut body = br#"[{"message_id":"m1","event_type":"a","generated":"2016-03-14T14:22:00","traits":[{"name":"n","value":"x"#.to_vec();
        body.push(0xff);
        body.extend_from_slice(br#""}]}]"#);
        let page = parse_page(&body).unwrap();
        assert_eq!(page.events[0].traits[0].1, Value::from("x\u{fffd}"));
    }
}
