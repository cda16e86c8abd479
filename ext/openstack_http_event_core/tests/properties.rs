//! Property tests: the page parser never panics whatever the body, the
//! lenient JSON reader decodes ordinary JSON as serde_json does, the
//! cursor delivers every event exactly once however the window is re-read
//! and across a restart from its state file, and a state file is read back
//! as written or refused, never with a panic.

use openstack_http_event_core::json;
use openstack_http_event_core::timestamp;
use openstack_http_event_core::{Cursor, Event, Page};
use openstack_http_event_core::{Position, Snapshot, Stream};
use proptest::prelude::*;
use serde_json::{json, Value};

fn parse_page(body: &[u8]) -> Result<Page, String> {
    openstack_http_event_core::parse_page(body, 100)
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        ".{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
            prop::collection::btree_map(
                prop_oneof![
                    Just("message_id".to_owned()),
                    Just("event_type".to_owned()),
                    Just("generated".to_owned()),
                    Just("traits".to_owned()),
                    Just("name".to_owned()),
                    Just("value".to_owned()),
                    ".{0,6}"
                ],
                inner,
                0..6
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Any JSON value serde_json can write: u64s beyond i64, finite floats,
/// strings of any characters (control characters included).
fn arb_document() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
        (-1e6f64..1e6).prop_map(Value::from),
        any::<String>().prop_map(Value::from),
        r#"[a-z"\\/\u{0}-\u{1f}\u{7f}-\u{10ffff}]{0,8}"#.prop_map(Value::from),
    ];
    leaf.prop_recursive(6, 200, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::from),
            prop::collection::btree_map(any::<String>(), inner, 0..8)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// JSON text with every character outside ASCII written as a `\u` escape
/// (surrogate pairs beyond the BMP), and whitespace between tokens.
fn ascii_json(value: &Value, out: &mut String) {
    match value {
        Value::String(s) => escaped(s, out),
        Value::Array(items) => {
            out.push_str("[ ");
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(" ,\n");
                }
                ascii_json(item, out);
            }
            out.push_str("\t]");
        }
        Value::Object(members) => {
            out.push_str("{\r\n");
            for (i, (k, v)) in members.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                escaped(k, out);
                out.push_str(" : ");
                ascii_json(v, out);
            }
            out.push('}');
        }
        other => out.push_str(&other.to_string()),
    }
}

fn escaped(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            ' '..='~' => out.push(c),
            _ => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04X}"));
                }
            }
        }
    }
    out.push('"');
}

/// Whether the lenient reader's value is serde_json's: integers outside i64
/// are serde_json's u64s, objects have unique keys here. Floats must be
/// equal to the last bit when `exact`, else within 1e-12 relative
/// (serde_json reads some a few bits off: it rounds without its
/// `float_roundtrip` feature).
fn agrees(mine: &json::Value, theirs: &Value, exact: bool) -> bool {
    match (mine, theirs) {
        (json::Value::Null, Value::Null) => true,
        (json::Value::Bool(a), Value::Bool(b)) => a == b,
        (json::Value::Int(a), Value::Number(n)) => n.as_i64() == Some(*a),
        (json::Value::BigInt(text), Value::Number(n)) => n.as_u64().is_some_and(|u| u.to_string() == *text),
        (json::Value::Float(a), Value::Number(n)) => {
            n.is_f64()
                && n.as_f64().is_some_and(|b| {
                    a.to_bits() == b.to_bits() || (!exact && (a - b).abs() <= a.abs().max(b.abs()) * 1e-12)
                })
        }
        (json::Value::Str(a), Value::String(b)) => a == b,
        (json::Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| agrees(x, y, exact))
        }
        (json::Value::Object(a), Value::Object(b)) => {
            a.len() == b.len() && a.iter().all(|(k, v)| b.get(k).is_some_and(|w| agrees(v, w, exact)))
        }
        _ => false,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn lenient_reader_agrees_with_serde_json(doc in arb_document()) {
        for text in [serde_json::to_string(&doc).unwrap(), serde_json::to_string_pretty(&doc).unwrap(), {
            let mut s = String::new();
            ascii_json(&doc, &mut s);
            s
        }] {
            let theirs: Value = serde_json::from_str(&text).unwrap();
            let mine = json::parse(text.as_bytes(), 128).map_err(|e| TestCaseError::fail(format!("{e}: {text}")))?;
            prop_assert!(agrees(&mine, &theirs, false), "{:?} vs {:?} from {}", mine, theirs, text);
            // and floats come back exactly as written (Rust's parse rounds correctly)
            prop_assert!(agrees(&mine, &doc, true), "{:?} vs {:?} from {}", mine, doc, text);
            // the structural skipper finds the same end
            let mut reader = json::Reader::new(text.as_bytes());
            reader.skip_value().map_err(|e| TestCaseError::fail(format!("skip: {e}")))?;
            prop_assert_eq!(reader.position(), text.trim_end().len());
        }
    }

    #[test]
    fn lenient_reader_never_panics_on_bytes(body in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = json::parse(&body, 8);
        let _ = json::Reader::new(&body).skip_value();
    }
}

