//! The embedded default store: sealed keyring files in a local directory.
//!
//! A [`Store`] keeps each keyring in its own file, sealed (AES-256-GCM) under a 256-bit
//! [`RootKey`] that never enters the directory. It is what a CI service uses when it has no
//! Vault server: keyrings survive restarts, several processes can share one directory, and
//! no key version that encrypted anything is ever lost.
//!
//! # What it guarantees
//!
//! - **Sealed and bound**: every file is authenticated together with its keyring name, its
//!   kind and a generation number. A flipped byte, a truncated file, a renamed or swapped
//!   file, or a file sealed under another root key is an error naming the file.
//! - **Rollback detection**: a sealed manifest records the generation of every keyring
//!   file; generations only grow. Detected, as [`crate::Error::StoreRollback`] naming the
//!   file: a keyring file replaced by an older sealed copy of itself (checked on every
//!   read, by every process, across restarts), and a manifest replaced by an older copy
//!   while a process that read a newer one runs. Not detected: the manifest alone rolled
//!   back across a restart (a keyring file newer than its manifest entry is accepted,
//!   since a crash between the two writes leaves exactly that; usage counts live in the
//!   keyring files, so they do not go back), and the whole directory restored from a
//!   snapshot. Those need a monotonic counter outside the directory (a TPM, a KMS).
//! - **Crash safety**: every write goes to a temporary file that is fsynced, renamed over
//!   the old file, and followed by an fsync of the directory; a keyring file is written
//!   before the manifest that records it. A new version is durable before any encryption
//!   uses it. Temporary files left by a crash are removed at [`Store::open`]. A missing,
//!   damaged or unreadable file is an error, never a reason to create a new key.
//! - **Concurrency**: every read-modify-write holds an advisory `flock` on the directory's
//!   `lock` file and re-reads the keyring first, so a handle holding an old view never
//!   loses or duplicates another process's versions. A handle that encrypts checks the
//!   keyring file for changes at least once a second (one small read), and
//!   [`StoredKeyring::trim`] waits three seconds after `min_encryption_version` was
//!   raised, so no process can still be encrypting with a version a trim removes.
//! - **Clocks**: those intervals run on the monotonic clock, so stepping the wall clock
//!   (NTP, an operator) neither keeps a stale copy in use nor shortens a trim's wait. The
//!   wall clock gives only times that are stored: versions' creation times, and so the
//!   `auto_rotate_period` schedule, which a step moves by its size.
//! - **Usage limits**: each version counts its encryptions (default limit 2^32, NIST SP
//!   800-38D's bound for random 96-bit nonces). Counts are reserved durably in blocks
//!   (4096 growing to 2^22, at most 1/64 of the limit), so a crash can only over-count;
//!   encryption itself costs an atomic add and a read of the coarse monotonic clock (and
//!   of the coarse wall clock with an `auto_rotate_period`), never an fsync. When the latest version reaches its limit, the keyring rotates before the
//!   next encryption; one with an `auto_rotate_period` rotates once its latest version is
//!   that old.
//!
//! # Layout
//!
//! `<dir>/manifest`, `<dir>/<name>.keyring` (one per keyring), `<dir>/lock` (empty), and
//! briefly `<dir>/.tmp-*.tmp`. The byte format is documented in `store/seal.rs`.

mod clock;
mod configure;
mod dir;
mod extra_ops;
mod lock;
mod metadata;
mod record;
mod root_key;
mod seal;
mod state;
mod stored;
mod txn;
mod usage;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

pub use metadata::{KeyringMetadata, VersionMetadata};
pub use root_key::{RootKey, RootKeyProvider};
pub use stored::StoredKeyring;
pub use usage::MAX_USAGE_LIMIT;

use crate::cipher::KeyType;
use crate::error::{Error, Result};
use crate::keyring::Keyring;
use record::Record;
use seal::Sealer;
use txn::Txn;
use usage::Usage;

/// The manifest's file name (also its name in the sealing associated data).
const MANIFEST_FILE: &str = "manifest";
/// Keyring files are `<name>.keyring`.
const KEYRING_SUFFIX: &str = ".keyring";
/// Longest keyring name: the file name must stay under 255 bytes.
const MAX_NAME_LEN: usize = 200;

