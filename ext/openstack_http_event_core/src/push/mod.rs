//! What the push receiver (`:source => {:type => :push, …}`) accepts: the
//! bodies OpenStack's Ceilometer `http` publisher and CloudEvents senders
//! POST, read into the same [`Event`](crate::event::Event)s the polling
//! sources give. [`format`] tells the formats apart by content type and
//! shape; [`ceilometer`] and [`cloudevents`] read one each; a plain JSON
//! body goes through the generic source's mapping.

pub mod ceilometer;
pub mod cloudevents;
pub mod format;
pub mod gate;
pub mod monitor;
pub mod options;
pub mod receiver;
pub mod record;
pub mod server;
pub mod tls;

pub use format::{read, Format, Formats, Received, Rejected};
