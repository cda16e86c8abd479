//! Records every HTTP exchange to a YAML cassette in the format Ruby's VCR
//! gem reads (`http.record`), so that a real service's answers can be
//! replayed offline by the look-alike (`--cassette`) or by VCR itself.
//!
//! Each interaction is written to the file as soon as its response has been
//! read, so memory stays bounded however long the recording runs. Secrets
//! never reach the file: the values of the credential headers, and of the
//! request headers whose names look secret ([`crate::util::scrub::looks_secret`]),
//! become `[REDACTED]`, and every other header value, URI and body goes
//! through the monitor's [`Scrubber`](crate::util::scrub::Scrubber) — which first
//! learns the tokens the response itself issues (Keystone's
//! `X-Subject-Token` or v2.0 `access.token.id`, an OAuth 2.0
//! `access_token`), since the authenticator reads them only after the
//! exchange is recorded.
//!
//! The YAML is written by the small emitter below rather than a crate: every
//! string is double-quoted with escapes, so no value can turn into another
//! YAML type or break the structure, and the layout is VCR's, fixed; VCR
//! and the look-alike read it back as they read any YAML cassette.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use reqwest::header::HeaderMap;

use crate::error::{Error, Result};
use crate::shared::Shared;
use crate::util::scrub::REDACTED;

/// Headers whose values are credentials: always `[REDACTED]`.
pub const CREDENTIAL_HEADERS: [&str; 6] =
    ["authorization", "x-auth-token", "x-subject-token", "proxy-authorization", "cookie", "set-cookie"];

/// JSON Pointers to tokens a response may issue.
const TOKEN_POINTERS: [&str; 4] = ["/access/token/id", "/access_token", "/refresh_token", "/id_token"];

/// One exchange, as sent and as answered.
pub struct Interaction<'a> {
    pub method: &'a str,
    pub uri: &'a str,
    pub request_headers: &'a HeaderMap,
    pub request_body: &'a [u8],
    pub status: reqwest::StatusCode,
    pub response_headers: &'a HeaderMap,
    pub response_body: &'a [u8],
}

/// An open cassette file, shared by every request of one monitor.
pub struct Recorder {
    path: PathBuf,
    file: Mutex<Writer>,
    shared: Arc<Shared>,
}

struct Writer {
    file: File,
    interactions: u64,
    /// The first write error, reported once.
    failed: bool,
}

impl Recorder {
    /// Creates (or truncates) the cassette at `path`.
    pub fn create(path: &Path, shared: Arc<Shared>) -> Result<Recorder> {
        let mut file = File::create(path)
            .map_err(|e| Error::config("http.record", format!("cannot create {}: {e}", path.display())))?;
        let head =
            format!("---\nrecorded_with: {}\n", quote(&format!("openstack_http_event_monitor {}", crate::VERSION)));
        file.write_all(head.as_bytes())
            .map_err(|e| Error::config("http.record", format!("cannot write {}: {e}", path.display())))?;
        Ok(Recorder {
            path: path.to_owned(),
            file: Mutex::new(Writer { file, interactions: 0, failed: false }),
            shared,
        })
    }

    /// Appends one interaction; a write failure is logged once and recording
    /// goes on without it (the monitor itself is not disturbed).
    pub fn record(&self, interaction: &Interaction<'_>) {
        self.learn_tokens(interaction);
        let text = self.render(interaction);
        let mut writer = self.file.lock().unwrap_or_else(|p| p.into_inner());
        let mut out = String::new();
        if writer.interactions == 0 {
            out.push_str("http_interactions:\n");
        }
        out.push_str(&text);
        match writer.file.write_all(out.as_bytes()) {
            Ok(()) => writer.interactions += 1,
            Err(e) if !writer.failed => {
                writer.failed = true;
                self.shared.log(
                    crate::shared::Level::Error,
                    format!("http.record: cannot write {}: {e}; the cassette is incomplete", self.path.display()),
                );
            }
            Err(_) => {}
        }
    }

