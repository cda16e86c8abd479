//! `http.auth`: the auth options, one type after another (none, token and
//! bearer, basic, header, OAuth2, Keystone), and their parsing.

use serde_json::Value;
use url::Url;

use crate::error::{Error, Result};
use crate::util::options::Options;
use crate::util::secret::Secret;

/// How to authenticate. Built once per monitor, so the size difference
/// between the variants costs nothing worth a box.
#[derive(Debug, Clone)]
#[allow(clippy::large_enum_variant)]
pub enum Auth {
    None,
    /// A static token sent as `X-Auth-Token`.
    Token(Secret),
    /// A static token sent as `Authorization: Bearer`.
    Bearer(Secret),
    Basic(BasicAuth),
    Header(HeaderAuth),
    OAuth2(OAuth2Auth),
    Keystone(KeystoneAuth),
}

/// The values `http.auth.type` takes.
pub const AUTH_TYPES: [&str; 7] = ["keystone", "token", "bearer", "basic", "header", "oauth2", "none"];

impl Auth {
    /// The auth type, as `http.auth.type` names it.
    pub fn kind(&self) -> &'static str {
        match self {
            Auth::None => "none",
            Auth::Token(_) => "token",
            Auth::Bearer(_) => "bearer",
            Auth::Basic(_) => "basic",
            Auth::Header(_) => "header",
            Auth::OAuth2(_) => "oauth2",
            Auth::Keystone(_) => "keystone",
        }
    }

    /// Every secret the options hold, for the scrubber.
    pub fn secrets(&self) -> Vec<&Secret> {
        match self {
            Auth::None => Vec::new(),
            Auth::Token(s) | Auth::Bearer(s) => vec![s],
            Auth::Basic(b) => vec![&b.password],
            Auth::Header(h) => vec![&h.value],
            Auth::OAuth2(o) => vec![&o.client_secret],
            Auth::Keystone(k) => vec![&k.password],
        }
    }
}

/// `http.auth.type: basic`.
#[derive(Debug, Clone)]
pub struct BasicAuth {
    pub username: String,
    pub password: Secret,
}

/// `http.auth.type: header`: one custom header.
#[derive(Debug, Clone)]
pub struct HeaderAuth {
    pub name: String,
    pub value: Secret,
}

/// `http.auth.type: oauth2`: the client credentials grant.
#[derive(Debug, Clone)]
pub struct OAuth2Auth {
    pub token_url: Url,
    pub client_id: String,
    pub client_secret: Secret,
    pub scope: Option<String>,
}

#[derive(Debug, Clone)]
pub struct KeystoneAuth {
    /// Keystone base URL without the `/v3` suffix.
    pub url: Url,
    pub version: KeystoneVersion,
    pub username: String,
    pub password: Secret,
    /// The project to scope to; `None`: `admin` when the user can reach it,
    /// else the first reachable project other than `services`, as ManageIQ
    /// chooses.
    pub project_name: Option<String>,
    /// The project to scope to by id (`http.auth.project_id`), instead of
    /// by name: no lookup, and no project domain needed.
    pub project_id: Option<String>,
    /// The user's domain: `user_domain_id` (default `"default"`) or
    /// `user_domain_name`.
    pub user_domain: Domain,
    /// The project's domain when scoping by name: `project_domain_id`
    /// (default `"default"`) or `project_domain_name`.
    pub project_domain: Domain,
    pub region: Option<String>,
    pub interface: Interface,
}

/// A Keystone domain, named by id or by name, as the v3 password auth body
/// carries it (`{"id": …}` or `{"name": …}`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Domain {
    Id(String),
    Name(String),
}

impl Domain {
    /// `{"id": …}` or `{"name": …}`.
    pub fn to_json(&self) -> Value {
        match self {
            Domain::Id(id) => serde_json::json!({"id": id}),
            Domain::Name(name) => serde_json::json!({"name": name}),
        }
    }
}

