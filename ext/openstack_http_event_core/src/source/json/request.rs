//! What a generic JSON request carries besides its URL (`http.source`
//! `:method`, `:headers`, `:body`): the method, the source's own headers
//! and a body, all templates. A header whose name looks secret
//! ([`crate::util::scrub::looks_secret`]) holds a secret: its value is never
//! shown, and the monitor's scrubber learns it.

use std::fmt;

use reqwest::header::{HeaderName, HeaderValue, CONTENT_TYPE};
use reqwest::Method;
use serde_json::Value as Opt;
use url::Url;

use super::body::Body;
use super::hash::{self, Hash};
use super::template::{Placeholder, Template, Values};
use crate::error::{Error, Result};
use crate::source::Request;

/// The method, headers and body of every request of a generic JSON source.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestTemplate {
    method: Method,
    headers: Vec<HeaderTemplate>,
    body: Option<Body>,
}

impl Default for RequestTemplate {
    fn default() -> Self {
        RequestTemplate { method: Method::GET, headers: Vec::new(), body: None }
    }
}

/// One `:headers` entry.
#[derive(Clone, PartialEq)]
struct HeaderTemplate {
    name: HeaderName,
    value: Template,
    secret: bool,
}

impl fmt::Debug for HeaderTemplate {
    /// The name only: a value may be a secret.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HeaderTemplate").field("name", &self.name).field("secret", &self.secret).finish()
    }
}

impl RequestTemplate {
    /// Reads `:method`, `:headers` and `:body` of `http.source`; every
    /// placeholder is noted in `uses` with the key path that holds it.
    pub(super) fn from_options(o: &Hash<'_>, uses: &mut Vec<(String, Placeholder)>) -> Result<RequestTemplate> {
        let method = match hash::string(o, "method")? {
            None => Method::GET,
            Some(m) if m.eq_ignore_ascii_case("get") => Method::GET,
            Some(m) if m.eq_ignore_ascii_case("post") => Method::POST,
            Some(m) => {
                return Err(Error::config("http.source.method", format!("must be \"GET\" or \"POST\", got {m:?}")))
            }
        };
        let mut headers = Vec::new();
        match o.get("headers") {
            None | Some(Opt::Null) => {}
            Some(v) => {
                for (name, value) in hash::hash("http.source.headers", v, &[])?.iter_all() {
                    headers.push(header(name, value, uses)?);
                }
            }
        }
        let body = match o.get("body") {
            None | Some(Opt::Null) => None,
            Some(_) if method != Method::POST => {
                return Err(Error::config("http.source.body", "is sent only with http.source.method \"POST\""))
            }
            Some(v) => Some(Body::parse("http.source.body", v, uses)?),
        };
        Ok(RequestTemplate { method, headers, body })
    }

    /// The request to `url` for one poll. A header whose placeholder has no
    /// value yet (or whose value turns out not to be a header value) is
    /// left out.
    pub fn build(&self, url: Url, values: &Values) -> Request {
        let mut headers: Vec<(HeaderName, HeaderValue)> = self
            .headers
            .iter()
            .filter_map(|h| {
                let mut value = HeaderValue::from_str(&h.value.expand(values)?).ok()?;
                // never indexed by HTTP/2, hidden by `Debug`
                value.set_sensitive(h.secret);
                Some((h.name.clone(), value))
            })
            .collect();
        let body = self.body.as_ref().map(|b| b.expand(values));
        if body.is_some() && !headers.iter().any(|(n, _)| n == CONTENT_TYPE) {
            headers.push((CONTENT_TYPE, HeaderValue::from_static("application/json")));
        }
        Request { method: self.method.clone(), url, headers, body }
    }

    /// The literal text of the secret headers' values, for the scrubber.
    pub fn secrets(&self) -> Vec<String> {
        self.headers.iter().filter(|h| h.secret).flat_map(|h| h.value.literals().map(str::to_owned)).collect()
    }
}

