//! The event store: events kept sorted by (generated, message_id), served
//! with Panko v2's filters, visibility and keyset paging.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDateTime};
use serde_json::{json, Value};

pub struct Stored {
    pub at: NaiveDateTime,
    pub id: String,
    pub event_type: String,
    pub project: Option<String>,
    pub traits: Vec<(String, String)>,
    /// The event, serialized once.
    pub json: String,
    /// Its place in arrival order, from 1 (a replaced event arrives anew).
    pub seq: u64,
}

#[derive(Default)]
pub struct Store {
    events: Vec<Stored>,
    times: HashMap<String, NaiveDateTime>,
    /// Events inserted since the last clear.
    arrived: u64,
}

/// A parsed `/v2/events` query.
#[derive(Default, Debug)]
pub struct Query {
    pub start: Option<NaiveDateTime>,
    pub end: Option<NaiveDateTime>,
    pub event_type: Option<String>,
    pub message_id: Option<String>,
    pub all_tenants: bool,
    pub traits: Vec<(String, String)>,
    pub limit: usize,
    pub marker: Option<String>,
}

pub fn parse_time(text: &str) -> Option<NaiveDateTime> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.naive_utc());
    }
    ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
}

pub fn format_time(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6f").to_string()
}

impl Query {
    /// Builds a query from `(field, op, value)` filters plus limit, marker.
    pub fn build(
        filters: Vec<(String, String, String)>,
        limit: Option<&str>,
        marker: Option<String>,
        default_limit: usize,
    ) -> Result<Query, String> {
        let mut q = Query { marker, ..Query::default() };
        for (field, op, value) in filters {
            let time = |v: &str| parse_time(v).ok_or_else(|| format!("Invalid timestamp for {field}: {v:?}"));
            match field.as_str() {
                "start_timestamp" => {
                    if op != "ge" {
                        return Err(format!("Operator {op} is not supported for start_timestamp; only ge"));
                    }
                    if !value.is_empty() {
                        q.start = Some(time(&value)?);
                    }
                }
                "end_timestamp" => {
                    if op != "le" {
                        return Err(format!("Operator {op} is not supported for end_timestamp; only le"));
                    }
                    if !value.is_empty() {
                        q.end = Some(time(&value)?);
                    }
                }
                "event_type" | "message_id" => {
                    if op != "eq" {
                        return Err(format!("Operator {op} is not supported for {field}; only eq"));
                    }
                    if field == "event_type" {
                        q.event_type = Some(value);
                    } else {
                        q.message_id = Some(value);
                    }
                }
                "all_tenants" => q.all_tenants = value.eq_ignore_ascii_case("true"),
                _ => {
                    if op != "eq" {
                        return Err(format!("Operator {op} is not supported for trait {field}"));
                    }
                    q.traits.push((field, value));
                }
            }
        }
        q.limit = match limit {
            None => default_limit,
            Some(text) => match text.parse::<usize>() {
                Ok(n) if n > 0 => n,
                _ => return Err(format!("Limit must be positive: {text:?}")),
            },
        };
        Ok(q)
    }
}

impl Store {
    pub fn len(&self) -> usize {
        self.events.len()
    }

    pub fn clear(&mut self) {
        self.events.clear();
        self.times.clear();
        self.arrived = 0;
    }

    /// Inserts one Panko-shaped event; replaces one with the same id.
    pub fn insert(&mut self, mut event: Value, fallback_id: impl FnOnce() -> String) -> Result<(), String> {
        let obj = event.as_object_mut().ok_or("an event must be a JSON object")?;
        let id = match obj.get("message_id").and_then(Value::as_str) {
            Some(id) => id.to_owned(),
            None => {
                let id = fallback_id();
                obj.insert("message_id".into(), json!(id));
                id
            }
        };
        let generated = obj.get("generated").and_then(Value::as_str).ok_or("an event needs generated")?;
        let at = parse_time(generated).ok_or_else(|| format!("generated {generated:?} is not a timestamp"))?;
        let event_type = obj.get("event_type").and_then(Value::as_str).unwrap_or_default().to_owned();
        obj.entry("traits").or_insert_with(|| json!([]));
        obj.entry("raw").or_insert_with(|| json!({}));
        let mut traits = Vec::new();
        if let Some(list) = obj.get("traits").and_then(Value::as_array) {
            for t in list {
                if let (Some(n), Some(v)) = (t.get("name").and_then(Value::as_str), t.get("value")) {
                    let v = v.as_str().map(str::to_owned).unwrap_or_else(|| v.to_string());
                    traits.push((n.to_owned(), v));
                }
            }
        }
        let project = traits.iter().find(|(n, _)| n == "project_id").map(|(_, v)| v.clone());
        let json = serde_json::to_string(&event).map_err(|e| e.to_string())?;
        if let Some(old) = self.times.remove(&id) {
            let pos = self.position(old, &id);
            if self.events.get(pos).is_some_and(|e| e.id == id) {
                self.events.remove(pos);
            }
        }
        let pos = self.position(at, &id);
        self.times.insert(id.clone(), at);
        self.arrived += 1;
        self.events.insert(pos, Stored { at, id, event_type, project, traits, json, seq: self.arrived });
        Ok(())
    }

    /// First index whose (at, id) is not below the given key.
    fn position(&self, at: NaiveDateTime, id: &str) -> usize {
        self.events.partition_point(|e| (e.at, e.id.as_str()) < (at, id))
    }

