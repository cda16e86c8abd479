//! Places in the spool and what is known of them: a record's [`Position`],
//! the records handed out, what an append did, and the [`Progress`] the
//! writer thread and the readers share (bytes committed per segment, the
//! acknowledged position, counters).

use std::collections::BTreeMap;

/// A place in the spool: the end of a record in a segment. Acknowledging a
/// record's position acknowledges it and every record handed out before it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Position {
    pub segment: u64,
    pub offset: u64,
}

/// A record handed out by [`Spool::next_batch`](super::Spool::next_batch).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpooledRecord {
    /// What to pass to [`Spool::acknowledge`](super::Spool::acknowledge) once it is processed.
    pub position: Position,
    pub message_id: String,
    pub payload: Vec<u8>,
}

/// What an append did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Appended {
    /// Records written and fsynced.
    pub accepted: usize,
    /// Records whose message_id was in the de-dup window (or earlier in the
    /// same append): not written, but as safe for the sender as accepted.
    pub duplicates: usize,
}

/// Counters and sizes, for the monitor's stats.
// not reported by the push monitor yet (nothing reads them outside the tests
// of the spool's users); kept with the counters the writer maintains
#[allow(dead_code)]
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SpoolStats {
    pub segments: usize,
    pub unacknowledged_bytes: u64,
    /// Records handed out and not yet acknowledged.
    pub in_flight: usize,
    /// Appends accepted (duplicates-only ones included).
    pub appends: u64,
    pub records: u64,
    pub duplicates: u64,
    /// Appends refused with [`SpoolError::Full`](super::SpoolError::Full).
    pub refused_full: u64,
    /// Group commits that wrote something.
    pub commits: u64,
    /// fsyncs of segments and of the directory by the writer.
    pub fsyncs: u64,
    /// Ids in the de-dup window.
    pub dedup_ids: usize,
}

/// What the writer and the readers share.
#[derive(Debug, Default)]
pub(crate) struct Progress {
    /// Segment sequence → bytes committed (fsynced): readers stop there.
    pub(super) segments: BTreeMap<u64, u64>,
    /// The segment the writer appends to.
    pub(super) active: u64,
    pub(super) acked: Position,
    pub(super) appends: u64,
    pub(super) records: u64,
    pub(super) duplicates: u64,
    pub(super) refused_full: u64,
    pub(super) commits: u64,
    pub(super) fsyncs: u64,
    pub(super) dedup_ids: usize,
}

impl Progress {
    /// Committed bytes at or after the acknowledged position.
    pub(super) fn unacknowledged_bytes(&self) -> u64 {
        self.segments
            .iter()
            .map(|(&seq, &len)| match seq.cmp(&self.acked.segment) {
                std::cmp::Ordering::Less => 0,
                std::cmp::Ordering::Equal => len.saturating_sub(self.acked.offset),
                std::cmp::Ordering::Greater => len,
            })
            .sum()
    }
}
