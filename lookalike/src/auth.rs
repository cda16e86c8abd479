//! The auth types other than Keystone that `/v2/events` can demand
//! (`POST /_control/config {"auth": …}`), and an OAuth 2.0 token endpoint
//! (`POST /oauth/token`, client credentials grant).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hyper::header::HeaderMap;
use serde_json::{json, Value};

/// What `/v2/events` accepts, and the OAuth 2.0 client it knows.
#[derive(Clone)]
pub struct AuthSettings {
    /// `keystone` (the default: an `X-Auth-Token` Keystone issued), `token`
    /// (`X-Auth-Token` equal to `token`), `bearer`, `basic`, `header`,
    /// `oauth2` (a bearer token issued by `/oauth/token`) or `none`.
    pub mode: String,
    pub token: String,
    pub basic_username: String,
    pub basic_password: String,
    pub header_name: String,
    pub header_value: String,
    pub client_id: String,
    pub client_secret: String,
    /// Life of the OAuth 2.0 tokens issued, in seconds.
    pub expires_in: u64,
}

impl Default for AuthSettings {
    fn default() -> Self {
        AuthSettings {
            mode: "keystone".into(),
            token: "lookalike-static-token".into(),
            basic_username: "events".into(),
            basic_password: "lookalike-basic-password".into(),
            header_name: "X-Api-Key".into(),
            header_value: "lookalike-api-key".into(),
            client_id: "manageiq".into(),
            client_secret: "lookalike-client-secret".into(),
            expires_in: 3600,
        }
    }
}

impl AuthSettings {
    /// Takes the keys of a `config` control body that concern auth.
    pub fn apply(&mut self, input: &Value) {
        let text = |key: &str, into: &mut String| {
            if let Some(v) = input[key].as_str() {
                *into = v.to_owned();
            }
        };
        text("auth", &mut self.mode);
        text("token", &mut self.token);
        text("basic_username", &mut self.basic_username);
        text("basic_password", &mut self.basic_password);
        text("header_name", &mut self.header_name);
        text("header_value", &mut self.header_value);
        text("client_id", &mut self.client_id);
        text("client_secret", &mut self.client_secret);
        if let Some(v) = input["expires_in"].as_u64() {
            self.expires_in = v;
        }
    }
}

/// The OAuth 2.0 tokens issued and still valid, and how many were issued.
#[derive(Default)]
pub struct OAuthTokens {
    pub live: HashMap<String, Instant>,
    pub issued: u64,
}

/// Whether a request to `/v2/events` carries the credentials `settings`
/// demand (any mode but `keystone`, which the caller checks itself). `Err`
/// holds the 401's message.
pub fn check(settings: &AuthSettings, tokens: &OAuthTokens, headers: &HeaderMap) -> Result<(), String> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let authorization = header("authorization");
    let ok = match settings.mode.as_str() {
        "none" => true,
        "token" => header("x-auth-token") == settings.token,
        "bearer" => bearer(authorization) == Some(settings.token.as_str()),
        "basic" => {
            let expected = format!("{}:{}", settings.basic_username, settings.basic_password);
            basic(authorization).is_some_and(|pair| pair == expected.as_bytes())
        }
        "header" => !settings.header_value.is_empty() && header(&settings.header_name) == settings.header_value,
        "oauth2" => {
            bearer(authorization).and_then(|t| tokens.live.get(t)).is_some_and(|expires| *expires > Instant::now())
        }
        other => return Err(format!("the look-alike knows no auth mode {other:?}")),
    };
    if ok {
        Ok(())
    } else {
        Err(format!("{} credentials missing or wrong", settings.mode))
    }
}

fn bearer(authorization: &str) -> Option<&str> {
    let (scheme, rest) = authorization.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then_some(rest.trim())
}

fn basic(authorization: &str) -> Option<Vec<u8>> {
    let (scheme, rest) = authorization.split_once(' ')?;
    scheme.eq_ignore_ascii_case("basic").then(|| STANDARD.decode(rest.trim()).ok())?
}

