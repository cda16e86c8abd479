//! Scrubs the monitor's secrets out of every text that leaves the core.
//!
//! [`Secret`](crate::util::secret::Secret) keeps a value out of `Debug` and
//! `Display`, but a service can still hand it back: a Keystone or proxy that
//! echoes the request body in a 400 (the password), a 401 that names the
//! token, a URL whose userinfo ends up in a message. The monitor therefore
//! knows every secret it holds — the Keystone password, a static token, the
//! proxy's password, the other auth types' secrets, and the tokens issued
//! at runtime by Keystone or an OAuth 2.0 token endpoint (the newest
//! [`MAX_TOKENS`]) — and replaces each, in the forms a service is likely to
//! echo it in, with `[REDACTED]` in log records, `Stats::last_error` and the
//! errors handed to the binding.
//!
//! Secrets shorter than [`MIN_LEN`] characters are not scrubbed: a 1–3
//! character password would turn every message into confetti (`"a"` would
//! scrub every letter a), while such a password is guessed in moments anyway,
//! so hiding it buys nothing. Tokens are always far longer.

use std::collections::VecDeque;
use std::sync::Mutex;

use crate::error::Error;

pub const REDACTED: &str = "[REDACTED]";
/// Secrets shorter than this (in characters) are left alone; see the module
/// documentation.
pub const MIN_LEN: usize = 4;
/// Runtime tokens remembered; older ones have expired long ago.
pub const MAX_TOKENS: usize = 16;

/// The set of secrets, shared by the monitor and the threads that read its
/// logs and stats. It only grows (tokens beyond [`MAX_TOKENS`] drop out).
#[derive(Default)]
pub struct Scrubber {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    /// Each configured secret with its encoded forms, longest first.
    fixed: Vec<String>,
    /// The forms of each remembered token, newest last.
    tokens: VecDeque<Vec<String>>,
}

impl Scrubber {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A configured secret: password, static token, proxy password.
    pub fn add(&self, secret: &str) {
        if secret.chars().count() < MIN_LEN {
            return;
        }
        let mut inner = self.lock();
        for form in forms(secret) {
            if !inner.fixed.contains(&form) {
                inner.fixed.push(form);
            }
        }
        inner.fixed.sort_by_key(|f| std::cmp::Reverse(f.len()));
    }

    /// A token obtained at runtime (Keystone, OAuth 2.0); the oldest of more than
    /// [`MAX_TOKENS`] is forgotten.
    pub fn add_token(&self, token: &str) {
        if token.chars().count() < MIN_LEN {
            return;
        }
        let forms = forms(token);
        let mut inner = self.lock();
        if inner.tokens.contains(&forms) {
            return;
        }
        if inner.tokens.len() >= MAX_TOKENS {
            inner.tokens.pop_front();
        }
        inner.tokens.push_back(forms);
    }

    /// `text` with every known secret replaced by `[REDACTED]`, also a
    /// secret's beginning at the very end of the text (a message cut short).
    pub fn scrub(&self, text: &str) -> String {
        let inner = self.lock();
        let mut out = text.to_owned();
        let all = inner.fixed.iter().chain(inner.tokens.iter().flatten());
        for form in all {
            if out.contains(form.as_str()) {
                out = out.replace(form.as_str(), REDACTED);
            }
            // a message truncated inside the secret
            let cut =
                (MIN_LEN..form.len()).rev().filter(|&n| form.is_char_boundary(n)).find(|&n| out.ends_with(&form[..n]));
            if let Some(n) = cut {
                out.truncate(out.len() - n);
                out.push_str(REDACTED);
            }
        }
        out
    }

    /// The error with every known secret scrubbed from its texts.
    pub fn scrub_error(&self, error: Error) -> Error {
        error.map_text(|s| self.scrub(s))
    }
}

/// What a header name holds when its value is a secret: a configured
/// header (`http.source.headers`) so named is scrubbed, and a cassette
/// records it as `[REDACTED]`.
pub const SECRET_NAME_PARTS: [&str; 7] = ["auth", "token", "key", "secret", "password", "cookie", "session"];

/// Whether a header named `name` carries a secret (case-insensitive).
pub fn looks_secret(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    SECRET_NAME_PARTS.iter().any(|part| lower.contains(part))
}

/// The secret as written and as a service may echo it: JSON-escaped (once,
/// and twice for a JSON message quoted inside JSON; also ASCII-only as
/// Python writes it), Rust-`Debug`-quoted, percent-encoded (upper- and
/// lower-case hex, form encoding with `+`, and as a URL's userinfo).
fn forms(secret: &str) -> Vec<String> {
    let json = json_escape(secret, false);
    let mut forms = vec![
        secret.to_owned(),
        json.clone(),
        json_escape(&json, false),
        json_escape(secret, true),
        json.replace('/', "\\/"),
        format!("{secret:?}").trim_matches('"').to_owned(),
        percent(secret, false),
        percent(secret, true),
        url::form_urlencoded::byte_serialize(secret.as_bytes()).collect(),
    ];
    if let Ok(mut url) = url::Url::parse("http://user@host/") {
        if url.set_password(Some(secret)).is_ok() {
            if let Some(p) = url.password() {
                forms.push(p.to_owned());
            }
        }
    }
    let mut unique: Vec<String> = Vec::new();
    for form in forms {
        if form.chars().count() >= MIN_LEN && !unique.contains(&form) {
            unique.push(form);
        }
    }
    // longer forms first, so that a form containing another goes whole
    unique.sort_by_key(|f| std::cmp::Reverse(f.len()));
    unique
}

