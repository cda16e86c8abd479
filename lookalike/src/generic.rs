//! A generic JSON events API over the same store, for the generic JSON
//! source of the monitor: records carry their fields under other names than
//! Panko's (`id`, `type`, `time`, `data`), an event whose id starts with
//! `noid-` is served without an id, one with an empty event type without
//! `type`. Three shapes:
//! - `GET /json/events?since=ISO&limit=N&after=ID`: `{"events": [...],
//!   "links": {"next": "/json/events?…&after=<last id>"}}`, `next` null on
//!   a short page;
//! - `GET /json/ndjson?since=MS&limit=N`: one record a line, `time` in Unix
//!   milliseconds, no paging;
//! - `GET /json/link?since=ISO&limit=N&page=P`: a JSON array, pages from 1,
//!   `Link: <…page=P+1>; rel="next"` while pages are full; `offset=K`
//!   instead of `page` skips K records;
//! - `GET /json/os-events?since=ISO&limit=N&marker=ID`: OpenStack's list
//!   shape, `{"events": [...], "events_links": [{"rel": "next", "href":
//!   <absolute URL with marker>}]}` while pages are full;
//! - `GET /json/items?since=ISO&limit=N&continue=TOKEN`: token paging,
//!   `{"items": [...], "continue": "<opaque token>"}`, `""` on a short page;
//! - `GET /json/ndjson-seq?after=N&limit=N&since=MS`: NDJSON as
//!   `/json/ndjson`, in arrival order, each record with `"seq"`, its
//!   1-based place in arrival order (an increasing id), only those with
//!   `seq` above `after`;
//! - `GET /json/feed?cursor=T&limit=N`: a change feed in arrival order,
//!   `{"records": [...], "cursor": "<opaque token>"}`, the token asking for
//!   what comes after this page, present on every page (the same one again
//!   when nothing came).
//! - `POST /json/search` with the header `X-Tenant: demo` and a JSON body
//!   `{"filter": {"since": "ISO"}, "size": N, "page": P}` (`filter.since`
//!   optional; `size` and `page` JSON numbers, pages from 1, `page`
//!   optional): `{"results": [...], "total": <events at or after since>}`.
//!   A missing or other `X-Tenant`, or a body not so shaped, answers 400
//!   with a message saying what is wrong — the first echoing the request's
//!   headers, as a careless service does.
//!
//! Authentication as `/v2/events` demands it when the auth mode set with
//! `/_control/config` is other than `keystone` (none then; the search's
//! tenant header is its own). A body queued with `/_control/raw_events`
//! answers the next request here too.

use chrono::NaiveDateTime;
use serde_json::{json, Map, Value};

use crate::store::{format_time, parse_time, Store, Stored};

/// What one generic request comes to: status, body, an optional `Link`.
pub struct Answer {
    pub status: u16,
    pub body: String,
    pub link: Option<String>,
}

fn error(status: u16, message: &str) -> Answer {
    Answer { status, body: json!({"error": message}).to_string(), link: None }
}

pub(crate) fn record(e: &Stored, millis: bool) -> Value {
    let mut r = Map::new();
    if !e.id.starts_with("noid-") {
        r.insert("id".into(), json!(e.id));
    }
    if !e.event_type.is_empty() {
        r.insert("type".into(), json!(e.event_type));
    }
    let time = if millis { json!(e.at.and_utc().timestamp_millis()) } else { json!(format!("{}Z", format_time(e.at))) };
    r.insert("time".into(), time);
    let data: Map<String, Value> = e.traits.iter().map(|(n, v)| (n.clone(), json!(v))).collect();
    r.insert("data".into(), Value::Object(data));
    Value::Object(r)
}

pub(crate) fn param<'p>(params: &'p [(String, String)], name: &str) -> Option<&'p str> {
    params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

fn limit(params: &[(String, String)]) -> Result<usize, Answer> {
    match param(params, "limit") {
        None => Ok(100),
        Some(text) => text.parse::<usize>().ok().filter(|n| *n > 0).ok_or_else(|| error(400, "bad limit")),
    }
}

pub(crate) fn since(params: &[(String, String)], millis: bool) -> Result<Option<NaiveDateTime>, Answer> {
    let Some(text) = param(params, "since") else { return Ok(None) };
    let at = if millis {
        text.parse::<i64>().ok().and_then(chrono::DateTime::from_timestamp_millis).map(|t| t.naive_utc())
    } else {
        parse_time(text)
    };
    at.map(Some).ok_or_else(|| error(400, &format!("bad since {text:?}")))
}

