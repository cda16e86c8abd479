//! The receiving end of a push: reads a body in the formats allowed
//! ([`super::decode`]), spools its events ([`crate::spool`]) and answers
//! only once they are durable. A sender that got a 2xx never loses its
//! events; one that got anything else keeps them (Ceilometer's publisher
//! logs and drops them, so a body is refused as a whole only when nothing
//! in it can be used). The answer says how many events were accepted, were
//! duplicates of events already spooled, and were malformed.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use chrono::Utc;
use serde_json::json;

use super::decode::{self, Formats};
use super::record;
use super::server::{Handler, Reply, Request, TurnedAway};
use crate::shared::{Level, Shared};
use crate::spool::{Spool, SpoolError};

/// Seconds a sender is asked to wait when the spool is full.
const FULL_RETRY_AFTER: u64 = 30;
/// The most characters of a sender's text put in a log line.
const SHOWN: usize = 200;

fn clip(text: &str) -> String {
    crate::util::clip::clip_at(text, SHOWN)
}

pub struct Receiver {
    spool: Arc<dyn Spool>,
    formats: Formats,
    max_nesting: usize,
    shared: Arc<Shared>,
    /// Whether the `raw_only` advice was logged (once per receiver).
    raw_only_told: AtomicBool,
    /// Requests the server turned away, by [`TurnedAway`] in declaration
    /// order: logged the 1st, 2nd, 4th, 8th … time, so a sender knocking
    /// with a wrong password cannot flood the log.
    turned_away: [AtomicU64; 5],
}

impl Receiver {
    pub fn new(spool: Arc<dyn Spool>, formats: Formats, max_nesting: usize, shared: Arc<Shared>) -> Receiver {
        Receiver {
            spool,
            formats,
            max_nesting,
            shared,
            raw_only_told: AtomicBool::new(false),
            turned_away: Default::default(),
        }
    }

    async fn receive(&self, request: Request) -> Reply {
        self.shared.lock_stats().requests += 1;
        let header = |name: &str| request.headers.get(name).and_then(|v| v.to_str().ok());
        let now = Utc::now().naive_utc();
        let received = match decode::read(header, &request.body, &self.formats, self.max_nesting, now) {
            Ok(received) => received,
            Err(rejected) => {
                self.shared.lock_stats().refused += 1;
                self.shared.log_message(
                    Level::Warn,
                    format!("refused a pushed body ({}): {}", rejected.status, clip(&rejected.message)),
                );
                return Reply::json(rejected.status, json!({ "error": rejected.message }));
            }
        };
        let malformed = received.skipped.len();
        if let Some(first) = received.skipped.first() {
            self.shared.lock_stats().skipped += malformed as u64;
            if first.reason == decode::RAW_ONLY {
                if !self.raw_only_told.swap(true, Ordering::Relaxed) {
                    self.shared.log_message(
                        Level::Error,
                        format!("a pushed body held {malformed} record(s) {}", decode::RAW_ONLY),
                    );
                }
            } else {
                let id = first.message_id.as_deref().map(|id| format!("{} ", clip(id))).unwrap_or_default();
                self.shared.log_message(
                    Level::Warn,
                    format!(
                        "skipped {malformed} malformed pushed event(s) of {}; first: {id}({})",
                        malformed + received.events.len(),
                        clip(&first.reason)
                    ),
                );
            }
        }
        let records = received.events.iter().map(|e| (e.message_id.clone(), record::encode(e))).collect();
        match self.spool.append(records).await {
            Ok(appended) => {
                let mut stats = self.shared.lock_stats();
                stats.received += appended.accepted as u64;
                stats.duplicates_dropped += appended.duplicates as u64;
                drop(stats);
                Reply::json(
                    200,
                    json!({"accepted": appended.accepted, "duplicates": appended.duplicates, "malformed": malformed}),
                )
            }
            Err(SpoolError::Full { used, max, .. }) => {
                self.shared.lock_stats().refused += 1;
                self.shared.log_message(
                    Level::Error,
                    format!(
                        "the spool is full ({used} of {max} bytes waiting for each_batch; \
                         http.source.max_spool_bytes): refused {} pushed event(s) with 503 — \
                         Ceilometer's publisher drops them",
                        received.events.len()
                    ),
                );
                try_again_later("the spool is full; try again later")
            }
            Err(e @ SpoolError::Database { .. }) => {
                // nothing was committed: the sender must send again
                self.shared.lock_stats().refused += 1;
                self.shared.log_message(Level::Error, format!("cannot spool pushed events: {e}; answered 503"));
                try_again_later("the spool is unavailable; try again later")
            }
            Err(e) => {
                self.shared.log_message(Level::Error, format!("cannot spool pushed events: {e}"));
                Reply::json(500, json!({"error": "the events could not be stored"}))
            }
        }
    }
}

/// A 503 saying when to send again: nothing of the request was kept.
fn try_again_later(error: &str) -> Reply {
    let mut reply = Reply::json(503, json!({ "error": error }));
    reply.headers.push(("retry-after", FULL_RETRY_AFTER.to_string()));
    reply
}

impl Handler for Receiver {
    fn handle(&self, request: Request) -> Pin<Box<dyn Future<Output = Reply> + Send + '_>> {
        Box::pin(self.receive(request))
    }

    fn turned_away(&self, why: TurnedAway) {
        let mut stats = self.shared.lock_stats();
        stats.requests += 1;
        stats.refused += 1;
        drop(stats);
        let n = self.turned_away[why as usize].fetch_add(1, Ordering::Relaxed) + 1;
        if n.is_power_of_two() {
            let times = if n == 1 { String::new() } else { format!(" ({n} times so far)") };
            self.shared.log_message(Level::Warn, format!("turned a pushed request away: {}{times}", why.describe()));
        }
    }
}

#[cfg(test)]
#[path = "receiver_tests.rs"]
mod tests;
