//! `options[:http]`, parsed once into typed structs. Every error names the
//! key it is about (`http.page_size`, `http.auth.password`, …).

use std::path::PathBuf;
use std::time::Duration;

use chrono::NaiveDateTime;
use serde_json::Value;
use url::Url;

use crate::error::{Error, Result};
use crate::model::filter::{EventTypeFilter, RubyFlags};
use crate::push::PushOptions;
use crate::source::json::JsonSource;
use crate::source::Kind;
use crate::util::options::{type_name, Options};
use crate::util::secret::Secret;
use crate::util::timestamp;

mod stream;

pub use stream::Stream;

pub const DEFAULT_PAGE_SIZE: u32 = 100;
pub const MAX_PAGE_SIZE: u32 = 10_000;
/// The highest `http.max_page_size` accepted.
pub const LARGEST_PAGE_SIZE: u64 = 1_000_000;
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 64 * 1024 * 1024;
pub const DEFAULT_MAX_HEADER_BYTES: u64 = 64 * 1024;
pub const DEFAULT_MAX_REMEMBERED_IDS: u64 = 1_000_000;
pub const DEFAULT_MAX_REMEMBERED_SKIPPED: u64 = 10_000;
/// Ruby's `JSON.parse` default `max_nesting`.
pub const DEFAULT_MAX_NESTING: u64 = 100;
/// The longest wait a service can impose, in seconds.
pub const DEFAULT_MAX_SERVICE_WAIT: u64 = 600;

#[derive(Debug, Clone)]
pub struct Config {
    /// Event service base URL (before `/v2/events`); found in the catalog
    /// when absent.
    pub url: Option<Url>,
    /// The service's dialect (`http.source`); `None`: Panko, or what the
    /// Keystone catalog's service type says when the URL comes from there.
    pub source: Option<Kind>,
    /// The generic JSON source (`http.source` `{:type => :json, …}`); then
    /// `source` is `None` and `url` is the events URL itself.
    pub json: Option<std::sync::Arc<JsonSource>>,
    /// The push receiver (`http.source` `{:type => :push, …}`): events are
    /// received, not polled; then `source` and `json` are `None` and `url`
    /// is not used.
    pub push: Option<std::sync::Arc<PushOptions>>,
    pub auth: Auth,
    pub page_size: u32,
    pub poll_interval: Duration,
    pub backread: Duration,
    pub event_types: Option<EventTypeFilter>,
    pub all_tenants: AllTenants,
    pub since: Option<NaiveDateTime>,
    pub open_timeout: Duration,
    pub read_timeout: Duration,
    pub tls: Tls,
    /// Proxy for every request; without it the standard `HTTP_PROXY`,
    /// `HTTPS_PROXY` and `NO_PROXY` environment variables apply.
    pub proxy: Option<Url>,
    pub limits: Limits,
    /// Write every HTTP exchange to this VCR cassette (`http.record`).
    pub record: Option<PathBuf>,
    /// Keep where polling stands in this file and resume from it
    /// (`http.state`, see [`crate::state`]).
    pub state: Option<PathBuf>,
    /// The stream these options read, as a state file names it.
    pub stream: crate::config::Stream,
}

/// Whether to ask for every project's events (`all_tenants=True`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AllTenants {
    /// Only when the token carries the admin role (Keystone v3); never
    /// with Keystone v2.0; always with other auth types.
    Auto,
    /// Always; with a Keystone token that lacks the admin role, `check`
    /// fails with a configuration error.
    Always,
    Never,
}

