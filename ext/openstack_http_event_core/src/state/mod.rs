//! Start and resume (`http.state`): the [`snapshot`] of where polling
//! stands, its [`file`](mod@file) (written atomically), and the [`keeper`] that moves
//! it only past what Ruby acknowledged.

pub(crate) mod file;
pub(crate) mod keeper;
pub(crate) mod snapshot;

pub use snapshot::{Position, Remembered, Snapshot};
