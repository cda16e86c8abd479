//! `http.auth.type: keystone`: Keystone password authentication (v3, or
//! v2.0) for a project-scoped token sent as `X-Auth-Token`, and the event
//! service's endpoint from the token's catalog.

use chrono::{DateTime, Utc};
use reqwest::header::HeaderName;
use serde::Deserialize;
use serde_json::json;
use url::Url;

use crate::config::{Interface, KeystoneAuth, KeystoneVersion};
use crate::error::{Error, Result};
use crate::http::{self, Http};
use crate::util::scrub::Scrubber;
use crate::util::secret::Secret;

use super::{AuthFuture, Authenticator, Credentials};

/// A token this close to its expiry is renewed before use.
const TOKEN_MARGIN: chrono::Duration = chrono::Duration::seconds(60);

/// The [`Authenticator`] for Keystone: a fresh token (and, when
/// `find_endpoint`, the event service from its catalog) each time the engine
/// asks; the engine keeps it until it nears expiry or is refused.
pub struct KeystoneAuthenticator {
    auth: KeystoneAuth,
    /// Whether the event service's URL comes from the catalog (no
    /// `http.url`).
    find_endpoint: bool,
}

impl KeystoneAuthenticator {
    pub fn new(auth: KeystoneAuth, find_endpoint: bool) -> Self {
        KeystoneAuthenticator { auth, find_endpoint }
    }
}

impl Authenticator for KeystoneAuthenticator {
    fn kind(&self) -> &'static str {
        "keystone"
    }

    fn announce(&self) -> Option<String> {
        let auth = &self.auth;
        Some(format!(
            "authenticating as {:?} for project {} at {}",
            auth.username,
            match (&auth.project_name, &auth.project_id) {
                (Some(name), _) => format!("{name:?}"),
                (None, Some(id)) => format!("id {id:?}"),
                (None, None) => "(admin, else the first reachable)".to_owned(),
            },
            tokens_url(auth)
        ))
    }

    fn credentials<'a>(&'a mut self, http: &'a mut Http, scrubber: &'a Scrubber) -> AuthFuture<'a> {
        Box::pin(async move {
            let auth = &self.auth;
            let token = authenticate(http, auth, scrubber).await?;
            let (endpoint, service_type) = match self.find_endpoint {
                true => (
                    Some(find_event_service(&token.catalog, auth.interface, auth.region.as_deref())?),
                    event_service_type(&token.catalog),
                ),
                false => (None, None),
            };
            let project = format!(
                "{:?} (id {})",
                token.project.as_deref().unwrap_or("?"),
                token.project_id.as_deref().unwrap_or("?")
            );
            let value = crate::util::http_header::secret_value("http.auth", token.value.expose()).map_err(|_| {
                Error::Parse {
                    url: crate::util::scrub::redact(&tokens_url(auth)),
                    message: "the token is not a valid header value".into(),
                }
            })?;
            Ok(Credentials {
                headers: vec![(HeaderName::from_static("x-auth-token"), value)],
                endpoint,
                service_type,
                renew_at: token.expires_at.map(|at| at - TOKEN_MARGIN),
                renewable: true,
                // a token body without roles (not seen from a real Keystone)
                // leaves them unknown, as with the other auth types
                roles: Some(token.roles),
                project: Some(project),
            })
        })
    }
}

/// Service types that serve Panko's v2 events API, in order of preference:
/// Panko itself, then Ceilometer's own v2 API.
pub const EVENT_SERVICE_TYPES: [&str; 2] = ["event", "metering"];

#[derive(Debug)]
pub struct Token {
    pub value: Secret,
    pub expires_at: Option<DateTime<Utc>>,
    pub catalog: Vec<Service>,
    /// The name of the project the token is scoped to.
    pub project: Option<String>,
    /// That project's id, when Keystone names it.
    pub project_id: Option<String>,
    /// The names of the roles the token carries (v3 `token.roles`, v2.0
    /// `access.user.roles`).
    pub roles: Vec<String>,
}

