//! What a generic JSON service's polls ask from (`http.source.cursor`): the
//! newest record timestamp (the engine's own cursor, with its back-read), or
//! a cursor of the service's own, kept between polls and sent as `{cursor}`
//! (or `param`): a numeric, increasing record id ("records with an id
//! greater than N") or an opaque change-feed token ("what comes after the
//! page that gave it").

use serde_json::Value as Opt;

use super::hash::{hash, pointer, string};
use crate::error::{Error, Result};
use crate::format::pointer::Pointer;
use crate::model::json::Value;
use crate::source::Resume;

#[derive(Debug, Clone, PartialEq)]
pub enum JsonCursor {
    /// The newest record timestamp, read again from `now - backread`.
    Timestamp,
    /// The largest record id read, at `field` (a non-negative integer, or
    /// a string of digits, of any length).
    Id { field: Pointer, param: Option<String> },
    /// The token at `pointer` in the body (a string or an integer; null,
    /// empty or absent: the one before stays).
    Token { pointer: Pointer, param: Option<String> },
}

impl JsonCursor {
    pub const NAMES: &'static str = ":timestamp, :id, :token";

    /// Reads `http.source.cursor`; `message_id` is the default id field.
    pub fn from_options(value: &Opt, message_id: Option<&Pointer>) -> Result<JsonCursor> {
        let o = hash("http.source.cursor", value, &["type", "field", "pointer", "param"])?;
        let kind = string(&o, "type")?.unwrap_or_else(|| "timestamp".into());
        let allowed: &[&str] = match kind.as_str() {
            "timestamp" => &["type"],
            "id" => &["type", "field", "param"],
            "token" => &["type", "pointer", "param"],
            other => {
                return Err(Error::config(
                    "http.source.cursor.type",
                    format!("unknown cursor type {other:?} (known: {})", JsonCursor::NAMES),
                ))
            }
        };
        o.only(allowed, &format!("cursor type {kind}"))?;
        let param = string(&o, "param")?;
        if param.as_deref() == Some("") {
            return Err(Error::config("http.source.cursor.param", "must not be empty"));
        }
        Ok(match kind.as_str() {
            "id" => {
                let field = match string(&o, "field")? {
                    Some(text) => pointer("http.source.cursor.field", &text)?,
                    None => message_id.cloned().ok_or_else(|| {
                        Error::config("http.source.cursor.field", "is required without http.source.fields.message_id")
                    })?,
                };
                JsonCursor::Id { field, param }
            }
            "token" => {
                let text =
                    string(&o, "pointer")?.ok_or_else(|| Error::config("http.source.cursor.pointer", "is required"))?;
                JsonCursor::Token { pointer: pointer("http.source.cursor.pointer", &text)?, param }
            }
            _ => JsonCursor::Timestamp,
        })
    }

    /// The cursor's kind, when it is the service's own.
    pub fn resumes(&self) -> Option<Resume> {
        match self {
            JsonCursor::Timestamp => None,
            JsonCursor::Id { .. } => Some(Resume::Id),
            JsonCursor::Token { .. } => Some(Resume::Token),
        }
    }

    /// The query parameter that carries the cursor, besides `{cursor}`.
    pub fn param(&self) -> Option<&str> {
        match self {
            JsonCursor::Id { param, .. } | JsonCursor::Token { param, .. } => param.as_deref(),
            JsonCursor::Timestamp => None,
        }
    }
}

/// A record's id for [`JsonCursor::Id`], as found at `field`: a JSON
/// integer or a string of digits, not negative. The error is the reason
/// the record is skipped.
pub fn record_id(found: Option<&Value>, field: &Pointer) -> std::result::Result<String, String> {
    let bad = |what: &str| {
        format!(
            "the cursor id at {:?} (http.source.cursor.field) is {what}, not a non-negative integer",
            field.as_str()
        )
    };
    match found {
        None => Err(format!("no cursor id at {:?} (http.source.cursor.field)", field.as_str())),
        Some(Value::Int(n)) if *n >= 0 => Ok(n.to_string()),
        Some(Value::Int(_)) => Err(bad("negative")),
        Some(Value::BigInt(n)) if is_digits(n) => Ok(n.clone()),
        Some(Value::BigInt(_)) => Err(bad("negative")),
        Some(Value::Str(s)) if is_digits(s) => Ok(s.clone()),
        Some(Value::Str(_)) => Err(bad("a string of other than digits")),
        Some(Value::Float(_)) => Err(bad("a number with a fraction or exponent")),
        Some(Value::Null) => Err(bad("null")),
        Some(Value::Bool(_)) => Err(bad("a boolean")),
        Some(Value::Array(_)) => Err(bad("an array")),
        Some(Value::Object(_)) => Err(bad("an object")),
    }
}

