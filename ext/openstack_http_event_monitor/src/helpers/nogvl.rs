//! Running Rust without the GVL, with an unblock function.
//!
//! `rb_nogvl` (as `rb_thread_call_without_gvl2`, with an async-signal-safe
//! unblock function) releases the GVL, runs the function and takes the GVL
//! back. When Ruby wants the thread back (`Thread#kill`,
//! `Thread#raise`, Ctrl-C) it calls our unblock function, which trips an
//! [`Interrupt`]; the work selects on it and returns at once. The `2`
//! variant does not process interrupts itself, so no Ruby exception can
//! unwind through Rust frames: the caller returns normally and Ruby handles
//! the pending interrupt at its next check.
//!
//! The unsafe part of releasing the GVL lives here alone; the other unsafe
//! helpers ([`super::fstring`], [`super::factory`]) build Ruby objects with
//! the GVL held.

use std::ffi::c_void;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr::null_mut;
use std::sync::atomic::{AtomicBool, Ordering};

use std::os::fd::{AsRawFd, RawFd};
use std::time::Duration;

use tokio::io::unix::AsyncFd;
use tokio::io::Interest;

/// Set by Ruby's unblock call; awaited by the work.
///
/// Tripping it is async-signal-safe (an atomic store and a `write(2)` to a
/// pipe the runtime watches), so Ruby may call it straight from a signal
/// handler (`RB_NOGVL_UBF_ASYNC_SAFE`) instead of starting a helper Ruby
/// thread for every call, as it does for the main thread of a process
/// with no other thread.
pub struct Interrupt {
    tripped: AtomicBool,
    /// Read and write ends of a non-blocking pipe; `None` if none could be
    /// made, then the waiter polls the flag.
    pipe: Option<(RawFd, RawFd)>,
}

impl Interrupt {
    pub fn new() -> Self {
        let mut fds = [0 as RawFd; 2];
        // SAFETY: `fds` has room for the two descriptors pipe(2) writes.
        let made = unsafe { libc::pipe(fds.as_mut_ptr()) } == 0;
        let pipe = made.then(|| {
            for fd in fds {
                // SAFETY: fcntl on descriptors this call just created.
                unsafe {
                    libc::fcntl(fd, libc::F_SETFL, libc::fcntl(fd, libc::F_GETFL) | libc::O_NONBLOCK);
                    libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC);
                }
            }
            (fds[0], fds[1])
        });
        Interrupt { tripped: AtomicBool::new(false), pipe }
    }

    /// Async-signal-safe.
    pub fn trip(&self) {
        self.tripped.store(true, Ordering::SeqCst);
        if let Some((_, write)) = self.pipe {
            // SAFETY: writes one byte from a static buffer to our own pipe;
            // a full pipe (EAGAIN) is fine, it is readable already.
            unsafe { libc::write(write, b"!".as_ptr().cast(), 1) };
        }
    }

    pub fn is_tripped(&self) -> bool {
        self.tripped.load(Ordering::SeqCst)
    }

    /// Resolves once [`Interrupt::trip`] has been called. Must run inside
    /// the runtime (it registers the pipe with its I/O driver).
    pub async fn tripped(&self) {
        // SAFETY: the read end stays open until this `Interrupt` drops, after
        // the future holding the AsyncFd (which deregisters it) is gone.
        let watched = self
            .pipe
            .and_then(|(read, _)| unsafe { AsyncFd::register_with_interest(PipeEnd(read), Interest::READABLE) }.ok());
        loop {
            if self.is_tripped() {
                return;
            }
            match &watched {
                Some(fd) => match fd.readable().await {
                    Ok(mut guard) => guard.clear_ready(),
                    Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
                },
                None => tokio::time::sleep(Duration::from_millis(10)).await,
            }
        }
    }
}

impl Drop for Interrupt {
    fn drop(&mut self) {
        if let Some((read, write)) = self.pipe {
            // SAFETY: the descriptors are ours and nothing uses them anymore
            // (the AsyncFd in `tripped` is gone with its future).
            unsafe {
                libc::close(read);
                libc::close(write);
            }
        }
    }
}

/// A pipe end watched by the runtime; closed by its `Interrupt`.
struct PipeEnd(RawFd);

impl AsRawFd for PipeEnd {
    fn as_raw_fd(&self) -> RawFd {
        self.0
    }
}

