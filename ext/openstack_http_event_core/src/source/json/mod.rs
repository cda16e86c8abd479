//! The generic JSON source (`:source => {:type => :json, …}`): any HTTP
//! The generic JSON source (`:source => {:type => :json, …}`): any HTTP
//! service that answers a GET (or a POST) with JSON records. The options
//! say where the records are ([`Records`]), how a record maps to
//! ManageIQ's event ([`mapping`](crate::format::mapping)), what the query carries ([`template`]),
//! what else a request carries — method, headers, body ([`request`],
//! [`body`]) — and how the service pages ([`next_page`]). The engine's cursor,
//! back-read and de-duplication apply as for Panko, unless polls ask from a
//! cursor of the service's own ([`service_cursor`]: a record id, a change-feed
//! token).

use serde_json::Value as Opt;
use url::Url;

use super::{Query, Request, Response, Source};
use crate::error::{Error, Result};
use crate::model::event::{Page, Skipped};
use crate::model::json::{self, Value};

mod body;
mod hash;
mod next_page;
mod request;
mod service_cursor;
mod template;

use crate::format::mapping::{Mapping, NumericTime, TraitList};
use crate::format::pointer::Pointer;
use hash::{hash, header_name, must_be_string, opt_kind, pointer, string};
use next_page::JsonPaging;
use request::RequestTemplate;
use service_cursor::JsonCursor;
use template::{Placeholder, SinceFormat, Template, Values};

/// Where a body's records are.
#[derive(Debug, Clone, PartialEq)]
pub enum Records {
    /// The array at this pointer (`""`: the body is the array).
    At(Pointer),
    /// One JSON record per line.
    Ndjson,
}

/// A generic JSON events API, as configured.
#[derive(Debug, Clone)]
pub struct JsonSource {
    records: Records,
    mapping: Mapping,
    params: Vec<(String, Template)>,
    since_format: SinceFormat,
    paging: JsonPaging,
    request: RequestTemplate,
    cursor: JsonCursor,
    /// Conditional requests with the first answer's `ETag` (`etag`).
    etag: bool,
    /// A header by which the service asks for a longer poll interval
    /// (`poll_interval_header`).
    poll_interval_header: Option<reqwest::header::HeaderName>,
}

const KEYS: &[&str] = &[
    "type",
    "records",
    "fields",
    "traits",
    "event_type_prefix",
    "params",
    "since_format",
    "paging",
    "method",
    "headers",
    "body",
    "cursor",
    "etag",
    "poll_interval_header",
];
const FIELD_KEYS: &[&str] = &["message_id", "event_type", "timestamp", "payload"];
const PAGING_KEYS: &[&str] = &["type", "param", "field", "pointer", "start"];

