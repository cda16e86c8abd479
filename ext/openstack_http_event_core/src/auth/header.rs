//! `http.auth.type: header`: a custom header (`:name`, `:value`), e.g. an
//! API key.

use reqwest::header::{HeaderName, HeaderValue};

use super::{ready, secret_value, AuthFuture, Authenticator, Credentials};
use crate::config::HeaderAuth as Config;
use crate::error::{Error, Result};
use crate::http::Http;
use crate::scrub::Scrubber;

pub struct HeaderAuth {
    name: HeaderName,
    value: HeaderValue,
}

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

impl HeaderAuth {
    pub fn new(config: &Config) -> Result<Self> {
        Ok(HeaderAuth {
            name: header_name(&config.name)?,
            value: secret_value("http.auth.value", config.value.expose())?,
        })
    }
}

impl Authenticator for HeaderAuth {
    fn kind(&self) -> &'static str {
        "header"
    }

    fn credentials<'a>(&'a mut self, _: &'a mut Http, _: &'a Scrubber) -> AuthFuture<'a> {
        ready(Credentials::fixed(vec![(self.name.clone(), self.value.clone())]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;

    #[test]
    fn custom_header_sent_as_configured() {
        let config = Config { name: "X-Api-Key".into(), value: Secret::new("k-123") };
        let mut auth = HeaderAuth::new(&config).unwrap();
        let c = super::super::tests_support::credentials(&mut auth);
        assert_eq!((c.headers[0].0.as_str(), c.headers[0].1.to_str().unwrap()), ("x-api-key", "k-123"));
        assert!(c.headers[0].1.is_sensitive());
    }

    #[test]
    fn bad_names_and_values_name_the_option() {
        for bad in ["Host", "content-length", "X Key", "Key:", ""] {
            let e = header_name(bad).unwrap_err().to_string();
            assert!(e.contains("http.auth.name"), "{bad}: {e}");
        }
        let config = Config { name: "X-Key".into(), value: Secret::new("v\r\nX-Evil: 1") };
        let e = HeaderAuth::new(&config).err().unwrap().to_string();
        assert!(e.contains("http.auth.value") && !e.contains("X-Evil"), "{e}");
    }
}
