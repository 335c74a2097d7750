//! Changes to a stored keyring: rotation and Vault's `keys/:name/config` and `trim`, plus
//! the store's usage limit. Each is one locked read-modify-write of the keyring's file,
//! applied to the keyring as stored now (so a handle with an old view never undoes or
//! repeats another process's change), and durable before it returns.

use std::time::{Duration, SystemTime};

use super::clock::{FRESHNESS, Tick, rotation_due_at, wall_now};
use super::stored::StoredKeyring;
use super::usage::Usage;
use crate::error::Result;

/// How long after `min_encryption_version` is raised a trim waits: three times the longest
/// a handle goes without seeing a change, for processes that were briefly descheduled.
const TRIM_GRACE: Duration = Duration::from_secs(3 * FRESHNESS.as_secs());

impl StoredKeyring {
    /// Adds a version (as [`crate::Keyring::rotate`]) and stores it durably; returns its
    /// number, one above the latest version *in the store*.
    ///
    /// # Errors
    /// As [`crate::Keyring::rotate`]; store errors.
    ///
    /// ```
    /// # use transit_keyring::{Error, KeyType, RootKey, Store};
    /// # let dir = tempfile::tempdir().map_err(|_| Error::Entropy)?;
    /// # let store = Store::open(dir.path(), RootKey::generate()?)?;
    /// let a = store.create("ci-env", KeyType::Aes256Gcm96)?;
    /// let b = store.load("ci-env")?;
    /// assert_eq!(a.rotate()?, 2);
    /// assert_eq!(b.rotate()?, 3); // b re-reads the store first
    /// # Ok::<(), transit_keyring::Error>(())
    /// ```
    pub fn rotate(&self) -> Result<u32> {
        self.rotate_at(wall_now())
    }

    /// As [`StoredKeyring::rotate`], with the new version created at `now`.
    ///
    /// # Errors
    /// As [`StoredKeyring::rotate`]; [`crate::Error::InvalidTime`] for a `now` outside the
    /// years 0000–9999, which the keyring file could not hold (nothing is written).
    ///
    /// ```
    /// # use transit_keyring::{Error, KeyType, RootKey, Store};
    /// # let dir = tempfile::tempdir().map_err(|_| Error::Entropy)?;
    /// # let store = Store::open(dir.path(), RootKey::generate()?)?;
    /// let keyring = store.create("ci-env", KeyType::Aes256Gcm96)?;
    /// let now = std::time::SystemTime::now();
    /// let v = keyring.rotate_at(now)?;
    /// assert_eq!(keyring.metadata()?.versions[&v].creation_time, now);
    /// # Ok::<(), transit_keyring::Error>(())
    /// ```
    pub fn rotate_at(&self, now: SystemTime) -> Result<u32> {
        self.update(|r| r.keyring.rotate_at(now))
    }

    /// Rotates if the latest version is older than `auto_rotate_period` at `now` (what
    /// Vault's periodic job does); returns the new version, if any. Encryption does this by
    /// itself; call it from a periodic job to rotate keyrings that are rarely used.
    ///
    /// # Errors
    /// As [`StoredKeyring::rotate_at`].
    ///
    /// ```
    /// use std::time::{Duration, SystemTime};
    /// # use transit_keyring::{Error, KeyType, RootKey, Store};
    /// # let dir = tempfile::tempdir().map_err(|_| Error::Entropy)?;
    /// # let store = Store::open(dir.path(), RootKey::generate()?)?;
    /// let keyring = store.create("ci-env", KeyType::Aes256Gcm96)?;
    /// keyring.set_auto_rotate_period(Duration::from_secs(3600))?;
    /// assert_eq!(keyring.rotate_if_due_at(SystemTime::now())?, None);
    /// let later = SystemTime::now() + Duration::from_secs(7200);
    /// assert_eq!(keyring.rotate_if_due_at(later)?, Some(2));
    /// # Ok::<(), transit_keyring::Error>(())
    /// ```
    pub fn rotate_if_due_at(&self, now: SystemTime) -> Result<Option<u32>> {
        let due = |at: Option<SystemTime>| at.is_some_and(|t| now >= t);
        if !due(self.metadata()?.next_rotation) {
            return Ok(None);
        }
        self.update(|r| {
            // Decided again on the stored keyring: another process may have rotated.
            if due(rotation_due_at(&r.keyring)) {
                r.keyring.rotate_at(now).map(Some)
            } else {
                Ok(None)
            }
        })
    }

