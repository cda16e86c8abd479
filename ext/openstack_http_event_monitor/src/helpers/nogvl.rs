//! Running Rust without the GVL, with an unblock function.
//!
//! `rb_thread_call_without_gvl2` releases the GVL, runs the function and
//! takes the GVL back. When Ruby wants the thread back (`Thread#kill`,
//! `Thread#raise`, Ctrl-C) it calls our unblock function, which trips an
//! [`Interrupt`]; the work selects on it and returns at once. The `2`
//! variant does not process interrupts itself, so no Ruby exception can
//! unwind through Rust frames: the caller returns normally and Ruby handles
//! the pending interrupt at its next check.
//!
//! This is the only unsafe code of the extension.

use std::ffi::c_void;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr::null_mut;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::Notify;

/// Set by Ruby's unblock call; awaited by the work.
#[derive(Default)]
pub struct Interrupt {
    tripped: AtomicBool,
    notify: Notify,
}

impl Interrupt {
    pub fn trip(&self) {
        self.tripped.store(true, Ordering::SeqCst);
        self.notify.notify_waiters();
    }

    pub fn is_tripped(&self) -> bool {
        self.tripped.load(Ordering::SeqCst)
    }

    /// Resolves once [`Interrupt::trip`] has been called.
    pub async fn tripped(&self) {
        loop {
            let notified = self.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.is_tripped() {
                return;
            }
            notified.await;
        }
    }
}

/// How a call without the GVL ended.
pub enum Outcome<R> {
    Done(R),
    /// Ruby interrupted the thread before or while the work ran.
    Interrupted,
    /// The work panicked; the message is meant for a Ruby exception.
    Panicked(String),
}

struct Slot<F, R> {
    work: Option<F>,
    interrupt: *const Interrupt,
    result: Option<std::thread::Result<R>>,
}

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

unsafe extern "C" fn unblock(data: *mut c_void) {
    // SAFETY: `data` points at the `Interrupt` owned by `without_gvl`, alive
    // for as long as Ruby may call this (the blocking region).
    let interrupt = unsafe { &*(data as *const Interrupt) };
    interrupt.trip();
}

/// Runs `work` without the GVL. `work` must not touch Ruby objects or call
/// Ruby's API, and must return soon after its `Interrupt` trips.
pub fn without_gvl<F, R>(work: F) -> Outcome<R>
where
    F: FnOnce(&Interrupt) -> R,
{
    let interrupt = Interrupt::default();
    let mut slot = Slot { work: Some(work), interrupt: &interrupt, result: None };
    // SAFETY: both pointers stay valid until the call returns, and Ruby
    // calls `unblock` only while the blocking region lasts.
    unsafe {
        rb_sys::rb_thread_call_without_gvl2(
            Some(call::<F, R>),
            &mut slot as *mut Slot<F, R> as *mut c_void,
            Some(unblock),
            &interrupt as *const Interrupt as *mut c_void,
        );
    }
    match slot.result {
        // A finished result is kept even if an interrupt came late: the
        // work may have moved state (a cursor) that its result reflects.
        None => Outcome::Interrupted,
        Some(Err(panic)) => Outcome::Panicked(panic_message(panic)),
        Some(Ok(value)) => Outcome::Done(value),
    }
}

/// Drives `future` to completion on the shared runtime without the GVL;
/// an interrupt drops it (its state must stay consistent at every await).
pub fn block_on<Fut: Future>(future: Fut) -> Result<Outcome<Fut::Output>, std::io::Error> {
    let runtime = openstack_http_event_core::runtime::shared()?;
    Ok(without_gvl(move |interrupt| {
        runtime.block_on(async {
            tokio::select! {
                biased;
                _ = interrupt.tripped() => None,
                output = future => Some(output),
            }
        })
    })
    .and_then(|o| o))
}

impl<R> Outcome<R> {
    fn and_then<T>(self, f: impl FnOnce(R) -> Option<T>) -> Outcome<T> {
        match self {
            Outcome::Done(value) => f(value).map_or(Outcome::Interrupted, Outcome::Done),
            Outcome::Interrupted => Outcome::Interrupted,
            Outcome::Panicked(m) => Outcome::Panicked(m),
        }
    }
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
