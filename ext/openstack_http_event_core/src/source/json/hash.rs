//! The options hash of `http.source` (and its sub-hashes) as the generic
//! JSON source reads it: every error names the key it is about.

use serde_json::{Map, Value as Opt};

use crate::error::{Error, Result};
use crate::format::pointer::Pointer;

/// A Hash of options with its path; unknown keys are errors unless
/// `known` is empty (any key).
pub(super) struct Hash<'a> {
    map: &'a Map<String, Opt>,
    pub(super) path: String,
}

impl<'a> Hash<'a> {
    pub(super) fn get(&self, key: &str) -> Option<&'a Opt> {
        self.map.get(key)
    }

    pub(super) fn iter_all(&self) -> impl Iterator<Item = (&'a String, &'a Opt)> {
        self.map.iter()
    }
}

pub(super) fn hash<'a>(path: &str, value: &'a Opt, known: &[&str]) -> Result<Hash<'a>> {
    let map =
        value.as_object().ok_or_else(|| Error::config(path, format!("must be a Hash, got {}", opt_kind(value))))?;
    if !known.is_empty() {
        if let Some(key) = map.keys().find(|k| !known.contains(&k.as_str())) {
            return Err(Error::config(
                format!("{path}.{key}"),
                format!("unknown option (known: {})", known.join(", ")),
            ));
        }
    }
    Ok(Hash { map, path: path.to_owned() })
}

impl Hash<'_> {
    /// Refuses a key outside `allowed` (`type` first), for options whose
    /// keys depend on a type: "does not apply to {what} (it takes: …)".
    pub(super) fn only(&self, allowed: &[&str], what: &str) -> Result<()> {
        match self.map.keys().find(|k| !allowed.contains(&k.as_str())) {
            Some(key) => Err(Error::config(
                format!("{}.{key}", self.path),
                format!("does not apply to {what} (it takes: {})", allowed[1..].join(", ")),
            )),
            None => Ok(()),
        }
    }
}

pub(super) fn string(o: &Hash<'_>, key: &str) -> Result<Option<String>> {
    match o.get(key) {
        None | Some(Opt::Null) => Ok(None),
        Some(Opt::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(Error::config(format!("{}.{key}", o.path), must_be_string(other))),
    }
}

/// A response header's name, as HTTP spells one (a token).
pub(super) fn header_name(key: &str, name: &str) -> Result<reqwest::header::HeaderName> {
    reqwest::header::HeaderName::from_bytes(name.trim().as_bytes())
        .map_err(|_| Error::config(key, format!("{name:?} is not a header name")))
}

pub(super) fn pointer(key: &str, text: &str) -> Result<Pointer> {
    Pointer::parse(text).map_err(|m| Error::config(key, m))
}

pub(super) fn must_be_string(value: &Opt) -> String {
    format!("must be a String or a Symbol, got {}", opt_kind(value))
}

pub(super) fn opt_kind(value: &Opt) -> &'static str {
    match value {
        Opt::Null => "nil",
        Opt::Bool(_) => "a boolean",
        Opt::Number(_) => "a number",
        Opt::String(_) => "a String",
        Opt::Array(_) => "an Array",
        Opt::Object(_) => "a Hash",
    }
}
