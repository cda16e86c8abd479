//! The state file on disk (`http.state`): read strictly, replaced
//! atomically and durably — a temporary file in the same directory, mode
//! 0600, fsynced, renamed over the old one, then the directory fsynced — so
//! that a crash leaves either the old state or the new one, never a part.

use std::fs::OpenOptions;
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::shared::Shared;
use crate::state::snapshot::StateError;
use crate::state::Snapshot;

/// The option that names the file, as errors say it.
pub const OPTION: &str = "http.state";

/// One state file.
#[derive(Clone)]
pub struct StateFile {
    path: PathBuf,
    /// Whose secrets (passwords, tokens, derived ones) must never be
    /// written: a service's cursor could quote one.
    guard: Option<Arc<Shared>>,
}

impl std::fmt::Debug for StateFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StateFile").field("path", &self.path).finish_non_exhaustive()
    }
}

impl StateFile {
    pub fn new(path: PathBuf) -> Self {
        StateFile { path, guard: None }
    }

    /// Refuses to write a state holding one of the secrets `shared`'s
    /// scrubber knows.
    pub fn guarded(mut self, shared: Arc<Shared>) -> Self {
        self.guard = Some(shared);
        self
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn error(&self, message: impl std::fmt::Display) -> Error {
        Error::config(OPTION, format!("{}: {message}", self.path.display()))
    }

    /// The state the file holds; `None` when there is no file (a first
    /// start). Anything else that is not a whole state of this version is
    /// an error naming the file: never a silent start from scratch.
    pub fn read(&self) -> Result<Option<Snapshot>> {
        let text = match std::fs::read(&self.path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(self.error(format!("cannot read it: {e}"))),
        };
        let text = String::from_utf8(text).map_err(|_| self.error("not a readable state file (not UTF-8)"))?;
        Snapshot::parse(&text).map(Some).map_err(|e| match e {
            // it says what to do: there is nothing to restore
            StateError::Earlier(_) => self.error(e),
            e => self.error(format!("{e}; restore the file, or remove it to start from http.since (events may then be delivered again or missed)")),
        })
    }

    /// Replaces the file with `snapshot`, atomically and durably.
    pub fn write(&self, snapshot: &Snapshot) -> Result<()> {
        // the rest is the monitor's own (digests, times, the options' description without secrets): only
        // the service's cursor comes from the service, and short secrets would match hex digests by chance
        let quotes_secret = |shared: &Arc<Shared>| {
            snapshot.service_cursor.as_deref().is_some_and(|cursor| shared.scrubber.scrub(cursor) != cursor)
        };
        if self.guard.as_ref().is_some_and(quotes_secret) {
            return Err(self.error(
                "not written: the state would hold a password or token the monitor knows (in the service's own \
                 cursor)",
            ));
        }
        self.replace(snapshot.to_json().as_bytes()).map_err(|e| self.error(format!("cannot write it: {e}")))
    }

    fn replace(&self, bytes: &[u8]) -> io::Result<()> {
        let dir = match self.path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        let name = self.path.file_name().ok_or_else(|| io::Error::other("no file name"))?;
        let mut tmp_name = name.to_os_string();
        tmp_name.push(format!(".{}.tmp", std::process::id()));
        let tmp = dir.join(tmp_name);
        let written = (|| {
            let mut file = OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(&tmp)?;
            file.write_all(bytes)?;
            file.sync_all()?;
            drop(file);
            std::fs::rename(&tmp, &self.path)
        })();
        if written.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        written?;
        std::fs::File::open(dir)?.sync_all()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Stream;
    use crate::state::Position;
    use std::os::unix::fs::PermissionsExt;

    fn snapshot() -> Snapshot {
        Snapshot {
            stream: Stream::of(&serde_json::json!({"url": "http://x"})),
            position: Position { seed: [1, 2], delivered: vec![(5, None)], ..Position::default() },
            floor: None,
            service_cursor: None,
        }
    }

    #[test]
    fn a_missing_file_is_a_first_start_a_written_one_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let file = StateFile::new(dir.path().join("state.json"));
        assert_eq!(file.read().unwrap(), None);
        file.write(&snapshot()).unwrap();
        assert_eq!(file.read().unwrap(), Some(snapshot()));
        let mode = std::fs::metadata(file.path()).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        // replaced, no temporary file left beside it
        file.write(&snapshot()).unwrap();
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_state_quoting_a_known_secret_is_not_written() {
        let dir = tempfile::tempdir().unwrap();
        let shared = Arc::new(Shared::new());
        shared.scrubber.add("s3cret-token");
        let file = StateFile::new(dir.path().join("s")).guarded(shared);
        file.write(&snapshot()).unwrap();
        let leaky = Snapshot { service_cursor: Some("next?access_token=s3cret-token".into()), ..snapshot() };
        let message = file.write(&leaky).unwrap_err().to_string();
        assert!(message.contains("would hold a password or token") && !message.contains("s3cret"), "{message}");
        assert_eq!(file.read().unwrap(), Some(snapshot()), "the last good state stays");
    }

    #[test]
    fn a_corrupt_or_empty_file_is_an_error_naming_the_option_and_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        let file = StateFile::new(path.clone());
        for text in ["", "{\"format\":", "garbage"] {
            std::fs::write(&path, text).unwrap();
            let message = file.read().unwrap_err().to_string();
            assert!(message.starts_with("invalid option http.state: "), "{message}");
            assert!(message.contains(&path.display().to_string()) && message.contains("not a"), "{message}");
        }
    }

    #[test]
    fn a_version_1_file_is_refused_naming_the_option_and_saying_what_to_do() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("http.state");
        let file = StateFile::new(path.clone());
        file.write(&snapshot()).unwrap();
        let v1 = std::fs::read_to_string(&path).unwrap().replace("\"version\":2", "\"version\":1");
        std::fs::write(&path, &v1).unwrap();
        let message = file.read().unwrap_err().to_string();
        let expected =
            format!("invalid option http.state: {}: written by an earlier version of the gem", path.display());
        assert!(message.starts_with(&expected), "{message}");
        assert!(message.contains("remove the file to start afresh") && !message.contains("restore"), "{message}");
    }
}
