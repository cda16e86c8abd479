//! Ruby binding of `openstack_http_event_monitor`: the `Native` class under
//! `OpenstackHTTPEventMonitor`, argument conversion, GVL release and Ruby
//! objects. Everything else lives in the Ruby-free core crate. `ruby_api/`
//! holds the Ruby classes, `helpers/` the small pieces they are built from.

use magnus::{Error, Ruby};

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
    ruby_api::init(ruby)
}