/// Caps on what a service can make the monitor hold or wait for.
#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    /// The longest response body read (`http.max_response_bytes`).
    pub max_response_bytes: u64,
    /// The largest response head (`http.max_header_bytes`).
    pub max_header_bytes: u64,
    /// An event stamped more than this after the service's clock is
    /// delivered but does not move the cursor (`http.max_clock_skew`).
    pub max_clock_skew: Duration,
    /// `message_id`s remembered for de-duplication (`http.max_remembered_ids`).
    pub max_remembered_ids: usize,
    /// Malformed rows remembered so that each is reported once
    /// (`http.max_remembered_skipped`).
    pub max_remembered_skipped: usize,
    /// Nesting depth of a value inside a row (`http.max_nesting`); a deeper
    /// row is skipped.
    pub max_nesting: usize,
    /// The largest `limit` asked for when a service without a working
    /// `marker` serves full pages of one timestamp (`http.max_page_size`).
    pub max_page_size: u32,
    /// The longest wait a service can impose (`Retry-After`, a rate
    /// limit's reset, a poll interval header): `http.max_service_wait`.
    pub max_service_wait: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            max_header_bytes: DEFAULT_MAX_HEADER_BYTES,
            max_clock_skew: Duration::from_secs(300),
            max_remembered_ids: DEFAULT_MAX_REMEMBERED_IDS as usize,
            max_remembered_skipped: DEFAULT_MAX_REMEMBERED_SKIPPED as usize,
            max_nesting: DEFAULT_MAX_NESTING as usize,
            max_page_size: MAX_PAGE_SIZE,
            max_service_wait: Duration::from_secs(DEFAULT_MAX_SERVICE_WAIT),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Tls {
    pub verify: bool,
    pub ca_file: Option<PathBuf>,
    /// Trusted CAs given as PEM text (ManageIQ keeps an endpoint's CA so);
    /// never with `ca_file`.
    pub ca_pem: Option<String>,
    /// Client certificate chain and its private key (PEM files).
    pub client_identity: Option<(PathBuf, PathBuf)>,
}

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

const KEYS: &[&str] = &[
    "url",
    "source",
    "auth",
    "page_size",
    "poll_interval",
    "backread_seconds",
    "event_types_regex",
    "all_tenants",
    "since",
    "open_timeout",
    "read_timeout",
    "verify_ssl",
    "ca_file",
    "ca_pem",
    "client_cert",
    "client_key",
    "proxy",
    "max_response_bytes",
    "max_header_bytes",
    "max_clock_skew",
    "max_remembered_ids",
    "max_remembered_skipped",
    "max_nesting",
    "max_page_size",
    "max_service_wait",
    "record",
    "state",
];

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

