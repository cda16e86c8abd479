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
    m.start().await.unwrap();
    assert_eq!(push(&m, &["a", "b", "c"]).await, 200);
    let batch = m.next_batch().await.unwrap().unwrap();
    assert_eq!(ids(&batch), ["a", "b", "c"]);
    m.delivered(2).await.unwrap();
    // the block for "c" never returned; the process goes away
    m.stop().await;
    drop(m);

    let mut again = monitor(dir.path());
    again.start().await.unwrap();
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
    m.start().await.unwrap();
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
    m.start().await.unwrap();
    let addr = m.local_addr().unwrap();
    m.shared().stop();
    let deadline = std::time::Instant::now() + Duration::from_secs(2);
    while std::net::TcpListener::bind(addr).is_err() {
        assert!(std::time::Instant::now() < deadline, "the port stays bound after stop");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    m.stop().await;
    m.shared().resume();
    m.start().await.unwrap();
    assert_eq!(push(&m, &["after-restart"]).await, 200);
    assert_eq!(ids(&m.next_batch().await.unwrap().unwrap()), ["after-restart"]);
    m.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_receiver_on_the_same_spool_is_refused_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut first = monitor(dir.path());
    first.start().await.unwrap();
    let mut second = monitor(dir.path());
    let e = second.start().await.unwrap_err().to_string();
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
    m.start().await.unwrap();
    assert_eq!(push(&m, &["s1"]).await, 200);
    let spool = state.path().join("openstack_http_event_monitor").join("0");
    assert!(std::fs::read_dir(&spool).unwrap().any(|e| e.unwrap().path().extension().is_some_and(|x| x == "seg")));
    m.stop().await;
}

fn postgres_monitor(pg: &crate::testing::Postgres, consumer: &str) -> PushMonitor {
    let options = PushOptions::from_options(&json!({
        "listen": "127.0.0.1:0", "users": {"ceilometer": "push-pw-1"}, "consumer": consumer,
        "spool": {"type": "postgresql", "url": pg.url(), "stream": "overcloud"}}))
    .unwrap();
    PushMonitor::new(options, 65536, 100, Arc::new(Shared::new())).unwrap()
}

/// A receiver's catcher fails over: what it accepted and did not deliver
/// is delivered by the catcher that starts elsewhere (another process, its
/// own port), and every consumer of the stream gets every event once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_database_spool_another_receiver_delivers_what_the_first_accepted() {
    let pg = crate::testing::Postgres::start();
    let mut first = postgres_monitor(&pg, "cloud");
    first.start().await.unwrap();
    let mut network = postgres_monitor(&pg, "network");
    network.start().await.unwrap();
    assert_eq!(push(&first, &["a", "b"]).await, 200);
    assert_eq!(push(&network, &["c", "a"]).await, 200, "any receiver of the stream; a is a duplicate");
    let batch = first.next_batch().await.unwrap().unwrap();
    assert_eq!(ids(&batch), ["a", "b", "c"]);
    first.delivered(1).await.unwrap();
    first.stop().await;
    drop(first); // b and c in a block that never returned

    let mut second = postgres_monitor(&pg, "cloud");
    second.start().await.unwrap();
    assert_eq!(ids(&second.next_batch().await.unwrap().unwrap()), ["b", "c"]);
    second.delivered(2).await.unwrap();
    assert_eq!(ids(&network.next_batch().await.unwrap().unwrap()), ["a", "b", "c"]);
    network.delivered(3).await.unwrap();
    assert_eq!(push(&second, &["d"]).await, 200);
    assert_eq!(ids(&second.next_batch().await.unwrap().unwrap()), ["d"]);
    assert_eq!(ids(&network.next_batch().await.unwrap().unwrap()), ["d"]);
    second.stop().await;
    network.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_that_is_down_is_answered_503_and_nothing_is_lost() {
    let pg = crate::testing::Postgres::start();
    let mut m = postgres_monitor(&pg, "cloud");
    m.start().await.unwrap();
    assert_eq!(push(&m, &["a"]).await, 200);
    pg.stop();
    assert_eq!(push(&m, &["b"]).await, 503, "never 2xx for what was not committed");
    // a consumer waiting meanwhile rides it out
    let waiting = tokio::spawn(async move {
        let batch = m.next_batch().await;
        (m, batch)
    });
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(!waiting.is_finished());
    pg.start_again();
    let (mut m, batch) = waiting.await.unwrap();
    assert_eq!(ids(&batch.unwrap().unwrap()), ["a"]);
    assert_eq!(push(&m, &["b"]).await, 200, "reconnected by itself");
    assert_eq!(ids(&m.next_batch().await.unwrap().unwrap()), ["b"]);
    m.stop().await;
}

