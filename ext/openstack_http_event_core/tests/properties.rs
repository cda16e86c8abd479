//! Property tests: the page parser never panics whatever the body, and the
//! cursor delivers every event exactly once however the window is re-read.

use openstack_http_event_core::cursor::Cursor;
use openstack_http_event_core::event::{parse_page, Event};
use openstack_http_event_core::timestamp;
use proptest::prelude::*;
use serde_json::{json, Value};

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
