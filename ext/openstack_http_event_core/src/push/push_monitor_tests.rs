use std::time::Duration;

use serde_json::json;

use super::*;

fn options(dir: &std::path::Path) -> PushOptions {
    PushOptions::from_options(&json!({"listen": "127.0.0.1:0", "spool_dir": dir.to_str().unwrap(),
                                       "users": {"ceilometer": "push-pw-1"}}))
    .unwrap()
}

fn monitor(dir: &std::path::Path) -> PushMonitor {
    PushMonitor::new(options(dir), 65536, 100, Arc::new(Shared::new())).unwrap()
}

async fn push(m: &PushMonitor, ids: &[&str]) -> u16 {
    let events: Vec<_> = ids
        .iter()
        .map(|id| json!({"message_id": id, "event_type": "t", "generated": "2026-11-26T09:00:00", "traits": []}))
        .collect();
    let url = format!("http://{}/events", m.local_addr().unwrap());
    let r = reqwest::Client::new()
        .post(url)
        .basic_auth("ceilometer", Some("push-pw-1"))
        .header("content-type", "application/json")
        .body(json!(events).to_string())
        .send()
        .await
        .unwrap();
    r.status().as_u16()
}

fn ids(events: &[Event]) -> Vec<&str> {
    events.iter().map(|e| e.message_id.as_str()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delivers_what_was_pushed_and_redelivers_what_was_not_acknowledged_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let mut m = monitor(dir.path());
    m.start().unwrap();
    assert_eq!(push(&m, &["a", "b", "c"]).await, 200);
    let batch = m.next_batch().await.unwrap().unwrap();
    assert_eq!(ids(&batch), ["a", "b", "c"]);
    m.delivered(2).await.unwrap();
    // the block for "c" never returned; the process goes away
    m.stop().await;
    drop(m);

    let mut again = monitor(dir.path());
    again.start().unwrap();
    assert_eq!(ids(&again.next_batch().await.unwrap().unwrap()), ["c"]);
    again.delivered(1).await.unwrap();
    assert_eq!(push(&again, &["c", "d"]).await, 200, "a resent c is a duplicate, d is new");
    assert_eq!(ids(&again.next_batch().await.unwrap().unwrap()), ["d"]);
    again.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requeue_hands_the_undelivered_out_first_and_stop_ends_a_wait() {
    let dir = tempfile::tempdir().unwrap();
    let mut m = monitor(dir.path());
    m.start().unwrap();
    assert_eq!(push(&m, &["x", "y"]).await, 200);
    assert_eq!(ids(&m.next_batch().await.unwrap().unwrap()), ["x", "y"]);
    m.delivered(1).await.unwrap();
    m.requeue();
    assert_eq!(ids(&m.next_batch().await.unwrap().unwrap()), ["y"]);
    m.delivered(1).await.unwrap();

    let shared = m.shared();
    let waiter = tokio::spawn(async move {
        let got = m.next_batch().await;
        (m, got.map(|b| b.is_none()))
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    // stop from another thread, as Ruby's stop does: the wait ends and the port closes
    shared.stop();
    let (mut m, stopped) = tokio::time::timeout(Duration::from_secs(2), waiter).await.unwrap().unwrap();
    assert!(stopped.unwrap(), "a stopped wait returns None");
    m.stop().await;
    assert!(m.local_addr().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_frees_the_port_and_a_restart_binds_it_again_on_the_same_spool() {
    let dir = tempfile::tempdir().unwrap();
    let mut m = monitor(dir.path());
    m.start().unwrap();
    let addr = m.local_addr().unwrap();
    m.shared().stop();
    let deadline = std::time::Instant::now() + Duration::from_secs(2);
    while std::net::TcpListener::bind(addr).is_err() {
        assert!(std::time::Instant::now() < deadline, "the port stays bound after stop");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    m.stop().await;
    m.shared().resume();
    m.start().unwrap();
    assert_eq!(push(&m, &["after-restart"]).await, 200);
    assert_eq!(ids(&m.next_batch().await.unwrap().unwrap()), ["after-restart"]);
    m.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_receiver_on_the_same_spool_is_refused_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut first = monitor(dir.path());
    first.start().unwrap();
    let mut second = monitor(dir.path());
    let e = second.start().unwrap_err().to_string();
    assert!(e.contains("http.source.spool_dir") && e.contains(&dir.path().display().to_string()), "{e}");
    first.stop().await;
}

#[test]
fn secrets_are_scrubbed_from_what_the_monitor_says() {
    let dir = tempfile::tempdir().unwrap();
    let m = monitor(dir.path());
    assert_eq!(m.shared().scrubber.scrub("pw is push-pw-1"), "pw is [REDACTED]");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_spool_dir_the_spool_is_made_under_state_dir_per_port() {
    let state = tempfile::tempdir().unwrap();
    let options =
        PushOptions::from_options(&json!({"listen": "127.0.0.1:0", "state_dir": state.path().to_str().unwrap(),
                                                    "users": {"ceilometer": "push-pw-1"}}))
        .unwrap();
    let mut m = PushMonitor::new(options, 65536, 100, Arc::new(Shared::new())).unwrap();
    m.start().unwrap();
    assert_eq!(push(&m, &["s1"]).await, 200);
    let spool = state.path().join("openstack_http_event_monitor").join("0");
    assert!(std::fs::read_dir(&spool).unwrap().any(|e| e.unwrap().path().extension().is_some_and(|x| x == "seg")));
    m.stop().await;
}