#[test]
fn spool_options_name_their_key() {
    let err = |spool: serde_json::Value| {
        PushOptions::from_options(&json!({"listen": "127.0.0.1:0", "spool": spool})).unwrap_err().to_string()
    };
    assert!(err(json!("postgresql")).starts_with("invalid option http.source.spool: "));
    assert!(err(json!({"type": "postgresql"})).starts_with("invalid option http.source.spool.url: "));
    assert!(err(json!({"type": "postgresql", "url": "http://x"}))
        .contains("http.source.spool.url: must be a postgresql:// URL"));
    assert!(err(json!({"type": "bogus"})).contains("http.source.spool.type: \"bogus\" is not a spool type"));
    assert!(
        err(json!({"type": "file", "url": "x"})).contains("http.source.spool.url: does not apply to the file spool")
    );
    assert!(err(json!(3)).contains("must be :file or a Hash"));
    let o = PushOptions::from_options(&json!({"listen": "127.0.0.1:8791", "path": "/ceilometer",
        "spool": {"type": "postgresql", "url": "postgresql://u:p@db/vmdb"}}))
    .unwrap();
    let SpoolChoice::Postgres(pg) = &o.spool else { panic!("{:?}", o.spool) };
    assert_eq!(
        (pg.schema.as_str(), pg.stream.as_str(), o.consumer.as_str()),
        ("openstack_http_event_monitor", "8791/ceilometer", "default")
    );
    assert!(!format!("{o:?}").contains(":p@"), "{o:?}");
}

/// One publisher URL for all of a provider's managers: the cloud catcher
/// receives, the network catcher only reads the stream (`listen: false`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consumer_that_does_not_listen_reads_what_the_receiver_accepted() {
    let pg = crate::testing::Postgres::start();
    let options = PushOptions::from_options(&json!({
        "listen": false, "consumer": "network",
        "spool": {"type": "postgresql", "url": pg.url(), "stream": "overcloud"}}))
    .unwrap();
    let mut network = PushMonitor::new(options, 65536, 100, Arc::new(Shared::new())).unwrap();
    network.start().await.unwrap();
    assert_eq!(network.local_addr(), None, "binds nothing");
    network.check().await.unwrap();
    let mut cloud = postgres_monitor(&pg, "cloud");
    cloud.start().await.unwrap();
    assert_eq!(push(&cloud, &["a", "b"]).await, 200);
    assert_eq!(ids(&network.next_batch().await.unwrap().unwrap()), ["a", "b"]);
    network.delivered(2).await.unwrap();
    assert_eq!(push(&cloud, &["c"]).await, 200);
    assert_eq!(ids(&network.next_batch().await.unwrap().unwrap()), ["c"], "woken by the commit");
    assert_eq!(ids(&cloud.next_batch().await.unwrap().unwrap()), ["a", "b", "c"]);
    cloud.stop().await;
    network.stop().await;
}

#[test]
fn a_consumer_only_needs_the_database_spool_and_its_stream() {
    let err = |v: serde_json::Value| PushOptions::from_options(&v).unwrap_err().to_string();
    assert!(err(json!({"listen": false}))
        .contains("http.source.listen: false (a consumer only) needs the PostgreSQL spool"));
    assert!(err(json!({"listen": false, "spool": {"type": "postgresql", "url": "postgresql://db/x"}}))
        .contains("http.source.spool.stream: is required with listen: false"));
    let o = PushOptions::from_options(&json!({"listen": false,
        "spool": {"type": "postgresql", "url": "postgresql://db/x", "stream": "s"}}))
    .unwrap();
    assert!(!o.receive, "and no credentials are needed: it takes no requests");
}
