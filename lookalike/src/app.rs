//! Routing, Keystone, the Panko endpoint, the control API and faults.

use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasher, Hasher};
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use chrono::Utc;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::{Body, Frame, Incoming};
use hyper::{Request, Response};
use serde_json::{json, Value};

use crate::auth::{self, AuthSettings, OAuthTokens};
use crate::store::{self, Query, Store};

type Reply = Response<BoxBody<Bytes, std::io::Error>>;

fn full(bytes: impl Into<Bytes>) -> BoxBody<Bytes, std::io::Error> {
    Full::new(bytes.into()).map_err(|never| match never {}).boxed()
}

/// A body that sends what it has, then fails: hyper drops the connection
/// mid-body, as a crashing or restarting service would.
struct CutShort {
    data: Option<Bytes>,
}

impl Body for CutShort {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        Poll::Ready(Some(match self.data.take() {
            Some(data) => Ok(Frame::data(data)),
            None => Err(std::io::Error::new(std::io::ErrorKind::ConnectionReset, "cut short on purpose")),
        }))
    }
}

/// A 200 whose chunked body never ends: `[` then event after event, until
/// the client goes away (or the look-alike's lifetime ends).
struct Endless {
    started: bool,
    chunk: Bytes,
}

impl Endless {
    fn new() -> Self {
        let row = r#"{"message_id":"x","event_type":"compute.instance.exists","generated":"2026-01-01T00:00:00.000000","traits":[],"raw":{}},"#;
        Endless { started: false, chunk: Bytes::from(row.repeat(64 * 1024 / row.len())) }
    }
}

impl Body for Endless {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        let data = if self.started { self.chunk.clone() } else { Bytes::from_static(b"[") };
        self.started = true;
        Poll::Ready(Some(Ok(Frame::data(data))))
    }
}

#[derive(Clone)]
pub struct Settings {
    pub require_auth: bool,
    pub token_ttl: u64,
    pub username: String,
    pub password: String,
    pub catalog: Vec<String>,
    pub projects: Vec<String>,
    pub default_limit: usize,
    /// Roles of the tokens issued: `admin`, else `member`; a non-admin's
    /// `all_tenants` is a trait filter that matches nothing, as in Panko 10.
    pub admin: bool,
    /// How it pages, to play services other than Panko:
    /// serve every page as if no `marker` was sent,
    pub ignore_marker: bool,
    /// answer 400 to any request carrying `marker` (Ceilometer's own v2
    /// events API has no such argument),
    pub reject_marker: bool,
    /// and hold every page to at most this many rows whatever `limit` asks.
    pub max_limit: Option<usize>,
    /// The events API played: Panko's, or Ceilometer's own v2 one.
    pub dialect: Dialect,
    /// The credentials `/v2/events` demands when not Keystone's.
    pub auth: AuthSettings,
    /// The GitHub-style dialect (`/json/gh`) and gzip for `/json/`.
    pub github: crate::github::GhSettings,
}

/// Which OpenStack events API `/v2/events` plays.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    /// Panko v2: `q` filters, `limit`, `marker`, `all_tenants`.
    Panko,
    /// Ceilometer's v2 events API (`metering` in the catalog), which Panko
    /// was split from: its `get_all` takes only `q` and `limit`, so WSME
    /// answers 400 "Unknown argument" to anything else (`marker`, `sort`);
    /// `all_tenants` is no special field there but a trait filter, which no
    /// event matches; an admin sees its own project's events and those
    /// without a project, as here.
    Ceilometer,
}

impl Dialect {
    fn named(name: &str) -> Option<Dialect> {
        match name {
            "panko" => Some(Dialect::Panko),
            "ceilometer" => Some(Dialect::Ceilometer),
            _ => None,
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            require_auth: true,
            token_ttl: 3600,
            username: "admin".into(),
            password: "secret".into(),
            catalog: vec!["event".into()],
            projects: vec!["admin".into(), "services".into(), "demo".into()],
            default_limit: 100,
            admin: true,
            ignore_marker: false,
            reject_marker: false,
            max_limit: None,
            dialect: Dialect::Panko,
            auth: AuthSettings::default(),
            github: crate::github::GhSettings::default(),
        }
    }
}

struct Token {
    /// Project name for a scoped token.
    project: Option<String>,
    expires: Instant,
    /// Whether it carries the admin role.
    admin: bool,
}

#[derive(Clone)]
struct Fault {
    path: String,
    count: u64,
    status: Option<u16>,
    retry_after: Option<String>,
    location: Option<String>,
    delay_ms: u64,
    truncate: bool,
    body: Option<String>,
    reset: bool,
    /// A 200 with a chunked body that never ends.
    endless: bool,
    /// The answer padded with whitespace to this many bytes (0: as is).
    pad_bytes: usize,
    /// An extra header of this many bytes (0: none).
    head_bytes: usize,
    /// A 400 whose error message echoes the request body, as a careless
    /// Keystone or proxy would.
    echo: bool,
    /// A 200 whose gzip body decodes to this many bytes (0: none).
    gzip_bomb: usize,
}

