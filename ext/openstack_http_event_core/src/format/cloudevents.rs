//! CloudEvents 1.0 over HTTP: structured mode (one event as JSON,
//! `application/cloudevents+json`), batched mode (a JSON array,
//! `application/cloudevents-batch+json`) and binary mode (the attributes in
//! `ce-*` headers, the body the data). `id` becomes the message id, `type`
//! the event type, `time` (RFC 3339; the time of receipt when absent, as
//! the attribute is optional) the timestamp, and the members of `data` the
//! payload (a `data` that is not an object is the payload's `data`;
//! `data_base64` its `data_base64`).

use chrono::NaiveDateTime;

use crate::model::event::{Event, Skipped};
use crate::model::json::{self, Value};
use crate::model::trait_name::named;
use crate::util::timestamp;

/// The spec version this reads.
pub const SPECVERSION: &str = "1.0";

/// Whether `record` declares itself a CloudEvent.
pub fn looks_like(record: &Value) -> bool {
    matches!(record, Value::Object(members) if members.iter().any(|(k, _)| k == "specversion"))
}

/// One structured-mode event, or why it is not one.
pub fn structured(record: Value, received: NaiveDateTime) -> Result<Event, Skipped> {
    let Value::Object(members) = record else {
        return Err(Skipped { message_id: None, reason: "CloudEvent is not a JSON object".into(), at: Some(received) });
    };
    let mut attrs = Attributes::default();
    let mut data = None;
    for (name, value) in members {
        match (name.as_str(), value) {
            ("data", v) => data = Some(v),
            ("data_base64", Value::Str(s)) => data = Some(Value::Object(vec![("data_base64".into(), Value::Str(s))])),
            (name, Value::Str(s)) => attrs.set(name, s),
            _ => {}
        }
    }
    attrs.event(data, received)
}

/// A binary-mode event: attributes from the `ce-*` headers `header` finds,
/// the body as data (JSON when `json_body`, else text).
pub fn binary<'h>(
    header: impl Fn(&str) -> Option<&'h str>,
    body: &[u8],
    json_body: bool,
    max_nesting: usize,
    received: NaiveDateTime,
) -> Result<Event, Skipped> {
    let mut attrs = Attributes::default();
    for name in ["specversion", "id", "type", "time"] {
        if let Some(v) = header(&format!("ce-{name}")) {
            attrs.set(name, v.to_owned());
        }
    }
    let data = if body.iter().all(u8::is_ascii_whitespace) {
        None
    } else if json_body {
        match json::parse(body, max_nesting) {
            Ok(v) => Some(v),
            Err(e) => {
                return Err(Skipped {
                    message_id: attrs.id,
                    reason: format!("data is not JSON ({e})"),
                    at: Some(received),
                })
            }
        }
    } else {
        Some(Value::Str(String::from_utf8_lossy(body).into_owned()))
    };
    attrs.event(data, received)
}

#[derive(Default)]
struct Attributes {
    specversion: Option<String>,
    id: Option<String>,
    kind: Option<String>,
    time: Option<String>,
}

impl Attributes {
    fn set(&mut self, name: &str, value: String) {
        match name {
            "specversion" => self.specversion = Some(value),
            "id" => self.id = Some(value),
            "type" => self.kind = Some(value),
            "time" => self.time = Some(value),
            _ => {}
        }
    }

