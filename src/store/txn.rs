//! One read-modify-write of the store: the lock, the manifest, and the rules that make
//! writes crash-safe and rollbacks visible.
//!
//! Generations grow store-wide: a write takes one above both the manifest's and the
//! replaced file's. A keyring file is written (durably) before the manifest that records
//! its generation, so after a crash between the two the file is newer than its manifest
//! entry; that is accepted. A file older than its entry has been rolled back: refused.
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use std::path::PathBuf;

use super::dir::{self, read_if_exists, write_atomic};
use super::lock::DirLock;
use super::record::{Manifest, Record};
use super::seal::{FileKind, Sealer, peek};
use super::{MANIFEST_FILE, Shared, Store, keyring_file};
use crate::error::{Error, Result};

/// The store's lock held, and the manifest read under it.
pub(crate) struct Txn<'a> {
    shared: &'a Shared,
    sealer: std::sync::Arc<Sealer>,
    pub(crate) manifest: Manifest,
    pub(crate) generation: u64,
    _lock: DirLock,
}

impl<'a> Txn<'a> {
    /// Locks the store and reads the manifest, refusing one older than this process has
    /// already seen.
    pub(crate) fn begin(shared: &'a Shared) -> Result<Self> {
        let lock = DirLock::exclusive(&shared.dir)?;
        let sealer = shared.sealer()?;
        let path = shared.dir.join(MANIFEST_FILE);
        let sealed =
            read_if_exists(&path)?.ok_or(Error::StoreFileMissing { path: path.clone() })?;
        let opened = sealer.open(&path, FileKind::Manifest, MANIFEST_FILE, &sealed)?;
        let seen = shared
            .manifest_seen
            .load(std::sync::atomic::Ordering::SeqCst);
        if opened.generation < seen {
            return Err(Error::StoreRollback {
                path,
                found: opened.generation,
                expected: seen,
            });
        }
        let manifest = Manifest::decode(&path, &opened.payload)?;
        shared.note_manifest(opened.generation);
        Ok(Self {
            shared,
            sealer,
            manifest,
            generation: opened.generation,
            _lock: lock,
        })
    }

    /// The path of keyring `name`'s file.
    pub(crate) fn path(&self, name: &str) -> PathBuf {
        self.shared.dir.join(keyring_file(name))
    }

    /// Reads keyring `name` and its file's generation; `None` if the manifest lists no such
    /// keyring. A listed file that is missing, older than listed, or does not authenticate
    /// is an error naming it: never a reason to make a new key.
    pub(crate) fn read(&self, name: &str) -> Result<Option<(u64, Record)>> {
        let Some(&listed) = self.manifest.keyrings.get(name) else {
            return Ok(None);
        };
        let path = self.path(name);
        let sealed =
            read_if_exists(&path)?.ok_or(Error::StoreFileMissing { path: path.clone() })?;
        let sealed_name = self.manifest.sealed_name(name);
        let opened = self
            .sealer
            .open(&path, FileKind::Keyring, &sealed_name, &sealed)?;
        if opened.generation < listed {
            return Err(Error::StoreRollback {
                path,
                found: opened.generation,
                expected: listed,
            });
        }
        let record = Record::decode(&path, name, &opened.payload)?;
        Ok(Some((opened.generation, record)))
    }

    /// Writes keyring `name` durably, then the manifest that lists it; returns the new
    /// generation. `replaced` is the generation of the file being replaced (0 if none).
    pub(crate) fn write(&mut self, name: &str, record: &Record, replaced: u64) -> Result<u64> {
        // An unlisted file (a create or delete cut short by a crash) may be newer than the
        // manifest: step over it too, so no two files of one name share a generation.
        let orphan = match read_if_exists(&self.path(name))? {
            Some(bytes) if replaced == 0 => peek(&bytes).map_or(0, |h| h.generation),
            _ => 0,
        };
        let generation = self.next_generation(replaced.max(orphan))?;
        let sealed = self.sealer.seal(
            FileKind::Keyring,
            &self.manifest.sealed_name(name),
            generation,
            &record.encode()?,
        )?;
        write_atomic(&self.shared.dir, &keyring_file(name), &sealed)?;
        self.manifest.keyrings.insert(name.to_owned(), generation);
        self.write_manifest(generation)?;
        Ok(generation)
    }

    /// Removes keyring `name` from the manifest, then deletes its file.
    pub(crate) fn remove(&mut self, name: &str, replaced: u64) -> Result<()> {
        let generation = self.next_generation(replaced)?;
        self.manifest.keyrings.remove(name);
        self.write_manifest(generation)?;
        dir::remove(&self.shared.dir, &keyring_file(name))
    }