impl JsonSource {
    /// Reads `http.source` (a Hash whose `type` is `json`); every error
    /// names its key.
    pub fn from_options(value: &Opt) -> Result<JsonSource> {
        let o = hash("http.source", value, KEYS)?;
        let records = match o.get("records") {
            None | Some(Opt::Null) => return Err(Error::config("http.source.records", "is required")),
            Some(Opt::String(s)) if s == "ndjson" => Records::Ndjson,
            Some(Opt::String(s)) => Records::At(pointer("http.source.records", s)?),
            Some(other) => return Err(Error::config("http.source.records", must_be_string(other))),
        };
        let fields = match o.get("fields") {
            None | Some(Opt::Null) => {
                return Err(Error::config("http.source.fields", "is required (:event_type and :timestamp at least)"))
            }
            Some(v) => hash("http.source.fields", v, FIELD_KEYS)?,
        };
        let field = |name: &str| -> Result<Option<Pointer>> {
            let key = format!("http.source.fields.{name}");
            match fields.get(name) {
                None | Some(Opt::Null) => Ok(None),
                Some(Opt::String(s)) => pointer(&key, s).map(Some),
                Some(other) => Err(Error::config(key, must_be_string(other))),
            }
        };
        let required = |name: &str| -> Result<Pointer> {
            field(name)?.ok_or_else(|| Error::config(format!("http.source.fields.{name}"), "is required"))
        };
        let traits = match string(&o, "traits")?.as_deref() {
            None => None,
            Some("panko") => Some(TraitList::Panko),
            Some("ceilometer") => Some(TraitList::Ceilometer),
            Some(other) => {
                return Err(Error::config(
                    "http.source.traits",
                    format!("unknown trait list {other:?} (known: :panko, :ceilometer)"),
                ))
            }
        };
        let since_format = match string(&o, "since_format")? {
            None => SinceFormat::Iso8601,
            Some(name) => SinceFormat::parse(&name).map_err(|m| Error::config("http.source.since_format", m))?,
        };
        let message_id = field("message_id")?;
        let mapping = Mapping {
            message_id: message_id.clone(),
            event_type: required("event_type")?,
            timestamp: required("timestamp")?,
            payload: field("payload")?.unwrap_or_else(Pointer::root),
            traits,
            event_type_prefix: string(&o, "event_type_prefix")?.unwrap_or_default(),
            numeric_time: if since_format == SinceFormat::UnixMs { NumericTime::Millis } else { NumericTime::Seconds },
        };
        let mut params = Vec::new();
        // where each placeholder is, for the checks against the paging type
        let mut uses: Vec<(String, Placeholder)> = Vec::new();
        match o.get("params") {
            None | Some(Opt::Null) => {}
            Some(v) => {
                for (name, value) in hash("http.source.params", v, &[])?.iter_all() {
                    let key = format!("http.source.params.{name}");
                    let text = match value {
                        Opt::String(s) => s.clone(),
                        Opt::Number(n) => n.to_string(),
                        Opt::Bool(b) => b.to_string(),
                        other => return Err(Error::config(key, must_be_string(other))),
                    };
                    let template = Template::parse(&text).map_err(|m| Error::config(&key, m))?;
                    uses.extend(template.placeholders().map(|p| (key.clone(), p)));
                    params.push((name.clone(), template));
                }
            }
        }
        let request = RequestTemplate::from_options(&o, &mut uses)?;
        let paging = match o.get("paging") {
            None | Some(Opt::Null) => JsonPaging::None,
            Some(v) => parse_paging(v, message_id.as_ref(), &uses)?,
        };
        let cursor = match o.get("cursor") {
            None | Some(Opt::Null) => JsonCursor::Timestamp,
            Some(v) => JsonCursor::from_options(v, message_id.as_ref())?,
        };
        if cursor.resumes().is_some() && paging != JsonPaging::None {
            return Err(Error::config(
                "http.source.paging",
                format!(
                    "must be absent or :none with a cursor of type id or token (it pages by itself), got :{}",
                    paging.name()
                ),
            ));
        }
        if matches!(cursor, JsonCursor::Token { .. }) && records == Records::Ndjson {
            return Err(Error::config(
                "http.source.cursor.pointer",
                "does not apply to NDJSON records (no body to point into)",
            ));
        }
        let etag = match o.get("etag") {
            None | Some(Opt::Null) => false,
            Some(Opt::Bool(b)) => *b,
            Some(other) => {
                return Err(Error::config(
                    "http.source.etag",
                    format!("must be true or false, got {}", opt_kind(other)),
                ))
            }
        };
        let poll_interval_header = match string(&o, "poll_interval_header")? {
            None => None,
            Some(name) => Some(header_name("http.source.poll_interval_header", &name)?),
        };
        check_placeholders(&uses, &paging)?;
        Ok(JsonSource { records, mapping, params, since_format, paging, request, cursor, etag, poll_interval_header })
    }

    /// How a record becomes ManageIQ's event (`fields`, `traits`,
    /// `event_type_prefix`); the push receiver maps plain JSON with it.
    pub fn mapping(&self) -> &Mapping {
        &self.mapping
    }

    /// Whether requests are conditional (`http.source.etag`).
    pub fn etag(&self) -> bool {
        self.etag
    }

