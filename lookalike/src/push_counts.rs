//! What the push publisher has done so far, for `GET /_control/pushed`.

use serde_json::{json, Value};

/// Events by outcome, and the POSTs answered.
#[derive(Default, Debug, Clone, PartialEq, Eq)]
pub struct PushCounts {
    /// Events in POSTs answered 2xx.
    pub accepted: u64,
    /// Events in POSTs answered 4xx/5xx (or anything else but 2xx): the
    /// batch is dropped, as Ceilometer's publisher drops it.
    pub dropped: u64,
    /// Events whose POST got no answer: no connection after the retries,
    /// a timeout, or a connection lost mid-request.
    pub failed: u64,
    /// POSTs answered, whatever the status.
    pub posts: u64,
    /// The message_ids of the accepted events, in the order posted.
    pub accepted_ids: Vec<String>,
}

impl PushCounts {
    pub fn to_json(&self) -> Value {
        json!({"accepted": self.accepted, "dropped": self.dropped, "failed": self.failed, "posts": self.posts,
               "accepted_ids": self.accepted_ids})
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_every_count() {
        let counts =
            PushCounts { accepted: 2, dropped: 3, failed: 4, posts: 5, accepted_ids: vec!["a".into(), "b".into()] };
        assert_eq!(
            counts.to_json(),
            json!({"accepted": 2, "dropped": 3, "failed": 4, "posts": 5, "accepted_ids": ["a", "b"]})
        );
    }
}
