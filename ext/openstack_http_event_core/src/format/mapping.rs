//! One record of a generic JSON service to ManageIQ's event: the fields
//! found with JSON Pointers, the payload's members (or a flattened trait
//! list) as the traits, a stable id for a record without one.

use chrono::{DateTime, NaiveDateTime};
use sha2::{Digest, Sha256};

use super::pointer::Pointer;
use crate::model::event::{Event, Skipped};
use crate::model::json::Value;
use crate::model::trait_name::named;
use crate::util::timestamp;

/// A trait list found at the payload pointer, flattened into name → value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TraitList {
    /// `[{"name", "type", "value"}, …]` (Panko).
    Panko,
    /// `[[name, dtype, value], …]` (Ceilometer's publishers).
    Ceilometer,
}

/// How numbers in the timestamp field are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumericTime {
    Seconds,
    Millis,
}

#[derive(Debug, Clone)]
pub struct Mapping {
    pub message_id: Option<Pointer>,
    pub event_type: Pointer,
    pub timestamp: Pointer,
    pub payload: Pointer,
    pub traits: Option<TraitList>,
    pub event_type_prefix: String,
    pub numeric_time: NumericTime,
}

impl Mapping {
    /// The record's message id: the field (a string, or a number written
    /// as its digits), else the record's hash.
    pub fn message_id(&self, record: &Value) -> String {
        let found = self.message_id.as_ref().and_then(|p| p.get(record));
        match found {
            Some(Value::Str(s)) if !s.is_empty() => s.clone(),
            Some(Value::Int(n)) => n.to_string(),
            Some(Value::BigInt(n)) => n.clone(),
            _ => hash_id(record),
        }
    }

    /// The event, or why the record cannot be one. `before` is the stamp of
    /// the good record before it (a lower bound for a record without one).
    pub fn convert(&self, record: Value, before: Option<NaiveDateTime>) -> Result<Event, Skipped> {
        if !matches!(record, Value::Object(_)) {
            return Err(Skipped { message_id: None, reason: "record is not a JSON object".into(), at: before });
        }
        let message_id = self.message_id(&record);
        let at = match self.timestamp.get(&record) {
            Some(v) => self.time(v),
            None => None,
        };
        let skip = |reason: String| Skipped { message_id: Some(message_id.clone()), reason, at: at.or(before) };
        let at = match (self.timestamp.get(&record), at) {
            (None, _) | (Some(Value::Null), _) => return Err(skip(format!("no timestamp at {}", self.timestamp))),
            (Some(v), None) => return Err(skip(format!("{} is not a timestamp: {}", self.timestamp, short(v)))),
            (_, Some(at)) => at,
        };
        let event_type = match self.event_type.get(&record) {
            Some(Value::Str(s)) if !s.is_empty() => format!("{}{s}", self.event_type_prefix),
            None | Some(Value::Null) => return Err(skip(format!("no event type at {}", self.event_type))),
            Some(v) => return Err(skip(format!("{} is not a non-empty string: {}", self.event_type, short(v)))),
        };
        let traits = {
            let mut record = record;
            let payload = if self.payload.is_root() {
                Some(std::mem::replace(&mut record, Value::Null))
            } else {
                self.payload.take(&mut record)
            };
            match (payload, self.traits) {
                (None | Some(Value::Null), _) => Vec::new(),
                (Some(Value::Object(members)), None) => named(members),
                (Some(other), None) => {
                    return Err(skip(format!("the payload at {} is not an object: {}", self.payload, short(&other))))
                }
                (Some(Value::Array(items)), Some(kind)) => flatten(items, kind).map(named).map_err(skip)?,
                (Some(other), Some(_)) => {
                    return Err(skip(format!("the traits at {} are not a list: {}", self.payload, short(&other))))
                }
            }
        };
        Ok(Event { message_id, event_type, generated: timestamp::format(at), at, traits })
    }

    /// A timestamp value: ISO 8601 text (with a zone converted to UTC,
    /// without one taken as UTC) or a number of seconds (milliseconds with
    /// `since_format` `unix_ms`) since the epoch.
    fn time(&self, value: &Value) -> Option<NaiveDateTime> {
        let millis = match (value, self.numeric_time) {
            (Value::Str(s), _) => return timestamp::parse(s),
            (Value::Int(n), NumericTime::Seconds) => n.checked_mul(1000)?,
            (Value::Int(n), NumericTime::Millis) => *n,
            (Value::Float(f), unit) if f.is_finite() => {
                let ms = if unit == NumericTime::Seconds { f * 1000.0 } else { *f };
                if ms.abs() > 1.0e15 {
                    return None;
                }
                // microseconds kept: floor to whole microseconds
                let micros = (ms * 1000.0).floor() as i64;
                return DateTime::from_timestamp_micros(micros).map(|t| t.naive_utc());
            }
            _ => return None,
        };
        DateTime::from_timestamp_millis(millis).map(|t| t.naive_utc())
    }
}

