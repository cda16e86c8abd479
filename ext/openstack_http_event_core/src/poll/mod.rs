//! The polling engine: [`monitor`] runs the poll loop over a source, with
//! the [`cursor`] (where polling stands, what was delivered), [`paging`]
//! (progress checked on every page) and [`politeness`] (what the service's
//! headers ask of the requests to come).

pub(crate) mod cursor;
pub(crate) mod monitor;
pub(crate) mod paging;
pub(crate) mod politeness;

pub use cursor::Cursor;
pub use monitor::Monitor;