/// How a call without the GVL ended.
pub enum Outcome<R> {
    Done(R),
    /// The work panicked; the message is meant for a Ruby exception.
    Panicked(String),
}

struct Slot<F, R> {
    work: Option<F>,
    interrupt: *const Interrupt,
    result: Option<std::thread::Result<R>>,
}

/// The body Ruby runs without the GVL.
///
/// # Safety
/// `data` must point at a live `Slot<F, R>` whose `interrupt` is live too,
/// used by no one else during the call (see `without_gvl`).
unsafe extern "C" fn call<F, R>(data: *mut c_void) -> *mut c_void
where
    F: FnOnce(&Interrupt) -> R,
{
    // SAFETY: `data` is the `Slot` that `without_gvl` keeps alive on its
    // stack until this returns; only this thread touches it meanwhile.
    let slot = unsafe { &mut *(data as *mut Slot<F, R>) };
    // SAFETY: the interrupt outlives the call, see `without_gvl`.
    let interrupt = unsafe { &*slot.interrupt };
    if let Some(work) = slot.work.take() {
        slot.result = Some(catch_unwind(AssertUnwindSafe(|| work(interrupt))));
    }
    null_mut()
}

/// Ruby's unblocking function: trips the interrupt.
///
/// # Safety
/// `data` must point at a live `Interrupt` (see `without_gvl`).
unsafe extern "C" fn unblock(data: *mut c_void) {
    // SAFETY: `data` points at the `Interrupt` owned by `without_gvl`, alive
    // for as long as Ruby may call this (the blocking region).
    let interrupt = unsafe { &*(data as *const Interrupt) };
    interrupt.trip();
}

/// Runs `work` without the GVL. `work` must not touch Ruby objects or call
/// Ruby's API, and must return soon after its `Interrupt` trips.
///
/// `rb_thread_call_without_gvl2` does not start `work` while an interrupt is
/// pending — a time-slice tick included, which a busy or GC-heavy process
/// may always have by the time it gets here. So when `work` did not start,
/// Ruby handles its interrupts first (trap handlers run; `Thread#raise`,
/// `Thread#kill` and Ctrl-C come back as the error, to be re-raised once
/// the Rust frames are gone), and the call is tried again.
pub fn without_gvl<F, R>(work: F) -> Result<Outcome<R>, magnus::Error>
where
    F: FnOnce(&Interrupt) -> R,
{
    let mut work = Some(work);
    loop {
        let interrupt = Interrupt::new();
        let mut slot = Slot { work: work.take(), interrupt: &interrupt, result: None };
        // SAFETY: both pointers stay valid until the call returns, and Ruby
        // calls `unblock` only while the blocking region lasts. INTR_FAIL:
        // Ruby neither runs interrupts around the call nor unwinds through
        // us (this is rb_thread_call_without_gvl2); UBF_ASYNC_SAFE: `unblock`
        // may be called from a signal handler, see `Interrupt`.
        unsafe {
            rb_sys::rb_nogvl(
                Some(call::<F, R>),
                &mut slot as *mut Slot<F, R> as *mut c_void,
                Some(unblock),
                &interrupt as *const Interrupt as *mut c_void,
                (rb_sys::RB_NOGVL_INTR_FAIL | rb_sys::RB_NOGVL_UBF_ASYNC_SAFE) as i32,
            );
        }
        match slot.result {
            // A finished result is kept even if an interrupt came late: the
            // work may have moved state (a cursor) that its result reflects.
            Some(Ok(value)) => return Ok(Outcome::Done(value)),
            Some(Err(panic)) => return Ok(Outcome::Panicked(panic_message(panic))),
            // not started: Ruby had an interrupt pending (`call` always
            // leaves a result once it took the work)
            None => {
                work = slot.work.take();
                if work.is_none() {
                    return Ok(Outcome::Panicked("the work ran without leaving a result".into()));
                }
                handle_interrupts()?;
            }
        }
    }
}

/// `rb_thread_check_ints` under `rb_protect`: whatever it raises or throws
/// comes back as an error instead of unwinding through Rust.
fn handle_interrupts() -> Result<(), magnus::Error> {
    magnus::rb_sys::protect(|| {
        // SAFETY: called with the GVL held, on a Ruby thread.
        unsafe { rb_sys::rb_thread_check_ints() };
        rb_sys::Qnil as rb_sys::VALUE
    })
    .map(|_| ())
}

