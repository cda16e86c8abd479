//! A trait's name: shared text, so that the events of a page whose traits
//! have the same names share one copy of each name instead of owning one
//! per trait (see [`Names`](crate::model::page_names::Names)).

use std::borrow::Borrow;
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

/// Immutable UTF-8 text, cheap to clone. Compares, hashes and prints as
/// the `str` it holds.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TraitName(Arc<str>);

impl TraitName {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether both are the same copy (not just the same text): a cheap
    /// first test for a cache keyed by name.
    pub fn same_copy(&self, other: &TraitName) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

/// Name → value pairs with owned names as pairs with trait names.
pub fn named<V>(pairs: Vec<(String, V)>) -> Vec<(TraitName, V)> {
    pairs.into_iter().map(|(name, value)| (TraitName::from(name), value)).collect()
}

impl Deref for TraitName {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for TraitName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for TraitName {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl From<&str> for TraitName {
    fn from(s: &str) -> Self {
        TraitName(Arc::from(s))
    }
}

impl From<String> for TraitName {
    fn from(s: String) -> Self {
        TraitName(Arc::from(s))
    }
}

impl PartialEq<str> for TraitName {
    fn eq(&self, other: &str) -> bool {
        &*self.0 == other
    }
}

impl PartialEq<&str> for TraitName {
    fn eq(&self, other: &&str) -> bool {
        &*self.0 == *other
    }
}

impl fmt::Debug for TraitName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl fmt::Display for TraitName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&*self.0, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn behaves_as_its_text() {
        let a = TraitName::from("tenant_id");
        let b = TraitName::from(String::from("tenant_id"));
        assert_eq!(a, b);
        assert!(a == "tenant_id");
        assert_eq!(format!("{a:?} {a}"), r#""tenant_id" tenant_id"#);
        assert!(!a.same_copy(&b));
        assert!(a.same_copy(&a.clone()));
    }
}
