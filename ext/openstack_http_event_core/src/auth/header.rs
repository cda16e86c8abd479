//! `http.auth.type: header`: a custom header (`:name`, `:value`), e.g. an
//! API key.

use reqwest::header::{HeaderName, HeaderValue};

use super::{ready, AuthFuture, Authenticator, Credentials};
use crate::config::HeaderAuth as Config;
use crate::error::Result;
use crate::http::Http;
use crate::util::http_header::{header_name, secret_value};
use crate::util::scrub::Scrubber;

pub struct HeaderAuth {
    name: HeaderName,
    value: HeaderValue,
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
    use crate::util::secret::Secret;

    #[test]
    fn custom_header_sent_as_configured() {
        let config = Config { name: "X-Api-Key".into(), value: Secret::new("k-123") };
        let mut auth = HeaderAuth::new(&config).unwrap();
        let c = super::super::authenticator::tests_support::credentials(&mut auth);
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
