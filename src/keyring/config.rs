//! Keyring configuration with Vault's rules: minimum versions, trim, one-way flags and the
//! auto-rotate period (`keys/:name/config`, `keys/:name/trim`).

use std::time::Duration;

use super::{Keyring, MIN_AUTO_ROTATE_PERIOD};
use crate::error::{Error, Result, TrimRule};

impl Keyring {
    /// Refuses ciphertexts older than `version` from now on (Vault's `min_decryption_version`).
    /// 0 means 1, as in Vault.
    ///
    /// # Errors
    /// [`Error::MinVersionAboveLatest`] if `version` is above [`Keyring::latest_version`];
    /// [`Error::MinEncryptionBelowMinDecryption`] if a set `min_encryption_version` would be
    /// below it; [`Error::MinDecryptionBelowMinAvailable`] below a trimmed version. On error
    /// nothing changes.
    ///
    /// ```
    /// use transit_keyring::{Error, KeyType, Keyring};
    /// let mut keyring = Keyring::generate("ci-env", KeyType::Aes256Gcm96)?;
    /// let old = keyring.encrypt(b"x")?;
    /// let v2 = keyring.rotate()?;
    /// keyring.set_min_decryption_version(v2)?;
    /// assert_eq!(keyring.decrypt(&old).unwrap_err(), Error::VersionTooOld);
    /// # Ok::<(), transit_keyring::Error>(())
    /// ```
    pub fn set_min_decryption_version(&mut self, version: u32) -> Result<()> {
        let version = version.max(1);
        if version > self.latest_version {
            return Err(Error::MinVersionAboveLatest {
                version,
                latest: self.latest_version,
            });
        }
        self.check_minimums(version, self.min_encryption_version)?;
        self.min_decryption_version = version;
        Ok(())
    }

    /// Refuses encryption with a `key_version` below `version` (0: no minimum besides the
    /// latest default).
    ///
    /// # Errors
    /// [`Error::MinEncryptionVersionAboveLatest`] above the latest version;
    /// [`Error::MinEncryptionBelowMinDecryption`] if non-zero and below
    /// `min_decryption_version`; [`Error::MinEncryptionBelowMinAvailable`] below a trimmed
    /// version (0 included, as in Vault). On error nothing changes.
    ///
    /// ```
    /// use transit_keyring::{Error, KeyType, Keyring, Options};
    /// let mut keyring = Keyring::generate("ci-env", KeyType::Aes256Gcm96)?;
    /// keyring.rotate()?;
    /// keyring.set_min_encryption_version(2)?;
    /// let err = keyring.encrypt_with(b"x", &Options::new().key_version(1)).unwrap_err();
    /// assert_eq!(err, Error::EncryptVersionTooOld);
    /// # Ok::<(), transit_keyring::Error>(())
    /// ```
    pub fn set_min_encryption_version(&mut self, version: u32) -> Result<()> {
        if version > self.latest_version {
            return Err(Error::MinEncryptionVersionAboveLatest {
                version,
                latest: self.latest_version,
            });
        }
        self.check_minimums(self.min_decryption_version, version)?;
        self.min_encryption_version = version;
        Ok(())
    }

    /// Vault's final checks of `keys/:name/config`, on the values it would store.
    fn check_minimums(&self, min_decryption: u32, min_encryption: u32) -> Result<()> {
        if min_encryption > 0 && min_encryption < min_decryption {
            return Err(Error::MinEncryptionBelowMinDecryption {
                min_encryption_version: min_encryption,
                min_decryption_version: min_decryption,
            });
        }
        if self.min_available_version > min_encryption {
            return Err(Error::MinEncryptionBelowMinAvailable);
        }
        if self.min_available_version > min_decryption {
            return Err(Error::MinDecryptionBelowMinAvailable);
        }
        Ok(())
    }