/// The inside of a JSON string; `ascii` escapes non-ASCII as `\uXXXX`.
fn json_escape(text: &str, ascii: bool) -> String {
    let quoted = serde_json::Value::String(text.to_owned()).to_string();
    let inner = &quoted[1..quoted.len() - 1];
    if !ascii {
        return inner.to_owned();
    }
    let mut out = String::with_capacity(inner.len());
    for c in inner.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    out
}

/// Every byte outside RFC 3986's unreserved set as `%XX`.
fn percent(text: &str, lower: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else if lower {
            out.push_str(&format!("%{b:02x}"));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Decodes `%XX` escapes (a URL's userinfo); invalid escapes stay as they
/// are, bytes that are not UTF-8 become U+FFFD.
pub fn percent_decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text).decode_utf8_lossy().into_owned()
}

/// The passwords of the proxies requests may go through: `http.proxy`, else
/// the standard `*_PROXY` environment variables reqwest reads.
pub fn proxy_passwords(configured: Option<&url::Url>) -> Vec<String> {
    let from_env = || {
        ["HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"]
            .iter()
            .filter_map(|name| std::env::var(name).ok())
            .filter_map(|text| url::Url::parse(&text).ok())
            .collect::<Vec<_>>()
    };
    let urls = match configured {
        Some(url) => vec![url.clone()],
        None => from_env(),
    };
    urls.iter().filter_map(|u| u.password()).map(percent_decode).collect()
}

/// A URL's text (valid or not) with its userinfo hidden:
/// `https://***@host/...`. Everything between the scheme and the last `@` is
/// hidden, since a malformed URL's password may hold `/`, `?` or `#`.
pub fn hide_userinfo(text: &str) -> String {
    let Some(at) = text.rfind('@') else { return text.to_owned() };
    let start = text.find("://").map_or(0, |i| i + 3);
    if start > at {
        return text.to_owned();
    }
    format!("{}***{}", &text[..start], &text[at..])
}

/// The URL without its query string, for messages.
pub fn redact(url: &url::Url) -> String {
    let mut shown = url.clone();
    shown.set_query(None);
    shown.set_fragment(None);
    let _ = shown.set_password(None);
    shown.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrubs_each_form_of_a_secret() {
        let s = Scrubber::new();
        s.add(r#"p@ss"w\rd/é"#);
        let json = r#"{"password": "p@ss\"w\\rd/é"}"#;
        assert_eq!(s.scrub(json), r#"{"password": "[REDACTED]"}"#);
        assert_eq!(s.scrub(r#"p@ss\\\"w\\\\rd/é"#), REDACTED);
        assert_eq!(s.scrub(r#"p@ss\"w\\rd/\u00e9"#), REDACTED);
        assert_eq!(s.scrub(r#"p@ss\"w\\rd\/é"#), REDACTED);
        assert_eq!(s.scrub("x=p%40ss%22w%5Crd%2F%C3%A9&y"), "x=[REDACTED]&y");
        assert_eq!(s.scrub("x=p%40ss%22w%5crd%2f%c3%a9"), "x=[REDACTED]");
        assert_eq!(s.scrub(r#"p@ss"w\rd/é and p@ss"w\rd/é"#), "[REDACTED] and [REDACTED]");
        assert_eq!(s.scrub("nothing here"), "nothing here");
    }

    #[test]
    fn a_secret_cut_short_at_the_end_of_a_message_goes_too() {
        let s = Scrubber::new();
        s.add("correct-horse-battery");
        assert_eq!(s.scrub("body: {\"password\": \"correct-hor"), "body: {\"password\": \"[REDACTED]");
        assert_eq!(s.scrub("ends with cor"), "ends with cor");
    }

    #[test]
    fn short_secrets_are_left_alone() {
        let s = Scrubber::new();
        s.add("pw");
        s.add_token("abc");
        assert_eq!(s.scrub("pw abc"), "pw abc");
        s.add("pass");
        assert_eq!(s.scrub("a pass"), "a [REDACTED]");
    }

    #[test]
    fn remembers_the_newest_tokens_only() {
        let s = Scrubber::new();
        for i in 0..=MAX_TOKENS {
            s.add_token(&format!("token-{i:04}"));
        }
        assert_eq!(s.scrub("token-0000"), "token-0000");
        assert_eq!(s.scrub("token-0001 token-0016"), "[REDACTED] [REDACTED]");
        s.add_token("token-0016");
        assert_eq!(s.scrub("token-0001"), REDACTED);
    }

    #[test]
    fn scrubs_errors() {
        let s = Scrubber::new();
        s.add_token("0123456789abcdef");
        let e = Error::Authentication { url: "http://h/".into(), message: "token 0123456789abcdef is invalid".into() };
        assert_eq!(s.scrub_error(e).to_string(), "authentication failed at http://h/: token [REDACTED] is invalid");
    }

    #[test]
    fn userinfo_is_hidden_in_valid_and_malformed_urls() {
        assert_eq!(hide_userinfo("https://user:pa/ss@host:5000/v3"), "https://***@host:5000/v3");
        assert_eq!(hide_userinfo("http//user:pw@host"), "***@host");
        assert_eq!(hide_userinfo("https://host/v3"), "https://host/v3");
        let proxy = url::Url::parse("http://u:p%40ss%2Fword@proxy:3128").unwrap();
        assert_eq!(proxy_passwords(Some(&proxy)), ["p@ss/word"]);
        assert_eq!(percent_decode("p%40ss%2"), "p@ss%2");
        assert_eq!(percent_decode("%C3%A9%zz"), "é%zz");
        assert_eq!(percent_decode("%FFok%"), "\u{fffd}ok%");
    }
}
