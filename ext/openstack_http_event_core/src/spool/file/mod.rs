//! The file spool: the push receiver's durable spool on one machine's disk.
//! Events a sender POSTed are written here, fsynced before the sender is
//! answered, handed to the consumer in order and removed once acknowledged.
//!
//! # Files
//!
//! One directory per receiver (see [`default_dir`]), mode 0700:
//! `<16-digit sequence>.seg` segments of framed records (format in
//! `spool/file/segment.rs`), `ack` the acknowledged position (`ack.rs`),
//! `dedup.log` and `dedup.key` the de-dup window's journal and key
//! (`dedup.rs`), `lock` held by the open spool (`lock.rs`).
//!
//! # Delivery guarantees
//!
//! - **Accepted means durable.** `append` returns `Ok` only once every
//!   accepted record is written and fsynced (and a new segment's directory
//!   entry too). A sender may be answered 2xx then, not before. A refused
//!   append (`Full`, `InvalidRecord`, I/O) wrote nothing readers can see.
//! - **Nothing accepted is lost** short of the disk failing: after a crash
//!   (`kill -9`, power loss) [`FileSpool::open`] delivers again every accepted
//!   record not acknowledged. Bytes a torn or corrupt write left are cut or
//!   skipped and reported as [`Notice`]s; they were never acknowledged to a
//!   sender when the fault is a crash (the fsync had not returned).
//! - **Exactly once, up to the ack file.** A record is delivered by
//!   [`next_batch`](FileSpool::next_batch) once, then again only after
//!   [`requeue_unacknowledged`](FileSpool::requeue_unacknowledged) or a reopen,
//!   and never once [`acknowledge`](FileSpool::acknowledge) covering it has
//!   returned `Ok`: that call appends the records' id digests to the de-dup
//!   journal and fsyncs it, then replaces the `ack` file durably (temp file,
//!   fsync, rename, directory fsync); the rename is the boundary. A crash
//!   after the consumer processed records but before that rename delivers
//!   them again on reopen (at least once): the consumer must acknowledge
//!   right after processing to keep that window short.
//! - **A sender's retry is not a second event.** An append whose message_id
//!   is among the last `spool.dedup_window` ids accepted (spooled or already
//!   acknowledged, across restarts) is counted a duplicate and not written.
//!   The window is rebuilt on open from the journal (acknowledged ids) then
//!   the ids in the segments (unacknowledged ones). Older ids are forgotten,
//!   oldest first.
//!
//! # Blocking
//!
//! `open`, `next_batch`, `acknowledge` and `requeue_unacknowledged` do file
//! I/O (and fsyncs for `acknowledge`) on the calling thread: call them off
//! the async runtime's workers (a Ruby thread without the GVL, or
//! `spawn_blocking`). `append` is async; the writing and fsyncing happen on
//! the spool's own writer thread.

mod ack;
mod commit;
mod dedup;
mod durable;
mod lock;
mod progress;
mod segment;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, HashSet, VecDeque};
use std::ffi::OsString;
use std::fs::{File, OpenOptions};
use std::path::PathBuf;
use std::sync::{mpsc, Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;

use super::{Appended, Notice, Position, Spool, SpoolError, SpoolFuture, SpoolStats, SpooledRecord};
use progress::Progress;

use commit::{Limits, Request, Writer};
use dedup::{Digest, Journal, Key, Window};
use lock::DirLock;

/// Options of a spool; `key` names in errors are `spool.<field>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpoolOptions {
    /// A segment is closed and a new one started once the next record would
    /// take it past this size (a larger record gets a segment of its own).
    pub segment_bytes: u64,
    /// The most unacknowledged bytes on disk (frames included); an append
    /// that would go past it is refused whole with [`SpoolError::Full`].
    pub max_spool_bytes: u64,
    /// How many message_ids the de-dup window remembers (about 50 bytes of
    /// memory each).
    pub dedup_window: usize,
    /// The largest record body (message_id plus payload, plus 2 bytes).
    pub max_record_bytes: u64,
    /// The most payload bytes one `next_batch` returns (always at least one
    /// record).
    pub max_batch_bytes: u64,
}

