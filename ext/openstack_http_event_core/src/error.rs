//! Typed errors of the core. Their messages are shown to ManageIQ users, so
//! they name the option, the field or the service involved, and never carry a
//! secret.

use std::time::Duration;

/// What kind of failure, coarse enough for the Ruby side to pick an exception
/// class from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    Configuration,
    Authentication,
    Connection,
    Ssl,
    ServiceNotAvailable,
    Protocol,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A bad option; `key` is the option's path, e.g. `http.page_size`.
    #[error("invalid option {key}: {message}")]
    Config { key: String, message: String },

    #[error("authentication failed at {url}: {message}")]
    Authentication { url: String, message: String },

    #[error("TLS error talking to {url}: {message}")]
    Ssl { url: String, message: String },

    #[error("cannot connect to {url}: {message}")]
    Connection { url: String, message: String },

    #[error("request to {url} timed out after {}s", .after.as_secs_f64())]
    Timeout { url: String, after: Duration },

    #[error("no event service in the Keystone catalog: {message}")]
    ServiceNotAvailable { message: String },

    /// A non-success HTTP status.
    #[error("{url} answered HTTP {status}: {message}")]
    Status { url: String, status: u16, message: String, retry_after: Option<Duration> },

    /// A body that could not be understood.
    #[error("unparseable response from {url}: {message}")]
    Parse { url: String, message: String },
}

impl Error {
    pub fn config(key: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Config { key: key.into(), message: message.into() }
    }

    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Config { .. } => ErrorKind::Configuration,
            Error::Authentication { .. } => ErrorKind::Authentication,
            Error::Ssl { .. } => ErrorKind::Ssl,
            Error::Connection { .. } | Error::Timeout { .. } => ErrorKind::Connection,
            Error::ServiceNotAvailable { .. } => ErrorKind::ServiceNotAvailable,
            Error::Status { status: 401, .. } => ErrorKind::Authentication,
            Error::Status { .. } | Error::Parse { .. } => ErrorKind::Protocol,
        }
    }

    /// Whether polling may go on after this error (with back-off), or it
    /// needs an operator: bad configuration, credentials, a missing service.
    pub fn is_retryable(&self) -> bool {
        matches!(self.kind(), ErrorKind::Connection | ErrorKind::Protocol)
    }

    /// The delay the service asked for with `Retry-After`, if any.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
