//! Ruby binding of `openstack_http_event_monitor`: the `Native` class under
//! `OpenstackHTTPEventMonitor`, argument conversion, GVL release and Ruby
//! objects. Everything else lives in the Ruby-free core crate.

use magnus::{prelude::*, Error, RClass, Ruby};

mod convert;
mod delivery;
mod helpers;
mod ruby_api;

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
