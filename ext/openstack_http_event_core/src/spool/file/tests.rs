//! The spool end to end, on real files in temporary directories.

use std::collections::HashSet;
use std::os::unix::fs::{FileExt, PermissionsExt};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use super::*;

fn options() -> SpoolOptions {
    SpoolOptions { max_record_bytes: 4096, ..SpoolOptions::default() }
}

fn record(id: &str) -> (String, Vec<u8>) {
    (id.to_string(), format!("{{\"message_id\":\"{id}\",\"payload\":\"{}\"}}", "x".repeat(40)).into_bytes())
}

fn records(ids: &[&str]) -> Vec<(String, Vec<u8>)> {
    ids.iter().map(|id| record(id)).collect()
}

fn numbered(prefix: &str, range: std::ops::Range<usize>) -> Vec<String> {
    range.map(|i| format!("{prefix}{i:04}")).collect()
}

fn ids(batch: &[SpooledRecord]) -> Vec<String> {
    batch.iter().map(|r| r.message_id.clone()).collect()
}

/// Everything `next_batch` gives until it is empty.
fn drain(spool: &FileSpool) -> Vec<SpooledRecord> {
    let mut all = Vec::new();
    loop {
        let batch = spool.next_batch(7).expect("next_batch");
        if batch.is_empty() {
            return all;
        }
        all.extend(batch);
    }
}

fn segment_files(dir: &Path) -> Vec<PathBuf> {
    segment::list(dir).expect("list").into_iter().map(|s| segment::path(dir, s)).collect()
}

async fn append(spool: &FileSpool, ids: &[&str]) -> Appended {
    spool.append(records(ids)).await.expect("append")
}

#[tokio::test]
async fn appended_records_come_back_in_order_and_leave_once_acknowledged() {
    let dir = tempfile::tempdir().expect("tempdir");
    let spool = FileSpool::open(dir.path(), options()).expect("open");
    let all = numbered("e", 0..10);
    let refs: Vec<&str> = all.iter().map(String::as_str).collect();
    assert_eq!(append(&spool, &refs[..6]).await, Appended { accepted: 6, duplicates: 0 });
    assert_eq!(append(&spool, &refs[6..]).await, Appended { accepted: 4, duplicates: 0 });

    let first = spool.next_batch(4).expect("next_batch");
    assert_eq!(ids(&first), all[..4]);
    assert_eq!(first[2].payload, record("e0002").1);
    let rest = spool.next_batch(100).expect("next_batch");
    assert_eq!(ids(&rest), all[4..]);
    assert!(spool.next_batch(100).expect("next_batch").is_empty());
    assert_eq!(spool.stats().in_flight, 10);

    spool.acknowledge(rest[5].position).expect("acknowledge");
    let stats = spool.stats();
    assert_eq!((stats.in_flight, stats.unacknowledged_bytes, stats.records), (0, 0, 10));
    assert!(spool.take_notices().is_empty());
    drop(spool);

    let spool = FileSpool::open(dir.path(), options()).expect("reopen");
    assert!(drain(&spool).is_empty(), "acknowledged records came back");
}

#[tokio::test]
async fn a_crash_redelivers_exactly_the_unacknowledged() {
    let dir = tempfile::tempdir().expect("tempdir");
    let all = numbered("c", 0..10);
    let refs: Vec<&str> = all.iter().map(String::as_str).collect();
    {
        let spool = FileSpool::open(dir.path(), options()).expect("open");
        append(&spool, &refs).await;
        let batch = drain(&spool);
        assert_eq!(ids(&batch), all);
        spool.acknowledge(batch[3].position).expect("acknowledge");
        // dropped without acknowledging the rest: the files are as a kill -9 leaves them, since
        // nothing is written at close
    }
    let spool = FileSpool::open(dir.path(), options()).expect("reopen");
    assert_eq!(ids(&drain(&spool)), all[4..]);
    assert!(spool.take_notices().is_empty());
}

