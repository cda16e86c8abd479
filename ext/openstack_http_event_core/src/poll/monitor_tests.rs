//! The poll loop against real HTTP servers on 127.0.0.1: retries, rate
//! limits, the state file, the service's clock.

use super::*;
use std::io::Write;
use std::net::TcpListener;

/// A real HTTP server on 127.0.0.1 that answers each request with the
/// next body (200, with `headers`), then `[]`.
fn serve(headers: &'static str, bodies: Vec<String>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let mut bodies = bodies.into_iter();
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { break };
            crate::testing::read_request_head(&mut stream);
            let body = bodies.next().unwrap_or_else(|| "[]".into());
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    url
}

/// A real HTTP server on 127.0.0.1 that answers each request with the
/// next whole response (status line and headers, no body).
fn serve_heads(heads: Vec<&'static str>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for (stream, head) in listener.incoming().zip(heads) {
            let Ok(mut stream) = stream else { break };
            crate::testing::read_request_head(&mut stream);
            let _ = write!(stream, "{head}Connection: close\r\n\r\n");
        }
    });
    url
}

#[test]
fn a_403_with_a_spent_rate_limit_is_retried_a_plain_403_refuses_the_credentials() {
    let spent = "HTTP/1.1 403 Forbidden\r\nX-RateLimit-Remaining: 0\r\nRetry-After: 0\r\nContent-Length: 0\r\n";
    let refused = "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n";
    let mut m = monitor(&serve_heads(vec![spent, refused]));
    let shared = m.shared();
    assert_eq!(block_on(m.next_batch()).unwrap().unwrap().len(), 0, "retried, no error raised");
    let last = shared.stats().last_error.unwrap();
    assert!(last.contains("HTTP 403: rate limit exceeded (X-RateLimit-Remaining: 0)"), "{last}");
    m.not_before = None;
    let error = block_on(m.next_batch()).unwrap_err();
    assert!(matches!(error, Error::Authentication { .. }), "{error}");
}

#[test]
fn a_304_to_a_request_without_if_none_match_is_a_retried_error() {
    let mut m = monitor(&serve_heads(vec!["HTTP/1.1 304 Not Modified\r\n"]));
    let shared = m.shared();
    assert_eq!(block_on(m.next_batch()).unwrap().unwrap().len(), 0);
    let last = shared.stats().last_error.unwrap();
    assert!(last.contains("HTTP 304: 304 Not Modified to a request without If-None-Match"), "{last}");
    assert_eq!(shared.stats().errors, 1);
}

fn monitor(url: &str) -> Monitor {
    let mut config = Config::from_value(&serde_json::json!({"url": url})).unwrap();
    config.poll_interval = std::time::Duration::ZERO; // below the option's floor: tests poll back to back
    Monitor::new(config).unwrap()
}

fn block_on<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(f)
}

