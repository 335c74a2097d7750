//! Derived keys (spec §2): per-context keys from a version's master key, with Vault's two
//! KDFs, and the convergent nonce (spec §3).

use core::fmt;
use core::str::FromStr;

use hkdf::Hkdf;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::cipher::NONCE_LEN;
use crate::error::{Error, Result};

/// How a derived keyring turns `(master key, context)` into a key. Vault stores it as the
/// policy's `kdf` integer.
///
/// ```
/// use transit_keyring::Kdf;
/// assert_eq!(Kdf::default(), Kdf::HkdfSha256);
/// assert_eq!("hmac-sha256-counter".parse::<Kdf>()?, Kdf::HmacSha256Counter);
/// # Ok::<(), transit_keyring::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Kdf {
    /// NIST SP 800-108 counter mode with HMAC-SHA256 (Vault `kdf` 0, legacy): always 32 bytes.
    /// With `aes128-gcm96` keys it uses the first 16 bytes both ways; Vault encrypts the same
    /// way but its own decryption of such ciphertexts fails (Vault never creates such keys).
    HmacSha256Counter,
    /// RFC 5869 HKDF-SHA256, no salt, `info` = context (Vault `kdf` 1, every modern key).
    #[default]
    HkdfSha256,
}

impl Kdf {
    /// Vault's name, as `GET transit/keys/:name` shows it.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::HmacSha256Counter => "hmac-sha256-counter",
            Self::HkdfSha256 => "hkdf_sha256",
        }
    }

    /// Vault's stored integer (0 or 1).
    #[must_use]
    pub const fn vault_number(self) -> u8 {
        match self {
            Self::HmacSha256Counter => 0,
            Self::HkdfSha256 => 1,
        }
    }

    /// The KDF with Vault's stored integer.
    ///
    /// # Errors
    /// [`Error::InvalidDocument`] for anything but 0 or 1.
    ///
    /// ```
    /// use transit_keyring::Kdf;
    /// assert_eq!(Kdf::from_vault_number(1)?, Kdf::HkdfSha256);
    /// # Ok::<(), transit_keyring::Error>(())
    /// ```
    pub fn from_vault_number(number: i64) -> Result<Self> {
        match number {
            0 => Ok(Self::HmacSha256Counter),
            1 => Ok(Self::HkdfSha256),
            other => Err(Error::InvalidDocument(format!("unknown kdf {other}"))),
        }
    }

    /// `len` bytes of key for `context` under `master`. The counter KDF only ever yields 32
    /// bytes (Vault asks it for 256 bits); asking it for more is an error, as in Vault.
    pub(crate) fn derive(
        self,
        master: &[u8],
        context: &[u8],
        len: usize,
    ) -> Result<Zeroizing<Vec<u8>>> {
        if context.is_empty() {
            return Err(Error::MissingContext);
        }
        let mut out = Zeroizing::new(vec![0u8; len]);
        match self {
            Self::HkdfSha256 => Hkdf::<Sha256>::new(None, master)
                .expand(context, &mut out)
                .map_err(|_| Error::Unsupported("derived key length"))?,
            Self::HmacSha256Counter => {
                let mut mac = hmac_sha256(master)?;
                mac.update(&0u32.to_be_bytes());
                mac.update(context);
                mac.update(&256u32.to_be_bytes());
                let mut block = [0u8; 32];
                block.copy_from_slice(&mac.finalize().into_bytes());
                let block = Zeroizing::new(block);
                let prefix = block
                    .get(..len)
                    .ok_or(Error::Unsupported("derived key length"))?;
                out.copy_from_slice(prefix);
            }
        }
        Ok(out)
    }
}

impl fmt::Display for Kdf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Kdf {
    type Err = Error;
    fn from_str(name: &str) -> Result<Self> {
        match name {
            "hmac-sha256-counter" => Ok(Self::HmacSha256Counter),
            "hkdf_sha256" => Ok(Self::HkdfSha256),
            other => Err(Error::InvalidDocument(format!("unknown kdf {other:?}"))),
        }
    }
}

/// The convergent nonce: the first 96 bits of HMAC-SHA256(`key`, `plaintext`). `key` is the
/// derived tail (v3) or the raw context (v2).
pub(crate) fn convergent_nonce(key: &[u8], plaintext: &[u8]) -> Result<[u8; NONCE_LEN]> {
    let mut mac = hmac_sha256(key)?;
    mac.update(plaintext);
    let full = mac.finalize().into_bytes();
    let mut nonce = [0u8; NONCE_LEN];
    nonce.copy_from_slice(
        full.get(..NONCE_LEN)
            .ok_or(Error::Unsupported("nonce length"))?,
    );
    Ok(nonce)
}

fn hmac_sha256(key: &[u8]) -> Result<Hmac<Sha256>> {
    // HMAC takes keys of any length; the error arm is unreachable but kept as an error.
    <Hmac<Sha256> as KeyInit>::new_from_slice(key).map_err(|_| Error::Unsupported("hmac key"))
}