fn is_digits(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

/// `a > b` for two strings of digits, whatever their length (leading
/// zeros do not count).
pub fn greater(a: &str, b: &str) -> bool {
    let (a, b) = (significant(a), significant(b));
    (a.len(), a) > (b.len(), b)
}

fn significant(digits: &str) -> &str {
    let trimmed = digits.trim_start_matches('0');
    if trimmed.is_empty() {
        "0"
    } else {
        trimmed
    }
}

/// The larger of the ids (the first of equal ones); a previous cursor that
/// is not all digits counts for nothing.
pub fn largest<'a>(ids: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    ids.into_iter().filter(|id| is_digits(id)).fold(None, |max, id| match max {
        Some(m) if !greater(id, m) => Some(m),
        _ => Some(id),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(v: Opt) -> Result<JsonCursor> {
        JsonCursor::from_options(&v, Some(&Pointer::parse("/id").unwrap()))
    }

    fn message(v: Opt) -> String {
        parse(v).unwrap_err().to_string()
    }

    #[test]
    fn compares_ids_of_any_length() {
        assert!(greater("10", "9"));
        assert!(!greater("9", "10"));
        assert!(!greater("5", "5"));
        assert!(greater("100000000000000000000000000000", "99999999999999999999999999999"));
        assert!(!greater("007", "7") && !greater("7", "007") && greater("010", "9"));
        assert!(!greater("0", "000"));
        let big = format!("1{}", "0".repeat(40));
        assert_eq!(largest(["3", big.as_str(), "18446744073709551616"]), Some(big.as_str()));
        assert_eq!(largest(["not-digits", "2"]), Some("2"));
        assert_eq!(largest(Vec::<&str>::new()), None);
    }

    #[test]
    fn reads_record_ids() {
        let field = Pointer::parse("/seq").unwrap();
        let id = |v: Value| record_id(Some(&v), &field);
        assert_eq!(id(Value::Int(42)).as_deref(), Ok("42"));
        assert_eq!(id(Value::BigInt("18446744073709551616".into())).as_deref(), Ok("18446744073709551616"));
        assert_eq!(id(Value::from("0012")).as_deref(), Ok("0012"));
        assert!(id(Value::Int(-1)).unwrap_err().contains("negative"));
        assert!(id(Value::BigInt("-18446744073709551616".into())).unwrap_err().contains("negative"));
        assert!(id(Value::from("12a")).unwrap_err().contains("\"/seq\""));
        assert!(id(Value::from("")).is_err());
        assert!(id(Value::Float(1.5)).is_err());
        assert!(id(Value::Null).is_err());
        assert!(record_id(None, &field).unwrap_err().starts_with("no cursor id at \"/seq\""));
    }

    #[test]
    fn options() {
        assert_eq!(parse(json!({})).unwrap(), JsonCursor::Timestamp);
        assert_eq!(parse(json!({"type": "timestamp"})).unwrap().resumes(), None);
        let id = parse(json!({"type": "id", "param": "after"})).unwrap();
        assert_eq!(id, JsonCursor::Id { field: Pointer::parse("/id").unwrap(), param: Some("after".into()) });
        assert_eq!((id.resumes(), id.param()), (Some(Resume::Id), Some("after")));
        let token = parse(json!({"type": "token", "pointer": "/cursor"})).unwrap();
        assert_eq!((token.resumes(), token.param()), (Some(Resume::Token), None));
    }

    #[test]
    fn bad_options_name_their_key() {
        assert!(message(json!({"type": "seq"})).contains("http.source.cursor.type: unknown cursor type \"seq\""));
        assert!(message(json!({"type": "id", "pointer": "/x"})).contains("http.source.cursor.pointer: does not apply"));
        assert!(message(json!({"type": "id", "bogus": 1})).contains("http.source.cursor.bogus: unknown option"));
        assert!(message(json!({"type": "timestamp", "param": "x"})).contains("http.source.cursor.param"));
        assert!(message(json!({"type": "token"})).contains("http.source.cursor.pointer: is required"));
        assert!(message(json!({"type": "id", "field": "seq"})).contains("http.source.cursor.field"));
        assert!(message(json!({"type": "id", "param": ""})).contains("http.source.cursor.param: must not be empty"));
        assert!(message(json!("id")).contains("http.source.cursor: must be a Hash"));
        let none = JsonCursor::from_options(&json!({"type": "id"}), None).unwrap_err().to_string();
        assert!(none.contains("http.source.cursor.field: is required without http.source.fields.message_id"), "{none}");
    }
}
