//! The writer thread and its group commit.
//!
//! Appends are queued to one thread that owns the active segment. It takes
//! every request waiting (up to [`MAX_GROUP`]), decides each one (duplicates
//! dropped, the whole request refused when invalid or over
//! `spool.max_spool_bytes`), writes the frames of the accepted ones, rolls
//! over to a new segment past `spool.segment_bytes`, fsyncs once, and only
//! then publishes the new lengths (what readers may see), adds the ids to the
//! de-dup window and answers. Requests arriving during the fsync make up the
//! next group. A failed write or fsync breaks the writer: the state of the
//! file after a failed fsync is unknown, so nothing more is accepted until
//! the spool is opened again and rescanned.

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;
use std::sync::{mpsc, Arc, Mutex};

use tokio::sync::oneshot;

use super::dedup::{Digest, Key, Window};
use super::progress::Progress;
use super::{durable, lock, segment};
use crate::spool::{Appended, SpoolError};

/// The most requests one fsync covers.
const MAX_GROUP: usize = 1024;

/// One `append`.
pub(crate) struct Request {
    pub records: Vec<(String, Vec<u8>)>,
    pub reply: oneshot::Sender<Result<Appended, SpoolError>>,
}

/// The limits a request is checked against.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub segment_bytes: u64,
    pub max_spool_bytes: u64,
    pub max_record_bytes: u64,
}

pub(crate) struct Writer {
    pub dir: PathBuf,
    pub limits: Limits,
    pub key: Key,
    pub window: Window,
    pub shared: Arc<Mutex<Progress>>,
    /// The segment appended to, its sequence and the length written.
    pub active: File,
    pub active_seq: u64,
    pub active_len: u64,
    pub broken: Option<String>,
    /// Counts the commits that wrote records, for consumers waiting.
    pub committed: tokio::sync::watch::Sender<u64>,
}

/// A request decided: its answer if refused, else the indices of the
/// records to write.
struct Decided {
    reply: oneshot::Sender<Result<Appended, SpoolError>>,
    outcome: Result<(Vec<usize>, Appended), SpoolError>,
    records: Vec<(String, Vec<u8>)>,
}

impl Writer {
    /// Serves requests until every sender is gone.
    pub(crate) fn run(mut self, requests: mpsc::Receiver<Request>) {
        while let Ok(first) = requests.recv() {
            let mut group = vec![first];
            while group.len() < MAX_GROUP {
                match requests.try_recv() {
                    Ok(r) => group.push(r),
                    Err(_) => break,
                }
            }
            self.commit(group);
        }
    }

    fn commit(&mut self, group: Vec<Request>) {
        if let Some(reason) = &self.broken {
            for r in group {
                let _ = r.reply.send(Err(SpoolError::Broken { dir: self.dir.clone(), reason: reason.clone() }));
            }
            return;
        }
        let used = lock(&self.shared).unacknowledged_bytes();
        let mut added = 0u64;
        let mut pending: HashSet<Digest> = HashSet::new();
        let mut fresh: Vec<Digest> = Vec::new();
        let mut decided = Vec::with_capacity(group.len());
        let mut refused_full = 0u64;
        for Request { records, reply } in group {
            let outcome = self.decide(&records, used + added, &mut pending, &mut fresh);
            match &outcome {
                Ok((indices, _)) => {
                    added += indices.iter().map(|&i| segment::frame_len(&records[i].0, &records[i].1)).sum::<u64>();
                }
                Err(SpoolError::Full { .. }) => refused_full += 1,
                Err(_) => {}
            }
            decided.push(Decided { reply, outcome, records });
        }
        let mut fsyncs = 0u64;
        let mut closed = Vec::new();
        let written = if added == 0 { Ok(()) } else { self.write(&decided, &mut closed, &mut fsyncs) };
        if let Err(e) = written {
            let path = segment::path(&self.dir, self.active_seq);
            self.broken = Some(format!("writing {} failed: {e}", path.display()));
            let mut sh = lock(&self.shared);
            sh.fsyncs += fsyncs;
            drop(sh);
            for d in decided {
                let answer = match d.outcome {
                    Ok(_) => {
                        Err(SpoolError::Io { path: path.clone(), source: io::Error::new(e.kind(), e.to_string()) })
                    }
                    Err(refused) => Err(refused),
                };
                let _ = d.reply.send(answer);
            }
            return;
        }
        for d in fresh {
            self.window.insert(d);
        }
        {
            let mut sh = lock(&self.shared);
            for (seq, len) in closed {
                sh.segments.insert(seq, len);
            }
            sh.segments.insert(self.active_seq, self.active_len);
            sh.active = self.active_seq;
            sh.fsyncs += fsyncs;
            if added > 0 {
                sh.commits += 1;
            }
            sh.refused_full += refused_full;
            sh.dedup_ids = self.window.len();
            for d in &decided {
                if let Ok((_, appended)) = &d.outcome {
                    sh.appends += 1;
                    sh.records += appended.accepted as u64;
                    sh.duplicates += appended.duplicates as u64;
                }
            }
        }
        if added > 0 {
            self.committed.send_modify(|n| *n += 1);
        }
        for d in decided {
            let _ = d.reply.send(d.outcome.map(|(_, appended)| appended));
        }
    }