#[tokio::test]
async fn requeue_gives_the_in_flight_records_first_again() {
    let dir = tempfile::tempdir().expect("tempdir");
    let spool = FileSpool::open(dir.path(), options()).expect("open");
    append(&spool, &["a", "b", "c", "d", "e", "f"]).await;
    let batch = spool.next_batch(4).expect("next_batch");
    assert_eq!(ids(&batch), ["a", "b", "c", "d"]);
    spool.acknowledge(batch[1].position).expect("acknowledge");
    assert_eq!(spool.stats().in_flight, 2);
    spool.requeue_unacknowledged();
    assert_eq!(spool.stats().in_flight, 0);
    assert_eq!(ids(&spool.next_batch(3).expect("next_batch")), ["c", "d", "e"]);
    assert_eq!(ids(&spool.next_batch(3).expect("next_batch")), ["f"]);
    // a position past what was handed out acknowledges only what was
    spool.acknowledge(Position { segment: u64::MAX, offset: 0 }).expect("acknowledge");
    assert_eq!(spool.stats().unacknowledged_bytes, 0);
}

#[tokio::test]
async fn a_torn_tail_is_cut_and_reported_and_earlier_records_stay() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let spool = FileSpool::open(dir.path(), options()).expect("open");
        append(&spool, &["t0", "t1", "t2", "t3", "t4"]).await;
    }
    let files = segment_files(dir.path());
    assert_eq!(files.len(), 1);
    let len = std::fs::metadata(&files[0]).expect("meta").len();
    let frame = segment::frame_len("t4", &record("t4").1);
    // power loss in the middle of the last record
    std::fs::OpenOptions::new().write(true).open(&files[0]).expect("open").set_len(len - 5).expect("truncate");

    let spool = FileSpool::open(dir.path(), options()).expect("reopen");
    assert_eq!(
        spool.take_notices(),
        vec![Notice::Cut { path: files[0].clone(), offset: len - frame, bytes: frame - 5 }]
    );
    assert_eq!(std::fs::metadata(&files[0]).expect("meta").len(), len - frame);
    assert_eq!(ids(&drain(&spool)), ["t0", "t1", "t2", "t3"]);
    // the cut record was never acknowledged to its sender, so its retry is accepted
    assert_eq!(append(&spool, &["t4"]).await, Appended { accepted: 1, duplicates: 0 });
    assert_eq!(ids(&drain(&spool)), ["t4"]);
    drop(spool);
    let spool = FileSpool::open(dir.path(), options()).expect("reopen");
    assert!(spool.take_notices().is_empty());
}

#[tokio::test]
async fn corruption_in_the_middle_is_skipped_and_at_the_end_cut() {
    let dir = tempfile::tempdir().expect("tempdir");
    let names = ["m0", "m1", "m2", "m3", "m4"];
    {
        let spool = FileSpool::open(dir.path(), options()).expect("open");
        append(&spool, &names).await;
    }
    let frame = segment::frame_len("m0", &record("m0").1);
    let file = &segment_files(dir.path())[0];
    let f = std::fs::OpenOptions::new().write(true).open(file).expect("open");
    // a flipped payload byte in m1, a flipped length byte in m4 (the last)
    f.write_all_at(b"#", frame + 30).expect("write");
    f.write_all_at(&[0x7F], 4 * frame + 5).expect("write");
    drop(f);

    let spool = FileSpool::open(dir.path(), options()).expect("reopen");
    assert_eq!(
        spool.take_notices(),
        vec![
            Notice::Skipped { path: file.clone(), offset: frame, bytes: frame },
            Notice::Cut { path: file.clone(), offset: 4 * frame, bytes: frame },
        ]
    );
    assert_eq!(ids(&drain(&spool)), ["m0", "m2", "m3"]);
    assert!(spool.take_notices().is_empty(), "a skipped range is reported once");
}

