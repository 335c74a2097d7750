//! Batch encrypt, decrypt and rewrap with Vault's `batch_input` semantics: results in input
//! order, each item's `reference` echoed, one failing item does not fail the others, and a
//! context in some items but not all fails the whole request. Large batches run on every
//! core (rayon).

use core::fmt;

use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::keyring::Keyring;
use crate::options::Options;
use crate::secret::Plaintext;

/// Below this many items a batch runs on the calling thread: spreading tiny jobs over
/// threads costs more than it saves.
const PARALLEL_THRESHOLD: usize = 32;

/// One item of a batch encryption (Vault's `batch_input` entry for `encrypt`).
#[derive(Clone, Copy, Default)]
pub struct EncryptItem<'a> {
    /// The bytes to encrypt.
    pub plaintext: &'a [u8],
    /// Derivation context; empty means none. Set in all items or in none.
    pub context: &'a [u8],
    /// Associated data; empty means none.
    pub associated_data: &'a [u8],
    /// Key version; 0 means the latest.
    pub key_version: u32,
    /// Caller's label, copied to the result.
    pub reference: &'a str,
}

/// One item of a batch decryption or rewrap.
#[derive(Clone, Copy, Default)]
pub struct CiphertextItem<'a> {
    /// A `vault:vN:` ciphertext.
    pub ciphertext: &'a str,
    /// Derivation context; empty means none. Set in all items or in none.
    pub context: &'a [u8],
    /// Associated data; empty means none.
    pub associated_data: &'a [u8],
    /// Rewrap only: the version to rewrap to; 0 means the latest.
    pub key_version: u32,
    /// Caller's label, copied to the result.
    pub reference: &'a str,
}

/// A ciphertext and the version that made it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encrypted {
    /// The `vault:vN:` string.
    pub ciphertext: String,
    /// N.
    pub key_version: u32,
}

/// The outcome of one batch item, in the position of its input.
#[derive(Debug)]
pub struct BatchResult<T> {
    /// The item's `reference`, echoed.
    pub reference: String,
    /// What the item produced, or why it failed.
    pub result: Result<T>,
}

