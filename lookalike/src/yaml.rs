//! A reader for the YAML subset the monitor's cassettes are written in
//! (`ext/openstack_http_event_core/src/cassette.rs`): block mappings and
//! sequences by indentation, one scalar a line — double-quoted with escapes,
//! single-quoted, plain, numbers, booleans, null, and the empty `[]` / `{}`.
//! Flow collections with content, multi-line scalars, anchors and tags are
//! not read; such a file is an error naming the line.

use serde_json::{Map, Number, Value};

struct Line {
    number: usize,
    indent: usize,
    text: String,
}

/// Parses `text` into JSON-like values.
pub fn parse(text: &str) -> Result<Value, String> {
    let mut lines: Vec<Line> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let trimmed = raw.trim_end();
        let content = trimmed.trim_start();
        if content.is_empty() || content.starts_with('#') || content == "---" || content == "..." {
            continue;
        }
        lines.push(Line { number: i + 1, indent: trimmed.len() - content.len(), text: content.to_owned() });
    }
    if lines.is_empty() {
        return Ok(Value::Null);
    }
    let mut at = 0;
    let indent = lines[0].indent;
    let value = node(&mut lines, &mut at, indent)?;
    match lines.get(at) {
        None => Ok(value),
        Some(line) => Err(format!("line {}: unexpected {:?}", line.number, line.text)),
    }
}

fn is_item(text: &str) -> bool {
    text == "-" || text.starts_with("- ")
}

/// The block starting at line `at`, indented `indent`.
fn node(lines: &mut [Line], at: &mut usize, indent: usize) -> Result<Value, String> {
    if is_item(&lines[*at].text) {
        let mut items = Vec::new();
        while *at < lines.len() && lines[*at].indent == indent && is_item(&lines[*at].text) {
            let rest = lines[*at].text[1..].trim_start().to_owned();
            if rest.is_empty() {
                *at += 1;
                items.push(child(lines, at, indent)?);
            } else {
                // the item's content continues as a line of its own, indented past the dash
                let offset = lines[*at].text.len() - rest.len();
                lines[*at].indent = indent + offset;
                lines[*at].text = rest;
                let inner = lines[*at].indent;
                items.push(node(lines, at, inner)?);
            }
        }
        return Ok(Value::Array(items));
    }
    if key_value(&lines[*at])?.is_none() {
        let line = &lines[*at];
        *at += 1;
        return scalar(&line.text).map_err(|e| format!("line {}: {e}", line.number));
    }
    let mut map = Map::new();
    while *at < lines.len() && lines[*at].indent == indent && !is_item(&lines[*at].text) {
        let number = lines[*at].number;
        let Some((key, rest)) = key_value(&lines[*at])? else {
            return Err(format!("line {number}: expected `key: value`, got {:?}", lines[*at].text));
        };
        *at += 1;
        let value = if rest.is_empty() {
            child(lines, at, indent)?
        } else {
            scalar(&rest).map_err(|e| format!("line {number}: {e}"))?
        };
        map.insert(key, value);
    }
    Ok(Value::Object(map))
}

/// The value under a key or dash that ended its line: a deeper block, a
/// sequence at the same indentation (`key:\n- item`), or null.
fn child(lines: &mut [Line], at: &mut usize, indent: usize) -> Result<Value, String> {
    match lines.get(*at) {
        Some(next) if next.indent > indent || (next.indent == indent && is_item(&next.text)) => {
            let inner = next.indent;
            node(lines, at, inner)
        }
        _ => Ok(Value::Null),
    }
}

