//! Reading one Hash of options (`options[:http]` and the Hashes under it):
//! typed getters whose errors name the key path (`http.page_size`,
//! `http.source.listen`, …), unknown keys refused.

use std::time::Duration;

use serde_json::{Map, Value};
use url::Url;

use crate::error::{Error, Result};

/// Reads one hash of options, remembering its path for error messages.
pub(crate) struct Options<'a> {
    path: &'a str,
    map: &'a Map<String, Value>,
}

impl<'a> Options<'a> {
    pub(crate) fn new(path: &'a str, value: &'a Value, known: &[&str]) -> Result<Self> {
        let map = value
            .as_object()
            .ok_or_else(|| Error::config(path, format!("must be a Hash, got {}", type_name(value))))?;
        for key in map.keys() {
            if !known.contains(&key.as_str()) {
                return Err(Error::config(
                    format!("{path}.{key}"),
                    format!("unknown option (known: {})", known.join(", ")),
                ));
            }
        }
        Ok(Options { path, map })
    }

    /// Refuses any key but `allowed` (and `type`), for options whose keys
    /// depend on a type: "does not apply to {what} (it takes: …)".
    pub(crate) fn only(&self, allowed: &[&str], what: &str) -> Result<()> {
        for key in self.map.keys() {
            if key != "type" && !allowed.contains(&key.as_str()) {
                let takes = allowed.iter().filter(|k| **k != "type").copied().collect::<Vec<_>>();
                let takes = if takes.is_empty() { "no other keys".to_owned() } else { takes.join(", ") };
                return Err(Error::config(self.key(key), format!("does not apply to {what} (it takes: {takes})")));
            }
        }
        Ok(())
    }

    pub(crate) fn key(&self, key: &str) -> String {
        format!("{}.{key}", self.path)
    }

    /// The value, with nil counted as absent.
    pub(crate) fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    pub(crate) fn string(&self, key: &str) -> Result<Option<String>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) if s.trim().is_empty() => Err(Error::config(self.key(key), "must not be empty")),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(Error::config(self.key(key), format!("must be a String, got {}", type_name(other)))),
        }
    }

    pub(crate) fn required_string(&self, key: &str) -> Result<String> {
        self.string(key)?.ok_or_else(|| Error::config(self.key(key), "is required"))
    }

    pub(crate) fn bool(&self, key: &str, default: bool) -> Result<bool> {
        match self.get(key) {
            None => Ok(default),
            Some(Value::Bool(b)) => Ok(*b),
            Some(other) => {
                Err(Error::config(self.key(key), format!("must be true or false, got {}", type_name(other))))
            }
        }
    }

    /// A number of seconds; `min_exclusive` rejects zero.
    pub(crate) fn seconds(&self, key: &str, default: f64, zero_allowed: bool) -> Result<Duration> {
        let value = match self.get(key) {
            None => return Ok(Duration::from_secs_f64(default)),
            Some(Value::Number(n)) => n.as_f64().unwrap_or(f64::NAN),
            Some(other) => {
                return Err(Error::config(
                    self.key(key),
                    format!("must be a number of seconds, got {}", type_name(other)),
                ))
            }
        };
        let ok = value.is_finite() && (value > 0.0 || (zero_allowed && value == 0.0)) && value < 1.0e9;
        if !ok {
            let want = if zero_allowed { "zero or more" } else { "more than zero" };
            return Err(Error::config(self.key(key), format!("must be {want} seconds, got {value}")));
        }
        Ok(Duration::from_secs_f64(value))
    }

    /// A whole number from `min` to `max`.
    pub(crate) fn count(&self, key: &str, default: u64, min: u64, max: u64) -> Result<u64> {
        match self.get(key) {
            None => Ok(default),
            Some(v) => v.as_u64().filter(|n| (min..=max).contains(n)).ok_or_else(|| {
                Error::config(self.key(key), format!("must be an Integer from {min} to {max}, got {v}"))
            }),
        }
    }

    pub(crate) fn url(&self, key: &str) -> Result<Option<Url>> {
        self.url_with(key, false)
    }

    /// A proxy URL may carry `user:password@`; it never reaches a log. A
    /// message shows the URL with any userinfo hidden (`https://***@host`),
    /// whether credentials are allowed or not, valid URL or not.
    pub(crate) fn url_with(&self, key: &str, credentials_allowed: bool) -> Result<Option<Url>> {
        let Some(text) = self.string(key)? else { return Ok(None) };
        let shown = format!("{:?}", crate::util::scrub::hide_userinfo(&text));
        let url = Url::parse(&text).map_err(|e| Error::config(self.key(key), format!("{shown} is not a URL ({e})")))?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(Error::config(
                self.key(key),
                format!("{shown} must be an http:// or https:// URL with a host"),
            ));
        }
        if !credentials_allowed && (!url.username().is_empty() || url.password().is_some()) {
            return Err(Error::config(self.key(key), "must not carry credentials; use the auth options"));
        }
        Ok(Some(url))
    }
}

pub(crate) fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "nil",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a String",
        Value::Array(_) => "an Array",
        Value::Object(_) => "a Hash",
    }
}
