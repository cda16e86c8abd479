//! The one tokio runtime of the process, shared by every monitor, created on
//! first use and created anew in a forked child (whose copy of the parent's
//! runtime has no threads behind it).

use std::sync::{Arc, Mutex};

use tokio::runtime::Runtime;

pub const WORKER_THREADS: usize = 2;
pub const MAX_BLOCKING_THREADS: usize = 4;

static RUNTIME: Mutex<Option<(u32, Arc<Runtime>)>> = Mutex::new(None);

/// The shared runtime, (re)built when missing or inherited through `fork`.
pub fn shared() -> std::io::Result<Arc<Runtime>> {
    let pid = std::process::id();
    let mut slot = RUNTIME.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some((owner, rt)) = slot.as_ref() {
        if *owner == pid {
            return Ok(Arc::clone(rt));
        }
    }
    if let Some((_, inherited)) = slot.take() {
        // Its threads live only in the parent: dropping it here would wait
        // for them forever.
        std::mem::forget(inherited);
    }
    let rt = Arc::new(
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(WORKER_THREADS)
            .max_blocking_threads(MAX_BLOCKING_THREADS)
            .thread_name("ohem-runtime")
            .enable_all()
            .build()?,
    );
    *slot = Some((pid, Arc::clone(&rt)));
    Ok(rt)
}

#[cfg(test)]
mod tests {
    #[test]
    fn one_runtime_per_process() {
        let a = super::shared().unwrap();
        let b = super::shared().unwrap();
        assert!(std::sync::Arc::ptr_eq(&a, &b));
    }
}