impl Default for SpoolOptions {
    fn default() -> Self {
        SpoolOptions {
            segment_bytes: 64 << 20,
            max_spool_bytes: 1 << 30,
            dedup_window: 100_000,
            max_record_bytes: 1 << 20,
            max_batch_bytes: 8 << 20,
        }
    }
}

impl SpoolOptions {
    fn validate(&self) -> Result<(), SpoolError> {
        let bad = |key, message: String| Err(SpoolError::Option { key, message });
        if self.segment_bytes == 0 {
            return bad("spool.segment_bytes", "must be positive".into());
        }
        if self.max_spool_bytes == 0 {
            return bad("spool.max_spool_bytes", "must be positive".into());
        }
        if !(1..=10_000_000).contains(&self.dedup_window) {
            return bad("spool.dedup_window", "must be between 1 and 10000000".into());
        }
        if !(64..=segment::MAX_BODY).contains(&self.max_record_bytes) {
            return bad("spool.max_record_bytes", format!("must be between 64 and {}", segment::MAX_BODY));
        }
        if self.max_batch_bytes == 0 {
            return bad("spool.max_batch_bytes", "must be positive".into());
        }
        Ok(())
    }
}

/// The consumer's side.
#[derive(Debug)]
struct ReadState {
    /// Where the next record handed out starts.
    cursor: Position,
    /// Records handed out and not acknowledged: their position and digest.
    in_flight: VecDeque<(Position, Digest)>,
    /// The segment being read, kept open.
    file: Option<(u64, File)>,
    /// Corrupt ranges already reported, by `(segment, start)`.
    reported: HashSet<(u64, u64)>,
    journal: Journal,
}

