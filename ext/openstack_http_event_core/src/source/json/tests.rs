use serde_json::json;

use super::*;
use crate::util::timestamp;

fn source(options: Opt) -> JsonSource {
    JsonSource::from_options(&options).unwrap()
}

fn error(options: Opt) -> String {
    JsonSource::from_options(&options).unwrap_err().to_string()
}

fn basic() -> Opt {
    json!({"type": "json", "records": "/events",
           "fields": {"message_id": "/id", "event_type": "/type", "timestamp": "/time", "payload": "/data"},
           "params": {"since": "{since}", "limit": "{limit}"}})
}

fn read(src: &JsonSource, url: &str, query: &Query, link: Option<&str>, body: &str) -> Page {
    let url = Url::parse(url).unwrap();
    let mut headers = reqwest::header::HeaderMap::new();
    if let Some(link) = link {
        headers.insert(reqwest::header::LINK, link.parse().unwrap());
    }
    src.read(&Response { url: &url, query, headers: &headers, body: body.as_bytes() }, 100).unwrap()
}

#[test]
fn options_errors_name_the_key() {
    let with = |key: &str, value: Opt| {
        let mut o = basic();
        o[key] = value;
        error(o)
    };
    assert!(with("records", json!("events"))
        .starts_with("invalid option http.source.records: \"events\" is not a JSON Pointer"));
    assert!(with("fields", json!({"event_type": "/t"})).contains("http.source.fields.timestamp: is required"));
    assert!(with("fields", json!({"timestamp": "/t"})).contains("http.source.fields.event_type: is required"));
    assert!(with("fields", json!({"timestamp": "/t", "event_type": "/e", "when": "/w"}))
        .contains("http.source.fields.when: unknown option"));
    assert!(with("params", json!({"s": "{sinse}"})).contains("http.source.params.s: unknown placeholder {sinse}"));
    assert!(with("paging", json!({"type": "cursorish"}))
        .contains("http.source.paging.type: unknown paging type \"cursorish\""));
    assert!(with("paging", json!({"type": "next", "pointer": "links/next"}))
        .contains("http.source.paging.pointer: \"links/next\" is not a JSON Pointer"));
    assert!(with("paging", json!({"type": "next"})).contains("http.source.paging.pointer: is required"));
    assert!(with("paging", json!({"type": "page", "param": "p", "start": 2}))
        .contains("http.source.paging.start: must be 0 or 1"));
    assert!(with("paging", json!({"type": "offset"})).contains("http.source.paging.param: is required"));
    assert!(with("paging", json!({"type": "none", "param": "p"})).contains("http.source.paging.param: does not apply"));
    assert!(with("since_format", json!("rfc3339")).contains("http.source.since_format: unknown format"));
    assert!(with("since_format", json!("%Y-%Q")).contains("http.source.since_format: \"%Y-%Q\" is not a strftime"));
    assert!(with("traits", json!("gnocchi")).contains("http.source.traits: unknown trait list"));
    assert!(with("bogus", json!(1)).contains("http.source.bogus: unknown option"));
    let mut o = basic();
    o.as_object_mut().unwrap().remove("records");
    assert!(error(o).contains("http.source.records: is required"));
    let mut o = basic();
    o["fields"].as_object_mut().unwrap().remove("message_id");
    o["paging"] = json!({"type": "marker", "param": "after"});
    assert!(error(o).contains("http.source.paging.field: is required without http.source.fields.message_id"));
}

#[test]
fn url_with_params_since_and_marker() {
    let mut o = basic();
    o["paging"] = json!({"type": "marker", "param": "after"});
    o["since_format"] = json!("unix_ms");
    let src = source(o);
    let base = Url::parse("http://svc/api/events?project=x").unwrap();
    let q = Query { floor: None, limit: 50, ..Query::default() };
    assert_eq!(src.url(&base, &q).as_str(), "http://svc/api/events?project=x&limit=50");
    let q = Query {
        floor: timestamp::parse("2016-03-14T14:22:00.123456"),
        limit: 50,
        marker: Some("m 1".into()),
        ..Query::default()
    };
    assert_eq!(src.url(&base, &q).as_str(), "http://svc/api/events?project=x&limit=50&since=1457965320123&after=m+1");
    assert!(src.supports_marker() && src.marker_is_id() && !src.supports_all_tenants());
    let plain = source(json!({"type": "json", "records": "", "fields": {"event_type": "/t", "timestamp": "/w"}}));
    assert_eq!(plain.url(&Url::parse("http://svc/e").unwrap(), &q).as_str(), "http://svc/e");
    assert!(!plain.supports_marker());
}

