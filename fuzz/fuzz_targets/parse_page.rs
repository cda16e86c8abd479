//! Any body the service may send: the page parser and the conversion never
//! panic, every row is either an event or a skip, and an event's cursor
//! timestamp comes from its own `generated`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use openstack_http_event_core::cursor::Cursor;
use openstack_http_event_core::event::parse_page;

fuzz_target!(|body: &[u8]| {
    if let Ok(page) = parse_page(body) {
        assert_eq!(page.events.len() + page.skipped.len(), page.rows);
        let mut cursor = Cursor::new(None, std::time::Duration::from_secs(5));
        let (fresh, duplicates) = cursor.admit(page.events);
        let (again, _) = cursor.admit(fresh.clone());
        assert!(again.is_empty(), "an event was delivered twice");
        let _ = duplicates;
    }
});
