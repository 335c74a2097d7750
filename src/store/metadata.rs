//! A stored keyring's metadata, as Vault's `GET transit/keys/:name` shows it, plus the
//! store's usage counts and rotation schedule. Never any key bytes.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use super::stored::StoredKeyring;
use super::usage::Lease;
use crate::cipher::KeyType;
use crate::error::Result;

/// Everything about a stored keyring except its keys.
///
/// ```
/// # use transit_keyring::{Error, KeyType, RootKey, Store};
/// # let dir = tempfile::tempdir().map_err(|_| Error::Entropy)?;
/// let store = Store::open(dir.path(), RootKey::generate()?)?;
/// let keyring = store.create("ci-env", KeyType::Aes256Gcm96)?;
/// keyring.encrypt(b"x")?;
/// let meta = keyring.metadata()?;
/// assert_eq!((meta.latest_version, meta.usage_limit), (1, 1 << 32));
/// assert_eq!(meta.versions[&1].encryptions, 1);
/// # Ok::<(), transit_keyring::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct KeyringMetadata {
    /// The keyring's name.
    pub name: String,
    /// The key type of every version.
    pub key_type: KeyType,
    /// Whether every call needs a context.
    pub derived: bool,
    /// Whether key material may leave through exports and backups (one-way).
    pub exportable: bool,
    /// Whether [`crate::Store::delete`] may delete it.
    pub deletion_allowed: bool,
    /// The newest version.
    pub latest_version: u32,
    /// Ciphertexts of lower versions are refused.
    pub min_decryption_version: u32,
    /// Encryption with a lower version is refused; 0 means the latest only by default.
    pub min_encryption_version: u32,
    /// The lowest version still stored (0 until the first trim).
    pub min_available_version: u32,
    /// How often the keyring rotates by itself; zero means never.
    pub auto_rotate_period: Duration,
    /// When the next time-based rotation is due, if `auto_rotate_period` is set.
    pub next_rotation: Option<SystemTime>,
    /// Encryptions allowed per version before the keyring rotates (at most 2^32).
    pub usage_limit: u64,
    /// Every stored version.
    pub versions: BTreeMap<u32, VersionMetadata>,
}

/// One stored key version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct VersionMetadata {
    /// When the version was created.
    pub creation_time: SystemTime,
    /// Encryptions counted against this version: exact for a single process that has not
    /// crashed, otherwise an upper bound (reservations lost in a crash stay counted).
    pub encryptions: u64,
}

impl StoredKeyring {
    /// The keyring's settings, versions, usage counts and rotation schedule.
    ///
    /// # Errors
    /// Store errors, if the copy is over a second old and the file cannot be re-read.
    ///
    /// ```
    /// # use transit_keyring::{Error, KeyType, RootKey, Store};
    /// # let dir = tempfile::tempdir().map_err(|_| Error::Entropy)?;
    /// # let store = Store::open(dir.path(), RootKey::generate()?)?;
    /// let keyring = store.create("ci-env", KeyType::Aes256Gcm96)?;
    /// assert_eq!(keyring.metadata()?.versions.len(), 1);
    /// # Ok::<(), transit_keyring::Error>(())
    /// ```
    pub fn metadata(&self) -> Result<KeyringMetadata> {
        self.ensure_fresh()?;
        let state = self.read_state();
        let (keyring, usage) = (&state.record.keyring, &state.record.usage);
        let versions = keyring
            .keys
            .iter()
            .map(|(&v, entry)| {
                let unused = state.leases.get(&v).map_or(0, Lease::unused);
                let encryptions = usage.reserved(v).saturating_sub(unused);
                (
                    v,
                    VersionMetadata {
                        creation_time: entry.creation_time,
                        encryptions,
                    },
                )
            })
            .collect();
        Ok(KeyringMetadata {
            name: keyring.name.clone(),
            key_type: keyring.key_type,
            derived: keyring.kdf.is_some(),
            exportable: keyring.exportable,
            deletion_allowed: keyring.deletion_allowed,
            latest_version: keyring.latest_version,
            min_decryption_version: keyring.min_decryption_version,
            min_encryption_version: keyring.min_encryption_version,
            min_available_version: keyring.min_available_version,
            auto_rotate_period: keyring.auto_rotate_period,
            next_rotation: state.rotate_after,
            usage_limit: usage.usage_limit,
            versions,
        })
    }

    /// As [`crate::Keyring::to_vault_export`].
    ///
    /// # Errors
    /// [`crate::Error::NotExportable`] unless the keyring is exportable.
    ///
    /// ```
    /// # use transit_keyring::{Error, KeyType, RootKey, Store};
    /// # let dir = tempfile::tempdir().map_err(|_| Error::Entropy)?;
    /// # let store = Store::open(dir.path(), RootKey::generate()?)?;
    /// let keyring = store.create("ci-env", KeyType::Aes256Gcm96)?;
    /// assert_eq!(keyring.to_vault_export().unwrap_err(), Error::NotExportable);
    /// # Ok::<(), transit_keyring::Error>(())
    /// ```
    pub fn to_vault_export(&self) -> Result<String> {
        self.read_state().record.keyring.to_vault_export()
    }
}