impl std::fmt::Display for Domain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Domain::Id(id) => write!(f, "id {id:?}"),
            Domain::Name(name) => write!(f, "name {name:?}"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeystoneVersion {
    V2,
    V3,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interface {
    Public,
    Internal,
    Admin,
}

impl Interface {
    pub fn as_str(self) -> &'static str {
        match self {
            Interface::Public => "public",
            Interface::Internal => "internal",
            Interface::Admin => "admin",
        }
    }
}

/// Keys of `http.auth` beyond Keystone's (which come first in listings).
const OTHER_AUTH_KEYS: &[&str] = &["token", "name", "value", "token_url", "client_id", "client_secret", "scope"];

const KEYSTONE_KEYS: &[&str] = &[
    "type",
    "url",
    "username",
    "password",
    "project_name",
    "project_id",
    "user_domain_id",
    "user_domain_name",
    "project_domain_id",
    "project_domain_name",
    "region",
    "interface",
    "api_version",
];

pub(super) fn parse_auth(value: &Value) -> Result<Auth> {
    let known: Vec<&str> = KEYSTONE_KEYS.iter().chain(OTHER_AUTH_KEYS).copied().collect();
    let o = Options::new("http.auth", value, &known)?;
    let kind = o.required_string("type")?;
    let allow_only = |allowed: &[&str]| -> Result<()> { o.only(allowed, &format!("auth type {kind}")) };
    match kind.as_str() {
        "none" => {
            allow_only(&["type"])?;
            Ok(Auth::None)
        }
        "token" | "bearer" => {
            allow_only(&["type", "token"])?;
            let token = o.required_string("token")?;
            crate::util::http_header::secret_value("http.auth.token", &token)?;
            let token = Secret::new(token);
            Ok(if kind == "token" { Auth::Token(token) } else { Auth::Bearer(token) })
        }
        "basic" => {
            allow_only(&["type", "username", "password"])?;
            let username = o.required_string("username")?;
            if username.contains(':') {
                return Err(Error::config("http.auth.username", "must not contain \":\" (RFC 7617)"));
            }
            if username.chars().any(char::is_control) {
                return Err(Error::config("http.auth.username", "must not contain control characters"));
            }
            let password = o.required_string("password")?;
            if password.chars().any(char::is_control) {
                return Err(Error::config("http.auth.password", "must not contain control characters"));
            }
            Ok(Auth::Basic(BasicAuth { username, password: Secret::new(password) }))
        }
        "header" => {
            allow_only(&["type", "name", "value"])?;
            let name = o.required_string("name")?;
            crate::util::http_header::header_name(&name)?;
            let value = o.required_string("value")?;
            crate::util::http_header::secret_value("http.auth.value", &value)?;
            Ok(Auth::Header(HeaderAuth { name, value: Secret::new(value) }))
        }
        "oauth2" => {
            allow_only(&["type", "token_url", "client_id", "client_secret", "scope"])?;
            let token_url = o.url("token_url")?.ok_or_else(|| Error::config("http.auth.token_url", "is required"))?;
            Ok(Auth::OAuth2(OAuth2Auth {
                token_url,
                client_id: o.required_string("client_id")?,
                client_secret: Secret::new(o.required_string("client_secret")?),
                scope: o.string("scope")?,
            }))
        }
        "keystone" => {
            allow_only(KEYSTONE_KEYS)?;
            let mut url = o.url("url")?.ok_or_else(|| Error::config("http.auth.url", "is required"))?;
            let path = url.path().trim_end_matches('/').to_owned();
            let suffix = ["/v3", "/v2.0"].into_iter().find(|s| path.ends_with(s));
            let trimmed = suffix.map_or(path.as_str(), |s| &path[..path.len() - s.len()]).to_owned();
            url.set_path(&trimmed);
            let version = match o.string("api_version")?.as_deref() {
                Some("v3") | Some("3") => KeystoneVersion::V3,
                Some("v2") | Some("v2.0") | Some("2") | Some("2.0") => KeystoneVersion::V2,
                None if suffix == Some("/v2.0") => KeystoneVersion::V2,
                None => KeystoneVersion::V3,
                Some(other) => {
                    return Err(Error::config("http.auth.api_version", format!("must be v3 or v2.0, got {other:?}")))
                }
            };
            let interface = match o.string("interface")?.as_deref() {
                None | Some("public") | Some("publicURL") => Interface::Public,
                Some("internal") | Some("internalURL") => Interface::Internal,
                Some("admin") | Some("adminURL") => Interface::Admin,
                Some(other) => {
                    return Err(Error::config(
                        "http.auth.interface",
                        format!("must be public, internal or admin, got {other:?}"),
                    ))
                }
            };
            let project_name = o.string("project_name")?;
            let project_id = o.string("project_id")?;
            if project_name.is_some() && project_id.is_some() {
                return Err(Error::config(
                    "http.auth.project_id",
                    "is given with http.auth.project_name: give one of them",
                ));
            }
            Ok(Auth::Keystone(KeystoneAuth {
                url,
                version,
                username: o.required_string("username")?,
                password: Secret::new(o.required_string("password")?),
                project_name,
                project_id,
                user_domain: domain(&o, "user")?,
                project_domain: domain(&o, "project")?,
                region: o.string("region")?,
                interface,
            }))
        }
        other => {
            Err(Error::config("http.auth.type", format!("must be one of {}, got {other:?}", AUTH_TYPES.join(", "))))
        }
    }
}

/// `http.auth.<whose>_domain_id` or `<whose>_domain_name` (never both);
/// neither: the id `"default"`.
fn domain(o: &Options, whose: &str) -> Result<Domain> {
    let id_key = format!("{whose}_domain_id");
    let name_key = format!("{whose}_domain_name");
    match (o.string(&id_key)?, o.string(&name_key)?) {
        (Some(_), Some(_)) => Err(Error::config(
            format!("http.auth.{name_key}"),
            format!("is given with http.auth.{id_key}: give one of them"),
        )),
        (Some(id), None) => Ok(Domain::Id(id)),
        (None, Some(name)) => Ok(Domain::Name(name)),
        (None, None) => Ok(Domain::Id("default".into())),
    }
}