/// `POST /oauth/token`: the client credentials grant, the client
/// authenticated with HTTP Basic (form-encoded id and secret, RFC 6749
/// section 2.3.1) or with `client_id`/`client_secret` in the body.
pub fn token_endpoint(
    settings: &AuthSettings,
    tokens: &mut OAuthTokens,
    headers: &HeaderMap,
    body: &[u8],
    token: String,
) -> (u16, Value) {
    let form: HashMap<String, String> = url::form_urlencoded::parse(body).into_owned().collect();
    let authorization = headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or_default();
    let client = match basic(authorization) {
        Some(pair) => {
            let pair = String::from_utf8_lossy(&pair).into_owned();
            pair.split_once(':').map(|(id, secret)| (decode(id), decode(secret)))
        }
        None => form.get("client_id").map(|id| (id.clone(), form.get("client_secret").cloned().unwrap_or_default())),
    };
    if form.get("grant_type").map(String::as_str) != Some("client_credentials") {
        return (400, json!({"error": "unsupported_grant_type"}));
    }
    match client {
        Some((id, secret)) if id == settings.client_id && secret == settings.client_secret => {}
        _ => return (401, json!({"error": "invalid_client", "error_description": "client authentication failed"})),
    }
    tokens.issued += 1;
    tokens.live.insert(token.clone(), Instant::now() + Duration::from_secs(settings.expires_in));
    (200, json!({"access_token": token, "token_type": "Bearer", "expires_in": settings.expires_in}))
}

/// Form decoding of one side of the Basic pair.
fn decode(text: &str) -> String {
    url::form_urlencoded::parse(format!("x={text}").as_bytes()).next().map(|(_, v)| v.into_owned()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn each_mode_checks_its_credentials() {
        let mut s = AuthSettings { mode: "basic".into(), ..AuthSettings::default() };
        // events:lookalike-basic-password
        assert!(check(
            &s,
            &OAuthTokens::default(),
            &headers(&[("authorization", "Basic ZXZlbnRzOmxvb2thbGlrZS1iYXNpYy1wYXNzd29yZA==")])
        )
        .is_ok());
        assert!(check(&s, &OAuthTokens::default(), &headers(&[("authorization", "Basic ZXZlbnRzOng=")])).is_err());
        s.mode = "bearer".into();
        assert!(
            check(&s, &OAuthTokens::default(), &headers(&[("authorization", "Bearer lookalike-static-token")])).is_ok()
        );
        s.mode = "header".into();
        assert!(check(&s, &OAuthTokens::default(), &headers(&[("x-api-key", "lookalike-api-key")])).is_ok());
        assert!(check(&s, &OAuthTokens::default(), &headers(&[])).is_err());
    }

    #[test]
    fn token_endpoint_issues_to_the_right_client_only() {
        let s = AuthSettings::default();
        let mut tokens = OAuthTokens::default();
        let body = b"grant_type=client_credentials";
        let (status, _) = token_endpoint(&s, &mut tokens, &headers(&[]), body, "t1".into());
        assert_eq!(status, 401);
        let form = b"grant_type=client_credentials&client_id=manageiq&client_secret=lookalike-client-secret";
        let (status, answer) = token_endpoint(&s, &mut tokens, &headers(&[]), form, "t2".into());
        assert_eq!((status, answer["access_token"].as_str()), (200, Some("t2")));
        let (status, _) = token_endpoint(&s, &mut tokens, &headers(&[]), b"grant_type=password", "t3".into());
        assert_eq!(status, 400);
        assert_eq!(tokens.issued, 1);
        let s = AuthSettings { mode: "oauth2".into(), ..s };
        assert!(check(&s, &tokens, &headers(&[("authorization", "Bearer t2")])).is_ok());
        assert!(check(&s, &tokens, &headers(&[("authorization", "Bearer t1")])).is_err());
    }
}
