//! Ceilometer's event publishers (`http`, and STF's AMQP one): an event is
//! `{"message_id", "event_type", "generated", "traits": [[name, dtype,
//! value], …], "raw": {…}}`, `generated` naive UTC ISO 8601. Trait values
//! are typed by their dtype as ManageIQ's STF converter receives them:
//! 0 none → nil, 1 string and 4 datetime → String, 2 integer → Integer,
//! 3 float → Float. `raw` is not read.

use chrono::NaiveDateTime;

use crate::model::event::{Event, Skipped};
use crate::model::json::Value;
use crate::model::trait_name::named;
use crate::util::timestamp;

/// Whether `record` is meant as a Ceilometer event (an object with any of
/// `message_id`, `event_type`, `generated`), as opposed to another JSON
/// body such as a `raw_only` payload.
pub fn looks_like(record: &Value) -> bool {
    let Value::Object(members) = record else { return false };
    members.iter().any(|(k, _)| matches!(k.as_str(), "message_id" | "event_type" | "generated"))
}

/// One Ceilometer event, or why it is not one. `received` stamps a
/// skipped record whose own time cannot be read.
pub fn event(record: Value, received: NaiveDateTime) -> Result<Event, Skipped> {
    let Value::Object(members) = record else {
        return Err(Skipped { message_id: None, reason: "event is not a JSON object".into(), at: Some(received) });
    };
    let (mut message_id, mut event_type, mut generated, mut traits) = (None, None, None, None);
    for (name, value) in members {
        match name.as_str() {
            "message_id" => message_id = Some(value),
            "event_type" => event_type = Some(value),
            "generated" => generated = Some(value),
            "traits" => traits = Some(value),
            _ => {}
        }
    }
    let message_id = match message_id {
        Some(Value::Str(s)) if !s.is_empty() => s,
        _ => return Err(Skipped { message_id: None, reason: "no message_id".into(), at: Some(received) }),
    };
    let generated_text = match generated {
        Some(Value::Str(s)) => s,
        _ => return Err(skip(message_id, "no generated timestamp".into(), received)),
    };
    let Some(at) = timestamp::parse(&generated_text) else {
        return Err(skip(message_id, format!("generated is not a timestamp: {generated_text:?}"), received));
    };
    let event_type = match event_type {
        Some(Value::Str(s)) if !s.is_empty() => s,
        _ => return Err(skip(message_id, "no event_type".into(), at)),
    };
    let traits = match traits {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => match typed_traits(items) {
            Ok(t) => t,
            Err(reason) => return Err(skip(message_id, reason, at)),
        },
        Some(_) => return Err(skip(message_id, "traits is not a list".into(), at)),
    };
    Ok(Event { message_id, event_type, generated: timestamp::format(at), at, traits: named(traits) })
}

fn skip(message_id: String, reason: String, at: NaiveDateTime) -> Skipped {
    Skipped { message_id: Some(message_id), reason, at: Some(at) }
}

/// `[[name, dtype, value], …]` to name → value, each value typed by its
/// dtype (a value that does not read as its type is kept as sent).
pub fn typed_traits(items: Vec<Value>) -> Result<Vec<(String, Value)>, String> {
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        let Value::Array(triple) = item else {
            return Err(format!("trait #{} is not a [name, dtype, value] triple", i + 1));
        };
        let mut triple = triple.into_iter();
        match (triple.next(), triple.next(), triple.next(), triple.next()) {
            (Some(Value::Str(name)), Some(dtype), Some(value), None) => out.push((name, typed(&dtype, value))),
            _ => return Err(format!("trait #{} is not a [name, dtype, value] triple", i + 1)),
        }
    }
    Ok(out)
}

/// Ceilometer's trait types (`ceilometer.event.models.Trait`).
const NONE: i64 = 0;
const TEXT: i64 = 1;
const INT: i64 = 2;
const FLOAT: i64 = 3;
const DATETIME: i64 = 4;