/// The events at or after `since`, after the one with id `after`.
fn select<'s>(
    store: &'s Store,
    since: Option<NaiveDateTime>,
    after: Option<&str>,
) -> Result<impl Iterator<Item = &'s Stored>, Answer> {
    store.from(since, after).map_err(|m| error(400, &m))
}

pub fn answer(store: &Store, base: &str, path: &str, params: &[(String, String)]) -> Answer {
    match path {
        "/json/events" => events(store, params).unwrap_or_else(|e| e),
        "/json/ndjson" => ndjson(store, params).unwrap_or_else(|e| e),
        "/json/link" => linked(store, params).unwrap_or_else(|e| e),
        "/json/os-events" => openstack(store, base, params).unwrap_or_else(|e| e),
        "/json/items" => tokens(store, params).unwrap_or_else(|e| e),
        "/json/ndjson-seq" => ndjson_seq(store, params).unwrap_or_else(|e| e),
        "/json/feed" => feed(store, params).unwrap_or_else(|e| e),
        _ => error(404, &format!("no route for {path}")),
    }
}

fn events(store: &Store, params: &[(String, String)]) -> Result<Answer, Answer> {
    let (limit, since) = (limit(params)?, since(params, false)?);
    let rows: Vec<&Stored> = select(store, since, param(params, "after"))?.take(limit).collect();
    let next = match rows.last() {
        Some(last) if rows.len() == limit => {
            let mut q = url::form_urlencoded::Serializer::new(String::new());
            if let Some(s) = since {
                q.append_pair("since", &format_time(s));
            }
            q.append_pair("limit", &limit.to_string()).append_pair("after", &last.id);
            json!(format!("/json/events?{}", q.finish()))
        }
        _ => Value::Null,
    };
    let records: Vec<Value> = rows.iter().map(|e| record(e, false)).collect();
    Ok(Answer { status: 200, body: json!({"events": records, "links": {"next": next}}).to_string(), link: None })
}

fn ndjson(store: &Store, params: &[(String, String)]) -> Result<Answer, Answer> {
    let (limit, since) = (limit(params)?, since(params, true)?);
    let mut body = String::new();
    for e in select(store, since, None)?.take(limit) {
        body.push_str(&record(e, true).to_string());
        body.push('\n');
    }
    Ok(Answer { status: 200, body, link: None })
}

fn linked(store: &Store, params: &[(String, String)]) -> Result<Answer, Answer> {
    let (limit, since) = (limit(params)?, since(params, false)?);
    let page = match param(params, "page") {
        None => 1,
        Some(p) => p.parse::<usize>().ok().filter(|n| *n > 0).ok_or_else(|| error(400, "bad page"))?,
    };
    let skip = match param(params, "offset") {
        None => (page - 1) * limit,
        Some(o) => o.parse::<usize>().map_err(|_| error(400, "bad offset"))?,
    };
    let rows: Vec<&Stored> = select(store, since, None)?.skip(skip).take(limit).collect();
    let link = (rows.len() == limit).then(|| {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        if let Some(s) = since {
            q.append_pair("since", &format_time(s));
        }
        q.append_pair("limit", &limit.to_string()).append_pair("page", &(page + 1).to_string());
        format!("</json/link?{}>; rel=\"next\", </json/link?limit={limit}&page=1>; rel=\"first\"", q.finish())
    });
    let records: Vec<Value> = rows.iter().map(|e| record(e, false)).collect();
    Ok(Answer { status: 200, body: Value::Array(records).to_string(), link })
}

fn openstack(store: &Store, base: &str, params: &[(String, String)]) -> Result<Answer, Answer> {
    let (limit, since) = (limit(params)?, since(params, false)?);
    let rows: Vec<&Stored> = select(store, since, param(params, "marker"))?.take(limit).collect();
    let mut links = Vec::new();
    if let Some(last) = rows.last().filter(|_| rows.len() == limit) {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        if let Some(s) = since {
            q.append_pair("since", &format_time(s));
        }
        q.append_pair("limit", &limit.to_string()).append_pair("marker", &last.id);
        links.push(json!({"rel": "self", "href": format!("{base}/json/os-events")}));
        links.push(json!({"rel": "next", "href": format!("{base}/json/os-events?{}", q.finish())}));
    }
    let records: Vec<Value> = rows.iter().map(|e| record(e, false)).collect();
    Ok(Answer { status: 200, body: json!({"events": records, "events_links": links}).to_string(), link: None })
}

