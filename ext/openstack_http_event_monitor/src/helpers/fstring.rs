//! Interned ("f") strings: Ruby keeps one frozen copy of each, so a trait
//! name seen in every event of a backlog is found, not allocated, and a Hash
//! uses it as its key without the copy it makes of an unfrozen String.

use magnus::rb_sys::FromRawValue;
use magnus::{RString, Ruby, Value};
use rb_sys::{rb_enc_interned_str, rb_utf8_encoding};

/// The interned, frozen UTF-8 String with the bytes of `text`.
///
/// `&Ruby` proves the caller holds the GVL on a Ruby thread.
pub fn interned(ruby: &Ruby, text: &str) -> RString {
    let len = libc::c_long::try_from(text.len()).unwrap_or(libc::c_long::MAX);
    // SAFETY: the GVL is held (the &Ruby witness); `text` is valid for `len`
    // bytes, UTF-8 as the encoding says; the function only raises for a
    // negative length, which the conversion above rules out. The VALUE it
    // returns is kept alive by the stack while the caller uses it.
    let value = unsafe { Value::from_raw(rb_enc_interned_str(text.as_ptr().cast(), len, rb_utf8_encoding())) };
    // Always a String; the check costs a tag test.
    RString::from_value(value).unwrap_or_else(|| ruby.str_new(text))
}