impl Token {
    /// Whether the token carries the admin role, which Panko requires for
    /// `all_tenants` (from anyone else it is an ordinary trait filter that
    /// matches nothing). The engine asks [`Credentials::admin`].
    #[cfg(test)]
    pub fn is_admin(&self) -> bool {
        self.roles.iter().any(|r| r.eq_ignore_ascii_case("admin"))
    }
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
    #[serde(default)]
    roles: Vec<Named>,
    #[serde(default)]
    project: Option<Named>,
}

/// A role or project: `{"id", "name"}`, either possibly missing.
#[derive(Deserialize)]
struct Named {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    name: Option<String>,
}

/// The project a token is asked for: by name (in the project domain) or
/// by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Project<'a> {
    Name(&'a str),
    Id(&'a str),
}

impl std::fmt::Display for Project<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Project::Name(name) => write!(f, "{name:?}"),
            Project::Id(id) => write!(f, "id {id:?}"),
        }
    }
}

/// `POST /v3/auth/tokens` with the password method; scoped to `project`,
/// or unscoped (to list projects) when `None`. Domains go as `{"id": …}`
/// or `{"name": …}`, as configured.
pub fn token_request(auth: &KeystoneAuth, project: Option<Project<'_>>) -> serde_json::Value {
    let mut body = json!({"auth": {
        "identity": {"methods": ["password"], "password": {"user": {
            "name": auth.username,
            "domain": auth.user_domain.to_json(),
            "password": auth.password.expose(),
        }}},
    }});
    match project {
        Some(Project::Name(name)) => {
            body["auth"]["scope"] = json!({"project": {"name": name, "domain": auth.project_domain.to_json()}});
        }
        Some(Project::Id(id)) => body["auth"]["scope"] = json!({"project": {"id": id}}),
        None => {}
    }
    body
}

/// `POST /v2.0/tokens` with password credentials, for a tenant (by name or
/// id) or unscoped.
pub fn v2_token_request(auth: &KeystoneAuth, tenant: Option<Project<'_>>) -> serde_json::Value {
    let mut body = json!({"auth": {"passwordCredentials": {
        "username": auth.username,
        "password": auth.password.expose(),
    }}});
    match tenant {
        Some(Project::Name(name)) => body["auth"]["tenantName"] = json!(name),
        Some(Project::Id(id)) => body["auth"]["tenantId"] = json!(id),
        None => {}
    }
    body
}

fn keystone_url(auth: &KeystoneAuth, tail: &str) -> Url {
    let mut url = auth.url.clone();
    let path = format!("{}{tail}", url.path().trim_end_matches('/'));
    url.set_path(&path);
    url
}

pub fn tokens_url(auth: &KeystoneAuth) -> Url {
    match auth.version {
        KeystoneVersion::V3 => keystone_url(auth, "/v3/auth/tokens"),
        KeystoneVersion::V2 => keystone_url(auth, "/v2.0/tokens"),
    }
}

/// Authenticates and returns a project-scoped token with its catalog. With
/// no project configured (neither name nor id), picks one as ManageIQ does:
/// `admin` when the user can reach it, else the first reachable project
/// other than `services`. Each token obtained goes into `scrubber` before
/// it is used.
pub async fn authenticate(http: &mut Http, auth: &KeystoneAuth, scrubber: &Scrubber) -> Result<Token> {
    if let Some(id) = &auth.project_id {
        let token = token(http, auth, Some(Project::Id(id))).await?;
        scrubber.add_token(token.value.expose());
        return Ok(token);
    }
    let project = match &auth.project_name {
        Some(p) => p.clone(),
        None => {
            let unscoped = token(http, auth, None).await?;
            scrubber.add_token(unscoped.value.expose());
            let names = projects(http, auth, &unscoped.value).await?;
            choose_project(&names).ok_or_else(|| Error::Authentication {
                url: crate::util::scrub::redact(&tokens_url(auth)),
                message: format!("user {:?} cannot reach any project (besides services)", auth.username),
            })?
        }
    };
    let token = token(http, auth, Some(Project::Name(&project))).await?;
    scrubber.add_token(token.value.expose());
    Ok(token)
}

