//! The dialects `http.source` may name, and the one a Keystone catalog's
//! service type speaks: the one place a new dialect is registered.

use std::sync::Arc;

use super::{ceilometer, panko, Source};

/// The sources `http.source` may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Panko,
    Ceilometer,
}

impl Kind {
    /// Every kind, in the order an error message lists them.
    pub const ALL: [Kind; 2] = [Kind::Panko, Kind::Ceilometer];

    /// The kind `http.source` spells `name`.
    pub fn named(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == name)
    }

    pub fn name(self) -> &'static str {
        match self {
            Kind::Panko => "panko",
            Kind::Ceilometer => "ceilometer",
        }
    }

    /// The source that speaks this dialect.
    pub fn source(self) -> Arc<dyn Source> {
        match self {
            Kind::Panko => Arc::new(panko::Panko),
            Kind::Ceilometer => Arc::new(ceilometer::Ceilometer),
        }
    }

    /// The dialect a Keystone catalog's service type speaks: `event` is
    /// Panko, `metering` Ceilometer's own v2 events API.
    pub fn for_catalog_type(kind: &str) -> Option<Kind> {
        match kind {
            "event" => Some(Kind::Panko),
            "metering" => Some(Kind::Ceilometer),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_by_name_and_catalog_type() {
        assert_eq!(Kind::named("ceilometer"), Some(Kind::Ceilometer));
        assert_eq!(Kind::named("bogus"), None);
        assert_eq!(Kind::for_catalog_type("metering"), Some(Kind::Ceilometer));
        assert_eq!(Kind::for_catalog_type("event"), Some(Kind::Panko));
        for kind in Kind::ALL {
            assert_eq!(kind.source().name(), kind.name());
        }
    }
}
