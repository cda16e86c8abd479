//! The HTTP client every request goes through ([`client`]: timeouts, TLS,
//! redirects, caps, typed errors) and the recorder that writes what it sent
//! and heard to a cassette ([`cassette`]).

pub(crate) mod cassette;
mod client;

pub use client::{error_message, retry_after, Http, Reply};
