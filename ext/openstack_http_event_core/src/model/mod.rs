//! What the monitor hands over, whatever the service: ManageIQ's [`event`]
//! (with its [`trait_name`]s, shared across a page by [`page_names`]), the
//! `event_types_regex` [`filter`], and the lenient JSON reader every
//! service's body goes through ([`json`]).

pub mod event;
pub(crate) mod filter;
pub mod json;
pub(crate) mod page_names;
pub(crate) mod trait_name;
