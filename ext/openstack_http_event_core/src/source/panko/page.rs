//! The page parser: a Panko v2 `/v2/events` response body read into a
//! [`Page`] of [`Event`]s (Ceilometer's own v2 events API answers the same
//! shape).

use std::borrow::Cow;

use chrono::NaiveDateTime;

use crate::model::event::{Event, Page, Skipped};
use crate::model::json::{Error as JsonError, Reader, Value};
use crate::model::page_names::Names;
use crate::model::trait_name::TraitName;
use crate::util::timestamp;

/// Parses a `/v2/events` body with the lenient reader of [`crate::model::json`].
///
/// An error means the body as a whole is not a JSON array whose rows can be
/// told apart: it does not start with `[`, ends early, has something else
/// than `,` or `]` after a row, or something after the array. The caller
/// must not move its cursor.
///
/// Inside a good array each row stands alone: a row that is not an object,
/// lacks a string `message_id`, `event_type` or a readable `generated`, has
/// traits that are not a list of objects with a string `name`, a trait
/// value nested deeper than `max_nesting` (counted as Ruby's `JSON.parse`
/// counts a value parsed on its own: `"x"` is 0 deep, `["x"]` 1), or
/// invalid JSON anywhere inside, is reported in `skipped` and the next row
/// is read. Fields other than the four are skipped unread, so `raw` may
/// hold anything that is balanced. `NaN`, `Infinity`, `1e999`, integers
/// beyond 64 bits, lone surrogate escapes and invalid UTF-8 in trait values
/// are read as Ruby would (see [`crate::model::json`]).
pub fn parse_page(body: &[u8], max_nesting: usize) -> Result<Page, String> {
    let mut r = Reader::new(body);
    r.skip_whitespace();
    match r.next_token() {
        Some(b'[') => {}
        None => return Err("body ends early (it is empty)".into()),
        Some(_) => return Err(format!("not a JSON array of events ({})", r.syntax("expected '['"))),
    }
    let mut page = Page::default();
    let mut last_id: Option<Cow<'_, str>> = None;
    let mut gather = Gather::default();
    if !r.eat(b']') {
        loop {
            page.rows += 1;
            r.skip_whitespace();
            let start = r.position();
            let mut row = RowParts::default();
            if let Err(error) = read_row(&mut r, &mut row, &mut gather, max_nesting) {
                // find where the row ends without reading it; only a body
                // whose rows cannot be told apart fails whole
                r.set_position(start);
                r.skip_value().map_err(|e| page_error(&e, page.rows))?;
                row.problem.get_or_insert_with(|| format!("invalid JSON in the row: {error}"));
            }
            if let Field::Str(id) = &row.message_id {
                last_id = Some(id.clone());
            }
            finish_row(&mut page, row);
            match r.next_token() {
                Some(b',') => {}
                Some(b']') => break,
                other => return Err(page_error(&r.unexpected(other, "expected ',' or ']' after a row"), page.rows)),
            }
        }
    }
    r.skip_whitespace();
    if !r.at_end() {
        return Err(format!("not a JSON array of events ({})", r.syntax("unexpected data after the array")));
    }
    page.last_message_id = last_id.map(Cow::into_owned);
    Ok(page)
}

fn page_error(error: &JsonError, row: usize) -> String {
    if error.is_eof() {
        format!("body ends early ({error}, in row {row})")
    } else {
        format!("not a JSON array of events ({error}, in row {row})")
    }
}

/// Where [`read_traits`] gathers the traits of a page's rows: the list it
/// fills for one row (handed over whole, and replaced by one as long as it
/// was: rows mostly have the same traits, so one allocation per row and no
/// regrowth), and the page's names.
#[derive(Default)]
struct Gather {
    scratch: Vec<(TraitName, Value)>,
    names: Names,
}

/// What could be read of one row.
#[derive(Default)]
struct RowParts<'a> {
    not_object: bool,
    message_id: Field<'a>,
    event_type: Field<'a>,
    generated: Field<'a>,
    traits: Traits,
    /// The first thing wrong with the row's JSON.
    problem: Option<String>,
}