    /// Re-seals every file under `new` (root key rotation). Files already under `new` (a
    /// rotation cut short) are checked and kept; the manifest goes last, so until it is
    /// re-sealed the store still opens with the old key and the rotation can be rerun.
    pub(crate) fn reseal(&mut self, new: &Sealer) -> Result<()> {
        let names: Vec<String> = self.manifest.keyrings.keys().cloned().collect();
        for name in names {
            let path = self.path(&name);
            let sealed =
                read_if_exists(&path)?.ok_or(Error::StoreFileMissing { path: path.clone() })?;
            if peek(&sealed).is_some_and(|h| h.key_id == new.key_id()) {
                new.open(
                    &path,
                    FileKind::Keyring,
                    &self.manifest.sealed_name(&name),
                    &sealed,
                )?;
                continue;
            }
            let opened = self.sealer.open(
                &path,
                FileKind::Keyring,
                &self.manifest.sealed_name(&name),
                &sealed,
            )?;
            // The same generation: the manifest entry stays true for the re-sealed file.
            let resealed = new.seal(
                FileKind::Keyring,
                &self.manifest.sealed_name(&name),
                opened.generation,
                &opened.payload,
            )?;
            write_atomic(&self.shared.dir, &keyring_file(&name), &resealed)?;
        }
        let generation = self.next_generation(0)?;
        let payload = self.manifest.encode()?;
        let sealed = new.seal(FileKind::Manifest, MANIFEST_FILE, generation, &payload)?;
        write_atomic(&self.shared.dir, MANIFEST_FILE, &sealed)?;
        self.generation = generation;
        self.shared.note_manifest(generation);
        Ok(())
    }

    fn next_generation(&self, replaced: u64) -> Result<u64> {
        self.generation
            .max(replaced)
            .checked_add(1)
            .ok_or(Error::InvalidDocument(
                "store generation overflow".to_owned(),
            ))
    }

    fn write_manifest(&mut self, generation: u64) -> Result<()> {
        let sealed = self.sealer.seal(
            FileKind::Manifest,
            MANIFEST_FILE,
            generation,
            &self.manifest.encode()?,
        )?;
        write_atomic(&self.shared.dir, MANIFEST_FILE, &sealed)?;
        self.generation = generation;
        self.shared.note_manifest(generation);
        Ok(())
    }
}

/// Writes the first, empty manifest of a new store (the caller holds the lock).
pub(crate) fn init_manifest(shared: &Shared) -> Result<()> {
    let sealer = shared.sealer()?;
    let sealed = sealer.seal(
        FileKind::Manifest,
        MANIFEST_FILE,
        1,
        &Manifest::generate()?.encode()?,
    )?;
    write_atomic(&shared.dir, MANIFEST_FILE, &sealed)?;
    shared.note_manifest(1);
    Ok(())
}

impl Store {
    /// Reads keyring `name` and its file's generation under the lock.
    pub(crate) fn read(&self, name: &str) -> Result<(u64, Record)> {
        Txn::begin(&self.shared)?
            .read(name)?
            .ok_or_else(|| Error::KeyringNotFound {
                name: name.to_owned(),
            })
    }

    /// One read-modify-write of keyring `name`: locks, re-reads it from disk, applies `f`,
    /// writes it durably; returns `f`'s value, the new generation and the record. On error
    /// nothing is written.
    pub(crate) fn modify<T>(
        &self,
        name: &str,
        f: impl FnOnce(&mut Record) -> Result<T>,
    ) -> Result<(T, u64, Record)> {
        let mut txn = Txn::begin(&self.shared)?;
        let (generation, mut record) = txn.read(name)?.ok_or_else(|| Error::KeyringNotFound {
            name: name.to_owned(),
        })?;
        let value = f(&mut record)?;
        record
            .usage
            .forget_below(record.keyring.min_available_version);
        let generation = txn.write(name, &record, generation)?;
        Ok((value, generation, record))
    }

    /// The generation in keyring `name`'s file header, read without the lock or any
    /// decryption: a cheap test of whether the file changed since it was last read (files
    /// are replaced by rename, so a reader sees a whole one). `None` if it cannot be read.
    pub(crate) fn peek_generation(&self, name: &str) -> Option<u64> {
        let bytes = read_if_exists(&self.shared.dir.join(keyring_file(name))).ok()??;
        peek(&bytes).map(|h| h.generation)
    }
}
