//! The [`Progress`] the file spool's writer thread and its readers share:
//! bytes committed per segment, the acknowledged position, counters.

use std::collections::BTreeMap;

use crate::spool::Position;

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