/// A durable, de-duplicating, acknowledged queue of records in a directory.
/// See the module documentation for its guarantees.
#[derive(Debug)]
pub struct FileSpool {
    dir: PathBuf,
    options: SpoolOptions,
    key: Key,
    shared: Arc<Mutex<Progress>>,
    read: Mutex<ReadState>,
    notices: Mutex<Vec<Notice>>,
    requests: Option<mpsc::Sender<Request>>,
    committed: tokio::sync::watch::Sender<u64>,
    writer: Option<JoinHandle<()>>,
    _lock: DirLock,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// `$XDG_STATE_HOME/openstack_http_event_monitor/<port>`, else
/// `$HOME/.local/state/openstack_http_event_monitor/<port>`. Never a
/// temporary directory: the spool must outlive reboots.
pub fn default_dir(port: u16) -> Result<PathBuf, SpoolError> {
    default_dir_from(std::env::var_os("XDG_STATE_HOME"), std::env::var_os("HOME"), port)
}

fn default_dir_from(
    xdg_state_home: Option<OsString>,
    home: Option<OsString>,
    port: u16,
) -> Result<PathBuf, SpoolError> {
    // the XDG spec: a relative path is invalid and must be ignored
    let absolute = |v: Option<OsString>| v.map(PathBuf::from).filter(|p| p.is_absolute());
    let base = match (absolute(xdg_state_home), absolute(home)) {
        (Some(state), _) => state,
        (None, Some(home)) => home.join(".local").join("state"),
        (None, None) => return Err(SpoolError::NoStateDir),
    };
    Ok(dir_under(&base, port))
}

/// A receiver's spool directory under a state directory:
/// `<state>/openstack_http_event_monitor/<port>`.
pub fn dir_under(state: &std::path::Path, port: u16) -> PathBuf {
    state.join("openstack_http_event_monitor").join(port.to_string())
}

impl FileSpool {
    /// Opens (creating it, mode 0700) the spool in `dir`: takes its lock,
    /// reads the ack file, rebuilds the de-dup window, checks every
    /// unacknowledged record (cutting or skipping bad bytes, see
    /// [`take_notices`](Self::take_notices)) and starts the writer thread.
    pub fn open(dir: impl Into<PathBuf>, options: SpoolOptions) -> Result<FileSpool, SpoolError> {
        options.validate()?;
        let dir = dir.into();
        durable::create_dir(&dir).map_err(SpoolError::io(&dir))?;
        let dir_lock = DirLock::acquire(&dir)?;
        let mut notices = Vec::new();
        let ack_path = dir.join(ack::FILE);
        let mut acked = match ack::read(&dir).map_err(SpoolError::io(&ack_path))? {
            None => Position::default(),
            Some(Ok(pos)) => pos,
            Some(Err(message)) => {
                notices.push(Notice::AckUnreadable { path: ack_path.clone(), message });
                Position::default()
            }
        };
        let key = Key::load_or_create(&dir).map_err(SpoolError::io(dir.join("dedup.key")))?;
        let mut window = Window::new(options.dedup_window);
        let journal = Journal::open(&dir, options.dedup_window, |d| window.insert(d))
            .map_err(SpoolError::io(dir.join("dedup.log")))?;

        let mut segments = BTreeMap::new();
        let mut reported = HashSet::new();
        let mut last: Option<(u64, File)> = None;
        let mut dir_changed = false;
        let mut rewrite_ack = false;
        for seq in segment::list(&dir).map_err(SpoolError::io(&dir))? {
            let path = segment::path(&dir, seq);
            let io = || SpoolError::io(&path);
            if seq < acked.segment {
                // acknowledged whole, its removal cut short by a crash
                std::fs::remove_file(&path).map_err(io())?;
                dir_changed = true;
                continue;
            }
            let file = OpenOptions::new().read(true).write(true).open(&path).map_err(io())?;
            let len = file.metadata().map_err(io())?.len();
            let start = if seq == acked.segment {
                if acked.offset > len {
                    notices.push(Notice::AckBeyondEnd { path: path.clone(), offset: acked.offset, end: len });
                    acked.offset = len;
                    rewrite_ack = true;
                }
                acked.offset
            } else {
                0
            };
            let scan = segment::scan(&file, start, len, |id| window.insert(key.digest(id))).map_err(io())?;
            for &(from, to) in &scan.skipped {
                notices.push(Notice::Skipped { path: path.clone(), offset: from, bytes: to - from });
                reported.insert((seq, from));
            }
            if scan.end < len {
                file.set_len(scan.end).map_err(io())?;
                file.sync_all().map_err(io())?;
                notices.push(Notice::Cut { path: path.clone(), offset: scan.end, bytes: len - scan.end });
            }
            segments.insert(seq, scan.end);
            last = Some((seq, file));
        }
        if rewrite_ack {
            ack::write(&dir, acked).map_err(SpoolError::io(&ack_path))?;
        }
        let (active_seq, active) = match last {
            Some(last) => last,
            None => {
                let seq = acked.segment + 1;
                let path = segment::path(&dir, seq);
                let file = OpenOptions::new()
                    .read(true)
                    .write(true)
                    .create_new(true)
                    .open(&path)
                    .map_err(SpoolError::io(&path))?;
                segments.insert(seq, 0);
                dir_changed = true;
                (seq, file)
            }
        };
        if dir_changed {
            durable::sync_dir(&dir).map_err(SpoolError::io(&dir))?;
        }
        let active_len = segments.get(&active_seq).copied().unwrap_or(0);
        let shared = Arc::new(Mutex::new(Progress {
            segments,
            active: active_seq,
            acked,
            dedup_ids: window.len(),
            ..Progress::default()
        }));
        let committed = tokio::sync::watch::Sender::new(0);
        let writer = Writer {
            dir: dir.clone(),
            limits: Limits {
                segment_bytes: options.segment_bytes,
                max_spool_bytes: options.max_spool_bytes,
                max_record_bytes: options.max_record_bytes,
            },
            key: key.clone(),
            window,
            shared: shared.clone(),
            active,
            active_seq,
            active_len,
            broken: None,
            committed: committed.clone(),
        };
        let (requests, receiver) = mpsc::channel();
        let writer = std::thread::Builder::new()
            .name("spool-writer".into())
            .spawn(move || writer.run(receiver))
            .map_err(SpoolError::io(&dir))?;
        Ok(FileSpool {
            read: Mutex::new(ReadState { cursor: acked, in_flight: VecDeque::new(), file: None, reported, journal }),
            dir,
            options,
            key,
            shared,
            notices: Mutex::new(notices),
            requests: Some(requests),
            committed,
            writer: Some(writer),
            _lock: dir_lock,
        })
    }

