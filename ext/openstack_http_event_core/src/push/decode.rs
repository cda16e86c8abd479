//! Which format a pushed body is in, and its events. The content type
//! decides: CloudEvents' own types (and `ce-specversion` headers for binary
//! mode), else JSON — an array of events or one — whose records are read as
//! Ceilometer events, CloudEvents or through the generic mapping, as the
//! receiver's `:formats` allow. A record that is none of them is skipped
//! with its reason; the body is refused (400) only when it is not JSON or
//! holds no event at all, and (415) when its content type is not JSON.

use chrono::NaiveDateTime;

use crate::format::mapping::Mapping;
use crate::format::{ceilometer_event, cloudevents};
use crate::model::event::{Event, Skipped};
use crate::model::json::{self, Value};

/// The formats a receiver takes (`:formats`).
#[derive(Debug, Clone, Default)]
pub struct Formats {
    pub ceilometer: bool,
    pub cloudevents: bool,
    /// The generic source's mapping, for `:json`.
    pub json: Option<Mapping>,
}

/// What a body was read as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Ceilometer,
    CloudEvents,
    Json,
    /// Records of several formats in one body.
    Mixed,
}

/// A body's events and the records that were not.
#[derive(Debug)]
pub struct Received {
    pub format: Option<Format>,
    pub events: Vec<Event>,
    pub skipped: Vec<Skipped>,
}

/// A body refused as a whole: the status to answer and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    pub status: u16,
    pub message: String,
}

/// What a `raw_only` publisher posts, and what to do about it.
pub const RAW_ONLY: &str = "not an event (no event_type, message_id or generated): a Ceilometer publisher with \
                            raw_only=True posts only notification payloads; drop raw_only from the publisher URL, \
                            or map the payloads with :formats => [:json]";

/// Reads one POSTed body. `header` finds a request header by its
/// lower-case name; `received` stamps events without a time of their own.
pub fn read<'h>(
    header: impl Fn(&str) -> Option<&'h str>,
    body: &[u8],
    formats: &Formats,
    max_nesting: usize,
    received: NaiveDateTime,
) -> Result<Received, Rejected> {
    let media = header("content-type")
        .map(|t| t.split(';').next().unwrap_or("").trim().to_ascii_lowercase())
        .unwrap_or_default();
    let json_media = media.is_empty() || media == "application/json" || media.ends_with("+json");
    if header("ce-specversion").is_some() && formats.cloudevents {
        let event = cloudevents::binary(&header, body, json_media, max_nesting, received);
        return Ok(one(Format::CloudEvents, event));
    }
    let ce_media = matches!(media.as_str(), "application/cloudevents+json" | "application/cloudevents-batch+json");
    if !json_media || (ce_media && !formats.cloudevents) {
        return Err(Rejected {
            status: 415,
            message: format!("content type {media:?} is not taken here ({})", accepted(formats)),
        });
    }
    let doc = json::parse(body, max_nesting.saturating_add(1))
        .map_err(|e| Rejected { status: 400, message: format!("the body is not JSON ({e})") })?;
    let records = match doc {
        Value::Array(items) => items,
        single @ Value::Object(_) => vec![single],
        // a bare string, number, true, false or null is no event at all
        _ => return Err(Rejected { status: 400, message: "the body holds no event".into() }),
    };
    if records.is_empty() {
        return Err(Rejected { status: 400, message: "the body holds no event".into() });
    }
    let mut out = Received { format: None, events: Vec::with_capacity(records.len()), skipped: Vec::new() };
    for record in records {
        let (format, result) = if ce_media || (formats.cloudevents && cloudevents::looks_like(&record)) {
            (Format::CloudEvents, cloudevents::structured(record, received))
        } else if formats.ceilometer && ceilometer_event::looks_like(&record) {
            (Format::Ceilometer, ceilometer_event::event(record, received))
        } else if let Some(mapping) = &formats.json {
            let before = out.events.last().map(|e| e.at);
            (Format::Json, mapping.convert(record, before))
        } else {
            let reason = if formats.ceilometer { RAW_ONLY.to_owned() } else { accepted(formats) };
            out.skipped.push(Skipped { message_id: None, reason, at: Some(received) });
            continue;
        };
        out.format = match out.format {
            None => Some(format),
            Some(f) if f == format => Some(f),
            Some(_) => Some(Format::Mixed),
        };
        match result {
            Ok(event) => out.events.push(event),
            Err(skip) => out.skipped.push(skip),
        }
    }
    Ok(out)
}

fn one(format: Format, result: Result<Event, Skipped>) -> Received {
    match result {
        Ok(event) => Received { format: Some(format), events: vec![event], skipped: Vec::new() },
        Err(skip) => Received { format: Some(format), events: Vec::new(), skipped: vec![skip] },
    }
}

