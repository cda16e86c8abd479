//! The Ruby-free core of `openstack_http_event_monitor`.
//!
//! It authenticates against Keystone, pages through OpenStack Panko's v2
//! events API with `limit` and `marker`, keeps a cursor on the service's own
//! timestamps, de-duplicates the back-read window by `message_id` and turns
//! rows into the events ManageIQ expects. The magnus binding in
//! `ext/openstack_http_event_monitor` drives it without the GVL.

#![forbid(unsafe_code)]

pub mod auth;
pub mod backoff;
pub mod cassette;
pub mod clock;
pub mod config;
pub mod cursor;
pub mod engine;
pub mod error;
pub mod etag;
pub mod event;
pub mod filter;
pub mod http;
pub mod json;
pub mod monitor;
pub mod name;
pub mod names;
pub mod options;
pub mod paging;
pub mod politeness;
pub mod prehashed;
pub mod push;
pub mod rate_limit;
pub mod runtime;
pub mod scrub;
pub mod secret;
pub mod service_wait;
pub mod shared;
pub mod source;
pub mod spool;
pub mod state;
pub mod state_file;
pub mod state_keeper;
#[cfg(test)]
mod testing;
pub mod timestamp;
pub mod tls;

/// Keystone moved under [`auth`]; the old path still works.
pub use auth::keystone;
pub use config::Config;
pub use error::{Error, ErrorKind, Result};
pub use event::Event;
pub use monitor::{Level, Monitor, Shared, Stats};
pub use name::TraitName;

/// The crate's version, as cassettes name their recorder.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
