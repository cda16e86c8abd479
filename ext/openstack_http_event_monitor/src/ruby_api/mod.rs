//! The Ruby-facing API: one file per Ruby class under
//! `OpenstackHTTPEventMonitor` (`native` for `Native`), the core errors as
//! the exception classes `lib/` defines (`errors`), and the part of
//! `Native#each_batch`'s behaviour too big to sit in `native.rs`
//! (`delivery`: the events fetched but not yet handed to Ruby). [`init`]
//! defines them all when the extension is loaded.

use magnus::{prelude::*, Error, RClass, Ruby};

pub mod delivery;
pub mod errors;
pub mod native;

/// Defines the classes under `OpenstackHTTPEventMonitor`.
/// lib/openstack_http_event_monitor.rb defines that class (and its error
/// classes) before it loads this library.
pub fn init(ruby: &Ruby) -> Result<(), Error> {
    let outer: RClass = ruby.class_object().const_get("OpenstackHTTPEventMonitor")?;
    native::init(ruby, outer)
}
