//! The one Keystone domain the look-alike knows, as a v3 password auth body
//! names it: `{"id": "default"}` or `{"name": "Default"}` (absent: taken as
//! that domain).

use serde_json::Value;

/// The domain's id.
pub const ID: &str = "default";
/// The domain's name.
pub const NAME: &str = "Default";

/// Whether `domain` (a user's or a project's `"domain"` object) names the
/// known domain, by id or by name; an object giving both must have both
/// right, as Keystone resolves the id.
pub fn known(domain: &Value) -> bool {
    match domain {
        Value::Null => true,
        Value::Object(map) => {
            let id = map.get("id").and_then(Value::as_str);
            let name = map.get("name").and_then(Value::as_str);
            match (id, name) {
                (Some(id), Some(name)) => id == ID && name == NAME,
                (Some(id), None) => id == ID,
                (None, Some(name)) => name == NAME,
                (None, None) => false,
            }
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn by_id_or_by_name_only_the_default_domain() {
        assert!(known(&json!({"id": "default"})));
        assert!(known(&json!({"name": "Default"})));
        assert!(known(&Value::Null));
        assert!(!known(&json!({"id": "Default"})));
        assert!(!known(&json!({"name": "default"})));
        assert!(!known(&json!({"name": "Other"})));
        assert!(!known(&json!({"id": "default", "name": "Other"})));
        assert!(!known(&json!({})));
        assert!(!known(&json!("default")));
    }
}
