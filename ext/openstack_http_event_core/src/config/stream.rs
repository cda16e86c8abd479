//! The stream of events a configuration reads, as a state file names it:
//! a SHA-256 of the options that decide what is read (URL, source,
//! all_tenants, event_types_regex, the Keystone project, region and
//! interface), and a description of them without secrets for error
//! messages. Two monitors with the same stream read the same events; a
//! state file of another stream is refused.

use serde_json::Value;
use sha2::{Digest as _, Sha256};

use crate::util::scrub;

/// What stream of events a state belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stream {
    /// SHA-256 (hex) of the canonical options that decide what is read.
    pub id: String,
    /// Those options, without secrets, for messages.
    pub described: String,
}

impl Stream {
    /// The stream `http` (the options hash, as the core parses it) reads.
    /// Only options that change which events are read count: not timeouts,
    /// page sizes, the back-read window or credentials.
    pub fn of(http: &Value) -> Stream {
        let get = |key: &str| http.get(key).cloned().unwrap_or(Value::Null);
        let auth = http.get("auth");
        let auth_key = |key: &str| auth.and_then(|a| a.get(key)).cloned().unwrap_or(Value::Null);
        let source = without_secrets(&get("source"));
        let canonical = serde_json::json!({
            "url": get("url"),
            "source": source,
            "all_tenants": get("all_tenants"),
            "event_types_regex": get("event_types_regex"),
            "auth_url": auth_key("url"),
            "project_id": auth_key("project_id"),
            "project_name": auth_key("project_name"),
            "project_domain_id": auth_key("project_domain_id"),
            "project_domain_name": auth_key("project_domain_name"),
            "region": auth_key("region"),
            "interface": auth_key("interface"),
        });
        // fixed key order (json! above, sorted below): the same options give the same text
        let id = hex(&Sha256::digest(canonical.to_string().as_bytes()));
        let shown_url = |v: &Value| {
            v.as_str().map(|u| url::Url::parse(u).map(|u| scrub::redact(&u)).unwrap_or_else(|_| "(bad url)".into()))
        };
        let mut parts = Vec::new();
        let source_name = match &source {
            Value::String(s) => s.clone(),
            Value::Object(o) => o.get("type").and_then(Value::as_str).unwrap_or("?").to_owned(),
            _ => "auto".into(),
        };
        parts.push(format!("source={source_name}"));
        match shown_url(&get("url")) {
            Some(u) => parts.push(format!("url={u}")),
            None => parts.push(format!("url=(catalog of {})", shown_url(&auth_key("url")).unwrap_or_default())),
        }
        for (label, value) in [
            ("project", auth_key("project_name")),
            ("project_id", auth_key("project_id")),
            ("region", auth_key("region")),
            ("all_tenants", get("all_tenants")),
        ] {
            if !value.is_null() {
                parts.push(format!("{label}={}", plain(&value)));
            }
        }
        if let Some(types) = http.get("event_types_regex") {
            let source = types.get("source").unwrap_or(types);
            parts.push(format!("event_types_regex={}", plain(source)));
        }
        Stream { id, described: parts.join(" ") }
    }
}

/// A JSON value shown bare (a String without quotes).
fn plain(value: &Value) -> String {
    value.as_str().map_or_else(|| value.to_string(), str::to_owned)
}

/// `value` without the object keys that look like they hold a secret
/// (headers, tokens, passwords of a generic JSON source's requests), its
/// keys in order whatever order they were given in.
fn without_secrets(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let sorted: std::collections::BTreeMap<&String, Value> =
                map.iter().filter(|(k, _)| !scrub::looks_secret(k)).map(|(k, v)| (k, without_secrets(v))).collect();
            Value::Object(sorted.into_iter().map(|(k, v)| (k.clone(), v)).collect())
        }
        Value::Array(items) => Value::Array(items.iter().map(without_secrets).collect()),
        other => other.clone(),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