#[derive(Default)]
enum Field<'a> {
    #[default]
    Missing,
    Str(Cow<'a, str>),
    /// Present but not a string.
    Other,
}

enum Traits {
    List(Vec<(TraitName, Value)>),
    NotAList,
    /// An item that is not an object with a string `name`.
    BadItem,
}

impl Default for Traits {
    fn default() -> Self {
        Traits::List(Vec::new())
    }
}

/// Reads one row into `row`. An `Err` leaves what was read so far in `row`
/// and the reader somewhere inside the row.
fn read_row<'a>(
    r: &mut Reader<'a>,
    row: &mut RowParts<'a>,
    gather: &mut Gather,
    max_nesting: usize,
) -> Result<(), JsonError> {
    if !r.eat(b'{') {
        row.not_object = true;
        return r.skip_value();
    }
    if r.eat(b'}') {
        return Ok(());
    }
    loop {
        let key = r.read_name()?;
        r.expect(b':', "expected ':' after a field name")?;
        match &*key {
            b"message_id" => row.message_id = read_field(r)?,
            b"event_type" => row.event_type = read_field(r)?,
            b"generated" => row.generated = read_field(r)?,
            b"traits" => row.traits = read_traits(r, gather, max_nesting, &mut row.problem)?,
            _ => r.skip_value()?,
        }
        match r.next_token() {
            Some(b',') => {}
            Some(b'}') => return Ok(()),
            other => return Err(r.unexpected(other, "expected ',' or '}' after a field")),
        }
    }
}

/// A string, or the fact that something else is there.
fn read_field<'a>(r: &mut Reader<'a>) -> Result<Field<'a>, JsonError> {
    r.skip_whitespace();
    if r.peek() == Some(b'"') {
        r.read_string().map(Field::Str)
    } else {
        r.skip_value().map(|()| Field::Other)
    }
}

/// `[{"name", "type", "value"}, ...]`; `null` is no traits. A problem with a
/// trait value goes to `problem` and reading goes on after the value. The
/// traits are gathered in `gather`.
fn read_traits(
    r: &mut Reader<'_>,
    gather: &mut Gather,
    max_nesting: usize,
    problem: &mut Option<String>,
) -> Result<Traits, JsonError> {
    if r.eat_null() {
        return Ok(Traits::default());
    }
    if !r.eat(b'[') {
        r.skip_value()?;
        return Ok(Traits::NotAList);
    }
    if r.eat(b']') {
        return Ok(Traits::List(Vec::new()));
    }
    let list = &mut gather.scratch;
    list.clear();
    let mut bad_item = false;
    loop {
        if r.eat(b'{') {
            let (name, value) = read_trait(r, max_nesting, list.len(), problem)?;
            match name {
                Field::Str(name) if !bad_item => list.push((gather.names.get(&name, list.len()), value)),
                Field::Str(_) => {}
                _ => bad_item = true,
            }
        } else {
            r.skip_value()?;
            bad_item = true;
        }
        match r.next_token() {
            Some(b',') => {}
            Some(b']') if bad_item => return Ok(Traits::BadItem),
            Some(b']') => {
                // the list goes as it is; the next row's starts at this
                // one's length (rows mostly have the same traits)
                let next = Vec::with_capacity(list.len());
                return Ok(Traits::List(std::mem::replace(list, next)));
            }
            other => return Err(r.unexpected(other, "expected ',' or ']' after a trait")),
        }
    }
}

