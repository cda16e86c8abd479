//! Serves a VCR cassette (`--cassette FILE`) read as it is: YAML as VCR's
//! default serializer writes it through Psych (block scalars, anchors and
//! aliases, `!binary` bodies — base64 of bytes that are not UTF-8) or as the
//! monitor's recorder writes it (ext/openstack_http_event_core/src/http/cassette.rs),
//! read with serde_norway, which hands local tags such as `!binary` over but
//! not YAML's own `!!binary` (read as its base64 text); or JSON as VCR's
//! `:json` serializer writes it (`.json`, or a file starting with `{`). Only
//! what answering needs is read — each interaction's request method and URI,
//! its response status, headers and body — so whatever else a cassette holds
//! (request headers and bodies, `recorded_at`, `recorded_with`, …) is
//! skipped. A file that is no cassette is an error naming it, and the line
//! where the reader knows it.
//!
//! Each request is answered with the recorded response whose request has the
//! same method, path and query (parameters compared decoded, in any order;
//! headers and body ignored, so redacted credentials do not matter).
//! Interactions are used in recorded order, each once; when every match has
//! been used the last one answers again, as a service asked the same question
//! twice would. The origins the cassette was recorded from
//! (`http://keystone:5000`, …) are rewritten to this server's in response
//! bodies and `Location`, so a Keystone catalog leads back here. A request
//! without a recorded match is a 404 whose JSON names it, and is listed by
//! `GET /_control/stats` as `unmatched`.

use std::fmt;
use std::sync::Mutex;

use serde::de::{self, Deserializer, EnumAccess, MapAccess, VariantAccess, Visitor};
use serde::Deserialize;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

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

/// A cassette as VCR lays it out, reduced to what answering needs; serde
/// skips every other field, whatever it holds.
#[derive(Deserialize)]
#[serde(expecting = "a mapping holding http_interactions")]
struct Vcr {
    http_interactions: Vec<Interaction>,
}

#[derive(Deserialize)]
struct Interaction {
    request: Request,
    response: Response,
}

#[derive(Deserialize)]
struct Request {
    method: String,
    uri: String,
}

#[derive(Deserialize)]
struct Response {
    status: Status,
    headers: Option<Headers>,
    body: Option<Body>,
}

#[derive(Deserialize)]
struct Status {
    code: u16,
}

/// `{encoding, string}`, or `{encoding, base64_string}` as VCR stores exact
/// bytes (`preserve_exact_body_bytes`, and the monitor's recorder for bytes
/// that are not UTF-8).
#[derive(Deserialize)]
struct Body {
    string: Option<Bytes>,
    base64_string: Option<String>,
}

/// `Name: [values]`, in the cassette's order.
#[derive(Default)]
struct Headers(Vec<(String, Vec<Bytes>)>);

/// A scalar's bytes: a string's UTF-8, a number or boolean as written, or
/// the base64-decoded content of a `!binary` scalar — how Psych writes a
/// string that is not UTF-8 (VCR's body `string` for bytes it does not keep
/// as `base64_string`). Another tag is an error: it is no plain data.
struct Bytes(Vec<u8>);

impl<'de> Deserialize<'de> for Headers {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Headers;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a mapping of header names to lists of values")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Headers, A::Error> {
                let mut out = Vec::new();
                while let Some(entry) = map.next_entry::<String, Vec<Bytes>>()? {
                    out.push(entry);
                }
                Ok(Headers(out))
            }
        }
        d.deserialize_map(V)
    }
}

struct BytesVisitor;

