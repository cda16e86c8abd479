//! The small pieces the Ruby classes are built from, none of them a Ruby
//! class itself, several of them unsafe: running Rust without the GVL
//! (`nogvl`), interned Strings (`fstring`), Ruby options to JSON and core
//! events to Ruby Hashes (`convert`), and the raw `rb_*` hot path that
//! makes `OpenstackEvent` objects (`factory`), and a future run on the
//! spot when it cannot wait (`ready`).

pub mod convert;
pub mod factory;
pub mod fstring;
pub mod nogvl;
pub mod ready;