/// The rest of a trait object after its `{`: its name and value (`null`
/// when absent).
fn read_trait<'a>(
    r: &mut Reader<'a>,
    max_nesting: usize,
    index: usize,
    problem: &mut Option<String>,
) -> Result<(Field<'a>, Value), JsonError> {
    let (mut name, mut value, mut bad_value) = (Field::Missing, Value::Null, None);
    if r.eat(b'}') {
        return Ok((name, value));
    }
    loop {
        let key = r.read_name()?;
        r.expect(b':', "expected ':' after a field name")?;
        match &*key {
            b"name" => name = read_field(r)?,
            b"value" => {
                r.skip_whitespace();
                let start = r.position();
                match r.read_value(max_nesting) {
                    Ok(v) => {
                        // the `null` replaced (no earlier `value`) owns
                        // nothing: forgetting it skips a call to Value's
                        // drop glue per trait
                        let old = std::mem::replace(&mut value, v);
                        if matches!(old, Value::Null) {
                            std::mem::forget(old);
                        } else {
                            drop(old);
                        }
                    }
                    Err(e) if e.is_eof() => return Err(e),
                    Err(e) => {
                        // skip the value unread and go on with the row
                        r.set_position(start);
                        r.skip_value()?;
                        bad_value.get_or_insert(e);
                    }
                }
            }
            // `type`, mostly a short string: skipped without skip_value's dispatch
            _ => r.skip_string_or_value()?,
        }
        match r.next_token() {
            Some(b',') => {}
            Some(b'}') => break,
            other => return Err(r.unexpected(other, "expected ',' or '}' after a trait field")),
        }
    }
    if let Some(e) = bad_value {
        problem.get_or_insert_with(|| {
            let which = match &name {
                Field::Str(name) => format!("{name:?}"),
                _ => format!("#{}", index + 1),
            };
            format!("the value of trait {which} is {}", describe(&e))
        });
    }
    Ok((name, value))
}

/// A trait value's problem, for a log line.
fn describe(e: &JsonError) -> String {
    match e.kind {
        crate::model::json::ErrorKind::TooDeep(max) => {
            format!("nested deeper than {max} levels (http.max_nesting) at byte {}", e.at)
        }
        _ => format!("not valid JSON: {e}"),
    }
}

/// Files a read row as an event or a skip.
fn finish_row(page: &mut Page, row: RowParts<'_>) {
    let before = page.events.last().map(|e| e.at);
    if row.not_object {
        page.skipped.push(Skipped { message_id: None, reason: "row is not a JSON object".into(), at: before });
        return;
    }
    let at = match &row.generated {
        Field::Str(g) => timestamp::parse(g),
        _ => None,
    };
    match convert(row, at) {
        Ok(event) => page.events.push(event),
        Err((message_id, reason)) => page.skipped.push(Skipped { message_id, reason, at: at.or(before) }),
    }
}

