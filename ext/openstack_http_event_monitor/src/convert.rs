//! Ruby values to JSON (options) and core events to Ruby Hashes. Runs with
//! the GVL held, on the Ruby thread.

use magnus::r_hash::ForEach;
use magnus::value::{Qfalse, Qtrue, ReprValue};
use magnus::{Error, Float, Integer, IntoValue, RArray, RHash, RString, Ruby, Symbol, Value};
use openstack_http_event_core::Event;
use serde_json::{Map, Number, Value as Json};

use crate::helpers::fstring;
use crate::ruby_api::errors;

/// Converts the options hash (symbols or strings as keys) to JSON. `path`
/// names the place for errors, e.g. `http.auth`.
pub fn to_json(ruby: &Ruby, value: Value, path: &str) -> Result<Json, Error> {
    if value.is_nil() {
        return Ok(Json::Null);
    }
    if Qtrue::from_value(value).is_some() {
        return Ok(Json::Bool(true));
    }
    if Qfalse::from_value(value).is_some() {
        return Ok(Json::Bool(false));
    }
    if let Some(s) = RString::from_value(value) {
        return s.to_string().map(Json::String).map_err(|_| bad(ruby, path, "is not valid UTF-8"));
    }
    if let Some(s) = Symbol::from_value(value) {
        return Ok(Json::String(s.name()?.into_owned()));
    }
    if let Some(i) = Integer::from_value(value) {
        return i.to_i64().map(|n| Json::Number(n.into())).map_err(|_| bad(ruby, path, "is out of range"));
    }
    if let Some(f) = Float::from_value(value) {
        return Number::from_f64(f.to_f64())
            .map(Json::Number)
            .ok_or_else(|| bad(ruby, path, "must be a finite number"));
    }
    if let Some(array) = RArray::from_value(value) {
        let mut out = Vec::with_capacity(array.len());
        for (i, item) in array.into_iter().enumerate() {
            out.push(to_json(ruby, item, &format!("{path}[{i}]"))?);
        }
        return Ok(Json::Array(out));
    }
    if let Some(hash) = RHash::from_value(value) {
        let mut out = Map::new();
        let mut failure = None;
        hash.foreach(|key: Value, item: Value| {
            let name = if let Some(s) = Symbol::from_value(key) {
                s.name()?.into_owned()
            } else if let Some(s) = RString::from_value(key) {
                s.to_string()?
            } else {
                failure = Some(bad(ruby, path, "has a key that is neither a Symbol nor a String"));
                return Ok(ForEach::Stop);
            };
            let child = format!("{path}.{name}");
            match to_json(ruby, item, &child) {
                Ok(json) => {
                    out.insert(name, json);
                    Ok(ForEach::Continue)
                }
                Err(e) => {
                    failure = Some(e);
                    Ok(ForEach::Stop)
                }
            }
        })?;
        return match failure {
            Some(e) => Err(e),
            None => Ok(Json::Object(out)),
        };
    }
    let class = unsafe { value.classname() }.into_owned();
    Err(bad(ruby, path, &format!("has an unsupported value of class {class}")))
}

fn bad(ruby: &Ruby, path: &str, message: &str) -> Error {
    errors::configuration(ruby, &format!("invalid option {path}: {message}"))
}

/// The interned keys of every event Hash.
pub struct Keys {
    message_id: RString,
    event_type: RString,
    timestamp: RString,
    payload: RString,
}

impl Keys {
    pub fn new(ruby: &Ruby) -> Self {
        let key = |s: &str| fstring::interned(ruby, s);
        Keys {
            message_id: key("message_id"),
            event_type: key("event_type"),
            timestamp: key("timestamp"),
            payload: key("payload"),
        }
    }
}

/// ManageIQ's converted payload: `{"message_id", "event_type", "timestamp",
/// "payload" => {trait name => value}}`.
pub fn event_payload(ruby: &Ruby, keys: &Keys, event: &Event) -> Result<RHash, Error> {
    let traits = ruby.hash_new();
    for (name, value) in &event.traits {
        traits.aset(fstring::interned(ruby, name), json_to_ruby(ruby, value.clone())?)?;
    }
    let hash = ruby.hash_new();
    hash.aset(keys.message_id, ruby.str_new(&event.message_id))?;
    hash.aset(keys.event_type, ruby.str_new(&event.event_type))?;
    hash.aset(keys.timestamp, ruby.str_new(&event.generated))?;
    hash.aset(keys.payload, traits)?;
    Ok(hash)
}

/// A JSON value as Ruby would parse it (`JSON.parse`): strings, numbers,
/// true/false/nil, Arrays and Hashes with String keys.
pub fn json_to_ruby(ruby: &Ruby, value: Json) -> Result<Value, Error> {
    Ok(match value {
        Json::String(s) => ruby.str_new(&s).as_value(),
        Json::Null => ruby.qnil().as_value(),
        Json::Bool(b) => b.into_value_with(ruby),
        Json::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => i.into_value_with(ruby),
            (None, Some(u)) => u.into_value_with(ruby),
            _ => n.as_f64().unwrap_or(f64::NAN).into_value_with(ruby),
        },
        Json::Array(items) => {
            let array = ruby.ary_new_capa(items.len());
            for item in items {
                array.push(json_to_ruby(ruby, item)?)?;
            }
            array.as_value()
        }
        Json::Object(map) => {
            let hash = ruby.hash_new();
            for (k, v) in map {
                hash.aset(ruby.str_new(&k), json_to_ruby(ruby, v)?)?;
            }
            hash.as_value()
        }
    })
}
