//! Ruby binding of `openstack_http_event_monitor`: the `Native` class under
//! `OpenstackHTTPEventMonitor`, argument conversion, GVL release and Ruby
//! objects. Everything else lives in the Ruby-free core crate.

use magnus::{prelude::*, Error, RClass, Ruby};

mod convert;
mod delivery;
mod factory;
mod helpers;
mod ruby_api;

/// Rust's allocations (parsed events, HTTP buffers) come from mimalloc: an
/// event's strings are made on one thread and freed on another, which
/// glibc's malloc does slowly (see bench/compare.rb). Ruby's own objects
/// still come from Ruby's allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[magnus::init]
fn init(ruby: &Ruby) -> Result<(), Error> {
    // A panic becomes a Ruby exception (see helpers::nogvl); one line on
    // stderr is enough, not a backtrace in the host's log.
    std::panic::set_hook(Box::new(|info| {
        eprintln!("openstack_http_event_monitor: Rust panic: {info}");
    }));
    // lib/openstack_http_event_monitor.rb defines the class (and its error
    // classes) before it loads this library.
    let outer: RClass = ruby.class_object().const_get("OpenstackHTTPEventMonitor")?;
    ruby_api::native::init(ruby, outer)
}
