//! A future that never waits, run to its end on the spot: the poller's
//! acknowledgement without a state file is bookkeeping behind an `async`
//! signature (the push spool's may wait on the database), and taking it
//! through [`super::nogvl`] would cost every delivered batch a GVL release.

use std::future::Future;
use std::task::{Context, Poll, Waker};

/// `future`'s output if it is ready at its first poll; `None` (and the
/// future dropped) if it would have had to wait.
pub fn now<F: Future>(future: F) -> Option<F::Output> {
    let mut future = std::pin::pin!(future);
    match future.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(output) => Some(output),
        Poll::Pending => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ready_future_gives_its_output_a_waiting_one_none() {
        assert_eq!(now(async { 7 }), Some(7));
        assert_eq!(now(std::future::pending::<u8>()), None);
    }
}