    /// Teaches the scrubber the tokens this response issues.
    fn learn_tokens(&self, i: &Interaction<'_>) {
        for value in i.response_headers.get_all("x-subject-token") {
            if let Ok(token) = value.to_str() {
                self.shared.scrubber.add_token(token);
            }
        }
        if let Ok(json) = serde_json::from_slice::<serde_json::Value>(i.response_body) {
            for pointer in TOKEN_POINTERS {
                if let Some(token) = json.pointer(pointer).and_then(|v| v.as_str()) {
                    self.shared.scrubber.add_token(token);
                }
            }
        }
    }

    fn render(&self, i: &Interaction<'_>) -> String {
        let scrub = |text: &str| self.shared.scrubber.scrub(text);
        let mut out = String::new();
        out.push_str("- request:\n");
        out.push_str(&format!("    method: {}\n", quote(&i.method.to_ascii_lowercase())));
        out.push_str(&format!("    uri: {}\n", quote(&scrub(i.uri))));
        body(&mut out, i.request_body, &scrub);
        headers(&mut out, i.request_headers, &scrub, crate::util::scrub::looks_secret);
        out.push_str("  response:\n");
        out.push_str("    status:\n");
        out.push_str(&format!("      code: {}\n", i.status.as_u16()));
        out.push_str(&format!("      message: {}\n", quote(i.status.canonical_reason().unwrap_or(""))));
        headers(&mut out, i.response_headers, &scrub, |_| false);
        body(&mut out, i.response_body, &scrub);
        let now = chrono::Utc::now().format("%a, %d %b %Y %H:%M:%S GMT");
        out.push_str(&format!("  recorded_at: {}\n", quote(&now.to_string())));
        out
    }
}

impl Drop for Recorder {
    /// A cassette without interactions still has the list VCR expects.
    fn drop(&mut self) {
        let writer = self.file.get_mut().unwrap_or_else(|p| p.into_inner());
        if writer.interactions == 0 {
            let _ = writer.file.write_all(b"http_interactions: []\n");
        }
    }
}

/// `body: {encoding, string}`, or `base64_string` for bytes that are not UTF-8.
fn body(out: &mut String, bytes: &[u8], scrub: &dyn Fn(&str) -> String) {
    out.push_str("    body:\n");
    match std::str::from_utf8(bytes) {
        Ok(text) => {
            out.push_str("      encoding: \"UTF-8\"\n");
            out.push_str(&format!("      string: {}\n", quote(&scrub(text))));
        }
        Err(_) => {
            out.push_str("      encoding: \"ASCII-8BIT\"\n");
            out.push_str(&format!("      base64_string: {}\n", quote(&STANDARD.encode(bytes))));
        }
    }
}

/// `headers: {Name: [values]}`, credential values redacted, and those of
/// the headers `secret` names (a request's secret-looking ones).
fn headers(out: &mut String, map: &HeaderMap, scrub: &dyn Fn(&str) -> String, secret: fn(&str) -> bool) {
    if map.is_empty() {
        out.push_str("    headers: {}\n");
        return;
    }
    out.push_str("    headers:\n");
    for name in map.keys() {
        out.push_str(&format!("      {}:\n", quote(&title_case(name.as_str()))));
        for value in map.get_all(name) {
            let shown = if CREDENTIAL_HEADERS.contains(&name.as_str()) || secret(name.as_str()) {
                REDACTED.to_owned()
            } else {
                scrub(&String::from_utf8_lossy(value.as_bytes()))
            };
            out.push_str(&format!("      - {}\n", quote(&shown)));
        }
    }
}