    /// The header that may ask for a longer poll interval
    /// (`http.source.poll_interval_header`).
    pub fn poll_interval_header(&self) -> Option<&reqwest::header::HeaderName> {
        self.poll_interval_header.as_ref()
    }

    /// The position a request sends (marker, page, offset), if any.
    fn position(&self, query: &Query) -> Option<String> {
        if self.cursor.resumes().is_some() {
            return query.marker.clone();
        }
        match &self.paging {
            JsonPaging::Marker { .. } | JsonPaging::Token { .. } => query.marker.clone(),
            JsonPaging::Page { start, .. } => Some(query.marker.clone().unwrap_or_else(|| start.to_string())),
            JsonPaging::Offset { .. } => Some(query.marker.clone().unwrap_or_else(|| "0".into())),
            _ => None,
        }
    }

    /// What the placeholders stand for in the request for `query`.
    fn values(&self, query: &Query) -> Values {
        let cursor = self.position(query);
        let number = || cursor.as_deref().and_then(|c| c.parse::<u64>().ok());
        Values {
            since: query.floor.map(|f| self.since_format.write(f)),
            since_numeric: self.since_format.is_numeric(),
            limit: query.limit,
            page: matches!(self.paging, JsonPaging::Page { .. }).then(number).flatten(),
            offset: matches!(self.paging, JsonPaging::Offset { .. }).then(number).flatten(),
            cursor,
        }
    }

    /// The records of a body, and the rows that could not be told apart
    /// as records (NDJSON lines that are not JSON).
    fn records(
        &self,
        body: &[u8],
        max_nesting: usize,
    ) -> std::result::Result<(Vec<Value>, Vec<Skipped>, Value), String> {
        match &self.records {
            Records::Ndjson => {
                let (mut records, mut bad) = (Vec::new(), Vec::new());
                for (n, line) in body.split(|b| *b == b'\n').enumerate() {
                    if line.iter().all(u8::is_ascii_whitespace) {
                        continue;
                    }
                    match json::parse(line, max_nesting) {
                        Ok(record) => records.push(record),
                        Err(e) => bad.push(format!("line {} is not valid JSON: {e}", n + 1)),
                    }
                }
                // placed among the records by their line, so `at` is known below
                let skipped = bad.into_iter().map(|reason| Skipped { message_id: None, reason, at: None }).collect();
                Ok((records, skipped, Value::Null))
            }
            Records::At(p) => {
                let mut doc = json::parse(body, max_nesting.saturating_add(p.depth() + 1)).map_err(|e| {
                    if e.is_eof() {
                        format!("body ends early ({e})")
                    } else {
                        format!("not JSON ({e})")
                    }
                })?;
                match p.take(&mut doc) {
                    Some(Value::Array(items)) => Ok((items, Vec::new(), doc)),
                    Some(other) => Err(format!(
                        "expected an array of records at {:?} (http.source.records), found {}",
                        p.as_str(),
                        kind(&other)
                    )),
                    None => Err(format!(
                        "expected an array of records at {:?} (http.source.records), found none",
                        p.as_str()
                    )),
                }
            }
        }
    }
}

