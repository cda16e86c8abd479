//! Events fetched but not yet handed to Ruby, and their conversion into
//! `OpenstackEvent`s in slices, so that a big page never holds the GVL for
//! long and an interrupt never loses one.
//!
//! It lives in `ruby_api/`, beside `native.rs`, not in `helpers/`: the
//! [`Inbox`] is part of the `Native` class's state (each monitor holds one)
//! and its rules are what `Native#each_batch` promises Ruby (how long the
//! GVL is held between yields, that an event leaves it only once it is in
//! the caller's Array). Nothing else uses it, and it holds no unsafe code;
//! the class-agnostic pieces it is built from (`helpers::factory` for the
//! objects, `helpers::nogvl::yield_to_ruby` between slices) stay in
//! `helpers/`.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use magnus::{Error, RArray, RClass, RHash, Ruby};
use openstack_http_event_core::{json, Event};

use crate::helpers::factory::EventFactory;
use crate::helpers::nogvl;

/// Events converted between two chances for other threads to run.
pub const SLICE_EVENTS: usize = 1000;
/// The longest the GVL is held converting, between two such chances.
pub const SLICE_TIME: Duration = Duration::from_millis(5);

/// Fetched events, in service order, waiting for conversion.
#[derive(Default)]
pub struct Inbox {
    fetched: VecDeque<Event>,
}

impl Inbox {
    pub fn is_empty(&self) -> bool {
        self.fetched.is_empty()
    }

    pub fn extend(&mut self, events: Vec<Event>) {
        self.fetched.extend(events);
    }

    /// Moves every fetched event, as an `event_class.new(payload,
    /// metadata.dup)` (made directly when `plain`: see
    /// [`EventFactory`]), to the end of `pending`. An event leaves the inbox
    /// only once it is in `pending`, so whatever interrupts the conversion
    /// (it raises out of here) loses nothing: the next call goes on.
    /// Between slices other Ruby threads run and interrupts are handled.
    pub fn convert_into(
        &mut self,
        ruby: &Ruby,
        pending: RArray,
        event_class: RClass,
        plain: bool,
        metadata: RHash,
    ) -> Result<(), Error> {
        let mut factory = EventFactory::new(ruby, event_class, plain, metadata);
        while !self.fetched.is_empty() {
            let started = Instant::now();
            let mut done = 0;
            while let Some(event) = self.fetched.front() {
                factory.push(event, pending)?;
                if let Some(event) = self.fetched.pop_front() {
                    release(event);
                }
                done += 1;
                if done >= SLICE_EVENTS || (done % 64 == 0 && started.elapsed() >= SLICE_TIME) {
                    break;
                }
            }
            if !self.fetched.is_empty() {
                nogvl::yield_to_ruby()?;
            }
        }
        Ok(())
    }
}

/// Drops a converted event; a String trait value (what Panko's are) is
/// freed here directly, without a call to the JSON value's drop glue.
fn release(event: Event) {
    for (_, value) in event.traits {
        if let json::Value::Str(text) = value {
            drop(text);
        } else {
            drop(value);
        }
    }
}