/// The formats a receiver takes, for messages.
fn accepted(formats: &Formats) -> String {
    let mut names = Vec::new();
    if formats.ceilometer {
        names.push("Ceilometer events as application/json");
    }
    if formats.cloudevents {
        names.push("CloudEvents (application/cloudevents+json, application/cloudevents-batch+json, ce-* headers)");
    }
    if formats.json.is_some() {
        names.push("JSON records through http.source.mapping");
    }
    if names.is_empty() {
        "no format is enabled".to_owned()
    } else {
        format!("accepted: {}", names.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::mapping::NumericTime;
    use crate::format::pointer::Pointer;
    use crate::util::timestamp;

    fn received() -> NaiveDateTime {
        timestamp::parse("2026-11-26T10:00:00").unwrap()
    }

    fn all() -> Formats {
        Formats { ceilometer: true, cloudevents: true, json: None }
    }

    fn post(content_type: &str, body: &str, formats: &Formats) -> Result<Received, Rejected> {
        let headers = [("content-type", content_type)];
        read(|n| headers.iter().find(|(k, _)| *k == n).map(|(_, v)| *v), body.as_bytes(), formats, 100, received())
    }

    const CEILOMETER: &str = r#"{"message_id": "c1", "event_type": "image.update", "generated": "2026-11-26T09:00:00",
                                 "traits": [["name", 1, "img"]], "raw": {}}"#;

    #[test]
    fn ceilometer_batches_and_single_events() {
        let batch = post("application/json", &format!("[{CEILOMETER}, {CEILOMETER}]"), &all()).unwrap();
        assert_eq!((batch.format, batch.events.len()), (Some(Format::Ceilometer), 2));
        let single = post("application/json; charset=utf-8", CEILOMETER, &all()).unwrap();
        assert_eq!(single.events[0].message_id, "c1");
    }

    #[test]
    fn one_bad_event_does_not_sink_the_batch() {
        let body = format!(r#"[{CEILOMETER}, {{"message_id": "x", "event_type": "t"}}, 7]"#);
        let got = post("application/json", &body, &all()).unwrap();
        assert_eq!(got.events.len(), 1);
        assert_eq!(got.skipped.len(), 2);
        assert_eq!(got.skipped[0].reason, "no generated timestamp");
    }

    #[test]
    fn raw_only_payloads_are_skipped_with_advice_unless_mapped() {
        let raw = r#"{"instance_id": "i-1", "state": "active", "when": "2026-11-26T09:00:00", "kind": "vm"}"#;
        let got = post("application/json", raw, &all()).unwrap();
        assert_eq!(got.events.len(), 0);
        assert!(got.skipped[0].reason.contains("raw_only"), "{}", got.skipped[0].reason);
        let mapping = Mapping {
            message_id: Some(Pointer::parse("/instance_id").unwrap()),
            event_type: Pointer::parse("/kind").unwrap(),
            timestamp: Pointer::parse("/when").unwrap(),
            payload: Pointer::root(),
            traits: None,
            event_type_prefix: "raw.".into(),
            numeric_time: NumericTime::Seconds,
        };
        let mapped = post("application/json", raw, &Formats { json: Some(mapping), ..all() }).unwrap();
        assert_eq!(mapped.format, Some(Format::Json));
        assert_eq!(mapped.events[0].event_type, "raw.vm");
    }

    #[test]
    fn cloudevents_structured_batched_and_as_plain_json() {
        let ce = r#"{"specversion": "1.0", "id": "e1", "type": "t", "source": "/s", "data": {"k": 1}}"#;
        assert_eq!(post("application/cloudevents+json", ce, &all()).unwrap().events[0].message_id, "e1");
        let batch = post("application/cloudevents-batch+json", &format!("[{ce}, {ce}]"), &all()).unwrap();
        assert_eq!((batch.format, batch.events.len()), (Some(Format::CloudEvents), 2));
        let mixed = post("application/json", &format!("[{ce}, {CEILOMETER}]"), &all()).unwrap();
        assert_eq!((mixed.format, mixed.events.len()), (Some(Format::Mixed), 2));
    }

    #[test]
    fn refusals() {
        let r = post("text/plain", CEILOMETER, &all()).unwrap_err();
        assert_eq!(r.status, 415);
        assert!(r.message.contains("text/plain"));
        let only_ceilometer = Formats { cloudevents: false, ..all() };
        assert_eq!(post("application/cloudevents+json", "{}", &only_ceilometer).unwrap_err().status, 415);
        assert_eq!(post("application/json", "{oops", &all()).unwrap_err().status, 400);
        assert_eq!(
            post("application/json", "[]", &all()).unwrap_err(),
            Rejected { status: 400, message: "the body holds no event".into() }
        );
        for scalar in ["42", "\"event\"", "null", "true"] {
            assert_eq!(post("application/json", scalar, &all()).unwrap_err().status, 400, "{scalar}");
        }
    }

    #[test]
    fn binary_mode_by_headers() {
        let headers =
            [("content-type", "application/json"), ("ce-specversion", "1.0"), ("ce-id", "b"), ("ce-type", "t")];
        let got = read(
            |n| headers.iter().find(|(k, _)| *k == n).map(|(_, v)| *v),
            br#"{"x": true}"#,
            &all(),
            100,
            received(),
        )
        .unwrap();
        assert_eq!(got.events[0].traits, vec![("x".into(), Value::Bool(true))]);
    }
}