impl Source for JsonSource {
    fn name(&self) -> &'static str {
        "json"
    }

    fn describe(&self) -> &'static str {
        "generic JSON events API"
    }

    fn url(&self, base: &Url, query: &Query) -> Url {
        if self.paging.is_url() {
            if let Some(next) = query.marker.as_deref().and_then(|m| Url::parse(m).ok()) {
                return next;
            }
        }
        let mut url = base.clone();
        let values = self.values(query);
        {
            let mut pairs = url.query_pairs_mut();
            for (name, template) in &self.params {
                if let Some(value) = template.expand(&values) {
                    pairs.append_pair(name, &value);
                }
            }
            let param = match &self.paging {
                JsonPaging::Marker { param, .. } | JsonPaging::Token { param, .. } => Some(param),
                JsonPaging::Page { param, .. } | JsonPaging::Offset { param } => param.as_ref(),
                _ => None,
            };
            if let (Some(param), Some(c)) = (param, &values.cursor) {
                pairs.append_pair(param, c);
            }
            if let (Some(param), Some(c)) = (self.cursor.param(), &values.cursor) {
                pairs.append_pair(param, c);
            }
        }
        if url.query() == Some("") {
            url.set_query(None);
        }
        url
    }

    fn request(&self, base: &Url, query: &Query) -> Request {
        // a next-page URL gets the same method, headers and body
        self.request.build(self.url(base, query), &self.values(query))
    }

    fn secrets(&self) -> Vec<String> {
        self.request.secrets()
    }

    fn read(&self, response: &Response<'_>, max_nesting: usize) -> std::result::Result<Page, String> {
        let (records, mut skipped, doc) = self.records(response.body, max_nesting)?;
        let mut page = Page { rows: records.len() + skipped.len(), ..Page::default() };
        let next = match &self.paging {
            JsonPaging::None => None,
            JsonPaging::Marker { field, .. } => match records.last().and_then(|r| field.get(r)) {
                Some(Value::Str(s)) => Some(s.clone()),
                Some(Value::Int(n)) => Some(n.to_string()),
                Some(Value::BigInt(n)) => Some(n.clone()),
                _ => None,
            },
            JsonPaging::Next { pointer } => next_page::next_in_body(pointer.get(&doc), response.url),
            JsonPaging::Token { pointer, .. } => next_page::token(pointer.get(&doc)),
            JsonPaging::LinkHeader => next_page::next_in_link_headers(
                response.headers.get_all(reqwest::header::LINK).iter().filter_map(|v| v.to_str().ok()),
                response.url,
            ),
            JsonPaging::Page { start, .. } => {
                let current = response.query.marker.as_deref().and_then(|m| m.parse::<u64>().ok()).unwrap_or(*start);
                (page.rows > 0).then(|| (current + 1).to_string())
            }
            JsonPaging::Offset { .. } => {
                let current = response.query.marker.as_deref().and_then(|m| m.parse::<u64>().ok()).unwrap_or(0);
                (page.rows > 0).then(|| (current + page.rows as u64).to_string())
            }
        };
        let (mut last_id, mut ids) = (None, Vec::new());
        for record in records {
            let before = page.events.last().map(|e| e.at);
            let id = match &self.cursor {
                JsonCursor::Id { field, .. } => Some(service_cursor::record_id(field.get(&record), field)),
                _ => None,
            };
            match self.mapping.convert(record, before) {
                // read, but without an id the cursor can order: not delivered
                Ok(event) if matches!(id, Some(Err(_))) => {
                    let reason = id.clone().and_then(|r| r.err()).unwrap_or_default();
                    last_id = Some(event.message_id.clone());
                    page.skipped.push(Skipped { message_id: Some(event.message_id), reason, at: Some(event.at) });
                }
                Ok(event) => {
                    last_id = Some(event.message_id.clone());
                    page.events.push(event);
                }
                Err(skip) => {
                    last_id = skip.message_id.clone().or(last_id);
                    page.skipped.push(skip);
                }
            }
            ids.extend(id.and_then(|r| r.ok()));
        }
        // NDJSON lines that were not JSON: at least as late as the page's start
        let first = page.events.first().map(|e| e.at);
        for s in &mut skipped {
            s.at = first;
        }
        page.skipped.append(&mut skipped);
        page.last_message_id = match &self.cursor {
            JsonCursor::Timestamp if self.paging == JsonPaging::None => last_id,
            JsonCursor::Timestamp => next,
            // the largest id read so far: never back
            JsonCursor::Id { .. } => {
                let known = response.query.marker.as_deref().into_iter().chain(ids.iter().map(String::as_str));
                service_cursor::largest(known).map(str::to_owned)
            }
            JsonCursor::Token { pointer, .. } => next_page::token(pointer.get(&doc)),
        };
        Ok(page)
    }

    fn supports_marker(&self) -> bool {
        self.paging != JsonPaging::None || self.cursor.resumes().is_some()
    }

    fn resumes(&self) -> Option<super::Resume> {
        self.cursor.resumes()
    }

    fn supports_all_tenants(&self) -> bool {
        false
    }

    fn marker_is_id(&self) -> bool {
        matches!(&self.paging, JsonPaging::Marker { field, .. } if Some(field) == self.mapping.message_id.as_ref())
    }
}

