//! The rest of the in-memory [`crate::Keyring`]'s API on a [`StoredKeyring`]: HMAC, data
//! keys and batches. Whatever encrypts goes through [`StoredKeyring::encrypting`], so it is
//! counted and rotates exactly as [`StoredKeyring::encrypt_with`] does; HMAC and
//! decryption are not counted.

use super::stored::StoredKeyring;
use crate::batch::{
    BatchResult, BatchTarget, CiphertextItem, EncryptItem, Encrypted, decrypt_all, encrypt_all,
    rewrap_all,
};
use crate::datakey::{DataKey, WrappedDataKey, key_len};
use crate::error::{Error, Result};
use crate::keyring::{HashAlgorithm, Keyring};
use crate::options::Options;
use crate::secret::Plaintext;

impl StoredKeyring {
    /// As [`crate::Keyring::hmac`]; not counted against the usage limit. A `key_version`
    /// newer than this handle knows makes it reload once.
    ///
    /// # Errors
    /// As [`crate::Keyring::hmac`]; store errors if the copy cannot be re-read.
    ///
    /// ```
    /// # use transit_keyring::{Error, HashAlgorithm, KeyType, Options, RootKey, Store};
    /// # let dir = tempfile::tempdir().map_err(|_| Error::Entropy)?;
    /// # let store = Store::open(dir.path(), RootKey::generate()?)?;
    /// let keyring = store.create("ci-env", KeyType::Aes256Gcm96)?;
    /// let mac = keyring.hmac(b"build 42", HashAlgorithm::Sha2_256, &Options::new())?;
    /// assert!(mac.starts_with("vault:v1:"));
    /// assert_eq!(keyring.metadata()?.versions[&1].encryptions, 0);
    /// # Ok::<(), transit_keyring::Error>(())
    /// ```
    pub fn hmac(
        &self,
        input: &[u8],
        algorithm: HashAlgorithm,
        opts: &Options<'_>,
    ) -> Result<String> {
        self.reading(
            |e| matches!(e, Error::KeyVersionDoesNotExist { .. }),
            |keyring| keyring.hmac(input, algorithm, opts),
        )
    }

    /// As [`crate::Keyring::verify_hmac`]; `Ok(false)` is a well-formed HMAC that does not
    /// match. A version newer than this handle knows makes it reload once.
    ///
    /// # Errors
    /// As [`crate::Keyring::verify_hmac`]; store errors if the copy cannot be re-read.
    ///
    /// ```
    /// # use transit_keyring::{Error, HashAlgorithm, KeyType, Options, RootKey, Store};
    /// # let dir = tempfile::tempdir().map_err(|_| Error::Entropy)?;
    /// # let store = Store::open(dir.path(), RootKey::generate()?)?;
    /// let keyring = store.create("ci-env", KeyType::Aes256Gcm96)?;
    /// let mac = keyring.hmac(b"a", HashAlgorithm::Sha3_256, &Options::new())?;
    /// assert!(keyring.verify_hmac(b"a", &mac, HashAlgorithm::Sha3_256)?);
    /// assert!(!keyring.verify_hmac(b"b", &mac, HashAlgorithm::Sha3_256)?);
    /// assert_eq!(keyring.verify_hmac(b"a", "v1:x", HashAlgorithm::Sha3_256), Err(Error::HmacNoPrefix));
    /// # Ok::<(), transit_keyring::Error>(())
    /// ```
    pub fn verify_hmac(&self, input: &[u8], hmac: &str, algorithm: HashAlgorithm) -> Result<bool> {
        self.reading(
            |e| *e == Error::HmacVersionTooNew,
            |keyring| keyring.verify_hmac(input, hmac, algorithm),
        )
    }

    /// As [`crate::Keyring::datakey`]; the wrapping counts as one encryption against the
    /// usage limit.
    ///
    /// # Errors
    /// As [`crate::Keyring::datakey`] and [`StoredKeyring::encrypt_with`].
    ///
    /// ```
    /// # use transit_keyring::{Error, KeyType, Options, RootKey, Store};
    /// # let dir = tempfile::tempdir().map_err(|_| Error::Entropy)?;
    /// # let store = Store::open(dir.path(), RootKey::generate()?)?;
    /// let keyring = store.create("ci-env", KeyType::Aes256Gcm96)?;
    /// let datakey = keyring.datakey(256, &Options::new())?;
    /// let raw = keyring.decrypt(datakey.ciphertext())?;
    /// assert_eq!(&*raw, datakey.plaintext().expose_secret());
    /// assert_eq!(keyring.metadata()?.versions[&1].encryptions, 1);
    /// # Ok::<(), transit_keyring::Error>(())
    /// ```
    pub fn datakey(&self, bits: u32, opts: &Options<'_>) -> Result<DataKey> {
        key_len(bits)?; // before the count: a refused length encrypts nothing
        self.encrypting(opts.key_version, |keyring| keyring.datakey(bits, opts))
    }

    /// As [`crate::Keyring::wrapped_datakey`]; counts as one encryption.
    ///
    /// # Errors
    /// As [`StoredKeyring::datakey`].
    ///
    /// ```
    /// # use transit_keyring::{Error, KeyType, Options, RootKey, Store};
    /// # let dir = tempfile::tempdir().map_err(|_| Error::Entropy)?;
    /// # let store = Store::open(dir.path(), RootKey::generate()?)?;
    /// let keyring = store.create("ci-env", KeyType::Chacha20Poly1305)?;
    /// let wrapped = keyring.wrapped_datakey(512, &Options::new())?;
    /// assert_eq!(keyring.decrypt(wrapped.ciphertext())?.len(), 64);
    /// assert_eq!(keyring.datakey(64, &Options::new()).unwrap_err(), Error::InvalidBitLength);
    /// # Ok::<(), transit_keyring::Error>(())
    /// ```
    pub fn wrapped_datakey(&self, bits: u32, opts: &Options<'_>) -> Result<WrappedDataKey> {
        self.datakey(bits, opts).map(DataKey::into_wrapped)
    }