/// `content-type` → `Content-Type`, as VCR records them.
fn title_case(name: &str) -> String {
    name.split('-')
        .map(|part| {
            let mut chars = part.chars();
            match chars.next() {
                Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join("-")
}

/// A YAML double-quoted scalar: `"` and `\` escaped, and every character
/// YAML does not allow raw or would fold (controls, line and paragraph
/// separators, next-line, byte order mark) as `\uXXXX`.
pub fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}') => {
                out.push_str(&format!("\\u{:04x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_every_string_safely() {
        assert_eq!(quote("plain"), "\"plain\"");
        assert_eq!(quote("a\"b\\c\nd\te\r"), r#""a\"b\\c\nd\te\r""#);
        assert_eq!(quote("\u{0}\u{7f}\u{85}\u{2028}é"), r#""\u0000\u007f\u0085\u2028é""#);
        assert_eq!(quote("yes: no # - [x]"), "\"yes: no # - [x]\"");
    }

    #[test]
    fn header_names_as_vcr_writes_them() {
        assert_eq!(title_case("x-subject-token"), "X-Subject-Token");
        assert_eq!(title_case("etag"), "Etag");
    }

    fn sample(shared: Arc<Shared>, dir: &Path) -> String {
        let path = dir.join("c.yml");
        let recorder = Recorder::create(&path, shared).unwrap();
        let mut request_headers = HeaderMap::new();
        request_headers.insert("x-auth-token", "tok-0123456789".parse().unwrap());
        request_headers.insert("accept", "application/json".parse().unwrap());
        request_headers.insert("x-api-key", "k3y-0123456789".parse().unwrap());
        let mut response_headers = HeaderMap::new();
        response_headers.insert("x-subject-token", "issued-abcdef".parse().unwrap());
        response_headers.append("set-cookie", "a=1".parse().unwrap());
        response_headers.append("set-cookie", "b=2".parse().unwrap());
        recorder.record(&Interaction {
            method: "POST",
            uri: "http://h/v3/auth/tokens?x=hunter2hunter2",
            request_headers: &request_headers,
            request_body: br#"{"password": "hunter2hunter2"}"#,
            status: reqwest::StatusCode::CREATED,
            response_headers: &response_headers,
            response_body: br#"{"token": {"echo": "issued-abcdef"}, "access_token": "oauth-xyz123"}"#,
        });
        recorder.record(&Interaction {
            method: "GET",
            uri: "http://h/v2/events?token=oauth-xyz123",
            request_headers: &HeaderMap::new(),
            request_body: b"",
            status: reqwest::StatusCode::OK,
            response_headers: &HeaderMap::new(),
            response_body: &[0xff, 0x00],
        });
        drop(recorder);
        std::fs::read_to_string(&path).unwrap()
    }

    #[test]
    fn records_interactions_without_secrets() {
        let dir = std::env::temp_dir().join(format!("cassette-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let shared = Arc::new(Shared::new());
        shared.scrubber.add("hunter2hunter2");
        let text = sample(shared, &dir);
        for secret in ["hunter2hunter2", "tok-0123456789", "k3y-0123456789", "issued-abcdef", "oauth-xyz123", "a=1"] {
            assert!(!text.contains(secret), "{secret} in\n{text}");
        }
        assert!(text.starts_with("---\nrecorded_with: \"openstack_http_event_monitor "), "{text}");
        assert!(text.contains("http_interactions:\n- request:\n    method: \"post\"\n"), "{text}");
        assert!(text.contains("    uri: \"http://h/v3/auth/tokens?x=[REDACTED]\"\n"), "{text}");
        assert!(text.contains("      \"Set-Cookie\":\n      - \"[REDACTED]\"\n      - \"[REDACTED]\"\n"), "{text}");
        assert!(text.contains("      code: 201\n      message: \"Created\"\n"), "{text}");
        assert!(text.contains("      encoding: \"ASCII-8BIT\"\n      base64_string: \"/wA=\"\n"), "{text}");
        assert!(text.contains("    headers: {}\n"), "{text}");
        assert_eq!(text.matches("  recorded_at: \"").count(), 2);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn an_empty_cassette_has_an_empty_list() {
        let dir = std::env::temp_dir().join(format!("cassette-empty-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("e.yml");
        drop(Recorder::create(&path, Arc::new(Shared::new())).unwrap());
        assert!(std::fs::read_to_string(&path).unwrap().ends_with("\nhttp_interactions: []\n"));
        let e = Recorder::create(&dir.join("missing/x.yml"), Arc::new(Shared::new())).err().unwrap();
        assert!(e.to_string().contains("http.record"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
