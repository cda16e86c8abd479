//! JSON Pointers (RFC 6901): `""` is the whole document, `/a/0/b~1c`
//! walks member `a`, item 0, member `b/c`. An item is selected only by
//! `0` or digits without a leading zero (`/01`, `/+1`, `/-` select none).

use std::fmt;

use crate::model::json::Value;

/// A parsed JSON Pointer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pointer {
    text: String,
    tokens: Vec<String>,
}

impl Pointer {
    /// Parses `text`; the error says what is wrong (the caller names the key).
    pub fn parse(text: &str) -> Result<Pointer, String> {
        if text.is_empty() {
            return Ok(Pointer { text: String::new(), tokens: Vec::new() });
        }
        let Some(rest) = text.strip_prefix('/') else {
            return Err(format!("{text:?} is not a JSON Pointer (must be \"\" or start with \"/\")"));
        };
        let mut tokens = Vec::new();
        for raw in rest.split('/') {
            let mut token = String::with_capacity(raw.len());
            let mut chars = raw.chars();
            while let Some(c) = chars.next() {
                if c != '~' {
                    token.push(c);
                    continue;
                }
                match chars.next() {
                    Some('0') => token.push('~'),
                    Some('1') => token.push('/'),
                    _ => return Err(format!("{text:?} is not a JSON Pointer (\"~\" must be followed by 0 or 1)")),
                }
            }
            tokens.push(token);
        }
        Ok(Pointer { text: text.to_owned(), tokens })
    }

    /// The whole document.
    pub fn root() -> Pointer {
        Pointer { text: String::new(), tokens: Vec::new() }
    }

    /// The pointer as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub fn is_root(&self) -> bool {
        self.tokens.is_empty()
    }

    /// How many steps it takes.
    pub fn depth(&self) -> usize {
        self.tokens.len()
    }

    /// The value it points at in `doc`, if any. In an object a repeated
    /// member's last value counts (as in Ruby's Hash).
    pub fn get<'v>(&self, doc: &'v Value) -> Option<&'v Value> {
        let mut at = doc;
        for token in &self.tokens {
            at = match at {
                Value::Object(members) => members.iter().rev().find(|(k, _)| k == token).map(|(_, v)| v)?,
                Value::Array(items) => items.get(index(token)?)?,
                _ => return None,
            };
        }
        Some(at)
    }

    /// Takes the value out of `doc` (leaving `null`), without copying it.
    pub fn take(&self, doc: &mut Value) -> Option<Value> {
        let mut at = doc;
        for token in &self.tokens {
            at = match at {
                Value::Object(members) => members.iter_mut().rev().find(|(k, _)| k == token).map(|(_, v)| v)?,
                Value::Array(items) => items.get_mut(index(token)?)?,
                _ => return None,
            };
        }
        Some(std::mem::replace(at, Value::Null))
    }
}

/// An array index token (RFC 6901 `array-index`): `0`, or digits without a
/// leading zero. Anything else selects no item: `01`, `-`, `""`, and `+1`,
/// which `usize::from_str` alone would read as 1.
fn index(token: &str) -> Option<usize> {
    let digits = !token.is_empty() && token.bytes().all(|b| b.is_ascii_digit());
    if !digits || (token.len() > 1 && token.starts_with('0')) {
        return None;
    }
    token.parse().ok()
}

impl fmt::Display for Pointer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.text.is_empty() {
            f.write_str("the whole record")
        } else {
            f.write_str(&self.text)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::json;

    fn doc() -> Value {
        json::parse(br#"{"a":{"b/c":[10,{"d~e":"x"}]},"":1,"a":{"z":2}}"#, 100).unwrap()
    }

    #[test]
    fn walks_members_items_and_escapes() {
        let d = json::parse(br#"{"a":{"b/c":[10,{"d~e":"x"}]},"":1}"#, 100).unwrap();
        let get = |p: &str| Pointer::parse(p).unwrap().get(&d).cloned();
        assert_eq!(get("/a/b~1c/1/d~0e"), Some(Value::from("x")));
        assert_eq!(get("/a/b~1c/0"), Some(Value::Int(10)));
        assert_eq!(get("/"), Some(Value::Int(1)));
        assert_eq!(get(""), Some(d.clone()));
        assert_eq!(get("/a/b~1c/01"), None);
        assert_eq!(get("/a/b~1c/2"), None);
        assert_eq!(get("/a/b~1c/-"), None);
        assert_eq!(get("/nope"), None);
        // a repeated member: the last one
        assert_eq!(Pointer::parse("/a/z").unwrap().get(&doc()), Some(&Value::Int(2)));
    }

    #[test]
    fn an_item_is_selected_only_by_an_rfc_6901_index() {
        let mut d = json::parse(br#"[10,11,12]"#, 100).unwrap();
        let get = |d: &Value, p: &str| Pointer::parse(p).unwrap().get(d).cloned();
        assert_eq!(
            (get(&d, "/0"), get(&d, "/1"), get(&d, "/2")),
            (Some(Value::Int(10)), Some(Value::Int(11)), Some(Value::Int(12)))
        );
        for bad in ["/+1", "/01", "/00", "/-", "/-1", "/ 1", "/1 ", "/1.0", "/", "/99999999999999999999999", "/٣"] {
            assert_eq!(get(&d, bad), None, "{bad:?}");
            assert_eq!(Pointer::parse(bad).unwrap().take(&mut d), None, "{bad:?}");
        }
        assert_eq!(d, json::parse(br#"[10,11,12]"#, 100).unwrap());
    }

    #[test]
    fn take_leaves_null() {
        let mut d = doc();
        let p = Pointer::parse("/a/z").unwrap();
        assert_eq!(p.take(&mut d), Some(Value::Int(2)));
        assert_eq!(p.get(&d), Some(&Value::Null));
    }

    #[test]
    fn rejects_what_is_not_a_pointer() {
        assert!(Pointer::parse("links/next").unwrap_err().contains("must be \"\" or start with \"/\""));
        assert!(Pointer::parse("/a~2").unwrap_err().contains("~"));
        assert!(Pointer::parse("/a~").is_err());
        assert_eq!(Pointer::parse("/a/b").unwrap().depth(), 2);
        assert!(Pointer::parse("").unwrap().is_root());
    }
}
