//! Durable file writes in the store directory: write a temporary file, fsync it, rename it
//! over the target, fsync the directory. A crash at any point leaves either the old file or
//! the new one, plus at worst a temporary file that the next [`crate::Store::open`] removes.

use std::fs::{self, File, OpenOptions};
use std::io::{ErrorKind, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use crate::cipher::fill_random;
use crate::error::{Error, Result};

/// Temporary files start with this and end with [`TEMP_SUFFIX`]; no store file does.
const TEMP_PREFIX: &str = ".tmp-";
const TEMP_SUFFIX: &str = ".tmp";

/// An I/O error on `path`, keeping only its kind (the error type is `Clone + Eq`).
pub(crate) fn io_error(path: &Path) -> impl Fn(std::io::Error) -> Error + '_ {
    move |e| Error::StoreIo {
        path: path.to_owned(),
        kind: e.kind(),
    }
}

/// Creates the store directory (mode 0700) if it does not exist, with any missing parents,
/// and fsyncs the parent of each directory it made: until then a power loss can take the
/// new directory away, and with it files written into it and fsynced.
pub(crate) fn create_dir(dir: &Path) -> Result<()> {
    // Directories missing now, deepest first; each one's parent gets an fsync once made.
    let missing: Vec<&Path> = dir
        .ancestors()
        .take_while(|d| !d.as_os_str().is_empty() && fs::symlink_metadata(d).is_err())
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    match fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
    {
        Ok(()) => {}
        Err(e) if e.kind() == ErrorKind::AlreadyExists => {}
        Err(e) => return Err(io_error(dir)(e)),
    }
    for made in missing.iter().rev() {
        sync_dir(parent_dir(made))?;
    }
    Ok(())
}

/// The directory holding `path` (`.` for a bare file name).
pub(crate) fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}

/// Reads `path`; `Ok(None)` if it does not exist, an error for anything else.
pub(crate) fn read_if_exists(path: &Path) -> Result<Option<Vec<u8>>> {
    match fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_error(path)(e)),
    }
}

/// Replaces `dir/name` with `bytes` durably: after `Ok`, the new contents survive a crash
/// or power loss (as far as the file system honours fsync).
pub(crate) fn write_atomic(dir: &Path, name: &str, bytes: &[u8]) -> Result<()> {
    let temp = temp_path(dir, name)?;
    let target = dir.join(name);
    let result = write_new(&temp, bytes)
        .and_then(|()| fs::rename(&temp, &target).map_err(io_error(&target)))
        .and_then(|()| sync_dir(dir));
    if result.is_err() {
        let _ = fs::remove_file(&temp); // best effort; `open` cleans up whatever is left
    }
    result
}

/// Creates the file `path` holding `bytes` durably, never replacing one that exists: writes
/// a temporary file beside it, fsyncs it, links it to `path` (`link(2)` fails if `path`
/// exists, so this refuses to clobber as `O_EXCL` does), removes the temporary name and
/// fsyncs the directory. A crash leaves no file at `path` or a whole one, and at worst a
/// temporary `.tmp-<name>.<hex>.tmp` (mode 0600) beside it.
///
/// # Errors
/// [`Error::StoreIo`] naming `path` (kind `AlreadyExists` if it exists) or the temporary file.
pub(crate) fn create_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = parent_dir(path);
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let temp = temp_path(dir, name)?;
    let linked =
        write_new(&temp, bytes).and_then(|()| fs::hard_link(&temp, path).map_err(io_error(path)));
    // Linked or not, the temporary name must go: it may hold a secret.
    let unlinked = fs::remove_file(&temp);
    linked?;
    unlinked.map_err(io_error(&temp))?;
    sync_dir(dir)
}

/// A fresh temporary path in `dir` for a file that will become `dir/name`.
fn temp_path(dir: &Path, name: &str) -> Result<PathBuf> {
    let mut suffix = [0u8; 8];
    fill_random(&mut suffix)?;
    let suffix: String = suffix.iter().map(|b| format!("{b:02x}")).collect();
    Ok(dir.join(format!("{TEMP_PREFIX}{name}.{suffix}{TEMP_SUFFIX}")))
}