    /// Permanently deletes every version below `min_available_version` (Vault's trim). Both
    /// minimums must be set and at least `min_available_version`.
    ///
    /// # Errors
    /// [`Error::Trim`] naming the broken rule; on error nothing is deleted.
    ///
    /// ```
    /// use transit_keyring::{KeyType, Keyring};
    /// let mut keyring = Keyring::generate("ci-env", KeyType::Aes256Gcm96)?;
    /// keyring.rotate()?;
    /// keyring.set_min_decryption_version(2)?;
    /// keyring.set_min_encryption_version(2)?;
    /// keyring.trim(2)?;
    /// assert_eq!(keyring.versions(), vec![2]);
    /// # Ok::<(), transit_keyring::Error>(())
    /// ```
    pub fn trim(&mut self, min_available_version: u32) -> Result<()> {
        // Same order as Vault's switch, so the same input gets the same text.
        let rule = if min_available_version < self.min_available_version {
            Some(TrimRule::Decremented)
        } else if self.min_encryption_version == 0 {
            Some(TrimRule::MinEncryptionUnset)
        } else if self.min_decryption_version == 0 {
            Some(TrimRule::MinDecryptionUnset)
        } else if min_available_version > self.min_encryption_version {
            Some(TrimRule::AboveMinEncryption)
        } else if min_available_version > self.min_decryption_version {
            Some(TrimRule::AboveMinDecryption)
        } else if min_available_version == 0 {
            Some(TrimRule::NotPositive)
        } else {
            None
        };
        if let Some(rule) = rule {
            return Err(Error::Trim(rule));
        }
        self.keys = self.keys.split_off(&min_available_version);
        self.min_available_version = min_available_version;
        Ok(())
    }

    /// Allows key export and backup from now on. One-way, as in Vault.
    ///
    /// ```
    /// let mut keyring = transit_keyring::Keyring::generate("k", Default::default())?;
    /// keyring.set_exportable();
    /// assert!(keyring.is_exportable());
    /// # Ok::<(), transit_keyring::Error>(())
    /// ```
    pub fn set_exportable(&mut self) {
        self.exportable = true;
    }

    /// Allows plaintext backups from now on. One-way, as in Vault.
    ///
    /// ```
    /// let mut keyring = transit_keyring::Keyring::generate("k", Default::default())?;
    /// keyring.set_allow_plaintext_backup();
    /// assert!(keyring.allows_plaintext_backup());
    /// # Ok::<(), transit_keyring::Error>(())
    /// ```
    pub fn set_allow_plaintext_backup(&mut self) {
        self.allow_plaintext_backup = true;
    }

    /// Whether the keyring may be deleted from a store.
    ///
    /// ```
    /// let mut keyring = transit_keyring::Keyring::generate("k", Default::default())?;
    /// keyring.set_deletion_allowed(true);
    /// assert!(keyring.is_deletion_allowed());
    /// # Ok::<(), transit_keyring::Error>(())
    /// ```
    pub fn set_deletion_allowed(&mut self, allowed: bool) {
        self.deletion_allowed = allowed;
    }

    /// Sets how often a store should rotate this keyring: zero turns it off, otherwise at
    /// least an hour (Vault's rule).
    ///
    /// # Errors
    /// [`Error::AutoRotatePeriod`] for a period between zero and an hour.
    ///
    /// ```
    /// use std::time::Duration;
    /// let mut keyring = transit_keyring::Keyring::generate("k", Default::default())?;
    /// keyring.set_auto_rotate_period(Duration::from_secs(24 * 3600))?;
    /// assert!(keyring.set_auto_rotate_period(Duration::from_secs(60)).is_err());
    /// # Ok::<(), transit_keyring::Error>(())
    /// ```
    pub fn set_auto_rotate_period(&mut self, period: Duration) -> Result<()> {
        if !period.is_zero() && period < MIN_AUTO_ROTATE_PERIOD {
            return Err(Error::AutoRotatePeriod);
        }
        self.auto_rotate_period = period;
        Ok(())
    }
}
