//! Where polling stands, as a state file holds it (`http.state`): enough
//! for a restarted monitor to go on reading the same stream without
//! delivering again what was delivered, or skipping what was not.
//!
//! A [`Snapshot`] holds
//! - the stream it belongs to ([`Stream`]: which options decide what is
//!   read, as a SHA-256 and a description without secrets);
//! - the cursor ([`Position`]): the configured start, the newest service
//!   timestamp taken in, the digest seed and the `message_id` digests of
//!   the back-read window (delivered, and malformed rows reported), each
//!   with the time until which it is remembered;
//! - the service's own cursor (a record id or change-feed token of the
//!   generic JSON source), when it keeps one.
//!
//! The file is JSON, written by [`Snapshot::to_json`] and read strictly by
//! [`Snapshot::parse`]: any unknown, missing or malformed field, another
//! format version, or a truncated file is an error, never a fresh start.
//! A version-1 file (digests of `str::hash` fed to std's SipHasher, which
//! a toolchain may change) cannot be converted, as the ids are not kept:
//! it is refused with what to do ([`StateError::Earlier`]).
//! It holds no password or token: the URL is shown without its password
//! and query, the options that may hold secrets only enter the SHA-256.

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::config::Stream;
use crate::util::timestamp;

/// What the file says it is.
pub const FORMAT: &str = "openstack_http_event_monitor state";
/// The version of the file's layout this build reads and writes: 2 since
/// the digests are SipHash-2-4 (128-bit output) of the id's bytes under a
/// 128-bit seed.
pub const VERSION: u32 = 2;

/// Why a state could not be read; the caller names the file and option.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StateError {
    /// Not JSON, truncated, or a field missing, unknown or of the wrong type.
    #[error("not a readable state file ({0})")]
    Corrupt(String),
    /// Another program's JSON, or another version of this one's.
    #[error("{0}")]
    Version(String),
    /// A file of an earlier version whose digests this one cannot compute,
    /// so cannot tell what it delivered; not to be restored, only removed.
    #[error(
        "written by an earlier version of the gem (state file version {0}), whose de-duplication digests this \
         version cannot read; remove the file to start afresh from ManageIQ's newest event or :since \
         (http.since): events of the back-read window may then be delivered once more"
    )]
    Earlier(u32),
    /// A field that parsed as JSON but holds a bad value.
    #[error("bad {field}: {message}")]
    Field { field: &'static str, message: String },
}

/// One remembered `message_id` digest and the service time until which it
/// is remembered (`None`: no time known, forgotten at the first floor).
pub type Remembered = (u128, Option<NaiveDateTime>);

/// The cursor's part of a state (see [`crate::poll::cursor::Cursor::position_state`]).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Position {
    /// The configured start.
    pub since: Option<NaiveDateTime>,
    /// The newest service timestamp taken in.
    pub newest: Option<NaiveDateTime>,
    /// The key of the `message_id` digests (SipHash's k0 and k1).
    pub seed: [u64; 2],
    /// Delivered `message_id`s still inside the window.
    pub delivered: Vec<Remembered>,
    /// Malformed rows reported, still inside the window.
    pub skipped: Vec<Remembered>,
}

/// Where polling of one stream stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    pub stream: Stream,
    pub position: Position,
    /// Lower bound of the next query (derived; written for people).
    pub floor: Option<NaiveDateTime>,
    /// The service's own cursor, for a source that keeps one.
    pub service_cursor: Option<String>,
}

/// The file's layout. Every field is required; unknown ones are refused.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Wire {
    format: String,
    version: u32,
    stream: String,
    stream_id: String,
    since: Option<String>,
    newest_seen: Option<String>,
    floor: Option<String>,
    service_cursor: Option<String>,
    digest_seed: String,
    delivered: Vec<(String, Option<String>)>,
    skipped: Vec<(String, Option<String>)>,
}

/// Nanoseconds kept: a restored cursor stands exactly where it stood.
fn format_time(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.9f").to_string()
}

fn parse_time(field: &'static str, text: &str) -> Result<NaiveDateTime, StateError> {
    timestamp::parse(text)
        .ok_or_else(|| StateError::Field { field, message: format!("{text:?} is not an ISO 8601 timestamp") })
}

fn parse_times(field: &'static str, text: &Option<String>) -> Result<Option<NaiveDateTime>, StateError> {
    text.as_deref().map(|t| parse_time(field, t)).transpose()
}

fn parse_key(field: &'static str, text: &str) -> Result<u128, StateError> {
    if text.len() != 32 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(StateError::Field { field, message: format!("{text:?} is not 32 hex digits") });
    }
    u128::from_str_radix(text, 16).map_err(|e| StateError::Field { field, message: e.to_string() })
}

