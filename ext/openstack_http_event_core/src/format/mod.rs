//! How events are written down where more than one source reads them:
//! Ceilometer's serialized event ([`ceilometer_event`]: what its `http` publisher
//! POSTs and its `zaqar` publisher queues), [`cloudevents`], and the generic
//! mapping of any JSON record to an event ([`mapping`], by JSON Pointers,
//! [`pointer`](mod@pointer)). The push receiver and the generic JSON source both use them.

pub(crate) mod ceilometer_event;
pub(crate) mod cloudevents;
pub(crate) mod mapping;
pub(crate) mod pointer;