proptest! {
    #[test]
    fn parser_never_panics_on_bytes(body in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = parse_page(&body);
    }

    #[test]
    fn parser_never_panics_on_json_and_counts_every_row(rows in prop::collection::vec(arb_json(), 0..12)) {
        let body = serde_json::to_vec(&Value::from(rows.clone())).unwrap();
        let page = parse_page(&body).unwrap();
        prop_assert_eq!(page.rows, rows.len());
        prop_assert_eq!(page.events.len() + page.skipped.len(), rows.len());
    }

    #[test]
    fn exactly_once_across_rereads(
        offsets in prop::collection::vec(0i64..20_000, 1..200),
        windows in prop::collection::vec((0usize..200, 1usize..50), 1..30),
    ) {
        // events at random times, served sorted; each "poll" re-reads a slice
        // that starts anywhere at or before the floor.
        let start = timestamp::parse("2026-01-01T00:00:00").unwrap();
        let mut all: Vec<Event> = offsets.iter().enumerate().map(|(i, ms)| Event {
            message_id: format!("m{i}"),
            event_type: "t".into(),
            generated: String::new(),
            at: start + chrono::Duration::milliseconds(*ms),
            traits: vec![],
        }).collect();
        all.sort_by(|a, b| (a.at, &a.message_id).cmp(&(b.at, &b.message_id)));
        let mut cursor = Cursor::new(None, std::time::Duration::from_secs(5));
        let mut delivered = std::collections::HashSet::new();
        let mut next: usize = 0;
        for (back, len) in windows {
            let floor = cursor.floor();
            let first_allowed = all.iter().position(|e| floor.is_none_or(|f| e.at >= f)).unwrap_or(all.len());
            let from = next.saturating_sub(back).max(first_allowed).min(next);
            let to = (next + len).min(all.len());
            let fresh = cursor.admit(all[from..to].to_vec(), chrono::NaiveDateTime::MAX).fresh;
            for e in fresh {
                prop_assert!(delivered.insert(e.message_id.clone()), "{} delivered twice", e.message_id);
            }
            next = to;
        }
        let fresh = cursor.admit(all[next.min(all.len())..].to_vec(), chrono::NaiveDateTime::MAX).fresh;
        for e in fresh {
            prop_assert!(delivered.insert(e.message_id.clone()));
        }
        prop_assert_eq!(delivered.len(), all.len());
    }
}

/// The events the re-read test serves: at random times, sorted.
fn events_at(offsets: &[i64]) -> Vec<Event> {
    let start = timestamp::parse("2026-01-01T00:00:00").unwrap();
    let mut all: Vec<Event> = offsets
        .iter()
        .enumerate()
        .map(|(i, ms)| Event {
            message_id: format!("m{i}"),
            event_type: "t".into(),
            generated: String::new(),
            at: start + chrono::Duration::milliseconds(*ms),
            traits: vec![],
        })
        .collect();
    all.sort_by(|a, b| (a.at, &a.message_id).cmp(&(b.at, &b.message_id)));
    all
}

/// The cursor as a restarted monitor has it: its state written as the file
/// holds it, read back, and restored into a new cursor.
fn through_state_file(cursor: &Cursor) -> Result<Cursor, TestCaseError> {
    let snapshot = Snapshot {
        stream: Stream::of(&json!({"url": "http://panko:8977"})),
        position: cursor.position_state(),
        floor: cursor.floor(),
        service_cursor: None,
    };
    let read = Snapshot::parse(&snapshot.to_json()).map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(&read, &snapshot);
    Ok(Cursor::new(None, std::time::Duration::from_secs(5)).restored(&read.position))
}

fn arb_time() -> impl Strategy<Value = chrono::NaiveDateTime> {
    (-5_000_000_000i64..5_000_000_000, 0u32..1_000_000_000)
        .prop_map(|(s, n)| chrono::DateTime::from_timestamp(s, n).expect("within chrono's range").naive_utc())
}

fn arb_remembered() -> impl Strategy<Value = Vec<(u128, Option<chrono::NaiveDateTime>)>> {
    prop::collection::vec((any::<u128>(), prop::option::of(arb_time())), 0..8)
}

