//! `Limits`: the caps on what a service can make the monitor hold or wait
//! for (`http.max_response_bytes`, `http.max_nesting`, …), their defaults,
//! and the page size bounds (`http.page_size`, `http.max_page_size`).

use std::time::Duration;

pub const DEFAULT_PAGE_SIZE: u32 = 100;
pub const MAX_PAGE_SIZE: u32 = 10_000;
/// The highest `http.max_page_size` accepted.
pub const LARGEST_PAGE_SIZE: u64 = 1_000_000;
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 64 * 1024 * 1024;
pub const DEFAULT_MAX_HEADER_BYTES: u64 = 64 * 1024;
pub const DEFAULT_MAX_REMEMBERED_IDS: u64 = 1_000_000;
pub const DEFAULT_MAX_REMEMBERED_SKIPPED: u64 = 10_000;
/// Ruby's `JSON.parse` default `max_nesting`.
pub const DEFAULT_MAX_NESTING: u64 = 100;
/// The longest wait a service can impose, in seconds.
pub const DEFAULT_MAX_SERVICE_WAIT: u64 = 600;

/// Caps on what a service can make the monitor hold or wait for.
#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    /// The longest response body read (`http.max_response_bytes`).
    pub max_response_bytes: u64,
    /// The largest response head (`http.max_header_bytes`).
    pub max_header_bytes: u64,
    /// An event stamped more than this after the service's clock is
    /// delivered but does not move the cursor (`http.max_clock_skew`).
    pub max_clock_skew: Duration,
    /// `message_id`s remembered for de-duplication (`http.max_remembered_ids`).
    pub max_remembered_ids: usize,
    /// Malformed rows remembered so that each is reported once
    /// (`http.max_remembered_skipped`).
    pub max_remembered_skipped: usize,
    /// Nesting depth of a value inside a row (`http.max_nesting`); a deeper
    /// row is skipped.
    pub max_nesting: usize,
    /// The largest `limit` asked for when a service without a working
    /// `marker` serves full pages of one timestamp (`http.max_page_size`).
    pub max_page_size: u32,
    /// The longest wait a service can impose (`Retry-After`, a rate
    /// limit's reset, a poll interval header): `http.max_service_wait`.
    pub max_service_wait: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            max_header_bytes: DEFAULT_MAX_HEADER_BYTES,
            max_clock_skew: Duration::from_secs(300),
            max_remembered_ids: DEFAULT_MAX_REMEMBERED_IDS as usize,
            max_remembered_skipped: DEFAULT_MAX_REMEMBERED_SKIPPED as usize,
            max_nesting: DEFAULT_MAX_NESTING as usize,
            max_page_size: MAX_PAGE_SIZE,
            max_service_wait: Duration::from_secs(DEFAULT_MAX_SERVICE_WAIT),
        }
    }
}
