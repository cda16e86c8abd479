//! `event_types_regex`: a Ruby regexp, evaluated in Rust.
//!
//! ManageIQ's shipped defaults use look-ahead (`\A(?!firewall|…)`), which the
//! `regex` crate cannot compile, so this uses `fancy-regex` and translates the
//! few places where Ruby's syntax means something else.

use fancy_regex::Regex;

/// Ruby's `Regexp` options that change matching.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RubyFlags {
    pub ignorecase: bool,
    /// Ruby's `m`: `.` matches a newline (Rust's `s`).
    pub multiline: bool,
    pub extended: bool,
}

#[derive(Debug, Clone)]
pub struct EventTypeFilter {
    source: String,
    regex: Regex,
}

impl EventTypeFilter {
    /// Compiles a Ruby regexp source. The error message says what could not
    /// be compiled; the caller names the option.
    pub fn new(source: &str, flags: RubyFlags) -> Result<Self, String> {
        let translated = translate(source, flags);
        let regex = Regex::new(&translated).map_err(|e| format!("cannot compile /{source}/: {e}"))?;
        Ok(EventTypeFilter { source: source.to_owned(), regex })
    }

    pub fn source(&self) -> &str {
        &self.source
    }

    /// Ruby's `regexp.match(event_type)`: unanchored search. A match that
    /// gives up (backtrack limit) counts as no match.
    pub fn matches(&self, event_type: &str) -> bool {
        self.regex.is_match(event_type).unwrap_or(false)
    }
}

/// Rewrites Ruby-only escapes. In Ruby `^`/`$` always match at line breaks
/// (Rust's `m` flag) and Ruby's `m` flag is Rust's `s`.
fn translate(source: &str, flags: RubyFlags) -> String {
    let mut out = String::with_capacity(source.len() + 16);
    out.push_str("(?m");
    if flags.ignorecase {
        out.push('i');
    }
    if flags.multiline {
        out.push('s');
    }
    if flags.extended {
        out.push('x');
    }
    out.push(')');
    let mut chars = source.chars();
    let mut in_class = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('Z') if !in_class => out.push_str(r"(?=\n?\z)"),
                Some('h') => out.push_str(if in_class { "0-9a-fA-F" } else { "[0-9a-fA-F]" }),
                Some('H') if !in_class => out.push_str("[^0-9a-fA-F]"),
                Some(other) => {
                    out.push('\\');
                    out.push(other);
                }
                None => out.push('\\'),
            },
            '[' => {
                in_class = true;
                out.push(c);
            }
            ']' => {
                in_class = false;
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIQ_DEFAULT: &str =
        r"\A(?!firewall|floatingip|gateway|net|port|router|subnet|security_group|vpn|volume|snapshot|backup)";

    fn filter(source: &str) -> EventTypeFilter {
        EventTypeFilter::new(source, RubyFlags::default()).unwrap()
    }

    #[test]
    fn manageiq_default_with_negative_look_ahead() {
        let f = filter(MIQ_DEFAULT);
        assert!(f.matches("compute.instance.create.end"));
        assert!(f.matches("identity.authenticate"));
        assert!(!f.matches("port.create.end"));
        assert!(!f.matches("volume.attach.end"));
        assert!(!f.matches("network.create.end"));
    }

    #[test]
    fn storage_manager_default() {
        let f = filter(r"\A(volume|snapshot|backup)");
        assert!(f.matches("snapshot.create.end"));
        assert!(!f.matches("compute.instance.create.end"));
    }

    #[test]
    fn search_is_unanchored_and_flags_apply() {
        assert!(filter("create").matches("compute.instance.create.end"));
        let f = EventTypeFilter::new("COMPUTE", RubyFlags { ignorecase: true, ..Default::default() }).unwrap();
        assert!(f.matches("compute.instance.create.end"));
    }

    #[test]
    fn ruby_only_escapes() {
        assert!(filter(r"end\Z").matches("compute.end\n"));
        assert!(filter(r"\A\h+\z").matches("00ff"));
        assert!(!filter(r"\A\h+\z").matches("xyz"));
        assert!(filter(r"\A[\h.]+\z").matches("0f.a"));
    }

    #[test]
    fn uncompilable_source_is_an_error_naming_it() {
        let e = EventTypeFilter::new("(unclosed", RubyFlags::default()).unwrap_err();
        assert!(e.contains("/(unclosed/"), "{e}");
    }
}
