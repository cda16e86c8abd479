//! `http.auth.type: bearer`: a static token sent as
//! `Authorization: Bearer <token>` (RFC 6750).

use reqwest::header::{HeaderValue, AUTHORIZATION};

use super::{ready, AuthFuture, Authenticator, Credentials};
use crate::error::Result;
use crate::http::Http;
use crate::util::http_header::secret_value;
use crate::util::scrub::Scrubber;
use crate::util::secret::Secret;

pub struct BearerAuth {
    value: HeaderValue,
}

impl BearerAuth {
    pub fn new(token: &Secret) -> Result<Self> {
        Ok(BearerAuth { value: secret_value("http.auth.token", &format!("Bearer {}", token.expose()))? })
    }
}

impl Authenticator for BearerAuth {
    fn kind(&self) -> &'static str {
        "bearer"
    }

    fn credentials<'a>(&'a mut self, _: &'a mut Http, _: &'a Scrubber) -> AuthFuture<'a> {
        ready(Credentials::fixed(vec![(AUTHORIZATION, self.value.clone())]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authorization_bearer() {
        let mut auth = BearerAuth::new(&Secret::new("abc.def")).unwrap();
        let c = super::super::authenticator::tests_support::credentials(&mut auth);
        assert_eq!(c.headers[0].0, AUTHORIZATION);
        assert_eq!(c.headers[0].1.to_str().unwrap(), "Bearer abc.def");
        assert!(c.headers[0].1.is_sensitive() && !c.renewable);
        let e = BearerAuth::new(&Secret::new("x\ny")).err().unwrap().to_string();
        assert!(e.contains("http.auth.token"), "{e}");
    }
}
