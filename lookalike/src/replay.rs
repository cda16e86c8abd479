//! Serves a VCR cassette (`--cassette FILE`, YAML in the subset
//! [`crate::yaml`] reads, or JSON as VCR's `:json` serializer writes it —
//! the spec helper turns any YAML cassette into that): each request is answered with
//! the recorded response whose request has the same method, path and query
//! (parameters compared decoded, in any order; headers and body ignored, so
//! redacted credentials do not matter). Interactions are used in recorded
//! order, each once; when every match has been used the last one answers
//! again, as a service asked the same question twice would. The origins the
//! cassette was recorded from (`http://keystone:5000`, …) are rewritten to
//! this server's in response bodies and `Location`, so a Keystone catalog
//! leads back here. A request without a recorded match is a 404 whose JSON
//! names it, and is listed by `GET /_control/stats` as `unmatched`.

use std::sync::Mutex;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::Value;

pub struct Recorded {
    method: String,
    path: String,
    params: Vec<(String, String)>,
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

pub struct Cassette {
    interactions: Vec<Recorded>,
    used: Mutex<Vec<bool>>,
    unmatched: Mutex<Vec<String>>,
}

/// The answer to one request.
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// Headers that describe one connection or one framing, not the resource.
const SKIPPED: [&str; 9] = [
    "connection",
    "keep-alive",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
    "proxy-authenticate",
    "proxy-connection",
    "content-length",
];

fn sorted_params(query: &str) -> Vec<(String, String)> {
    let mut params: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes()).into_owned().collect();
    params.sort();
    params
}

fn text<'a>(value: &'a Value, pointer: &str) -> Result<&'a str, String> {
    value.pointer(pointer).and_then(Value::as_str).ok_or_else(|| format!("{pointer} is missing or not a string"))
}

impl Cassette {
    /// Reads the cassette at `path`; `base` is this server's origin.
    pub fn load(path: &str, base: &str) -> Result<Cassette, String> {
        let source = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
        // VCR writes YAML, or JSON with its :json serializer
        let doc = if path.ends_with(".json") || source.trim_start().starts_with('{') {
            serde_json::from_str(&source).map_err(|e| format!("{path}: not JSON: {e}"))?
        } else {
            crate::yaml::parse(&source).map_err(|e| format!("{path}: {e}"))?
        };
        let list = doc
            .get("http_interactions")
            .and_then(Value::as_array)
            .ok_or_else(|| format!("{path}: no http_interactions list"))?;
        let mut origins: Vec<String> = Vec::new();
        let mut raw = Vec::new();
        for (n, i) in list.iter().enumerate() {
            let at = |e: String| format!("{path}: interaction {}: {e}", n + 1);
            let uri = url::Url::parse(text(i, "/request/uri").map_err(at)?).map_err(|e| at(e.to_string()))?;
            let origin = uri.origin().ascii_serialization();
            if !origins.contains(&origin) {
                origins.push(origin);
            }
            let status = i
                .pointer("/response/status/code")
                .and_then(Value::as_u64)
                .and_then(|c| u16::try_from(c).ok())
                .ok_or_else(|| at("/response/status/code is not a status".into()))?;
            let mut headers = Vec::new();
            if let Some(map) = i.pointer("/response/headers").and_then(Value::as_object) {
                for (name, values) in map {
                    if SKIPPED.contains(&name.to_ascii_lowercase().as_str()) {
                        continue;
                    }
                    for value in values.as_array().into_iter().flatten().filter_map(Value::as_str) {
                        headers.push((name.clone(), value.to_owned()));
                    }
                }
            }
            let body = match i.pointer("/response/body/base64_string").and_then(Value::as_str) {
                Some(b64) => {
                    // VCR (Ruby's Base64.encode64) breaks it into lines of 60
                    let b64: String = b64.chars().filter(|c| !c.is_ascii_whitespace()).collect();
                    STANDARD.decode(b64).map_err(|e| at(format!("the body's base64_string is not base64 ({e})")))?
                }
                None => i.pointer("/response/body/string").and_then(Value::as_str).unwrap_or("").as_bytes().to_vec(),
            };
            raw.push((text(i, "/request/method").map_err(at)?.to_ascii_uppercase(), uri, status, headers, body));
        }
        let rewrite = |text: &str| {
            let mut out = text.to_owned();
            for origin in &origins {
                out = out.replace(origin.as_str(), base);
                out = out.replace(&origin.replace('/', "\\/"), &base.replace('/', "\\/"));
            }
            out
        };
        let interactions: Vec<Recorded> = raw
            .into_iter()
            .map(|(method, uri, status, headers, body)| Recorded {
                method,
                path: uri.path().to_owned(),
                params: sorted_params(uri.query().unwrap_or("")),
                status,
                headers: headers
                    .into_iter()
                    .map(|(n, v)| if n.eq_ignore_ascii_case("location") { (n, rewrite(&v)) } else { (n, v) })
                    .collect(),
                body: match String::from_utf8(body) {
                    Ok(s) => rewrite(&s).into_bytes(),
                    Err(e) => e.into_bytes(),
                },
            })
            .collect();
        let used = Mutex::new(vec![false; interactions.len()]);
        Ok(Cassette { interactions, used, unmatched: Mutex::new(Vec::new()) })
    }

