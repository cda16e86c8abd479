//! `OpenstackHTTPEventMonitor::Native`: one core monitor, driven from Ruby.
//! Every wait happens in `helpers::nogvl`; Ruby objects are built after the
//! GVL is back.

use std::sync::{Arc, Mutex, MutexGuard};

use magnus::{function, method, prelude::*, Error, RArray, RClass, RHash, Ruby, Value};
use std::sync::atomic::{AtomicU64, Ordering};

use openstack_http_event_core::Engine;
use openstack_http_event_core::{timestamp, Config, Level, Shared, Stats};

use crate::helpers::convert;
use crate::helpers::nogvl::{self, BlockError, Outcome};
use crate::helpers::ready;
use crate::ruby_api::delivery::Inbox;
use crate::ruby_api::errors;

#[magnus::wrap(class = "OpenstackHTTPEventMonitor::Native", free_immediately, size)]
pub struct Native {
    slot: Mutex<Slot>,
    shared: Arc<Shared>,
    /// To build the monitor anew in a forked child, see [`Native::take`].
    config: Config,
    /// Events delivered whose acknowledgement (to the push spool) waits for
    /// the engine, taken by another call at the time.
    unacknowledged: AtomicU64,
}

/// One core monitor and the events it fetched that Ruby has not had yet.
struct Inner {
    monitor: Engine,
    inbox: Inbox,
}

/// Where the monitor waits between calls. A call takes it out and puts it
/// back when done, so the lock is held only for a moment.
struct Slot {
    inner: Option<Box<Inner>>,
    /// The process whose thread took the monitor out.
    taken_by: u32,
}

/// The monitor, taken out of its slot by one call; put back on drop.
struct Taken<'a> {
    native: &'a Native,
    inner: Option<Box<Inner>>,
}

impl Taken<'_> {
    fn get(&mut self) -> &mut Inner {
        self.inner.as_mut().expect("a taken monitor is present until dropped")
    }
}

impl Drop for Taken<'_> {
    fn drop(&mut self) {
        if let Some(inner) = self.inner.take() {
            self.native.lock_slot().inner = Some(inner);
        }
    }
}

impl Native {
    /// `Native.new(http_options)`: validates and keeps the options; makes no
    /// request.
    fn new(ruby: &Ruby, options: Value) -> Result<Self, Error> {
        let json = convert::to_json(ruby, options, "http")?;
        let config = Config::from_value(&json).map_err(|e| errors::from_core(ruby, e))?;
        let monitor = Engine::new(config.clone()).map_err(|e| errors::from_core(ruby, e))?;
        let shared = monitor.shared();
        let inner = Box::new(Inner { monitor, inbox: Inbox::default() });
        let slot = Mutex::new(Slot { inner: Some(inner), taken_by: 0 });
        Ok(Native { slot, shared, config, unacknowledged: AtomicU64::new(0) })
    }

