//! `http.auth.type: oauth2`: the OAuth 2.0 client credentials grant
//! (RFC 6749 section 4.4).
//!
//! The client authenticates to `:token_url` with HTTP Basic, RFC 6749's
//! default (section 2.3.1: client id and secret form-encoded, then
//! base64), and sends `grant_type=client_credentials` (plus `scope` when
//! set) as a form. The access token is sent to the event service as
//! `Authorization: Bearer`; it is kept until `expires_in` minus a margin
//! (a tenth of its life, at most a minute), or until the service refuses it.
//! The client secret goes to the token URL only.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chrono::Utc;
use reqwest::header::{HeaderName, HeaderValue, AUTHORIZATION, CONTENT_TYPE};
use serde::Deserialize;

use super::{AuthFuture, Authenticator, Credentials};
use crate::config::OAuth2Auth as Config;
use crate::error::{Error, Result};
use crate::http::{self, Http};
use crate::util::http_header::secret_value;
use crate::util::scrub::Scrubber;

/// The longest margin kept before a token's expiry.
const MAX_MARGIN_SECONDS: f64 = 60.0;

pub struct OAuth2Auth {
    config: Config,
    cached: Option<Credentials>,
}

#[derive(Deserialize)]
struct TokenBody {
    access_token: String,
    #[serde(default)]
    token_type: Option<String>,
    #[serde(default)]
    expires_in: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct ErrorBody {
    error: String,
    #[serde(default)]
    error_description: Option<String>,
}

impl OAuth2Auth {
    pub fn new(config: Config) -> Self {
        OAuth2Auth { config, cached: None }
    }

    /// The token request's headers and form body.
    pub fn request(&self) -> Result<(Vec<(HeaderName, HeaderValue)>, String)> {
        let encode = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
        let pair = format!("{}:{}", encode(&self.config.client_id), encode(self.config.client_secret.expose()));
        let basic = secret_value("http.auth.client_secret", &format!("Basic {}", STANDARD.encode(pair)))?;
        let mut form = url::form_urlencoded::Serializer::new(String::new());
        form.append_pair("grant_type", "client_credentials");
        if let Some(scope) = &self.config.scope {
            form.append_pair("scope", scope);
        }
        let headers =
            vec![(AUTHORIZATION, basic), (CONTENT_TYPE, HeaderValue::from_static("application/x-www-form-urlencoded"))];
        Ok((headers, form.finish()))
    }

    async fn obtain(&mut self, http: &mut Http, scrubber: &Scrubber) -> Result<Credentials> {
        let url = self.config.token_url.clone();
        let shown = crate::util::scrub::redact(&url);
        let (headers, body) = self.request()?;
        let reply = http.post(url, &headers, body.into_bytes()).await?;
        let status = reply.status.as_u16();
        if !reply.status.is_success() {
            // RFC 6749 section 5.2: 400 (or 401 for a client that failed
            // to authenticate) with {"error", "error_description"}
            let oauth = serde_json::from_slice::<ErrorBody>(&reply.body).ok();
            if matches!(status, 400 | 401 | 403) {
                let message = match oauth {
                    Some(e) => format!(
                        "client {:?} got no token: HTTP {status} {}{}",
                        self.config.client_id,
                        e.error,
                        e.error_description.map(|d| format!(" ({d})")).unwrap_or_default()
                    ),
                    None => format!(
                        "client {:?} got no token: HTTP {status} {}",
                        self.config.client_id,
                        http::error_message(&reply.body)
                    ),
                };
                return Err(Error::Authentication { url: shown, message });
            }
            return Err(Error::Status {
                url: shown,
                status,
                message: http::error_message(&reply.body),
                retry_after: http::retry_after(&reply.headers),
            });
        }
        let credentials = parse_token(&reply.body, &shown, scrubber)?;
        self.cached = Some(credentials.clone());
        Ok(credentials)
    }
}

/// Reads a token answer (RFC 6749 section 5.1) into credentials; the token
/// goes into `scrubber` first.
fn parse_token(body: &[u8], shown: &str, scrubber: &Scrubber) -> Result<Credentials> {
    let parse = |message: String| Error::Parse { url: shown.to_owned(), message };
    let token: TokenBody =
        serde_json::from_slice(body).map_err(|e| parse(format!("token answer: {e} (expected access_token)")))?;
    scrubber.add_token(&token.access_token);
    if token.access_token.is_empty() {
        return Err(parse("token answer: access_token is empty".into()));
    }
    match token.token_type.as_deref() {
        Some(t) if t.eq_ignore_ascii_case("bearer") => {}
        other => {
            return Err(parse(format!(
                "token answer: token_type {:?} is not supported (only Bearer)",
                other.unwrap_or("(missing)")
            )))
        }
    }
    let expires_in = match &token.expires_in {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::Number(n)) => n.as_f64(),
        // some servers quote it
        Some(serde_json::Value::String(s)) => s.trim().parse::<f64>().ok(),
        Some(_) => None,
    }
    .filter(|s| s.is_finite() && *s >= 0.0 && *s < 1.0e9);
    let renew_at = expires_in.map(|seconds| {
        let margin = (seconds / 10.0).min(MAX_MARGIN_SECONDS);
        Utc::now() + chrono::Duration::milliseconds(((seconds - margin) * 1000.0) as i64)
    });
    let value = secret_value("http.auth.token_url", &format!("Bearer {}", token.access_token))
        .map_err(|_| parse("token answer: access_token is not a valid header value".into()))?;
    Ok(Credentials { headers: vec![(AUTHORIZATION, value)], renew_at, renewable: true, ..Credentials::default() })
}

