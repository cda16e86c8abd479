//! The Ruby-free core of `openstack_http_event_monitor`.
//!
//! It reads events from HTTP event services — polling OpenStack Panko,
//! Ceilometer's own v2 events API or any JSON events API (authenticating
//! with Keystone, a token, Basic, a header or OAuth 2.0), or receiving what
//! Ceilometer's `http` publisher and CloudEvents senders POST into a durable
//! spool — and turns them into the events ManageIQ expects. Polling keeps a
//! cursor on the service's own timestamps, pages with `limit` and `marker`
//! where the service has them, de-duplicates the back-read window by
//! `message_id` and can resume from a state file. The magnus binding in
//! `ext/openstack_http_event_monitor` drives it without the GVL.
//!
//! Modules, leaves first (each uses only those before it):
//! - `util`: time, back-off, secrets and scrubbing, option reading;
//! - `model`: ManageIQ's event, trait names, the event type filter, the
//!   lenient JSON reader;
//! - `format`: event formats more than one source reads (Ceilometer's,
//!   CloudEvents, generic JSON mappings);
//! - `source`: one dialect per polled service (Panko, Ceilometer, JSON);
//! - `config`: `options[:http]`, parsed once into typed structs;
//! - `tls`, `http`: the HTTP client (and its cassette recorder);
//! - `auth`: one authenticator per `http.auth.type`;
//! - `state`, `spool`: what survives a restart (the polling state file;
//!   the push receiver's spool);
//! - `poll`, `push`: the polling engine; the push receiver;
//! - `engine`: what the binding drives, poll or push.

#![forbid(unsafe_code)]

mod auth;
mod config;
mod engine;
mod error;
mod format;
mod http;
mod model;
mod poll;
mod push;
mod runtime;
mod shared;
mod source;
mod spool;
mod state;
#[cfg(test)]
mod testing;
mod tls;
mod util;

// The public interface: what the binding (`ext/openstack_http_event_monitor`),
// the property tests (`tests/properties.rs`) and the fuzz targets (`fuzz/`)
// use. Everything else is private to the crate.
pub use config::{Config, Stream};
pub use engine::Engine;
pub use error::{Error, ErrorKind};
pub use model::event::{Event, Page};
pub use model::json;
pub use model::trait_name::TraitName;
pub use poll::Cursor;
pub use runtime::shared as shared_runtime;
pub use shared::{Level, Shared, Stats};
pub use source::panko::parse_page;
pub use state::{Position, Snapshot};
pub use util::timestamp;

/// The crate's version, as cassettes name their recorder.
pub(crate) const VERSION: &str = env!("CARGO_PKG_VERSION");
