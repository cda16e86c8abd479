//! Core events to `OpenstackEvent` objects: the hot path of every drain.
//!
//! One event becomes exactly the objects ManageIQ's converter makes (the
//! `OpenstackEvent`, its payload Hash with fresh value Strings, the traits
//! Hash, its own metadata Hash) and nothing else: the Hashes are filled in
//! one bulk insert each, trait names are interned once per call through a
//! small cache instead of an fstring-table lookup per trait, and when the
//! event class is ManageIQ's plain value class its objects get their two
//! instance variables set directly instead of a Ruby-level `initialize`.
//! Each event is made inside one `rb_protect`, so an exception (memory,
//! or a custom `initialize` that raises) comes back as an `Err` with the
//! events made before it already in `pending`.

use std::os::raw::{c_char, c_long};

use magnus::rb_sys::{protect, AsRawValue};
use magnus::{prelude::*, Error, RArray, RClass, RHash, Ruby};
use openstack_http_event_core::{json, Event, TraitName};
use rb_sys::{
    rb_ary_push, rb_class_new_instance, rb_enc_interned_str, rb_float_new, rb_hash_bulk_insert, rb_hash_dup,
    rb_hash_new, rb_intern2, rb_ivar_set, rb_ll2inum, rb_obj_alloc, rb_str_new, rb_utf8_encindex, rb_utf8_encoding,
    ruby_encoding_consts, Qfalse, Qnil, Qtrue, RBasic, ID, VALUE,
};

use crate::helpers::convert::{self, Keys};

/// Trait names kept per call; a page with more distinct names interns the
/// rest through Ruby's fstring table each time (correct, just slower).
const MAX_NAMES: usize = 64;
/// Traits inserted per bulk insert; more take several.
const CHUNK: usize = 16;

/// Makes `OpenstackEvent`s, for one `fill` call.
pub struct EventFactory<'r> {
    ruby: &'r Ruby,
    class: RClass,
    /// `class.allocate` and `@payload`/`@metadata` set directly: the class
    /// is the plain value class (checked on the Ruby side).
    plain: bool,
    metadata: RHash,
    /// "message_id", "event_type", "timestamp", "payload" (interned).
    keys: [VALUE; 4],
    slow_keys: Keys,
    payload_ivar: ID,
    metadata_ivar: ID,
    /// UTF-8's encoding index in a String's flags.
    utf8_flags: VALUE,
    /// Trait names seen, in order of first appearance, and their Ruby
    /// Strings.
    names: Vec<(TraitName, VALUE)>,
    /// Holds every interned key made here, so the GC sees them whatever
    /// happens to the Hashes that use them. Lives on this stack frame.
    keep: RArray,
}

impl<'r> EventFactory<'r> {
    pub fn new(ruby: &'r Ruby, class: RClass, plain: bool, metadata: RHash) -> Self {
        let slow_keys = Keys::new(ruby);
        let keep = ruby.ary_new_capa(8);
        let keys = slow_keys.all();
        for key in keys {
            // cannot fail: a fresh Array
            let _ = keep.push(key);
        }
        EventFactory {
            ruby,
            class,
            plain,
            metadata,
            keys: keys.map(|k| k.as_raw()),
            slow_keys,
            payload_ivar: intern("@payload"),
            metadata_ivar: intern("@metadata"),
            // SAFETY: the GVL is held; a lookup of a built-in encoding.
            utf8_flags: (unsafe { rb_utf8_encindex() } as VALUE) << ruby_encoding_consts::RUBY_ENCODING_SHIFT as u32,
            names: Vec::new(),
            keep,
        }
    }

    /// Appends `event` as an `OpenstackEvent` to `pending`.
    pub fn push(&mut self, event: &Event, pending: RArray) -> Result<(), Error> {
        if !event.traits.iter().all(|(_, v)| is_flat(v)) {
            return self.push_nested(event, pending);
        }
        // Everything in here is a reference or a plain value: an exception
        // that jumps out of a Ruby call leaves nothing to drop.
        let pending = pending.as_raw();
        protect(|| {
            // SAFETY: the GVL is held (the factory borrows &Ruby); every
            // VALUE made is held by the stack (conservatively marked) or by
            // an object reachable from it until it is in `pending`.
            unsafe {
                let traits = rb_hash_new();
                let mut argv = [Qnil as VALUE; 2 * CHUNK];
                for (c, chunk) in event.traits.chunks(CHUNK).enumerate() {
                    for (i, (name, value)) in chunk.iter().enumerate() {
                        argv[2 * i] = self.name(name, c * CHUNK + i);
                        argv[2 * i + 1] = self.flat_value(value);
                    }
                    rb_hash_bulk_insert((2 * chunk.len()) as c_long, argv.as_ptr(), traits);
                }
                let payload = rb_hash_new();
                let entries = [
                    self.keys[0],
                    self.string(&event.message_id),
                    self.keys[1],
                    self.string(&event.event_type),
                    self.keys[2],
                    self.string(&event.generated),
                    self.keys[3],
                    traits,
                ];
                rb_hash_bulk_insert(entries.len() as c_long, entries.as_ptr(), payload);
                let metadata = rb_hash_dup(self.metadata.as_raw());
                let object = if self.plain {
                    let object = rb_obj_alloc(self.class.as_raw());
                    rb_ivar_set(object, self.payload_ivar, payload);
                    rb_ivar_set(object, self.metadata_ivar, metadata);
                    object
                } else {
                    let args = [payload, metadata];
                    rb_class_new_instance(2, args.as_ptr(), self.class.as_raw())
                };
                rb_ary_push(pending, object)
            }
        })?;
        Ok(())
    }

