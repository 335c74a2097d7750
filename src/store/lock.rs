//! The store's advisory lock: `flock(2)` on an empty `lock` file in the store directory.
//! Every read-modify-write of store files holds it exclusively, across processes and, since
//! each holder opens the file anew (its own open file description), across threads too.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use rustix::fs::{FlockOperation, flock};

use super::dir::io_error;
use crate::error::Result;

/// Name of the lock file; it stays empty.
pub(crate) const LOCK_FILE: &str = "lock";

/// An exclusive lock on a store directory, released when dropped (the descriptor closes).
#[derive(Debug)]
pub(crate) struct DirLock {
    _file: File,
}

impl DirLock {
    /// Blocks until this holder has the store's lock.
    pub(crate) fn exclusive(dir: &Path) -> Result<Self> {
        let path = dir.join(LOCK_FILE);
        let io = io_error(&path);
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(&path)
            .map_err(&io)?;
        loop {
            match flock(&file, FlockOperation::LockExclusive) {
                Ok(()) => return Ok(Self { _file: file }),
                Err(rustix::io::Errno::INTR) => continue,
                Err(e) => return Err(io(e.into())),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[test]
    fn lock_excludes_other_threads() {
        let dir = Arc::new(tempfile::tempdir().unwrap());
        let inside = Arc::new(AtomicU32::new(0));
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let (dir, inside) = (Arc::clone(&dir), Arc::clone(&inside));
                std::thread::spawn(move || {
                    for _ in 0..50 {
                        let _lock = DirLock::exclusive(dir.path()).unwrap();
                        assert_eq!(inside.fetch_add(1, Ordering::SeqCst), 0);
                        std::thread::yield_now();
                        inside.fetch_sub(1, Ordering::SeqCst);
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
    }
}