    /// Stores `records` (message_id, payload), returning once the accepted
    /// ones are fsynced. Records whose message_id is in the de-dup window
    /// are counted as duplicates and not written. Refused whole, with
    /// nothing written, when a record is invalid or when the unacknowledged
    /// bytes would pass `spool.max_spool_bytes` ([`SpoolError::Full`]).
    pub async fn append(&self, records: Vec<(String, Vec<u8>)>) -> Result<Appended, SpoolError> {
        if records.is_empty() {
            return Ok(Appended::default());
        }
        let gone = || SpoolError::Broken { dir: self.dir.clone(), reason: "its writer thread is gone".into() };
        let (reply, answer) = tokio::sync::oneshot::channel();
        let requests = self.requests.as_ref().ok_or_else(gone)?;
        requests.send(Request { records, reply }).map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?
    }

    /// Up to `max` unacknowledged records (and about `spool.max_batch_bytes`
    /// of payload, at least one record) in append order, after those already
    /// handed out. Empty when there is nothing new.
    pub fn next_batch(&self, max: usize) -> Result<Vec<SpooledRecord>, SpoolError> {
        let mut guard = lock(&self.read);
        let rs = &mut *guard;
        let mut out: Vec<SpooledRecord> = Vec::new();
        let mut bytes = 0u64;
        while out.len() < max && bytes < self.options.max_batch_bytes {
            // one look at the segments: a segment's length is final once a
            // later one exists
            let (seq, limit, next) = {
                let sh = lock(&self.shared);
                let mut from = sh.segments.range(rs.cursor.segment..);
                let Some((&seq, &limit)) = from.next() else { break };
                (seq, limit, from.next().map(|(&s, _)| s))
            };
            if seq != rs.cursor.segment {
                rs.cursor = Position { segment: seq, offset: 0 };
            }
            if rs.cursor.offset >= limit {
                match next {
                    Some(next) => {
                        rs.cursor = Position { segment: next, offset: 0 };
                        continue;
                    }
                    None => break,
                }
            }
            match self.read_one(rs, seq, limit) {
                Ok(Some(record)) => {
                    bytes += record.payload.len() as u64;
                    out.push(record);
                }
                Ok(None) => {}
                Err(e) if out.is_empty() => return Err(e),
                Err(_) => break, // it comes back on the next call
            }
        }
        Ok(out)
    }

    /// The record at the cursor, or `None` past bad bytes (reported once).
    fn read_one(&self, rs: &mut ReadState, seq: u64, limit: u64) -> Result<Option<SpooledRecord>, SpoolError> {
        let path = segment::path(&self.dir, seq);
        let io = || SpoolError::io(&path);
        if rs.file.as_ref().is_none_or(|(s, _)| *s != seq) {
            rs.file = Some((seq, File::open(&path).map_err(io())?));
        }
        let Some((_, file)) = rs.file.as_ref() else { return Ok(None) };
        let at = rs.cursor.offset;
        match segment::frame_at(file, at, limit, true).map_err(io())? {
            segment::Frame::Good { end, id, payload } => {
                let position = Position { segment: seq, offset: end };
                rs.cursor = position;
                rs.in_flight.push_back((position, self.key.digest(&id)));
                Ok(Some(SpooledRecord { position, message_id: id, payload: payload.unwrap_or_default() }))
            }
            segment::Frame::Invalid => {
                let to = segment::resync(file, at + 1, limit).map_err(io())?.unwrap_or(limit);
                if rs.reported.insert((seq, at)) {
                    lock(&self.notices).push(Notice::Skipped { path: path.clone(), offset: at, bytes: to - at });
                }
                rs.cursor.offset = to;
                Ok(None)
            }
        }
    }

