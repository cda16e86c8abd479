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
use crate::util::timestamp;

/// Public for what only tests name from outside (`Domain`, `AUTH_TYPES`);
/// the rest is re-exported below.
pub mod auth;
mod limits;
mod stream;
#[cfg(test)]
mod tests;
mod tls;

pub use auth::{Auth, BasicAuth, HeaderAuth, Interface, KeystoneAuth, KeystoneVersion, OAuth2Auth};
pub use limits::{
    Limits, DEFAULT_MAX_HEADER_BYTES, DEFAULT_MAX_NESTING, DEFAULT_MAX_REMEMBERED_IDS, DEFAULT_MAX_REMEMBERED_SKIPPED,
    DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_MAX_SERVICE_WAIT, DEFAULT_PAGE_SIZE, LARGEST_PAGE_SIZE, MAX_PAGE_SIZE,
};
pub use stream::Stream;
pub use tls::Tls;

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
            Some(v) => auth::parse_auth(v)?,
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
        let tls = Tls::from_options(&o)?;
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
            tls: Tls { verify: o.bool("verify_ssl", true)?, ..tls },
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
