//! `http.auth.type: basic`: `Authorization: Basic` with `:username` and
//! `:password` (RFC 7617, UTF-8).

use reqwest::header::{HeaderValue, AUTHORIZATION};

use super::{ready, AuthFuture, Authenticator, Credentials};
use crate::config::BasicAuth as Config;
use crate::error::Result;
use crate::http::Http;
use crate::util::header::secret_value;
use crate::util::scrub::Scrubber;

pub struct BasicAuth {
    value: HeaderValue,
}

impl BasicAuth {
    pub fn new(config: &Config) -> Result<Self> {
        let pair = format!("{}:{}", config.username, config.password.expose());
        Ok(BasicAuth { value: secret_value("http.auth.password", &format!("Basic {}", base64(pair.as_bytes())))? })
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

/// Standard base64 with padding (RFC 4648 section 4).
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], chunk.get(1).copied().unwrap_or(0), chunk.get(2).copied().unwrap_or(0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::secret::Secret;

    #[test]
    fn base64_rfc4648_vectors() {
        let cases =
            [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE=")];
        for (plain, encoded) in cases {
            assert_eq!(base64(plain.as_bytes()), encoded);
        }
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }

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