fn write_entries(entries: &[Remembered]) -> Vec<(String, Option<String>)> {
    entries.iter().map(|(key, at)| (format!("{key:032x}"), at.map(format_time))).collect()
}

fn read_entries(field: &'static str, entries: &[(String, Option<String>)]) -> Result<Vec<Remembered>, StateError> {
    entries.iter().map(|(key, at)| Ok((parse_key(field, key)?, parse_times(field, at)?))).collect()
}

impl Snapshot {
    /// The state as the file holds it: one JSON object, a trailing newline.
    pub fn to_json(&self) -> String {
        let p = &self.position;
        let wire = Wire {
            format: FORMAT.into(),
            version: VERSION,
            stream: self.stream.described.clone(),
            stream_id: self.stream.id.clone(),
            since: p.since.map(format_time),
            newest_seen: p.newest.map(format_time),
            floor: self.floor.map(format_time),
            service_cursor: self.service_cursor.clone(),
            digest_seed: p.seed.iter().map(|k| format!("{k:016x}")).collect(),
            delivered: write_entries(&p.delivered),
            skipped: write_entries(&p.skipped),
        };
        // a struct of Strings and numbers always serialises
        let mut text = serde_json::to_string(&wire).unwrap_or_default();
        text.push('\n');
        text
    }

