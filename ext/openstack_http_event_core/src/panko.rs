//! Panko's v2 events API: the query one poll sends.

use chrono::NaiveDateTime;
use url::Url;

use crate::timestamp;

/// The most characters of a marker a log line shows.
const MARKER_SHOWN: usize = 100;

/// One `GET /v2/events`. Sort is left to the service's default,
/// (`generated`, `message_id`) ascending, which `marker` pages on.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Query {
    /// `start_timestamp ge floor`; none on a first poll without a start.
    pub floor: Option<NaiveDateTime>,
    pub all_tenants: bool,
    pub limit: u32,
    /// `message_id` of the last row of the previous page of this drain.
    pub marker: Option<String>,
}

impl Query {
    /// `{base}/v2/events?q.field=…&q.op=…&q.value=…&limit=…&marker=…`.
    /// Every filter carries field, op and value, so the repeated parameters
    /// line up by position.
    pub fn url(&self, base: &Url) -> Url {
        let mut url = base.clone();
        let path = format!("{}/v2/events", url.path().trim_end_matches('/'));
        url.set_path(&path);
        url.set_query(None);
        {
            let mut q = url.query_pairs_mut();
            if let Some(floor) = self.floor {
                q.append_pair("q.field", "start_timestamp")
                    .append_pair("q.op", "ge")
                    .append_pair("q.value", &timestamp::format(floor));
            }
            if self.all_tenants {
                q.append_pair("q.field", "all_tenants").append_pair("q.op", "eq").append_pair("q.value", "True");
            }
            q.append_pair("limit", &self.limit.to_string());
            if let Some(marker) = &self.marker {
                q.append_pair("marker", marker);
            }
        }
        url
    }

    /// What the query asks for, for the poll's log line.
    pub fn describe(&self) -> String {
        let mut text = match self.floor {
            Some(f) => format!("events with start_timestamp >= {}", timestamp::format(f)),
            None => "all events".to_owned(),
        };
        if self.all_tenants {
            text.push_str(", all tenants");
        }
        text.push_str(&format!(", limit {}", self.limit));
        if let Some(m) = &self.marker {
            // a service's id can be of any length: a log line shows its start
            match m.char_indices().nth(MARKER_SHOWN) {
                Some((end, _)) => text.push_str(&format!(", after marker {}… ({} bytes)", &m[..end], m.len())),
                None => text.push_str(&format!(", after marker {m}")),
            }
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_query_carries_all_tenants_and_limit() {
        let q = Query { floor: None, all_tenants: true, limit: 100, marker: None };
        let url = q.url(&Url::parse("http://p:8977/").unwrap());
        assert_eq!(url.as_str(), "http://p:8977/v2/events?q.field=all_tenants&q.op=eq&q.value=True&limit=100");
    }

    #[test]
    fn floor_and_marker_with_a_base_path() {
        let q = Query {
            floor: timestamp::parse("2016-03-14T14:22:00.5"),
            all_tenants: false,
            limit: 50,
            marker: Some("a b".into()),
        };
        let url = q.url(&Url::parse("https://cloud/event/").unwrap());
        assert_eq!(
            url.as_str(),
            "https://cloud/event/v2/events?q.field=start_timestamp&q.op=ge&q.value=2016-03-14T14%3A22%3A00.500000&limit=50&marker=a+b"
        );
        assert!(q.describe().contains(">= 2016-03-14T14:22:00.500000"));
        let long = Query { marker: Some("m".repeat(5000)), ..q };
        assert!(long.describe().len() < 300 && long.describe().contains("(5000 bytes)"), "{}", long.describe());
    }
}