/// One header: a valid name, and a value whose literal text is valid in a
/// header. No error shows the value.
fn header(name: &str, value: &Opt, uses: &mut Vec<(String, Placeholder)>) -> Result<HeaderTemplate> {
    let key = format!("http.source.headers.{name}");
    let parsed =
        HeaderName::from_bytes(name.as_bytes()).map_err(|_| Error::config(&key, "is not a valid header name"))?;
    let text = match value {
        Opt::String(s) => s.clone(),
        Opt::Number(n) => n.to_string(),
        other => {
            return Err(Error::config(
                &key,
                format!("must be a String, a Symbol or a number, got {}", hash::opt_kind(other)),
            ))
        }
    };
    let secret = crate::util::scrub::looks_secret(name);
    let template = Template::parse(&text).map_err(|m| {
        // the parser's message quotes the text: not for a secret
        if secret {
            Error::config(&key, "has an unknown or unclosed placeholder (its value is not shown: a secret)")
        } else {
            Error::config(&key, m)
        }
    })?;
    if template.literals().any(|t| HeaderValue::from_str(t).is_err()) {
        return Err(Error::config(&key, "is not a valid header value (control characters)"));
    }
    uses.extend(template.placeholders().map(|p| (key.clone(), p)));
    Ok(HeaderTemplate { name: parsed, value: template, secret })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn template(options: Opt) -> Result<RequestTemplate> {
        let o = super::super::hash::hash("http.source", &options, &[])?;
        RequestTemplate::from_options(&o, &mut Vec::new())
    }

    #[test]
    fn headers_left_out_without_a_value_and_secrets_hidden() {
        let t = template(json!({"method": "post", "body": {"n": "{limit}"},
                                "headers": {"X-Tenant": "demo", "X-Api-Key": "k3y-v4lue", "X-Since": "{since}",
                                            "X-Page-Size": 50}}))
        .unwrap();
        let r = t.build(Url::parse("http://svc/e").unwrap(), &Values { limit: 5, ..Values::default() });
        assert_eq!(r.method, Method::POST);
        let mut names: Vec<&str> = r.headers.iter().map(|(n, _)| n.as_str()).collect();
        names.sort_unstable();
        assert_eq!(names, vec!["content-type", "x-api-key", "x-page-size", "x-tenant"]);
        assert_eq!(r.body.as_deref(), Some(&b"{\"n\":5}"[..]));
        assert_eq!(t.secrets(), vec!["k3y-v4lue".to_owned()]);
        assert!(!format!("{t:?} {r:?}").contains("k3y-v4lue"));
        let own = template(json!({"method": "POST", "body": "x", "headers": {"content-type": "text/plain"}})).unwrap();
        let r = own.build(Url::parse("http://svc/e").unwrap(), &Values::default());
        assert_eq!(r.headers.len(), 1);
        assert_eq!(r.headers[0].1, "text/plain");
    }

    #[test]
    fn errors_name_the_key_and_never_a_secret() {
        let e = |o: Opt| template(o).unwrap_err().to_string();
        assert!(e(json!({"method": "PUT"})).contains("http.source.method: must be \"GET\" or \"POST\""));
        assert!(e(json!({"body": {"a": 1}})).contains("http.source.body: is sent only with http.source.method"));
        assert!(e(json!({"method": "get", "body": "x"})).contains("http.source.body: is sent only"));
        assert!(e(json!({"headers": {"Bad Name": "x"}}))
            .contains("http.source.headers.Bad Name: is not a valid header name"));
        assert!(e(json!({"headers": {"X-A": "a\nb"}})).contains("http.source.headers.X-A: is not a valid header value"));
        assert!(e(json!({"headers": {"X-A": ["a"]}})).contains("http.source.headers.X-A: must be a String"));
        let secret = e(json!({"headers": {"X-Auth-Secret": "hunter2{oops}"}}));
        assert!(secret.contains("http.source.headers.X-Auth-Secret") && !secret.contains("hunter2"), "{secret}");
        assert!(e(json!({"headers": {"X-A": "{oops}"}})).contains("unknown placeholder {oops}"));
    }
}