fn arb_snapshot() -> impl Strategy<Value = Snapshot> {
    (
        ".{0,20}",
        prop::option::of(arb_time()),
        prop::option::of(arb_time()),
        any::<[u64; 2]>(),
        arb_remembered(),
        arb_remembered(),
        prop::option::of(arb_time()),
        prop::option::of(".{0,20}"),
    )
        .prop_map(|(url, since, newest, seed, delivered, skipped, floor, service_cursor)| Snapshot {
            stream: Stream::of(&json!({"url": url})),
            position: Position { since, newest, seed, delivered, skipped },
            floor,
            service_cursor,
        })
}

proptest! {
    #[test]
    fn exactly_once_across_rereads_and_a_restart(
        offsets in prop::collection::vec(0i64..20_000, 1..200),
        windows in prop::collection::vec((0usize..200, 1usize..50), 1..30),
        restart_after in 0usize..30,
    ) {
        // as exactly_once_across_rereads, with the monitor restarted once
        // from its state file part-way
        let all = events_at(&offsets);
        let mut cursor = Cursor::new(None, std::time::Duration::from_secs(5));
        let mut delivered = std::collections::HashSet::new();
        let mut next: usize = 0;
        for (i, (back, len)) in windows.into_iter().enumerate() {
            if i == restart_after {
                cursor = through_state_file(&cursor)?;
            }
            let floor = cursor.floor();
            let first_allowed = all.iter().position(|e| floor.is_none_or(|f| e.at >= f)).unwrap_or(all.len());
            let from = next.saturating_sub(back).max(first_allowed).min(next);
            let to = (next + len).min(all.len());
            for e in cursor.admit(all[from..to].to_vec(), chrono::NaiveDateTime::MAX).fresh {
                prop_assert!(delivered.insert(e.message_id.clone()), "{} delivered twice", e.message_id);
            }
            next = to;
        }
        let mut cursor = through_state_file(&cursor)?;
        let floor = cursor.floor();
        let from = all.iter().position(|e| floor.is_none_or(|f| e.at >= f)).unwrap_or(all.len()).min(next);
        for e in cursor.admit(all[from..].to_vec(), chrono::NaiveDateTime::MAX).fresh {
            prop_assert!(delivered.insert(e.message_id.clone()), "{} delivered twice after a restart", e.message_id);
        }
        prop_assert_eq!(delivered.len(), all.len(), "none skipped");
    }

    #[test]
    fn a_state_reads_back_as_written(snapshot in arb_snapshot()) {
        let text = snapshot.to_json();
        prop_assert_eq!(Snapshot::parse(&text), Ok(snapshot));
    }

    #[test]
    fn a_state_file_is_read_or_refused_never_a_panic(
        snapshot in arb_snapshot(),
        field in prop::sample::select(vec![
            "format", "version", "stream", "stream_id", "since", "newest_seen", "floor", "service_cursor",
            "digest_seed", "delivered", "skipped", "unknown",
        ]),
        value in arb_json(),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut doc: Value = serde_json::from_str(&snapshot.to_json()).unwrap();
        doc[field] = value;
        let text = doc.to_string();
        if let Ok(read) = Snapshot::parse(&text) {
            // whatever was accepted is a state that reads back as itself
            prop_assert_eq!(Snapshot::parse(&read.to_json()), Ok(read));
        }
        // a truncated file is refused
        let mut end = cut.index(text.len());
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        prop_assert!(Snapshot::parse(&text[..end]).is_err(), "{}", &text[..end]);
    }

    #[test]
    fn state_text_never_panics(text in "\\PC{0,300}") {
        let _ = Snapshot::parse(&text);
    }
}

#[test]
fn huge_trait_list_and_big_event() {
    let traits: Vec<Value> =
        (0..100_000).map(|i| json!({"name": format!("t{i}"), "type": "string", "value": "v"})).collect();
    let big = "x".repeat(10 * 1024 * 1024);
    let body = serde_json::to_vec(&json!([
        {"message_id": "many", "event_type": "e", "generated": "2026-01-01T00:00:00", "traits": traits},
        {"message_id": "big", "event_type": "e", "generated": "2026-01-01T00:00:01Z", "traits": [{"name": "blob", "value": big}]}
    ])).unwrap();
    let page = parse_page(&body).unwrap();
    assert_eq!(page.events[0].traits.len(), 100_000);
    assert_eq!(page.events[1].traits[0].1.as_str().map(str::len), Some(10 * 1024 * 1024));
}
