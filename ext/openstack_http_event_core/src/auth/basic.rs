//! `http.auth.type: basic`: `Authorization: Basic` with `:username` and
//! `:password` (RFC 7617, UTF-8).

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use reqwest::header::{HeaderValue, AUTHORIZATION};

use super::{ready, AuthFuture, Authenticator, Credentials};
use crate::config::BasicAuth as Config;
use crate::error::Result;
use crate::http::Http;
use crate::util::http_header::secret_value;
use crate::util::scrub::Scrubber;

pub struct BasicAuth {
    value: HeaderValue,
}

impl BasicAuth {
    pub fn new(config: &Config) -> Result<Self> {
        let pair = format!("{}:{}", config.username, config.password.expose());
        Ok(BasicAuth { value: secret_value("http.auth.password", &format!("Basic {}", STANDARD.encode(pair)))? })
    }
}

impl Authenticator for BasicAuth {
    fn kind(&self) -> &'static str {
        "basic"
    }

    fn derived_secrets(&self) -> Vec<String> {
        let text = self.value.to_str().unwrap_or_default();
        vec![text.trim_start_matches("Basic ").to_owned()]
    }

    fn credentials<'a>(&'a mut self, _: &'a mut Http, _: &'a Scrubber) -> AuthFuture<'a> {
        ready(Credentials::fixed(vec![(AUTHORIZATION, self.value.clone())]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::secret::Secret;

    #[test]
    fn rfc7617_example() {
        let config = Config { username: "Aladdin".into(), password: Secret::new("open sesame") };
        let mut auth = BasicAuth::new(&config).unwrap();
        let c = super::super::authenticator::tests_support::credentials(&mut auth);
        assert_eq!(c.headers[0].1.to_str().unwrap(), "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
        assert!(c.headers[0].1.is_sensitive());
        assert_eq!(auth.derived_secrets(), ["QWxhZGRpbjpvcGVuIHNlc2FtZQ=="]);
    }
}
