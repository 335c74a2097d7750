//! Data keys (Vault's `datakey/plaintext` and `datakey/wrapped`, spec §7): fresh random
//! keys for the caller's own encryption, handed out together with their `vault:vN:`
//! wrapping, so that only the wrapped form needs storing.

use core::fmt;

use crate::cipher::random_key;
use crate::error::{Error, Result};
use crate::keyring::Keyring;
use crate::options::Options;
use crate::secret::KeyMaterial;

/// Key length in bytes for Vault's `bits` parameter: 128, 256 (Vault's default) or 512.
pub(crate) fn key_len(bits: u32) -> Result<usize> {
    match bits {
        128 => Ok(16),
        256 => Ok(32),
        512 => Ok(64),
        _ => Err(Error::InvalidBitLength),
    }
}

/// A fresh data key: the raw bytes, and the same bytes encrypted under the keyring.
///
/// The key bytes are zeroized on drop and redacted in `Debug`; there is no `Clone`, so a
/// copy of the key exists only where the caller makes one from
/// [`KeyMaterial::expose_secret`].
///
/// ```
/// use transit_keyring::{KeyType, Keyring, Options};
/// let keyring = Keyring::generate("ci-env", KeyType::Aes256Gcm96)?;
/// let datakey = keyring.datakey(256, &Options::new())?;
/// let debug = format!("{datakey:?}");
/// assert!(debug.starts_with("DataKey { ciphertext: \"vault:v1:"));
/// assert!(debug.ends_with("key_version: 1, .. }"));
/// # Ok::<(), transit_keyring::Error>(())
/// ```
///
/// ```compile_fail
/// fn needs_clone<T: Clone>() {}
/// needs_clone::<transit_keyring::DataKey>();
/// ```
pub struct DataKey {
    plaintext: KeyMaterial,
    ciphertext: String,
    key_version: u32,
}

impl DataKey {
    /// The raw key bytes (Vault's `plaintext` field, before base64).
    #[must_use]
    pub fn plaintext(&self) -> &KeyMaterial {
        &self.plaintext
    }

    /// The key encrypted under the keyring: `vault:vN:<base64>`, which
    /// [`Keyring::decrypt_with`] (same options) turns back into the raw bytes.
    #[must_use]
    pub fn ciphertext(&self) -> &str {
        &self.ciphertext
    }

    /// The keyring version that wrapped the key.
    #[must_use]
    pub fn key_version(&self) -> u32 {
        self.key_version
    }

    /// Drops (and zeroizes) the key bytes, keeping the wrapped form.
    ///
    /// ```
    /// use transit_keyring::{KeyType, Keyring, Options};
    /// let keyring = Keyring::generate("ci-env", KeyType::Aes256Gcm96)?;
    /// let datakey = keyring.datakey(128, &Options::new())?;
    /// let ciphertext = datakey.ciphertext().to_owned();
    /// assert_eq!(datakey.into_wrapped().ciphertext(), ciphertext);
    /// # Ok::<(), transit_keyring::Error>(())
    /// ```
    #[must_use]
    pub fn into_wrapped(self) -> WrappedDataKey {
        // `plaintext` is dropped here, and `KeyMaterial` zeroizes on drop.
        WrappedDataKey {
            ciphertext: self.ciphertext,
            key_version: self.key_version,
        }
    }
}

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The ciphertext and version are what Vault returns on the `wrapped` path: public.
        f.debug_struct("DataKey")
            .field("ciphertext", &self.ciphertext)
            .field("key_version", &self.key_version)
            .finish_non_exhaustive()
    }
}

/// A data key in wrapped form only (Vault's `datakey/wrapped`): no key bytes at all.
///
/// ```
/// use transit_keyring::{KeyType, Keyring, Options};
/// let keyring = Keyring::generate("ci-env", KeyType::Aes256Gcm96)?;
/// let wrapped = keyring.wrapped_datakey(512, &Options::new())?;
/// assert_eq!(keyring.decrypt(wrapped.ciphertext())?.len(), 64);
/// # Ok::<(), transit_keyring::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrappedDataKey {
    ciphertext: String,
    key_version: u32,
}

impl WrappedDataKey {
    /// The key encrypted under the keyring: `vault:vN:<base64>`.
    #[must_use]
    pub fn ciphertext(&self) -> &str {
        &self.ciphertext
    }

    /// The keyring version that wrapped the key.
    #[must_use]
    pub fn key_version(&self) -> u32 {
        self.key_version
    }

    /// The ciphertext string, consuming the value.
    #[must_use]
    pub fn into_string(self) -> String {
        self.ciphertext
    }
}

impl Keyring {
    /// A fresh random key of `bits` bits (128, 256 or 512) and its encryption under this
    /// keyring, made exactly as [`Keyring::encrypt_with`] with `opts` would encrypt the raw
    /// bytes (Vault's `datakey/plaintext`).
    ///
    /// # Errors
    /// [`Error::InvalidBitLength`] for any other `bits`; otherwise as
    /// [`Keyring::encrypt_with`] (version rules, [`Error::MissingContext`],
    /// [`Error::Entropy`]).
    ///
    /// ```
    /// use transit_keyring::{Error, KeyType, Keyring, Options};
    /// let keyring = Keyring::generate("ci-env", KeyType::Aes256Gcm96)?;
    /// let datakey = keyring.datakey(256, &Options::new())?;
    /// let raw = keyring.decrypt(datakey.ciphertext())?;
    /// assert_eq!(&*raw, datakey.plaintext().expose_secret());
    /// assert_eq!(keyring.datakey(64, &Options::new()).unwrap_err(), Error::InvalidBitLength);
    /// # Ok::<(), transit_keyring::Error>(())
    /// ```
    pub fn datakey(&self, bits: u32, opts: &Options<'_>) -> Result<DataKey> {
        let len = key_len(bits)?;
        let plaintext = random_key(len)?;
        let (ciphertext, key_version) = self.encrypt_versioned(plaintext.expose_secret(), opts)?;
        Ok(DataKey {
            plaintext,
            ciphertext,
            key_version,
        })
    }

    /// As [`Keyring::datakey`], but returns only the wrapped key; the raw bytes are zeroized
    /// before this returns (Vault's `datakey/wrapped`).
    ///
    /// # Errors
    /// As [`Keyring::datakey`].
    ///
    /// ```
    /// use transit_keyring::{KeyType, Keyring, Options};
    /// let mut keyring = Keyring::generate("ci-env", KeyType::Chacha20Poly1305)?;
    /// keyring.rotate()?;
    /// let wrapped = keyring.wrapped_datakey(128, &Options::new().key_version(1))?;
    /// assert_eq!(wrapped.key_version(), 1);
    /// assert!(wrapped.ciphertext().starts_with("vault:v1:"));
    /// # Ok::<(), transit_keyring::Error>(())
    /// ```
    pub fn wrapped_datakey(&self, bits: u32, opts: &Options<'_>) -> Result<WrappedDataKey> {
        self.datakey(bits, opts).map(DataKey::into_wrapped)
    }
}