/// Removes `dir/name` durably; a file already gone is fine.
pub(crate) fn remove(dir: &Path, name: &str) -> Result<()> {
    let path = dir.join(name);
    match fs::remove_file(&path) {
        Ok(()) => sync_dir(dir),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io_error(&path)(e)),
    }
}

/// Deletes temporary files left by writers that crashed. Call with the store lock held, so
/// no live writer is between creating and renaming its temporary file.
pub(crate) fn clean_temp_files(dir: &Path) -> Result<usize> {
    let mut removed = 0usize;
    for entry in fs::read_dir(dir).map_err(io_error(dir))? {
        let entry = entry.map_err(io_error(dir))?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if name.starts_with(TEMP_PREFIX) && name.ends_with(TEMP_SUFFIX) {
            let path = entry.path();
            fs::remove_file(&path).map_err(io_error(&path))?;
            removed = removed.saturating_add(1);
        }
    }
    if removed > 0 {
        sync_dir(dir)?;
    }
    Ok(removed)
}

/// Names of the regular files in `dir` ending in `suffix`, without it, sorted.
pub(crate) fn names_with_suffix(dir: &Path, suffix: &str) -> Result<Vec<String>> {
    let mut names = Vec::new();
    for entry in fs::read_dir(dir).map_err(io_error(dir))? {
        let entry = entry.map_err(io_error(dir))?;
        if let Some(stem) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.strip_suffix(suffix))
        {
            if !stem.starts_with('.') {
                names.push(stem.to_owned());
            }
        }
    }
    names.sort();
    Ok(names)
}

/// Writes a new file (mode 0600) and fsyncs it; an existing file is an error.
pub(crate) fn write_new(path: &Path, bytes: &[u8]) -> Result<()> {
    let io = io_error(path);
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(&io)?;
    file.write_all(bytes).map_err(&io)?;
    file.sync_all().map_err(&io)
}

/// Makes a rename, link, unlink or mkdir in `dir` durable.
pub(crate) fn sync_dir(dir: &Path) -> Result<()> {
    #[cfg(test)]
    SYNCED_DIRS.with_borrow_mut(|synced| synced.push(dir.to_owned()));
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_error(dir))
}

#[cfg(test)]
thread_local! {
    /// Directories this thread fsynced, so tests can check a step that no crash test can.
    pub(crate) static SYNCED_DIRS: std::cell::RefCell<Vec<PathBuf>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_and_leaves_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        write_atomic(dir.path(), "f", b"one").unwrap();
        write_atomic(dir.path(), "f", b"two").unwrap();
        assert_eq!(fs::read(dir.path().join("f")).unwrap(), b"two");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn create_atomic_never_replaces_and_leaves_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        SYNCED_DIRS.take();
        create_atomic(&path, b"one").unwrap();
        assert_eq!(SYNCED_DIRS.take(), [dir.path().to_owned()]);
        let err = create_atomic(&path, b"two").unwrap_err();
        assert_eq!(
            err,
            Error::StoreIo {
                path: path.clone(),
                kind: ErrorKind::AlreadyExists
            }
        );
        assert_eq!(fs::read(&path).unwrap(), b"one");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_new_store_directory_is_synced_into_each_parent_it_was_made_in() {
        use std::os::unix::fs::PermissionsExt;
        let base = tempfile::tempdir().unwrap();
        let store = base.path().join("a").join("store");
        SYNCED_DIRS.take();
        create_dir(&store).unwrap();
        assert_eq!(
            SYNCED_DIRS.take(),
            [base.path().to_owned(), base.path().join("a")]
        );
        let mode = fs::metadata(&store).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
        create_dir(&store).unwrap(); // exists: nothing to make durable
        assert!(SYNCED_DIRS.take().is_empty());
    }

    #[test]
    fn leftover_temp_files_are_cleaned() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(".tmp-x.keyring.00.tmp"), b"half").unwrap();
        fs::write(dir.path().join("x.keyring"), b"whole").unwrap();
        assert_eq!(clean_temp_files(dir.path()).unwrap(), 1);
        assert_eq!(
            names_with_suffix(dir.path(), ".keyring").unwrap(),
            vec!["x"]
        );
    }
}
