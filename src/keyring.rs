//! A keyring: numbered key versions with Vault transit's rules for rotation, minimum
//! versions and trimming. Encryption lives in `keyring/crypt.rs`, the export document in
//! `keyring/export.rs`.

mod backup;
mod builder;
mod crypt;
mod export;
mod mac;

pub use builder::KeyringBuilder;
pub use mac::HashAlgorithm;

use core::fmt;
use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use crate::cipher::{Aead, KeyType, random_key};
use crate::ciphertext::Template;
use crate::derive::Kdf;
use crate::error::{Error, Result};
use crate::secret::KeyMaterial;
use crate::version;

/// Length of each version's HMAC key (Vault draws 32 random bytes per version).
pub(crate) const HMAC_KEY_LEN: usize = 32;
/// Vault's current convergent scheme (`currentConvergentVersion`).
pub(crate) const CONVERGENT_VERSION: i64 = 3;
/// Vault's lower bound on a non-zero `auto_rotate_period`.
const MIN_AUTO_ROTATE_PERIOD: Duration = Duration::from_secs(3600);

/// One key version: its key, its own HMAC key, when it was made, and its convergent scheme.
pub(crate) struct KeyEntry {
    pub(crate) key: KeyMaterial,
    pub(crate) hmac_key: KeyMaterial,
    pub(crate) creation_time: SystemTime,
    /// Vault's per-entry `convergent_version` (0 = follow the policy).
    pub(crate) convergent_version: i64,
    /// The keyed AEAD for `key`, built once (unused for derived keyrings).
    pub(crate) aead: Aead,
}

impl KeyEntry {
    /// An entry from existing bytes; checks the key length against the type.
    pub(crate) fn new(
        key_type: KeyType,
        key: KeyMaterial,
        hmac_key: KeyMaterial,
        creation_time: SystemTime,
        convergent_version: i64,
    ) -> Result<Self> {
        if key.len() != key_type.key_len() {
            return Err(Error::InvalidKeySize {
                len: key.len(),
                key_type,
            });
        }
        let aead = Aead::new(key_type, key.expose_secret())?;
        Ok(Self {
            key,
            hmac_key,
            creation_time,
            convergent_version,
            aead,
        })
    }
}

/// A named set of key versions, as a Vault transit key.
///
/// Version 1 is made at creation; [`Keyring::rotate`] adds the next. Encryption uses the
/// latest version (or a chosen one at or above `min_encryption_version`); decryption takes
/// any version from `min_decryption_version` to `latest_version`.
///
/// ```
/// use transit_keyring::{KeyType, Keyring};
/// let mut keyring = Keyring::generate("ci-env", KeyType::Aes256Gcm96)?;
/// let old = keyring.encrypt(b"hunter2")?;
/// assert_eq!(keyring.rotate()?, 2);
/// assert_eq!(&*keyring.decrypt(&old)?, b"hunter2");
/// assert!(keyring.rewrap(&old)?.starts_with("vault:v2:"));
/// # Ok::<(), transit_keyring::Error>(())
/// ```
pub struct Keyring {
    pub(crate) name: String,
    pub(crate) key_type: KeyType,
    /// `Some` for a derived keyring.
    pub(crate) kdf: Option<Kdf>,
    pub(crate) convergent_encryption: bool,
    /// Policy-level convergent version: -1 for new convergent keyrings (each entry says).
    pub(crate) convergent_version: i64,
    pub(crate) exportable: bool,
    pub(crate) allow_plaintext_backup: bool,
    pub(crate) deletion_allowed: bool,
    pub(crate) latest_version: u32,
    pub(crate) min_decryption_version: u32,
    pub(crate) min_encryption_version: u32,
    pub(crate) min_available_version: u32,
    pub(crate) auto_rotate_period: Duration,
    pub(crate) template: Template,
    /// Every version from `max(min_available_version, 1)` to `latest_version`.
    pub(crate) keys: BTreeMap<u32, KeyEntry>,
    /// Vault's `Imported`: key bytes came from outside (BYOK).
    pub(crate) imported: bool,
    /// Vault's `AllowImportedKeyRotation`.
    pub(crate) allow_imported_key_rotation: bool,
    /// Vault's `backup_info`: when the last backup was taken, and the latest version then.
    pub(crate) backup_info: Option<(SystemTime, u32)>,
    /// Vault's `restore_info`: when this keyring was restored, and the latest version then.
    pub(crate) restore_info: Option<(SystemTime, u32)>,
}

impl Keyring {
    /// A new keyring named `name` with one random key version of `key_type`.
    ///
    /// # Errors
    /// [`Error::Entropy`] if the OS random source fails.
    ///
    /// ```
    /// use transit_keyring::{KeyType, Keyring};
    /// let keyring = Keyring::generate("ci-env", KeyType::Aes256Gcm96)?;
    /// assert_eq!((keyring.name(), keyring.latest_version()), ("ci-env", 1));
    /// # Ok::<(), transit_keyring::Error>(())
    /// ```
    pub fn generate(name: &str, key_type: KeyType) -> Result<Self> {
        Self::builder(name).key_type(key_type).generate()
    }

    /// Starts a [`KeyringBuilder`] for derived, convergent or exportable keyrings.
    ///
    /// ```
    /// let keyring = transit_keyring::Keyring::builder("k").exportable(true).generate()?;
    /// assert!(keyring.is_exportable());
    /// # Ok::<(), transit_keyring::Error>(())
    /// ```
    pub fn builder(name: &str) -> KeyringBuilder {
        KeyringBuilder::new(name)
    }

