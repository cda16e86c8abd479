//! A GitHub-style JSON events API over the store, to exercise the
//! monitor's politeness: `GET /json/gh?since=ISO&per_page=N&page=P` serves
//! the store oldest first as a JSON array of the generic records (pages
//! from 1, `per_page` 30 by default, at most 100), with
//! - `Link: <…page=P+1>; rel="next"` while pages are full;
//! - `ETag` on every answer (a hash of the body), and `304` without a body
//!   when `If-None-Match` names it;
//! - `X-Poll-Interval: <s>` when `gh_poll_interval` is set;
//! - `X-RateLimit-Limit/Remaining/Reset` when `gh_rate_limit` is set: that
//!   many requests per `gh_rate_window` seconds (a 304 is free, as on
//!   GitHub), then `403 {"message": "API rate limit exceeded"}` with
//!   Remaining 0 until the reset (a Unix epoch second) passes.
//!
//! It demands `Authorization: Bearer <token>` (the `token` setting).
//! Settings come with `POST /_control/config`.

use chrono::Utc;
use hyper::HeaderMap;
use serde_json::{json, Value};

use crate::generic;
use crate::store::{format_time, Store, Stored};

/// The dialect's settings (`gh_rate_limit`, `gh_rate_window`,
/// `gh_poll_interval`; `gzip` is the look-alike's, for every `/json/`
/// answer).
#[derive(Clone, Debug)]
pub struct GhSettings {
    pub rate_limit: Option<u64>,
    pub rate_window: u64,
    pub poll_interval: Option<u64>,
    /// Every `/json/` answer gzip-encoded when the request accepts it.
    pub gzip: bool,
}

impl Default for GhSettings {
    fn default() -> Self {
        GhSettings { rate_limit: None, rate_window: 60, poll_interval: None, gzip: false }
    }
}

impl GhSettings {
    /// Takes the keys of a `config` control body that concern it (`null`
    /// turns a limit or interval off).
    pub fn apply(&mut self, input: &Value) {
        let optional = |key: &str, into: &mut Option<u64>| match &input[key] {
            Value::Null if input.get(key).is_none() => {}
            v => *into = v.as_u64(),
        };
        optional("gh_rate_limit", &mut self.rate_limit);
        optional("gh_poll_interval", &mut self.poll_interval);
        if let Some(v) = input["gh_rate_window"].as_u64() {
            self.rate_window = v.max(1);
        }
        if let Some(v) = input["gzip"].as_bool() {
            self.gzip = v;
        }
    }
}

/// The requests left in the current window.
#[derive(Default, Debug)]
pub struct Budget {
    remaining: u64,
    /// Unix epoch second the window ends; 0: none started.
    reset_at: i64,
}

/// A status, a body and the headers to send.
pub struct GhAnswer {
    pub status: u16,
    pub body: String,
    pub headers: Vec<(&'static str, String)>,
}

fn message(status: u16, text: &str) -> GhAnswer {
    GhAnswer { status, body: json!({"message": text}).to_string(), headers: Vec::new() }
}

/// Answers one request to `/json/gh`.
pub fn answer(
    store: &Store,
    settings: &GhSettings,
    token: &str,
    budget: &mut Budget,
    headers: &HeaderMap,
    params: &[(String, String)],
) -> GhAnswer {
    let bearer = headers.get("authorization").and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
    if bearer != Some(token) {
        return message(401, "Requires authentication");
    }
    let mut limits = Vec::new();
    if let Some(limit) = settings.rate_limit {
        let now = Utc::now().timestamp();
        if now >= budget.reset_at {
            *budget = Budget { remaining: limit, reset_at: now + settings.rate_window as i64 };
        }
        limits.push(("X-RateLimit-Limit", limit.to_string()));
        limits.push(("X-RateLimit-Reset", budget.reset_at.to_string()));
        if budget.remaining == 0 {
            let mut refused = message(403, "API rate limit exceeded");
            refused.headers = limits;
            refused.headers.push(("X-RateLimit-Remaining", "0".into()));
            return refused;
        }
    }
    let mut answer = page(store, params).unwrap_or_else(|e| e);
    if answer.status == 200 {
        let etag = etag(&answer.body);
        if matches(headers, &etag) {
            answer = GhAnswer { status: 304, body: String::new(), headers: Vec::new() };
        } else if settings.rate_limit.is_some() {
            budget.remaining -= 1;
        }
        answer.headers.push(("ETag", etag));
    }
    if settings.rate_limit.is_some() {
        limits.push(("X-RateLimit-Remaining", budget.remaining.to_string()));
    }
    answer.headers.extend(limits);
    if let Some(seconds) = settings.poll_interval {
        answer.headers.push(("X-Poll-Interval", seconds.to_string()));
    }
    answer
}

fn page(store: &Store, params: &[(String, String)]) -> Result<GhAnswer, GhAnswer> {
    let number = |name: &str, default: usize| match generic::param(params, name) {
        None => Ok(default),
        Some(text) => text.parse::<usize>().ok().filter(|n| *n > 0).ok_or_else(|| message(422, &format!("bad {name}"))),
    };
    let (per_page, page) = (number("per_page", 30)?.min(100), number("page", 1)?);
    let since = generic::since(params, false).map_err(|_| message(422, "bad since"))?;
    let rows: Vec<&Stored> = store
        .from(since, None)
        .map_err(|m| message(422, &m))?
        .skip((page - 1).saturating_mul(per_page))
        .take(per_page)
        .collect();
    let mut headers = Vec::new();
    if rows.len() == per_page {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        if let Some(s) = since {
            q.append_pair("since", &format_time(s));
        }
        q.append_pair("per_page", &per_page.to_string()).append_pair("page", &(page + 1).to_string());
        headers.push(("Link", format!("</json/gh?{}>; rel=\"next\"", q.finish())));
    }
    let records: Vec<Value> = rows.iter().map(|e| generic::record(e, false)).collect();
    Ok(GhAnswer { status: 200, body: Value::Array(records).to_string(), headers })
}

/// A strong entity tag: the body's FNV-1a hash.
fn etag(body: &str) -> String {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in body.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    format!("\"{h:016x}\"")
}

/// Whether `If-None-Match` names `etag` (or is `*`), weak or strong.
fn matches(headers: &HeaderMap, etag: &str) -> bool {
    headers.get_all("if-none-match").iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(',')).any(|tag| {
        let tag = tag.trim();
        tag == "*" || tag.strip_prefix("W/").unwrap_or(tag) == etag
    })
}
