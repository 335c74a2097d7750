//! Encrypt, decrypt and rewrap: where key versions meet `vault:vN:` strings.
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use zeroize::Zeroizing;

use super::{KeyEntry, Keyring};
use crate::cipher::{Aead, random_nonce};
use crate::ciphertext::decode_body;
use crate::derive::convergent_nonce;
use crate::error::{Error, Result};
use crate::options::Options;
use crate::secret::Plaintext;

impl Keyring {
    /// Encrypts `plaintext` with the latest version: `vault:vN:<base64(nonce ‖ ct ‖ tag)>`.
    ///
    /// # Errors
    /// [`Error::MissingContext`] on a derived keyring (use [`Keyring::encrypt_with`]);
    /// [`Error::Entropy`] if the OS random source fails.
    ///
    /// ```
    /// use transit_keyring::{KeyType, Keyring};
    /// let keyring = Keyring::generate("ci-env", KeyType::Aes256Gcm96)?;
    /// let ciphertext = keyring.encrypt(b"hunter2")?;
    /// assert!(ciphertext.starts_with("vault:v1:"));
    /// # Ok::<(), transit_keyring::Error>(())
    /// ```
    pub fn encrypt(&self, plaintext: &[u8]) -> Result<String> {
        self.encrypt_with(plaintext, &Options::new())
    }

    /// Encrypts with associated data, a context and/or a chosen key version.
    ///
    /// # Errors
    /// [`Error::EncryptVersionTooNew`] / [`Error::EncryptVersionTooOld`] for a `key_version`
    /// above the latest or below `min_encryption_version`; [`Error::NoSuchKeyVersion`] for a
    /// trimmed one; [`Error::MissingContext`] on a derived keyring without context;
    /// [`Error::ConvergentAssociatedData`] for associated data on a convergent keyring
    /// (stricter than Vault, whose convergent nonce would then repeat); [`Error::Entropy`].
    ///
    /// ```
    /// use transit_keyring::{Kdf, Keyring, Options};
    /// let keyring = Keyring::builder("k").derived(Kdf::HkdfSha256).generate()?;
    /// let opts = Options::new().context(b"project/42");
    /// let ciphertext = keyring.encrypt_with(b"v", &opts)?;
    /// assert_eq!(&*keyring.decrypt_with(&ciphertext, &opts)?, b"v");
    /// # Ok::<(), transit_keyring::Error>(())
    /// ```
    pub fn encrypt_with(&self, plaintext: &[u8], opts: &Options<'_>) -> Result<String> {
        self.encrypt_versioned(plaintext, opts)
            .map(|(ciphertext, _)| ciphertext)
    }

    /// [`Keyring::encrypt_with`], also giving the version that encrypted (for batch results,
    /// data keys and envelope headers).
    pub(crate) fn encrypt_versioned(
        &self,
        plaintext: &[u8],
        opts: &Options<'_>,
    ) -> Result<(String, u32)> {
        let version = self.encryption_version(opts.key_version)?;
        let body = self.seal_version(version, plaintext, opts)?;
        Ok((self.template.format(version, &body), version))
    }

    /// Decrypts a `vault:vN:` ciphertext made without associated data or context.
    ///
    /// # Errors
    /// Vault's parse errors in Vault's order ([`Error::NoPrefix`],
    /// [`Error::WrongNumberOfFields`], [`Error::VersionUndecodable`], [`Error::VersionTooNew`],
    /// [`Error::VersionTooOld`], [`Error::InvalidBase64`], [`Error::InvalidCiphertextLength`]),
    /// [`Error::NoSuchKeyVersion`] for a trimmed version, and the opaque [`Error::Decrypt`] for
    /// a wrong key, wrong associated data or any altered byte.
    ///
    /// ```
    /// use transit_keyring::{Error, KeyType, Keyring};
    /// let keyring = Keyring::generate("ci-env", KeyType::Aes256Gcm96)?;
    /// assert_eq!(keyring.decrypt("v1:abc").unwrap_err(), Error::NoPrefix);
    /// let plaintext = keyring.decrypt(&keyring.encrypt(b"hunter2")?)?;
    /// assert_eq!(&*plaintext, b"hunter2");
    /// # Ok::<(), transit_keyring::Error>(())
    /// ```
    pub fn decrypt(&self, ciphertext: &str) -> Result<Plaintext> {
        self.decrypt_with(ciphertext, &Options::new())
    }