fn parse_paging(value: &Opt, message_id: Option<&Pointer>, uses: &[(String, Placeholder)]) -> Result<JsonPaging> {
    let o = hash("http.source.paging", value, PAGING_KEYS)?;
    let kind = string(&o, "type")?.ok_or_else(|| Error::config("http.source.paging.type", "is required"))?;
    let param = || string(&o, "param")?.ok_or_else(|| Error::config("http.source.paging.param", "is required"));
    // optional when a template sends the position itself
    let param_unless = |p: Placeholder| -> Result<Option<String>> {
        match string(&o, "param")? {
            None if !uses.iter().any(|(_, used)| *used == p) => Err(Error::config(
                "http.source.paging.param",
                format!("is required unless a template holds {{{}}}", p.name()),
            )),
            found => Ok(found),
        }
    };
    let allowed: &[&str] = match kind.as_str() {
        "none" | "link_header" => &["type"],
        "marker" => &["type", "param", "field"],
        "next" => &["type", "pointer"],
        "token" => &["type", "pointer", "param"],
        "page" => &["type", "param", "start"],
        "offset" => &["type", "param"],
        other => {
            return Err(Error::config(
                "http.source.paging.type",
                format!("unknown paging type {other:?} (known: {})", JsonPaging::NAMES),
            ))
        }
    };
    o.only(allowed, &format!("paging type {kind}"))?;
    Ok(match kind.as_str() {
        "none" => JsonPaging::None,
        "link_header" => JsonPaging::LinkHeader,
        "marker" => {
            let field = match string(&o, "field")? {
                Some(text) => pointer("http.source.paging.field", &text)?,
                None => message_id.cloned().ok_or_else(|| {
                    Error::config("http.source.paging.field", "is required without http.source.fields.message_id")
                })?,
            };
            JsonPaging::Marker { param: param()?, field }
        }
        "next" => {
            let text =
                string(&o, "pointer")?.ok_or_else(|| Error::config("http.source.paging.pointer", "is required"))?;
            JsonPaging::Next { pointer: pointer("http.source.paging.pointer", &text)? }
        }
        "token" => {
            let text =
                string(&o, "pointer")?.ok_or_else(|| Error::config("http.source.paging.pointer", "is required"))?;
            JsonPaging::Token { pointer: pointer("http.source.paging.pointer", &text)?, param: param()? }
        }
        "page" => {
            let start = match o.get("start") {
                None | Some(Opt::Null) => 1,
                Some(v) => v
                    .as_u64()
                    .filter(|n| *n <= 1)
                    .ok_or_else(|| Error::config("http.source.paging.start", format!("must be 0 or 1, got {v}")))?,
            };
            JsonPaging::Page { param: param_unless(Placeholder::Page)?, start }
        }
        _ => JsonPaging::Offset { param: param_unless(Placeholder::Offset)? },
    })
}

/// `{page}` only with page paging, `{offset}` only with offset paging; the
/// error names the key that holds it.
fn check_placeholders(uses: &[(String, Placeholder)], paging: &JsonPaging) -> Result<()> {
    for (key, p) in uses {
        let needs = match p {
            Placeholder::Page if !matches!(paging, JsonPaging::Page { .. }) => "page",
            Placeholder::Offset if !matches!(paging, JsonPaging::Offset { .. }) => "offset",
            _ => continue,
        };
        return Err(Error::config(
            key,
            format!(
                "holds {{{}}}, which needs http.source.paging {{:type => :{needs}}} (paging is :{})",
                p.name(),
                paging.name()
            ),
        ));
    }
    Ok(())
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Int(_) | Value::BigInt(_) | Value::Float(_) => "a number",
        Value::Str(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests;
