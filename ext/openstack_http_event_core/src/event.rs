//! One event as ManageIQ sees it, and the page parser that makes it out of a
//! Panko v2 response body.

use chrono::NaiveDateTime;
use std::fmt;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
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
    /// Its `generated` when that could be read, else that of the good row
    /// before it on the page (rows come sorted by `generated`, so this is a
    /// lower bound); `None` when neither is known.
    pub at: Option<NaiveDateTime>,
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

/// One row of the array, read leniently: a row that is not an object, or
/// whose fields have the wrong shape, is reported rather than failing the
/// page. Unknown fields (`raw`) are skipped without being built.
enum Row {
    NotObject,
    Event { message_id: Value, event_type: Value, generated: Value, traits: Traits },
}

enum Traits {
    List(Vec<TraitItem>),
    NotAList,
}

enum TraitItem {
    Trait { name: Value, value: Value },
    NotObject,
}

struct Rows(Vec<Row>);

impl<'de> Deserialize<'de> for Rows {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Rows;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON array of events")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Rows, A::Error> {
                let mut rows = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(10_000));
                while let Some(row) = seq.next_element::<Row>()? {
                    rows.push(row);
                }
                Ok(Rows(rows))
            }
        }
        d.deserialize_seq(V)
    }
}

/// Implements "anything but a map is `$other`" for a lenient visitor.
macro_rules! otherwise {
    ($other:expr) => {
        otherwise!($other, $other);
    };
    ($other:expr, $unit:expr) => {
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok($other)
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Ok($other)
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Ok($other)
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Ok($other)
        }
        fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
            Ok($other)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok($unit)
        }
    };
}

impl<'de> Deserialize<'de> for Row {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Row;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an event")
            }
            otherwise!(Row::NotObject);
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Row, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Row::NotObject)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Row, A::Error> {
                let (mut message_id, mut event_type, mut generated) = (Value::Null, Value::Null, Value::Null);
                let mut traits = Traits::List(Vec::new());
                while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                    match key.as_ref() {
                        "message_id" => message_id = map.next_value()?,
                        "event_type" => event_type = map.next_value()?,
                        "generated" => generated = map.next_value()?,
                        "traits" => traits = map.next_value()?,
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(Row::Event { message_id, event_type, generated, traits })
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for Traits {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Traits;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a list of traits")
            }
            otherwise!(Traits::NotAList, Traits::List(Vec::new()));
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Traits, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Traits::NotAList)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Traits, A::Error> {
                let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(100_000));
                while let Some(item) = seq.next_element::<TraitItem>()? {
                    items.push(item);
                }
                Ok(Traits::List(items))
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for TraitItem {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = TraitItem;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a trait")
            }
            otherwise!(TraitItem::NotObject);
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<TraitItem, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(TraitItem::NotObject)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<TraitItem, A::Error> {
                let (mut name, mut value) = (Value::Null, Value::Null);
                while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                    match key.as_ref() {
                        "name" => name = map.next_value()?,
                        "value" => value = map.next_value()?,
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(TraitItem::Trait { name, value })
            }
        }
        d.deserialize_any(V)
    }
}

/// Parses a `/v2/events` body. An error means the body as a whole is not a
/// JSON array: the caller must not move its cursor. Bad rows inside a good
/// array are reported in `skipped`. Invalid UTF-8 is replaced with U+FFFD
/// rather than failing the page.
pub fn parse_page(body: &[u8]) -> Result<Page, String> {
    let parsed = match serde_json::from_slice::<Rows>(body) {
        Err(_) if std::str::from_utf8(body).is_err() => serde_json::from_str::<Rows>(&String::from_utf8_lossy(body)),
        other => other,
    };
    let Rows(rows) = parsed.map_err(|e| match e.classify() {
        serde_json::error::Category::Eof => format!("body ends early ({e})"),
        _ => format!("not a JSON array of events ({e})"),
    })?;
    let mut page = Page { rows: rows.len(), ..Page::default() };
    for row in rows {
        let before = page.events.last().map(|e| e.at);
        let Row::Event { message_id, event_type, generated, traits } = row else {
            page.skipped.push(Skipped { message_id: None, reason: "row is not a JSON object".into(), at: before });
            continue;
        };
        let id = message_id.as_str().map(str::to_owned);
        if id.is_some() {
            page.last_message_id.clone_from(&id);
        }
        let at = generated.as_str().and_then(timestamp::parse);
        match convert(message_id, event_type, generated, at, traits) {
            Ok(event) => page.events.push(event),
            Err(reason) => page.skipped.push(Skipped { message_id: id, reason, at: at.or(before) }),
        }
    }
    Ok(page)
}

fn convert(
    message_id: Value,
    event_type: Value,
    generated: Value,
    at: Option<NaiveDateTime>,
    traits: Traits,
) -> Result<Event, String> {
    let Value::String(message_id) = message_id else { return Err("missing or non-string message_id".into()) };
    let Value::String(event_type) = event_type else { return Err("missing or non-string event_type".into()) };
    let Value::String(generated) = generated else { return Err("missing or non-string generated".into()) };
    let at = at.ok_or_else(|| format!("generated {generated:?} is not a timestamp"))?;
    let Traits::List(items) = traits else { return Err("traits is not a list".into()) };
    let mut traits = Vec::with_capacity(items.len());
    for item in items {
        let TraitItem::Trait { name: Value::String(name), value } = item else {
            return Err("a trait is not an object with a string name".into());
        };
        traits.push((name, value));
    }
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
        // each knows when it was generated, or the latest time before it on the page
        let at = |t| timestamp::parse(t);
        assert_eq!(
            page.skipped.iter().map(|s| s.at).collect::<Vec<_>>(),
            vec![at("2016-03-14T14:22:00"), at("2016-03-14T14:22:00"), at("2016-03-14T14:22:01")]
        );
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