#[tokio::test]
async fn corruption_found_while_reading_is_skipped_and_reported() {
    let dir = tempfile::tempdir().expect("tempdir");
    let spool = FileSpool::open(dir.path(), options()).expect("open");
    append(&spool, &["r0", "r1", "r2"]).await;
    let frame = segment::frame_len("r0", &record("r0").1);
    let file = &segment_files(dir.path())[0];
    std::fs::OpenOptions::new().write(true).open(file).expect("open").write_all_at(b"\0", frame).expect("write");
    assert_eq!(ids(&drain(&spool)), ["r0", "r2"]);
    assert_eq!(spool.take_notices(), vec![Notice::Skipped { path: file.clone(), offset: frame, bytes: frame }]);
}

#[tokio::test]
async fn a_full_spool_refuses_the_whole_append_and_writes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let frame = segment::frame_len("f0", &record("f0").1);
    let spool =
        FileSpool::open(dir.path(), SpoolOptions { max_spool_bytes: 3 * frame + 10, ..options() }).expect("open");
    append(&spool, &["f0", "f1"]).await;
    let file = &segment_files(dir.path())[0];
    let before = std::fs::metadata(file).expect("meta").len();

    match spool.append(records(&["f2", "f3"])).await {
        Err(SpoolError::Full { used, needed, max, .. }) => {
            assert_eq!((used, needed, max), (2 * frame, 2 * frame, 3 * frame + 10));
        }
        other => panic!("expected Full, got {other:?}"),
    }
    assert_eq!(std::fs::metadata(file).expect("meta").len(), before);
    assert_eq!(ids(&drain(&spool)), ["f0", "f1"]);
    let stats = spool.stats();
    assert_eq!((stats.records, stats.refused_full), (2, 1));
    // a sender's retry of stored ids is answered even when full
    assert_eq!(append(&spool, &["f1"]).await, Appended { accepted: 0, duplicates: 1 });

    // acknowledging makes room; f2 and f3 were not remembered as seen
    spool.acknowledge(Position { segment: u64::MAX, offset: 0 }).expect("acknowledge");
    assert_eq!(append(&spool, &["f2", "f3"]).await, Appended { accepted: 2, duplicates: 0 });
    assert_eq!(ids(&drain(&spool)), ["f2", "f3"]);
}

#[tokio::test]
async fn duplicates_are_dropped_within_an_append_and_across_a_reopen() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let spool = FileSpool::open(dir.path(), options()).expect("open");
        assert_eq!(append(&spool, &["a", "b", "a", "c", "d", "e"]).await, Appended { accepted: 5, duplicates: 1 });
        let batch = spool.next_batch(3).expect("next_batch");
        spool.acknowledge(batch[2].position).expect("acknowledge"); // a, b, c delivered
    }
    let spool = FileSpool::open(dir.path(), options()).expect("reopen");
    // the sender retries after a lost connection: a and c acknowledged (known from the journal),
    // d spooled (known from the segment), f new
    assert_eq!(append(&spool, &["a", "c", "d", "f"]).await, Appended { accepted: 1, duplicates: 3 });
    assert_eq!(ids(&drain(&spool)), ["d", "e", "f"]);
    assert_eq!(spool.stats().dedup_ids, 6);
}

#[tokio::test]
async fn the_dedup_window_forgets_the_oldest_ids() {
    let dir = tempfile::tempdir().expect("tempdir");
    let opts = SpoolOptions { dedup_window: 3, ..options() };
    {
        let spool = FileSpool::open(dir.path(), opts.clone()).expect("open");
        append(&spool, &["w0", "w1", "w2", "w3"]).await;
        let batch = drain(&spool);
        spool.acknowledge(batch[3].position).expect("acknowledge");
        assert_eq!(append(&spool, &["w0", "w1"]).await, Appended { accepted: 1, duplicates: 1 });
    }
    let spool = FileSpool::open(dir.path(), opts).expect("reopen");
    // the window now holds w2, w3 (journal) and w0 (segment)
    assert_eq!(append(&spool, &["w0", "w2", "w3", "w1"]).await, Appended { accepted: 1, duplicates: 3 });
    assert_eq!(ids(&drain(&spool)), ["w0", "w1"]);
}