impl Keyring {
    /// Encrypts every item; see [`EncryptItem`].
    ///
    /// # Errors
    /// The whole batch fails only with [`Error::MissingBatchInput`] (no items) or
    /// [`Error::ContextAllOrNone`]; each item's own failure is in its [`BatchResult`].
    ///
    /// ```
    /// use transit_keyring::{EncryptItem, Keyring};
    /// let keyring = Keyring::generate("ci-env", Default::default())?;
    /// let items = [
    ///     EncryptItem { plaintext: b"a", reference: "A", ..Default::default() },
    ///     EncryptItem { plaintext: b"b", key_version: 9, reference: "B", ..Default::default() },
    /// ];
    /// let results = keyring.encrypt_batch(&items)?;
    /// assert_eq!(results[0].reference, "A");
    /// assert!(results[0].result.is_ok() && results[1].result.is_err());
    /// # Ok::<(), transit_keyring::Error>(())
    /// ```
    pub fn encrypt_batch(&self, items: &[EncryptItem<'_>]) -> Result<Vec<BatchResult<Encrypted>>> {
        encrypt_all(self, items)
    }

    /// Decrypts every item; see [`CiphertextItem`] (`key_version` is ignored).
    ///
    /// # Errors
    /// As [`Keyring::encrypt_batch`].
    ///
    /// ```
    /// use transit_keyring::{CiphertextItem, Keyring};
    /// let keyring = Keyring::generate("ci-env", Default::default())?;
    /// let ct = keyring.encrypt(b"a")?;
    /// let items = [CiphertextItem { ciphertext: &ct, ..Default::default() }];
    /// let results = keyring.decrypt_batch(&items)?;
    /// let plaintext = results[0].result.as_ref().unwrap();
    /// assert_eq!(&**plaintext, b"a");
    /// # Ok::<(), transit_keyring::Error>(())
    /// ```
    pub fn decrypt_batch(
        &self,
        items: &[CiphertextItem<'_>],
    ) -> Result<Vec<BatchResult<Plaintext>>> {
        decrypt_all(self, items)
    }

    /// Rewraps every item to the latest version (or the item's `key_version`).
    ///
    /// # Errors
    /// As [`Keyring::encrypt_batch`].
    ///
    /// ```
    /// use transit_keyring::{CiphertextItem, Keyring};
    /// let mut keyring = Keyring::generate("ci-env", Default::default())?;
    /// let ct = keyring.encrypt(b"a")?;
    /// keyring.rotate()?;
    /// let results = keyring.rewrap_batch(&[CiphertextItem { ciphertext: &ct, ..Default::default() }])?;
    /// assert_eq!(results[0].result.as_ref().unwrap().key_version, 2);
    /// # Ok::<(), transit_keyring::Error>(())
    /// ```
    pub fn rewrap_batch(
        &self,
        items: &[CiphertextItem<'_>],
    ) -> Result<Vec<BatchResult<Encrypted>>> {
        rewrap_all(self, items)
    }
}

/// What a batch runs against: an in-memory keyring, or a stored one that counts each
/// encryption. The batch rules (order, references, contexts, parallelism) live once, below.
pub(crate) trait BatchTarget: Sync {
    /// One encryption, reporting its version.
    fn encrypt_one(&self, plaintext: &[u8], opts: &Options<'_>) -> Result<Encrypted>;
    /// One decryption.
    fn decrypt_one(&self, ciphertext: &str, opts: &Options<'_>) -> Result<Plaintext>;
}

impl BatchTarget for Keyring {
    fn encrypt_one(&self, plaintext: &[u8], opts: &Options<'_>) -> Result<Encrypted> {
        let (ciphertext, key_version) = self.encrypt_versioned(plaintext, opts)?;
        Ok(Encrypted {
            ciphertext,
            key_version,
        })
    }

    fn decrypt_one(&self, ciphertext: &str, opts: &Options<'_>) -> Result<Plaintext> {
        self.decrypt_with(ciphertext, opts)
    }
}

/// Vault's batch encrypt over any target.
pub(crate) fn encrypt_all<T: BatchTarget>(
    target: &T,
    items: &[EncryptItem<'_>],
) -> Result<Vec<BatchResult<Encrypted>>> {
    check_contexts(items.iter().map(|i| i.context))?;
    Ok(run(items, |item| {
        let opts = Options::new()
            .context(item.context)
            .associated_data(item.associated_data)
            .key_version(item.key_version);
        BatchResult {
            reference: item.reference.to_owned(),
            result: target.encrypt_one(item.plaintext, &opts),
        }
    }))
}

/// Vault's batch decrypt over any target.
pub(crate) fn decrypt_all<T: BatchTarget>(
    target: &T,
    items: &[CiphertextItem<'_>],
) -> Result<Vec<BatchResult<Plaintext>>> {
    check_contexts(items.iter().map(|i| i.context))?;
    Ok(run(items, |item| BatchResult {
        reference: item.reference.to_owned(),
        result: target.decrypt_one(item.ciphertext, &item_options(item)),
    }))
}

/// Vault's batch rewrap over any target: decrypt, then one (counted) encryption.
pub(crate) fn rewrap_all<T: BatchTarget>(
    target: &T,
    items: &[CiphertextItem<'_>],
) -> Result<Vec<BatchResult<Encrypted>>> {
    check_contexts(items.iter().map(|i| i.context))?;
    Ok(run(items, |item| {
        let opts = item_options(item);
        let result = target
            .decrypt_one(item.ciphertext, &opts)
            .and_then(|plaintext| target.encrypt_one(&plaintext, &opts));
        BatchResult {
            reference: item.reference.to_owned(),
            result,
        }
    }))
}

fn item_options<'a>(item: &CiphertextItem<'a>) -> Options<'a> {
    Options::new()
        .context(item.context)
        .associated_data(item.associated_data)
        .key_version(item.key_version)
}

/// Vault's whole-request checks: at least one item, and contexts in all items or none.
fn check_contexts<'a>(mut contexts: impl Iterator<Item = &'a [u8]>) -> Result<()> {
    let first = contexts.next().ok_or(Error::MissingBatchInput)?;
    if contexts.any(|c| c.is_empty() != first.is_empty()) {
        return Err(Error::ContextAllOrNone);
    }
    Ok(())
}

/// Maps items in order, in parallel when the batch is large enough to pay for it.
fn run<I: Sync, T: Send>(items: &[I], f: impl Fn(&I) -> T + Sync + Send) -> Vec<T> {
    if items.len() < PARALLEL_THRESHOLD {
        items.iter().map(f).collect()
    } else {
        items.par_iter().map(f).collect()
    }
}

impl fmt::Debug for EncryptItem<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EncryptItem")
            .field("plaintext", &"[REDACTED]")
            .field("context_len", &self.context.len())
            .field("associated_data_len", &self.associated_data.len())
            .field("key_version", &self.key_version)
            .field("reference", &self.reference)
            .finish()
    }
}

impl fmt::Debug for CiphertextItem<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CiphertextItem")
            .field("ciphertext", &self.ciphertext)
            .field("context_len", &self.context.len())
            .field("associated_data_len", &self.associated_data.len())
            .field("key_version", &self.key_version)
            .field("reference", &self.reference)
            .finish()
    }
}
