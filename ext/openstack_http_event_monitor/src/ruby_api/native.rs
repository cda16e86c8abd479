//! `OpenstackHTTPEventMonitor::Native`: one core monitor, driven from Ruby.
//! Every wait happens in `helpers::nogvl`; Ruby objects are built after the
//! GVL is back.

use std::sync::{Arc, Mutex, TryLockError};

use magnus::{function, method, prelude::*, Error, RArray, RClass, RHash, Ruby, Value};
use openstack_http_event_core::{timestamp, Config, Monitor, Shared, Stats};

use crate::convert::{self, Keys};
use crate::helpers::nogvl::{self, BlockError, Outcome};
use crate::ruby_api::errors;

#[magnus::wrap(class = "OpenstackHTTPEventMonitor::Native", free_immediately, size)]
pub struct Native {
    monitor: Mutex<Monitor>,
    shared: Arc<Shared>,
}

impl Native {
    /// `Native.new(http_options)`: validates and keeps the options; makes no
    /// request.
    fn new(ruby: &Ruby, options: Value) -> Result<Self, Error> {
        let json = convert::to_json(ruby, options, "http")?;
        let config = Config::from_value(&json).map_err(|e| errors::from_core(ruby, e))?;
        let monitor = Monitor::new(config).map_err(|e| errors::from_core(ruby, e))?;
        let shared = monitor.shared();
        Ok(Native { monitor: Mutex::new(monitor), shared })
    }

    /// Runs `f` on the monitor without the GVL; `None` when interrupted.
    fn with_monitor<T>(&self, ruby: &Ruby, f: impl AsyncFnOnce(&mut Monitor) -> T) -> Result<Option<T>, Error> {
        let mut monitor = match self.monitor.try_lock() {
            Ok(guard) => guard,
            Err(TryLockError::Poisoned(p)) => p.into_inner(),
            Err(TryLockError::WouldBlock) => {
                return Err(Error::new(
                    ruby.exception_runtime_error(),
                    "this monitor is already polling in another thread",
                ))
            }
        };
        let outcome = match nogvl::block_on(f(&mut monitor)) {
            Ok(outcome) => outcome,
            Err(BlockError::Runtime(e)) => return Err(errors::io(ruby, e)),
            Err(BlockError::Ruby(e)) => return Err(e),
        };
        match outcome {
            Outcome::Done(value) => Ok(Some(value)),
            Outcome::Interrupted => Ok(None),
            Outcome::Panicked(message) => Err(errors::panic(ruby, &message)),
        }
    }

    /// One poll. Returns an Array of payload Hashes (empty when nothing is
    /// new), or nil when stopped or interrupted.
    fn next_batch(ruby: &Ruby, rb_self: &Self) -> Result<Option<RArray>, Error> {
        let batch = rb_self.with_monitor(ruby, async |m| m.next_batch().await)?;
        let events = match batch {
            None | Some(Ok(None)) => return Ok(None),
            Some(Err(e)) => return Err(errors::from_core(ruby, e)),
            Some(Ok(Some(events))) => events,
        };
        let keys = Keys::new(ruby);
        let array = ruby.ary_new_capa(events.len());
        for event in events {
            array.push(convert::event_payload(ruby, &keys, event)?)?;
        }
        Ok(Some(array))
    }

    /// Authenticates, finds the service and asks it for one event. Returns
    /// true, or raises the error met; nil when interrupted.
    fn check(ruby: &Ruby, rb_self: &Self) -> Result<Option<bool>, Error> {
        match rb_self.with_monitor(ruby, async |m| m.check().await)? {
            None => Ok(None),
            Some(Ok(())) => Ok(Some(true)),
            Some(Err(e)) => Err(errors::from_core(ruby, e)),
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
        match rb_self.monitor.try_lock() {
            Ok(mut m) => m.start_from(at),
            Err(TryLockError::Poisoned(p)) => p.into_inner().start_from(at),
            Err(TryLockError::WouldBlock) => {}
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
        self.monitor.try_lock().map(|m| m.caught_up()).unwrap_or(false)
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
        ] {
            hash.aset(ruby.to_symbol(key), value)?;
        }
        hash.aset(ruby.to_symbol("last_error"), last_error)?;
        hash.aset(ruby.to_symbol("cursor"), cursor)?;
        Ok(hash)
    }

    /// The log records written since the last call, as `[[level, message]]`
    /// with level one of :debug, :info, :warn, :error.
    fn drain_logs(ruby: &Ruby, rb_self: &Self) -> Result<RArray, Error> {
        let records = rb_self.shared.drain_logs();
        let array = ruby.ary_new_capa(records.len());
        for (level, message) in records {
            array.push((ruby.to_symbol(level.as_str()), message))?;
        }
        Ok(array)
    }

    /// Raises a Rust panic on purpose, to prove panics become exceptions.
    fn debug_panic(ruby: &Ruby, rb_self: &Self) -> Result<Option<bool>, Error> {
        rb_self.with_monitor(ruby, async |_| -> bool { panic!("requested by debug_panic") })
    }
}

pub fn init(ruby: &Ruby, outer: RClass) -> Result<(), Error> {
    let class = outer.define_class("Native", ruby.class_object())?;
    class.define_singleton_method("new", function!(Native::new, 1))?;
    class.define_method("next_batch", method!(Native::next_batch, 0))?;
    class.define_method("check", method!(Native::check, 0))?;
    class.define_method("start_from", method!(Native::start_from, 1))?;
    class.define_method("stop", method!(Native::stop, 0))?;
    class.define_method("resume", method!(Native::resume, 0))?;
    class.define_method("stopped?", method!(Native::is_stopped, 0))?;
    class.define_method("caught_up?", method!(Native::is_caught_up, 0))?;
    class.define_method("stats", method!(Native::stats, 0))?;
    class.define_method("drain_logs", method!(Native::drain_logs, 0))?;
    class.define_method("__debug_panic", method!(Native::debug_panic, 0))?;
    Ok(())
}