    /// Marks every record handed out up to `upto` (a record's position)
    /// delivered, durably: their id digests go to the de-dup journal, then
    /// the ack file moves (see the module documentation). Segments read
    /// through are removed. Positions not handed out are ignored.
    pub fn acknowledge(&self, upto: Position) -> Result<(), SpoolError> {
        let mut guard = lock(&self.read);
        let rs = &mut *guard;
        let n = rs.in_flight.iter().take_while(|(p, _)| *p <= upto).count();
        let Some(&(new, _)) = n.checked_sub(1).and_then(|last| rs.in_flight.get(last)) else {
            return Ok(());
        };
        let digests: Vec<Digest> = rs.in_flight.iter().take(n).map(|&(_, d)| d).collect();
        rs.journal.record(&digests).map_err(SpoolError::io(rs.journal.path()))?;
        ack::write(&self.dir, new).map_err(SpoolError::io(self.dir.join(ack::FILE)))?;
        rs.in_flight.drain(..n);
        let done: Vec<u64> = {
            let mut sh = lock(&self.shared);
            sh.acked = new;
            let active = sh.active;
            let done: Vec<u64> = sh
                .segments
                .iter()
                .filter(|&(&s, &len)| s < new.segment || (s == new.segment && new.offset >= len && s != active))
                .map(|(&s, _)| s)
                .collect();
            for s in &done {
                sh.segments.remove(s);
            }
            done
        };
        if rs.file.as_ref().is_some_and(|(s, _)| done.contains(s)) {
            rs.file = None;
        }
        for &seq in &done {
            let path = segment::path(&self.dir, seq);
            if let Err(e) = std::fs::remove_file(&path) {
                // opening again removes it: it lies before the ack
                lock(&self.notices).push(Notice::RemoveFailed { path, message: e.to_string() });
            }
        }
        if !done.is_empty() {
            durable::sync_dir(&self.dir).map_err(SpoolError::io(&self.dir))?;
        }
        Ok(())
    }

    /// Makes the records handed out and not acknowledged the next ones
    /// [`next_batch`](Self::next_batch) returns (the consumer failed).
    pub fn requeue_unacknowledged(&self) {
        let mut rs = lock(&self.read);
        rs.cursor = lock(&self.shared).acked;
        rs.in_flight.clear();
    }

    /// Changes each time new records are committed: a consumer finding
    /// [`next_batch`](Self::next_batch) empty waits on `changed()` of a
    /// receiver it marked seen (`borrow_and_update`) before that call, so no
    /// commit in between is missed.
    pub fn subscribe(&self) -> tokio::sync::watch::Receiver<u64> {
        self.committed.subscribe()
    }

    /// The repairs made since the last call, for the caller to log.
    pub fn take_notices(&self) -> Vec<Notice> {
        std::mem::take(&mut *lock(&self.notices))
    }

    pub fn stats(&self) -> SpoolStats {
        let in_flight = lock(&self.read).in_flight.len();
        let sh = lock(&self.shared);
        SpoolStats {
            segments: sh.segments.len(),
            unacknowledged_bytes: sh.unacknowledged_bytes(),
            in_flight,
            appends: sh.appends,
            records: sh.records,
            duplicates: sh.duplicates,
            refused_full: sh.refused_full,
            commits: sh.commits,
            fsyncs: sh.fsyncs,
            dedup_ids: sh.dedup_ids,
        }
    }
}

impl Spool for FileSpool {
    fn location(&self) -> String {
        self.dir.display().to_string()
    }

    fn append(&self, records: Vec<(String, Vec<u8>)>) -> SpoolFuture<'_, Appended> {
        Box::pin(FileSpool::append(self, records))
    }

    // file I/O on the calling thread, as the module's doc says
    fn next_batch(&self, max: usize) -> SpoolFuture<'_, Vec<SpooledRecord>> {
        Box::pin(std::future::ready(FileSpool::next_batch(self, max)))
    }

    fn acknowledge(&self, upto: Position) -> SpoolFuture<'_, ()> {
        Box::pin(std::future::ready(FileSpool::acknowledge(self, upto)))
    }

    fn requeue_unacknowledged(&self) {
        FileSpool::requeue_unacknowledged(self)
    }

    fn subscribe(&self) -> tokio::sync::watch::Receiver<u64> {
        FileSpool::subscribe(self)
    }

    fn take_notices(&self) -> Vec<Notice> {
        FileSpool::take_notices(self)
    }

    fn stats(&self) -> SpoolStats {
        FileSpool::stats(self)
    }
}

impl Drop for FileSpool {
    /// Lets the writer finish the group it is committing, so the lock is
    /// released only once no one writes the files.
    fn drop(&mut self) {
        drop(self.requests.take());
        if let Some(writer) = self.writer.take() {
            let _ = writer.join();
        }
    }
}