    fn lock_slot(&self) -> MutexGuard<'_, Slot> {
        self.slot.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Takes the monitor for one call. Another thread of this process using
    /// it makes this a `BusyError`. In a child forked while a thread of the
    /// parent was polling, that thread is gone with the monitor it held: the
    /// child gets a new one that starts where the parent's cursor stood.
    fn take(&self, ruby: &Ruby) -> Result<Taken<'_>, Error> {
        let pid = std::process::id();
        let mut slot = self.lock_slot();
        if let Some(inner) = slot.inner.take() {
            slot.taken_by = pid;
            return Ok(Taken { native: self, inner: Some(inner) });
        }
        if slot.taken_by == pid {
            return Err(errors::busy(ruby));
        }
        let mut monitor = Engine::with_shared(self.config.clone(), Arc::clone(&self.shared))
            .map_err(|e| errors::from_core(ruby, e))?;
        let cursor = self.shared.stats().cursor;
        if let Some(at) = cursor.as_deref().and_then(timestamp::parse) {
            monitor.start_from(at);
        }
        self.shared.log_message(
            Level::Warn,
            format!(
                "forked while another thread was polling: this process polls anew from {}",
                cursor.as_deref().unwrap_or("the configured start")
            ),
        );
        slot.taken_by = pid;
        Ok(Taken { native: self, inner: Some(Box::new(Inner { monitor, inbox: Inbox::default() })) })
    }

    /// Runs `future` without the GVL (see `nogvl::block_on`).
    fn run<T>(ruby: &Ruby, future: impl std::future::Future<Output = T>) -> Result<T, Error> {
        match nogvl::block_on(future) {
            Ok(Outcome::Done(value)) => Ok(value),
            Ok(Outcome::Panicked(message)) => Err(errors::panic(ruby, &message)),
            Err(BlockError::Runtime(e)) => Err(errors::io(ruby, e)),
            Err(BlockError::Ruby(e)) => Err(e),
        }
    }

    /// `fill(pending, event_class, plain, metadata)`: makes sure `pending` holds
    /// the next events to deliver. Events fetched earlier and not yet
    /// delivered come first: when `pending` is not empty it is left as it
    /// is; else one poll runs and its events are appended, each as
    /// `event_class.new(payload, metadata.dup)` (or, when `plain` says the
    /// class is the plain value class, allocated with `@payload` and
    /// `@metadata` set to the same). Returns false when stopped
    /// (nothing is fetched then), true otherwise (`pending` may stay empty:
    /// nothing new). An exception (an interrupt, a failure that needs an
    /// operator) loses nothing: what was fetched is in `pending` or is
    /// appended by the next call.
    fn fill(
        ruby: &Ruby,
        rb_self: &Self,
        pending: RArray,
        event_class: RClass,
        plain: bool,
        metadata: RHash,
    ) -> Result<bool, Error> {
        if rb_self.shared.is_stopped() {
            if rb_self.config.push.is_some() && pending.is_empty() {
                // everything delivered: a receiver lets its spool go
                let mut taken = rb_self.take(ruby)?;
                rb_self.acknowledge(ruby, taken.get())?;
                let inner = taken.get();
                if inner.inbox.is_empty() {
                    Self::run(ruby, inner.monitor.release())?;
                }
            }
            return Ok(false);
        }
        let mut taken = rb_self.take(ruby)?;
        rb_self.acknowledge(ruby, taken.get())?;
        let inner = taken.get();
        if inner.inbox.is_empty() {
            if !pending.is_empty() {
                return Ok(true);
            }
            match Self::run(ruby, inner.monitor.next_batch())? {
                Ok(None) => return Ok(false),
                Ok(Some(events)) => inner.inbox.extend(events),
                Err(e) => return Err(errors::from_core(ruby, e)),
            }
        }
        inner.inbox.convert_into(ruby, pending, event_class, plain, metadata)?;
        Ok(true)
    }

    /// Counts `n` events as delivered: the block they were yielded to
    /// returned.
    /// A push receiver's spool lets go of them too (fsynced, without the
    /// GVL); if another call holds the engine, the next call does it.
    fn delivered(ruby: &Ruby, rb_self: &Self, n: u64) -> Result<(), Error> {
        rb_self.shared.count_delivered(n);
        rb_self.unacknowledged.fetch_add(n, Ordering::SeqCst);
        let inner = rb_self.lock_slot().inner.take();
        if let Some(inner) = inner {
            let mut taken = Taken { native: rb_self, inner: Some(inner) };
            rb_self.acknowledge(ruby, taken.get())?;
        }
        Ok(())
    }

    /// Hands the engine the deliveries it has not been told of: without
    /// the GVL when that writes to disk (the push spool, a state file).
    fn acknowledge(&self, ruby: &Ruby, inner: &mut Inner) -> Result<(), Error> {
        let n = self.unacknowledged.swap(0, Ordering::SeqCst);
        if n == 0 {
            return Ok(());
        }
        let n = usize::try_from(n).unwrap_or(usize::MAX);
        let result = if inner.monitor.acknowledges() {
            Self::run(ruby, inner.monitor.acknowledge(n))?
        } else {
            // bookkeeping only: ready at once (never run twice: it counts)
            match ready::now(inner.monitor.acknowledge(n)) {
                Some(result) => result,
                None => return Err(errors::panic(ruby, "an acknowledgement without a file had to wait")),
            }
        };
        result.map_err(|e| errors::from_core(ruby, e))
    }

    /// `state`: the poller's state of what was delivered, as the JSON text
    /// a state file holds; nil for a push receiver.
    fn state(ruby: &Ruby, rb_self: &Self) -> Result<Option<String>, Error> {
        let mut taken = rb_self.take(ruby)?;
        rb_self.acknowledge(ruby, taken.get())?;
        Ok(taken.get().monitor.state().map(|s| s.to_json()))
    }

    /// `flush_state`: writes the state file with what was delivered so
    /// far, a part of a batch included (each_batch and each call it when
    /// they end). Does nothing while another thread polls: that thread
    /// writes it when its own call ends.
    fn flush_state(ruby: &Ruby, rb_self: &Self) -> Result<(), Error> {
        let inner = rb_self.lock_slot().inner.take();
        let Some(inner) = inner else { return Ok(()) };
        let mut taken = Taken { native: rb_self, inner: Some(inner) };
        rb_self.acknowledge(ruby, taken.get())?;
        let inner = taken.get();
        match Self::run(ruby, async { inner.monitor.flush_state() })? {
            Ok(()) => Ok(()),
            Err(e) => Err(errors::from_core(ruby, e)),
        }
    }

    /// `start`: a push receiver binds its port (and opens its spool) now;
    /// polling needs nothing.
    fn start(ruby: &Ruby, rb_self: &Self) -> Result<(), Error> {
        if rb_self.config.push.is_none() {
            return Ok(());
        }
        let mut taken = rb_self.take(ruby)?;
        Self::run(ruby, taken.get().monitor.start())?.map_err(|e| errors::from_core(ruby, e))
    }

    /// Authenticates, finds the service and asks it for one event. Returns
    /// true, or raises the error met.
    fn check(ruby: &Ruby, rb_self: &Self) -> Result<bool, Error> {
        let mut taken = rb_self.take(ruby)?;
        match Self::run(ruby, taken.get().monitor.check())? {
            Ok(()) => Ok(true),
            Err(e) => Err(errors::from_core(ruby, e)),
        }
    }

    /// Sets the cursor start from ManageIQ's newest stored event (ISO 8601),
    /// unless `:since` was given or polling has begun.
    fn start_from(ruby: &Ruby, rb_self: &Self, since: String) -> Result<(), Error> {
        let at = timestamp::parse(&since).ok_or_else(|| {
            errors::configuration(
                ruby,
                &format!("invalid option ems: newest event timestamp {since:?} is not ISO 8601"),
            )
        })?;
        if let Some(inner) = rb_self.lock_slot().inner.as_mut() {
            inner.monitor.start_from(at);
        }
        Ok(())
    }

    fn stop(&self) {
        self.shared.stop();
    }

    fn resume(&self) {
        self.shared.resume();
    }

    fn is_stopped(&self) -> bool {
        self.shared.is_stopped()
    }

    /// Whether the last poll reached the end of the backlog; false while a
    /// poll runs in another thread.
    fn is_caught_up(&self) -> bool {
        self.lock_slot().inner.as_ref().is_some_and(|inner| inner.inbox.is_empty() && inner.monitor.caught_up())
    }

    fn stats(ruby: &Ruby, rb_self: &Self) -> Result<RHash, Error> {
        let Stats {
            polls,
            requests,
            events,
            duplicates_dropped,
            filtered,
            skipped,
            errors,
            unreadable,
            retries,
            authentications,
            last_error,
            cursor,
            source,
            endpoint,
            received,
            refused,
        } = rb_self.shared.stats();
        let hash = ruby.hash_new();
        for (key, value) in [
            ("polls", polls),
            ("requests", requests),
            ("events", events),
            ("duplicates_dropped", duplicates_dropped),
            ("filtered", filtered),
            ("skipped", skipped),
            ("errors", errors),
            ("unreadable", unreadable),
            ("retries", retries),
            ("authentications", authentications),
            ("received", received),
            ("refused", refused),
        ] {
            hash.aset(ruby.to_symbol(key), value)?;
        }
        hash.aset(ruby.to_symbol("last_error"), last_error)?;
        hash.aset(ruby.to_symbol("cursor"), cursor)?;
        hash.aset(ruby.to_symbol("source"), source)?;
        hash.aset(ruby.to_symbol("endpoint"), endpoint)?;
        Ok(hash)
    }

    /// The log records written since the last call, as `[[level, message,
    /// at]]` with level one of :debug, :info, :warn, :error and `at` the
    /// time the core wrote it, in seconds since the Unix epoch (a Float).
    fn drain_logs(ruby: &Ruby, rb_self: &Self) -> Result<RArray, Error> {
        let records = rb_self.shared.drain_stamped_logs();
        let array = ruby.ary_new_capa(records.len());
        for (level, message, at) in records {
            let at = at.duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs_f64()).unwrap_or(0.0);
            array.push((ruby.to_symbol(level.as_str()), message, at))?;
        }
        Ok(array)
    }

    /// Raises a Rust panic on purpose, to prove panics become exceptions.
    /// Test builds only (cargo feature `debug-entry-points`).
    #[cfg(feature = "debug-entry-points")]
    fn debug_panic(ruby: &Ruby, rb_self: &Self) -> Result<bool, Error> {
        let _taken = rb_self.take(ruby)?;
        Self::run(ruby, async { panic!("requested by debug_panic") })
    }
}

pub fn init(ruby: &Ruby, outer: RClass) -> Result<(), Error> {
    let class = outer.define_class("Native", ruby.class_object())?;
    class.define_singleton_method("new", function!(Native::new, 1))?;
    class.define_method("fill", method!(Native::fill, 4))?;
    class.define_method("delivered", method!(Native::delivered, 1))?;
    class.define_method("start", method!(Native::start, 0))?;
    class.define_method("check", method!(Native::check, 0))?;
    class.define_method("start_from", method!(Native::start_from, 1))?;
    class.define_method("stop", method!(Native::stop, 0))?;
    class.define_method("resume", method!(Native::resume, 0))?;
    class.define_method("stopped?", method!(Native::is_stopped, 0))?;
    class.define_method("caught_up?", method!(Native::is_caught_up, 0))?;
    class.define_method("stats", method!(Native::stats, 0))?;
    class.define_method("drain_logs", method!(Native::drain_logs, 0))?;
    class.define_method("state", method!(Native::state, 0))?;
    class.define_method("flush_state", method!(Native::flush_state, 0))?;
    #[cfg(feature = "debug-entry-points")]
    class.define_method("__debug_panic", method!(Native::debug_panic, 0))?;
    Ok(())
}