    /// An event with an Array, Hash or big Integer among its trait values:
    /// the general converter, then `class.new`.
    fn push_nested(&self, event: &Event, pending: RArray) -> Result<(), Error> {
        let payload = convert::event_payload(self.ruby, &self.slow_keys, event)?;
        let metadata: RHash = self.metadata.funcall("dup", ())?;
        pending.push(self.class.new_instance((payload, metadata))?)
    }

    /// The interned String for a trait name, from the cache when seen.
    /// `hint` is the trait's position in its event: the events of a page
    /// mostly list the same traits in the same order, and share the
    /// parser's copy of each name, so the entry at `hint` is tried first
    /// and by address; then the others by address, then by text (a name
    /// found by text takes on the copy asked for, so that the next events
    /// of its page find it by address).
    ///
    /// # Safety
    /// The GVL is held; called inside `protect`.
    #[inline(always)]
    unsafe fn name(&mut self, name: &TraitName, hint: usize) -> VALUE {
        if let Some((known, value)) = self.names.get(hint) {
            if known.same_copy(name) {
                return *value;
            }
        }
        if let Some((_, value)) = self.names.iter().find(|(known, _)| known.same_copy(name)) {
            return *value;
        }
        if let Some((known, value)) = self.names.iter_mut().find(|(known, _)| known == name) {
            *known = name.clone();
            return *value;
        }
        let bytes = name.as_bytes();
        let len = c_long::try_from(bytes.len()).unwrap_or(c_long::MAX);
        let value = rb_enc_interned_str(bytes.as_ptr().cast::<c_char>(), len, rb_utf8_encoding());
        if self.names.len() < MAX_NAMES {
            rb_ary_push(self.keep.as_raw(), value);
            self.names.push((name.clone(), value));
        }
        value
    }

    /// # Safety
    /// The GVL is held; `value` is flat.
    unsafe fn flat_value(&self, value: &json::Value) -> VALUE {
        match value {
            json::Value::Str(s) => self.string(s),
            json::Value::Int(i) => rb_ll2inum(*i),
            json::Value::Float(f) => rb_float_new(*f),
            json::Value::Bool(true) => Qtrue as VALUE,
            json::Value::Bool(false) => Qfalse as VALUE,
            _ => Qnil as VALUE,
        }
    }

    /// A fresh UTF-8 String: made as binary, then marked UTF-8 in its
    /// flags as Ruby's `ENCODING_SET_INLINED` does, which skips the checks
    /// `rb_utf8_str_new` makes of an encoding a Rust `&str` already
    /// guarantees.
    ///
    /// # Safety
    /// The GVL is held.
    unsafe fn string(&self, text: &str) -> VALUE {
        let len = c_long::try_from(text.len()).unwrap_or(c_long::MAX);
        let string = rb_str_new(text.as_ptr().cast::<c_char>(), len);
        let basic = string as *mut RBasic;
        let mask = ruby_encoding_consts::RUBY_ENCODING_MASK as VALUE;
        (*basic).flags = ((*basic).flags & !mask) | self.utf8_flags;
        string
    }
}

impl Drop for EventFactory<'_> {
    fn drop(&mut self) {
        // keeps `keep` on the stack, for the GC, until the factory is done
        std::hint::black_box(self.keep);
    }
}

/// A value made without allocating anything but itself.
fn is_flat(value: &json::Value) -> bool {
    matches!(
        value,
        json::Value::Str(_) | json::Value::Int(_) | json::Value::Float(_) | json::Value::Null | json::Value::Bool(_)
    )
}

fn intern(name: &str) -> ID {
    // SAFETY: `name` is valid for its length; interning a short ASCII name
    // cannot raise.
    unsafe { rb_intern2(name.as_ptr().cast::<c_char>(), name.len() as c_long) }
}