#[test]
fn concurrent_appenders_share_fsyncs_and_every_record_is_stored_once() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(4).build().expect("runtime");
    let dir = tempfile::tempdir().expect("tempdir");
    let spool = Arc::new(FileSpool::open(dir.path(), options()).expect("open"));
    let totals = runtime.block_on(async {
        let tasks: Vec<_> = (0..50)
            .map(|t| {
                let spool = spool.clone();
                tokio::spawn(async move {
                    let mut total = Appended::default();
                    for i in 0..20 {
                        // each record sent twice, as a sender retrying would
                        let id = format!("task{t:02}-{i:02}");
                        let a = spool.append(vec![record(&id), record(&id)]).await.expect("append");
                        total.accepted += a.accepted;
                        total.duplicates += a.duplicates;
                    }
                    total
                })
            })
            .collect();
        let mut totals = Appended::default();
        for task in tasks {
            let a = task.await.expect("task");
            totals.accepted += a.accepted;
            totals.duplicates += a.duplicates;
        }
        totals
    });
    assert_eq!(totals, Appended { accepted: 1000, duplicates: 1000 });
    let delivered = ids(&drain(&spool));
    let expected: HashSet<String> = (0..50).flat_map(|t| (0..20).map(move |i| format!("task{t:02}-{i:02}"))).collect();
    assert_eq!(delivered.len(), 1000);
    assert_eq!(delivered.iter().cloned().collect::<HashSet<_>>(), expected);
    let stats = spool.stats();
    assert_eq!(stats.appends, 1000);
    assert!(stats.fsyncs < stats.appends, "no group commit: {stats:?}");
    assert_eq!(stats.fsyncs, stats.commits);
}

#[tokio::test]
async fn segments_roll_over_and_are_removed_once_acknowledged() {
    let dir = tempfile::tempdir().expect("tempdir");
    let frame = segment::frame_len("s0000", &record("s0000").1);
    let opts = SpoolOptions { segment_bytes: 2 * frame, ..options() };
    let spool = FileSpool::open(dir.path(), opts.clone()).expect("open");
    let all = numbered("s", 0..7);
    let refs: Vec<&str> = all.iter().map(String::as_str).collect();
    for chunk in refs.chunks(3) {
        append(&spool, chunk).await;
    }
    assert_eq!(segment_files(dir.path()).len(), 4);
    let batch = drain(&spool);
    assert_eq!(ids(&batch), all);

    spool.acknowledge(batch[2].position).expect("acknowledge");
    assert_eq!(segment_files(dir.path()).len(), 3, "the first segment is read through");
    spool.acknowledge(batch[6].position).expect("acknowledge");
    let left = segment_files(dir.path());
    assert_eq!(left.len(), 1, "only the active segment stays: {left:?}");
    assert_eq!(spool.stats().segments, 1);
    assert_eq!(spool.stats().unacknowledged_bytes, 0);
    drop(spool);

    let spool = FileSpool::open(dir.path(), opts).expect("reopen");
    assert!(drain(&spool).is_empty());
    append(&spool, &["s9"]).await;
    assert_eq!(ids(&drain(&spool)), ["s9"]);
}

#[tokio::test]
async fn a_second_open_of_the_directory_names_the_holder() {
    let dir = tempfile::tempdir().expect("tempdir");
    let spool = FileSpool::open(dir.path(), options()).expect("open");
    let err = FileSpool::open(dir.path(), options()).expect_err("locked");
    match &err {
        SpoolError::Locked { dir: d, pid } => {
            assert_eq!(d, dir.path());
            assert_eq!(*pid, Some(std::process::id()));
        }
        other => panic!("expected Locked, got {other:?}"),
    }
    let message = err.to_string();
    assert!(message.contains(&dir.path().display().to_string()), "{message}");
    assert!(message.contains(&std::process::id().to_string()), "{message}");
    drop(spool);
    FileSpool::open(dir.path(), options()).expect("open once released");
}