/// The event, or the row's `message_id` (if a string) and what is wrong.
fn convert(row: RowParts<'_>, at: Option<NaiveDateTime>) -> Result<Event, (Option<String>, String)> {
    let RowParts { message_id, event_type, generated, traits, problem, .. } = row;
    if let Some(problem) = problem {
        let id = match message_id {
            Field::Str(id) => Some(id.into_owned()),
            _ => None,
        };
        return Err((id, problem));
    }
    let Field::Str(message_id) = message_id else { return Err((None, "missing or non-string message_id".into())) };
    let fail = |reason: String| Err((Some(message_id.clone().into_owned()), reason));
    let Field::Str(event_type) = event_type else { return fail("missing or non-string event_type".into()) };
    let Field::Str(generated) = generated else { return fail("missing or non-string generated".into()) };
    let Some(at) = at else { return fail(format!("generated {generated:?} is not a timestamp")) };
    let traits = match traits {
        Traits::List(traits) => traits,
        Traits::NotAList => return fail("traits is not a list".into()),
        Traits::BadItem => return fail("a trait is not an object with a string name".into()),
    };
    Ok(Event {
        message_id: message_id.into_owned(),
        event_type: event_type.into_owned(),
        generated: generated.into_owned(),
        at,
        traits,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEPTH: usize = crate::config::DEFAULT_MAX_NESTING as usize;

    fn parse(body: &[u8]) -> Result<Page, String> {
        parse_page(body, DEPTH)
    }

    fn ids(page: &Page) -> Vec<&str> {
        page.events.iter().map(|e| e.message_id.as_str()).collect()
    }

    /// A page of three Panko rows whose middle one, `m2`, has `middle` as
    /// its traits' JSON and `raw` as its raw field.
    fn three_rows(traits: &str, raw: &str) -> Vec<u8> {
        format!(
            r#"[{{"message_id":"m1","event_type":"e","generated":"2026-01-01T00:00:00","traits":[],"raw":{{}}}},
               {{"message_id":"m2","event_type":"e","generated":"2026-01-01T00:00:01","traits":{traits},"raw":{raw}}},
               {{"message_id":"m3","event_type":"e","generated":"2026-01-01T00:00:02","traits":[],"raw":{{}}}}]"#
        )
        .into_bytes()
    }

    fn value_trait(value: &str) -> String {
        format!(r#"[{{"name":"a","type":"string","value":"1"}},{{"name":"v","type":"string","value":{value}}}]"#)
    }

    fn nested(depth: usize) -> String {
        format!("{}\"x\"{}", "[".repeat(depth), "]".repeat(depth))
    }

    #[test]
    fn converts_a_panko_row() {
        let body = br#"[{"message_id":"m1","event_type":"compute.instance.create.end","generated":"2016-03-14T14:22:00.123000",
            "traits":[{"name":"tenant_id","type":"string","value":"t1"},{"name":"memory_mb","type":"integer","value":"512"}],"raw":{}}]"#;
        let page = parse(body).unwrap();
        assert_eq!(page.rows, 1);
        let e = &page.events[0];
        assert_eq!((e.message_id.as_str(), e.generated.as_str()), ("m1", "2016-03-14T14:22:00.123000"));
        assert_eq!(e.traits, vec![("tenant_id".into(), Value::from("t1")), ("memory_mb".into(), Value::from("512"))]);
        assert_eq!(page.last_message_id.as_deref(), Some("m1"));
    }

    #[test]
    fn bad_rows_are_skipped_not_fatal() {
        let body = br#"[{"event_type":"a","generated":"2016-03-14T14:22:00"},
                        {"message_id":"m2","event_type":"a","generated":"2016-03-14T14:22:00","traits":"nope"},
                        {"message_id":"m3","event_type":"a","generated":"2016-03-14T14:22:01","traits":[]},
                        7]"#;
        let page = parse(body).unwrap();
        assert_eq!(page.rows, 4);
        assert_eq!(page.events.len(), 1);
        assert_eq!(page.skipped.len(), 3);
        assert_eq!(page.skipped[1].message_id.as_deref(), Some("m2"));
        assert_eq!(page.last_message_id.as_deref(), Some("m3"));
        // each knows when it was generated, or the latest time before it on the page
        let at = |t| timestamp::parse(t);
        assert_eq!(
            page.skipped.iter().map(|s| s.at).collect::<Vec<_>>(),
            vec![at("2016-03-14T14:22:00"), at("2016-03-14T14:22:00"), at("2016-03-14T14:22:01")]
        );
    }

    #[test]
    fn each_shape_problem_has_its_reason() {
        let reasons = |body: &str| -> Vec<String> {
            parse(body.as_bytes()).unwrap().skipped.into_iter().map(|s| s.reason).collect()
        };
        let g = r#""generated":"2026-01-01T00:00:00""#;
        let body = format!(
            r#"[[1], null, {{"event_type":"e",{g}}}, {{"message_id":5,"event_type":"e",{g}}},
                {{"message_id":"a",{g}}}, {{"message_id":"b","event_type":"e"}}, {{"message_id":"c","event_type":"e","generated":"soon"}},
                {{"message_id":"d","event_type":"e",{g},"traits":{{}}}},
                {{"message_id":"e","event_type":"e",{g},"traits":[{{"value":1}}]}},
                {{"message_id":"f","event_type":"e",{g},"traits":[{{"name":"x"}}, "y"]}}]"#
        );
        assert_eq!(
            reasons(&body),
            vec![
                "row is not a JSON object",
                "row is not a JSON object",
                "missing or non-string message_id",
                "missing or non-string message_id",
                "missing or non-string event_type",
                "missing or non-string generated",
                r#"generated "soon" is not a timestamp"#,
                "traits is not a list",
                "a trait is not an object with a string name",
                "a trait is not an object with a string name",
            ]
        );
    }

    #[test]
    fn null_or_missing_traits_are_none_and_a_missing_value_is_null() {
        let page = parse(
            br#"[{"message_id":"a","event_type":"e","generated":"2026-01-01T00:00:00","traits":null},
                {"message_id":"b","event_type":"e","generated":"2026-01-01T00:00:00"},
                {"message_id":"c","event_type":"e","generated":"2026-01-01T00:00:00","traits":[{"name":"n"}, {}, {"name":"n","value":2}]}]"#,
        );
        let page = page.unwrap();
        assert_eq!(ids(&page), ["a", "b"]);
        assert_eq!(page.skipped[0].message_id.as_deref(), Some("c"));
        let page = parse(
            br#"[{"traits":[{"value":1,"type":"integer","name":"n"},{"name":"n"},{"name":"n","value":2}],
                  "message_id":"c","event_type":"e","generated":"2026-01-01T00:00:00"}]"#,
        )
        .unwrap();
        // all of them, in order: the binding's Hash keeps the first position and the last value
        assert_eq!(
            page.events[0].traits,
            vec![("n".into(), Value::Int(1)), ("n".into(), Value::Null), ("n".into(), Value::Int(2))]
        );
    }

    #[test]
    fn truncated_or_foreign_bodies_fail_whole() {
        assert!(parse(br#"[{"message_id":"m1""#).unwrap_err().contains("ends early"));
        assert!(parse(b"").unwrap_err().contains("ends early"));
        assert!(parse(b"[").unwrap_err().contains("ends early"));
        assert!(parse(br#"[{"message_id":"m1"},"#).unwrap_err().contains("ends early"));
        assert!(parse(&three_rows(&nested(500)[..400], "{}")).unwrap_err().contains("ends early"));
        assert!(parse(b"<html>oops</html>").unwrap_err().starts_with("not a JSON array of events"));
        assert!(parse(br#"{"error_message":"x"}"#).unwrap_err().starts_with("not a JSON array of events"));
        assert!(parse(br#"[{"a":1}}]"#).unwrap_err().starts_with("not a JSON array of events"));
        assert!(parse(br#"[{"a":1} {"b":2}]"#).unwrap_err().starts_with("not a JSON array of events"));
        assert!(parse(br#"[{"a":1},]"#).unwrap_err().starts_with("not a JSON array of events"));
        assert_eq!(
            parse(br#"[{"a":1}] x"#).unwrap_err(),
            "not a JSON array of events (unexpected data after the array at byte 10)"
        );
        assert_eq!(
            parse(br#"[{"a":1}, 2 3]"#).unwrap_err(),
            "not a JSON array of events (expected ',' or ']' after a row at byte 12, in row 2)"
        );
        assert_eq!(parse(br#"[{"a":"#).unwrap_err(), "body ends early (input ends at byte 6, in row 1)");
        assert!(parse(b" [ ] ").unwrap().events.is_empty());
    }

    #[test]
    fn invalid_utf8_is_replaced() {
        let mut body = br#"[{"message_id":"m1","event_type":"a","generated":"2016-03-14T14:22:00","traits":[{"name":"n","value":"x"#.to_vec();
        body.push(0xff);
        body.extend_from_slice(br#""}]}]"#);
        let page = parse(&body).unwrap();
        assert_eq!(page.events[0].traits[0].1, Value::from("x\u{fffd}"));
    }

    #[test]
    fn a_value_nested_too_deep_costs_its_row_only() {
        let page = parse(&three_rows(&value_trait(&nested(124)), "{}")).unwrap();
        assert_eq!((ids(&page), page.rows), (vec!["m1", "m3"], 3));
        let skipped = &page.skipped[0];
        assert_eq!(skipped.message_id.as_deref(), Some("m2"));
        assert_eq!(skipped.at, timestamp::parse("2026-01-01T00:00:01"));
        assert!(
            skipped
                .reason
                .starts_with(r#"the value of trait "v" is nested deeper than 100 levels (http.max_nesting) at byte"#),
            "{}",
            skipped.reason
        );
        assert_eq!(page.last_message_id.as_deref(), Some("m3"));
    }

    #[test]
    fn max_nesting_counts_the_trait_value_alone() {
        for (depth, limit, delivered) in
            [(50, DEPTH, true), (100, 100, true), (101, 100, false), (1, 1, true), (2, 1, false)]
        {
            let page = parse_page(&three_rows(&value_trait(&nested(depth)), "{}"), limit).unwrap();
            assert_eq!(page.events.len(), if delivered { 3 } else { 2 }, "depth {depth}, limit {limit}");
        }
        let page = parse(&three_rows(&value_trait(&nested(50)), "{}")).unwrap();
        let mut v = &page.events[1].traits[1].1;
        let mut depth = 0;
        while let Value::Array(items) = v {
            v = &items[0];
            depth += 1;
        }
        assert_eq!((depth, v), (50, &Value::from("x")));
        // only trait values are limited: other fields are skipped unread, whatever their depth
        let page = parse(&three_rows("[]", &nested(100_000))).unwrap();
        assert_eq!(ids(&page), ["m1", "m2", "m3"]);
    }

    #[test]
    fn nan_and_infinities_are_floats() {
        let page = parse(&three_rows(&value_trait("NaN"), "{}")).unwrap();
        assert_eq!(ids(&page), ["m1", "m2", "m3"]);
        assert!(matches!(page.events[1].traits[1].1, Value::Float(f) if f.is_nan()));
        for (text, expected) in
            [("Infinity", f64::INFINITY), ("-Infinity", f64::NEG_INFINITY), ("1e999", f64::INFINITY)]
        {
            let page = parse(&three_rows(&value_trait(text), "{}")).unwrap();
            assert_eq!(page.events[1].traits[1].1, Value::Float(expected));
        }
    }

    #[test]
    fn raw_is_skipped_unread() {
        let raw = r#"{"payload": {"x": NaN, "y": [Infinity, -Infinity, 1e999], "s": "\ud800 \x", "z": nul, "deep": [[[[{]]]]], "odd": [}}}"#;
        let page = parse(&three_rows("[]", raw)).unwrap();
        assert_eq!(ids(&page), ["m1", "m2", "m3"]);
        assert!(page.skipped.is_empty());
    }

    #[test]
    fn big_integers_are_kept_exactly() {
        let page = parse(&three_rows(&value_trait("123456789012345678901234567890"), "{}")).unwrap();
        assert_eq!(page.events[1].traits[1].1, Value::BigInt("123456789012345678901234567890".into()));
    }

    #[test]
    fn a_lone_surrogate_becomes_a_replacement_character() {
        let page = parse(&three_rows(&value_trait(r#""a\ud800""#), "{}")).unwrap();
        assert_eq!(ids(&page), ["m1", "m2", "m3"]);
        assert_eq!(page.events[1].traits[1].1, Value::from("a\u{fffd}"));
        let page = parse(&three_rows(&value_trait(r#""\udc00""#), "{}")).unwrap();
        assert_eq!(page.events[1].traits[1].1, Value::from("\u{fffd}"));
    }

    #[test]
    fn invalid_json_inside_a_row_costs_that_row_only() {
        let cases = [
            (value_trait("nul"), r#"the value of trait "v" is not valid JSON: expected a value at byte"#),
            (
                value_trait("[1 2]"),
                r#"the value of trait "v" is not valid JSON: expected ',' or ']' in an array at byte"#,
            ),
            (value_trait(r#""\x""#), r#"the value of trait "v" is not valid JSON: invalid escape in a string at byte"#),
            (
                value_trait("\"a\tb\""),
                "the value of trait \"v\" is not valid JSON: control character in a string at byte",
            ),
            (r#"[{"value":tru, "name":"v"}]"#.into(), r#"the value of trait "v" is not valid JSON"#),
            (r#"[{"value":tru}]"#.into(), "the value of trait #1 is not valid JSON"),
            (r#"[{"name" "v"}]"#.into(), "invalid JSON in the row: expected ':' after a field name at byte"),
            (
                r#"[{"name":"v" "value":1}]"#.into(),
                "invalid JSON in the row: expected ',' or '}' after a trait field at byte",
            ),
            (
                r#"[{"name":"v"} {"name":"w"}]"#.into(),
                "invalid JSON in the row: expected ',' or ']' after a trait at byte",
            ),
            (r#"[], "x": 1 2"#.into(), "invalid JSON in the row: expected ',' or '}' after a field at byte"),
            (r#"[], 5:6"#.into(), "invalid JSON in the row: expected a string at byte"),
        ];
        for (traits, reason) in cases {
            let body = three_rows(&traits, "{}");
            let page = parse(&body).unwrap_or_else(|e| panic!("{traits}: {e}"));
            assert_eq!(ids(&page), ["m1", "m3"], "{traits}");
            assert_eq!(page.skipped.len(), 1);
            assert_eq!(page.skipped[0].message_id.as_deref(), Some("m2"), "{traits}");
            assert!(page.skipped[0].reason.starts_with(reason), "{traits}: {}", page.skipped[0].reason);
        }
    }

    #[test]
    fn message_id_and_generated_after_the_problem_are_still_read() {
        let body = format!(
            r#"[{{"traits":{},"raw":{{}},"message_id":"late","event_type":"e","generated":"2026-01-01T00:00:05"}}]"#,
            value_trait(&nested(124))
        );
        let page = parse(body.as_bytes()).unwrap();
        assert_eq!(page.skipped[0].message_id.as_deref(), Some("late"));
        assert_eq!(page.skipped[0].at, timestamp::parse("2026-01-01T00:00:05"));
        assert_eq!(page.last_message_id.as_deref(), Some("late"));
        // a row broken before its message_id has none
        let page = parse(br#"[{"traits" 1, "message_id":"m"}, {"message_id":"ok","event_type":"e","generated":"2026-01-01T00:00:00"}]"#)
            .unwrap();
        assert_eq!((page.skipped[0].message_id.as_deref(), ids(&page)), (None, vec!["ok"]));
    }

    #[test]
    fn the_last_row_with_a_message_id_is_the_marker_even_if_skipped() {
        let page = parse(&three_rows("[]", "{}")).unwrap();
        assert_eq!(page.last_message_id.as_deref(), Some("m3"));
        let body = br#"[{"message_id":"m1","event_type":"e","generated":"2026-01-01T00:00:00"},
                        {"message_id":"m\u0032","event_type":"e","generated":"2026-01-01T00:00:01","traits":[{"name":"v","value":[[[[1]]]]}]},
                        {"event_type":"e"}]"#;
        let page = parse_page(body, 2).unwrap();
        assert_eq!(ids(&page), ["m1"]);
        assert_eq!(page.last_message_id.as_deref(), Some("m2"));
    }

    #[test]
    fn strings_are_decoded() {
        let body = br#"[{"message_id":"m\"1","event_type":"caf\u00e9","generated":"2026-01-01T00:00:00",
                         "traits":[{"name":"n\/a","value":"line\nbreak \ud83d\ude00"}]}]"#;
        let e = &parse(body).unwrap().events[0];
        assert_eq!((e.message_id.as_str(), e.event_type.as_str()), ("m\"1", "café"));
        assert_eq!(e.traits, vec![("n/a".into(), Value::from("line\nbreak 😀"))]);
    }
}
