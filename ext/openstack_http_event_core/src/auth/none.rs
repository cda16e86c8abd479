//! `http.auth.type: none`: requests carry no credentials.

use super::{ready, AuthFuture, Authenticator, Credentials};
use crate::http::Http;
use crate::util::scrub::Scrubber;

pub struct NoAuth;

impl Authenticator for NoAuth {
    fn kind(&self) -> &'static str {
        "none"
    }

    fn credentials<'a>(&'a mut self, _: &'a mut Http, _: &'a Scrubber) -> AuthFuture<'a> {
        ready(Credentials::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sends_nothing() {
        let c = super::super::authenticator::tests_support::credentials(&mut NoAuth);
        assert!(c.headers.is_empty() && !c.renewable && c.renew_at.is_none() && c.roles.is_none());
    }
}