    /// Reads a state strictly: anything but a whole state of this version
    /// is an error.
    pub fn parse(text: &str) -> Result<Snapshot, StateError> {
        // the format and version first, so that another version is named as such
        let head: Value = serde_json::from_str(text).map_err(|e| StateError::Corrupt(e.to_string()))?;
        if head.get("format").and_then(Value::as_str) != Some(FORMAT) {
            return Err(StateError::Version(format!("not a state file of this gem (no \"format\": {FORMAT:?})")));
        }
        match head.get("version").and_then(Value::as_u64) {
            Some(v) if v == u64::from(VERSION) => {}
            Some(1) => return Err(StateError::Earlier(1)),
            Some(v) => {
                return Err(StateError::Version(format!(
                    "state file version {v}, this version of the gem reads version {VERSION}"
                )))
            }
            None => return Err(StateError::Corrupt("no version".into())),
        }
        let wire: Wire = serde_json::from_value(head).map_err(|e| StateError::Corrupt(e.to_string()))?;
        let seed_text = &wire.digest_seed;
        if seed_text.len() != 32 || !seed_text.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(StateError::Field { field: "digest_seed", message: "is not 32 hex digits".into() });
        }
        let mut seed = [0u64; 2];
        for (i, k) in seed.iter_mut().enumerate() {
            *k = u64::from_str_radix(&seed_text[i * 16..(i + 1) * 16], 16)
                .map_err(|e| StateError::Field { field: "digest_seed", message: e.to_string() })?;
        }
        if wire.stream_id.len() != 64 || !wire.stream_id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(StateError::Field { field: "stream_id", message: "is not a SHA-256 in hex".into() });
        }
        Ok(Snapshot {
            stream: Stream { id: wire.stream_id, described: wire.stream },
            position: Position {
                since: parse_times("since", &wire.since)?,
                newest: parse_times("newest_seen", &wire.newest_seen)?,
                seed,
                delivered: read_entries("delivered", &wire.delivered)?,
                skipped: read_entries("skipped", &wire.skipped)?,
            },
            floor: parse_times("floor", &wire.floor)?,
            service_cursor: wire.service_cursor,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn at(text: &str) -> NaiveDateTime {
        timestamp::parse(text).unwrap()
    }

    fn sample() -> Snapshot {
        Snapshot {
            stream: Stream::of(&json!({"url": "http://panko:8977", "auth": {"type": "none"}})),
            position: Position {
                since: Some(at("2026-01-01T00:00:00")),
                newest: Some(at("2026-01-01T00:00:09.123456789")),
                seed: [u64::MAX, 0xdead_beef],
                delivered: vec![(u128::MAX, Some(at("2026-01-01T00:00:09.123456789"))), (7, None)],
                skipped: vec![(42, Some(at("2026-01-01T00:00:05")))],
            },
            floor: Some(at("2026-01-01T00:00:04.123456789")),
            service_cursor: Some("token \"42\"".into()),
        }
    }

    #[test]
    fn a_snapshot_reads_back_the_same_to_the_nanosecond() {
        let s = sample();
        let text = s.to_json();
        assert!(text.ends_with('\n') && text.starts_with('{'), "{text}");
        assert_eq!(Snapshot::parse(&text), Ok(s));
    }

    #[test]
    fn truncated_or_corrupt_text_is_an_error_never_an_empty_state() {
        let text = sample().to_json();
        for cut in [0, 1, text.len() / 2, text.len() - 3] {
            assert!(matches!(Snapshot::parse(&text[..cut]), Err(StateError::Corrupt(_))), "cut at {cut}");
        }
        let bad_key = text.replace(&format!("{:032x}", u128::MAX), "zz");
        assert!(matches!(Snapshot::parse(&bad_key), Err(StateError::Field { field: "delivered", .. })));
        let bad_time = text.replace("2026-01-01T00:00:05.000000000", "yesterday");
        assert!(matches!(Snapshot::parse(&bad_time), Err(StateError::Field { field: "skipped", .. })));
        let unknown = text.replacen('{', "{\"extra\":1,", 1);
        assert!(matches!(Snapshot::parse(&unknown), Err(StateError::Corrupt(m)) if m.contains("extra")));
        let missing = text.replace("\"floor\"", "\"flor\"");
        assert!(Snapshot::parse(&missing).is_err());
    }

    #[test]
    fn another_version_or_another_programs_json_is_named_as_such() {
        let text = sample().to_json();
        let v3 = text.replace("\"version\":2", "\"version\":3");
        let message = Snapshot::parse(&v3).unwrap_err().to_string();
        assert!(message.contains("version 3") && message.contains("reads version 2"), "{message}");
        let other = Snapshot::parse("{\"cursor\": 1}").unwrap_err().to_string();
        assert!(other.contains("not a state file"), "{other}");
    }

    #[test]
    fn a_version_1_file_is_refused_saying_its_digests_cannot_be_read_and_what_to_do() {
        // as version 1 wrote it: a 256-bit seed, digests of str::hash under std's SipHasher
        let v1 = r#"{"format":"openstack_http_event_monitor state","version":1,"stream":"source=auto url=http://x/","stream_id":"a2c3b8d1e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90","since":null,"newest_seen":"2026-01-01T00:00:09.000000000","floor":"2026-01-01T00:00:04.000000000","service_cursor":null,"digest_seed":"0000000000000001000000000000000200000000000000030000000000000004","delivered":[["0123456789abcdef0123456789abcdef","2026-01-01T00:00:09.000000000"]],"skipped":[]}"#;
        let error = Snapshot::parse(v1).unwrap_err();
        assert_eq!(error, StateError::Earlier(1));
        let message = error.to_string();
        for words in [
            "written by an earlier version of the gem (state file version 1)",
            "de-duplication digests this version cannot read",
            "remove the file to start afresh from ManageIQ's newest event or :since",
            "back-read window may then be delivered once more",
        ] {
            assert!(message.contains(words), "{words:?} in {message}");
        }
        // a truncated one is still just unreadable
        assert!(matches!(Snapshot::parse(&v1[..v1.len() / 2]), Err(StateError::Corrupt(_))));
    }

    #[test]
    fn the_stream_depends_on_what_is_read_not_on_credentials_or_timeouts() {
        let base = json!({"url": "http://panko:8977", "auth": {"type": "keystone", "url": "http://k:5000",
                          "username": "u", "password": "hunter2", "project_name": "admin"}});
        let mut other_password = base.clone();
        other_password["auth"]["password"] = json!("other");
        other_password["page_size"] = json!(5);
        assert_eq!(Stream::of(&base), Stream::of(&other_password));
        for (key, value) in [
            ("url", json!("http://panko2:8977")),
            ("all_tenants", json!(false)),
            ("event_types_regex", json!("^compute")),
            ("source", json!("ceilometer")),
        ] {
            let mut changed = base.clone();
            changed[key] = value;
            assert_ne!(Stream::of(&base).id, Stream::of(&changed).id, "{key}");
        }
        let mut project = base.clone();
        project["auth"]["project_name"] = json!("demo");
        assert_ne!(Stream::of(&base).id, Stream::of(&project).id);
    }

    #[test]
    fn no_password_or_token_goes_into_the_file() {
        let http = json!({"url": "http://user:pa55word@panko:8977/?token=t0ken",
                          "source": {"type": "json", "headers": {"X-Auth-Token": "s3cret"}},
                          "auth": {"type": "token", "token": "t0ken"}});
        let mut s = sample();
        s.stream = Stream::of(&http);
        let text = s.to_json();
        for secret in ["pa55word", "t0ken", "s3cret"] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
        assert!(text.contains("url=http://user@panko:8977/"), "{text}");
    }
}