struct State {
    settings: Settings,
    store: Store,
    tokens: HashMap<String, Token>,
    oauth: OAuthTokens,
    faults: VecDeque<Fault>,
    raw_bodies: VecDeque<Bytes>,
    requests: Vec<Value>,
    /// Tokens revoked, still listed by `GET /_control/tokens`.
    revoked: Vec<String>,
    seq: u64,
    /// `/json/gh`'s rate limit budget.
    gh_budget: crate::github::Budget,
}

pub struct App {
    base: String,
    /// What the push publisher (`--push-to`) has done, for `GET /_control/pushed`.
    pushed: Arc<Mutex<crate::push_counts::PushCounts>>,
    /// `--cassette`: every request is answered from this recording.
    cassette: Option<crate::replay::Cassette>,
    initial: Settings,
    state: Mutex<State>,
}

pub fn project_id(name: &str) -> String {
    // FNV-1a, stable across runs
    let mut h: u64 = 0xcbf29ce484222325;
    for b in name.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    format!("{h:016x}{:016x}", h.rotate_left(17) ^ 0x9e3779b97f4a7c15)
}

fn random_hex() -> String {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(Instant::now().elapsed().as_nanos() ^ (std::process::id() as u128));
    let a = hasher.finish();
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(a);
    format!("{a:016x}{:016x}", hasher.finish())
}

fn reply(status: u16, body: impl Into<Bytes>) -> Reply {
    Response::builder()
        .status(status)
        .header("Content-Type", "application/json")
        .body(full(body))
        .unwrap_or_else(|_| Response::new(full(Bytes::new())))
}

fn json_reply(status: u16, value: Value) -> Reply {
    reply(status, value.to_string())
}

fn panko_error(status: u16, message: &str) -> Reply {
    json_reply(status, json!({"error_message": message}))
}

impl App {
    pub fn new(base: String, settings: Settings, cassette: Option<crate::replay::Cassette>) -> Self {
        App {
            base,
            pushed: Arc::default(),
            cassette,
            initial: settings.clone(),
            state: Mutex::new(State {
                settings,
                store: Store::default(),
                tokens: HashMap::new(),
                oauth: OAuthTokens::default(),
                faults: VecDeque::new(),
                raw_bodies: VecDeque::new(),
                requests: Vec::new(),
                revoked: Vec::new(),
                seq: 0,
                gh_budget: Default::default(),
            }),
        }
    }

    /// The push publisher's counts, shared with it.
    pub fn push_counts(&self) -> Arc<Mutex<crate::push_counts::PushCounts>> {
        Arc::clone(&self.pushed)
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn catalog(&self, kinds: &[String]) -> Value {
        let mut services = vec![service("identity", "keystone", &format!("{}/identity", self.base))];
        for kind in kinds {
            let (name, url) = match kind.as_str() {
                "event" => ("panko", self.base.clone()),
                "metering" => ("ceilometer", self.base.clone()),
                other => (other, format!("{}/{other}", self.base)),
            };
            services.push(service(kind, name, &url));
        }
        Value::Array(services)
    }
}

fn service(kind: &str, name: &str, url: &str) -> Value {
    let endpoints: Vec<Value> = ["public", "internal", "admin"]
        .iter()
        .map(|i| json!({"id": project_id(&format!("{kind}{i}")), "interface": i, "region": "RegionOne", "region_id": "RegionOne", "url": url}))
        .collect();
    json!({"type": kind, "name": name, "id": project_id(kind), "endpoints": endpoints})
}

pub async fn handle(app: Arc<App>, req: Request<Incoming>) -> Result<Reply, std::io::Error> {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let query = req.uri().query().unwrap_or_default().to_owned();
    let token = req.headers().get("x-auth-token").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let headers = req.headers().clone();
    let authorization = headers.get("authorization").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let body = match req.into_body().collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => Bytes::new(),
    };
    if let Some(rest) = path.strip_prefix("/_control/") {
        return Ok(control(&app, &method, rest, &body));
    }