impl Config {
    /// Parses `options[:http]` as the binding hands it over: symbol keys
    /// turned into strings, a Regexp into `{"source", "ignorecase", …}`, a
    /// Time into an ISO 8601 string.
    pub fn from_value(value: &Value) -> Result<Config> {
        let o = Options::new("http", value, KEYS)?;
        let url = o.url("url")?;
        let (source, json, push) = match o.get("source") {
            Some(v) if is_json_source(v) => (None, Some(std::sync::Arc::new(JsonSource::from_options(v)?)), None),
            Some(v) if is_push_source(v) => {
                let options = if v.is_object() { v.clone() } else { serde_json::json!({"type": "push"}) };
                (None, None, Some(std::sync::Arc::new(PushOptions::from_options(&options)?)))
            }
            Some(v) => (Some(parse_source(v)?), None, None),
            None => (None, None, None),
        };
        if json.is_some() && url.is_none() {
            return Err(Error::config("http.url", "is required with http.source json (the events URL itself)"));
        }
        let auth = match o.get("auth") {
            None => Auth::None,
            Some(v) => parse_auth(v)?,
        };
        if url.is_none() && push.is_none() && !matches!(auth, Auth::Keystone(_)) {
            return Err(Error::config(
                "http.url",
                "is required unless http.auth is Keystone (which finds it in the catalog)",
            ));
        }
        let page_size = match o.get("page_size") {
            None => DEFAULT_PAGE_SIZE,
            Some(v) => {
                v.as_u64().filter(|n| (1..=MAX_PAGE_SIZE as u64).contains(n)).map(|n| n as u32).ok_or_else(|| {
                    Error::config("http.page_size", format!("must be an Integer from 1 to {MAX_PAGE_SIZE}, got {v}"))
                })?
            }
        };
        let event_types = match o.get("event_types_regex") {
            None => None,
            Some(v) => parse_filter(v)?,
        };
        let since = match o.string("since")? {
            None => None,
            Some(text) => Some(
                timestamp::parse(&text)
                    .ok_or_else(|| Error::config("http.since", format!("{text:?} is not an ISO 8601 timestamp")))?,
            ),
        };
        // Keystone v2 tokens make Panko reject all_tenants (ManageIQ sends it
        // only with v3)
        let all_tenants = match o.get("all_tenants") {
            None => AllTenants::Auto,
            Some(Value::Bool(true)) => AllTenants::Always,
            Some(Value::Bool(false)) => AllTenants::Never,
            Some(Value::String(s)) if s == "auto" => AllTenants::Auto,
            Some(other) => {
                return Err(Error::config(
                    "http.all_tenants",
                    format!("must be true, false or :auto, got {}", type_name(other)),
                ))
            }
        };
        if all_tenants == AllTenants::Always && json.is_some() {
            return Err(Error::config("http.all_tenants", "is true, but http.source :json has no all_tenants"));
        }
        if all_tenants == AllTenants::Always && source.is_some_and(|k| !k.source().supports_all_tenants()) {
            return Err(Error::config(
                "http.all_tenants",
                "is true, but http.source :ceilometer has no all_tenants (Ceilometer's v2 events API would take it \
                 for a trait filter and answer nothing); leave it :auto",
            ));
        }
        let file = |key: &str| -> Result<Option<PathBuf>> {
            let path = o.string(key)?.map(PathBuf::from);
            match path {
                Some(p) if !p.is_file() => {
                    Err(Error::config(format!("http.{key}"), format!("{} is not a readable file", p.display())))
                }
                other => Ok(other),
            }
        };
        let ca_file = file("ca_file")?;
        let ca_pem = o.string("ca_pem")?.filter(|pem| !pem.trim().is_empty());
        if ca_file.is_some() && ca_pem.is_some() {
            return Err(Error::config("http.ca_pem", "is given with http.ca_file: give one of them"));
        }
        let client_identity = match (file("client_cert")?, file("client_key")?) {
            (Some(cert), Some(key)) => Some((cert, key)),
            (None, None) => None,
            (Some(_), None) => return Err(Error::config("http.client_key", "is required with http.client_cert")),
            (None, Some(_)) => return Err(Error::config("http.client_cert", "is required with http.client_key")),
        };
        let proxy = o.url_with("proxy", true)?;
        let record = o.string("record")?.map(PathBuf::from);
        let state = o.string("state")?.map(PathBuf::from);
        if let Some(path) = &state {
            if push.is_some() {
                return Err(Error::config(
                    "http.state",
                    "is for the sources that are polled: a push receiver keeps the events it has not delivered in \
                     its spool (http.source spool_dir); leave http.state out",
                ));
            }
            let dir = match path.parent() {
                Some(d) if !d.as_os_str().is_empty() => d,
                _ => std::path::Path::new("."),
            };
            if path.as_os_str().is_empty() || path.is_dir() || !dir.is_dir() {
                return Err(Error::config(
                    "http.state",
                    format!("{}: must be a file in an existing directory", path.display()),
                ));
            }
        }
        let max_page_size = o.count("max_page_size", MAX_PAGE_SIZE as u64, 1, LARGEST_PAGE_SIZE)? as u32;
        if max_page_size < page_size {
            return Err(Error::config(
                "http.max_page_size",
                format!("must be at least http.page_size ({page_size}), got {max_page_size}"),
            ));
        }
        Ok(Config {
            url,
            source,
            json,
            push,
            auth,
            page_size,
            poll_interval: poll_interval(&o)?,
            backread: o.seconds("backread_seconds", 5.0, true)?,
            event_types,
            all_tenants,
            since,
            open_timeout: o.seconds("open_timeout", 10.0, false)?,
            read_timeout: o.seconds("read_timeout", 60.0, false)?,
            tls: Tls { verify: o.bool("verify_ssl", true)?, ca_file, ca_pem, client_identity },
            proxy,
            record,
            state,
            stream: crate::config::Stream::of(value),
            limits: Limits {
                max_response_bytes: o.count("max_response_bytes", DEFAULT_MAX_RESPONSE_BYTES, 1024, 1 << 40)?,
                max_header_bytes: o.count("max_header_bytes", DEFAULT_MAX_HEADER_BYTES, 1024, 16 << 20)?,
                max_clock_skew: o.seconds("max_clock_skew", 300.0, true)?,
                max_remembered_ids: o.count("max_remembered_ids", DEFAULT_MAX_REMEMBERED_IDS, 100, 1 << 32)? as usize,
                max_remembered_skipped: o.count("max_remembered_skipped", DEFAULT_MAX_REMEMBERED_SKIPPED, 1, 1 << 32)?
                    as usize,
                max_nesting: o.count("max_nesting", DEFAULT_MAX_NESTING, 1, 10_000)? as usize,
                max_page_size,
                max_service_wait: o.seconds("max_service_wait", DEFAULT_MAX_SERVICE_WAIT as f64, false)?,
            },
        })
    }
}