    /// Adds a version with a fresh random key and HMAC key; returns its number.
    ///
    /// # Errors
    /// [`Error::VersionOverflow`] past `u32::MAX` versions; [`Error::Entropy`];
    /// [`Error::ImportedKeyRotation`] for an imported key that does not allow rotation.
    ///
    /// ```
    /// let mut keyring = transit_keyring::Keyring::generate("k", Default::default())?;
    /// assert_eq!(keyring.rotate()?, 2);
    /// # Ok::<(), transit_keyring::Error>(())
    /// ```
    pub fn rotate(&mut self) -> Result<u32> {
        self.rotate_at(SystemTime::now())
    }

    /// As [`Keyring::rotate`], with the new version created at `now` (for tests and stores
    /// that keep their own clock).
    ///
    /// # Errors
    /// As [`Keyring::rotate`], and [`Error::InvalidTime`] for a `now` outside the years
    /// 0000–9999 (Vault's JSON cannot carry it).
    ///
    /// ```
    /// let mut keyring = transit_keyring::Keyring::generate("k", Default::default())?;
    /// let now = std::time::SystemTime::now();
    /// let v = keyring.rotate_at(now)?;
    /// assert_eq!(keyring.creation_time(v), Some(now));
    /// # Ok::<(), transit_keyring::Error>(())
    /// ```
    pub fn rotate_at(&mut self, now: SystemTime) -> Result<u32> {
        if self.imported && !self.allow_imported_key_rotation {
            return Err(Error::ImportedKeyRotation {
                name: self.name.clone(),
            });
        }
        backup::time_text::check(now)?; // a time Vault's JSON cannot hold would strand the key
        let next = version::next(self.latest_version)?;
        // New convergent keyrings mint v3 entries; legacy policies keep their own scheme.
        let convergent_version = if self.convergent_encryption
            && (self.convergent_version == -1 || self.convergent_version > 1)
        {
            CONVERGENT_VERSION
        } else {
            0
        };
        let entry = KeyEntry::new(
            self.key_type,
            random_key(self.key_type.key_len())?,
            random_key(HMAC_KEY_LEN)?,
            now,
            convergent_version,
        )?;
        self.keys.insert(next, entry);
        self.latest_version = next;
        Ok(next)
    }

    /// The keyring's name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key type of every version.
    #[must_use]
    pub fn key_type(&self) -> KeyType {
        self.key_type
    }

    /// The newest version, the one encryption uses by default.
    #[must_use]
    pub fn latest_version(&self) -> u32 {
        self.latest_version
    }

    /// Ciphertexts of lower versions are refused (always at least 1).
    #[must_use]
    pub fn min_decryption_version(&self) -> u32 {
        self.min_decryption_version
    }

    /// Encryption with a lower `key_version` is refused; 0 means only the latest is enforced.
    #[must_use]
    pub fn min_encryption_version(&self) -> u32 {
        self.min_encryption_version
    }

    /// The lowest version whose key is still stored (0 until the first trim).
    #[must_use]
    pub fn min_available_version(&self) -> u32 {
        self.min_available_version
    }

    /// Whether every call needs a context (derived keys).
    #[must_use]
    pub fn is_derived(&self) -> bool {
        self.kdf.is_some()
    }

    /// The KDF of a derived keyring.
    #[must_use]
    pub fn kdf(&self) -> Option<Kdf> {
        self.kdf
    }

    /// Whether equal plaintexts under equal contexts give equal ciphertexts.
    #[must_use]
    pub fn is_convergent(&self) -> bool {
        self.convergent_encryption
    }

    /// Whether key material may leave through exports and backups.
    #[must_use]
    pub fn is_exportable(&self) -> bool {
        self.exportable
    }

    /// Whether plaintext backups are allowed.
    #[must_use]
    pub fn allows_plaintext_backup(&self) -> bool {
        self.allow_plaintext_backup
    }

    /// Whether the keyring may be deleted (Vault's `deletion_allowed`).
    #[must_use]
    pub fn is_deletion_allowed(&self) -> bool {
        self.deletion_allowed
    }

    /// How often the keyring should be rotated; zero means never.
    #[must_use]
    pub fn auto_rotate_period(&self) -> Duration {
        self.auto_rotate_period
    }

    /// When `version` was created, if it is still stored.
    #[must_use]
    pub fn creation_time(&self, version: u32) -> Option<SystemTime> {
        self.keys.get(&version).map(|e| e.creation_time)
    }

    /// The stored versions, lowest first.
    #[must_use]
    pub fn versions(&self) -> Vec<u32> {
        self.keys.keys().copied().collect()
    }
}

mod config;

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keyring")
            .field("name", &self.name)
            .field("key_type", &self.key_type)
            .field("derived", &self.kdf)
            .field("convergent_encryption", &self.convergent_encryption)
            .field("exportable", &self.exportable)
            .field("latest_version", &self.latest_version)
            .field("min_decryption_version", &self.min_decryption_version)
            .field("min_encryption_version", &self.min_encryption_version)
            .field("min_available_version", &self.min_available_version)
            .field("versions", &self.keys.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::TrimRule;

    #[test]
    fn trim_error_is_named_rule() {
        let mut keyring = Keyring::generate("k", KeyType::Aes256Gcm96).unwrap();
        assert_eq!(
            keyring.trim(1),
            Err(Error::Trim(TrimRule::MinEncryptionUnset))
        );
    }
}
