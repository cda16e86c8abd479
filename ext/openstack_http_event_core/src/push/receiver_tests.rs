use std::time::Duration;

use super::*;
use crate::push::gate::Gate;
use crate::push::server::{Server, ServerConfig};
use crate::spool::{FileSpool, SpoolOptions};

struct Running {
    server: Server,
    spool: Arc<FileSpool>,
    shared: Arc<Shared>,
    url: String,
    _dir: tempfile::TempDir,
}

fn start(max_spool_bytes: u64) -> Running {
    let dir = tempfile::tempdir().expect("tempdir");
    let options = SpoolOptions { max_spool_bytes, ..SpoolOptions::default() };
    let spool = Arc::new(FileSpool::open(dir.path(), options).expect("spool"));
    let shared = Arc::new(Shared::new());
    let formats = Formats { ceilometer: true, cloudevents: true, json: None };
    let receiver = Receiver::new(spool.clone(), formats, 100, Arc::clone(&shared));
    let config = ServerConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        path: "/events".into(),
        gate: Gate::default(),
        tls: None,
        max_body_bytes: 1 << 20,
        max_header_bytes: 8192,
        request_timeout: Duration::from_secs(5),
        max_connections: 64,
    };
    let server = Server::start(config, Arc::new(receiver)).expect("server");
    let url = format!("http://{}/events", server.local_addr());
    Running { server, spool, shared, url, _dir: dir }
}

fn ceilometer_event(id: &str) -> serde_json::Value {
    json!({"message_id": id, "event_type": "compute.instance.create.end", "generated": "2026-11-26T09:00:00.000001",
           "traits": [["tenant_id", 1, "t1"], ["memory_mb", 2, 512]], "raw": {}})
}

async fn post(url: &str, content_type: &str, body: String) -> (u16, serde_json::Value) {
    let r = reqwest::Client::new().post(url).header("content-type", content_type).body(body).send().await.unwrap();
    let status = r.status().as_u16();
    (status, serde_json::from_slice(&r.bytes().await.unwrap()).unwrap_or(serde_json::Value::Null))
}

fn spooled(spool: &FileSpool) -> Vec<String> {
    let batch = spool.next_batch(10_000).unwrap();
    batch.iter().map(|r| record::decode(&r.payload).unwrap().message_id).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_is_answered_once_spooled_and_a_resend_is_a_duplicate() {
    let r = start(1 << 30);
    let batch = json!([ceilometer_event("a"), ceilometer_event("b"), {"message_id": "bad"}]).to_string();
    let (status, answer) = post(&r.url, "application/json", batch.clone()).await;
    assert_eq!((status, answer), (200, json!({"accepted": 2, "duplicates": 0, "malformed": 1})));
    // Ceilometer retries a batch whose connection broke: nothing twice
    let (status, answer) = post(&r.url, "application/json", batch).await;
    assert_eq!((status, answer), (200, json!({"accepted": 0, "duplicates": 2, "malformed": 1})));
    let (status, _) = post(&r.url, "application/json", ceilometer_event("c").to_string()).await;
    assert_eq!(status, 200);
    assert_eq!(spooled(&r.spool), ["a", "b", "c"]);
    assert!(r.spool.next_batch(100).unwrap().is_empty(), "everything was handed out already");
    let logs = r.shared.drain_logs();
    assert!(logs.iter().any(|(_, m)| m.contains("skipped 1 malformed pushed event(s) of 3")), "{logs:?}");
    r.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cloudevents_and_refusals() {
    let r = start(1 << 30);
    let ce = json!({"specversion": "1.0", "id": "ce-1", "type": "t", "source": "/s", "data": {"k": 1}}).to_string();
    assert_eq!(post(&r.url, "application/cloudevents+json", ce).await.0, 200);
    let (status, answer) = post(&r.url, "application/json", "{not json".into()).await;
    assert_eq!(status, 400);
    assert!(answer["error"].as_str().unwrap().contains("not JSON"));
    assert_eq!(post(&r.url, "text/plain", "x".into()).await.0, 415);
    assert_eq!(post(&r.url, "application/json", "[]".into()).await.0, 400);
    assert_eq!(spooled(&r.spool), ["ce-1"]);
    r.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raw_only_bodies_are_malformed_with_one_error_log() {
    let r = start(1 << 30);
    for _ in 0..3 {
        let (status, answer) = post(&r.url, "application/json", json!({"instance_id": "i-1"}).to_string()).await;
        assert_eq!((status, answer["malformed"].clone()), (200, json!(1)));
    }
    let logs = r.shared.drain_logs();
    let told: Vec<_> = logs.iter().filter(|(l, m)| *l == Level::Error && m.contains("raw_only")).collect();
    assert_eq!(told.len(), 1, "{logs:?}");
    assert!(spooled(&r.spool).is_empty());
    r.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_spool_answers_503_with_retry_after_and_keeps_what_it_had() {
    let r = start(1 << 20);
    let big = "x".repeat(200_000);
    let mut accepted = Vec::new();
    let mut refused = 0;
    for i in 0..10 {
        let mut e = ceilometer_event(&format!("e{i}"));
        e["traits"] = json!([["blob", 1, big]]);
        let response = reqwest::Client::new()
            .post(&r.url)
            .header("content-type", "application/json")
            .body(e.to_string())
            .send()
            .await
            .unwrap();
        match response.status().as_u16() {
            200 => accepted.push(format!("e{i}")),
            503 => {
                assert_eq!(response.headers()["retry-after"], "30");
                refused += 1;
            }
            other => panic!("status {other}"),
        }
    }
    assert!(refused > 0 && !accepted.is_empty(), "accepted {accepted:?}");
    assert_eq!(spooled(&r.spool), accepted);
    assert!(r.shared.drain_logs().iter().any(|(l, m)| *l == Level::Error && m.contains("max_spool_bytes")));
    r.server.stop().await;
}

#[test]
fn requests_turned_away_count_as_refused_and_are_logged_at_growing_intervals() {
    let dir = tempfile::tempdir().expect("tempdir");
    let spool = Arc::new(FileSpool::open(dir.path(), SpoolOptions::default()).expect("spool"));
    let shared = Arc::new(Shared::new());
    let formats = Formats { ceilometer: true, cloudevents: true, json: None };
    let receiver = Receiver::new(spool, formats, 100, Arc::clone(&shared));
    for _ in 0..5 {
        receiver.turned_away(TurnedAway::WrongCredentials);
    }
    receiver.turned_away(TurnedAway::TooLarge);
    let stats = shared.stats();
    assert_eq!((stats.requests, stats.refused, stats.received), (6, 6, 0));
    let logs: Vec<String> = shared.drain_logs().into_iter().map(|(_, m)| m).collect();
    assert_eq!(
        logs,
        [
            "turned a pushed request away: 401, wrong credentials",
            "turned a pushed request away: 401, wrong credentials (2 times so far)",
            "turned a pushed request away: 401, wrong credentials (4 times so far)",
            "turned a pushed request away: 413, body past http.source.max_body_bytes",
        ]
    );
}
