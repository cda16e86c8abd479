//! The body a POST sends (`http.source.body`): a String template sent as
//! is, or a Hash or Array sent as JSON, each String leaf a template. A leaf
//! that is exactly one numeric placeholder (`{limit}`, `{page}`, `{offset}`,
//! `{since}` in Unix seconds or milliseconds) becomes a JSON number; a leaf
//! whose placeholder has no value yet is left out, as a parameter is.

use serde_json::{Map, Value as Opt};

use super::template::{Placeholder, Template, Values};
use crate::error::{Error, Result};

/// A body template.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    /// Text sent as expanded; a placeholder without a value is written empty.
    Text(Template),
    /// A JSON document.
    Json(Node),
}

/// One value of a JSON body template.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// A number, boolean or null, sent as configured.
    Fixed(Opt),
    Leaf(Template),
    Array(Vec<Node>),
    Object(Vec<(String, Node)>),
}

impl Body {
    /// Reads the option at `key`; every placeholder is noted in `uses`
    /// with the key path that holds it.
    pub fn parse(key: &str, value: &Opt, uses: &mut Vec<(String, Placeholder)>) -> Result<Body> {
        match value {
            Opt::String(text) => Ok(Body::Text(leaf(key, text, uses)?)),
            Opt::Array(_) | Opt::Object(_) => Ok(Body::Json(Node::parse(key, value, uses)?)),
            other => Err(Error::config(
                key,
                format!(
                    "must be a String (sent as is) or a Hash or an Array (sent as JSON), got {}",
                    super::hash::opt_kind(other)
                ),
            )),
        }
    }

    /// The bytes sent for one request.
    pub fn expand(&self, values: &Values) -> Vec<u8> {
        match self {
            Body::Text(t) => t.expand_or_empty(values).into_bytes(),
            // a document without a member left out is still a document
            Body::Json(node) => node.expand(values).unwrap_or(Opt::Null).to_string().into_bytes(),
        }
    }
}

impl Node {
    fn parse(key: &str, value: &Opt, uses: &mut Vec<(String, Placeholder)>) -> Result<Node> {
        Ok(match value {
            Opt::String(text) => Node::Leaf(leaf(key, text, uses)?),
            Opt::Array(items) => Node::Array(
                items
                    .iter()
                    .enumerate()
                    .map(|(n, item)| Node::parse(&format!("{key}[{n}]"), item, uses))
                    .collect::<Result<_>>()?,
            ),
            Opt::Object(members) => Node::Object(
                members
                    .iter()
                    .map(|(name, v)| Ok((name.clone(), Node::parse(&format!("{key}.{name}"), v, uses)?)))
                    .collect::<Result<_>>()?,
            ),
            fixed => Node::Fixed(fixed.clone()),
        })
    }

    /// The JSON value; `None` for a leaf whose placeholder has no value.
    fn expand(&self, values: &Values) -> Option<Opt> {
        match self {
            Node::Fixed(v) => Some(v.clone()),
            Node::Leaf(t) => t.expand_json(values),
            Node::Array(items) => Some(Opt::Array(items.iter().filter_map(|n| n.expand(values)).collect())),
            Node::Object(members) => Some(Opt::Object(
                members.iter().filter_map(|(k, n)| Some((k.clone(), n.expand(values)?))).collect::<Map<_, _>>(),
            )),
        }
    }
}

fn leaf(key: &str, text: &str, uses: &mut Vec<(String, Placeholder)>) -> Result<Template> {
    let template = Template::parse(text).map_err(|m| Error::config(key, m))?;
    uses.extend(template.placeholders().map(|p| (key.to_owned(), p)));
    Ok(template)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn body(value: Opt) -> (Body, Vec<(String, Placeholder)>) {
        let mut uses = Vec::new();
        (Body::parse("http.source.body", &value, &mut uses).unwrap(), uses)
    }

    fn sent(b: &Body, v: &Values) -> Opt {
        serde_json::from_slice(&b.expand(v)).unwrap()
    }

    #[test]
    fn numbers_and_left_out_leaves() {
        let (b, uses) = body(json!({"filter": {"since": "{since}", "kind": "compute.*"}, "size": "{limit}",
                                    "page": "{page}", "tags": ["a", "{cursor}", 3], "exact": true, "label": "p{page}"}));
        assert!(uses.contains(&("http.source.body.filter.since".into(), Placeholder::Since)));
        assert!(uses.contains(&("http.source.body.tags[1]".into(), Placeholder::Cursor)));
        let first = Values { limit: 50, page: Some(1), ..Values::default() };
        assert_eq!(
            sent(&b, &first),
            json!({"filter": {"kind": "compute.*"}, "size": 50, "page": 1, "tags": ["a", 3], "exact": true, "label": "p1"})
        );
        let later = Values { since: Some("1457965320".into()), since_numeric: true, cursor: Some("c".into()), ..first };
        assert_eq!(sent(&b, &later)["filter"], json!({"since": 1457965320, "kind": "compute.*"}));
        assert_eq!(sent(&b, &later)["tags"], json!(["a", "c", 3]));
    }

    #[test]
    fn text_bodies_and_errors() {
        let (b, _) = body(json!("since={since}&size={limit}"));
        assert_eq!(b.expand(&Values { limit: 5, ..Values::default() }), b"since=&size=5");
        let mut uses = Vec::new();
        let e = Body::parse("http.source.body", &json!(5), &mut uses).unwrap_err().to_string();
        assert!(e.contains("http.source.body: must be a String (sent as is) or a Hash"), "{e}");
        let e = Body::parse("http.source.body", &json!({"a": [{"b": "{sinse}"}]}), &mut uses).unwrap_err().to_string();
        assert!(e.contains("http.source.body.a[0].b: unknown placeholder {sinse}"), "{e}");
    }
}
