//! Creating keyrings: key type, derivation, convergence and export flags.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use super::Keyring;
use crate::cipher::KeyType;
use crate::ciphertext::Template;
use crate::derive::Kdf;
use crate::error::{Error, Result};

/// How to create a keyring: key type, derivation, convergence and export flags.
///
/// ```
/// use transit_keyring::{Kdf, KeyType, Keyring};
/// let keyring = Keyring::builder("per-project")
///     .key_type(KeyType::Chacha20Poly1305)
///     .derived(Kdf::HkdfSha256)
///     .exportable(true)
///     .generate()?;
/// assert!(keyring.is_derived());
/// # Ok::<(), transit_keyring::Error>(())
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct KeyringBuilder {
    name: String,
    key_type: KeyType,
    kdf: Option<Kdf>,
    convergent_encryption: bool,
    exportable: bool,
    allow_plaintext_backup: bool,
}

impl KeyringBuilder {
    /// Defaults: `aes256-gcm96`, not derived, not convergent, not exportable.
    pub(super) fn new(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            key_type: KeyType::default(),
            kdf: None,
            convergent_encryption: false,
            exportable: false,
            allow_plaintext_backup: false,
        }
    }

    /// The key type (default `aes256-gcm96`).
    pub fn key_type(mut self, key_type: KeyType) -> Self {
        self.key_type = key_type;
        self
    }

    /// Makes the keyring derived: every call must pass a context (Vault's `derived=true`).
    pub fn derived(mut self, kdf: Kdf) -> Self {
        self.kdf = Some(kdf);
        self
    }

    /// Convergent encryption: the same plaintext and context give the same ciphertext, so
    /// equal values are visible as equal ciphertexts. Needs [`KeyringBuilder::derived`] with
    /// [`Kdf::HkdfSha256`].
    pub fn convergent_encryption(mut self, convergent: bool) -> Self {
        self.convergent_encryption = convergent;
        self
    }

    /// Allows [`Keyring::to_vault_export`] and backups. Cannot be turned off later.
    pub fn exportable(mut self, exportable: bool) -> Self {
        self.exportable = exportable;
        self
    }

    /// Allows plaintext backups (Vault's `allow_plaintext_backup`). Cannot be turned off later.
    pub fn allow_plaintext_backup(mut self, allow: bool) -> Self {
        self.allow_plaintext_backup = allow;
        self
    }

    /// Creates the keyring with a fresh random version 1.
    ///
    /// # Errors
    /// [`Error::ConvergentRequiresDerivation`] for a convergent, non-derived keyring;
    /// [`Error::ConvergentNeedsHkdf`] for a convergent keyring on the counter KDF;
    /// [`Error::Entropy`] if the OS random source fails.
    ///
    /// ```
    /// use transit_keyring::{Error, Keyring};
    /// let err = Keyring::builder("k").convergent_encryption(true).generate().unwrap_err();
    /// assert_eq!(err, Error::ConvergentRequiresDerivation);
    /// ```
    pub fn generate(self) -> Result<Keyring> {
        self.generate_at(SystemTime::now())
    }

    /// As [`KeyringBuilder::generate`], with version 1 created at `now`.
    ///
    /// # Errors
    /// As [`KeyringBuilder::generate`].
    ///
    /// ```
    /// use std::time::{Duration, SystemTime};
    /// let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    /// let keyring = transit_keyring::Keyring::builder("k").generate_at(t)?;
    /// assert_eq!(keyring.creation_time(1), Some(t));
    /// # Ok::<(), transit_keyring::Error>(())
    /// ```
    pub fn generate_at(self, now: SystemTime) -> Result<Keyring> {
        match (self.convergent_encryption, self.kdf) {
            (true, None) => return Err(Error::ConvergentRequiresDerivation),
            // Convergent v3 derives enc_len + 32 bytes; the counter KDF yields 32. Vault
            // creates such a key and then fails every encryption; we refuse it up front.
            (true, Some(Kdf::HmacSha256Counter)) => return Err(Error::ConvergentNeedsHkdf),
            _ => {}
        }
        let mut keyring = Keyring {
            name: self.name,
            key_type: self.key_type,
            kdf: self.kdf,
            convergent_encryption: self.convergent_encryption,
            convergent_version: if self.convergent_encryption { -1 } else { 0 },
            exportable: self.exportable,
            allow_plaintext_backup: self.allow_plaintext_backup,
            deletion_allowed: false,
            latest_version: 0,
            min_decryption_version: 1,
            min_encryption_version: 0,
            min_available_version: 0,
            auto_rotate_period: Duration::ZERO,
            template: Template::default(),
            keys: BTreeMap::new(),
            imported: false,
            allow_imported_key_rotation: false,
            backup_info: None,
            restore_info: None,
        };
        keyring.rotate_at(now)?;
        Ok(keyring)
    }
}