fn typed(dtype: &Value, value: Value) -> Value {
    let Value::Int(dtype) = dtype else { return value };
    match (*dtype, value) {
        (NONE, _) => Value::Null,
        (TEXT | DATETIME, Value::Int(n)) => Value::Str(n.to_string()),
        (TEXT | DATETIME, Value::BigInt(n)) => Value::Str(n),
        (TEXT | DATETIME, Value::Float(f)) => Value::Str(f.to_string()),
        (INT, Value::Str(s)) => s.trim().parse::<i64>().map(Value::Int).unwrap_or(Value::Str(s)),
        (INT, Value::Float(f)) if f.fract() == 0.0 && f.abs() < 9.0e15 => Value::Int(f as i64),
        (FLOAT, Value::Int(n)) => Value::Float(n as f64),
        (FLOAT, Value::Str(s)) => s.trim().parse::<f64>().map(Value::Float).unwrap_or(Value::Str(s)),
        (_, value) => value,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::json;

    fn received() -> NaiveDateTime {
        timestamp::parse("2026-11-26T10:00:00").unwrap()
    }

    #[test]
    fn an_event_as_the_http_publisher_posts_it() {
        let body = br#"{"message_id": "m1", "event_type": "compute.instance.create.end",
            "generated": "2026-11-26T09:59:58.123456",
            "traits": [["tenant_id", 1, "t1"], ["memory_mb", 2, 512], ["vcpus", 2, "4"], ["load", 3, 1],
                       ["launched_at", 4, "2026-11-26T09:59:00"], ["gone", 0, "x"], ["bad_int", 2, "many"]],
            "raw": {"payload": {"huge": true}}}"#;
        let record = json::parse(body, 100).unwrap();
        assert!(looks_like(&record));
        let e = event(record, received()).unwrap();
        assert_eq!((e.message_id.as_str(), e.event_type.as_str()), ("m1", "compute.instance.create.end"));
        assert_eq!(e.generated, "2026-11-26T09:59:58.123456");
        let get = |n: &str| e.traits.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone()).unwrap();
        assert_eq!(get("tenant_id"), Value::from("t1"));
        assert_eq!(get("memory_mb"), Value::Int(512));
        assert_eq!(get("vcpus"), Value::Int(4));
        assert_eq!(get("load"), Value::Float(1.0));
        assert_eq!(get("launched_at"), Value::from("2026-11-26T09:59:00"));
        assert_eq!(get("gone"), Value::Null);
        assert_eq!(get("bad_int"), Value::from("many"));
        assert_eq!(e.traits.len(), 7);
    }

    #[test]
    fn what_is_not_an_event_is_skipped_with_its_reason() {
        let reason = |text: &[u8]| event(json::parse(text, 100).unwrap(), received()).unwrap_err().reason;
        assert_eq!(reason(br#"[1]"#), "event is not a JSON object");
        assert_eq!(reason(br#"{"event_type": "x", "generated": "2026-01-01T00:00:00"}"#), "no message_id");
        assert_eq!(reason(br#"{"message_id": "m", "event_type": "x"}"#), "no generated timestamp");
        assert!(reason(br#"{"message_id": "m", "event_type": "x", "generated": "yesterday"}"#).contains("yesterday"));
        assert_eq!(reason(br#"{"message_id": "m", "generated": "2026-01-01T00:00:00"}"#), "no event_type");
        assert_eq!(
            reason(
                br#"{"message_id": "m", "event_type": "x", "generated": "2026-01-01T00:00:00", "traits": [["a", 1]]}"#
            ),
            "trait #1 is not a [name, dtype, value] triple"
        );
        let s =
            event(json::parse(br#"{"message_id": "m", "generated": "2026-01-01T00:00:00"}"#, 100).unwrap(), received())
                .unwrap_err();
        assert_eq!(s.message_id.as_deref(), Some("m"));
        assert_eq!(s.at, timestamp::parse("2026-01-01T00:00:00"));
    }

    #[test]
    fn a_raw_only_payload_does_not_look_like_an_event() {
        assert!(!looks_like(&json::parse(br#"{"instance_id": "i", "state": "active"}"#, 100).unwrap()));
        assert!(!looks_like(&json::parse(br#"[]"#, 100).unwrap()));
    }
}
