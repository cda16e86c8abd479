//! An event in the shape Ceilometer's `http` publisher posts it
//! (`Event.serialize()` through `jsonutils.dumps`), from the Panko-shaped
//! event the look-alike stores.

use serde_json::{json, Value};

/// Ceilometer's trait dtypes (`ceilometer.event.models.Trait`).
const TEXT: u8 = 1;
const INT: u8 = 2;
const FLOAT: u8 = 3;
const DATETIME: u8 = 4;

/// `{"message_id", "event_type", "generated", "traits": [[name, dtype,
/// value], …], "raw": {}}`: integers and floats as JSON numbers, datetimes
/// and text as strings (a number that does not parse goes as text).
pub fn from_panko(event: &Value) -> Value {
    let traits: Vec<Value> = event["traits"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| {
            let name = t["name"].as_str()?;
            let text = match &t["value"] {
                Value::String(s) => s.clone(),
                Value::Null => return None,
                other => other.to_string(),
            };
            let typed = match t["type"].as_str().unwrap_or("string") {
                "integer" => text.parse::<i64>().ok().map(|n| (INT, json!(n))),
                "float" => text.parse::<f64>().ok().filter(|f| f.is_finite()).map(|f| (FLOAT, json!(f))),
                "datetime" => Some((DATETIME, json!(text))),
                _ => None,
            };
            let (dtype, value) = typed.unwrap_or((TEXT, json!(text)));
            Some(json!([name, dtype, value]))
        })
        .collect();
    json!({
        "message_id": event["message_id"],
        "event_type": event["event_type"],
        "generated": event["generated"],
        "traits": traits,
        "raw": event.get("raw").cloned().unwrap_or_else(|| json!({})),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traits_become_name_dtype_value_triples() {
        let panko = json!({"message_id": "m1", "event_type": "compute.instance.create.end",
            "generated": "2026-12-01T10:00:00.000001", "raw": {},
            "traits": [{"name": "tenant_id", "type": "string", "value": "t1"},
                       {"name": "memory_mb", "type": "integer", "value": "2048"},
                       {"name": "load", "type": "float", "value": "0.5"},
                       {"name": "launched_at", "type": "datetime", "value": "2026-12-01T09:59:58.000000"},
                       {"name": "odd", "type": "integer", "value": "many"}]});
        assert_eq!(
            from_panko(&panko),
            json!({"message_id": "m1", "event_type": "compute.instance.create.end",
                   "generated": "2026-12-01T10:00:00.000001", "raw": {},
                   "traits": [["tenant_id", 1, "t1"], ["memory_mb", 2, 2048], ["load", 3, 0.5],
                              ["launched_at", 4, "2026-12-01T09:59:58.000000"], ["odd", 1, "many"]]})
        );
    }
}