impl Authenticator for OAuth2Auth {
    fn kind(&self) -> &'static str {
        "oauth2"
    }

    fn announce(&self) -> Option<String> {
        let good = self.cached.as_ref().is_some_and(|c| !c.due(Utc::now()));
        (!good).then(|| {
            format!(
                "requesting an OAuth 2.0 token for client {:?} at {}",
                self.config.client_id,
                crate::util::scrub::redact(&self.config.token_url)
            )
        })
    }

    fn credentials<'a>(&'a mut self, http: &'a mut Http, scrubber: &'a Scrubber) -> AuthFuture<'a> {
        Box::pin(async move {
            if let Some(cached) = self.cached.as_ref().filter(|c| !c.due(Utc::now())) {
                return Ok(cached.clone());
            }
            self.obtain(http, scrubber).await
        })
    }

    fn derived_secrets(&self) -> Vec<String> {
        let basic = self.request().ok().and_then(|(h, _)| h[0].1.to_str().ok().map(str::to_owned));
        basic.map(|b| b.trim_start_matches("Basic ").to_owned()).into_iter().collect()
    }

    fn invalidate(&mut self) {
        self.cached = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::secret::Secret;

    fn auth(scope: Option<&str>) -> OAuth2Auth {
        OAuth2Auth::new(Config {
            token_url: url::Url::parse("http://idp/oauth/token").unwrap(),
            client_id: "my client".into(),
            client_secret: Secret::new("s3cr:t"),
            scope: scope.map(str::to_owned),
        })
    }

    #[test]
    fn request_uses_basic_with_form_encoded_id_and_secret() {
        let (headers, body) = auth(Some("events read")).request().unwrap();
        assert_eq!(body, "grant_type=client_credentials&scope=events+read");
        // base64("my+client:s3cr%3At")
        assert_eq!(headers[0].1.to_str().unwrap(), "Basic bXkrY2xpZW50OnMzY3IlM0F0");
        assert!(headers[0].1.is_sensitive());
        assert!(!body.contains("s3cr"));
        assert_eq!(auth(None).request().unwrap().1, "grant_type=client_credentials");
        assert_eq!(auth(None).derived_secrets(), ["bXkrY2xpZW50OnMzY3IlM0F0"]);
    }

    #[test]
    fn token_answer_parsed_and_scrubbed() {
        let scrubber = Scrubber::new();
        let c =
            parse_token(br#"{"access_token":"tok-123456","token_type":"bearer","expires_in":"100"}"#, "u", &scrubber)
                .unwrap();
        assert_eq!(c.headers[0].1.to_str().unwrap(), "Bearer tok-123456");
        assert!(c.renewable && c.roles.is_none());
        let left = (c.renew_at.unwrap() - Utc::now()).num_seconds();
        assert!((85..=90).contains(&left), "{left}");
        assert_eq!(scrubber.scrub("got tok-123456"), "got [REDACTED]");
        let c = parse_token(br#"{"access_token":"t2-abcdef","token_type":"Bearer","expires_in":3600}"#, "u", &scrubber)
            .unwrap();
        let left = (c.renew_at.unwrap() - Utc::now()).num_seconds();
        assert!((3535..=3540).contains(&left), "{left}");
        let c = parse_token(br#"{"access_token":"t3-abcdef","token_type":"Bearer"}"#, "u", &scrubber).unwrap();
        assert!(c.renew_at.is_none());
    }

    #[test]
    fn bad_token_answers_are_parse_errors() {
        let scrubber = Scrubber::new();
        for body in [
            &br#"{"token_type":"Bearer"}"#[..],
            br#"{"access_token":"abcdef","token_type":"mac"}"#,
            br#"{"access_token":"abcdef"}"#,
            br#"{"access_token":"","token_type":"Bearer"}"#,
            br#"{"access_token":"a\nbcdef","token_type":"Bearer"}"#,
            b"<html>",
        ] {
            let e = parse_token(body, "http://idp/oauth/token", &scrubber).unwrap_err();
            assert!(matches!(e, Error::Parse { .. }), "{e}");
            assert!(!e.to_string().contains("abcdef"), "{e}");
        }
    }

    #[test]
    fn invalidate_forgets_the_cached_token() {
        let mut a = auth(None);
        a.cached = Some(Credentials { renewable: true, ..Credentials::default() });
        assert!(a.announce().is_none());
        a.invalidate();
        assert!(a.cached.is_none() && a.announce().unwrap().contains("my client"));
    }
}