    /// The events stamped at or after `start`, after the one with id
    /// `after` (keyset, as Panko's marker), in order.
    pub fn from(
        &self,
        start: Option<NaiveDateTime>,
        after: Option<&str>,
    ) -> Result<std::slice::Iter<'_, Stored>, String> {
        let mut index = match after {
            Some(id) => {
                let at = *self.times.get(id).ok_or_else(|| format!("Invalid marker {id}"))?;
                self.position(at, id) + 1
            }
            None => 0,
        };
        if let Some(start) = start {
            index = index.max(self.events.partition_point(|e| e.at < start));
        }
        Ok(self.events[index.min(self.events.len())..].iter())
    }

    /// The events that arrived after the `after`-th, stamped at or after
    /// `start`, in arrival order.
    pub fn arrived_after(&self, after: u64, start: Option<NaiveDateTime>) -> Vec<&Stored> {
        let mut found: Vec<&Stored> =
            self.events.iter().filter(|e| e.seq > after && start.is_none_or(|s| e.at >= s)).collect();
        found.sort_by_key(|e| e.seq);
        found
    }

    /// The JSON array of events for `q`, as seen by a token of `project`
    /// (`None`: sees everything).
    pub fn page(&self, q: &Query, project: Option<&str>) -> Result<String, String> {
        let mut index = match &q.marker {
            Some(marker) => {
                let at = *self.times.get(marker).ok_or_else(|| format!("Invalid marker {marker}"))?;
                self.position(at, marker) + 1
            }
            None => 0,
        };
        if let Some(start) = q.start {
            index = index.max(self.events.partition_point(|e| e.at < start));
        }
        let mut out = String::from("[");
        let mut count = 0;
        for e in &self.events[index.min(self.events.len())..] {
            if count >= q.limit {
                break;
            }
            if q.end.is_some_and(|end| e.at > end) {
                break;
            }
            if q.event_type.as_ref().is_some_and(|t| *t != e.event_type)
                || q.message_id.as_ref().is_some_and(|m| *m != e.id)
                || !q.traits.iter().all(|(n, v)| e.traits.iter().any(|(tn, tv)| tn == n && tv == v))
            {
                continue;
            }
            let visible = q.all_tenants || project.is_none() || e.project.is_none() || e.project.as_deref() == project;
            if !visible {
                continue;
            }
            if count > 0 {
                out.push(',');
            }
            out.push_str(&e.json);
            count += 1;
        }
        out.push(']');
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(id: &str, at: &str, project: Option<&str>) -> Value {
        let mut traits = vec![];
        if let Some(p) = project {
            traits.push(json!({"name": "project_id", "type": "string", "value": p}));
        }
        json!({"message_id": id, "event_type": "t", "generated": at, "traits": traits})
    }

    fn ids(page: &str) -> Vec<String> {
        serde_json::from_str::<Vec<Value>>(page)
            .unwrap()
            .iter()
            .map(|e| e["message_id"].as_str().unwrap().to_owned())
            .collect()
    }

    #[test]
    fn marker_paging_over_one_timestamp_returns_each_once() {
        let mut s = Store::default();
        for i in 0..5000 {
            s.insert(ev(&format!("m{i:05}"), "2026-01-01T00:00:00", None), String::new).unwrap();
        }
        let mut seen = Vec::new();
        let mut marker = None;
        loop {
            let q = Query { limit: 100, marker: marker.clone(), ..Query::default() };
            let page = ids(&s.page(&q, None).unwrap());
            if page.is_empty() {
                break;
            }
            marker = page.last().cloned();
            seen.extend(page);
        }
        assert_eq!(seen.len(), 5000);
        seen.dedup();
        assert_eq!(seen.len(), 5000);
    }

    #[test]
    fn start_filter_and_visibility() {
        let mut s = Store::default();
        s.insert(ev("a", "2026-01-01T00:00:00", Some("p1")), String::new).unwrap();
        s.insert(ev("b", "2026-01-01T00:00:05", Some("p2")), String::new).unwrap();
        s.insert(ev("c", "2026-01-01T00:00:06", None), String::new).unwrap();
        let q =
            Query::build(vec![("start_timestamp".into(), "ge".into(), "2026-01-01T00:00:01Z".into())], None, None, 100)
                .unwrap();
        assert_eq!(ids(&s.page(&q, Some("p1")).unwrap()), vec!["c"]);
        let q = Query::build(vec![("all_tenants".into(), "eq".into(), "True".into())], Some("10"), None, 100).unwrap();
        assert_eq!(ids(&s.page(&q, Some("p1")).unwrap()), vec!["a", "b", "c"]);
        assert!(Query::build(vec![("start_timestamp".into(), "gt".into(), "x".into())], None, None, 100).is_err());
        assert!(Query::build(vec![], Some("0"), None, 100).is_err());
        assert!(s.page(&Query { marker: Some("zz".into()), limit: 1, ..Query::default() }, None).is_err());
    }

    #[test]
    fn timestamps_with_and_without_zone() {
        assert_eq!(parse_time("2026-01-01T00:00:00Z"), parse_time("2026-01-01T00:00:00.000000"));
        assert_eq!(parse_time("2026-01-01T02:00:00+02:00"), parse_time("2026-01-01 00:00:00"));
        assert!(parse_time("nope").is_none());
    }
}