impl<'de> Visitor<'de> for BytesVisitor {
    type Value = Bytes;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string, or base64 tagged !binary")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Bytes, E> {
        Ok(Bytes(v.as_bytes().to_vec()))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Bytes, E> {
        self.visit_str(&v.to_string())
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Bytes, E> {
        self.visit_str(&v.to_string())
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Bytes, E> {
        self.visit_str(&v.to_string())
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Bytes, E> {
        self.visit_str(&v.to_string())
    }
    /// serde_norway hands a tagged node over as an enum whose variant is the tag.
    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<Bytes, A::Error> {
        let (tag, content) = data.variant::<String>()?;
        if tag != "binary" {
            return Err(de::Error::custom(format!("unsupported tag !{tag} (a string or !binary expected)")));
        }
        let b64: String = content.newtype_variant()?;
        // Psych folds it into lines
        let b64: String = b64.chars().filter(|c| !c.is_ascii_whitespace()).collect();
        STANDARD
            .decode(b64)
            .map(Bytes)
            .map_err(|e| de::Error::custom(format!("a !binary value that is not base64 ({e})")))
    }
}

impl<'de> Deserialize<'de> for Bytes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(BytesVisitor)
    }
}

impl Cassette {
    /// Reads the cassette at `path`; `base` is this server's origin.
    pub fn load(path: &str, base: &str) -> Result<Cassette, String> {
        let source = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
        // VCR writes YAML, or JSON with its :json serializer
        let file: Vcr = if path.ends_with(".json") || source.trim_start().starts_with('{') {
            serde_json::from_str(&source).map_err(|e| format!("{path}: not a JSON VCR cassette: {e}"))?
        } else {
            serde_norway::from_str(&source).map_err(|e| format!("{path}: not a YAML VCR cassette: {e}"))?
        };
        let mut origins: Vec<String> = Vec::new();
        let mut raw = Vec::new();
        for (n, i) in file.http_interactions.into_iter().enumerate() {
            let uri = url::Url::parse(&i.request.uri)
                .map_err(|e| format!("{path}: interaction {}: uri {:?}: {e}", n + 1, i.request.uri))?;
            let origin = uri.origin().ascii_serialization();
            if !origins.contains(&origin) {
                origins.push(origin);
            }
            let headers: Vec<(String, String)> = i
                .response
                .headers
                .unwrap_or_default()
                .0
                .into_iter()
                .filter(|(name, _)| !SKIPPED.contains(&name.to_ascii_lowercase().as_str()))
                .flat_map(|(name, values)| {
                    values.into_iter().map(move |v| (name.clone(), String::from_utf8_lossy(&v.0).into_owned()))
                })
                .collect();
            let body = match i.response.body {
                Some(Body { base64_string: Some(b64), .. }) => {
                    // VCR (Ruby's Base64.encode64) breaks it into lines of 60
                    let b64: String = b64.chars().filter(|c| !c.is_ascii_whitespace()).collect();
                    STANDARD.decode(b64).map_err(|e| {
                        format!("{path}: interaction {}: the body's base64_string is not base64 ({e})", n + 1)
                    })?
                }
                Some(Body { string: Some(text), .. }) => text.0,
                _ => Vec::new(),
            };
            raw.push((i.request.method.to_ascii_uppercase(), uri, i.response.status.code, headers, body));
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

    /// Loads `text` written to a file named `name` (its extension picks the reader).
    fn load(name: &str, text: &str) -> Result<Cassette, String> {
        let dir = std::env::temp_dir().join(format!("replay-test-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        let loaded = Cassette::load(path.to_str().unwrap(), "http://127.0.0.1:9");
        std::fs::remove_dir_all(&dir).unwrap();
        loaded
    }

    #[test]
    fn matches_by_method_path_and_query_in_order_then_repeats() {
        let cassette = "---\nhttp_interactions:\n- request:\n    method: \"get\"\n    uri: \"http://old:5000/v2/events?b=2&a=1\"\n  response:\n    status:\n      code: 200\n    headers:\n      \"Content-Length\":\n      - \"3\"\n      \"X-Subject-Token\":\n      - \"[REDACTED]\"\n    body:\n      encoding: \"UTF-8\"\n      string: \"see http://old:5000/x\"\n- request:\n    method: \"get\"\n    uri: \"http://old:5000/v2/events?a=1&b=2\"\n  response:\n    status:\n      code: 201\n    headers: {}\n    body:\n      encoding: \"UTF-8\"\n      string: \"two\"\n";
        let c = load("match.yml", cassette).unwrap();
        let first = c.answer("GET", "/v2/events", "a=1&b=2");
        assert_eq!((first.status, first.body.as_slice()), (200, &b"see http://127.0.0.1:9/x"[..]));
        assert_eq!(first.headers, vec![("X-Subject-Token".to_owned(), "[REDACTED]".to_owned())]);
        assert_eq!(c.answer("GET", "/v2/events", "b=2&a=1").status, 201);
        assert_eq!(c.answer("GET", "/v2/events", "a=1&b=2").status, 201);
        assert_eq!(c.answer("POST", "/v2/events", "a=1&b=2").status, 404);
        assert_eq!(c.unmatched(), ["POST /v2/events?a=1&b=2"]);
    }

    /// What the monitor's recorder writes (ext/openstack_http_event_core/src/http/cassette.rs):
    /// every string double-quoted with escapes, bytes that are not UTF-8 as `base64_string`.
    #[test]
    fn reads_the_recorders_cassettes() {
        let text = r#"---
recorded_with: "openstack_http_event_monitor 0.1.0"
http_interactions:
- request:
    method: "post"
    uri: "http://keystone:5000/v3/auth/tokens"
    body:
      encoding: "UTF-8"
      string: "{\"password\": \"[REDACTED]\"}"
    headers:
      "X-Auth-Token":
      - "[REDACTED]"
  response:
    status:
      code: 201
      message: "Created"
    headers:
      "X-Subject-Token":
      - "[REDACTED]"
      "Set-Cookie":
      - "[REDACTED]"
      - "[REDACTED]"
    body:
      encoding: "UTF-8"
      string: "{\"url\": \"http://keystone:5000/v3\", \"t\": \"tab\there \u00e9\u2028\\\"}"
  recorded_at: "Thu, 01 Jan 2026 00:00:00 GMT"
- request:
    method: "get"
    uri: "http://panko:8977/v2/events?limit=100"
    body:
      encoding: "UTF-8"
      string: ""
    headers: {}
  response:
    status:
      code: 200
      message: "OK"
    headers: {}
    body:
      encoding: "ASCII-8BIT"
      base64_string: "/wA="
  recorded_at: "Thu, 01 Jan 2026 00:00:01 GMT"
"#;
        let c = load("recorder.yml", text).unwrap();
        assert_eq!(c.len(), 2);
        let login = c.answer("POST", "/v3/auth/tokens", "");
        assert_eq!(login.status, 201);
        assert_eq!(
            String::from_utf8(login.body).unwrap(),
            "{\"url\": \"http://127.0.0.1:9/v3\", \"t\": \"tab\there é\u{2028}\\\"}"
        );
        let headers: Vec<(&str, &str)> = login.headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
        assert_eq!(
            headers,
            [("X-Subject-Token", "[REDACTED]"), ("Set-Cookie", "[REDACTED]"), ("Set-Cookie", "[REDACTED]")]
        );
        let events = c.answer("GET", "/v2/events", "limit=100");
        assert_eq!((events.status, events.body.as_slice(), events.headers.len()), (200, &[0xff, 0x00][..], 0));

        let empty =
            load("empty.yml", "---\nrecorded_with: \"openstack_http_event_monitor 0.1.0\"\nhttp_interactions: []\n");
        assert_eq!(empty.unwrap().len(), 0);
    }

    /// What VCR's YAML serializer writes through Psych (`YAML.dump` of the
    /// cassette's hash, as Ruby 3 prints it): plain and single-quoted
    /// scalars, a `|-` block scalar body, anchors (`&1`, `&2`) and their
    /// aliases, a `!binary` body, a `base64_string` block (VCR's
    /// `preserve_exact_body_bytes`), keys the replay does not read.
    #[test]
    fn reads_what_psych_writes() {
        let text = r#"---
http_interactions:
- request:
    method: get
    uri: http://panko:8977/v2/events?limit=2
    body: &1
      encoding: UTF-8
      string: ''
    headers:
      Accept:
      - application/json
  response:
    status:
      code: 200
      message: OK
    headers: &2
      Content-Type:
      - application/json
      Content-Length:
      - '98'
    body:
      encoding: UTF-8
      string: |-
        [
          {
            "message_id": "a",
            "link": "http://panko:8977/v2/events/a"
          }
        ]
    adapter_metadata:
      effective_url: http://panko:8977/v2/events?limit=2
  recorded_at: Thu, 01 Jan 2026 00:00:00 GMT
- request:
    method: get
    uri: http://panko:8977/blob
    body: *1
    headers: {}
  response:
    status:
      code: 200
      message: OK
    headers: *2
    body:
      encoding: ASCII-8BIT
      string: !binary |-
        /wD+IGd6aXA/
  recorded_at: Thu, 01 Jan 2026 00:00:01 GMT
- request:
    method: get
    uri: http://panko:8977/exact
    body: *1
    headers: {}
  response:
    status:
      code: 203
      message: Non-Authoritative Information
    headers: {}
    body:
      encoding: ASCII-8BIT
      base64_string: |
        aGkgdGhlcmUsIGEgbG9uZ2VyIGJvZHkgdGhhbiBvbmUgYmFzZTY0IGxpbmUg
        d291bGQgaG9sZA==
  recorded_at: Thu, 01 Jan 2026 00:00:02 GMT
recorded_with: VCR 6.3.1
"#;
        let c = load("psych.yml", text).unwrap();
        assert_eq!(c.len(), 3);
        let page = c.answer("GET", "/v2/events", "limit=2");
        assert_eq!(page.status, 200);
        assert_eq!(
            String::from_utf8(page.body).unwrap(),
            "[\n  {\n    \"message_id\": \"a\",\n    \"link\": \"http://127.0.0.1:9/v2/events/a\"\n  }\n]"
        );
        assert_eq!(page.headers, [("Content-Type".to_owned(), "application/json".to_owned())]);
        let blob = c.answer("GET", "/blob", "");
        assert_eq!(blob.body, b"\xff\x00\xfe gzip?");
        // the aliased headers answer here too
        assert_eq!(blob.headers, page.headers);
        let exact = c.answer("GET", "/exact", "");
        assert_eq!(exact.status, 203);
        assert_eq!(exact.body, b"hi there, a longer body than one base64 line would hold");
    }

    #[test]
    fn reads_vcrs_json() {
        let text = r#"{"http_interactions":[{"request":{"method":"get","uri":"http://panko:8977/v2/events","body":{"encoding":"UTF-8","string":""},"headers":{}},"response":{"status":{"code":200,"message":"OK"},"headers":{"Content-Type":["application/json"]},"body":{"encoding":"UTF-8","string":"[]"}},"recorded_at":"Thu, 01 Jan 2026 00:00:00 GMT"},{"request":{"method":"get","uri":"http://panko:8977/blob"},"response":{"status":{"code":200},"body":{"encoding":"ASCII-8BIT","base64_string":"/wA="}}}],"recorded_with":"VCR 6.3.1"}"#;
        let c = load("vcr.json", text).unwrap();
        let page = c.answer("GET", "/v2/events", "");
        assert_eq!((page.status, page.body.as_slice()), (200, &b"[]"[..]));
        assert_eq!(c.answer("GET", "/blob", "").body, [0xff, 0x00]);
    }

    #[test]
    fn a_file_that_is_no_cassette_is_an_error_naming_it_and_the_line() {
        let not_yaml = load(
            "broken.yml",
            "http_interactions:\n- request:\n    method: get\n    uri: \"http://h/x\n  response: {}\n",
        )
        .err()
        .unwrap();
        assert!(not_yaml.contains("broken.yml: not a YAML VCR cassette") && not_yaml.contains("line 4"), "{not_yaml}");
        let config = load("config.yml", "---\nhttp:\n  url: http://panko:8977\n").err().unwrap();
        assert!(config.contains("config.yml: ") && config.contains("http_interactions"), "{config}");
        let list = load("list.yml", "- a\n- b\n").err().unwrap();
        assert!(list.contains("list.yml: not a YAML VCR cassette") && list.contains("http_interactions"), "{list}");
        let no_code = load(
            "no-code.yml",
            "http_interactions:\n- request:\n    method: get\n    uri: http://h/x\n  response:\n    status:\n      code: OK\n",
        )
        .err()
        .unwrap();
        assert!(no_code.contains("no-code.yml: ") && no_code.contains("line 7"), "{no_code}");
        let ruby = "http_interactions:\n- request:\n    method: get\n    uri: http://h/x\n  response:\n    status:\n      code: 200\n    body:\n      string: !ruby/object:Foo\n        a: 1\n";
        let tagged = load("ruby.yml", ruby).err().unwrap();
        assert!(
            tagged.contains("ruby.yml: ") && tagged.contains("!ruby/object:Foo") && tagged.contains("line 9"),
            "{tagged}"
        );
        let bad_uri = load(
            "uri.yml",
            "http_interactions:\n- request:\n    method: get\n    uri: /x\n  response:\n    status:\n      code: 200\n",
        )
        .err()
        .unwrap();
        assert!(bad_uri.contains("uri.yml: interaction 1: uri \"/x\""), "{bad_uri}");
        let json = load("c.json", "{\"http_interactions\": 3}").err().unwrap();
        assert!(json.contains("c.json: not a JSON VCR cassette") && json.contains("line 1"), "{json}");
        assert!(load("missing.yml", "").is_err());
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
