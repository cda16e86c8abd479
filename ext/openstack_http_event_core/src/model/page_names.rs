//! The trait names met on one page, so that each is made once and shared by
//! every event that has it.

use crate::model::trait_name::TraitName;

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
    #[inline]
    pub fn get(&mut self, text: &str, hint: usize) -> TraitName {
        let text_bytes = text.as_bytes();
        if let Some(known) = self.known.get(hint) {
            if same(known.as_bytes(), text_bytes) {
                return known.clone();
            }
        }
        if let Some(known) = self.known.iter().find(|k| same(k.as_bytes(), text_bytes)) {
            return known.clone();
        }
        let name = TraitName::from(text);
        if self.known.len() < MAX_NAMES {
            self.known.push(name.clone());
        }
        name
    }
}

/// `a == b`, word by word: names are short, and a call to `memcmp` costs
/// more than comparing them here.
fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let (mut a_words, mut b_words) = (a.chunks_exact(8), b.chunks_exact(8));
    for (x, y) in (&mut a_words).zip(&mut b_words) {
        if x != y {
            return false;
        }
    }
    a_words.remainder().iter().zip(b_words.remainder()).all(|(x, y)| x == y)
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
    fn compares_whole_names() {
        for (a, b) in [("", ""), ("a", "a"), ("tenant_id", "tenant_id"), ("0123456789abcdef", "0123456789abcdef")] {
            assert!(same(a.as_bytes(), b.as_bytes()), "{a} {b}");
        }
        for (a, b) in
            [("a", ""), ("a", "b"), ("tenant_id", "tenant_ix"), ("xenant_id", "tenant_id"), ("abcdefgh", "abcdefgi")]
        {
            assert!(!same(a.as_bytes(), b.as_bytes()), "{a} {b}");
        }
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