    /// Decrypts with associated data and/or a context (`key_version` is ignored: the
    /// ciphertext names its version).
    ///
    /// # Errors
    /// As [`Keyring::decrypt`], plus [`Error::MissingContext`] on a derived keyring.
    ///
    /// ```
    /// use transit_keyring::{Error, KeyType, Keyring, Options};
    /// let keyring = Keyring::generate("ci-env", KeyType::Aes256Gcm96)?;
    /// let bound = Options::new().associated_data(b"project/42");
    /// let ciphertext = keyring.encrypt_with(b"x", &bound)?;
    /// let other = Options::new().associated_data(b"project/43");
    /// assert!(matches!(keyring.decrypt_with(&ciphertext, &other), Err(Error::Decrypt { .. })));
    /// # Ok::<(), transit_keyring::Error>(())
    /// ```
    pub fn decrypt_with(&self, ciphertext: &str, opts: &Options<'_>) -> Result<Plaintext> {
        let (version, encoded) = self.template.split(ciphertext)?;
        let version = self.decryption_version(version)?;
        if self.convergent_scheme(version) == 1 {
            // Vault 0.6.1's scheme needs a caller nonce that Vault itself no longer passes.
            return Err(Error::Unsupported("convergent encryption version 1"));
        }
        let body = Zeroizing::new(decode_body(encoded)?);
        self.open_version(version, body, opts).map(Plaintext::new)
    }

    /// Decrypts and re-encrypts under the latest version (or `key_version` of `opts`); the
    /// plaintext never leaves the library. Always draws a fresh nonce, as Vault does.
    ///
    /// # Errors
    /// Any error of [`Keyring::decrypt_with`] or [`Keyring::encrypt_with`].
    ///
    /// ```
    /// use transit_keyring::{KeyType, Keyring};
    /// let mut keyring = Keyring::generate("ci-env", KeyType::Aes256Gcm96)?;
    /// let ciphertext = keyring.encrypt(b"x")?;
    /// keyring.rotate()?;
    /// assert!(keyring.rewrap(&ciphertext)?.starts_with("vault:v2:"));
    /// # Ok::<(), transit_keyring::Error>(())
    /// ```
    pub fn rewrap(&self, ciphertext: &str) -> Result<String> {
        self.rewrap_with(ciphertext, &Options::new())
    }

    /// [`Keyring::rewrap`] with a context, associated data (used on both sides; Vault's
    /// rewrap has none) and/or a target `key_version`.
    ///
    /// # Errors
    /// As [`Keyring::rewrap`].
    ///
    /// ```
    /// use transit_keyring::{KeyType, Keyring, Options};
    /// let mut keyring = Keyring::generate("ci-env", KeyType::Aes256Gcm96)?;
    /// keyring.rotate()?;
    /// let ciphertext = keyring.encrypt(b"x")?;
    /// let back = keyring.rewrap_with(&ciphertext, &Options::new().key_version(1))?;
    /// assert!(back.starts_with("vault:v1:"));
    /// # Ok::<(), transit_keyring::Error>(())
    /// ```
    pub fn rewrap_with(&self, ciphertext: &str, opts: &Options<'_>) -> Result<String> {
        let plaintext = self.decrypt_with(ciphertext, opts)?;
        self.encrypt_with(&plaintext, opts)
    }

    /// Vault's encrypt-side version rules: 0 = latest; then too new, then too old.
    pub(crate) fn encryption_version(&self, requested: u32) -> Result<u32> {
        match requested {
            0 => Ok(self.latest_version),
            v if v > self.latest_version => Err(Error::EncryptVersionTooNew),
            v if v < self.min_encryption_version => Err(Error::EncryptVersionTooOld),
            v => Ok(v),
        }
    }

