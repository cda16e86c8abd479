//! The part of a monitor any thread may touch while a poll runs: stop,
//! statistics, log records for the Ruby side, and the scrubber that keeps
//! secrets out of all of them.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard};

use tokio::sync::watch;

use crate::error::Error;
use crate::util::scrub::Scrubber;

/// Log records kept for the Ruby side; older ones are dropped.
const LOG_CAPACITY: usize = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Debug,
    Info,
    Warn,
    Error,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Debug => "debug",
            Level::Info => "info",
            Level::Warn => "warn",
            Level::Error => "error",
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Stats {
    /// Polls made (one request for one page each).
    pub polls: u64,
    /// HTTP requests, Keystone included.
    pub requests: u64,
    /// Events delivered: counted by the binding once the block they were
    /// yielded to returned ([`Shared::count_delivered`]), not when fetched.
    pub events: u64,
    pub duplicates_dropped: u64,
    pub filtered: u64,
    /// Rows that could not be converted (no message_id, bad timestamp, …).
    pub skipped: u64,
    pub errors: u64,
    /// Timestamps left behind holding more events than one page can carry
    /// on a service without a working `marker`: events there past the first
    /// page could not be read.
    pub unreadable: u64,
    /// Polls retried after a failure.
    pub retries: u64,
    pub authentications: u64,
    pub last_error: Option<String>,
    /// The newest service timestamp seen (or the start), as Panko writes it.
    pub cursor: Option<String>,
    /// The source that answered `check` (`panko`, `ceilometer`).
    pub source: Option<String>,
    /// The event service's base URL `check` used (from the options or the
    /// Keystone catalog), without query or userinfo.
    pub endpoint: Option<String>,
    /// Push receiver: events accepted into the spool (duplicates of events
    /// already there count in `duplicates_dropped`, malformed ones in
    /// `skipped`).
    pub received: u64,
    /// Push receiver: requests refused whole — credentials (401), too
    /// large (413), too slow (408), too many connections (503), not JSON or
    /// no event (400), a content type it does not read (415), a full spool
    /// (503).
    pub refused: u64,
}

/// The part of a monitor any thread may touch while a poll runs.
pub struct Shared {
    stop: watch::Sender<bool>,
    stats: Mutex<Stats>,
    /// Each record with the time it was written (the binding logs it
    /// later, when Ruby has the GVL again).
    logs: Mutex<VecDeque<(Level, String, std::time::SystemTime)>>,
    /// Every secret the monitor holds; scrubbed from logs, stats and errors.
    pub(crate) scrubber: Scrubber,
}

impl Shared {
    pub(crate) fn new() -> Self {
        Shared {
            stop: watch::Sender::new(false),
            stats: Mutex::new(Stats::default()),
            logs: Mutex::new(VecDeque::new()),
            scrubber: Scrubber::new(),
        }
    }

    /// Ends the current wait or request and makes polls return `None`.
    pub fn stop(&self) {
        self.stop.send_replace(true);
    }

    pub fn resume(&self) {
        self.stop.send_replace(false);
    }

    pub fn is_stopped(&self) -> bool {
        *self.stop.borrow()
    }

    /// Resolves once `stop` is called.
    pub async fn stopped(&self) {
        let mut rx = self.stop.subscribe();
        let _ = rx.wait_for(|stopped| *stopped).await;
    }

    pub fn stats(&self) -> Stats {
        self.lock_stats().clone()
    }

    /// Counts `n` events as delivered; the binding calls it once the block
    /// they were yielded to has returned.
    pub fn count_delivered(&self, n: u64) {
        let mut stats = self.lock_stats();
        stats.events = stats.events.saturating_add(n);
    }

    pub(crate) fn lock_stats(&self) -> MutexGuard<'_, Stats> {
        self.stats.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Takes the log records written since the last call.
    pub fn drain_logs(&self) -> Vec<(Level, String)> {
        self.drain_stamped_logs().into_iter().map(|(level, message, _)| (level, message)).collect()
    }

    /// Takes the log records written since the last call, each with the
    /// time it was written.
    pub fn drain_stamped_logs(&self) -> Vec<(Level, String, std::time::SystemTime)> {
        self.logs.lock().unwrap_or_else(|p| p.into_inner()).drain(..).collect()
    }

    /// Adds a log record from outside the engine (the binding).
    pub fn log_message(&self, level: Level, message: String) {
        self.log(level, message);
    }

    /// The error with the monitor's secrets scrubbed from its texts: every
    /// error that leaves the core goes through here.
    pub fn scrub_error(&self, error: Error) -> Error {
        self.scrubber.scrub_error(error)
    }

    pub(crate) fn log(&self, level: Level, message: String) {
        let message = self.scrubber.scrub(&message);
        let mut logs = self.logs.lock().unwrap_or_else(|p| p.into_inner());
        if logs.len() >= LOG_CAPACITY {
            logs.pop_front();
        }
        logs.push_back((level, message, std::time::SystemTime::now()));
    }
}
