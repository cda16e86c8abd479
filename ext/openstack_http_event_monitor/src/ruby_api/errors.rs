//! Core errors as the Ruby exception classes that `lib/` defines under
//! `OpenstackHTTPEventMonitor`.

use magnus::{prelude::*, Error, ExceptionClass, RClass, Ruby};
use openstack_http_event_core::{Error as CoreError, ErrorKind};

fn class(ruby: &Ruby, name: &str) -> ExceptionClass {
    ruby.class_object()
        .const_get::<_, RClass>("OpenstackHTTPEventMonitor")
        .and_then(|outer| outer.const_get::<_, ExceptionClass>(name))
        .unwrap_or_else(|_| ruby.exception_runtime_error())
}

pub fn configuration(ruby: &Ruby, message: &str) -> Error {
    Error::new(class(ruby, "ConfigurationError"), message.to_owned())
}

pub fn from_core(ruby: &Ruby, error: CoreError) -> Error {
    let name = match error.kind() {
        ErrorKind::Configuration => "ConfigurationError",
        ErrorKind::Authentication => "AuthenticationError",
        ErrorKind::Connection => "ConnectionError",
        ErrorKind::Ssl => "SSLError",
        ErrorKind::ServiceNotAvailable => "ServiceNotAvailableError",
        ErrorKind::Protocol => "ProtocolError",
    };
    Error::new(class(ruby, name), error.to_string())
}

/// A second thread using a monitor that one thread is polling with.
pub fn busy(ruby: &Ruby) -> Error {
    Error::new(
        class(ruby, "BusyError"),
        "this monitor is already polling in another thread; use one monitor per thread",
    )
}

/// A Rust panic, surfaced as an exception instead of crossing into Ruby.
pub fn panic(ruby: &Ruby, message: &str) -> Error {
    Error::new(class(ruby, "InternalError"), format!("internal error (Rust panic): {message}"))
}

pub fn io(ruby: &Ruby, error: std::io::Error) -> Error {
    Error::new(class(ruby, "InternalError"), format!("cannot start the runtime: {error}"))
}
