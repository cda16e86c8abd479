//! The polling engine: [`monitor`] runs the poll loop over a source, with
//! the [`cursor`] (where polling stands, what was delivered), [`paging`]
//! (progress checked on every page) and [`politeness`] (what the service's
//! headers ask of the requests to come); the session with the service
//! (authentication, the catalog's endpoint, `all_tenants`), the prefetch of
//! a drain's next page, reading an answer and reporting are each a type of
//! their own beside it.

mod answer;
pub(crate) mod cursor;
pub(crate) mod monitor;
pub(crate) mod paging;
pub(crate) mod politeness;
mod prefetch;
mod report;
mod session;

pub use cursor::Cursor;