/// An opaque continue token: the last id, hex-encoded.
fn encode(id: &str) -> String {
    id.bytes().map(|b| format!("{b:02x}")).collect()
}

fn decode(token: &str) -> Option<String> {
    let bytes: Option<Vec<u8>> =
        (0..token.len()).step_by(2).map(|i| token.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok())).collect();
    String::from_utf8(bytes?).ok()
}

fn tokens(store: &Store, params: &[(String, String)]) -> Result<Answer, Answer> {
    let (limit, since) = (limit(params)?, since(params, false)?);
    let after = match param(params, "continue") {
        None => None,
        Some(t) => Some(decode(t).ok_or_else(|| error(400, "bad continue token"))?),
    };
    let rows: Vec<&Stored> = select(store, since, after.as_deref())?.take(limit).collect();
    let token = match rows.last() {
        Some(last) if rows.len() == limit => encode(&last.id),
        _ => String::new(),
    };
    let records: Vec<Value> = rows.iter().map(|e| record(e, false)).collect();
    Ok(Answer { status: 200, body: json!({"items": records, "continue": token}).to_string(), link: None })
}

fn ndjson_seq(store: &Store, params: &[(String, String)]) -> Result<Answer, Answer> {
    let (limit, since) = (limit(params)?, since(params, true)?);
    let after = match param(params, "after") {
        None => 0,
        Some(a) => a.parse::<u64>().map_err(|_| error(400, &format!("bad after {a:?}")))?,
    };
    let mut body = String::new();
    for e in store.arrived_after(after, since).into_iter().take(limit) {
        let mut r = record(e, true);
        r["seq"] = json!(e.seq);
        body.push_str(&r.to_string());
        body.push('\n');
    }
    Ok(Answer { status: 200, body, link: None })
}

/// A change-feed cursor: the last place in arrival order read, opaque.
fn feed_token(seq: u64) -> String {
    encode(&format!("feed-{seq}"))
}

fn feed(store: &Store, params: &[(String, String)]) -> Result<Answer, Answer> {
    let limit = limit(params)?;
    let after = match param(params, "cursor") {
        None => 0,
        Some(t) => decode(t)
            .and_then(|text| text.strip_prefix("feed-").and_then(|n| n.parse::<u64>().ok()))
            .ok_or_else(|| error(400, "bad cursor"))?,
    };
    let rows: Vec<&Stored> = store.arrived_after(after, None).into_iter().take(limit).collect();
    let last = rows.last().map_or(after, |e| e.seq);
    let records: Vec<Value> = rows.iter().map(|e| record(e, false)).collect();
    Ok(Answer { status: 200, body: json!({"records": records, "cursor": feed_token(last)}).to_string(), link: None })
}

/// `POST /json/search`: the query in a JSON body, a tenant header required.
pub fn search(store: &Store, headers: &hyper::HeaderMap, body: &[u8]) -> Answer {
    let tenant = headers.get("x-tenant").and_then(|v| v.to_str().ok());
    if tenant != Some("demo") {
        let got: Vec<String> =
            headers.iter().map(|(n, v)| format!("{n}: {}", String::from_utf8_lossy(v.as_bytes()))).collect();
        return error(400, &format!("header X-Tenant: demo is required; got {}", got.join(", ")));
    }
    let Ok(query) = serde_json::from_slice::<Value>(body) else {
        return error(400, "the body is not JSON");
    };
    let number = |name: &str, default: u64| match query.get(name) {
        None => Ok(default),
        Some(v) => v
            .as_u64()
            .filter(|n| *n > 0)
            .ok_or_else(|| error(400, &format!("{name} must be a positive JSON number, got {v}"))),
    };
    let (size, page) = match (number("size", 100), number("page", 1)) {
        (Ok(s), Ok(p)) => (s as usize, p as usize),
        (Err(e), _) | (_, Err(e)) => return e,
    };
    let since = match query.pointer("/filter/since") {
        None => None,
        Some(Value::String(text)) => match parse_time(text) {
            Some(at) => Some(at),
            None => return error(400, &format!("bad filter.since {text:?}")),
        },
        Some(other) => return error(400, &format!("filter.since must be a string, got {other}")),
    };
    let all = match select(store, since, None) {
        Ok(rows) => rows.collect::<Vec<&Stored>>(),
        Err(e) => return e,
    };
    let records: Vec<Value> =
        all.iter().skip((page - 1).saturating_mul(size)).take(size).map(|e| record(e, false)).collect();
    Answer { status: 200, body: json!({"results": records, "total": all.len()}).to_string(), link: None }
}