/// On the main thread, how long one wait without the GVL lasts before the
/// GVL is taken back to look for interrupts Ruby did not tell us of (Ruby's
/// own time slice).
///
/// Signals are handled on the main thread. Ruby 3.1 calls its unblock
/// function from the signal handler only while it is the process's only
/// Ruby thread; with other threads alive it leaves the signal to whichever
/// Ruby thread handles signals next, and when every other thread is gone or
/// waiting outside Ruby nobody does: a SIGTERM or a trap's `stop` would wait
/// for the next event — forever on a quiet receiver. Other threads are
/// interrupted through the unblock function under Ruby's lock (`Thread#raise`,
/// `Thread#kill`), so they wait without coming back: 100 idle monitors in
/// threads cost nothing.
const RECHECK_INTERRUPTS: Duration = Duration::from_millis(100);

/// Whether the calling thread is Ruby's main thread, which runs trap
/// handlers. Must be called with the GVL held.
fn on_main_thread() -> bool {
    // SAFETY: both only read the VM's thread pointers; the caller holds the
    // GVL on a Ruby thread.
    unsafe { rb_sys::rb_thread_current() == rb_sys::rb_thread_main() }
}

/// Drives `future` to completion on the shared runtime without the GVL.
///
/// When Ruby interrupts the wait, and on the main thread every
/// [`RECHECK_INTERRUPTS`] anyway, the future is kept, the GVL taken back and Ruby's pending interrupts
/// handled: a trap handler that returns (a harmless signal), a deferred
/// `Thread#raise` under `Thread.handle_interrupt(:never)`, a time-slice tick
/// or no interrupt at all costs nothing and the same request goes on; an
/// interrupt that raises (`Thread#raise`, `Thread#kill`, Ctrl-C, `Timeout`)
/// comes back as the error and the future is dropped (its state must stay
/// consistent at every await).
pub fn block_on<Fut: Future>(future: Fut) -> Result<Outcome<Fut::Output>, BlockError> {
    let runtime = openstack_http_event_core::shared_runtime().map_err(BlockError::Runtime)?;
    // Declared before the future, so dropped after it: a future abandoned
    // when Ruby raises is dropped on this thread, outside `block_on`, and
    // its drop may need the runtime (a pooled connection closing).
    let _context = runtime.enter();
    let mut future = std::pin::pin!(future);
    let recheck = on_main_thread().then_some(RECHECK_INTERRUPTS);
    loop {
        let round = without_gvl(|interrupt| {
            runtime.block_on(async {
                tokio::select! {
                    biased;
                    _ = interrupt.tripped() => None,
                    output = &mut future => Some(output),
                    _ = recheck_after(recheck) => None,
                }
            })
        })
        .map_err(BlockError::Ruby)?;
        match round {
            Outcome::Done(Some(output)) => return Ok(Outcome::Done(output)),
            Outcome::Panicked(message) => return Ok(Outcome::Panicked(message)),
            Outcome::Done(None) => handle_interrupts().map_err(BlockError::Ruby)?,
        }
    }
}

/// Resolves after `period`; never without one.
async fn recheck_after(period: Option<Duration>) {
    match period {
        Some(period) => tokio::time::sleep(period).await,
        None => std::future::pending().await,
    }
}

/// Lets other Ruby threads run (`Thread.pass`) and handles this thread's
/// pending interrupts; what they raise comes back as the error. For long
/// work done with the GVL held, between slices.
pub fn yield_to_ruby() -> Result<(), magnus::Error> {
    magnus::rb_sys::protect(|| {
        // SAFETY: called with the GVL held, on a Ruby thread; whatever it
        // raises is caught by `protect`.
        unsafe { rb_sys::rb_thread_schedule() };
        rb_sys::Qnil as rb_sys::VALUE
    })
    .map(|_| ())
}

/// Why [`block_on`] could not run the future to an outcome.
pub enum BlockError {
    /// The shared runtime could not be built.
    Runtime(std::io::Error),
    /// Ruby raised (or threw) while handling a pending interrupt.
    Ruby(magnus::Error),
}

fn panic_message(panic: Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic without a message".to_owned()
    }
}