    // log the request now, so a hanging one is visible; status comes later
    let params: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes()).into_owned().collect();
    let log_index = {
        let mut st = app.lock();
        st.requests.push(json!({"method": method.as_str(), "path": path, "query": query, "params": params, "token": token.is_some(), "authorization": authorization, "headers": headers.keys().map(|k| k.as_str()).collect::<Vec<_>>(), "body": logged_body(&body), "status": 0}));
        st.requests.len() - 1
    };
    if let Some(cassette) = &app.cassette {
        let answer = cassette.answer(method.as_str(), &path, &query);
        set_status(&app, log_index, answer.status);
        let mut builder = Response::builder().status(answer.status);
        for (name, value) in &answer.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        return Ok(builder.body(full(answer.body)).unwrap_or_else(|_| reply(500, "a recorded header is not valid")));
    }
    let kind = if path.ends_with("/v2/events") {
        "events"
    } else if path == "/oauth/token" {
        "oauth"
    } else if path.starts_with("/identity") || path.starts_with("/v3/") || path.starts_with("/v2.0/") {
        "keystone"
    } else {
        "other"
    };
    let fault = {
        let mut st = app.lock();
        match st.faults.front_mut() {
            Some(f) if f.path == "any" || f.path == kind => {
                f.count = f.count.saturating_sub(1);
                let fault = f.clone();
                if f.count == 0 {
                    st.faults.pop_front();
                }
                Some(fault)
            }
            _ => None,
        }
    };
    if let Some(f) = &fault {
        if f.delay_ms > 0 {
            tokio::time::sleep(Duration::from_millis(f.delay_ms)).await;
        }
    }
    let mut response = match &fault {
        Some(f) if f.reset => {
            // an error from the service makes hyper drop the connection unanswered
            set_status(&app, log_index, 0);
            return Err(std::io::Error::new(std::io::ErrorKind::ConnectionReset, "reset on purpose"));
        }
        Some(f) if f.status.is_some() || f.body.is_some() => {
            let status = f.status.unwrap_or(200);
            let body = f
                .body
                .clone()
                .unwrap_or_else(|| json!({"error_message": format!("injected fault {status}")}).to_string());
            let mut r = reply(status, body);
            if let Some(ra) = &f.retry_after {
                if let Ok(v) = ra.parse() {
                    r.headers_mut().insert("Retry-After", v);
                }
            }
            if let Some(location) = &f.location {
                if let Ok(v) = location.parse() {
                    r.headers_mut().insert("Location", v);
                }
            }
            if f.truncate {
                r = truncate(r).await;
            }
            r
        }
        Some(f) if f.truncate => {
            truncate(route(&app, &method, &path, &params, token.as_deref(), &headers, &body)).await
        }
        Some(f) if f.echo => {
            let echoed = format!("Invalid input for request body: {}", String::from_utf8_lossy(&body));
            if kind == "keystone" {
                json_reply(400, json!({"error": {"code": 400, "message": echoed, "title": "Bad Request"}}))
            } else {
                panko_error(400, &echoed)
            }
        }
        Some(f) if f.gzip_bomb > 0 => Response::builder()
            .status(200)
            .header("Content-Type", "application/json")
            .header("Content-Encoding", "gzip")
            .body(full(crate::gzip::bomb(f.gzip_bomb)))
            .unwrap_or_else(|_| Response::new(full(Bytes::new()))),
        Some(f) if f.endless => Response::builder()
            .status(200)
            .header("Content-Type", "application/json")
            .body(Endless::new().boxed())
            .unwrap_or_else(|_| Response::new(full(Bytes::new()))),
        _ => route(&app, &method, &path, &params, token.as_deref(), &headers, &body),
    };
    if let Some(f) = &fault {
        if f.pad_bytes > 0 {
            response = pad(response, f.pad_bytes).await;
        }
        if f.head_bytes > 0 {
            if let Ok(v) = hyper::header::HeaderValue::from_str(&"p".repeat(f.head_bytes)) {
                response.headers_mut().insert("X-Padding", v);
            }
        }
    }
    if path.starts_with("/json/")
        && fault.is_none()
        && app.lock().settings.github.gzip
        && crate::gzip::accepted(&headers)
    {
        response = gzipped(response).await;
    }
    set_status(&app, log_index, response.status().as_u16());
    response.headers_mut().insert("Connection", hyper::header::HeaderValue::from_static("keep-alive"));
    Ok(response)
}

fn set_status(app: &App, index: usize, status: u16) {
    if let Some(r) = app.lock().requests.get_mut(index) {
        r["status"] = json!(status);
    }
}

/// The same answer, its body followed by whitespace up to `size` bytes
/// (still valid JSON).
async fn pad(r: Reply, size: usize) -> Reply {
    let (mut parts, body) = r.into_parts();
    let mut bytes = body.collect().await.map(|b| b.to_bytes().to_vec()).unwrap_or_default();
    if bytes.len() < size {
        bytes.resize(size, b' ');
    }
    parts.headers.remove("Content-Length");
    Response::from_parts(parts, full(bytes))
}

/// The same answer gzip-encoded (one without a body as it is).
async fn gzipped(r: Reply) -> Reply {
    let (mut parts, body) = r.into_parts();
    let bytes = body.collect().await.map(|b| b.to_bytes()).unwrap_or_default();
    if bytes.is_empty() {
        return Response::from_parts(parts, full(bytes));
    }
    parts.headers.remove("Content-Length");
    parts.headers.insert("Content-Encoding", hyper::header::HeaderValue::from_static("gzip"));
    Response::from_parts(parts, full(crate::gzip::compress(&bytes)))
}

/// Sends the head with the full Content-Length, half the body, then drops
/// the connection.
async fn truncate(r: Reply) -> Reply {
    let (mut parts, body) = r.into_parts();
    let bytes = body.collect().await.map(|b| b.to_bytes()).unwrap_or_default();
    parts.headers.insert("Content-Length", (bytes.len().max(2) as u64).into());
    let half = bytes.slice(0..bytes.len() / 2);
    Response::from_parts(parts, CutShort { data: Some(half) }.boxed())
}

