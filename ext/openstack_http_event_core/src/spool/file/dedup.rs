//! The de-duplication window: the message_ids of the last accepted records,
//! kept as keyed digests, and the journal that carries the acknowledged ones
//! over a restart.
//!
//! A digest is the first 128 bits of SHA-256 over the spool's secret key
//! (32 random bytes in `<dir>/dedup.key`, made on first open) and the id:
//! the same cost whatever the id's length, and a sender cannot pick two ids
//! that collide. The window holds the digests of accepted records in order,
//! up to `spool.dedup_window`, oldest forgotten first. On open it is rebuilt
//! from the journal `<dir>/dedup.log` (the digests of acknowledged records,
//! appended and fsynced before the `ack` file moves) followed by the ids of
//! the unacknowledged records still in the segments. The journal is
//! rewritten with its last `spool.dedup_window` digests once it holds twice
//! as many.

use std::collections::{HashSet, VecDeque};
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha256};

use super::durable;

pub(crate) type Digest = [u8; 16];

const KEY_FILE: &str = "dedup.key";
const JOURNAL_FILE: &str = "dedup.log";

/// The secret key of a spool's digests.
#[derive(Clone)]
pub(crate) struct Key([u8; 32]);

impl Key {
    /// Reads `<dir>/dedup.key`, or makes it.
    pub(crate) fn load_or_create(dir: &Path) -> io::Result<Key> {
        let path = dir.join(KEY_FILE);
        match std::fs::read(&path) {
            Ok(bytes) if bytes.len() == 32 => {
                let mut key = [0u8; 32];
                key.copy_from_slice(&bytes);
                return Ok(Key(key));
            }
            // a key of another length (never written by `replace`) is made anew
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        let key: [u8; 32] = rand::random();
        durable::replace(dir, KEY_FILE, &key)?;
        Ok(Key(key))
    }

    pub(crate) fn digest(&self, id: &str) -> Digest {
        let mut h = Sha256::new();
        h.update(self.0);
        h.update(id.as_bytes());
        let full = h.finalize();
        let mut d = [0u8; 16];
        d.copy_from_slice(&full[..16]);
        d
    }
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Key([REDACTED])")
    }
}

/// The last `capacity` digests, in the order they were added.
#[derive(Debug)]
pub(crate) struct Window {
    capacity: usize,
    order: VecDeque<Digest>,
    set: HashSet<Digest>,
}

impl Window {
    pub(crate) fn new(capacity: usize) -> Self {
        Window { capacity, order: VecDeque::new(), set: HashSet::new() }
    }

    pub(crate) fn contains(&self, d: &Digest) -> bool {
        self.set.contains(d)
    }

    /// Adds `d` unless present; forgets the oldest past the capacity.
    pub(crate) fn insert(&mut self, d: Digest) {
        if self.capacity == 0 || !self.set.insert(d) {
            return;
        }
        self.order.push_back(d);
        while self.order.len() > self.capacity {
            if let Some(old) = self.order.pop_front() {
                self.set.remove(&old);
            }
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.order.len()
    }
}

/// `<dir>/dedup.log`: 16-byte digests of acknowledged records, appended.
#[derive(Debug)]
pub(crate) struct Journal {
    dir: PathBuf,
    file: File,
    /// Bytes of whole digests; a torn one after them is overwritten.
    len: u64,
    capacity: usize,
}

impl Journal {
    /// Opens the journal, giving its last `capacity` digests to `each`,
    /// oldest first.
    pub(crate) fn open(dir: &Path, capacity: usize, mut each: impl FnMut(Digest)) -> io::Result<Journal> {
        let path = dir.join(JOURNAL_FILE);
        let mut file = OpenOptions::new().read(true).write(true).create(true).truncate(false).open(&path)?;
        let len = file.metadata()?.len() / 16 * 16;
        let keep = (capacity as u64 * 16).min(len);
        file.seek(SeekFrom::Start(len - keep))?;
        let mut reader = io::BufReader::new((&mut file).take(keep));
        let mut d = [0u8; 16];
        for _ in 0..keep / 16 {
            reader.read_exact(&mut d)?;
            each(d);
        }
        drop(reader);
        Ok(Journal { dir: dir.to_path_buf(), file, len, capacity })
    }

    pub(crate) fn path(&self) -> PathBuf {
        self.dir.join(JOURNAL_FILE)
    }

    /// Appends `digests` and fsyncs them; past twice the capacity, rewrites
    /// the journal with its last `capacity` digests.
    pub(crate) fn record(&mut self, digests: &[Digest]) -> io::Result<()> {
        if digests.is_empty() {
            return Ok(());
        }
        let bytes: Vec<u8> = digests.iter().flatten().copied().collect();
        self.file.write_all_at(&bytes, self.len)?;
        self.file.sync_data()?;
        self.len += bytes.len() as u64;
        if self.len > 2 * 16 * self.capacity.max(1) as u64 {
            self.compact()?;
        }
        Ok(())
    }

    /// Rewrites the journal with its last `capacity` digests, copied in
    /// chunks.
    fn compact(&mut self) -> io::Result<()> {
        let keep = (self.capacity as u64 * 16).min(self.len);
        self.file.seek(SeekFrom::Start(self.len - keep))?;
        let mut tail = (&self.file).take(keep);
        durable::replace_with(&self.dir, JOURNAL_FILE, |out| io::copy(&mut tail, out).map(|_| ()))?;
        self.file = OpenOptions::new().read(true).write(true).open(self.path())?;
        self.len = keep;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_forgets_the_oldest_first() {
        let mut w = Window::new(2);
        w.insert([1; 16]);
        w.insert([2; 16]);
        w.insert([1; 16]);
        w.insert([3; 16]);
        assert!(!w.contains(&[1; 16]));
        assert!(w.contains(&[2; 16]) && w.contains(&[3; 16]));
        assert_eq!(w.len(), 2);
    }

    #[test]
    fn the_key_persists_and_digests_depend_on_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let a = Key::load_or_create(dir.path()).expect("key");
        let b = Key::load_or_create(dir.path()).expect("key");
        assert_eq!(a.digest("x"), b.digest("x"));
        assert_ne!(a.digest("x"), a.digest("y"));
        let other = tempfile::tempdir().expect("tempdir");
        let c = Key::load_or_create(other.path()).expect("key");
        assert_ne!(a.digest("x"), c.digest("x"));
    }

    #[test]
    fn the_journal_keeps_its_last_digests_over_compaction_and_reopen() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut j = Journal::open(dir.path(), 3, |_| panic!("empty")).expect("open");
        for i in 0..10u8 {
            j.record(&[[i; 16]]).expect("record");
        }
        assert!(std::fs::metadata(j.path()).expect("meta").len() <= 6 * 16);
        drop(j);
        // a torn digest at the end is ignored
        let mut f = OpenOptions::new().append(true).open(dir.path().join(JOURNAL_FILE)).expect("open");
        std::io::Write::write_all(&mut f, &[0xFF; 5]).expect("write");
        let mut seen = Vec::new();
        let mut j = Journal::open(dir.path(), 3, |d| seen.push(d[0])).expect("open");
        assert_eq!(seen, vec![7, 8, 9]);
        j.record(&[[10; 16]]).expect("record");
        let mut seen = Vec::new();
        Journal::open(dir.path(), 3, |d| seen.push(d[0])).expect("open");
        assert_eq!(seen, vec![8, 9, 10]);
    }
}
