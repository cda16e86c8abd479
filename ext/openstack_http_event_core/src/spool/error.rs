//! Typed errors of the spool. Each names the spool (its directory or file;
//! a database's stream) involved, so the receiver can log it as it is.

use std::io;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum SpoolError {
    /// Another process, or another [`Spool`](super::Spool) of this one,
    /// holds the directory's lock file.
    #[error("spool directory {} is in use by process {}", .dir.display(), .pid.map_or_else(|| "(unknown pid)".to_string(), |p| p.to_string()))]
    Locked { dir: PathBuf, pid: Option<u32> },

    /// Accepting the append would take the unacknowledged bytes on disk over
    /// `spool.max_spool_bytes`; nothing of it was written.
    #[error("spool {spool} is full: {used} unacknowledged bytes, the append needs {needed} more, spool.max_spool_bytes is {max}")]
    Full { spool: String, used: u64, needed: u64, max: u64 },

    /// A record the spool cannot store; nothing of the append was written.
    #[error("cannot spool record {message_id:?}: {message}")]
    InvalidRecord { message_id: String, message: String },

    /// A bad option; `key` is its path, e.g. `spool.segment_bytes`.
    #[error("invalid option {key}: {message}")]
    Option { key: &'static str, message: String },

    #[error("spool I/O error on {}: {source}", .path.display())]
    Io { path: PathBuf, source: io::Error },

    /// Writing failed earlier (a failed fsync leaves the file's state
    /// unknown), or the writer is gone: no further append is accepted until
    /// the spool is opened again, which rescans its files.
    #[error("spool {} accepts no more appends: {reason}", .dir.display())]
    Broken { dir: PathBuf, reason: String },

    /// The database spool's server refused or failed a request, or cannot
    /// be reached; `spool` names the stream, never the password.
    #[error("spool {spool}: {message}")]
    Database { spool: String, message: String },

    /// The database holds the tables of a newer version of the gem.
    #[error("spool {spool}: the schema is version {found}, this version of the gem knows up to {known}: upgrade the gem on every appliance and pod of the region")]
    Schema { spool: String, found: i64, known: i64 },

    /// Neither `XDG_STATE_HOME` nor `HOME` names a directory.
    #[error("cannot choose a spool directory: neither XDG_STATE_HOME nor HOME is set to an absolute path")]
    NoStateDir,
}

impl SpoolError {
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(io::Error) -> SpoolError {
        let path = path.into();
        move |source| SpoolError::Io { path, source }
    }
}
