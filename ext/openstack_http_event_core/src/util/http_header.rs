//! Header names and values checked before a request carries them: a
//! credential's value is marked sensitive (never printed by the HTTP
//! client), a header name that the client sets itself cannot carry one.
//! Options parsing and the authenticators both check with these.

use reqwest::header::{HeaderName, HeaderValue};

use crate::error::{Error, Result};

/// Headers the HTTP client owns: a custom value would break the request.
pub const FORBIDDEN: [&str; 5] = ["host", "content-length", "transfer-encoding", "connection", "te"];

/// The header name of `http.auth.name`, checked.
pub fn header_name(name: &str) -> Result<HeaderName> {
    let parsed = HeaderName::from_bytes(name.as_bytes())
        .map_err(|_| Error::config("http.auth.name", format!("{name:?} is not a valid HTTP header name")))?;
    if FORBIDDEN.contains(&parsed.as_str()) {
        return Err(Error::config(
            "http.auth.name",
            format!("{name:?} is set by the HTTP client and cannot carry credentials"),
        ));
    }
    Ok(parsed)
}

/// A header value holding a secret: checked, and marked sensitive. `key` is
/// the option it came from.
pub fn secret_value(key: &str, value: &str) -> Result<HeaderValue> {
    let mut value = HeaderValue::from_str(value)
        .map_err(|_| Error::config(key, "is not a valid HTTP header value (control characters or non-ASCII)"))?;
    value.set_sensitive(true);
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_value_is_sensitive_and_a_bad_one_names_its_option() {
        assert!(secret_value("k", "hunter22").unwrap().is_sensitive());
        assert!(secret_value("http.auth.value", "a\nb").unwrap_err().to_string().contains("http.auth.value"));
    }
}
