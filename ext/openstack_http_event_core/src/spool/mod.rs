//! The push receiver's spool: what a sender POSTed is kept here, durably,
//! before the sender is answered, and handed to the consumer until it is
//! acknowledged. [`Spool`] is what the receiver and the push monitor need of
//! one; [`FileSpool`] (in `file/`) keeps it in a directory on one machine's
//! disk, the database spool (`postgres/`) in PostgreSQL, for a ManageIQ
//! region.
//!
//! Every spool promises the same:
//! - **accepted means durable**: `append` returns `Ok` only once every
//!   accepted record is committed; a refused append wrote nothing a reader
//!   can see;
//! - **nothing accepted is lost**: every record accepted and not
//!   acknowledged is handed out again after a crash or a reopen;
//! - **exactly once up to the acknowledgement**: a record is handed out
//!   once, then again only after `requeue_unacknowledged` or a reopen, and
//!   never once an `acknowledge` covering it has returned `Ok`;
//! - **a sender's retry is not a second event**: a record whose
//!   `message_id` was accepted recently is a duplicate, not written again.

use std::future::Future;
use std::pin::Pin;

use tokio::sync::watch;

mod error;
mod file;
mod notice;
mod position;
mod postgres;

pub use error::SpoolError;
pub use file::{default_dir, dir_under, FileSpool, SpoolOptions};
pub use notice::Notice;
pub use position::{Appended, Position, SpoolStats, SpooledRecord};
pub use postgres::{PostgresOptions, PostgresSpool};

/// What a spool operation comes to, later.
pub type SpoolFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, SpoolError>> + Send + 'a>>;

/// A durable, de-duplicating, acknowledged queue of records (see the
/// module's doc for what every one promises).
pub trait Spool: Send + Sync {
    /// Where the records are kept, for messages (never with a password).
    fn location(&self) -> String;

    /// Appends `(message_id, payload)` records: `Ok` once every accepted one
    /// is durable, with how many were duplicates.
    fn append(&self, records: Vec<(String, Vec<u8>)>) -> SpoolFuture<'_, Appended>;

    /// At most `max` records not handed out yet, in accepted order.
    fn next_batch(&self, max: usize) -> SpoolFuture<'_, Vec<SpooledRecord>>;

    /// The records handed out up to `upto` (included) were processed.
    fn acknowledge(&self, upto: Position) -> SpoolFuture<'_, ()>;

    /// Records handed out and not acknowledged are handed out again first.
    fn requeue_unacknowledged(&self);

    /// Changes whenever records are committed (its value counts commits).
    fn subscribe(&self) -> watch::Receiver<u64>;

    /// The repairs made since the last call, for the caller to log.
    fn take_notices(&self) -> Vec<Notice>;

    /// Counters and sizes.
    #[allow(dead_code)] // not in the monitor's stats yet (see SpoolStats)
    fn stats(&self) -> SpoolStats;
}
