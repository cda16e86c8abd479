//! The state of what was acknowledged: a poll's events are handed out,
//! and only once the blocks they were yielded to returned (Ruby
//! acknowledges them) does the state move past them. The cursor moves when
//! a page is taken in, before delivery; the keeper holds the last state
//! whose events were all acknowledged, and the digests of the events handed
//! out since, so that a part of a batch acknowledged can be kept too.
//!
//! With a [`StateFile`], every state reached is written (after each
//! acknowledged batch, and a partly acknowledged one on [`Keeper::flush`]);
//! if the process dies between, the restarted monitor reads again what was
//! not acknowledged.

use crate::error::Result;
use crate::state::{Remembered, Snapshot};
use crate::state_file::StateFile;

#[derive(Debug)]
pub struct Keeper {
    file: Option<StateFile>,
    /// The last state whose events were all acknowledged.
    committed: Snapshot,
    /// How each event handed out since is remembered, in order.
    handed: Vec<Remembered>,
    /// How many of them were acknowledged.
    acknowledged: usize,
    /// What the file holds, when it holds what this keeper last wrote.
    written: Option<Snapshot>,
}

impl Keeper {
    /// `committed`: where the monitor starts; `on_disk`: whether the file
    /// already holds it (it was read from there).
    pub fn new(file: Option<StateFile>, committed: Snapshot, on_disk: bool) -> Self {
        let written = on_disk.then(|| committed.clone());
        Keeper { file, committed, handed: Vec::new(), acknowledged: 0, written }
    }

    /// Whether a file is kept (acknowledgements then write it at once).
    pub fn keeps_file(&self) -> bool {
        self.file.is_some()
    }

    /// Where the monitor starts, changed before anything was handed out
    /// (the start from ManageIQ's newest event): nothing is written.
    pub fn restart(&mut self, committed: Snapshot) {
        if self.handed.is_empty() {
            self.committed = committed;
        }
    }

    /// Events handed out, each as the cursor remembers it.
    pub fn handed(&mut self, events: impl IntoIterator<Item = Remembered>) {
        self.handed.extend(events);
    }

    /// Whether every event handed out was acknowledged.
    pub fn settled(&self) -> bool {
        self.acknowledged >= self.handed.len()
    }

    /// `n` more events acknowledged; `true` when that settles them all
    /// (then [`Keeper::commit`] the cursor's state).
    pub fn acknowledge(&mut self, n: usize) -> bool {
        self.acknowledged = self.acknowledged.saturating_add(n).min(self.handed.len());
        n > 0 && self.settled()
    }

    /// Every event handed out was acknowledged and `now` is where the
    /// cursor stands: the state moves there (and the file is written when
    /// it differs, or was never written).
    pub fn commit(&mut self, now: Snapshot) -> Result<()> {
        debug_assert!(self.settled());
        self.handed.clear();
        self.acknowledged = 0;
        self.committed = now;
        self.write()
    }

    /// Writes what was acknowledged, a part of a batch included.
    pub fn flush(&mut self) -> Result<()> {
        self.write()
    }

    /// The state of what was acknowledged: the last settled state, and
    /// the events acknowledged since remembered in it.
    pub fn current(&self) -> Snapshot {
        let mut state = self.committed.clone();
        if self.acknowledged > 0 {
            state.position.delivered.extend_from_slice(&self.handed[..self.acknowledged]);
        }
        state
    }

    fn write(&mut self) -> Result<()> {
        let Some(file) = &self.file else { return Ok(()) };
        let state = self.current();
        if self.written.as_ref() == Some(&state) {
            return Ok(());
        }
        file.write(&state)?;
        self.written = Some(state);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::{Position, Stream};

    fn at(seconds: i64) -> Snapshot {
        Snapshot {
            stream: Stream::of(&serde_json::json!({"url": "http://x"})),
            position: Position {
                newest: chrono::DateTime::from_timestamp(seconds, 0).map(|t| t.naive_utc()),
                ..Position::default()
            },
            floor: None,
            service_cursor: None,
        }
    }

    #[test]
    fn only_what_was_acknowledged_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let file = StateFile::new(dir.path().join("s"));
        let mut keeper = Keeper::new(Some(file.clone()), at(0), false);
        keeper.handed([(1, None), (2, None), (3, None)]);
        assert!(!keeper.acknowledge(2));
        assert_eq!(file.read().unwrap(), None, "nothing written mid-batch");
        keeper.flush().unwrap();
        // the partial state: the start, and the two acknowledged remembered
        let partial = file.read().unwrap().unwrap();
        assert_eq!(partial.position.newest, at(0).position.newest);
        assert_eq!(partial.position.delivered, vec![(1, None), (2, None)]);
        assert!(keeper.acknowledge(1));
        keeper.commit(at(10)).unwrap();
        assert_eq!(file.read().unwrap(), Some(at(10)));
        assert_eq!(keeper.current(), at(10));
    }

    #[test]
    fn an_empty_poll_writes_the_file_once_then_only_changes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s");
        let mut keeper = Keeper::new(Some(StateFile::new(path.clone())), at(0), false);
        assert!(keeper.settled());
        keeper.commit(at(0)).unwrap();
        assert!(path.exists(), "created at the first poll");
        std::fs::remove_file(&path).unwrap();
        keeper.commit(at(0)).unwrap();
        assert!(!path.exists(), "unchanged: not written again");
        keeper.commit(at(1)).unwrap();
        assert!(path.exists());
    }
}
