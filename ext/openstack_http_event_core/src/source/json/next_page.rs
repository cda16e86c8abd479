//! How a generic JSON service pages, and where its next page is: the
//! position the engine carries from page to page as its "marker".

use url::Url;

use crate::format::pointer::Pointer;
use crate::model::json::Value;

#[derive(Debug, Clone, PartialEq)]
pub enum JsonPaging {
    /// One request per poll; paging goes by timestamp (`{since}`,
    /// `{limit}` grown when a page is all one timestamp).
    None,
    /// `param` = the last record's value at `field`.
    Marker { param: String, field: Pointer },
    /// A next URL in the body at `pointer` (a string, or a list of
    /// `{"rel": "next", "href": …}` links).
    Next { pointer: Pointer },
    /// RFC 8288 `Link: <…>; rel="next"`.
    LinkHeader,
    /// An opaque token at `pointer` in the body (a string or an integer;
    /// null, empty or absent: the last page), sent back as `param`.
    Token { pointer: Pointer, param: String },
    /// `param` = page number from `start` (no `param`: a template holds
    /// `{page}`).
    Page { param: Option<String>, start: u64 },
    /// `param` = records read before this page (no `param`: a template
    /// holds `{offset}`).
    Offset { param: Option<String> },
}

impl JsonPaging {
    pub const NAMES: &'static str = ":none, :marker, :next, :link_header, :token, :page, :offset";

    pub fn name(&self) -> &'static str {
        match self {
            JsonPaging::None => "none",
            JsonPaging::Marker { .. } => "marker",
            JsonPaging::Next { .. } => "next",
            JsonPaging::LinkHeader => "link_header",
            JsonPaging::Token { .. } => "token",
            JsonPaging::Page { .. } => "page",
            JsonPaging::Offset { .. } => "offset",
        }
    }

    /// Whether the position is a URL that replaces the request's.
    pub fn is_url(&self) -> bool {
        matches!(self, JsonPaging::Next { .. } | JsonPaging::LinkHeader)
    }
}

/// A next-page token: a non-empty string, or an integer.
pub fn token(found: Option<&Value>) -> Option<String> {
    match found? {
        Value::Str(s) if !s.is_empty() => Some(s.clone()),
        Value::Int(n) => Some(n.to_string()),
        Value::BigInt(n) => Some(n.clone()),
        _ => None,
    }
}

/// The next URL a body's value names: a string, or the `href` of the
/// `"rel": "next"` item of a list of links (OpenStack's `…_links`). Relative
/// URLs are resolved against the request's.
pub fn next_in_body(found: Option<&Value>, request: &Url) -> Option<String> {
    let href = match found? {
        Value::Str(s) => s.as_str(),
        Value::Array(links) => links.iter().find_map(|link| {
            let Value::Object(members) = link else { return None };
            let get = |name: &str| members.iter().rev().find(|(k, _)| k == name).and_then(|(_, v)| v.as_str());
            (get("rel")?.eq_ignore_ascii_case("next")).then(|| get("href")).flatten()
        })?,
        _ => return None,
    };
    resolve(href, request)
}

/// The `rel="next"` target of `Link` header values (RFC 8288), resolved
/// against the request's URL.
pub fn next_in_link_headers<'h>(values: impl Iterator<Item = &'h str>, request: &Url) -> Option<String> {
    for value in values {
        for link in split_links(value) {
            let Some((target, params)) = link.trim().strip_prefix('<').and_then(|l| l.split_once('>')) else {
                continue;
            };
            let is_next = params.split(';').any(|p| {
                let Some((name, v)) = p.split_once('=') else { return false };
                name.trim().eq_ignore_ascii_case("rel")
                    && v.trim().trim_matches('"').split_ascii_whitespace().any(|r| r.eq_ignore_ascii_case("next"))
            });
            if is_next {
                return resolve(target.trim(), request);
            }
        }
    }
    None
}

/// Splits a `Link` value at the commas between links (not those inside
/// `<…>` or quotes).
fn split_links(value: &str) -> Vec<&str> {
    let (mut out, mut start, mut in_url, mut in_quote) = (Vec::new(), 0, false, false);
    for (i, c) in value.char_indices() {
        match c {
            '<' if !in_quote => in_url = true,
            '>' if !in_quote => in_url = false,
            '"' if !in_url => in_quote = !in_quote,
            ',' if !in_url && !in_quote => {
                out.push(&value[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&value[start..]);
    out
}

fn resolve(href: &str, request: &Url) -> Option<String> {
    if href.trim().is_empty() {
        return None;
    }
    let url = request.join(href).ok()?;
    matches!(url.scheme(), "http" | "https").then(|| url.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::json;

    fn base() -> Url {
        Url::parse("http://svc:8080/api/events?since=1").unwrap()
    }

    #[test]
    fn next_urls_from_the_body() {
        let doc = json::parse(
            br#"{"links":{"next":"?since=1&after=x"},"events_links":[{"rel":"self","href":"/a"},{"rel":"next","href":"http://other/b"}]}"#,
            10,
        )
        .unwrap();
        let at = |p: &str| next_in_body(Pointer::parse(p).unwrap().get(&doc), &base());
        assert_eq!(at("/links/next").as_deref(), Some("http://svc:8080/api/events?since=1&after=x"));
        assert_eq!(at("/events_links").as_deref(), Some("http://other/b"));
        assert_eq!(at("/missing"), None);
        assert_eq!(next_in_body(Some(&Value::Null), &base()), None);
        assert_eq!(next_in_body(Some(&Value::from("")), &base()), None);
        assert_eq!(next_in_body(Some(&Value::from("ftp://x/")), &base()), None);
    }

    #[test]
    fn tokens() {
        assert_eq!(token(Some(&Value::from("abc"))).as_deref(), Some("abc"));
        assert_eq!(token(Some(&Value::Int(42))).as_deref(), Some("42"));
        assert_eq!(token(Some(&Value::from(""))), None);
        assert_eq!(token(Some(&Value::Null)), None);
        assert_eq!(token(None), None);
    }

    #[test]
    fn next_urls_from_link_headers() {
        let v = r#"<https://svc/e?page=1>; rel="prev", <https://svc/e?page=3&a=b,c>; rel="next last""#;
        assert_eq!(next_in_link_headers([v].into_iter(), &base()).as_deref(), Some("https://svc/e?page=3&a=b,c"));
        assert_eq!(
            next_in_link_headers(["</p2>; rel=next"].into_iter(), &base()).as_deref(),
            Some("http://svc:8080/p2")
        );
        assert_eq!(next_in_link_headers(["<https://svc/e>; rel=\"prev\""].into_iter(), &base()), None);
        assert_eq!(next_in_link_headers(["garbage"].into_iter(), &base()), None);
    }
}