    /// As [`crate::Keyring::encrypt_batch`]; each item counts as one encryption, and the
    /// keyring rotates mid-batch when the latest version reaches its usage limit.
    ///
    /// # Errors
    /// As [`crate::Keyring::encrypt_batch`]: the whole batch fails only with
    /// [`Error::MissingBatchInput`] or [`Error::ContextAllOrNone`]; each item's own failure
    /// (store errors included) is in its [`BatchResult`].
    ///
    /// ```
    /// # use transit_keyring::{EncryptItem, Error, KeyType, RootKey, Store};
    /// # let dir = tempfile::tempdir().map_err(|_| Error::Entropy)?;
    /// # let store = Store::open(dir.path(), RootKey::generate()?)?;
    /// let keyring = store.create("ci-env", KeyType::Aes256Gcm96)?;
    /// let items = [
    ///     EncryptItem { plaintext: b"a", reference: "A", ..Default::default() },
    ///     EncryptItem { plaintext: b"b", key_version: 9, reference: "B", ..Default::default() },
    /// ];
    /// let results = keyring.encrypt_batch(&items)?;
    /// assert_eq!((results[0].reference.as_str(), results[1].reference.as_str()), ("A", "B"));
    /// assert!(results[0].result.is_ok() && results[1].result.is_err());
    /// assert_eq!(keyring.encrypt_batch(&[]).unwrap_err(), Error::MissingBatchInput);
    /// # Ok::<(), transit_keyring::Error>(())
    /// ```
    pub fn encrypt_batch(&self, items: &[EncryptItem<'_>]) -> Result<Vec<BatchResult<Encrypted>>> {
        encrypt_all(self, items)
    }

    /// As [`crate::Keyring::decrypt_batch`], each item as [`StoredKeyring::decrypt_with`];
    /// not counted.
    ///
    /// # Errors
    /// As [`StoredKeyring::encrypt_batch`].
    ///
    /// ```
    /// # use transit_keyring::{CiphertextItem, Error, KeyType, RootKey, Store};
    /// # let dir = tempfile::tempdir().map_err(|_| Error::Entropy)?;
    /// # let store = Store::open(dir.path(), RootKey::generate()?)?;
    /// let keyring = store.create("ci-env", KeyType::Aes256Gcm96)?;
    /// let ct = keyring.encrypt(b"a")?;
    /// let results = keyring.decrypt_batch(&[CiphertextItem { ciphertext: &ct, ..Default::default() }])?;
    /// assert_eq!(&**results[0].result.as_ref().map_err(Clone::clone)?, b"a");
    /// # Ok::<(), transit_keyring::Error>(())
    /// ```
    pub fn decrypt_batch(
        &self,
        items: &[CiphertextItem<'_>],
    ) -> Result<Vec<BatchResult<Plaintext>>> {
        decrypt_all(self, items)
    }

    /// As [`crate::Keyring::rewrap_batch`]; each item that re-encrypts counts as one
    /// encryption.
    ///
    /// # Errors
    /// As [`StoredKeyring::encrypt_batch`].
    ///
    /// ```
    /// # use transit_keyring::{CiphertextItem, Error, KeyType, RootKey, Store};
    /// # let dir = tempfile::tempdir().map_err(|_| Error::Entropy)?;
    /// # let store = Store::open(dir.path(), RootKey::generate()?)?;
    /// let keyring = store.create("ci-env", KeyType::Aes256Gcm96)?;
    /// let ct = keyring.encrypt(b"a")?;
    /// keyring.rotate()?;
    /// let results = keyring.rewrap_batch(&[CiphertextItem { ciphertext: &ct, ..Default::default() }])?;
    /// assert_eq!(results[0].result.as_ref().map_err(Clone::clone)?.key_version, 2);
    /// # Ok::<(), transit_keyring::Error>(())
    /// ```
    pub fn rewrap_batch(
        &self,
        items: &[CiphertextItem<'_>],
    ) -> Result<Vec<BatchResult<Encrypted>>> {
        rewrap_all(self, items)
    }

    /// Runs an uncounted `read` on a fresh copy; if it fails with an error that `stale`
    /// says may only mean a version this handle has not seen yet, reloads once and retries
    /// (as [`StoredKeyring::decrypt_with`] does).
    fn reading<T>(
        &self,
        stale: impl Fn(&Error) -> bool,
        read: impl Fn(&Keyring) -> Result<T>,
    ) -> Result<T> {
        self.ensure_fresh()?;
        let first = read(&self.read_state().record.keyring);
        match first {
            Err(e) if stale(&e) => {
                self.reload()?;
                read(&self.read_state().record.keyring)
            }
            other => other,
        }
    }
}

impl BatchTarget for StoredKeyring {
    /// One counted encryption that also reports its version.
    fn encrypt_one(&self, plaintext: &[u8], opts: &Options<'_>) -> Result<Encrypted> {
        let (ciphertext, key_version) = self.encrypting(opts.key_version, |keyring| {
            keyring.encrypt_versioned(plaintext, opts)
        })?;
        Ok(Encrypted {
            ciphertext,
            key_version,
        })
    }

    fn decrypt_one(&self, ciphertext: &str, opts: &Options<'_>) -> Result<Plaintext> {
        self.decrypt_with(ciphertext, opts)
    }
}