/// A directory of sealed keyrings. Cheap to clone; clones share one root key.
///
/// ```
/// use transit_keyring::{KeyType, RootKey, Store};
/// let dir = tempfile::tempdir().map_err(|_| transit_keyring::Error::Entropy)?;
/// let root_key = RootKey::generate()?; // in production: RootKey::from_env or from_key_file
/// let store = Store::open(dir.path(), root_key)?;
/// let keyring = store.create("ci-env", KeyType::Aes256Gcm96)?;
/// let ciphertext = keyring.encrypt(b"hunter2")?;
/// assert_eq!(&*store.load("ci-env")?.decrypt(&ciphertext)?, b"hunter2");
/// assert_eq!(store.list()?, vec!["ci-env".to_owned()]);
/// # Ok::<(), transit_keyring::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Store {
    shared: Arc<Shared>,
}

/// What every handle of one opened store shares.
#[derive(Debug)]
pub(crate) struct Shared {
    dir: PathBuf,
    sealer: RwLock<Arc<Sealer>>,
    /// The newest manifest generation this process has read or written: an older one is a
    /// rollback.
    manifest_seen: AtomicU64,
}

impl Shared {
    fn sealer(&self) -> Result<Arc<Sealer>> {
        Ok(Arc::clone(
            &self.sealer.read().unwrap_or_else(PoisonError::into_inner),
        ))
    }

    fn note_manifest(&self, generation: u64) {
        self.manifest_seen.fetch_max(generation, Ordering::SeqCst);
    }
}

impl Store {
    /// Opens the store in `dir`, creating the directory (mode 0700) and an empty store if it
    /// does not exist. Removes temporary files left by a crash. The root key is checked
    /// against the manifest.
    ///
    /// # Errors
    /// [`Error::RootKeyInStore`] if `root_key` was read from a file inside `dir`;
    /// [`Error::WrongRootKey`] if the store was sealed under another key;
    /// [`Error::StoreFileMissing`] if keyring files exist but the manifest does not;
    /// [`Error::StoreTampered`], [`Error::StoreIo`].
    ///
    /// ```
    /// use transit_keyring::{Error, RootKey, Store};
    /// let dir = tempfile::tempdir().map_err(|_| Error::Entropy)?;
    /// Store::open(dir.path(), RootKey::generate()?)?;
    /// let err = Store::open(dir.path(), RootKey::generate()?).unwrap_err();
    /// assert_eq!(err, Error::WrongRootKey { path: dir.path().join("manifest") });
    /// # Ok::<(), transit_keyring::Error>(())
    /// ```
    pub fn open(dir: impl AsRef<Path>, root_key: RootKey) -> Result<Self> {
        let dir = dir.as_ref();
        dir::create_dir(dir)?;
        let dir = dir.canonicalize().map_err(dir::io_error(dir))?;
        if let Some(origin) = root_key.origin().filter(|o| o.starts_with(&dir)) {
            return Err(Error::RootKeyInStore {
                path: origin.to_owned(),
            });
        }
        let shared = Arc::new(Shared {
            sealer: RwLock::new(Arc::new(Sealer::new(&root_key)?)),
            dir,
            manifest_seen: AtomicU64::new(0),
        });
        {
            let _lock = lock::DirLock::exclusive(&shared.dir)?;
            dir::clean_temp_files(&shared.dir)?;
            let manifest = shared.dir.join(MANIFEST_FILE);
            if dir::read_if_exists(&manifest)?.is_none() {
                if !dir::names_with_suffix(&shared.dir, KEYRING_SUFFIX)?.is_empty() {
                    return Err(Error::StoreFileMissing { path: manifest });
                }
                txn::init_manifest(&shared)?;
            }
        }
        Txn::begin(&shared)?; // checks the root key and the manifest
        Ok(Self { shared })
    }

    /// The store's directory (absolute).
    #[must_use]
    pub fn dir(&self) -> &Path {
        &self.shared.dir
    }

    /// Creates keyring `name` with a fresh version 1 of `key_type`, stored durably.
    ///
    /// # Errors
    /// [`Error::InvalidKeyringName`]; [`Error::KeyringExists`]; store errors.
    ///
    /// ```
    /// # use transit_keyring::{Error, KeyType, RootKey, Store};
    /// # let dir = tempfile::tempdir().map_err(|_| Error::Entropy)?;
    /// let store = Store::open(dir.path(), RootKey::generate()?)?;
    /// store.create("ci-env", KeyType::Aes256Gcm96)?;
    /// let err = store.create("ci-env", KeyType::Aes256Gcm96).unwrap_err();
    /// assert_eq!(err, Error::KeyringExists { name: "ci-env".into() });
    /// # Ok::<(), transit_keyring::Error>(())
    /// ```
    pub fn create(&self, name: &str, key_type: KeyType) -> Result<StoredKeyring> {
        check_name(name)?;
        self.insert(Keyring::generate(name, key_type)?)
    }