    /// Steps 5–7 of spec §1.3: v0 means v1 (Vault keyrings once counted from 0), then too
    /// new, then too old (negative versions land there too).
    pub(crate) fn decryption_version(&self, version: i64) -> Result<u32> {
        let version = if version == 0 { 1 } else { version };
        if version > i64::from(self.latest_version) {
            return Err(Error::VersionTooNew);
        }
        if version < i64::from(self.min_decryption_version) {
            return Err(Error::VersionTooOld);
        }
        u32::try_from(version).map_err(|_| Error::VersionTooOld)
    }

    /// The entry of `version` in Vault's working set (`min_decryption_version..=latest`):
    /// older versions may still be archived here but are as absent as trimmed ones.
    pub(crate) fn entry(&self, version: u32) -> Result<&KeyEntry> {
        if version < self.min_decryption_version {
            return Err(Error::NoSuchKeyVersion);
        }
        self.keys.get(&version).ok_or(Error::NoSuchKeyVersion)
    }

    /// The convergent scheme of `version`: 0 if not convergent, else entry's, else policy's.
    pub(crate) fn convergent_scheme(&self, version: u32) -> i64 {
        if !self.convergent_encryption {
            return 0;
        }
        match self.keys.get(&version).map(|e| e.convergent_version) {
            Some(v) if v != 0 => v,
            _ if self.convergent_version == 0 => 1,
            _ => self.convergent_version,
        }
    }

    /// `nonce ‖ ct ‖ tag` of `plaintext` under `version` (which the caller has checked).
    pub(crate) fn seal_version(
        &self,
        version: u32,
        plaintext: &[u8],
        opts: &Options<'_>,
    ) -> Result<Vec<u8>> {
        let entry = self.entry(version)?;
        let mut body = Vec::new();
        let Some(kdf) = self.kdf else {
            entry
                .aead
                .seal_into(&random_nonce()?, opts.associated_data, plaintext, &mut body)?;
            return Ok(body);
        };
        let enc_len = self.key_type.key_len();
        let scheme = self.convergent_scheme(version);
        if scheme != 0 && !opts.associated_data.is_empty() {
            // Vault allows it, but its convergent nonce ignores associated data: the same value
            // under two associated data would share a nonce, which leaks GCM's hash key.
            return Err(Error::ConvergentAssociatedData);
        }
        let (key, nonce) = match scheme {
            0 => (
                kdf.derive(entry.key.expose_secret(), opts.context, enc_len)?,
                random_nonce()?,
            ),
            2 => {
                let key = kdf.derive(entry.key.expose_secret(), opts.context, enc_len)?;
                (key, convergent_nonce(opts.context, plaintext)?)
            }
            3 => {
                // One HKDF stream: the encryption key, then the key of the nonce's HMAC.
                let hmac_len = enc_len
                    .checked_add(32)
                    .ok_or(Error::Unsupported("key length"))?;
                let mut key = kdf.derive(entry.key.expose_secret(), opts.context, hmac_len)?;
                let nonce = convergent_nonce(key.get(enc_len..).unwrap_or_default(), plaintext)?;
                key.truncate(enc_len);
                (key, nonce)
            }
            _ => return Err(Error::Unsupported("convergent encryption version 1")),
        };
        Aead::new(self.key_type, &key)?.seal_into(
            &nonce,
            opts.associated_data,
            plaintext,
            &mut body,
        )?;
        Ok(body)
    }

    /// Opens `body` under `version` (which the caller has checked).
    pub(crate) fn open_version(
        &self,
        version: u32,
        body: Zeroizing<Vec<u8>>,
        opts: &Options<'_>,
    ) -> Result<Zeroizing<Vec<u8>>> {
        let entry = self.entry(version)?;
        let derived;
        let aead = match self.kdf {
            None => &entry.aead,
            Some(kdf) => {
                let key = kdf.derive(
                    entry.key.expose_secret(),
                    opts.context,
                    self.key_type.key_len(),
                )?;
                derived = Aead::new(self.key_type, &key)?;
                &derived
            }
        };
        // A body shorter than a nonce is Vault's `invalid ciphertext length` (checked inside).
        aead.open_owned(self.key_type, body, opts.associated_data)
    }
}