fn route(
    app: &App,
    method: &hyper::Method,
    path: &str,
    params: &[(String, String)],
    token: Option<&str>,
    headers: &hyper::HeaderMap,
    body: &Bytes,
) -> Reply {
    match (method.as_str(), path) {
        ("POST", "/oauth/token") => {
            let mut st = app.lock();
            let st = &mut *st;
            let (status, answer) = auth::token_endpoint(&st.settings.auth, &mut st.oauth, headers, body, random_hex());
            let mut r = json_reply(status, answer);
            if status == 401 {
                r.headers_mut().insert("WWW-Authenticate", hyper::header::HeaderValue::from_static("Basic"));
            }
            r.headers_mut().insert("Cache-Control", hyper::header::HeaderValue::from_static("no-store"));
            r
        }
        ("GET", "/v2/events") | ("GET", "/v2/events/") if app.lock().settings.auth.mode != "keystone" => {
            let checked = {
                let st = app.lock();
                auth::check(&st.settings.auth, &st.oauth, headers)
            };
            match checked {
                Ok(()) => events(app, params, None, true, body),
                Err(message) => {
                    let mut r = panko_error(401, &message);
                    r.headers_mut().insert("WWW-Authenticate", hyper::header::HeaderValue::from_static("Bearer"));
                    r
                }
            }
        }
        // Keystone under /identity, and at the root as a provider's
        // address:port/v3 reaches it
        ("POST", "/identity/v3/auth/tokens") | ("POST", "/v3/auth/tokens") => keystone_v3(app, body),
        ("POST", "/identity/v2.0/tokens") | ("POST", "/v2.0/tokens") => keystone_v2(app, body),
        ("GET", "/identity/v3/auth/projects") | ("GET", "/v3/auth/projects") => projects(app, token, "projects"),
        ("GET", "/identity/v2.0/tenants") | ("GET", "/v2.0/tenants") => projects(app, token, "tenants"),
        ("GET", "/v2/events") | ("GET", "/v2/events/") => events(app, params, token, false, body),
        ("POST", "/json/search") => {
            let st = app.lock();
            let answer = crate::generic::search(&st.store, headers, body);
            reply(answer.status, answer.body)
        }
        ("GET", "/json/gh") => {
            let mut st = app.lock();
            let st = &mut *st;
            let token = st.settings.auth.token.clone();
            let answer =
                crate::github::answer(&st.store, &st.settings.github, &token, &mut st.gh_budget, headers, params);
            let mut r = reply(answer.status, answer.body);
            for (name, value) in answer.headers {
                if let Ok(v) = hyper::header::HeaderValue::from_str(&value) {
                    r.headers_mut().insert(name, v);
                }
            }
            r
        }
        ("GET", p) if p.starts_with("/json/") => {
            let mut st = app.lock();
            // the generic dialects take the auth types other than Keystone
            // (whose tokens only Panko's /v2/events checks)
            if !matches!(st.settings.auth.mode.as_str(), "keystone" | "none") {
                if let Err(message) = auth::check(&st.settings.auth, &st.oauth, headers) {
                    let mut r = json_reply(401, json!({"error": message}));
                    r.headers_mut().insert("WWW-Authenticate", hyper::header::HeaderValue::from_static("Bearer"));
                    return r;
                }
            }
            if let Some(raw) = st.raw_bodies.pop_front() {
                return reply(200, raw);
            }
            let answer = crate::generic::answer(&st.store, &app.base, p, params);
            let mut r = reply(answer.status, answer.body);
            if let Some(link) = answer.link.and_then(|l| hyper::header::HeaderValue::from_str(&l).ok()) {
                r.headers_mut().insert("Link", link);
            }
            r
        }
        _ => panko_error(404, &format!("no route for {method} {path}")),
    }
}

fn unauthorized() -> Reply {
    json_reply(
        401,
        json!({"error": {"code": 401, "message": "The request you have made requires authentication.", "title": "Unauthorized"}}),
    )
}

