//! The next page of a drain, requested ahead in a task of its own while
//! Ruby handles the current one. Only an answer to the very query the poll
//! then asks is used; anything else is aborted and asked again.

use std::future::Future;

use tokio::task::JoinHandle;

use super::answer::Answer;
use crate::error::Result;
use crate::source::Query;

/// The page requested ahead, if any.
pub(super) struct Prefetch {
    ahead: Option<(Query, JoinHandle<Result<Answer>>)>,
    /// The process that started it: a forked child must not wait for a
    /// task of its parent's runtime.
    pid: u32,
}

impl Prefetch {
    pub(super) fn new() -> Self {
        Prefetch { ahead: None, pid: std::process::id() }
    }

    /// Requests `query`'s page ahead (`answer` is the request, already
    /// started).
    pub(super) fn start(&mut self, query: Query, answer: impl Future<Output = Result<Answer>> + Send + 'static) {
        self.abort();
        self.ahead = Some((query, tokio::spawn(answer)));
    }

    /// The task fetching `query`'s page, if that is the page requested
    /// ahead; a prefetch of another page is aborted.
    pub(super) fn take(&mut self, query: &Query) -> Option<JoinHandle<Result<Answer>>> {
        match self.ahead.take() {
            Some((asked, task)) if asked == *query => Some(task),
            Some((_, task)) => {
                task.abort();
                None
            }
            None => None,
        }
    }

    /// Drops what was requested ahead.
    pub(super) fn abort(&mut self) {
        if let Some((_, task)) = self.ahead.take() {
            task.abort();
        }
    }

    /// In a forked child, forgets (without touching) the parent's task.
    pub(super) fn forget_if_forked(&mut self) {
        if self.pid != std::process::id() {
            std::mem::forget(self.ahead.take());
            self.pid = std::process::id();
        }
    }
}

impl Drop for Prefetch {
    fn drop(&mut self) {
        self.abort();
    }
}