    /// Vault's `min_decryption_version`, stored durably (see
    /// [`crate::Keyring::set_min_decryption_version`]).
    ///
    /// # Errors
    /// As [`crate::Keyring::set_min_decryption_version`]; store errors.
    ///
    /// ```
    /// # use transit_keyring::{Error, KeyType, RootKey, Store};
    /// # let dir = tempfile::tempdir().map_err(|_| Error::Entropy)?;
    /// # let store = Store::open(dir.path(), RootKey::generate()?)?;
    /// let keyring = store.create("ci-env", KeyType::Aes256Gcm96)?;
    /// let old = keyring.encrypt(b"x")?;
    /// keyring.set_min_decryption_version(keyring.rotate()?)?;
    /// assert_eq!(store.load("ci-env")?.decrypt(&old).unwrap_err(), Error::VersionTooOld);
    /// # Ok::<(), transit_keyring::Error>(())
    /// ```
    pub fn set_min_decryption_version(&self, version: u32) -> Result<()> {
        self.update(|r| r.keyring.set_min_decryption_version(version))
    }

    /// Vault's `min_encryption_version`, stored durably (see
    /// [`crate::Keyring::set_min_encryption_version`]).
    ///
    /// # Errors
    /// As [`crate::Keyring::set_min_encryption_version`]; store errors.
    ///
    /// ```
    /// # use transit_keyring::{Error, KeyType, Options, RootKey, Store};
    /// # let dir = tempfile::tempdir().map_err(|_| Error::Entropy)?;
    /// # let store = Store::open(dir.path(), RootKey::generate()?)?;
    /// let keyring = store.create("ci-env", KeyType::Aes256Gcm96)?;
    /// keyring.set_min_encryption_version(keyring.rotate()?)?;
    /// let err = keyring.encrypt_with(b"x", &Options::new().key_version(1)).unwrap_err();
    /// assert_eq!(err, Error::EncryptVersionTooOld);
    /// # Ok::<(), transit_keyring::Error>(())
    /// ```
    pub fn set_min_encryption_version(&self, version: u32) -> Result<()> {
        self.update(|r| {
            let before = r.keyring.min_encryption_version;
            r.keyring.set_min_encryption_version(version)?;
            if r.keyring.min_encryption_version > before {
                r.usage.note_min_encryption_raised(wall_now());
            }
            Ok(())
        })
    }

    /// Vault's trim, stored durably: versions below `min_available_version` are gone for
    /// good, with their usage counts (see [`crate::Keyring::trim`]).
    ///
    /// Another process may still be encrypting with a version that a raised
    /// `min_encryption_version` retired, until it next checks the store (within a second).
    /// So a trim first sleeps until three seconds have passed since this process first saw
    /// the latest raise: no ciphertext can be made with a key it removes. Those seconds
    /// are counted on the monotonic clock, so no step of the wall clock shortens them; a
    /// trim right after a raise sleeps the rest of them, and a process that first sees an
    /// old raise just before it trims waits the three seconds once.
    ///
    /// # Errors
    /// [`crate::Error::Trim`] naming the broken rule; store errors.
    ///
    /// ```
    /// # use transit_keyring::{Error, KeyType, RootKey, Store};
    /// # let dir = tempfile::tempdir().map_err(|_| Error::Entropy)?;
    /// # let store = Store::open(dir.path(), RootKey::generate()?)?;
    /// let keyring = store.create("ci-env", KeyType::Aes256Gcm96)?;
    /// let v2 = keyring.rotate()?;
    /// keyring.set_min_decryption_version(v2)?;
    /// keyring.set_min_encryption_version(v2)?;
    /// keyring.trim(v2)?;
    /// assert_eq!(store.load("ci-env")?.metadata()?.min_available_version, 2);
    /// # Ok::<(), transit_keyring::Error>(())
    /// ```
    pub fn trim(&self, min_available_version: u32) -> Result<()> {
        loop {
            // The grace runs on this process's monotonic clock from its first sighting of
            // the raise, so no wall-clock step can shorten it (see `RaiseSeen`).
            let seen = self.read_state().raise_seen;
            let wait = self.update(|r| {
                let wait = seen.trim_wait(&r.usage, Tick::now(), TRIM_GRACE);
                if wait.is_zero() {
                    r.keyring.trim(min_available_version)?;
                }
                Ok(wait) // a write that changed nothing is harmless
            })?;
            if wait.is_zero() {
                return Ok(());
            }
            std::thread::sleep(wait);
        }
    }

