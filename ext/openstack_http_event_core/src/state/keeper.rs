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
use crate::state::file::StateFile;
use crate::state::{Remembered, Snapshot};

#[derive(Debug)]
pub struct Keeper {
    file: Option<StateFile>,
    /// Whether the state before each poll is kept (a file is written, or
    /// [`Keeper::track`] was called): it costs a copy of the window's
    /// digests per poll, so a monitor nobody asks about does without.
    tracking: bool,
    /// The last state whose events were all acknowledged, while some
    /// handed out since are not; `None` when tracking started mid-batch.
    before: Option<Snapshot>,
    /// Events handed out since.
    handed: usize,
    /// How each of them is remembered, in order (`None`: forgotten at
    /// once, the cap reached), while tracking.
    remembered: Vec<Option<Remembered>>,
    /// How many of them were acknowledged.
    acknowledged: usize,
    /// What the file holds, when it holds what this keeper last wrote.
    written: Option<Snapshot>,
}

impl Keeper {
    /// `on_disk`: the state the file holds (it was read from there).
    pub fn new(file: Option<StateFile>, on_disk: Option<Snapshot>) -> Self {
        let tracking = file.is_some();
        Keeper { file, tracking, before: None, handed: 0, remembered: Vec::new(), acknowledged: 0, written: on_disk }
    }

    /// Whether a file is kept (acknowledgements then write it at once).
    pub fn keeps_file(&self) -> bool {
        self.file.is_some()
    }

    /// Keeps the state before each poll from now on, for [`Keeper::current`].
    pub fn track(&mut self) {
        self.tracking = true;
    }

    /// A poll is about to move the cursor from `now` (called only when the
    /// cursor stands where the state is: everything handed out was
    /// acknowledged).
    pub fn before_poll(&mut self, now: impl FnOnce() -> Snapshot) {
        if self.tracking && self.settled() {
            self.before = Some(now());
        }
    }

    /// `n` events handed out; `remembered` says how the cursor remembers
    /// each (asked only while tracking).
    pub fn handed(&mut self, n: usize, remembered: impl FnOnce() -> Vec<Option<Remembered>>) {
        if self.tracking && self.before.is_some() {
            self.remembered.extend(remembered());
        }
        self.handed += n;
    }

    /// Whether every event handed out was acknowledged: then the state is
    /// where the cursor stands.
    pub fn settled(&self) -> bool {
        self.acknowledged >= self.handed
    }

    /// `n` more events acknowledged; `true` when that settles them all
    /// (then [`Keeper::settle`]).
    pub fn acknowledge(&mut self, n: usize) -> bool {
        self.acknowledged = self.acknowledged.saturating_add(n).min(self.handed);
        n > 0 && self.settled()
    }

    /// Every event handed out was acknowledged: the state moves to where
    /// the cursor stands (`now`), and the file is written when that differs
    /// from what it holds (or it was never written).
    pub fn settle(&mut self, now: impl FnOnce() -> Snapshot) -> Result<()> {
        self.handed = 0;
        self.remembered.clear();
        self.acknowledged = 0;
        self.before = None;
        self.write(now)
    }

    /// Writes what was acknowledged, a part of a batch included.
    pub fn flush(&mut self, now: impl FnOnce() -> Snapshot) -> Result<()> {
        self.write(now)
    }

    /// The state of what was acknowledged: where the cursor stands (`now`)
    /// when everything handed out was; else the state before the poll, with
    /// the events acknowledged since remembered in it. `None` mid-batch
    /// when tracking started after the poll.
    pub fn current(&self, now: impl FnOnce() -> Snapshot) -> Option<Snapshot> {
        if self.settled() {
            return Some(now());
        }
        let mut state = self.before.clone()?;
        let acknowledged = &self.remembered[..self.acknowledged.min(self.remembered.len())];
        state.position.delivered.extend(acknowledged.iter().flatten());
        Some(state)
    }

    fn write(&mut self, now: impl FnOnce() -> Snapshot) -> Result<()> {
        let Some(file) = &self.file else { return Ok(()) };
        let Some(state) = self.current(now) else { return Ok(()) };
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
    use crate::config::Stream;
    use crate::state::Position;

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
        let mut keeper = Keeper::new(Some(file.clone()), None);
        keeper.before_poll(|| at(0));
        keeper.handed(3, || vec![Some((1, None)), Some((2, None)), Some((3, None))]);
        assert!(!keeper.acknowledge(2));
        assert_eq!(file.read().unwrap(), None, "nothing written mid-batch");
        keeper.flush(|| at(10)).unwrap();
        // the partial state: the start, and the two acknowledged remembered
        let partial = file.read().unwrap().unwrap();
        assert_eq!(partial.position.newest, at(0).position.newest);
        assert_eq!(partial.position.delivered, vec![(1, None), (2, None)]);
        assert!(keeper.acknowledge(1));
        keeper.settle(|| at(10)).unwrap();
        assert_eq!(file.read().unwrap(), Some(at(10)));
        assert_eq!(keeper.current(|| at(10)), Some(at(10)));
    }

    #[test]
    fn without_a_file_the_state_before_a_poll_is_kept_only_once_asked_for() {
        let mut keeper = Keeper::new(None, None);
        keeper.before_poll(|| panic!("not tracking: no copy of the window"));
        keeper.handed(2, || panic!("not tracking: not asked"));
        keeper.acknowledge(1);
        assert_eq!(keeper.current(|| at(10)), None, "asked for mid-batch the first time");
        keeper.track();
        keeper.acknowledge(1);
        keeper.settle(|| at(10)).unwrap();
        assert_eq!(keeper.current(|| at(10)), Some(at(10)));
        keeper.before_poll(|| at(10));
        // the 2nd was forgotten at once (the cap): the 3rd is not taken for it
        keeper.handed(3, || vec![Some((3, None)), None, Some((5, None))]);
        keeper.acknowledge(2);
        let mut want = at(10);
        want.position.delivered.push((3, None));
        assert_eq!(keeper.current(|| at(20)), Some(want));
    }

    #[test]
    fn an_empty_poll_writes_the_file_once_then_only_changes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s");
        let mut keeper = Keeper::new(Some(StateFile::new(path.clone())), None);
        assert!(keeper.settled());
        keeper.settle(|| at(0)).unwrap();
        assert!(path.exists(), "created at the first poll");
        std::fs::remove_file(&path).unwrap();
        keeper.settle(|| at(0)).unwrap();
        assert!(!path.exists(), "unchanged: not written again");
        keeper.settle(|| at(1)).unwrap();
        assert!(path.exists());
    }
}