    /// Stores an in-memory keyring under its own name: one built with
    /// [`Keyring::builder`] (derived, convergent, exportable), or one restored from a Vault
    /// backup or export. Its usage limit starts at 2^32 and its usage counts at zero.
    ///
    /// Counts belong to a stored keyring, not to key bytes: a keyring brings none with it,
    /// even one whose keys encrypted elsewhere before (a Vault backup) or one deleted from
    /// this store and inserted again. Handles still open on a deleted keyring treat the
    /// new one as new keys: their unused reservations end, and their next encryptions are
    /// counted in the new keyring.
    ///
    /// # Errors
    /// As [`Store::create`]; [`Error::InvalidDocument`] if the keyring would not read back
    /// as written (then nothing is written; every write of the store checks this).
    ///
    /// ```
    /// # use transit_keyring::{Error, Kdf, Keyring, RootKey, Store};
    /// # let dir = tempfile::tempdir().map_err(|_| Error::Entropy)?;
    /// let store = Store::open(dir.path(), RootKey::generate()?)?;
    /// let keyring = store.insert(Keyring::builder("per-project").derived(Kdf::HkdfSha256).generate()?)?;
    /// assert!(keyring.metadata()?.derived);
    /// # Ok::<(), transit_keyring::Error>(())
    /// ```
    pub fn insert(&self, keyring: Keyring) -> Result<StoredKeyring> {
        check_name(&keyring.name)?;
        let record = Record {
            keyring,
            usage: Usage::generate()?,
        };
        let mut txn = Txn::begin(&self.shared)?;
        if txn.manifest.keyrings.contains_key(&record.keyring.name) {
            return Err(Error::KeyringExists {
                name: record.keyring.name,
            });
        }
        let generation = txn.write(&record.keyring.name.clone(), &record, 0)?;
        drop(txn);
        Ok(StoredKeyring::new(self.clone(), generation, record))
    }

    /// Loads keyring `name`.
    ///
    /// # Errors
    /// [`Error::KeyringNotFound`] if the store has no such keyring; [`Error::StoreRollback`],
    /// [`Error::StoreTampered`], [`Error::WrongRootKey`], [`Error::StoreFileMissing`] or
    /// [`Error::StoreIo`] naming the file.
    ///
    /// ```
    /// # use transit_keyring::{Error, RootKey, Store};
    /// # let dir = tempfile::tempdir().map_err(|_| Error::Entropy)?;
    /// let store = Store::open(dir.path(), RootKey::generate()?)?;
    /// assert_eq!(store.load("nope").unwrap_err(), Error::KeyringNotFound { name: "nope".into() });
    /// # Ok::<(), transit_keyring::Error>(())
    /// ```
    pub fn load(&self, name: &str) -> Result<StoredKeyring> {
        check_name(name)?;
        let (generation, record) = self.read(name)?;
        Ok(StoredKeyring::new(self.clone(), generation, record))
    }

    /// The names of all keyrings, sorted.
    ///
    /// # Errors
    /// Store errors reading the manifest.
    ///
    /// ```
    /// # use transit_keyring::{Error, KeyType, RootKey, Store};
    /// # let dir = tempfile::tempdir().map_err(|_| Error::Entropy)?;
    /// let store = Store::open(dir.path(), RootKey::generate()?)?;
    /// store.create("b", KeyType::Aes256Gcm96)?;
    /// store.create("a", KeyType::Chacha20Poly1305)?;
    /// assert_eq!(store.list()?, ["a", "b"]);
    /// # Ok::<(), transit_keyring::Error>(())
    /// ```
    pub fn list(&self) -> Result<Vec<String>> {
        Ok(Txn::begin(&self.shared)?
            .manifest
            .keyrings
            .keys()
            .cloned()
            .collect())
    }