fn keystone_v3(app: &App, body: &Bytes) -> Reply {
    let Ok(req) = serde_json::from_slice::<Value>(body) else {
        return json_reply(400, json!({"error": {"code": 400, "message": "body is not JSON", "title": "Bad Request"}}));
    };
    let auth = &req["auth"];
    let user = &auth["identity"]["password"]["user"];
    let mut st = app.lock();
    let ok = auth["identity"]["methods"].as_array().is_some_and(|m| m.iter().any(|x| x == "password"))
        && user["name"].as_str() == Some(st.settings.username.as_str())
        && user["password"].as_str() == Some(st.settings.password.as_str())
        && crate::domain::known(&user["domain"]);
    if !ok {
        return unauthorized();
    }
    let scope = &auth["scope"]["project"];
    let project = if scope.is_null() {
        None
    } else {
        // a project by name is looked up in its domain; by id needs none
        if scope["name"].is_string() && !crate::domain::known(&scope["domain"]) {
            return unauthorized();
        }
        let wanted = scope["name"].as_str().map(str::to_owned).or_else(|| {
            let id = scope["id"].as_str()?;
            st.settings.projects.iter().find(|p| project_id(p) == id).cloned()
        });
        match wanted {
            Some(p) if st.settings.projects.contains(&p) => Some(p),
            _ => return unauthorized(),
        }
    };
    let token = random_hex();
    let ttl = st.settings.token_ttl;
    let admin = st.settings.admin;
    st.tokens.insert(
        token.clone(),
        Token { project: project.clone(), expires: Instant::now() + Duration::from_secs(ttl), admin },
    );
    let now = Utc::now();
    let domain = json!({"id": crate::domain::ID, "name": crate::domain::NAME});
    let mut body = json!({"token": {
        "methods": ["password"],
        "user": {"id": project_id(&st.settings.username), "name": st.settings.username, "domain": domain},
        "expires_at": (now + chrono::Duration::seconds(ttl as i64)).format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string(),
        "issued_at": now.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string(),
        "audit_ids": [random_hex()],
    }});
    if let Some(p) = &project {
        body["token"]["project"] = json!({"id": project_id(p), "name": p, "domain": domain});
        let role = if admin { "admin" } else { "member" };
        body["token"]["roles"] = json!([{"id": project_id(&format!("{role}-role")), "name": role}]);
        body["token"]["catalog"] = app.catalog(&st.settings.catalog);
    }
    let mut r = json_reply(201, body);
    if let Ok(v) = token.parse() {
        r.headers_mut().insert("X-Subject-Token", v);
    }
    r
}

fn keystone_v2(app: &App, body: &Bytes) -> Reply {
    let Ok(req) = serde_json::from_slice::<Value>(body) else { return unauthorized() };
    let creds = &req["auth"]["passwordCredentials"];
    let mut st = app.lock();
    let project = match (req["auth"]["tenantName"].as_str(), req["auth"]["tenantId"].as_str()) {
        (Some(name), _) => Some(name.to_owned()),
        (None, Some(id)) => match st.settings.projects.iter().find(|p| project_id(p) == id) {
            Some(p) => Some(p.clone()),
            None => return unauthorized(),
        },
        (None, None) => None,
    };
    if creds["username"].as_str() != Some(st.settings.username.as_str())
        || creds["password"].as_str() != Some(st.settings.password.as_str())
        || project.as_ref().is_some_and(|p| !st.settings.projects.contains(p))
    {
        return unauthorized();
    }
    let token = random_hex();
    let ttl = st.settings.token_ttl;
    let admin = st.settings.admin;
    st.tokens.insert(
        token.clone(),
        Token { project: project.clone(), expires: Instant::now() + Duration::from_secs(ttl), admin },
    );
    let expires = (Utc::now() + chrono::Duration::seconds(ttl as i64)).format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let role = if admin { "admin" } else { "member" };
    let user = json!({"id": project_id(&st.settings.username), "name": st.settings.username,
        "roles": [{"id": project_id(&format!("{role}-role")), "name": role}]});
    let Some(project) = project else {
        // unscoped: no tenant, no catalog
        return json_reply(
            200,
            json!({"access": {"token": {"id": token, "expires": expires}, "serviceCatalog": [], "user": user}}),
        );
    };
    let catalog: Vec<Value> = app
        .catalog(&st.settings.catalog)
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| {
            let url = s["endpoints"][0]["url"].clone();
            json!({"type": s["type"], "name": s["name"], "endpoints": [{"region": "RegionOne", "publicURL": url, "internalURL": url, "adminURL": url}]})
        })
        .collect();
    json_reply(
        200,
        json!({"access": {
            "token": {"id": token, "expires": expires, "tenant": {"id": project_id(&project), "name": project, "enabled": true}},
            "serviceCatalog": catalog,
            "user": user,
        }}),
    )
}

/// `Some(project)` for a valid token (`None` inside: unscoped), else `None`.
fn check_token(st: &State, token: Option<&str>) -> Option<Option<String>> {
    let t = st.tokens.get(token?)?;
    (t.expires > Instant::now()).then(|| t.project.clone())
}

fn projects(app: &App, token: Option<&str>, key: &str) -> Reply {
    let st = app.lock();
    if check_token(&st, token).is_none() {
        return unauthorized();
    }
    let list: Vec<Value> = st
        .settings
        .projects
        .iter()
        .map(|p| json!({"id": project_id(p), "name": p, "domain_id": "default", "enabled": true}))
        .collect();
    json_reply(200, json!({ key: list }))
}

