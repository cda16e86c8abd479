//! Any body the service may send: the page parser and the conversion never
//! panic, every row is either an event or a skip, and an event's cursor
//! timestamp comes from its own `generated`.
#![no_main]

use chrono::NaiveDateTime;
use libfuzzer_sys::fuzz_target;
use openstack_http_event_core::{json, parse_page, Cursor};

fuzz_target!(|body: &[u8]| {
    // the lenient reader alone: a value, or an error, never a panic; the
    // structural skipper never goes past what it was given
    let _ = json::parse(body, 100);
    let mut reader = json::Reader::new(body);
    if reader.skip_value().is_ok() {
        assert!(reader.position() <= body.len());
    }
    if let Ok(page) = parse_page(body, 100) {
        assert_eq!(page.events.len() + page.skipped.len(), page.rows);
        let mut cursor = Cursor::new(None, std::time::Duration::from_secs(5));
        // no service clock: every stamp may move the cursor
        let fresh = cursor.admit(page.events, NaiveDateTime::MAX).fresh;
        let again = cursor.admit(fresh, NaiveDateTime::MAX).fresh;
        assert!(again.is_empty(), "an event was delivered twice");
    }
});