/// Whether `http.source` is `{:type => :json, …}`.
fn is_json_source(value: &Value) -> bool {
    value.get("type").and_then(Value::as_str) == Some("json")
}

/// The least time between two polls: below it a monitor would flood the
/// service (at 0, thousands of requests a second on loopback).
pub const MIN_POLL_INTERVAL: f64 = 0.1;

/// `poll_interval`: seconds, at least [`MIN_POLL_INTERVAL`].
fn poll_interval(o: &Options) -> Result<Duration> {
    let interval = o.seconds("poll_interval", 1.0, true)?;
    if interval.as_secs_f64() < MIN_POLL_INTERVAL {
        return Err(Error::config(
            "http.poll_interval",
            format!(
                "must be at least {MIN_POLL_INTERVAL} seconds (a backlog is read back to back whatever it is), got {}",
                interval.as_secs_f64()
            ),
        ));
    }
    Ok(interval)
}

/// `:push`, or `{:type => :push, …}`.
fn is_push_source(value: &Value) -> bool {
    value.as_str() == Some("push") || value.get("type").and_then(Value::as_str) == Some("push")
}

/// `http.source`: a name (`:panko`, `:ceilometer`) or `{:type => name}`.
fn parse_source(value: &Value) -> Result<Kind> {
    let (key, name) = match value {
        Value::String(name) => ("http.source", name.as_str()),
        Value::Object(_) => {
            let o = Options::new("http.source", value, &["type"])?;
            match o.get("type") {
                Some(Value::String(name)) => ("http.source.type", name.as_str()),
                Some(other) => {
                    return Err(Error::config(
                        "http.source.type",
                        format!("must be a Symbol or a String, got {}", type_name(other)),
                    ))
                }
                None => return Err(Error::config("http.source.type", "is required")),
            }
        }
        other => {
            return Err(Error::config(
                "http.source",
                format!("must be a Symbol, a String or a Hash with :type, got {}", type_name(other)),
            ))
        }
    };
    if name == "json" {
        return Err(Error::config(
            key,
            "the json source needs its options: {:type => :json, :records => …, :fields => …}",
        ));
    }
    Kind::named(name).ok_or_else(|| {
        let mut known: Vec<String> = Kind::ALL.iter().map(|k| format!(":{}", k.name())).collect();
        known.push(":json".into());
        known.push(":push".into());
        Error::config(key, format!("unknown source {name:?} (known: {})", known.join(", ")))
    })
}

fn parse_filter(value: &Value) -> Result<Option<EventTypeFilter>> {
    let key = "http.event_types_regex";
    let (source, flags) = match value {
        Value::String(s) => (s.as_str(), RubyFlags::default()),
        Value::Object(map) => {
            let source =
                map.get("source").and_then(Value::as_str).ok_or_else(|| Error::config(key, "has no source"))?;
            let flag = |name: &str| map.get(name).and_then(Value::as_bool).unwrap_or(false);
            (
                source,
                RubyFlags { ignorecase: flag("ignorecase"), multiline: flag("multiline"), extended: flag("extended") },
            )
        }
        other => return Err(Error::config(key, format!("must be a Regexp or a String, got {}", type_name(other)))),
    };
    if source.is_empty() {
        // ManageIQ's `Regexp.new("")`: everything matches.
        return Ok(None);
    }
    EventTypeFilter::new(source, flags).map(Some).map_err(|m| Error::config(key, m))
}