/// `authorized`: the caller checked credentials other than Keystone's.
fn events(app: &App, params: &[(String, String)], token: Option<&str>, authorized: bool, body: &Bytes) -> Reply {
    let mut st = app.lock();
    let project = match check_token(&st, token) {
        _ if authorized => None,
        Some(Some(project)) => Some(project_id(&project)),
        Some(None) => return panko_error(401, "an unscoped token cannot list events"),
        None if st.settings.require_auth => {
            return panko_error(401, "The request you have made requires authentication.")
        }
        None => None,
    };
    if let Some(raw) = st.raw_bodies.pop_front() {
        return reply(200, raw);
    }
    // q.field / q.op / q.value lists, aligned by position; or a JSON body
    let list = |name: &str| params.iter().filter(|(k, _)| k == name).map(|(_, v)| v.clone()).collect::<Vec<_>>();
    let (fields, ops, values) = (list("q.field"), list("q.op"), list("q.value"));
    let mut filters: Vec<(String, String, String)> = fields
        .iter()
        .enumerate()
        .map(|(i, f)| {
            (f.clone(), ops.get(i).cloned().unwrap_or_else(|| "eq".into()), values.get(i).cloned().unwrap_or_default())
        })
        .collect();
    if fields.is_empty() && !body.is_empty() {
        if let Ok(v) = serde_json::from_slice::<Value>(body) {
            for q in v["q"].as_array().into_iter().flatten() {
                let s = |k: &str| q[k].as_str().map(str::to_owned);
                if let Some(field) = s("field") {
                    filters.push((field, s("op").unwrap_or_else(|| "eq".into()), s("value").unwrap_or_default()));
                }
            }
        }
    }
    let limit = params.iter().find(|(k, _)| k == "limit").map(|(_, v)| v.as_str());
    let mut marker = params.iter().find(|(k, _)| k == "marker").map(|(_, v)| v.clone());
    let ceilometer = st.settings.dialect == Dialect::Ceilometer;
    if ceilometer {
        let known =
            |k: &str| k == "limit" || (k.starts_with("q.") && ["field", "op", "value", "type"].contains(&&k[2..]));
        if let Some((unknown, _)) = params.iter().find(|(k, _)| !known(k)) {
            let fault = json!({"faultcode": "Client", "faultstring": format!("Unknown argument: {unknown:?}"), "debuginfo": null});
            return panko_error(400, &fault.to_string());
        }
    }
    if marker.is_some() && st.settings.reject_marker {
        // what a WSME service (Ceilometer's v2 API) says of an argument it does not know
        let fault = json!({"faultcode": "Client", "faultstring": "Unknown argument: \"marker\"", "debuginfo": null});
        return panko_error(400, &fault.to_string());
    }
    if st.settings.ignore_marker {
        marker = None;
    }
    let default_limit = st.settings.default_limit;
    let mut query = match Query::build(filters, limit, marker, default_limit) {
        Ok(q) => q,
        Err(message) => return panko_error(400, &message),
    };
    // Panko 10 honours all_tenants only from an admin; from anyone else it
    // is a trait filter, and no event has that trait
    if ceilometer && query.all_tenants {
        // no such field in Ceilometer's API: a filter on a trait of that name
        query.all_tenants = false;
        query.traits.push(("all_tenants".into(), "True".into()));
    }
    let admin = token.and_then(|t| st.tokens.get(t)).is_none_or(|t| t.admin);
    if query.all_tenants && !admin {
        return reply(200, "[]");
    }
    if let Some(max) = st.settings.max_limit {
        query.limit = query.limit.min(max);
    }
    match st.store.page(&query, project.as_deref()) {
        Ok(page) => reply(200, page),
        Err(message) => panko_error(400, &message),
    }
}

