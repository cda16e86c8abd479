//! What the push receiver (`:source => {:type => :push, …}`) accepts: the
//! bodies OpenStack's Ceilometer `http` publisher and CloudEvents senders
//! POST, read into the same [`Event`](crate::model::event::Event)s the polling
//! sources give. [`decode`] tells the formats apart by content type and
//! shape; [`ceilometer`](crate::format::ceilometer_event) and
//! [`cloudevents`](crate::format::cloudevents) read one each; a plain JSON
//! body goes through the generic mapping ([`crate::format::mapping`]).

mod config;
mod decode;
mod gate;
mod push_monitor;
mod receiver;
mod record;
mod server;
mod server_tls;

pub use config::PushOptions;
pub use push_monitor::PushMonitor;