#[tokio::test]
async fn invalid_records_refuse_the_append_whole() {
    let dir = tempfile::tempdir().expect("tempdir");
    let spool = FileSpool::open(dir.path(), SpoolOptions { max_record_bytes: 100, ..options() }).expect("open");
    let err = spool.append(vec![record("ok"), (String::new(), b"{}".to_vec())]).await.expect_err("empty id");
    assert!(err.to_string().contains("message_id is empty"), "{err}");
    let err = spool.append(vec![record("ok"), ("big".into(), vec![b'x'; 200])]).await.expect_err("too big");
    assert!(err.to_string().contains("spool.max_record_bytes (100)"), "{err}");
    assert!(drain(&spool).is_empty());
    assert_eq!(append(&spool, &["ok"]).await, Appended { accepted: 1, duplicates: 0 });
}

#[tokio::test]
async fn a_batch_stops_at_the_byte_budget_but_holds_one_record() {
    let dir = tempfile::tempdir().expect("tempdir");
    let size = record("b0").1.len() as u64;
    let spool = FileSpool::open(dir.path(), SpoolOptions { max_batch_bytes: 2 * size + 1, ..options() }).expect("open");
    append(&spool, &["b0", "b1", "b2", "b3"]).await;
    assert_eq!(ids(&spool.next_batch(100).expect("next_batch")), ["b0", "b1", "b2"]);
    drop(spool);
    let spool = FileSpool::open(dir.path(), SpoolOptions { max_batch_bytes: 1, ..options() }).expect("reopen");
    assert_eq!(ids(&spool.next_batch(100).expect("next_batch")), ["b0"]);
    assert!(spool.next_batch(0).expect("next_batch").is_empty());
}

#[tokio::test]
async fn an_unreadable_ack_file_redelivers_everything_and_says_so() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let spool = FileSpool::open(dir.path(), options()).expect("open");
        append(&spool, &["u0", "u1"]).await;
        let batch = drain(&spool);
        spool.acknowledge(batch[0].position).expect("acknowledge");
    }
    std::fs::write(dir.path().join("ack"), "garbage").expect("write");
    let spool = FileSpool::open(dir.path(), options()).expect("reopen");
    let notices = spool.take_notices();
    assert!(matches!(notices.as_slice(), [Notice::AckUnreadable { .. }]), "{notices:?}");
    assert_eq!(ids(&drain(&spool)), ["u0", "u1"]);
}

#[test]
fn the_directory_is_created_private() {
    let dir = tempfile::tempdir().expect("tempdir");
    let nested = dir.path().join("state").join("8080");
    let _spool = FileSpool::open(&nested, options()).expect("open");
    for d in [dir.path().join("state"), nested] {
        assert_eq!(std::fs::metadata(&d).expect("meta").permissions().mode() & 0o777, 0o700, "{d:?}");
    }
}

#[test]
fn bad_options_name_their_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cases = [
        (SpoolOptions { segment_bytes: 0, ..options() }, "spool.segment_bytes"),
        (SpoolOptions { max_spool_bytes: 0, ..options() }, "spool.max_spool_bytes"),
        (SpoolOptions { dedup_window: 0, ..options() }, "spool.dedup_window"),
        (SpoolOptions { max_record_bytes: 1 << 40, ..options() }, "spool.max_record_bytes"),
        (SpoolOptions { max_batch_bytes: 0, ..options() }, "spool.max_batch_bytes"),
    ];
    for (opts, key) in cases {
        let err = FileSpool::open(dir.path(), opts).expect_err(key);
        assert!(err.to_string().starts_with(&format!("invalid option {key}:")), "{err}");
    }
}

