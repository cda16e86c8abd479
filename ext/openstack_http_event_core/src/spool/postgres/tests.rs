//! The database spool against a real PostgreSQL server (a throwaway
//! cluster, see [`crate::testing::Postgres`]).

use std::sync::Arc;

use super::*;
use crate::testing::{Postgres, POSTGRES_PASSWORD};

fn options(pg: &Postgres, stream: &str, consumer: &str) -> PostgresOptions {
    PostgresOptions {
        url: Secret::new(pg.url()),
        schema: "openstack_http_event_monitor".into(),
        stream: stream.into(),
        consumer: consumer.into(),
        max_spool_bytes: 1 << 30,
        dedup_window: 100_000,
    }
}

fn records(ids: &[&str]) -> Vec<(String, Vec<u8>)> {
    ids.iter().map(|id| (id.to_string(), format!("payload of {id}").into_bytes())).collect()
}

fn ids(records: &[SpooledRecord]) -> Vec<String> {
    records.iter().map(|r| r.message_id.clone()).collect()
}

async fn drain(spool: &PostgresSpool) -> Vec<SpooledRecord> {
    let mut all = Vec::new();
    loop {
        let batch = spool.next_batch(7).await.expect("next_batch");
        if batch.is_empty() {
            return all;
        }
        all.extend(batch);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accepted_events_come_once_and_what_was_not_acknowledged_comes_again_after_a_reopen() {
    let pg = Postgres::start();
    let spool = PostgresSpool::open(options(&pg, "overcloud", "cloud")).await.expect("open");
    let appended = spool.append(records(&["a", "b", "c", "b"])).await.unwrap();
    assert_eq!(appended, Appended { accepted: 3, duplicates: 1 });
    let batch = drain(&spool).await;
    assert_eq!(ids(&batch), ["a", "b", "c"]);
    assert_eq!(batch[1].payload, b"payload of b");
    assert!(drain(&spool).await.is_empty(), "handed out once");
    spool.acknowledge(batch[0].position).await.unwrap();
    drop(spool); // b and c were handed out, not acknowledged
    let spool = PostgresSpool::open(options(&pg, "overcloud", "cloud")).await.expect("reopen");
    assert_eq!(ids(&drain(&spool).await), ["b", "c"]);
    spool.requeue_unacknowledged();
    assert_eq!(ids(&drain(&spool).await), ["b", "c"], "a requeue hands them out again");
    let all = drain_after_requeue(&spool).await;
    spool.acknowledge(all.last().unwrap().position).await.unwrap();
    // a sender's retry, even of an event already delivered and deleted, is no new event
    let appended = spool.append(records(&["a", "c", "d"])).await.unwrap();
    assert_eq!(appended, Appended { accepted: 1, duplicates: 2 });
    assert_eq!(ids(&drain(&spool).await), ["d"]);
}

async fn drain_after_requeue(spool: &PostgresSpool) -> Vec<SpooledRecord> {
    spool.requeue_unacknowledged();
    drain(spool).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_consumer_gets_every_event_and_an_event_goes_once_all_acknowledged_it() {
    let pg = Postgres::start();
    let cloud = PostgresSpool::open(options(&pg, "overcloud", "cloud")).await.unwrap();
    let network = PostgresSpool::open(options(&pg, "overcloud", "network")).await.unwrap();
    let other = PostgresSpool::open(options(&pg, "another", "cloud")).await.unwrap();
    cloud.append(records(&["e1", "e2"])).await.unwrap();
    network.append(records(&["e3"])).await.unwrap(); // any receiver of the stream
    other.append(records(&["x1"])).await.unwrap();
    let seen = drain(&cloud).await;
    assert_eq!(ids(&seen), ["e1", "e2", "e3"]);
    assert_eq!(ids(&drain(&network).await), ["e1", "e2", "e3"]);
    assert_eq!(ids(&drain(&other).await), ["x1"], "streams are apart");
    cloud.acknowledge(seen[2].position).await.unwrap();
    let client = connect(&cloud.config, "test", &pg.url()).await.unwrap();
    let count = |stream: &'static str| {
        let client = &client;
        async move {
            client
                .query_one("SELECT count(*) FROM openstack_http_event_monitor.events WHERE stream = $1", &[&stream])
                .await
                .unwrap()
                .get::<_, i64>(0)
        }
    };
    assert_eq!(count("overcloud").await, 3, "network has not acknowledged");
    network.requeue_unacknowledged();
    let again = drain(&network).await;
    network.acknowledge(again[2].position).await.unwrap();
    assert_eq!(count("overcloud").await, 0, "acknowledged by every consumer: deleted");
    let bytes: i64 = client
        .query_one("SELECT bytes FROM openstack_http_event_monitor.streams WHERE stream = 'overcloud'", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(bytes, 0);
}

/// Two writers of one stream whose commits interleave: the first holds its
/// transaction open after numbering its events; the second must not number
/// (and commit) around it, so a reader never sees a later number before an
/// earlier one and skips nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interleaved_commits_of_two_writers_leave_no_gap_for_a_reader() {
    let pg = Postgres::start();
    let reader = PostgresSpool::open(options(&pg, "overcloud", "cloud")).await.unwrap();
    let second = Arc::new(PostgresSpool::open(options(&pg, "overcloud", "other-receiver")).await.unwrap());
    // the stream exists (a first insert of its row would make writers wait anyway)
    second.append(records(&["zero"])).await.unwrap();
    // the first writer, by hand: the stream's lock taken, a number given,
    // not yet committed
    let mut client = connect(&reader.config, "test", &pg.url()).await.unwrap();
    let tx = client.transaction().await.unwrap();
    tx.execute(
        "INSERT INTO openstack_http_event_monitor.streams (stream) VALUES ('overcloud') ON CONFLICT DO NOTHING",
        &[],
    )
    .await
    .unwrap();
    let last: i64 = tx
        .query_one(
            "SELECT last_seq FROM openstack_http_event_monitor.streams WHERE stream = 'overcloud' FOR UPDATE",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    tx.execute(
        "INSERT INTO openstack_http_event_monitor.events (stream, seq, message_id, payload) VALUES ('overcloud', $1, 'first', '')",
        &[&(last + 1)],
    )
    .await
    .unwrap();
    // the second writer meanwhile: it waits for the lock
    let pending = tokio::spawn({
        let second = Arc::clone(&second);
        async move { second.append(records(&["second"])).await }
    });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(!pending.is_finished(), "the second writer waits for the first's commit");
    assert_eq!(ids(&reader.next_batch(10).await.unwrap()), ["zero"], "nothing else committed yet");
    tx.execute(
        "UPDATE openstack_http_event_monitor.streams SET last_seq = $1 WHERE stream = 'overcloud'",
        &[&(last + 1)],
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(pending.await.unwrap().unwrap().accepted, 1);
    assert_eq!(ids(&drain(&reader).await), ["first", "second"]);
    let seqs: Vec<u64> = drain_after_requeue(&reader).await.iter().map(|r| r.position.offset).collect();
    assert_eq!(seqs, [1, 2, 3]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_receivers_and_a_draining_consumer_deliver_every_event_exactly_once() {
    let pg = Postgres::start();
    let consumer = PostgresSpool::open(options(&pg, "overcloud", "cloud")).await.unwrap();
    let mut writers = Vec::new();
    for w in 0..4 {
        let spool = PostgresSpool::open(options(&pg, "overcloud", &format!("receiver-{w}"))).await.unwrap();
        writers.push(tokio::spawn(async move {
            for batch in 0..25 {
                let ids: Vec<String> = (0..10).map(|i| format!("w{w}-b{batch}-{i}")).collect();
                let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
                // every batch sent twice, as a sender retrying through another receiver
                spool.append(records(&refs)).await.unwrap();
                spool.append(records(&refs[..5])).await.unwrap();
            }
        }));
    }
    let mut seen = Vec::new();
    let mut changes = consumer.subscribe();
    while seen.len() < 1000 {
        let batch = consumer.next_batch(64).await.unwrap();
        if batch.is_empty() {
            let _ = tokio::time::timeout(std::time::Duration::from_secs(5), changes.changed()).await;
            continue;
        }
        let positions: Vec<u64> = batch.iter().map(|r| r.position.offset).collect();
        assert!(positions.windows(2).all(|w| w[0] < w[1]), "in accepted order");
        consumer.acknowledge(batch.last().unwrap().position).await.unwrap();
        seen.extend(ids(&batch));
    }
    for w in writers {
        w.await.unwrap();
    }
    assert!(drain(&consumer).await.is_empty());
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!((seen.len(), unique.len()), (1000, 1000));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_stream_refuses_the_whole_append() {
    let pg = Postgres::start();
    let spool = PostgresSpool::open(PostgresOptions { max_spool_bytes: 40, ..options(&pg, "overcloud", "cloud") })
        .await
        .unwrap();
    spool.append(records(&["a", "b"])).await.unwrap(); // 2 × 12 bytes
    let error = spool.append(records(&["c", "d"])).await.unwrap_err();
    assert!(matches!(error, SpoolError::Full { used: 24, needed: 24, max: 40, .. }), "{error}");
    assert_eq!(ids(&drain(&spool).await), ["a", "b"], "nothing of the refused append");
    // and its ids were not taken: sent again once there is room, they are new
    let all = drain_after_requeue(&spool).await;
    spool.acknowledge(all[1].position).await.unwrap();
    assert_eq!(spool.append(records(&["c", "d"])).await.unwrap().accepted, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_that_goes_away_is_an_error_then_reconnected_and_the_password_is_never_shown() {
    let pg = Postgres::start();
    let spool = PostgresSpool::open(options(&pg, "overcloud", "cloud")).await.unwrap();
    spool.append(records(&["a"])).await.unwrap();
    assert!(!format!("{spool:?} {}", spool.location()).contains(POSTGRES_PASSWORD));
    assert!(!format!("{:?}", options(&pg, "s", "c")).contains(POSTGRES_PASSWORD));
    pg.stop();
    let error = spool.append(records(&["b"])).await.unwrap_err();
    assert!(matches!(error, SpoolError::Database { .. }), "{error}");
    assert!(!error.to_string().contains(POSTGRES_PASSWORD), "{error}");
    pg.start_again();
    assert_eq!(spool.append(records(&["b"])).await.unwrap().accepted, 1, "the refused b was not kept");
    assert_eq!(ids(&drain(&spool).await), ["a", "b"]);
    // a wrong password: refused, and not shown either
    let wrong = PostgresOptions {
        url: Secret::new(pg.url().replace(POSTGRES_PASSWORD, "not-the-Password-42")),
        ..options(&pg, "overcloud", "cloud")
    };
    let error = PostgresSpool::open(wrong).await.unwrap_err().to_string();
    assert!(error.contains("password authentication failed") && !error.contains("not-the-Password-42"), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_newer_schema_is_refused_and_a_bad_schema_name_names_the_option() {
    let pg = Postgres::start();
    let spool = PostgresSpool::open(options(&pg, "overcloud", "cloud")).await.unwrap();
    let client = connect(&spool.config, "test", &pg.url()).await.unwrap();
    client
        .execute("UPDATE openstack_http_event_monitor.meta SET value = 99 WHERE key = 'schema_version'", &[])
        .await
        .unwrap();
    let error = PostgresSpool::open(options(&pg, "overcloud", "cloud")).await.unwrap_err();
    assert!(matches!(error, SpoolError::Schema { found: 99, known: 1, .. }), "{error}");
    assert!(error.to_string().contains("upgrade the gem"), "{error}");
    let error =
        PostgresSpool::open(PostgresOptions { schema: "Bad-Name".into(), ..options(&pg, "s", "c") }).await.unwrap_err();
    assert!(error.to_string().starts_with("invalid option spool.schema: "), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_probe_is_no_consumer_and_a_consumer_gone_for_the_retention_holds_nothing_back() {
    let pg = Postgres::start();
    PostgresSpool::probe(&options(&pg, "overcloud", "checked")).await.unwrap();
    let cloud = PostgresSpool::open(options(&pg, "overcloud", "cloud")).await.unwrap();
    let gone = PostgresSpool::open(options(&pg, "overcloud", "gone")).await.unwrap();
    drop(gone);
    cloud.append(records(&["a", "b"])).await.unwrap();
    let client = connect(&cloud.config, "test", &pg.url()).await.unwrap();
    let consumers: Vec<String> = client
        .query("SELECT consumer FROM openstack_http_event_monitor.consumers ORDER BY consumer", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(consumers, ["cloud", "gone"], "the probe registered no consumer");
    let count = || async {
        client
            .query_one("SELECT count(*) FROM openstack_http_event_monitor.events", &[])
            .await
            .unwrap()
            .get::<_, i64>(0)
    };
    let batch = drain(&cloud).await;
    cloud.acknowledge(batch[1].position).await.unwrap();
    assert_eq!(count().await, 2, "gone has not acknowledged");
    client
        .execute(
            "UPDATE openstack_http_event_monitor.consumers SET seen_at = now() - interval '8 days' WHERE consumer = 'gone'",
            &[],
        )
        .await
        .unwrap();
    cloud.append(records(&["c"])).await.unwrap();
    let batch = drain(&cloud).await;
    cloud.acknowledge(batch[0].position).await.unwrap();
    assert_eq!(count().await, 0, "a consumer not seen for 7 days holds nothing back");
}