fn control(app: &App, method: &hyper::Method, what: &str, body: &Bytes) -> Reply {
    if method == hyper::Method::POST && what == "raw_events" {
        // kept byte for byte: hostile bodies (invalid UTF-8) are the point
        let mut st = app.lock();
        st.raw_bodies.push_back(body.clone());
        return json_reply(200, json!({"queued": st.raw_bodies.len()}));
    }
    let input: Value = if body.is_empty() {
        Value::Null
    } else {
        match serde_json::from_slice(body) {
            Ok(v) => v,
            Err(e) => return panko_error(400, &format!("control body is not JSON: {e}")),
        }
    };
    let mut st = app.lock();
    match (method.as_str(), what) {
        ("POST", "events") => {
            let Some(list) = input.as_array() else { return panko_error(400, "expected a JSON array of events") };
            let mut count = 0;
            for event in list.iter().cloned() {
                st.seq += 1;
                let seq = st.seq;
                if let Err(e) = st.store.insert(event, || format!("auto-{seq:09}")) {
                    return panko_error(400, &e);
                }
                count += 1;
            }
            json_reply(200, json!({"count": count}))
        }
        ("POST", "generate") => generate(&mut st, &input),
        ("POST", "faults") => {
            let Some(list) = input.as_array() else { return panko_error(400, "expected a JSON array of faults") };
            for f in list {
                st.faults.push_back(Fault {
                    path: f["path"].as_str().unwrap_or("any").to_owned(),
                    count: f["count"].as_u64().unwrap_or(1).max(1),
                    status: f["status"].as_u64().map(|s| s as u16),
                    retry_after: f["retry_after"]
                        .as_str()
                        .map(str::to_owned)
                        .or_else(|| f["retry_after"].as_u64().map(|n| n.to_string())),
                    location: f["location"].as_str().map(str::to_owned),
                    delay_ms: f["delay_ms"].as_u64().unwrap_or(0),
                    truncate: f["truncate"].as_bool().unwrap_or(false),
                    body: f["body"].as_str().map(str::to_owned),
                    reset: f["reset"].as_bool().unwrap_or(false),
                    endless: f["endless"].as_bool().unwrap_or(false),
                    pad_bytes: f["pad_bytes"].as_u64().unwrap_or(0) as usize,
                    head_bytes: f["head_bytes"].as_u64().unwrap_or(0) as usize,
                    echo: f["echo"].as_bool().unwrap_or(false),
                    gzip_bomb: f["gzip_bomb"].as_u64().unwrap_or(0) as usize,
                });
            }
            json_reply(200, json!({"faults": st.faults.len()}))
        }
        ("POST", "config") => {
            let s = &mut st.settings;
            if let Some(v) = input["require_auth"].as_bool() {
                s.require_auth = v;
            }
            if let Some(v) = input["token_ttl"].as_u64() {
                s.token_ttl = v;
            }
            if let Some(v) = input["password"].as_str() {
                s.password = v.to_owned();
            }
            if let Some(v) = input["default_limit"].as_u64() {
                s.default_limit = v.max(1) as usize;
            }
            if let Some(v) = input["admin"].as_bool() {
                s.admin = v;
            }
            s.auth.apply(&input);
            s.github.apply(&input);
            // paging dialect
            if let Some(v) = input["ignore_marker"].as_bool() {
                s.ignore_marker = v;
            }
            if let Some(v) = input["reject_marker"].as_bool() {
                s.reject_marker = v;
            }
            match input["dialect"].as_str().map(|d| (d, Dialect::named(d))) {
                None => {}
                Some((_, Some(d))) => s.dialect = d,
                Some((d, None)) => return panko_error(400, &format!("unknown dialect {d:?} (panko, ceilometer)")),
            }
            match &input["max_limit"] {
                Value::Null => {}
                v => s.max_limit = v.as_u64().filter(|n| *n > 0).map(|n| n as usize),
            }
            let strings = |v: &Value| {
                v.as_array().map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_owned)).collect::<Vec<_>>())
            };
            if let Some(v) = strings(&input["catalog"]) {
                s.catalog = v;
            }
            if let Some(v) = strings(&input["projects"]) {
                s.projects = v;
            }
            json_reply(200, json!({"ok": true}))
        }
        ("POST", "revoke") => {
            let n = st.tokens.len();
            let mut gone: Vec<String> = st.tokens.drain().map(|(k, _)| k).collect();
            let n = n + st.oauth.live.len();
            gone.extend(st.oauth.live.drain().map(|(k, _)| k));
            st.revoked.extend(gone);
            json_reply(200, json!({"revoked": n}))
        }
        ("POST", "reset") => {
            st.store.clear();
            st.tokens.clear();
            st.oauth = OAuthTokens::default();
            st.revoked.clear();
            st.faults.clear();
            st.raw_bodies.clear();
            st.requests.clear();
            st.settings = app.initial.clone();
            st.gh_budget = Default::default();
            json_reply(200, json!({"ok": true}))
        }
        ("GET", "requests") => json_reply(200, Value::Array(st.requests.clone())),
        ("DELETE", "requests") => {
            st.requests.clear();
            json_reply(200, json!({"ok": true}))
        }
        // the tokens issued so far, so a spec can search its logs for them
        ("GET", "tokens") => json_reply(
            200,
            json!(st.tokens.keys().chain(st.oauth.live.keys()).chain(st.revoked.iter()).cloned().collect::<Vec<_>>()),
        ),
        ("GET", "stats") => json_reply(
            200,
            json!({"events": st.store.len(), "requests": st.requests.len(), "oauth_tokens_issued": st.oauth.issued,
                   "unmatched": app.cassette.as_ref().map(|c| c.unmatched()).unwrap_or_default()}),
        ),
        // the push publisher's outcomes (`--push-to`)
        ("GET", "pushed") => {
            let counts = app.pushed.lock().unwrap_or_else(|p| p.into_inner()).to_json();
            json_reply(200, counts)
        }
        ("GET", "projects") => {
            let map: serde_json::Map<String, Value> =
                st.settings.projects.iter().map(|p| (p.clone(), json!(project_id(p)))).collect();
            json_reply(200, Value::Object(map))
        }
        _ => panko_error(404, &format!("no control {method} {what}")),
    }
}

