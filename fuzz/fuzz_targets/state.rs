//! Any state file text: read back as a state (which then reads back as
//! itself once written again) or refused with a StateError, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use openstack_http_event_core::Snapshot;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(state) = Snapshot::parse(text) {
        assert_eq!(Snapshot::parse(&state.to_json()), Ok(state));
    }
});
