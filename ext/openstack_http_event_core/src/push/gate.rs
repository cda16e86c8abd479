//! Who may push: HTTP Basic users (Ceilometer's publisher sends the URL's
//! userinfo), a shared token in a query parameter, or a client certificate
//! (checked by TLS before a request is read). Secrets are compared in
//! constant time — through their SHA-256 digests, so neither the content
//! nor the length of a guess shows in the time taken.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use sha2::{Digest, Sha256};

use crate::util::secret::Secret;

/// The credentials a receiver accepts; any one of them admits a request.
#[derive(Debug, Clone, Default)]
pub struct Gate {
    /// `user => password` for HTTP Basic.
    pub users: Vec<(String, Secret)>,
    /// The query parameter that carries the shared token, and the token.
    pub token: Option<(String, Secret)>,
    /// Whether TLS already required a client certificate signed by the
    /// configured CA: then every request that reached here carries one.
    pub client_certificates: bool,
}

/// Why a request was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// No credentials at all.
    Missing,
    /// Credentials that match nothing.
    Wrong,
}

impl Gate {
    /// Whether any credential is required.
    pub fn is_open(&self) -> bool {
        self.users.is_empty() && self.token.is_none() && !self.client_certificates
    }

    /// Checks a request's `Authorization` header and query string.
    pub fn admit(&self, authorization: Option<&[u8]>, query: Option<&str>) -> Result<(), Refusal> {
        if self.is_open() || self.client_certificates {
            return Ok(());
        }
        let mut offered = false;
        if let Some((name, token)) = &self.token {
            let sent =
                query.into_iter().flat_map(|q| url::form_urlencoded::parse(q.as_bytes())).find(|(k, _)| k == name);
            if let Some((_, value)) = sent {
                offered = true;
                if same(value.as_bytes(), token.expose().as_bytes()) {
                    return Ok(());
                }
            }
        }
        if let Some((user, password)) = authorization.and_then(basic) {
            offered = true;
            // every user is compared, so the time does not say which exist
            let mut admitted = false;
            for (name, secret) in &self.users {
                admitted |=
                    same(name.as_bytes(), user.as_bytes()) & same(secret.expose().as_bytes(), password.as_bytes());
            }
            if admitted {
                return Ok(());
            }
        }
        Err(if offered { Refusal::Wrong } else { Refusal::Missing })
    }
}

/// `Basic base64(user:password)` to its parts.
fn basic(header: &[u8]) -> Option<(String, String)> {
    let text = std::str::from_utf8(header).ok()?.trim();
    let (scheme, encoded) = text.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = STANDARD.decode(encoded.trim()).ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (user, password) = decoded.split_once(':')?;
    Some((user.to_owned(), password.to_owned()))
}

/// Equality whose time depends on neither input.
fn same(a: &[u8], b: &[u8]) -> bool {
    let (da, db) = (Sha256::digest(a), Sha256::digest(b));
    da.iter().zip(db.iter()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gate() -> Gate {
        Gate {
            users: vec![("ceilometer".into(), Secret::new("pw1")), ("other".into(), Secret::new("pw2"))],
            token: Some(("token".into(), Secret::new("t0k"))),
            client_certificates: false,
        }
    }

    #[test]
    fn basic_users_and_the_token_parameter() {
        let g = gate();
        // "ceilometer:pw1", "other:pw2", "ceilometer:pw2"
        assert_eq!(g.admit(Some(b"Basic Y2VpbG9tZXRlcjpwdzE="), None), Ok(()));
        assert_eq!(g.admit(Some(b"basic b3RoZXI6cHcy"), None), Ok(()));
        assert_eq!(g.admit(Some(b"Basic Y2VpbG9tZXRlcjpwdzI="), None), Err(Refusal::Wrong));
        assert_eq!(g.admit(None, Some("batch=True&token=t0k")), Ok(()));
        assert_eq!(g.admit(None, Some("token=nope")), Err(Refusal::Wrong));
        assert_eq!(g.admit(None, Some("batch=True")), Err(Refusal::Missing));
        assert_eq!(g.admit(Some(b"Bearer t0k"), None), Err(Refusal::Missing));
        assert_eq!(g.admit(Some(b"Basic !!!!"), None), Err(Refusal::Missing));
    }

    #[test]
    fn open_and_certificate_gates() {
        assert!(Gate::default().is_open());
        assert_eq!(Gate::default().admit(None, None), Ok(()));
        let certs = Gate { client_certificates: true, ..Gate::default() };
        assert!(!certs.is_open());
        assert_eq!(certs.admit(None, None), Ok(()));
    }

    #[test]
    fn constant_time_equality() {
        assert!(same(b"abc", b"abc") && !same(b"abc", b"abd") && !same(b"abc", b"abcd"));
    }
}