fn generate(st: &mut State, input: &Value) -> Reply {
    let count = input["count"].as_u64().unwrap_or(1);
    let event_type = input["event_type"].as_str().unwrap_or("compute.instance.create.end").to_owned();
    let fixed = match input["generated"].as_str() {
        Some(t) => match store::parse_time(t) {
            Some(t) => Some(t),
            None => return panko_error(400, &format!("generated {t:?} is not a timestamp")),
        },
        None => None,
    };
    let start = match input["start"].as_str() {
        Some(t) => match store::parse_time(t) {
            Some(t) => t,
            None => return panko_error(400, &format!("start {t:?} is not a timestamp")),
        },
        None => Utc::now().naive_utc(),
    };
    let step = chrono::Duration::milliseconds(input["step_ms"].as_i64().unwrap_or(1));
    st.seq += 1;
    let prefix = input["prefix"].as_str().map(str::to_owned).unwrap_or_else(|| format!("g{}", st.seq));
    let project = input["project_id"].as_str().map(str::to_owned).unwrap_or_else(|| project_id("admin"));
    let extra: Vec<(String, Value)> = input["traits"]
        .as_object()
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    let (mut first, mut last) = (String::new(), String::new());
    for i in 1..=count {
        let id = format!("{prefix}-{i:07}");
        let at = fixed.unwrap_or(start + step * (i as i32 - 1));
        let mut traits = vec![
            json!({"name": "project_id", "type": "string", "value": project}),
            json!({"name": "tenant_id", "type": "string", "value": project}),
            json!({"name": "user_id", "type": "string", "value": project_id("admin-user")}),
            json!({"name": "instance_id", "type": "string", "value": format!("{:08x}-0000-4000-8000-{i:012x}", i)}),
            json!({"name": "state", "type": "string", "value": "active"}),
        ];
        for (k, v) in &extra {
            traits.push(json!({"name": k, "type": "string", "value": v}));
        }
        let event = json!({"message_id": id, "event_type": event_type, "generated": store::format_time(at), "traits": traits, "raw": {}});
        if let Err(e) = st.store.insert(event, String::new) {
            return panko_error(400, &e);
        }
        if i == 1 {
            first = id.clone();
        }
        last = id;
    }
    json_reply(200, json!({"count": count, "first": first, "last": last}))
}

/// Appends `rate` realistic events per second, stamped now, for the demo;
/// hands each to `tap` too (the push publisher), and stops after `limit`
/// events if given.
pub async fn stream(app: Arc<App>, rate: u32, tap: Option<tokio::sync::mpsc::Sender<Value>>, limit: Option<u64>) {
    const KINDS: &[(&str, &str)] = &[
        ("compute.instance.create.start", "instance"),
        ("compute.instance.create.end", "instance"),
        ("compute.instance.power_off.start", "instance"),
        ("compute.instance.power_off.end", "instance"),
        ("compute.instance.delete.start", "instance"),
        ("compute.instance.delete.end", "instance"),
        ("volume.create.start", "volume"),
        ("volume.create.end", "volume"),
        ("volume.attach.end", "volume"),
        ("snapshot.create.end", "snapshot"),
        ("network.create.end", "network"),
        ("port.create.end", "port"),
        ("router.update.end", "router"),
        ("floatingip.create.end", "floatingip"),
        ("identity.authenticate", "user"),
        ("image.upload", "image"),
    ];
    let hosts = ["compute-0.localdomain", "compute-1.localdomain", "controller-0.localdomain"];
    let projects = ["admin", "demo", "services"];
    let mut ticker = tokio::time::interval(Duration::from_secs_f64(1.0 / rate.max(1) as f64));
    let mut n: u64 = 0;
    while limit.is_none_or(|limit| n < limit) {
        ticker.tick().await;
        n += 1;
        let (kind, resource) = KINDS[(n as usize * 7) % KINDS.len()];
        let project = projects[(n as usize) % projects.len()];
        let resource_id = format!(
            "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
            n * 2654435761 % 0xffff_ffff,
            n % 0xffff,
            n % 0xfff,
            (n * 7) % 0xfff,
            n
        );
        let mut traits = vec![
            json!({"name": "project_id", "type": "string", "value": project_id(project)}),
            json!({"name": "tenant_id", "type": "string", "value": project_id(project)}),
            json!({"name": "user_id", "type": "string", "value": project_id("admin-user")}),
            json!({"name": "request_id", "type": "string", "value": format!("req-{}", random_hex())}),
            json!({"name": "service", "type": "string", "value": resource}),
            json!({"name": "host", "type": "string", "value": hosts[(n as usize) % hosts.len()]}),
        ];
        if resource == "instance" {
            traits.push(json!({"name": "instance_id", "type": "string", "value": resource_id}));
            traits.push(json!({"name": "display_name", "type": "string", "value": format!("vm-{}", n % 50)}));
            traits.push(json!({"name": "state", "type": "string", "value": if kind.ends_with("end") { "active" } else { "building" }}));
            traits.push(json!({"name": "memory_mb", "type": "integer", "value": "2048"}));
            if kind.ends_with("end") {
                let launched = Utc::now().naive_utc() - chrono::Duration::seconds(3);
                traits.push(json!({"name": "launched_at", "type": "datetime", "value": store::format_time(launched)}));
            }
        } else {
            traits.push(json!({"name": "resource_id", "type": "string", "value": resource_id}));
        }
        let event = json!({
            "message_id": random_hex(),
            "event_type": kind,
            "generated": store::format_time(Utc::now().naive_utc()),
            "traits": traits,
            "raw": {},
        });
        let _ = app.lock().store.insert(event.clone(), String::new);
        if let Some(tap) = &tap {
            // waits while the publisher is behind, as the notification agent would
            let _ = tap.send(event).await;
        }
    }
}

/// The start of a request body, for the request log (`null` when empty).
fn logged_body(body: &Bytes) -> Value {
    const SHOWN: usize = 64 * 1024;
    if body.is_empty() {
        return Value::Null;
    }
    Value::String(String::from_utf8_lossy(&body[..body.len().min(SHOWN)]).into_owned())
}