/// `[{"name","value"}…]` or `[[name, dtype, value]…]` to name → value pairs
/// (Ceilometer's values typed by their dtype, as the push receiver reads
/// them).
fn flatten(items: Vec<Value>, kind: TraitList) -> Result<Vec<(String, Value)>, String> {
    if kind == TraitList::Ceilometer {
        return crate::format::ceilometer_event::typed_traits(items);
    }
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        let pair = match item {
            Value::Object(members) => {
                let mut name = None;
                let mut value = Value::Null;
                for (k, v) in members {
                    match (k.as_str(), v) {
                        ("name", Value::Str(n)) => name = Some(n),
                        ("value", v) => value = v,
                        _ => {}
                    }
                }
                name.map(|n| (n, value))
            }
            _ => None,
        };
        out.push(pair.ok_or_else(|| format!("trait #{} is not an object with a string name", i + 1))?);
    }
    Ok(out)
}

/// A value as a log line shows it: its JSON, cut short.
fn short(value: &Value) -> String {
    let mut text = String::new();
    canonical(value, &mut text);
    match text.char_indices().nth(60) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text,
    }
}

/// The SHA-256 (hex) of the record's canonical JSON: members sorted by
/// name (a repeated name keeps its order), no whitespace. The same record
/// gets the same id on every poll, so de-duplication works without an id.
pub fn hash_id(record: &Value) -> String {
    let mut text = String::new();
    canonical(record, &mut text);
    let digest = Sha256::digest(text.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Writes `value` as canonical JSON (iteratively: records may nest deep).
fn canonical(value: &Value, out: &mut String) {
    enum Step<'v> {
        Value(&'v Value),
        Text(&'static str),
        Key(&'v str),
    }
    let mut stack = vec![Step::Value(value)];
    while let Some(step) = stack.pop() {
        match step {
            Step::Text(t) => out.push_str(t),
            Step::Key(k) => {
                write_string(k, out);
                out.push(':');
            }
            Step::Value(v) => match v {
                Value::Null => out.push_str("null"),
                Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
                Value::Int(n) => out.push_str(&n.to_string()),
                Value::BigInt(n) => out.push_str(n),
                Value::Float(f) if f.is_nan() => out.push_str("NaN"),
                Value::Float(f) if f.is_infinite() => out.push_str(if *f > 0.0 { "Infinity" } else { "-Infinity" }),
                Value::Float(f) => out.push_str(&format!("{f:?}")),
                Value::Str(s) => write_string(s, out),
                Value::Array(items) => {
                    out.push('[');
                    stack.push(Step::Text("]"));
                    for (i, item) in items.iter().enumerate().rev() {
                        stack.push(Step::Value(item));
                        if i > 0 {
                            stack.push(Step::Text(","));
                        }
                    }
                }
                Value::Object(members) => {
                    out.push('{');
                    stack.push(Step::Text("}"));
                    let mut sorted: Vec<&(String, Value)> = members.iter().collect();
                    sorted.sort_by(|a, b| a.0.cmp(&b.0));
                    for (i, (k, v)) in sorted.into_iter().enumerate().rev() {
                        stack.push(Step::Value(v));
                        stack.push(Step::Key(k));
                        if i > 0 {
                            stack.push(Step::Text(","));
                        }
                    }
                }
            },
        }
    }
}

fn write_string(s: &str, out: &mut String) {
    out.push_str(&serde_json::Value::from(s).to_string());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::json;

    fn mapping() -> Mapping {
        Mapping {
            message_id: Some(Pointer::parse("/id").unwrap()),
            event_type: Pointer::parse("/type").unwrap(),
            timestamp: Pointer::parse("/time").unwrap(),
            payload: Pointer::parse("/data").unwrap(),
            traits: None,
            event_type_prefix: String::new(),
            numeric_time: NumericTime::Seconds,
        }
    }

    fn record(text: &str) -> Value {
        json::parse(text.as_bytes(), 100).unwrap()
    }

    #[test]
    fn maps_fields_and_payload_members() {
        let m = Mapping { event_type_prefix: "acme.".into(), ..mapping() };
        let e = m
            .convert(
                record(r#"{"id":"a1","type":"vm.up","time":"2026-01-01T01:00:00+01:00","data":{"x":1,"y":"z"}}"#),
                None,
            )
            .unwrap();
        assert_eq!((e.message_id.as_str(), e.event_type.as_str()), ("a1", "acme.vm.up"));
        assert_eq!(e.generated, "2026-01-01T00:00:00.000000");
        assert_eq!(e.traits, vec![("x".into(), Value::Int(1)), ("y".into(), Value::from("z"))]);
        let e = m.convert(record(r#"{"id":7,"type":"t","time":1700000000.5}"#), None).unwrap();
        assert_eq!((e.message_id.as_str(), e.generated.as_str()), ("7", "2023-11-14T22:13:20.500000"));
        assert!(e.traits.is_empty());
        let ms = Mapping { numeric_time: NumericTime::Millis, ..mapping() };
        assert_eq!(
            ms.convert(record(r#"{"type":"t","time":1700000000123}"#), None).unwrap().generated,
            "2023-11-14T22:13:20.123000"
        );
    }

    #[test]
    fn a_record_without_id_gets_its_canonical_hash() {
        let a = mapping()
            .convert(record(r#"{"type":"t","time":"2026-01-01T00:00:00","data":{"b":1,"a":[1.5,"x"]}}"#), None);
        let b = mapping()
            .convert(record(r#"{ "data" : {"a":[1.5,"x"],"b":1}, "time":"2026-01-01T00:00:00","type":"t"}"#), None);
        let (a, b) = (a.unwrap(), b.unwrap());
        assert_eq!(a.message_id, b.message_id);
        assert_eq!(a.message_id.len(), 64);
        let mut text = String::new();
        canonical(&record(r#"{"b":{"d":null,"c":true},"a":[1.5,"\n"]}"#), &mut text);
        assert_eq!(text, r#"{"a":[1.5,"\n"],"b":{"c":true,"d":null}}"#);
        let c = mapping().convert(record(r#"{"type":"t","time":"2026-01-01T00:00:00","data":{"b":2}}"#), None).unwrap();
        assert_ne!(a.message_id, c.message_id);
    }

    #[test]
    fn flattens_trait_lists() {
        let panko =
            Mapping { traits: Some(TraitList::Panko), payload: Pointer::parse("/traits").unwrap(), ..mapping() };
        let e = panko
            .convert(record(r#"{"id":"p","type":"t","time":"2026-01-01T00:00:00","traits":[{"name":"a","type":"string","value":"1"}]}"#), None)
            .unwrap();
        assert_eq!(e.traits, vec![("a".into(), Value::from("1"))]);
        let ceilo = Mapping { traits: Some(TraitList::Ceilometer), ..panko.clone() };
        let e = ceilo
            .convert(
                record(r#"{"id":"c","type":"t","time":"2026-01-01T00:00:00","traits":[["a",1,"x"],["b",2,5]]}"#),
                None,
            )
            .unwrap();
        assert_eq!(e.traits, vec![("a".into(), Value::from("x")), ("b".into(), Value::Int(5))]);
        let bad =
            ceilo.convert(record(r#"{"id":"c","type":"t","time":"2026-01-01T00:00:00","traits":[["a",1]]}"#), None);
        assert_eq!(bad.unwrap_err().reason, "trait #1 is not a [name, dtype, value] triple");
    }

    #[test]
    fn each_unmappable_record_has_its_reason() {
        let reason = |text: &str| mapping().convert(record(text), None).unwrap_err().reason;
        assert_eq!(reason(r#"{"id":"a","time":"2026-01-01T00:00:00"}"#), "no event type at /type");
        assert_eq!(reason(r#"{"id":"a","type":"t"}"#), "no timestamp at /time");
        assert_eq!(reason(r#"{"id":"a","type":"t","time":"soon"}"#), r#"/time is not a timestamp: "soon""#);
        assert_eq!(reason(r#"{"id":"a","type":5,"time":"2026-01-01T00:00:00"}"#), "/type is not a non-empty string: 5");
        assert_eq!(
            reason(r#"{"id":"a","type":"t","time":"2026-01-01T00:00:00","data":[1]}"#),
            "the payload at /data is not an object: [1]"
        );
        let s = mapping().convert(record("[1]"), timestamp::parse("2026-01-01T00:00:00")).unwrap_err();
        assert_eq!((s.reason.as_str(), s.at.is_some()), ("record is not a JSON object", true));
        let s = mapping().convert(record(r#"{"id":"q","type":"t"}"#), None).unwrap_err();
        assert_eq!(s.message_id.as_deref(), Some("q"));
    }
}