    fn event(self, data: Option<Value>, received: NaiveDateTime) -> Result<Event, Skipped> {
        let id = self.id.filter(|s| !s.is_empty());
        let skip = |id: Option<String>, reason: String| Skipped { message_id: id, reason, at: Some(received) };
        match self.specversion.as_deref() {
            Some(SPECVERSION) => {}
            Some(other) => return Err(skip(id, format!("specversion {other:?} is not {SPECVERSION:?}"))),
            None => return Err(skip(id, "no specversion".into())),
        }
        let Some(message_id) = id else { return Err(skip(None, "no id".into())) };
        let Some(event_type) = self.kind.filter(|s| !s.is_empty()) else {
            return Err(skip(Some(message_id), "no type".into()));
        };
        let at = match self.time {
            None => received,
            Some(t) => match timestamp::parse(&t) {
                Some(at) => at,
                None => return Err(skip(Some(message_id), format!("time is not RFC 3339: {t:?}"))),
            },
        };
        let traits = match data {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Object(members)) => named(members),
            Some(other) => vec![("data".into(), other)],
        };
        Ok(Event { message_id, event_type, generated: timestamp::format(at), at, traits })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn received() -> NaiveDateTime {
        timestamp::parse("2026-11-26T10:00:00").unwrap()
    }

    fn parse(text: &str) -> Value {
        json::parse(text.as_bytes(), 100).unwrap()
    }

    #[test]
    fn structured_events() {
        let e = structured(
            parse(
                r#"{"specversion": "1.0", "id": "ce-1", "type": "com.example.vm.created", "source": "/nova",
                    "time": "2026-11-26T11:00:00.5+01:00", "data": {"instance_id": "i-1", "vcpus": 2}}"#,
            ),
            received(),
        )
        .unwrap();
        assert_eq!((e.message_id.as_str(), e.event_type.as_str()), ("ce-1", "com.example.vm.created"));
        assert_eq!(e.generated, "2026-11-26T10:00:00.500000");
        assert_eq!(e.traits, vec![("instance_id".into(), Value::from("i-1")), ("vcpus".into(), Value::Int(2))]);

        let untimed =
            structured(parse(r#"{"specversion": "1.0", "id": "2", "type": "t", "data": "text"}"#), received()).unwrap();
        assert_eq!(untimed.at, received());
        assert_eq!(untimed.traits, vec![("data".into(), Value::from("text"))]);
        let b64 =
            structured(parse(r#"{"specversion": "1.0", "id": "3", "type": "t", "data_base64": "AAE="}"#), received())
                .unwrap();
        assert_eq!(b64.traits, vec![("data_base64".into(), Value::from("AAE="))]);
    }

    #[test]
    fn structured_events_that_are_not_are_skipped_with_reasons() {
        let reason = |t: &str| structured(parse(t), received()).unwrap_err().reason;
        assert_eq!(reason(r#"{"id": "1", "type": "t"}"#), "no specversion");
        assert_eq!(reason(r#"{"specversion": "0.3", "id": "1", "type": "t"}"#), "specversion \"0.3\" is not \"1.0\"");
        assert_eq!(reason(r#"{"specversion": "1.0", "type": "t"}"#), "no id");
        assert_eq!(reason(r#"{"specversion": "1.0", "id": "1"}"#), "no type");
        assert!(reason(r#"{"specversion": "1.0", "id": "1", "type": "t", "time": "noon"}"#).contains("noon"));
    }

    #[test]
    fn binary_mode_reads_the_headers() {
        let headers =
            [("ce-specversion", "1.0"), ("ce-id", "b-1"), ("ce-type", "t"), ("ce-time", "2026-11-26T09:00:00Z")];
        let header = |n: &str| headers.iter().find(|(k, _)| *k == n).map(|(_, v)| *v);
        let e = binary(header, br#"{"a": 1}"#, true, 100, received()).unwrap();
        assert_eq!((e.message_id.as_str(), e.generated.as_str()), ("b-1", "2026-11-26T09:00:00.000000"));
        assert_eq!(e.traits, vec![("a".into(), Value::Int(1))]);
        let text = binary(header, b"plain words", false, 100, received()).unwrap();
        assert_eq!(text.traits, vec![("data".into(), Value::from("plain words"))]);
        let bad = binary(header, b"{oops", true, 100, received()).unwrap_err();
        assert_eq!(bad.message_id.as_deref(), Some("b-1"));
        assert!(bad.reason.starts_with("data is not JSON"));
    }
}