#[test]
fn the_default_directory_follows_xdg_state_home() {
    let port = 8080;
    let tail = Path::new("openstack_http_event_monitor").join("8080");
    assert_eq!(
        default_dir_from(Some("/state".into()), Some("/home/u".into()), port).expect("dir"),
        Path::new("/state").join(&tail)
    );
    assert_eq!(
        default_dir_from(Some("relative".into()), Some("/home/u".into()), port).expect("dir"),
        Path::new("/home/u/.local/state").join(&tail)
    );
    assert_eq!(
        default_dir_from(None, Some("/home/u".into()), port).expect("dir"),
        Path::new("/home/u/.local/state").join(&tail)
    );
    assert!(matches!(default_dir_from(None, None, port), Err(SpoolError::NoStateDir)));
}

#[test]
fn a_consumer_reading_while_segments_roll_sees_every_record_once_in_order() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let dir = tempfile::tempdir().expect("tempdir");
    let opts = SpoolOptions { segment_bytes: 1000, ..options() };
    let spool = Arc::new(FileSpool::open(dir.path(), opts).expect("open"));
    let consumer = {
        let spool = spool.clone();
        let handle = runtime.handle().clone();
        std::thread::spawn(move || {
            let mut commits = spool.subscribe();
            let mut seen = Vec::new();
            while seen.len() < 600 {
                commits.borrow_and_update();
                let batch = spool.next_batch(13).expect("next_batch");
                if let Some(last) = batch.last() {
                    spool.acknowledge(last.position).expect("acknowledge");
                } else {
                    let wait = async { tokio::time::timeout(Duration::from_secs(30), commits.changed()).await };
                    handle.block_on(wait).expect("no commit for 30 s").expect("spool gone");
                }
                seen.extend(ids(&batch));
            }
            seen
        })
    };
    runtime.block_on(async {
        let tasks: Vec<_> = (0..6)
            .map(|t| {
                let spool = spool.clone();
                tokio::spawn(async move {
                    for i in 0..100 {
                        spool.append(vec![record(&format!("k{t}-{i:03}"))]).await.expect("append");
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.expect("task");
        }
    });
    let seen = consumer.join().expect("consumer");
    assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 600, "a record came twice");
    for t in 0..6 {
        let mine: Vec<&String> = seen.iter().filter(|id| id.starts_with(&format!("k{t}-"))).collect();
        let expected: Vec<String> = (0..100).map(|i| format!("k{t}-{i:03}")).collect();
        assert_eq!(mine, expected.iter().collect::<Vec<_>>(), "task {t} out of order");
    }
    assert!(spool.next_batch(10).expect("next_batch").is_empty());
    assert_eq!(spool.stats().unacknowledged_bytes, 0);
    assert!(segment_files(dir.path()).len() <= 2, "{:?}", segment_files(dir.path()));
}

#[tokio::test]
async fn a_crash_between_the_journal_and_the_ack_file_delivers_again_and_still_drops_retries() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let spool = FileSpool::open(dir.path(), options()).expect("open");
        append(&spool, &["j0", "j1", "j2"]).await;
        assert_eq!(ids(&drain(&spool)), ["j0", "j1", "j2"]);
    }
    // acknowledge(j1) got as far as the journal, then the process died before the ack file moved
    let key = Key::load_or_create(dir.path()).expect("key");
    let mut journal = Journal::open(dir.path(), 10, |_| {}).expect("journal");
    journal.record(&[key.digest("j0"), key.digest("j1")]).expect("record");
    drop(journal);

    let spool = FileSpool::open(dir.path(), options()).expect("reopen");
    assert_eq!(ids(&drain(&spool)), ["j0", "j1", "j2"], "unacknowledged, so delivered again");
    assert_eq!(append(&spool, &["j0", "j1", "j2"]).await, Appended { accepted: 0, duplicates: 3 });
    assert_eq!(spool.stats().dedup_ids, 3);
}
