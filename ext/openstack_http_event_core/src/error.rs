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

    /// A response over one of the caps; `option` names it
    /// (`http.max_response_bytes`, `http.max_header_bytes`).
    #[error("response from {url} exceeds {option} ({limit} bytes): {message}")]
    TooLarge { url: String, option: &'static str, limit: u64, message: String },
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
            Error::Status { .. } | Error::Parse { .. } | Error::TooLarge { .. } => ErrorKind::Protocol,
        }
    }

    /// Whether polling may go on after this error (with back-off), or it
    /// needs an operator: bad configuration, credentials, a missing service.
    pub fn is_retryable(&self) -> bool {
        matches!(self.kind(), ErrorKind::Connection | ErrorKind::Protocol)
    }

    /// The same error with `f` applied to every text it carries (URLs,
    /// messages, option keys): how secrets are scrubbed from it.
    pub fn map_text(self, f: impl Fn(&str) -> String) -> Self {
        match self {
            Error::Config { key, message } => Error::Config { key: f(&key), message: f(&message) },
            Error::Authentication { url, message } => Error::Authentication { url: f(&url), message: f(&message) },
            Error::Ssl { url, message } => Error::Ssl { url: f(&url), message: f(&message) },
            Error::Connection { url, message } => Error::Connection { url: f(&url), message: f(&message) },
            Error::Timeout { url, after } => Error::Timeout { url: f(&url), after },
            Error::ServiceNotAvailable { message } => Error::ServiceNotAvailable { message: f(&message) },
            Error::Status { url, status, message, retry_after } => {
                Error::Status { url: f(&url), status, message: f(&message), retry_after }
            }
            Error::Parse { url, message } => Error::Parse { url: f(&url), message: f(&message) },
            Error::TooLarge { url, option, limit, message } => {
                Error::TooLarge { url: f(&url), option, limit, message: f(&message) }
            }
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn too_large_is_a_retryable_protocol_error_naming_the_option() {
        let e = Error::TooLarge {
            url: "http://h/v2/events".into(),
            option: "http.max_response_bytes",
            limit: 1024,
            message: "the body is longer".into(),
        };
        assert_eq!(e.kind(), ErrorKind::Protocol);
        assert!(e.is_retryable());
        assert!(e.to_string().contains("http.max_response_bytes (1024 bytes)"), "{e}");
    }

    #[test]
    fn map_text_reaches_every_string() {
        let e =
            Error::Status { url: "http://h/x".into(), status: 400, message: "pw in here".into(), retry_after: None };
        let e = e.map_text(|s| s.replace("pw", "[REDACTED]").replace("/x", "/y"));
        assert_eq!(e.to_string(), "http://h/y answered HTTP 400: [REDACTED] in here");
        let e = Error::config("http.auth", "pw").map_text(|s| s.replace("pw", "-"));
        assert_eq!(e.to_string(), "invalid option http.auth: -");
    }
}