    /// Which records of a request are new, or why it is refused whole.
    fn decide(
        &self,
        records: &[(String, Vec<u8>)],
        used: u64,
        pending: &mut HashSet<Digest>,
        fresh: &mut Vec<Digest>,
    ) -> Result<(Vec<usize>, Appended), SpoolError> {
        let mut mine: Vec<(usize, Digest)> = Vec::new();
        let mut seen = HashSet::new();
        let mut needed = 0u64;
        for (i, (id, payload)) in records.iter().enumerate() {
            let invalid = |message: String| SpoolError::InvalidRecord { message_id: id.clone(), message };
            if id.is_empty() {
                return Err(invalid("the message_id is empty".into()));
            }
            if id.len() > segment::MAX_ID {
                return Err(invalid(format!("the message_id is longer than {} bytes", segment::MAX_ID)));
            }
            let body = 2 + id.len() as u64 + payload.len() as u64;
            if body > self.limits.max_record_bytes {
                return Err(invalid(format!(
                    "{body} bytes, over spool.max_record_bytes ({})",
                    self.limits.max_record_bytes
                )));
            }
            let d = self.key.digest(id);
            if self.window.contains(&d) || pending.contains(&d) || !seen.insert(d) {
                continue;
            }
            needed += segment::frame_len(id, payload);
            mine.push((i, d));
        }
        if needed > 0 && used + needed > self.limits.max_spool_bytes {
            return Err(SpoolError::Full {
                spool: self.dir.display().to_string(),
                used,
                needed,
                max: self.limits.max_spool_bytes,
            });
        }
        let appended = Appended { accepted: mine.len(), duplicates: records.len() - mine.len() };
        pending.extend(mine.iter().map(|&(_, d)| d));
        fresh.extend(mine.iter().map(|&(_, d)| d));
        Ok((mine.into_iter().map(|(i, _)| i).collect(), appended))
    }

    /// Writes the accepted records, rolling over segments, then fsyncs.
    fn write(&mut self, decided: &[Decided], closed: &mut Vec<(u64, u64)>, fsyncs: &mut u64) -> io::Result<()> {
        let mut buf = Vec::new();
        for d in decided {
            let Ok((indices, _)) = &d.outcome else { continue };
            for &i in indices {
                let (id, payload) = &d.records[i];
                let len = segment::frame_len(id, payload);
                let at = self.active_len + buf.len() as u64;
                if at > 0 && at + len > self.limits.segment_bytes {
                    self.flush(&mut buf)?;
                    closed.push((self.active_seq, self.active_len));
                    self.roll(fsyncs)?;
                }
                segment::encode(id, payload, &mut buf);
                if buf.len() >= 1 << 20 {
                    self.flush(&mut buf)?;
                }
            }
        }
        self.flush(&mut buf)?;
        self.active.sync_data()?;
        *fsyncs += 1;
        Ok(())
    }

    fn flush(&mut self, buf: &mut Vec<u8>) -> io::Result<()> {
        self.active.write_all_at(buf, self.active_len)?;
        self.active_len += buf.len() as u64;
        buf.clear();
        Ok(())
    }

    /// Closes the active segment (fsynced) and starts the next one.
    fn roll(&mut self, fsyncs: &mut u64) -> io::Result<()> {
        self.active.sync_data()?;
        *fsyncs += 1;
        let seq = self.active_seq + 1;
        let file = OpenOptions::new().read(true).write(true).create_new(true).open(segment::path(&self.dir, seq))?;
        durable::sync_dir(&self.dir)?;
        *fsyncs += 1;
        self.active = file;
        self.active_seq = seq;
        self.active_len = 0;
        Ok(())
    }
}
