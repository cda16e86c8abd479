//! The trait names met on one page, so that each is made once and shared by
//! every event that has it.

use crate::name::TraitName;

/// Names kept; a page with more distinct names makes the rest once per
/// trait (correct, just slower).
const MAX_NAMES: usize = 64;

/// The names of one page, in order of first appearance.
#[derive(Default)]
pub struct Names {
    known: Vec<TraitName>,
}

impl Names {
    /// The shared copy of `text`, made on first use. `hint` is where the
    /// name was the last time (the trait's position in its event: the
    /// events of a page mostly list the same traits in the same order),
    /// tried before the others.
    pub fn get(&mut self, text: &str, hint: usize) -> TraitName {
        if let Some(known) = self.known.get(hint) {
            if known.as_str() == text {
                return known.clone();
            }
        }
        if let Some(known) = self.known.iter().find(|k| k.as_str() == text) {
            return known.clone();
        }
        let name = TraitName::from(text);
        if self.known.len() < MAX_NAMES {
            self.known.push(name.clone());
        }
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_text_is_the_same_copy_whatever_the_hint() {
        let mut names = Names::default();
        let a = names.get("a", 0);
        let b = names.get("b", 1);
        assert!(names.get("a", 0).same_copy(&a));
        assert!(names.get("a", 1).same_copy(&a));
        assert!(names.get("b", 7).same_copy(&b));
        assert_eq!(names.get("c", 0), "c");
        assert!(!a.same_copy(&b));
    }

    #[test]
    fn past_the_cap_names_are_still_right() {
        let mut names = Names::default();
        for i in 0..MAX_NAMES + 10 {
            assert_eq!(names.get(&format!("n{i}"), i), format!("n{i}").as_str());
        }
        assert_eq!(names.get("n70", 0), "n70");
    }
}
