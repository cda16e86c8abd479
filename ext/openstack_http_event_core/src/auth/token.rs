//! `http.auth.type: token`: a static token sent as `X-Auth-Token`, as
//! OpenStack services take a Keystone token.

use reqwest::header::{HeaderName, HeaderValue};

use super::{ready, AuthFuture, Authenticator, Credentials};
use crate::error::Result;
use crate::http::Http;
use crate::util::http_header::secret_value;
use crate::util::scrub::Scrubber;
use crate::util::secret::Secret;

pub struct TokenAuth {
    value: HeaderValue,
}

impl TokenAuth {
    pub fn new(token: &Secret) -> Result<Self> {
        Ok(TokenAuth { value: secret_value("http.auth.token", token.expose())? })
    }
}

impl Authenticator for TokenAuth {
    fn kind(&self) -> &'static str {
        "token"
    }

    fn credentials<'a>(&'a mut self, _: &'a mut Http, _: &'a Scrubber) -> AuthFuture<'a> {
        ready(Credentials::fixed(vec![(HeaderName::from_static("x-auth-token"), self.value.clone())]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn x_auth_token_marked_sensitive() {
        let mut auth = TokenAuth::new(&Secret::new("gAAAAtoken")).unwrap();
        let c = super::super::authenticator::tests_support::credentials(&mut auth);
        assert_eq!(c.headers.len(), 1);
        assert_eq!(c.headers[0].0.as_str(), "x-auth-token");
        assert_eq!(c.headers[0].1.to_str().unwrap(), "gAAAAtoken");
        assert!(c.headers[0].1.is_sensitive());
        assert!(TokenAuth::new(&Secret::new("bad\r\nX-Injected: 1")).is_err());
    }
}