/// ManageIQ's choice: `admin` if reachable, else the first that is not
/// `services`.
pub fn choose_project(names: &[String]) -> Option<String> {
    if names.iter().any(|n| n == "admin") {
        return Some("admin".to_owned());
    }
    names.iter().find(|n| *n != "services").cloned()
}

async fn token(http: &mut Http, auth: &KeystoneAuth, project: Option<Project<'_>>) -> Result<Token> {
    let url = tokens_url(auth);
    let shown = crate::util::scrub::redact(&url);
    let request = match auth.version {
        KeystoneVersion::V3 => token_request(auth, project),
        KeystoneVersion::V2 => v2_token_request(auth, project),
    };
    let body = serde_json::to_vec(&request).map_err(|e| Error::config("http.auth", e.to_string()))?;
    let reply = http.post_json(url, body).await?;
    match reply.status.as_u16() {
        200 | 201 => {}
        401 | 403 => {
            return Err(Error::Authentication {
                url: shown,
                message: format!(
                    "user {:?} (domain {}) cannot get a token{}: {}",
                    auth.username,
                    auth.user_domain,
                    project.map(|p| format!(" for project {p}")).unwrap_or_default(),
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
    let parse_error = |e: serde_json::Error| Error::Parse { url: shown.clone(), message: format!("token body: {e}") };
    let (value, expires_at, catalog, roles, scope) = match auth.version {
        KeystoneVersion::V3 => {
            let value = reply
                .headers
                .get("x-subject-token")
                .and_then(|v| v.to_str().ok())
                .filter(|v| !v.is_empty())
                .ok_or_else(|| Error::Parse {
                    url: shown.clone(),
                    message: "no X-Subject-Token header in the answer".into(),
                })?
                .to_owned();
            let t = serde_json::from_slice::<TokenBody>(&reply.body).map_err(parse_error)?.token;
            (value, t.expires_at, t.catalog, t.roles, t.project)
        }
        KeystoneVersion::V2 => {
            let access = serde_json::from_slice::<V2Body>(&reply.body).map_err(parse_error)?.access;
            let catalog = access.service_catalog.into_iter().map(V2Service::into_service).collect();
            let roles = access.user.map(|u| u.roles).unwrap_or_default();
            (access.token.id, access.token.expires, catalog, roles, access.token.tenant)
        }
    };
    let expires_at = expires_at.as_deref().and_then(parse_expiry);
    let (project_id, project_name) = scope.map_or((None, None), |p| (p.id, p.name));
    Ok(Token {
        value: Secret::new(value),
        expires_at,
        catalog,
        project: project_name.or_else(|| match project {
            Some(Project::Name(name)) => Some(name.to_owned()),
            _ => None,
        }),
        project_id: project_id.or_else(|| match project {
            Some(Project::Id(id)) => Some(id.to_owned()),
            _ => None,
        }),
        roles: roles.into_iter().filter_map(|r| r.name).collect(),
    })
}

fn parse_expiry(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .ok()
        .or_else(|| crate::util::timestamp::parse(text).map(|t| t.and_utc()))
}

/// The names of the projects an unscoped token can reach.
async fn projects(http: &mut Http, auth: &KeystoneAuth, token: &Secret) -> Result<Vec<String>> {
    let (url, key) = match auth.version {
        KeystoneVersion::V3 => (keystone_url(auth, "/v3/auth/projects"), "projects"),
        KeystoneVersion::V2 => (keystone_url(auth, "/v2.0/tenants"), "tenants"),
    };
    let shown = crate::util::scrub::redact(&url);
    let headers = [(
        HeaderName::from_static("x-auth-token"),
        crate::util::http_header::secret_value("http.auth", token.expose())?,
    )];
    let reply = http.get(url, &headers)?.await?;
    if !reply.status.is_success() {
        return Err(Error::Authentication {
            url: shown,
            message: format!(
                "cannot list the user's projects: HTTP {} {}",
                reply.status.as_u16(),
                http::error_message(&reply.body)
            ),
        });
    }
    let value: serde_json::Value = serde_json::from_slice(&reply.body)
        .map_err(|e| Error::Parse { url: shown.clone(), message: format!("project list: {e}") })?;
    Ok(value[key]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["enabled"].as_bool() != Some(false))
        .filter_map(|p| p["name"].as_str().map(str::to_owned))
        .collect())
}

#[derive(Deserialize)]
struct V2Body {
    access: V2Access,
}

#[derive(Deserialize)]
struct V2Access {
    token: V2Token,
    #[serde(default, rename = "serviceCatalog")]
    service_catalog: Vec<V2Service>,
    #[serde(default)]
    user: Option<V2User>,
}

#[derive(Deserialize)]
struct V2Token {
    id: String,
    #[serde(default)]
    expires: Option<String>,
    #[serde(default)]
    tenant: Option<Named>,
}

#[derive(Deserialize)]
struct V2User {
    #[serde(default)]
    roles: Vec<Named>,
}

#[derive(Deserialize)]
struct V2Service {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    endpoints: Vec<V2Endpoint>,
}

#[derive(Deserialize)]
struct V2Endpoint {
    #[serde(default)]
    region: Option<String>,
    #[serde(default, rename = "publicURL")]
    public: Option<String>,
    #[serde(default, rename = "internalURL")]
    internal: Option<String>,
    #[serde(default, rename = "adminURL")]
    admin: Option<String>,
}

impl V2Service {
    /// A v2.0 catalog entry in the v3 shape: one endpoint per interface.
    fn into_service(self) -> Service {
        let mut endpoints = Vec::new();
        for e in self.endpoints {
            for (interface, url) in [("public", e.public), ("internal", e.internal), ("admin", e.admin)] {
                if let Some(url) = url {
                    endpoints.push(Endpoint {
                        interface: interface.into(),
                        region_id: None,
                        region: e.region.clone(),
                        url,
                    });
                }
            }
        }
        Service { kind: self.kind, endpoints }
    }
}

/// The event service's base URL from the catalog: type `event`, else
/// `metering`, at the wanted interface (and region, when one is set).
/// The type `find_event_service` takes from this catalog: the first of
/// [`EVENT_SERVICE_TYPES`] present.
pub fn event_service_type(catalog: &[Service]) -> Option<&'static str> {
    EVENT_SERVICE_TYPES.into_iter().find(|t| catalog.iter().any(|s| s.kind == *t))
}

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
    use crate::config::auth::Domain;

    const FIXTURE: &str = include_str!("../../../../spec/fixtures/keystone/v3_token_response.json");

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
    fn roles_and_project_from_v3_and_v2_bodies() {
        let v3: TokenBody = serde_json::from_str(
            r#"{"token": {"roles": [{"id": "1", "name": "reader"}, {"id": "2", "name": "Admin"}],
                "project": {"id": "p1", "name": "demo", "domain": {"id": "default"}}}}"#,
        )
        .unwrap();
        let names: Vec<String> = v3.token.roles.into_iter().filter_map(|r| r.name).collect();
        assert_eq!(names, ["reader", "Admin"]);
        assert_eq!(v3.token.project.and_then(|p| p.id).as_deref(), Some("p1"));
        let v2: V2Body = serde_json::from_str(
            r#"{"access": {"token": {"id": "t", "tenant": {"id": "p2", "name": "demo"}},
                "user": {"name": "u", "roles": [{"name": "member"}]}}}"#,
        )
        .unwrap();
        assert_eq!(v2.access.token.tenant.and_then(|p| p.name).as_deref(), Some("demo"));
        assert_eq!(v2.access.user.unwrap().roles[0].name.as_deref(), Some("member"));
        let token = |roles: &[&str]| Token {
            value: Secret::new("t"),
            expires_at: None,
            catalog: Vec::new(),
            project: None,
            project_id: None,
            roles: roles.iter().map(|r| r.to_string()).collect(),
        };
        assert!(token(&["member", "ADMIN"]).is_admin());
        assert!(!token(&["member", "admin_of_nothing"]).is_admin());
        assert!(!token(&[]).is_admin());
    }

    #[test]
    fn project_choice_follows_manageiq() {
        let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(choose_project(&names(&["demo", "admin"])).as_deref(), Some("admin"));
        assert_eq!(choose_project(&names(&["services", "demo"])).as_deref(), Some("demo"));
        assert_eq!(choose_project(&names(&["services"])), None);
    }

    #[test]
    fn v2_catalog_becomes_one_endpoint_per_interface() {
        let body = r#"{"access": {"token": {"id": "t", "expires": "2026-01-01T00:00:00Z"},
            "serviceCatalog": [{"type": "metering", "endpoints": [{"region": "R1", "publicURL": "http://c:8777", "internalURL": "http://ci:8777"}]}]}}"#;
        let parsed: V2Body = serde_json::from_str(body).unwrap();
        let catalog: Vec<Service> = parsed.access.service_catalog.into_iter().map(V2Service::into_service).collect();
        assert_eq!(find_event_service(&catalog, Interface::Internal, Some("R1")).unwrap().as_str(), "http://ci:8777/");
        assert_eq!(parse_expiry("2026-01-01T00:00:00Z"), parse_expiry("2026-01-01T00:00:00"));
    }

    fn keystone(version: KeystoneVersion) -> KeystoneAuth {
        KeystoneAuth {
            url: Url::parse("http://ks:5000/").unwrap(),
            version,
            username: "admin".into(),
            password: Secret::new("pw"),
            project_name: None,
            project_id: None,
            user_domain: Domain::Id("default".into()),
            project_domain: Domain::Id("default".into()),
            region: None,
            interface: Interface::Public,
        }
    }

    #[test]
    fn request_body_matches_keystone_v3_password_scope() {
        let auth = keystone(KeystoneVersion::V3);
        let body = token_request(&auth, Some(Project::Name("admin")));
        assert_eq!(body["auth"]["identity"]["methods"][0], "password");
        assert!(token_request(&auth, None)["auth"].get("scope").is_none());
        let v2 = KeystoneAuth { version: KeystoneVersion::V2, ..auth.clone() };
        assert_eq!(tokens_url(&v2).as_str(), "http://ks:5000/v2.0/tokens");
        assert_eq!(v2_token_request(&v2, Some(Project::Name("demo")))["auth"]["tenantName"], "demo");
        assert_eq!(body["auth"]["identity"]["password"]["user"]["domain"], json!({"id": "default"}));
        assert_eq!(body["auth"]["scope"]["project"], json!({"name": "admin", "domain": {"id": "default"}}));
        assert_eq!(tokens_url(&auth).as_str(), "http://ks:5000/v3/auth/tokens");
    }

    #[test]
    fn request_body_carries_domain_names() {
        let auth = KeystoneAuth {
            user_domain: Domain::Name("Users".into()),
            project_domain: Domain::Name("Projects".into()),
            ..keystone(KeystoneVersion::V3)
        };
        let body = token_request(&auth, Some(Project::Name("demo")));
        assert_eq!(body["auth"]["identity"]["password"]["user"]["domain"], json!({"name": "Users"}));
        assert_eq!(body["auth"]["scope"]["project"], json!({"name": "demo", "domain": {"name": "Projects"}}));
        let unscoped = token_request(&auth, None);
        assert_eq!(unscoped["auth"]["identity"]["password"]["user"]["domain"], json!({"name": "Users"}));
        assert!(unscoped["auth"].get("scope").is_none());
    }

    #[test]
    fn request_body_scopes_by_project_id_without_a_domain() {
        let auth = KeystoneAuth {
            project_id: Some("0123abcd".into()),
            project_domain: Domain::Name("Projects".into()),
            ..keystone(KeystoneVersion::V3)
        };
        let body = token_request(&auth, Some(Project::Id("0123abcd")));
        assert_eq!(body["auth"]["scope"], json!({"project": {"id": "0123abcd"}}));
        let v2 = v2_token_request(&auth, Some(Project::Id("0123abcd")));
        assert_eq!(v2["auth"]["tenantId"], "0123abcd");
        assert!(v2["auth"].get("tenantName").is_none());
        assert_eq!(Project::Id("0123abcd").to_string(), "id \"0123abcd\"");
        assert_eq!(Domain::Name("Users".into()).to_string(), "name \"Users\"");
    }
}
