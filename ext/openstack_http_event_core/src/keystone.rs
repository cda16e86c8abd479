//! Keystone v3 password authentication and service-catalog look-up.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::json;
use url::Url;

use crate::config::{Interface, KeystoneAuth};
use crate::error::{Error, Result};
use crate::http::{self, Http};
use crate::secret::Secret;

/// Service types that serve Panko's v2 events API, in order of preference:
/// Panko itself, then Ceilometer's own v2 API.
pub const EVENT_SERVICE_TYPES: [&str; 2] = ["event", "metering"];

#[derive(Debug)]
pub struct Token {
    pub value: Secret,
    pub expires_at: Option<DateTime<Utc>>,
    pub catalog: Vec<Service>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Service {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub endpoints: Vec<Endpoint>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Endpoint {
    #[serde(default)]
    pub interface: String,
    #[serde(default)]
    pub region_id: Option<String>,
    #[serde(default)]
    pub region: Option<String>,
    pub url: String,
}

#[derive(Deserialize)]
struct TokenBody {
    token: TokenFields,
}

#[derive(Deserialize)]
struct TokenFields {
    #[serde(default)]
    expires_at: Option<String>,
    #[serde(default)]
    catalog: Vec<Service>,
}

/// `POST /v3/auth/tokens`, project scoped.
pub fn token_request(auth: &KeystoneAuth) -> serde_json::Value {
    json!({"auth": {
        "identity": {"methods": ["password"], "password": {"user": {
            "name": auth.username,
            "domain": {"id": auth.user_domain_id},
            "password": auth.password.expose(),
        }}},
        "scope": {"project": {"name": auth.project_name, "domain": {"id": auth.project_domain_id}}},
    }})
}

pub fn tokens_url(auth: &KeystoneAuth) -> Url {
    let mut url = auth.url.clone();
    let path = format!("{}/v3/auth/tokens", url.path().trim_end_matches('/'));
    url.set_path(&path);
    url
}

pub async fn authenticate(http: &mut Http, auth: &KeystoneAuth) -> Result<Token> {
    let url = tokens_url(auth);
    let shown = http::redact(&url);
    let body = serde_json::to_vec(&token_request(auth)).map_err(|e| Error::config("http.auth", e.to_string()))?;
    let reply = http.post_json(url, body).await?;
    match reply.status.as_u16() {
        200 | 201 => {}
        401 | 403 => {
            return Err(Error::Authentication {
                url: shown,
                message: format!(
                    "user {:?} (domain {:?}) cannot get a token for project {:?}: {}",
                    auth.username,
                    auth.user_domain_id,
                    auth.project_name,
                    http::error_message(&reply.body)
                ),
            })
        }
        status => {
            return Err(Error::Status {
                url: shown,
                status,
                message: http::error_message(&reply.body),
                retry_after: http::retry_after(&reply.headers),
            })
        }
    }
    let value = reply
        .headers
        .get("x-subject-token")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty())
        .ok_or_else(|| Error::Parse { url: shown.clone(), message: "no X-Subject-Token header in the answer".into() })?;
    let parsed: TokenBody = serde_json::from_slice(&reply.body)
        .map_err(|e| Error::Parse { url: shown.clone(), message: format!("token body: {e}") })?;
    let expires_at = parsed
        .token
        .expires_at
        .as_deref()
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&Utc));
    Ok(Token { value: Secret::new(value), expires_at, catalog: parsed.token.catalog })
}

/// The event service's base URL from the catalog: type `event`, else
/// `metering`, at the wanted interface (and region, when one is set).
pub fn find_event_service(catalog: &[Service], interface: Interface, region: Option<&str>) -> Result<Url> {
    for kind in EVENT_SERVICE_TYPES {
        let Some(service) = catalog.iter().find(|s| s.kind == kind) else { continue };
        let endpoint = service.endpoints.iter().find(|e| {
            e.interface == interface.as_str()
                && region.is_none_or(|r| e.region_id.as_deref() == Some(r) || e.region.as_deref() == Some(r))
        });
        let Some(endpoint) = endpoint else {
            return Err(Error::ServiceNotAvailable {
                message: format!(
                    "service type {kind:?} has no {} endpoint{}",
                    interface.as_str(),
                    region.map(|r| format!(" in region {r:?}")).unwrap_or_default()
                ),
            });
        };
        return Url::parse(&endpoint.url).map_err(|e| Error::ServiceNotAvailable {
            message: format!("service type {kind:?} lists an invalid URL {:?}: {e}", endpoint.url),
        });
    }
    let mut held: Vec<&str> = catalog.iter().map(|s| s.kind.as_str()).collect();
    held.sort_unstable();
    held.dedup();
    Err(Error::ServiceNotAvailable {
        message: format!(
            "neither \"event\" (Panko) nor \"metering\" (Ceilometer) is in the catalog; it holds: {}",
            if held.is_empty() { "nothing".to_owned() } else { held.join(", ") }
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURE: &str = include_str!("../../../spec/fixtures/keystone/v3_token_response.json");

    fn catalog(json: &str) -> Vec<Service> {
        serde_json::from_str::<TokenBody>(json).unwrap().token.catalog
    }

    #[test]
    fn real_catalog_without_event_service_names_what_it_holds() {
        let err = find_event_service(&catalog(FIXTURE), Interface::Public, None).unwrap_err();
        let text = err.to_string();
        assert!(matches!(err, Error::ServiceNotAvailable { .. }));
        for kind in ["identity", "compute", "network", "image", "volumev3"] {
            assert!(text.contains(kind), "{text}");
        }
    }

    #[test]
    fn prefers_event_then_metering_and_honours_interface_and_region() {
        let json = r#"{"token": {"catalog": [
            {"type": "metering", "endpoints": [{"interface": "public", "region_id": "R1", "url": "http://ceilo:8777"}]},
            {"type": "event", "endpoints": [
                {"interface": "public", "region_id": "R1", "url": "http://panko-r1:8977"},
                {"interface": "internal", "region_id": "R1", "url": "http://panko-int:8977"},
                {"interface": "public", "region_id": "R2", "url": "http://panko-r2:8977"}]}]}}"#;
        let c = catalog(json);
        assert_eq!(find_event_service(&c, Interface::Public, None).unwrap().as_str(), "http://panko-r1:8977/");
        assert_eq!(find_event_service(&c, Interface::Public, Some("R2")).unwrap().as_str(), "http://panko-r2:8977/");
        assert_eq!(find_event_service(&c, Interface::Internal, None).unwrap().as_str(), "http://panko-int:8977/");
        let only_metering = vec![c[0].clone()];
        assert_eq!(find_event_service(&only_metering, Interface::Public, None).unwrap().as_str(), "http://ceilo:8777/");
    }

    #[test]
    fn request_body_matches_keystone_v3_password_scope() {
        let auth = KeystoneAuth {
            url: Url::parse("http://ks:5000/").unwrap(),
            username: "admin".into(),
            password: Secret::new("pw"),
            project_name: "admin".into(),
            user_domain_id: "default".into(),
            project_domain_id: "default".into(),
            region: None,
            interface: Interface::Public,
        };
        let body = token_request(&auth);
        assert_eq!(body["auth"]["identity"]["methods"][0], "password");
        assert_eq!(body["auth"]["identity"]["password"]["user"]["domain"]["id"], "default");
        assert_eq!(body["auth"]["scope"]["project"]["name"], "admin");
        assert_eq!(tokens_url(&auth).as_str(), "http://ks:5000/v3/auth/tokens");
    }
}