#[test]
fn next_link_in_the_body_and_skipped_records() {
    let mut o = basic();
    o["paging"] = json!({"type": "next", "pointer": "/links/next"});
    let src = source(o);
    let q = Query { limit: 3, ..Query::default() };
    let body = r#"{"events":[{"id":"a","type":"t","time":"2026-01-01T00:00:00Z","data":{"k":1}},
                             {"id":"b","time":"2026-01-01T00:00:01Z"},
                             {"type":"t","time":"2026-01-01T00:00:02Z"}],
                   "links":{"next":"/api/events?after=x"}}"#;
    let page = read(&src, "http://svc/api/events?limit=3", &q, None, body);
    assert_eq!(page.rows, 3);
    assert_eq!(page.events.iter().map(|e| e.message_id.len()).collect::<Vec<_>>(), vec![1, 64]);
    assert_eq!(page.skipped[0].reason, "no event type at /type");
    assert_eq!(page.last_message_id.as_deref(), Some("http://svc/api/events?after=x"));
    // the next page's URL is the link itself
    let next = Query { marker: page.last_message_id.clone(), ..q };
    assert_eq!(src.url(&Url::parse("http://svc/api/events").unwrap(), &next).as_str(), "http://svc/api/events?after=x");
    assert!(!src.marker_is_id());
    // the body is not the configured shape
    let url = Url::parse("http://svc/").unwrap();
    let headers = reqwest::header::HeaderMap::new();
    let r = |body: &'static str| {
        src.read(&Response { url: &url, query: &q, headers: &headers, body: body.as_bytes() }, 100)
    };
    assert_eq!(
        r(r#"{"items":[]}"#).unwrap_err(),
        r#"expected an array of records at "/events" (http.source.records), found none"#
    );
    assert!(r(r#"{"events":{}}"#).unwrap_err().contains("found an object"));
    assert!(r(r#"{"events":["#).unwrap_err().starts_with("body ends early"));
    assert!(r("<html>").unwrap_err().starts_with("not JSON"));
}

#[test]
fn link_header_page_and_offset_positions() {
    let mut o = basic();
    o["paging"] = json!({"type": "link_header"});
    let src = source(o);
    let q = Query { limit: 2, ..Query::default() };
    let body = r#"{"events":[{"id":"a","type":"t","time":"2026-01-01T00:00:00"}]}"#;
    let page = read(&src, "http://svc/e", &q, Some(r#"<http://svc/e?page=2>; rel="next""#), body);
    assert_eq!(page.last_message_id.as_deref(), Some("http://svc/e?page=2"));
    assert_eq!(read(&src, "http://svc/e", &q, None, body).last_message_id, None);

    let mut o = basic();
    o["paging"] = json!({"type": "page", "param": "page", "start": 0});
    let src = source(o);
    let base = Url::parse("http://svc/e").unwrap();
    assert_eq!(src.url(&base, &q).as_str(), "http://svc/e?limit=2&page=0");
    assert_eq!(read(&src, "http://svc/e", &q, None, body).last_message_id.as_deref(), Some("1"));
    let q3 = Query { marker: Some("3".into()), ..q.clone() };
    assert_eq!(read(&src, "http://svc/e", &q3, None, body).last_message_id.as_deref(), Some("4"));
    assert_eq!(read(&src, "http://svc/e", &q3, None, r#"{"events":[]}"#).last_message_id, None);

    let mut o = basic();
    o["records"] = json!("/items");
    o["paging"] = json!({"type": "token", "pointer": "/continue", "param": "continue"});
    let src = source(o);
    assert_eq!(src.url(&base, &q).as_str(), "http://svc/e?limit=2");
    let items = r#"{"items":[{"id":"a","type":"t","time":"2026-01-01T00:00:00"}],"continue":"tok 1"}"#;
    let page = read(&src, "http://svc/e", &q, None, items);
    assert_eq!(page.last_message_id.as_deref(), Some("tok 1"));
    let next = Query { marker: page.last_message_id.clone(), ..q.clone() };
    assert_eq!(src.url(&base, &next).as_str(), "http://svc/e?limit=2&continue=tok+1");
    assert_eq!(read(&src, "http://svc/e", &q, None, r#"{"items":[],"continue":""}"#).last_message_id, None);
    assert!(!src.marker_is_id());

    let mut o = basic();
    o["paging"] = json!({"type": "offset", "param": "offset"});
    let src = source(o);
    assert_eq!(src.url(&base, &q).as_str(), "http://svc/e?limit=2&offset=0");
    assert_eq!(read(&src, "http://svc/e", &q3, None, body).last_message_id.as_deref(), Some("4"));
}

#[test]
fn ndjson_lines_and_ceilometer_traits() {
    let src = source(json!({"type": "json", "records": "ndjson", "since_format": "unix_ms", "traits": "ceilometer",
                            "event_type_prefix": "os.",
                            "fields": {"message_id": "/id", "event_type": "/t", "timestamp": "/ms", "payload": "/traits"}}));
    let body = "{\"id\":1,\"t\":\"a\",\"ms\":1700000000000,\"traits\":[[\"x\",1,\"y\"]]}\n\nnot json\r\n{\"id\":2,\"t\":\"b\",\"ms\":1700000000001}\n";
    let page = read(&src, "http://svc/e", &Query::default(), None, body);
    assert_eq!(page.rows, 3);
    assert_eq!(page.events.iter().map(|e| e.event_type.as_str()).collect::<Vec<_>>(), vec!["os.a", "os.b"]);
    assert_eq!(page.events[0].traits, vec![("x".into(), Value::from("y"))]);
    assert_eq!(page.events[1].generated, "2023-11-14T22:13:20.001000");
    assert!(page.skipped[0].reason.starts_with("line 3 is not valid JSON"), "{}", page.skipped[0].reason);
    assert_eq!(page.skipped[0].at, Some(page.events[0].at));
}

fn seq_source(cursor: Opt) -> JsonSource {
    source(json!({"type": "json", "records": "ndjson", "since_format": "unix_ms",
                  "fields": {"message_id": "/id", "event_type": "/type", "timestamp": "/time"},
                  "params": {"since": "{since}", "limit": "{limit}", "from": ">{cursor}"}, "cursor": cursor}))
}

#[test]
fn an_id_cursor_is_sent_and_is_the_largest_id_read() {
    let src = seq_source(json!({"type": "id", "field": "/seq", "param": "after"}));
    assert_eq!(src.resumes(), Some(crate::source::Resume::Id));
    assert!(src.supports_marker() && !src.marker_is_id());
    let base = Url::parse("http://svc/e").unwrap();
    let first = Query { floor: timestamp::parse("2026-01-01T00:00:00"), limit: 3, ..Query::default() };
    assert_eq!(src.url(&base, &first).as_str(), "http://svc/e?limit=3&since=1767225600000");
    let next = Query { floor: None, marker: Some("18446744073709551616".into()), ..first.clone() };
    assert_eq!(
        src.url(&base, &next).as_str(),
        "http://svc/e?from=%3E18446744073709551616&limit=3&after=18446744073709551616"
    );
    let body = concat!(
        "{\"id\":\"a\",\"seq\":18446744073709551617,\"type\":\"t\",\"time\":1767225600000}\n",
        "{\"id\":\"b\",\"seq\":\"-4\",\"type\":\"t\",\"time\":1767225600001}\n",
        "{\"id\":\"c\",\"seq\":\"9\",\"type\":\"t\",\"time\":1767225600002}\n",
        "{\"id\":\"d\",\"seq\":99,\"time\":1767225600003}\n",
    );
    let page = read(&src, "http://svc/e", &next, None, body);
    assert_eq!(page.rows, 4);
    assert_eq!(page.events.iter().map(|e| e.message_id.as_str()).collect::<Vec<_>>(), vec!["a", "c"]);
    assert_eq!(page.skipped.len(), 2);
    assert_eq!(page.skipped[0].message_id.as_deref(), Some("b"));
    assert!(page.skipped[0].reason.contains("\"/seq\" (http.source.cursor.field) is a string of other than digits"));
    assert_eq!(page.last_message_id.as_deref(), Some("18446744073709551617"));
    // ids below the cursor never take it back; a page without ids keeps it
    let low = "{\"id\":\"e\",\"seq\":3,\"type\":\"t\",\"time\":1767225600000}\n";
    assert_eq!(read(&src, "http://svc/e", &next, None, low).last_message_id, next.marker);
    assert_eq!(read(&src, "http://svc/e", &next, None, "").last_message_id, next.marker);
    assert_eq!(read(&src, "http://svc/e", &first, None, "").last_message_id, None);
}

#[test]
fn a_token_cursor_is_kept_from_the_body() {
    let mut o = basic();
    o["records"] = json!("/records");
    o["cursor"] = json!({"type": "token", "pointer": "/cursor", "param": "cursor"});
    let src = source(o);
    assert_eq!(src.resumes(), Some(crate::source::Resume::Token));
    let q = Query { limit: 2, marker: Some("t 1".into()), ..Query::default() };
    assert_eq!(src.url(&Url::parse("http://svc/f").unwrap(), &q).as_str(), "http://svc/f?limit=2&cursor=t+1");
    let page = read(&src, "http://svc/f", &q, None, r#"{"records":[],"cursor":7}"#);
    assert_eq!(page.last_message_id.as_deref(), Some("7"));
    for kept in [r#"{"records":[],"cursor":""}"#, r#"{"records":[],"cursor":null}"#, r#"{"records":[]}"#] {
        assert_eq!(read(&src, "http://svc/f", &q, None, kept).last_message_id, None, "{kept}");
    }
}

#[test]
fn cursor_options_errors_name_the_key() {
    let with = |cursor: Opt, paging: Option<Opt>| {
        let mut o = basic();
        o["cursor"] = cursor;
        if let Some(p) = paging {
            o["paging"] = p;
        }
        error(o)
    };
    assert!(with(json!({"type": "seq"}), None).contains("http.source.cursor.type: unknown cursor type \"seq\""));
    assert!(with(json!({"type": "id", "pointer": "/x"}), None).contains("http.source.cursor.pointer: does not apply"));
    assert!(with(json!({"type": "id"}), Some(json!({"type": "marker", "param": "after"})))
        .contains("http.source.paging: must be absent or :none with a cursor of type id or token"));
    assert!(with(json!({"type": "token", "pointer": "/c"}), Some(json!({"type": "page", "param": "p"})))
        .contains("http.source.paging: must be absent or :none"));
    let mut o = basic();
    o["fields"].as_object_mut().unwrap().remove("message_id");
    o["cursor"] = json!({"type": "id"});
    assert!(error(o).contains("http.source.cursor.field: is required without http.source.fields.message_id"));
    let mut o = basic();
    o["records"] = json!("ndjson");
    o["cursor"] = json!({"type": "token", "pointer": "/c"});
    assert!(error(o).contains("http.source.cursor.pointer: does not apply to NDJSON records"));
    // :none paging and the default cursor are fine
    let mut o = basic();
    o["paging"] = json!({"type": "none"});
    o["cursor"] = json!({"type": "id", "param": "after"});
    assert!(JsonSource::from_options(&o).is_ok());
    o["cursor"] = json!({"type": "timestamp"});
    o["paging"] = json!({"type": "marker", "param": "after"});
    assert_eq!(JsonSource::from_options(&o).unwrap().resumes(), None);
}

#[test]
fn page_and_offset_placeholders_need_their_paging() {
    let with = |extra: Opt| {
        let mut o = basic();
        for (k, v) in extra.as_object().unwrap() {
            o[k] = v.clone();
        }
        error(o)
    };
    let e = with(json!({"params": {"p": "{page}"}}));
    assert!(
        e.contains(
            "http.source.params.p: holds {page}, which needs http.source.paging {:type => :page} (paging is :none)"
        ),
        "{e}"
    );
    let e =
        with(json!({"method": "POST", "body": {"q": {"from": "{offset}"}}, "paging": {"type": "page", "param": "p"}}));
    assert!(e.contains("http.source.body.q.from: holds {offset}"), "{e}");
    let e = with(json!({"headers": {"X-Page": "{page}"}, "paging": {"type": "offset", "param": "o"}}));
    assert!(e.contains("http.source.headers.X-Page: holds {page}"), "{e}");
    let e = with(json!({"paging": {"type": "page"}}));
    assert!(e.contains("http.source.paging.param: is required unless a template holds {page}"), "{e}");
    let e = with(json!({"paging": {"type": "offset"}}));
    assert!(e.contains("http.source.paging.param: is required unless a template holds {offset}"), "{e}");
}

#[test]
fn a_post_with_page_in_the_body_and_no_param() {
    let mut o = basic();
    o["params"] = json!({});
    o["method"] = json!("post");
    o["since_format"] = json!("unix");
    o["body"] = json!({"filter": {"since": "{since}"}, "size": "{limit}", "page": "{page}"});
    o["headers"] = json!({"X-Tenant": "demo", "X-Session": "s3ss10n"});
    o["paging"] = json!({"type": "page"});
    let src = source(o);
    let base = Url::parse("http://svc/search").unwrap();
    let q = Query { limit: 10, ..Query::default() };
    let r = src.request(&base, &q);
    assert_eq!((r.method.as_str(), r.url.as_str()), ("POST", "http://svc/search"));
    let body: Opt = serde_json::from_slice(r.body.as_deref().unwrap()).unwrap();
    assert_eq!(body, json!({"filter": {}, "size": 10, "page": 1}));
    assert_eq!(src.secrets(), vec!["s3ss10n".to_owned()]);
    let q2 = Query { floor: timestamp::parse("2016-03-14T14:22:00.5"), marker: Some("2".into()), ..q };
    let body: Opt = serde_json::from_slice(src.request(&base, &q2).body.as_deref().unwrap()).unwrap();
    assert_eq!(body, json!({"filter": {"since": 1457965320}, "size": 10, "page": 2}));
    // a GET source's request is the URL's
    let get = source(basic());
    let r = get.request(&base, &q2);
    assert_eq!((r.method, r.body, r.headers.len()), (reqwest::Method::GET, None, 0));
}

#[test]
fn a_post_follows_next_links_with_the_same_body() {
    let mut o = basic();
    o["method"] = json!("POST");
    o["body"] = json!("size={limit}");
    o["paging"] = json!({"type": "next", "pointer": "/links/next"});
    let src = source(o);
    let base = Url::parse("http://svc/search").unwrap();
    let q = Query { limit: 3, marker: Some("http://svc/search?after=x".into()), ..Query::default() };
    let r = src.request(&base, &q);
    assert_eq!((r.method.as_str(), r.url.as_str()), ("POST", "http://svc/search?after=x"));
    assert_eq!(r.body.as_deref(), Some(&b"size=3"[..]));
}

#[test]
fn etag_and_poll_interval_header_options() {
    let src = source(basic());
    assert!(!src.etag() && src.poll_interval_header().is_none(), "off by default");
    let mut o = basic();
    o["etag"] = json!(true);
    o["poll_interval_header"] = json!("X-Poll-Interval");
    let src = source(o);
    assert!(src.etag());
    assert_eq!(src.poll_interval_header().map(|h| h.as_str()), Some("x-poll-interval"));
    let mut o = basic();
    o["etag"] = json!("yes");
    assert!(error(o).contains("http.source.etag: must be true or false"));
    for bad in [json!("X Poll"), json!("X-Poll:"), json!(""), json!(60)] {
        let mut o = basic();
        o["poll_interval_header"] = bad.clone();
        assert!(error(o).contains("http.source.poll_interval_header"), "{bad}");
    }
}
