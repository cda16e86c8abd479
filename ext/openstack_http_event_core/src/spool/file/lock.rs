//! `<dir>/lock`: one spool per directory. The lock is an exclusive `flock`
//! on the file (the kernel drops it when its holder dies, so a stale lock
//! cannot outlive a crash); the holder writes its pid in it so the next one
//! can be named in the error.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::Write;
use std::path::Path;

use crate::spool::SpoolError;

const FILE: &str = "lock";

/// Held while the spool is open; dropping it releases the lock.
#[derive(Debug)]
pub(crate) struct DirLock {
    _file: File,
}

impl DirLock {
    /// Takes the lock of `dir`, or names the process holding it.
    pub(crate) fn acquire(dir: &Path) -> Result<DirLock, SpoolError> {
        let path = dir.join(FILE);
        let io = || SpoolError::io(&path);
        let mut file =
            OpenOptions::new().read(true).write(true).create(true).truncate(false).open(&path).map_err(io())?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let pid = std::fs::read_to_string(&path).ok().and_then(|s| s.trim().parse().ok());
                return Err(SpoolError::Locked { dir: dir.to_path_buf(), pid });
            }
            Err(TryLockError::Error(e)) => return Err(io()(e)),
        }
        file.set_len(0).map_err(io())?;
        writeln!(file, "{}", std::process::id()).map_err(io())?;
        Ok(DirLock { _file: file })
    }
}