fn parse_auth(value: &Value) -> Result<Auth> {
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
            crate::util::header::secret_value("http.auth.token", &token)?;
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
            crate::util::header::header_name(&name)?;
            let value = o.required_string("value")?;
            crate::util::header::secret_value("http.auth.value", &value)?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn err(v: Value) -> String {
        Config::from_value(&v).unwrap_err().to_string()
    }

    #[test]
    fn defaults() {
        let c = Config::from_value(&json!({"url": "http://127.0.0.1:8977"})).unwrap();
        assert_eq!(c.page_size, 100);
        assert_eq!(c.backread, Duration::from_secs(5));
        assert!(c.all_tenants == AllTenants::Auto && c.tls.verify);
        assert_eq!(c.limits, Limits::default());
        assert!(matches!(c.auth, Auth::None));
        assert!(c.event_types.is_none() && c.since.is_none());
    }

    #[test]
    fn keystone_url_loses_v3_and_defaults_apply() {
        let c = Config::from_value(
            &json!({"auth": {"type": "keystone", "url": "https://ks:5000/v3/", "username": "admin", "password": "pw"}}),
        )
        .unwrap();
        let Auth::Keystone(k) = c.auth else { panic!("not keystone") };
        assert_eq!(k.url.as_str(), "https://ks:5000/");
        assert_eq!((k.project_name.as_deref(), &k.user_domain), (None, &Domain::Id("default".into())));
        assert_eq!((k.project_id.as_deref(), &k.project_domain), (None, &Domain::Id("default".into())));
        assert_eq!(k.version, KeystoneVersion::V3);
        assert_eq!(k.interface, Interface::Public);
        assert!(!format!("{k:?}").contains("pw"));
    }

    #[test]
    fn keystone_domains_by_name_and_project_by_id() {
        let base = json!({"type": "keystone", "url": "http://ks:5000", "username": "u", "password": "p"});
        let with = |extra: Value| {
            let mut auth = base.clone();
            for (k, v) in extra.as_object().unwrap() {
                auth[k] = v.clone();
            }
            json!({"auth": auth})
        };
        let c = Config::from_value(&with(
            json!({"user_domain_name": "Users", "project_domain_name": "Projects", "project_id": "p1"}),
        ))
        .unwrap();
        let Auth::Keystone(k) = c.auth else { panic!("not keystone") };
        assert_eq!(k.user_domain, Domain::Name("Users".into()));
        assert_eq!(k.project_domain, Domain::Name("Projects".into()));
        assert_eq!((k.project_id.as_deref(), k.project_name), (Some("p1"), None));
        for whose in ["user", "project"] {
            let t = err(with(json!({format!("{whose}_domain_id"): "d", format!("{whose}_domain_name"): "D"})));
            assert!(
                t.contains(&format!("http.auth.{whose}_domain_name"))
                    && t.contains(&format!("http.auth.{whose}_domain_id")),
                "{t}"
            );
        }
        let t = err(with(json!({"project_id": "p1", "project_name": "demo"})));
        assert!(t.contains("http.auth.project_id") && t.contains("http.auth.project_name"), "{t}");
        // one domain by id, the other by name
        let c = Config::from_value(&with(json!({"user_domain_id": "u1", "project_domain_name": "P"}))).unwrap();
        let Auth::Keystone(k) = c.auth else { panic!("not keystone") };
        assert_eq!((k.user_domain, k.project_domain), (Domain::Id("u1".into()), Domain::Name("P".into())));
    }

    #[test]
    fn keystone_v2_from_the_url_or_the_option_and_no_all_tenants() {
        let c = Config::from_value(
            &json!({"auth": {"type": "keystone", "url": "http://ks:5000/v2.0", "username": "u", "password": "p"}}),
        )
        .unwrap();
        let Auth::Keystone(k) = &c.auth else { panic!("not keystone") };
        assert_eq!((k.version, k.url.as_str()), (KeystoneVersion::V2, "http://ks:5000/"));
        assert_eq!(c.all_tenants, AllTenants::Auto);
        let c = Config::from_value(&json!({"auth": {"type": "keystone", "url": "http://ks:5000", "api_version": "v2", "username": "u", "password": "p"}, "all_tenants": true})).unwrap();
        assert_eq!(c.all_tenants, AllTenants::Always);
        assert!(err(json!({"auth": {"type": "keystone", "url": "http://k", "api_version": "v4", "username": "u", "password": "p"}})).contains("http.auth.api_version"));
    }

    #[test]
    fn a_state_file_is_for_polling_in_an_existing_directory() {
        let push = err(json!({"source": {"type": "push", "allow_anonymous": true}, "state": "/tmp/s.json"}));
        assert!(push.contains("invalid option http.state: is for the sources that are polled"), "{push}");
        let nowhere = err(json!({"url": "http://x", "state": "/no/such/dir/s.json"}));
        assert!(nowhere.contains("http.state: /no/such/dir/s.json: must be a file"), "{nowhere}");
        assert!(err(json!({"url": "http://x", "state": "/tmp"})).contains("http.state"));
        let ok = Config::from_value(&json!({"url": "http://x", "state": "s.json"})).unwrap();
        assert_eq!(ok.state, Some(PathBuf::from("s.json")));
    }

    #[test]
    fn errors_name_the_key() {
        assert!(err(json!({"url": "http://x", "page_size": 0})).contains("http.page_size"));
        assert!(err(json!({"url": "http://x", "page_size": "10"})).contains("http.page_size"));
        assert!(err(json!({"url": "127.0.0.1:8000"})).contains("http.url"));
        assert!(err(json!({"url": "ftp://x"})).contains("http.url"));
        assert!(err(json!({})).contains("http.url"));
        assert!(err(json!({"url": "http://x", "bogus": 1})).contains("http.bogus"));
        assert!(err(json!({"url": "http://x", "backread_seconds": -1})).contains("http.backread_seconds"));
        assert!(err(json!({"url": "http://x", "read_timeout": 0})).contains("http.read_timeout"));
        assert!(err(json!({"url": "http://x", "since": "soon"})).contains("http.since"));
        assert!(err(json!({"url": "http://x", "event_types_regex": "(a"})).contains("http.event_types_regex"));
        assert!(err(json!({"url": "http://x", "all_tenants": "yes"})).contains("http.all_tenants"));
        assert!(err(json!({"url": "http://x", "max_response_bytes": 10})).contains("http.max_response_bytes"));
        assert!(err(json!({"url": "http://x", "max_clock_skew": -1})).contains("http.max_clock_skew"));
        assert!(err(json!({"url": "http://x", "max_nesting": 0})).contains("http.max_nesting"));
        assert!(err(json!({"url": "http://x", "max_page_size": 0})).contains("http.max_page_size"));
        for bad in [json!(0), json!(-1), json!("600")] {
            assert!(err(json!({"url": "http://x", "max_service_wait": bad})).contains("http.max_service_wait"));
        }
        let c = Config::from_value(&json!({"url": "http://x", "max_service_wait": 30})).unwrap();
        assert_eq!(c.limits.max_service_wait, Duration::from_secs(30));
        assert!(err(json!({"url": "http://x", "max_page_size": 2_000_000})).contains("http.max_page_size"));
        let e = err(json!({"url": "http://x", "page_size": 500, "max_page_size": 400}));
        assert!(e.contains("http.max_page_size") && e.contains("500"), "{e}");
        let c = Config::from_value(&json!({"url": "http://x", "page_size": 500, "max_page_size": 50_000})).unwrap();
        assert_eq!(c.limits.max_page_size, 50_000);
        assert!(err(json!({"url": "http://x", "ca_file": "/nonexistent/ca.pem"})).contains("http.ca_file"));
        let e = err(json!({"url": "http://x", "poll_interval": 0.05}));
        assert!(e.contains("http.poll_interval") && e.contains("at least 0.1"), "{e}");
        assert!(err(json!({"url": "http://x", "poll_interval": 0})).contains("http.poll_interval"));
        let c = Config::from_value(&json!({"url": "http://x", "poll_interval": 0.1})).unwrap();
        assert_eq!(c.poll_interval, Duration::from_millis(100));
        assert!(err(json!({"url": "http://x", "ca_file": "/x", "ca_pem": "y"})).contains("http.ca"));
        assert!(err(json!({"url": "http://x", "client_cert": "/etc/hostname"})).contains("http.client_key"));
        assert!(err(json!({"url": "http://x", "proxy": "proxy:3128"})).contains("http.proxy"));
        let e = err(json!({"url": "http://x", "proxy": "socks9://user:pw@proxy"}));
        assert!(e.contains("http.proxy") && !e.contains("pw"), "{e}");
        assert!(Config::from_value(&json!({"url": "http://x", "proxy": "http://user:pw@proxy:3128"}))
            .unwrap()
            .proxy
            .is_some());
        for bad in ["http//admin:hunter22@ks:5000/v3", "http://admin:hunter22@ks:99999/v3", "ftp://admin:hunter22@ks/"]
        {
            let e = err(json!({"url": bad}));
            assert!(e.contains("http.url") && e.contains("***@ks") && !e.contains("hunter22"), "{e}");
            let e = err(json!({"auth": {"type": "keystone", "url": bad, "username": "u", "password": "p"}}));
            assert!(e.contains("http.auth.url") && !e.contains("hunter22"), "{e}");
        }
        let e = err(json!({"url": "http://x", "proxy": "http://u:hunter22@proxy:99999"}));
        assert!(e.contains("http.proxy") && e.contains("\"http://***@proxy:99999\"") && !e.contains("hunter22"), "{e}");
        assert!(err(json!({"url": "http://x", "auth": {"type": "keystone", "url": "http://k"}}))
            .contains("http.auth.username"));
        assert!(err(json!({"url": "http://x", "auth": {"type": "token"}})).contains("http.auth.token"));
        assert!(err(json!({"url": "http://x", "auth": {"type": "magic"}})).contains("http.auth.type"));
        assert!(err(json!({"url": "http://x", "auth": {"type": "none", "token": "t"}})).contains("http.auth.token"));
    }

    #[test]
    fn secrets_stay_out_of_errors() {
        let e = err(
            json!({"url": "http://x", "auth": {"type": "keystone", "url": "http://k", "username": "u", "password": "s3cr3t", "interface": "weird"}}),
        );
        assert!(e.contains("http.auth.interface") && !e.contains("s3cr3t"), "{e}");
    }

    #[test]
    fn every_auth_type_parses_and_holds_its_secret() {
        let auth = |a: Value| Config::from_value(&json!({"url": "http://x", "auth": a})).map(|c| c.auth);
        let cases = [
            (json!({"type": "bearer", "token": "t0k3n-b"}), "bearer", "t0k3n-b"),
            (json!({"type": "token", "token": "t0k3n-x"}), "token", "t0k3n-x"),
            (json!({"type": "basic", "username": "u", "password": "pw-basic"}), "basic", "pw-basic"),
            (json!({"type": "header", "name": "X-Api-Key", "value": "k3y-h"}), "header", "k3y-h"),
            (
                json!({"type": "oauth2", "token_url": "http://idp/oauth/token", "client_id": "c", "client_secret": "cs-o", "scope": "read"}),
                "oauth2",
                "cs-o",
            ),
        ];
        for (input, kind, secret) in cases {
            let a = auth(input).unwrap();
            assert_eq!(a.kind(), kind);
            assert_eq!(a.secrets().iter().map(|s| s.expose()).collect::<Vec<_>>(), [secret]);
            assert!(!format!("{a:?}").contains(secret), "{a:?}");
        }
        assert!(auth(json!({"type": "none"})).unwrap().secrets().is_empty());
    }

    #[test]
    fn auth_errors_name_the_key_and_never_the_secret() {
        let e = |a: Value| err(json!({"url": "http://x", "auth": a}));
        let t = e(json!({"type": "magic"}));
        assert!(
            t.contains("http.auth.type") && t.contains("keystone, token, bearer, basic, header, oauth2, none"),
            "{t}"
        );
        assert!(e(json!({"type": "bearer"})).contains("http.auth.token"));
        let t = e(json!({"type": "bearer", "token": "tk-secret", "password": "p"}));
        assert!(t.contains("http.auth.password") && t.contains("auth type bearer (it takes: token)"), "{t}");
        assert!(e(json!({"type": "basic", "password": "p"})).contains("http.auth.username"));
        assert!(e(json!({"type": "basic", "username": "u"})).contains("http.auth.password"));
        assert!(e(json!({"type": "basic", "username": "a:b", "password": "pw"})).contains("http.auth.username"));
        assert!(e(json!({"type": "basic", "username": "u", "password": "p", "token": "t"})).contains("http.auth.token"));
        assert!(e(json!({"type": "header", "value": "v"})).contains("http.auth.name"));
        assert!(e(json!({"type": "header", "name": "X-K"})).contains("http.auth.value"));
        for bad in ["Host", "Content-Length", "X Key", "X-Key:"] {
            let t = e(json!({"type": "header", "name": bad, "value": "v4lue-secret"}));
            assert!(t.contains("http.auth.name") && !t.contains("v4lue-secret"), "{t}");
        }
        let t = e(json!({"type": "header", "name": "X-K", "value": "v4lue\nsecret"}));
        assert!(t.contains("http.auth.value") && !t.contains("v4lue"), "{t}");
        let t = e(json!({"type": "bearer", "token": "t0ken\r\nX: y"}));
        assert!(t.contains("http.auth.token") && !t.contains("t0ken"), "{t}");
        let full =
            json!({"type": "oauth2", "token_url": "http://idp/t", "client_id": "c", "client_secret": "cs-secret"});
        for missing in ["token_url", "client_id", "client_secret"] {
            let mut a = full.clone();
            a.as_object_mut().unwrap().remove(missing);
            assert!(e(a).contains(&format!("http.auth.{missing}")), "{missing}");
        }
        let mut a = full.clone();
        a["token_url"] = json!("idp/token");
        let t = e(a);
        assert!(t.contains("http.auth.token_url") && !t.contains("cs-secret"), "{t}");
        let mut a = full.clone();
        a["username"] = json!("u");
        assert!(e(a).contains("http.auth.username"));
        let t = e(json!({"type": "keystone", "url": "http://k", "username": "u", "password": "p", "client_id": "c"}));
        assert!(t.contains("http.auth.client_id") && t.contains("auth type keystone"), "{t}");
        assert!(e(json!({"type": "none", "token": "t"})).contains("(it takes: no other keys)"));
    }

    #[test]
    fn regexp_hash_with_flags() {
        let c = Config::from_value(
            &json!({"url": "http://x", "event_types_regex": {"source": "COMPUTE", "ignorecase": true}}),
        )
        .unwrap();
        assert!(c.event_types.unwrap().matches("compute.instance.create.end"));
        let c = Config::from_value(&json!({"url": "http://x", "event_types_regex": ""})).unwrap();
        assert!(c.event_types.is_none());
    }

    #[test]
    fn source_by_name_or_type_and_errors_naming_http_source() {
        let source = |v: Value| Config::from_value(&json!({"url": "http://x", "source": v})).map(|c| c.source);
        assert_eq!(Config::from_value(&json!({"url": "http://x"})).unwrap().source, None);
        assert_eq!(source(json!("panko")).unwrap(), Some(Kind::Panko));
        assert_eq!(source(json!("ceilometer")).unwrap(), Some(Kind::Ceilometer));
        assert_eq!(source(json!({"type": "ceilometer"})).unwrap(), Some(Kind::Ceilometer));
        let bogus = err(json!({"url": "http://x", "source": "bogus"}));
        assert!(bogus.contains("http.source") && bogus.contains(":panko, :ceilometer"), "{bogus}");
        assert!(
            err(json!({"url": "http://x", "source": {"type": "json"}})).contains("http.source.records: is required")
        );
        assert!(err(json!({"url": "http://x", "source": "json"}))
            .contains("http.source: the json source needs its options"));
        assert!(bogus.contains("(known: :panko, :ceilometer, :json, :push)"), "{bogus}");
        let push = Config::from_value(&json!({"source": {"type": "push", "listen": "127.0.0.1:0"}})).unwrap();
        assert!(push.push.is_some() && push.url.is_none() && push.source.is_none());
        assert!(err(json!({"source": "push"})).contains("http.source.allow_anonymous"));
        assert!(err(json!({"url": "http://x", "source": {"type": "panko", "url": "y"}})).contains("http.source.url"));
        assert!(err(json!({"url": "http://x", "source": {}})).contains("http.source.type: is required"));
        assert!(err(json!({"url": "http://x", "source": 3})).contains("http.source: must be"));
        let both = err(json!({"url": "http://x", "source": "ceilometer", "all_tenants": true}));
        assert!(both.contains("http.all_tenants"), "{both}");
    }
}
