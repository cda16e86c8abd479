//! OpenStack Panko's v2 events API: `GET /v2/events` with `q.field`/`q.op`/
//! `q.value` filters, `limit`, `marker` (keyset on the default sort,
//! `generated` then `message_id` ascending) and `all_tenants`.

use url::Url;

use super::{Query, Source};

mod page;

use crate::util::timestamp;
pub use page::parse_page;

#[derive(Debug, Clone, Copy, Default)]
pub struct Panko;

impl Source for Panko {
    fn name(&self) -> &'static str {
        "panko"
    }

    fn describe(&self) -> &'static str {
        "Panko v2 events API (limit and marker)"
    }

    fn url(&self, base: &Url, query: &Query) -> Url {
        events_url(base, query, query.all_tenants, query.marker.as_deref())
    }

    fn supports_marker(&self) -> bool {
        true
    }

    fn supports_all_tenants(&self) -> bool {
        true
    }
}

/// `{base}/v2/events?q.field=…&q.op=…&q.value=…&limit=…&marker=…`, the
/// request both OpenStack dialects share. Sort is left to the service's
/// default. Every filter carries field, op and value, so the repeated
/// parameters line up by position.
pub(super) fn events_url(base: &Url, query: &Query, all_tenants: bool, marker: Option<&str>) -> Url {
    let mut url = base.clone();
    let path = format!("{}/v2/events", url.path().trim_end_matches('/'));
    url.set_path(&path);
    url.set_query(None);
    {
        let mut q = url.query_pairs_mut();
        if let Some(floor) = query.floor {
            q.append_pair("q.field", "start_timestamp")
                .append_pair("q.op", "ge")
                .append_pair("q.value", &timestamp::format(floor));
        }
        if all_tenants {
            q.append_pair("q.field", "all_tenants").append_pair("q.op", "eq").append_pair("q.value", "True");
        }
        q.append_pair("limit", &query.limit.to_string());
        if let Some(marker) = marker {
            q.append_pair("marker", marker);
        }
    }
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_query_carries_all_tenants_and_limit() {
        let q = Query { floor: None, all_tenants: true, limit: 100, marker: None, resume: None };
        let url = Panko.url(&Url::parse("http://p:8977/").unwrap(), &q);
        assert_eq!(url.as_str(), "http://p:8977/v2/events?q.field=all_tenants&q.op=eq&q.value=True&limit=100");
    }

    #[test]
    fn floor_and_marker_with_a_base_path() {
        let q = Query {
            floor: timestamp::parse("2016-03-14T14:22:00.5"),
            all_tenants: false,
            limit: 50,
            marker: Some("a b".into()),
            resume: None,
        };
        let url = Panko.url(&Url::parse("https://cloud/event/").unwrap(), &q);
        assert_eq!(
            url.as_str(),
            "https://cloud/event/v2/events?q.field=start_timestamp&q.op=ge&q.value=2016-03-14T14%3A22%3A00.500000&limit=50&marker=a+b"
        );
    }
}
