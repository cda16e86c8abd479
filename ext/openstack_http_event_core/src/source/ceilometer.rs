//! Ceilometer's own v2 events API (`metering` in the catalog), the events
//! endpoint Panko was split from. `GET /v2/events` takes only `q` filters
//! (`start_timestamp` with `ge`, as Panko) and `limit`: a `marker` is an
//! unknown argument (400), and rows come ordered by `generated` alone, so
//! paging goes by timestamp from the start. It has no `all_tenants` either:
//! that field would filter on a trait of that name and match nothing; an
//! admin sees its own project's events and those without a project.

use url::Url;

use super::panko::events_url;
use super::{Query, Source};

#[derive(Debug, Clone, Copy, Default)]
pub struct Ceilometer;

impl Source for Ceilometer {
    fn name(&self) -> &'static str {
        "ceilometer"
    }

    fn describe(&self) -> &'static str {
        "Ceilometer v2 events API (limit, paging by timestamp: no marker)"
    }

    fn url(&self, base: &Url, query: &Query) -> Url {
        events_url(base, query, false, None)
    }

    fn supports_marker(&self) -> bool {
        false
    }

    fn supports_all_tenants(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::timestamp;

    #[test]
    fn never_sends_marker_nor_all_tenants() {
        let q = Query {
            floor: timestamp::parse("2016-03-14T14:22:00"),
            all_tenants: true,
            limit: 200,
            marker: Some("m-1".into()),
            resume: None,
        };
        let url = Ceilometer.url(&Url::parse("http://ceilometer:8777").unwrap(), &q);
        assert_eq!(
            url.as_str(),
            "http://ceilometer:8777/v2/events?q.field=start_timestamp&q.op=ge&q.value=2016-03-14T14%3A22%3A00.000000&limit=200"
        );
        assert!(!Ceilometer.supports_marker() && !Ceilometer.supports_all_tenants());
    }
}
