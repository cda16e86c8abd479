//! What the poll tells the operator: log lines (service text clipped to a
//! readable length), failures counted in the stats, and retry warnings said
//! at growing intervals so that a dead service does not fill the log.

use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDateTime;

use crate::error::Error;
use crate::model::event::Skipped;
use crate::poll::cursor::CapReached;
use crate::poll::paging::Notice;
use crate::shared::{Level, Shared};
use crate::util::clip::clip_at;
use crate::util::timestamp;

/// The longest piece of service text (an id, a reason) put in a log line.
const SHOWN_CHARS: usize = 200;
/// The longest error message (which quotes the service) put in a log line.
const ERROR_SHOWN_CHARS: usize = 500;
/// Failures in a row past which a retried failure is logged as an error.
pub(super) const FAILURES_BEFORE_ERROR: u32 = 10;

/// The count of failures in a row at which the next retry warning is logged.
fn next_report(n: u32) -> u32 {
    let power = n.checked_next_power_of_two().unwrap_or(u32::MAX);
    let power = if power == n { n.saturating_mul(2) } else { power };
    if n < FAILURES_BEFORE_ERROR && power > FAILURES_BEFORE_ERROR {
        FAILURES_BEFORE_ERROR
    } else {
        power
    }
}

/// Service text cut to a length fit for a log line.
fn clip(text: &str) -> String {
    clip_at(text, SHOWN_CHARS)
}

/// Reports one monitor's polling through its [`Shared`].
pub(super) struct Reporter {
    shared: Arc<Shared>,
}

impl Reporter {
    pub(super) fn new(shared: Arc<Shared>) -> Self {
        Reporter { shared }
    }

    /// Logs what paging learned about the service.
    pub(super) fn notices(&self, notices: Vec<Notice>) {
        for notice in notices {
            match notice {
                Notice::MarkerIgnored => self.shared.log(
                    Level::Warn,
                    "the service ignores marker (it served the marker's row again): paging by timestamp only \
                     from now on"
                        .into(),
                ),
                Notice::RepeatedPage => self.shared.log(
                    Level::Warn,
                    "the service served the same page again (same rows, same next page): ending this drain; the \
                     next poll starts again from the cursor"
                        .into(),
                ),
                Notice::PageCap(rows) => self
                    .shared
                    .log(Level::Info, format!("the service returns at most {rows} rows per page, fewer than asked")),
                Notice::Overfull { at, rows, cap } => {
                    self.shared.lock_stats().unreadable += 1;
                    self.shared.log(
                        Level::Error,
                        format!(
                            "at least {rows} events share generated {}, and one page holds at most {cap} \
                             (http.max_page_size or the service's cap) on a service without a working marker: \
                             events on that timestamp past those {rows} cannot be read; moving past it",
                            timestamp::format(at)
                        ),
                    );
                }
                Notice::ShortTimestamp { at, rows, limit } => self.shared.log(
                    Level::Warn,
                    format!(
                        "asked for {limit} events the service answered {rows}, all generated {}, yet it holds \
                         later ones: if it caps pages at {rows}, events on that timestamp past those were not read",
                        timestamp::format(at)
                    ),
                ),
            }
        }
    }

    /// A failed request, in the stats.
    pub(super) fn error(&self, error: &Error) {
        let mut stats = self.shared.lock_stats();
        stats.errors += 1;
        stats.last_error = Some(self.shared.scrubber.scrub(&error.to_string()));
    }

    /// A failure polling rides out, the `n`-th in a row: said at the first,
    /// then at 2, 4, 8, … in a row, and when it turns into an error.
    pub(super) fn retrying(&self, n: u32, error: &Error, wait: Duration) {
        self.shared.lock_stats().retries += 1;
        if n.is_power_of_two() || n == FAILURES_BEFORE_ERROR {
            let level = if n < FAILURES_BEFORE_ERROR { Level::Warn } else { Level::Error };
            let in_a_row = match n {
                1 => String::new(),
                n => format!(" ({n} failures in a row; said again at {})", next_report(n)),
            };
            self.shared.log(
                level,
                format!(
                    "{}{in_a_row}; retrying in {:.1}s",
                    clip_at(&error.to_string(), ERROR_SHOWN_CHARS),
                    wait.as_secs_f64()
                ),
            );
        }
    }

    /// A 400 to a request carrying `marker`: paging goes by timestamp.
    pub(super) fn marker_refused(&self, error: &Error) {
        self.shared.log(
            Level::Warn,
            format!(
                "{}; the service does not take marker: paging by timestamp only from now on",
                clip_at(&error.to_string(), ERROR_SHOWN_CHARS)
            ),
        );
    }

    /// Malformed rows of a page of `rows`, reported once each.
    pub(super) fn skipped(&self, skipped: &[&Skipped], rows: usize) {
        if let Some(first) = skipped.first() {
            self.shared.log(
                Level::Warn,
                format!(
                    "skipped {} malformed event(s) of {rows}; first: {} ({})",
                    skipped.len(),
                    first.message_id.as_deref().map_or("no message_id".to_owned(), clip),
                    clip(&first.reason)
                ),
            );
        }
    }

    /// Events stamped past the service's clock and the allowed skew.
    pub(super) fn ahead(&self, ahead: usize, skew: Duration, now: NaiveDateTime, first: (&str, &str)) {
        let (id, generated) = first;
        self.shared.log(
            Level::Warn,
            format!(
                "{ahead} event(s) stamped more than {}s after the service's clock ({}): delivered, but the \
                 cursor does not move to them; first: {} generated {}",
                skew.as_secs_f64(),
                timestamp::format(now),
                clip(id),
                clip(generated)
            ),
        );
    }

    /// A cap on what the cursor remembers, reached.
    pub(super) fn caps(&self, caps: Vec<CapReached>) {
        for cap in caps {
            let message = match cap {
                CapReached::Ids(n) => format!(
                    "{n} message_ids remembered (http.max_remembered_ids): the oldest are forgotten from now on, \
                     so one re-read inside the back-read window may be delivered again"
                ),
                CapReached::Skipped(n) => format!(
                    "{n} malformed rows remembered (http.max_remembered_skipped): the oldest are forgotten from \
                     now on and counted again if served again"
                ),
            };
            self.shared.log(Level::Warn, message);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_warnings_come_at_growing_intervals_and_every_retry_counts() {
        let shared = Arc::new(Shared::new());
        let report = Reporter::new(Arc::clone(&shared));
        let error = Error::config("http.url", "is required");
        let mut said = Vec::new();
        for n in 1..=40 {
            report.retrying(n, &error, Duration::from_millis(1500));
            for (level, line) in shared.drain_logs() {
                assert!(line.ends_with("retrying in 1.5s"), "{line}");
                said.push((n, level));
            }
        }
        let at: Vec<u32> = said.iter().map(|(n, _)| *n).collect();
        assert_eq!(at, vec![1, 2, 4, 8, 10, 16, 32]);
        assert!(said.iter().all(|(n, level)| (*level == Level::Error) == (*n >= FAILURES_BEFORE_ERROR)));
        assert_eq!(shared.stats().retries, 40);
    }
}