/// `key: value` (the key plain or quoted); `None` when the line is no pair.
fn key_value(line: &Line) -> Result<Option<(String, String)>, String> {
    let text = line.text.as_str();
    let (key, rest) = if text.starts_with('"') || text.starts_with('\'') {
        let end = quoted_end(text).ok_or_else(|| format!("line {}: unterminated string", line.number))?;
        let key = match scalar(&text[..end])? {
            Value::String(s) => s,
            other => other.to_string(),
        };
        let Some(rest) = text[end..].strip_prefix(':') else { return Ok(None) };
        (key, rest)
    } else {
        let split = text.find(": ").or_else(|| text.strip_suffix(':').map(|k| k.len()));
        let Some(split) = split else { return Ok(None) };
        (text[..split].trim().to_owned(), &text[split + 1..])
    };
    Ok(Some((key, rest.trim().to_owned())))
}

/// The byte offset just past a quoted string that starts `text`.
fn quoted_end(text: &str) -> Option<usize> {
    let quote = text.chars().next()?;
    let mut chars = text.char_indices().skip(1);
    while let Some((i, c)) = chars.next() {
        if quote == '"' && c == '\\' {
            chars.next();
        } else if c == quote {
            if quote == '\'' && text[i + 1..].starts_with('\'') {
                chars.next();
                continue;
            }
            return Some(i + 1);
        }
    }
    None
}

fn scalar(text: &str) -> Result<Value, String> {
    let text = text.trim();
    if text.starts_with('"') {
        if quoted_end(text) != Some(text.len()) {
            return Err(format!("a double-quoted string must end the line: {text:?}"));
        }
        return unescape(&text[1..text.len() - 1]).map(Value::String);
    }
    if text.starts_with('\'') {
        if quoted_end(text) != Some(text.len()) {
            return Err(format!("a single-quoted string must end the line: {text:?}"));
        }
        return Ok(Value::String(text[1..text.len() - 1].replace("''", "'")));
    }
    Ok(match text {
        "[]" => Value::Array(Vec::new()),
        "{}" => Value::Object(Map::new()),
        "~" | "null" => Value::Null,
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        _ if text.starts_with(['[', '{', '&', '*', '!', '|', '>']) => {
            return Err(format!("unsupported YAML (flow collection, anchor, tag or block scalar): {text:?}"))
        }
        _ => match text.parse::<i64>() {
            Ok(n) => Value::Number(Number::from(n)),
            Err(_) => Value::String(text.to_owned()),
        },
    })
}

fn unescape(text: &str) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let e = chars.next().ok_or("a string ends with \\")?;
        let hex = |chars: &mut std::str::Chars<'_>, n: usize| -> Result<char, String> {
            let digits: String = chars.take(n).collect();
            u32::from_str_radix(&digits, 16)
                .ok()
                .and_then(char::from_u32)
                .ok_or_else(|| format!("bad escape \\{e}{digits}"))
        };
        out.push(match e {
            'n' => '\n',
            't' => '\t',
            'r' => '\r',
            '0' => '\0',
            '"' => '"',
            '\\' => '\\',
            '/' => '/',
            ' ' => ' ',
            'x' => hex(&mut chars, 2)?,
            'u' => hex(&mut chars, 4)?,
            'U' => hex(&mut chars, 8)?,
            other => return Err(format!("unknown escape \\{other}")),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_the_cassette_layout() {
        let text = "---\nrecorded_with: \"x 1\"\nhttp_interactions:\n- request:\n    method: \"get\"\n    headers:\n      \"Accept\":\n      - \"a\\\"b\"\n      - 'it''s'\n    body: {}\n  response:\n    status:\n      code: 200\n  recorded_at: plain text\nempty: []\n";
        assert_eq!(
            parse(text).unwrap(),
            json!({"recorded_with": "x 1", "http_interactions": [{"request": {"method": "get", "headers": {"Accept": ["a\"b", "it's"]}, "body": {}}, "response": {"status": {"code": 200}}, "recorded_at": "plain text"}], "empty": []})
        );
    }

    #[test]
    fn escapes_and_errors() {
        assert_eq!(parse("a: \"\\u00e9\\n\\\\\"").unwrap(), json!({"a": "é\n\\"}));
        assert!(parse("a: [1, 2]").unwrap_err().contains("line 1"));
        assert!(parse("a: \"open").is_err());
    }
}
