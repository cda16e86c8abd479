//! Any options hash: parsing either gives a config or an error naming an
//! option under `http`, and never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use openstack_http_event_core::{Config, Error};

fuzz_target!(|data: &[u8]| {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else { return };
    if let Err(Error::Config { key, .. }) = Config::from_value(&value) {
        assert!(key.starts_with("http"), "{key}");
    }
});