    /// Deletes keyring `name` and every version of it, which must have been allowed with
    /// [`StoredKeyring::set_deletion_allowed`] (Vault's `deletion_allowed`).
    ///
    /// # Errors
    /// [`Error::DeletionNotAllowed`]; [`Error::KeyringNotFound`]; store errors.
    ///
    /// ```
    /// # use transit_keyring::{Error, KeyType, RootKey, Store};
    /// # let dir = tempfile::tempdir().map_err(|_| Error::Entropy)?;
    /// let store = Store::open(dir.path(), RootKey::generate()?)?;
    /// let keyring = store.create("old", KeyType::Aes256Gcm96)?;
    /// assert_eq!(store.delete("old").unwrap_err(), Error::DeletionNotAllowed);
    /// keyring.set_deletion_allowed(true)?;
    /// store.delete("old")?;
    /// assert!(store.list()?.is_empty());
    /// # Ok::<(), transit_keyring::Error>(())
    /// ```
    pub fn delete(&self, name: &str) -> Result<()> {
        check_name(name)?;
        let mut txn = Txn::begin(&self.shared)?;
        let (generation, record) = txn.read(name)?.ok_or_else(|| Error::KeyringNotFound {
            name: name.to_owned(),
        })?;
        if !record.keyring.deletion_allowed {
            return Err(Error::DeletionNotAllowed);
        }
        txn.remove(name, generation)
    }

    /// Re-seals every file of the store under `new_root_key`; this store and its handles
    /// use it from then on. Other processes must reopen the store with the new key.
    ///
    /// If the rotation is cut short (a crash), the store still opens with the old key:
    /// open it with the old key and call this again; files already re-sealed are checked
    /// and kept.
    ///
    /// # Errors
    /// [`Error::RootKeyInStore`]; store errors naming the file that failed.
    ///
    /// ```
    /// # use transit_keyring::{Error, KeyType, RootKey, Store};
    /// # let dir = tempfile::tempdir().map_err(|_| Error::Entropy)?;
    /// let store = Store::open(dir.path(), RootKey::from_bytes(&[1; 32])?)?;
    /// let ciphertext = store.create("ci-env", KeyType::Aes256Gcm96)?.encrypt(b"x")?;
    /// store.rotate_root_key(RootKey::from_bytes(&[2; 32])?)?;
    /// let reopened = Store::open(dir.path(), RootKey::from_bytes(&[2; 32])?)?;
    /// assert_eq!(&*reopened.load("ci-env")?.decrypt(&ciphertext)?, b"x");
    /// # Ok::<(), transit_keyring::Error>(())
    /// ```
    pub fn rotate_root_key(&self, new_root_key: RootKey) -> Result<()> {
        if let Some(origin) = new_root_key
            .origin()
            .filter(|o| o.starts_with(&self.shared.dir))
        {
            return Err(Error::RootKeyInStore {
                path: origin.to_owned(),
            });
        }
        let new = Arc::new(Sealer::new(&new_root_key)?);
        let mut txn = Txn::begin(&self.shared)?;
        txn.reseal(&new)?;
        *self
            .shared
            .sealer
            .write()
            .unwrap_or_else(PoisonError::into_inner) = new;
        Ok(())
    }
}

/// Vault's rule for names (`GenericNameRegex`): ASCII letters, digits and `_`, with `-`,
/// `.` and `@` allowed inside. So no name is empty, hidden, or a path.
fn check_name(name: &str) -> Result<()> {
    let word = |b: &u8| b.is_ascii_alphanumeric() || *b == b'_';
    let inner = |b: &u8| word(b) || matches!(b, b'-' | b'.' | b'@');
    let bytes = name.as_bytes();
    let ok = match (bytes.first(), bytes.last()) {
        (Some(first), Some(last)) => {
            word(first) && word(last) && bytes.iter().all(inner) && bytes.len() <= MAX_NAME_LEN
        }
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidKeyringName {
            name: name.to_owned(),
        })
    }
}

/// The file name of keyring `name`.
fn keyring_file(name: &str) -> String {
    format!("{name}{KEYRING_SUFFIX}")
}

#[cfg(test)]
mod tests {
    use super::check_name;

    #[test]
    fn names_follow_vaults_rule() {
        for good in ["a", "ci-env", "a.b@c_d", "X9"] {
            assert!(check_name(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            ".hidden",
            "a/b",
            "..",
            "-a",
            "a-",
            "é",
            &"a".repeat(201),
        ] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
    }
}