fn row(id: &str, generated: &str) -> String {
    format!(r#"{{"message_id":"{id}","event_type":"e","generated":"{generated}","traits":[]}}"#)
}

#[test]
fn events_count_when_delivered_not_when_fetched() {
    let page = format!("[{},{}]", row("a", "2026-01-01T00:00:00"), row("b", "2026-01-01T00:00:01"));
    let mut m = monitor(&serve("", vec![page]));
    let shared = m.shared();
    let batch = block_on(m.next_batch()).unwrap().unwrap();
    assert_eq!(batch.len(), 2);
    assert_eq!(shared.stats().events, 0, "fetched, not yet delivered");
    shared.count_delivered(2);
    assert_eq!(shared.stats().events, 2);
    m.not_before = None;
    assert_eq!(block_on(m.next_batch()).unwrap().unwrap().len(), 0);
    assert_eq!(shared.stats().events, 2);
}

fn monitor_with_state(url: &str, state: &std::path::Path) -> Result<Monitor> {
    let mut config = Config::from_value(&serde_json::json!({"url": url, "state": state})).unwrap();
    config.poll_interval = std::time::Duration::ZERO;
    Monitor::new(config)
}

fn ids(events: &[Event]) -> Vec<&str> {
    events.iter().map(|e| e.message_id.as_str()).collect()
}

#[test]
fn a_restart_reads_again_what_was_not_acknowledged_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    let page = format!(
        "[{},{},{}]",
        row("a", "2026-01-01T00:00:00"),
        row("b", "2026-01-01T00:00:01"),
        row("c", "2026-01-01T00:00:02")
    );
    let url = serve("", vec![page.clone(), page.clone(), page]);
    let mut m = monitor_with_state(&url, &state).unwrap();
    assert_eq!(ids(&block_on(m.next_batch()).unwrap().unwrap()), vec!["a", "b", "c"]);
    m.acknowledge(1).unwrap();
    assert!(!state.exists(), "mid-batch: nothing written yet");
    m.flush_state().unwrap();
    drop(m); // the process dies with b and c in the block
    let mut m = monitor_with_state(&url, &state).unwrap();
    assert_eq!(ids(&block_on(m.next_batch()).unwrap().unwrap()), vec!["b", "c"]);
    m.acknowledge(2).unwrap();
    drop(m);
    let mut m = monitor_with_state(&url, &state).unwrap();
    assert!(block_on(m.next_batch()).unwrap().unwrap().is_empty(), "all three acknowledged");
    // a state of another stream is refused, naming the option and the file
    let other = serve("", vec![]);
    let error = monitor_with_state(&format!("{other}/elsewhere"), &state).err().unwrap().to_string();
    assert!(error.starts_with("invalid option http.state: "), "{error}");
    assert!(error.contains(&state.display().to_string()) && error.contains("another stream"), "{error}");
}

#[test]
fn a_body_that_is_not_json_is_an_error_after_ten_failures_in_a_row() {
    let mut m = monitor(&serve("", vec!["<html>proxy error</html>".into(); 12]));
    let shared = m.shared();
    let mut levels = Vec::new();
    let mut said_at = Vec::new();
    for n in 1..=12 {
        m.not_before = None; // skip the back-off wait, not the counting
        assert_eq!(block_on(m.next_batch()).unwrap().unwrap().len(), 0);
        let retried: Vec<_> = shared.drain_logs().into_iter().filter(|(_, l)| l.contains("retrying in")).collect();
        assert!(retried.len() <= 1);
        if let Some(line) = retried.first() {
            said_at.push(n);
            levels.push(line.clone());
        }
    }
    // the first failure, then 2, 4, 8 in a row, and the tenth as an error
    assert_eq!(said_at, vec![1, 2, 4, 8, 10]);
    assert!(levels[..4].iter().all(|(level, _)| *level == Level::Warn), "{levels:?}");
    assert_eq!(levels[4].0, Level::Error, "{levels:?}");
    assert!(levels[0].1.contains("unparseable") && !levels[0].1.contains("in a row"));
    assert!(levels[1].1.contains("(2 failures in a row; said again at 4)"), "{}", levels[1].1);
    assert!(levels[3].1.contains("(8 failures in a row; said again at 10)"), "{}", levels[3].1);
    assert!(levels[4].1.contains("(10 failures in a row; said again at 16)"), "{}", levels[4].1);
    assert_eq!(m.failures, 12);
    assert_eq!(shared.stats().errors, 12);
}

#[test]
fn the_cursor_stays_within_the_skew_of_the_services_date_header() {
    // the service's clock says 2015: a 2026 event is far ahead of it
    let page = format!("[{},{}]", row("then", "2015-10-21T07:27:00"), row("ahead", "2026-01-01T00:00:00"));
    let mut m = monitor(&serve("Date: Wed, 21 Oct 2015 07:28:00 GMT\r\n", vec![page]));
    let shared = m.shared();
    let batch = block_on(m.next_batch()).unwrap().unwrap();
    assert_eq!(batch.iter().map(|e| e.message_id.as_str()).collect::<Vec<_>>(), vec!["then", "ahead"]);
    assert_eq!(shared.stats().cursor.as_deref(), Some("2015-10-21T07:27:00.000000"));
    let warned: Vec<_> = shared.drain_logs().into_iter().filter(|(l, _)| *l == Level::Warn).collect();
    assert_eq!(warned.len(), 1, "{warned:?}");
    assert!(warned[0].1.contains("ahead generated 2026-01-01T00:00:00"), "{}", warned[0].1);
}