    pub fn len(&self) -> usize {
        self.interactions.len()
    }

    /// The recorded answer to `method path?query`, or a 404 naming it.
    pub fn answer(&self, method: &str, path: &str, query: &str) -> Answer {
        let params = sorted_params(query);
        let matches: Vec<usize> = (0..self.interactions.len())
            .filter(|&n| {
                let r = &self.interactions[n];
                r.method.eq_ignore_ascii_case(method) && r.path == path && r.params == params
            })
            .collect();
        let chosen = {
            let mut used = self.used.lock().unwrap_or_else(|p| p.into_inner());
            let next = matches.iter().copied().find(|&n| !used[n]).or_else(|| matches.last().copied());
            if let Some(n) = next {
                used[n] = true;
            }
            next
        };
        match chosen {
            Some(n) => {
                let r = &self.interactions[n];
                Answer { status: r.status, headers: r.headers.clone(), body: r.body.clone() }
            }
            None => {
                let shown =
                    if query.is_empty() { format!("{method} {path}") } else { format!("{method} {path}?{query}") };
                eprintln!("panko-lookalike: no recorded interaction for {shown}");
                self.unmatched.lock().unwrap_or_else(|p| p.into_inner()).push(shown.clone());
                let message = format!("no recorded interaction for {shown}");
                Answer {
                    status: 404,
                    headers: vec![("Content-Type".into(), "application/json".into())],
                    body: serde_json::json!({"error_message": message, "error": {"code": 404, "message": message}})
                        .to_string()
                        .into_bytes(),
                }
            }
        }
    }

    /// The requests no interaction matched.
    pub fn unmatched(&self) -> Vec<String> {
        self.unmatched.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_by_method_path_and_query_in_order_then_repeats() {
        let dir = std::env::temp_dir().join(format!("replay-test-{}.yml", std::process::id()));
        let cassette = "---\nhttp_interactions:\n- request:\n    method: \"get\"\n    uri: \"http://old:5000/v2/events?b=2&a=1\"\n  response:\n    status:\n      code: 200\n    headers:\n      \"Content-Length\":\n      - \"3\"\n      \"X-Subject-Token\":\n      - \"[REDACTED]\"\n    body:\n      encoding: \"UTF-8\"\n      string: \"see http://old:5000/x\"\n- request:\n    method: \"get\"\n    uri: \"http://old:5000/v2/events?a=1&b=2\"\n  response:\n    status:\n      code: 201\n    headers: {}\n    body:\n      encoding: \"UTF-8\"\n      string: \"two\"\n";
        std::fs::write(&dir, cassette).unwrap();
        let c = Cassette::load(dir.to_str().unwrap(), "http://127.0.0.1:9").unwrap();
        let first = c.answer("GET", "/v2/events", "a=1&b=2");
        assert_eq!((first.status, first.body.as_slice()), (200, &b"see http://127.0.0.1:9/x"[..]));
        assert_eq!(first.headers, vec![("X-Subject-Token".to_owned(), "[REDACTED]".to_owned())]);
        assert_eq!(c.answer("GET", "/v2/events", "b=2&a=1").status, 201);
        assert_eq!(c.answer("GET", "/v2/events", "a=1&b=2").status, 201);
        assert_eq!(c.answer("POST", "/v2/events", "a=1&b=2").status, 404);
        assert_eq!(c.unmatched(), ["POST /v2/events?a=1&b=2"]);
        std::fs::remove_file(&dir).unwrap();
    }

    #[test]
    fn a_base64_body_is_decoded_across_lines_and_a_bad_one_refused() {
        let path = std::env::temp_dir().join(format!("replay-test-b64-{}.json", std::process::id()));
        let cassette = |b64: &str| {
            serde_json::json!({"http_interactions": [{
                "request": {"method": "get", "uri": "http://old:5000/x"},
                "response": {"status": {"code": 200}, "headers": {},
                             "body": {"encoding": "ASCII-8BIT", "base64_string": b64}}}]})
            .to_string()
        };
        std::fs::write(&path, cassette("Zm9v\nYmFy/wA=\n")).unwrap();
        let c = Cassette::load(path.to_str().unwrap(), "http://127.0.0.1:9").unwrap();
        assert_eq!(c.answer("GET", "/x", "").body, b"foobar\xff\x00");
        std::fs::write(&path, cassette("Zm9v!")).unwrap();
        let error = Cassette::load(path.to_str().unwrap(), "http://127.0.0.1:9").err().unwrap();
        assert!(error.contains("interaction 1: the body's base64_string is not base64"), "{error}");
        std::fs::remove_file(&path).unwrap();
    }
}
