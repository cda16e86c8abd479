//! What the spool found wrong in its files and repaired; the caller logs it.

use std::fmt;
use std::path::PathBuf;

/// One repair, reported once (by [`Spool::take_notices`](super::Spool::take_notices)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// Invalid bytes at the end of a segment (a torn write at power loss, or
    /// corruption with no valid record after it): the file was truncated at
    /// `offset`, the end of its last good record; `bytes` were lost.
    Cut { path: PathBuf, offset: u64, bytes: u64 },
    /// Invalid bytes inside a segment, followed by a valid record at
    /// `offset + bytes`: they are skipped (at least one record was lost).
    Skipped { path: PathBuf, offset: u64, bytes: u64 },
    /// The `ack` file could not be read: every record still on disk is
    /// delivered again.
    AckUnreadable { path: PathBuf, message: String },
    /// The `ack` file points past the end of its segment: it is moved back
    /// to the end.
    AckBeyondEnd { path: PathBuf, offset: u64, end: u64 },
    /// A fully acknowledged segment could not be removed; the next open
    /// removes it.
    RemoveFailed { path: PathBuf, message: String },
}

impl fmt::Display for Notice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Notice::Cut { path, offset, bytes } => write!(
                f,
                "spool segment {} has {bytes} invalid bytes at its end (offset {offset}): cut, the records in them are lost",
                path.display()
            ),
            Notice::Skipped { path, offset, bytes } => write!(
                f,
                "spool segment {} has {bytes} corrupt bytes at offset {offset}: skipped, at least one record in them is lost",
                path.display()
            ),
            Notice::AckUnreadable { path, message } => write!(
                f,
                "spool ack file {} is unreadable ({message}): every spooled record is delivered again",
                path.display()
            ),
            Notice::AckBeyondEnd { path, offset, end } => write!(
                f,
                "spool ack file points at offset {offset} of {}, past its end {end}: moved back to the end",
                path.display()
            ),
            Notice::RemoveFailed { path, message } => {
                write!(f, "cannot remove acknowledged spool segment {}: {message}", path.display())
            }
        }
    }
}