    /// Allows export and backup from now on (one-way), stored durably.
    ///
    /// # Errors
    /// Store errors.
    ///
    /// ```
    /// # use transit_keyring::{Error, KeyType, RootKey, Store};
    /// # let dir = tempfile::tempdir().map_err(|_| Error::Entropy)?;
    /// # let store = Store::open(dir.path(), RootKey::generate()?)?;
    /// let keyring = store.create("ci-env", KeyType::Aes256Gcm96)?;
    /// keyring.set_exportable()?;
    /// assert!(keyring.to_vault_export()?.contains("ci-env"));
    /// # Ok::<(), transit_keyring::Error>(())
    /// ```
    pub fn set_exportable(&self) -> Result<()> {
        self.update(|r| {
            r.keyring.set_exportable();
            Ok(())
        })
    }

    /// Allows plaintext backups from now on (one-way), stored durably.
    ///
    /// # Errors
    /// Store errors.
    ///
    /// ```
    /// # use transit_keyring::{Error, KeyType, RootKey, Store};
    /// # let dir = tempfile::tempdir().map_err(|_| Error::Entropy)?;
    /// # let store = Store::open(dir.path(), RootKey::generate()?)?;
    /// store.create("ci-env", KeyType::Aes256Gcm96)?.set_allow_plaintext_backup()?;
    /// # Ok::<(), transit_keyring::Error>(())
    /// ```
    pub fn set_allow_plaintext_backup(&self) -> Result<()> {
        self.update(|r| {
            r.keyring.set_allow_plaintext_backup();
            Ok(())
        })
    }

    /// Whether [`crate::Store::delete`] may delete this keyring, stored durably.
    ///
    /// # Errors
    /// Store errors.
    ///
    /// ```
    /// # use transit_keyring::{Error, KeyType, RootKey, Store};
    /// # let dir = tempfile::tempdir().map_err(|_| Error::Entropy)?;
    /// # let store = Store::open(dir.path(), RootKey::generate()?)?;
    /// let keyring = store.create("ci-env", KeyType::Aes256Gcm96)?;
    /// keyring.set_deletion_allowed(true)?;
    /// assert!(keyring.metadata()?.deletion_allowed);
    /// # Ok::<(), transit_keyring::Error>(())
    /// ```
    pub fn set_deletion_allowed(&self, allowed: bool) -> Result<()> {
        self.update(|r| {
            r.keyring.set_deletion_allowed(allowed);
            Ok(())
        })
    }

    /// Vault's `auto_rotate_period`: zero for never, else at least an hour. Encryption
    /// rotates first once the latest version is this old.
    ///
    /// # Errors
    /// [`crate::Error::AutoRotatePeriod`] between zero and an hour; store errors.
    ///
    /// ```
    /// use std::time::Duration;
    /// # use transit_keyring::{Error, KeyType, RootKey, Store};
    /// # let dir = tempfile::tempdir().map_err(|_| Error::Entropy)?;
    /// # let store = Store::open(dir.path(), RootKey::generate()?)?;
    /// let keyring = store.create("ci-env", KeyType::Aes256Gcm96)?;
    /// keyring.set_auto_rotate_period(Duration::from_secs(24 * 3600))?;
    /// assert!(keyring.metadata()?.next_rotation.is_some());
    /// # Ok::<(), transit_keyring::Error>(())
    /// ```
    pub fn set_auto_rotate_period(&self, period: Duration) -> Result<()> {
        self.update(|r| r.keyring.set_auto_rotate_period(period))
    }

    /// How many encryptions each version may perform before the keyring rotates: 1 to 2^32
    /// (the default). Lowering it below a version's count makes the next encryption rotate.
    ///
    /// # Errors
    /// [`crate::Error::UsageLimit`] outside 1 ..= 2^32; store errors.
    ///
    /// ```
    /// # use transit_keyring::{Error, KeyType, RootKey, Store};
    /// # let dir = tempfile::tempdir().map_err(|_| Error::Entropy)?;
    /// # let store = Store::open(dir.path(), RootKey::generate()?)?;
    /// let keyring = store.create("ci-env", KeyType::Aes256Gcm96)?;
    /// keyring.set_usage_limit(1 << 20)?;
    /// assert_eq!(keyring.metadata()?.usage_limit, 1 << 20);
    /// assert_eq!(keyring.set_usage_limit(0).unwrap_err(), Error::UsageLimit);
    /// # Ok::<(), transit_keyring::Error>(())
    /// ```
    pub fn set_usage_limit(&self, limit: u64) -> Result<()> {
        let limit = Usage::check_limit(limit)?;
        self.update(|r| {
            r.usage.usage_limit = limit;
            Ok(())
        })
    }
}
