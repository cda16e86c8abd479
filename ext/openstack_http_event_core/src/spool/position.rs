//! What every spool hands out and reports: a record's [`Position`], the
//! records handed out, what an append did, and the counters for stats.

/// A place in the spool (in the file spool, the end of a record in a
/// segment). Acknowledging a record's position acknowledges it and every
/// record handed out before it.
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
// not reported by the push monitor yet: its stats come with the database
// spool, whose counters are the same
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
