//! Ruby values to JSON (options) and core events to Ruby Hashes. Runs with
//! the GVL held, on the Ruby thread.

use magnus::r_hash::ForEach;
use magnus::value::{Qfalse, Qtrue, ReprValue};
use magnus::{Error, Float, Integer, IntoValue, RArray, RHash, RString, Ruby, Symbol, Value};
use openstack_http_event_core::{json, Event};
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
    // SAFETY: the GVL is held (the &Ruby witness) and the class name it
    // borrows is copied by `into_owned` before any Ruby code can run (and
    // with it the GC, or a change to the name).
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

    /// The four, in payload order.
    pub fn all(&self) -> [RString; 4] {
        [self.message_id, self.event_type, self.timestamp, self.payload]
    }
}

/// ManageIQ's converted payload: `{"message_id", "event_type", "timestamp",
/// "payload" => {trait name => value}}`.
pub fn event_payload(ruby: &Ruby, keys: &Keys, event: &Event) -> Result<RHash, Error> {
    let traits = ruby.hash_new();
    for (name, value) in &event.traits {
        let value = match value {
            // Panko's trait values are strings: no copy of the tree
            json::Value::Str(s) => ruby.str_new(s).as_value(),
            other => json_to_ruby(ruby, other.clone())?,
        };
        traits.aset(fstring::interned(ruby, name), value)?;
    }
    let hash = ruby.hash_new();
    hash.aset(keys.message_id, ruby.str_new(&event.message_id))?;
    hash.aset(keys.event_type, ruby.str_new(&event.event_type))?;
    hash.aset(keys.timestamp, ruby.str_new(&event.generated))?;
    hash.aset(keys.payload, traits)?;
    Ok(hash)
}

/// A trait value as Ruby's `JSON.parse(s, allow_nan: true)` makes it:
/// Strings, Integers (a Bignum for a `BigInt`), Floats (NaN and ±Infinity
/// included), true/false/nil, Arrays, and Hashes with String keys (a
/// repeated key keeps its first position and its last value).
///
/// Built without recursion, so any depth `http.max_nesting` allows fits on
/// a Ruby thread's stack: each Array or Hash is attached to its parent before
/// it is filled, so everything made so far stays reachable from the root,
/// which this frame holds, while more objects are allocated.
pub fn json_to_ruby(ruby: &Ruby, value: json::Value) -> Result<Value, Error> {
    let (root, open) = start_value(ruby, value)?;
    let Some(open) = open else { return Ok(root) };
    let mut stack = vec![open];
    while let Some(top) = stack.last_mut() {
        let open = match top {
            Open::Array(array, items) => {
                let Some(item) = items.next() else {
                    stack.pop();
                    continue;
                };
                let (child, open) = start_value(ruby, item)?;
                array.push(child)?;
                open
            }
            Open::Hash(hash, members) => {
                let Some((key, item)) = members.next() else {
                    stack.pop();
                    continue;
                };
                let (child, open) = start_value(ruby, item)?;
                hash.aset(ruby.str_new(&key), child)?;
                open
            }
        };
        stack.extend(open);
    }
    Ok(root)
}

/// An Array or Hash whose items are still to be converted.
enum Open {
    Array(RArray, std::vec::IntoIter<json::Value>),
    Hash(RHash, std::vec::IntoIter<(String, json::Value)>),
}

/// A scalar converted, or an empty Array or Hash and what goes into it.
fn start_value(ruby: &Ruby, value: json::Value) -> Result<(Value, Option<Open>), Error> {
    Ok(match value {
        json::Value::Str(s) => (ruby.str_new(&s).as_value(), None),
        json::Value::Null => (ruby.qnil().as_value(), None),
        json::Value::Bool(b) => (b.into_value_with(ruby), None),
        json::Value::Int(i) => (i.into_value_with(ruby), None),
        json::Value::BigInt(text) => (big_integer(ruby, &text)?, None),
        json::Value::Float(f) => (f.into_value_with(ruby), None),
        json::Value::Array(items) => {
            let array = ruby.ary_new_capa(items.len());
            (array.as_value(), Some(Open::Array(array, items.into_iter())))
        }
        json::Value::Object(members) => {
            let hash = ruby.hash_new();
            (hash.as_value(), Some(Open::Hash(hash, members.into_iter())))
        }
    })
}

/// An Integer from the decimal text of one outside i64.
fn big_integer(ruby: &Ruby, text: &str) -> Result<Value, Error> {
    match text.parse::<i128>() {
        Ok(n) => Ok(ruby.integer_from_i128(n).as_value()),
        Err(_) => ruby.str_new(text).funcall("to_i", ()),
    }
}
