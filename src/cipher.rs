//! Key types and the AEADs behind them. The only module that touches `aes_gcm` and
//! `chacha20poly1305`, and the one place nonces are drawn.

use core::fmt;
use core::str::FromStr;

use aes_gcm::aead::{AeadInOut, KeyInit};
use aes_gcm::{Aes128Gcm, Aes256Gcm};
use chacha20poly1305::ChaCha20Poly1305;
use rand::TryRng;
use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// Nonce length of every supported key type (96 bits, as Go's `cipher.NewGCM`).
pub(crate) const NONCE_LEN: usize = 12;
/// Tag length of every supported key type.
pub(crate) const TAG_LEN: usize = 16;

/// The kind of key a keyring holds, with Vault's names and type numbers.
///
/// ```
/// use transit_keyring::KeyType;
/// let t: KeyType = "chacha20-poly1305".parse()?;
/// assert_eq!(t, KeyType::Chacha20Poly1305);
/// assert_eq!(t.to_string(), "chacha20-poly1305");
/// assert_eq!(KeyType::default(), KeyType::Aes256Gcm96);
/// # Ok::<(), transit_keyring::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum KeyType {
    /// AES-256-GCM with a 96-bit nonce: Vault's default, type 0.
    #[default]
    Aes256Gcm96,
    /// AES-128-GCM with a 96-bit nonce: Vault type 8.
    Aes128Gcm96,
    /// ChaCha20-Poly1305 (RFC 8439): Vault type 5.
    Chacha20Poly1305,
}

impl KeyType {
    /// Every key type this crate supports.
    pub const ALL: [KeyType; 3] = [Self::Aes256Gcm96, Self::Aes128Gcm96, Self::Chacha20Poly1305];

    /// Vault's name for the type, as in `POST transit/keys/:name type=...`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Aes256Gcm96 => "aes256-gcm96",
            Self::Aes128Gcm96 => "aes128-gcm96",
            Self::Chacha20Poly1305 => "chacha20-poly1305",
        }
    }

    /// Vault's integer for the type, as stored in policies and backups.
    #[must_use]
    pub const fn vault_type_number(self) -> u32 {
        match self {
            Self::Aes256Gcm96 => 0,
            Self::Aes128Gcm96 => 8,
            Self::Chacha20Poly1305 => 5,
        }
    }

    /// The type with Vault's integer `number` (0, 5 or 8; the numbers Vault and OpenBao share).
    ///
    /// # Errors
    /// [`Error::UnknownKeyType`] for any other number.
    ///
    /// ```
    /// use transit_keyring::KeyType;
    /// assert_eq!(KeyType::from_vault_type_number(8)?, KeyType::Aes128Gcm96);
    /// assert!(KeyType::from_vault_type_number(1).is_err()); // ecdsa-p256: not an AEAD
    /// # Ok::<(), transit_keyring::Error>(())
    /// ```
    pub fn from_vault_type_number(number: u32) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|t| t.vault_type_number() == number)
            .ok_or_else(|| Error::UnknownKeyType(number.to_string()))
    }

    /// Key length in bytes: 32, or 16 for `aes128-gcm96`.
    #[must_use]
    pub const fn key_len(self) -> usize {
        match self {
            Self::Aes128Gcm96 => 16,
            Self::Aes256Gcm96 | Self::Chacha20Poly1305 => 32,
        }
    }
}

impl fmt::Display for KeyType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for KeyType {
    type Err = Error;
    fn from_str(name: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|t| t.as_str() == name)
            .ok_or_else(|| Error::UnknownKeyType(name.to_owned()))
    }
}

/// A keyed AEAD, ready to seal and open. Built once per key version, so the hot path does
/// not redo the key schedule. The RustCrypto types zeroize their state on drop.
pub(crate) enum Aead {
    Aes128(Box<Aes128Gcm>),
    Aes256(Box<Aes256Gcm>),
    Chacha(Box<ChaCha20Poly1305>),
}

impl fmt::Debug for Aead {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Aead { .. }")
    }
}

impl Aead {
    /// Keys the AEAD of `key_type` with `key`.
    pub(crate) fn new(key_type: KeyType, key: &[u8]) -> Result<Self> {
        let bad_len = || Error::InvalidKeySize {
            len: key.len(),
            key_type,
        };
        Ok(match key_type {
            KeyType::Aes128Gcm96 => Self::Aes128(Box::new(
                Aes128Gcm::new_from_slice(key).map_err(|_| bad_len())?,
            )),
            KeyType::Aes256Gcm96 => Self::Aes256(Box::new(
                Aes256Gcm::new_from_slice(key).map_err(|_| bad_len())?,
            )),
            KeyType::Chacha20Poly1305 => Self::Chacha(Box::new(
                ChaCha20Poly1305::new_from_slice(key).map_err(|_| bad_len())?,
            )),
        })
    }

    /// Appends `nonce ‖ ciphertext ‖ tag` of `plaintext` to `out`.
    pub(crate) fn seal_into(
        &self,
        nonce: &[u8; NONCE_LEN],
        aad: &[u8],
        plaintext: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<()> {
        out.reserve(NONCE_LEN + plaintext.len() + TAG_LEN);
        out.extend_from_slice(nonce);
        let start = out.len();
        out.extend_from_slice(plaintext);
        let buffer = out.get_mut(start..).ok_or(Error::InvalidCiphertextLength)?;
        let tag = match self {
            Self::Aes128(c) => c.encrypt_inout_detached(nonce.into(), aad, buffer.into()),
            Self::Aes256(c) => c.encrypt_inout_detached(nonce.into(), aad, buffer.into()),
            Self::Chacha(c) => c.encrypt_inout_detached(nonce.into(), aad, buffer.into()),
        }
        // Only fails past the AEAD's length limit (64 GiB for GCM).
        .map_err(|_| Error::InvalidCiphertextLength)?;
        out.extend_from_slice(&tag);
        Ok(())
    }

    /// Opens `body = nonce ‖ ciphertext ‖ tag`; a body shorter than a nonce is
    /// [`Error::InvalidCiphertextLength`], one shorter than nonce + tag fails authentication.
    pub(crate) fn open(
        &self,
        key_type: KeyType,
        body: &[u8],
        aad: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>> {
        self.open_owned(key_type, Zeroizing::new(body.to_vec()), aad)
    }

    /// As [`Aead::open`], decrypting in place in the caller's buffer: no second copy of a
    /// large payload. The buffer is zeroizing because it holds plaintext afterwards.
    pub(crate) fn open_owned(
        &self,
        key_type: KeyType,
        mut body: Zeroizing<Vec<u8>>,
        aad: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>> {
        let auth = || Error::Decrypt { key_type };
        let nonce: [u8; NONCE_LEN] = *split_nonce(&body)?.0;
        let tag_start = body
            .len()
            .checked_sub(TAG_LEN)
            .filter(|t| *t >= NONCE_LEN)
            .ok_or_else(auth)?;
        let tag: [u8; TAG_LEN] = body
            .get(tag_start..)
            .and_then(|t| t.try_into().ok())
            .ok_or_else(auth)?;
        let ciphertext = body.get_mut(NONCE_LEN..tag_start).ok_or_else(auth)?;
        let result = match self {
            Self::Aes128(c) => {
                c.decrypt_inout_detached((&nonce).into(), aad, ciphertext.into(), (&tag).into())
            }
            Self::Aes256(c) => {
                c.decrypt_inout_detached((&nonce).into(), aad, ciphertext.into(), (&tag).into())
            }
            Self::Chacha(c) => {
                c.decrypt_inout_detached((&nonce).into(), aad, ciphertext.into(), (&tag).into())
            }
        };
        result.map_err(|_| auth())?;
        body.truncate(tag_start);
        body.drain(..NONCE_LEN);
        Ok(body)
    }
}

/// Splits `nonce ‖ rest`, refusing a body shorter than a nonce with Vault's text.
fn split_nonce(body: &[u8]) -> Result<(&[u8; NONCE_LEN], &[u8])> {
    let (nonce, rest) = body
        .split_at_checked(NONCE_LEN)
        .ok_or(Error::InvalidCiphertextLength)?;
    let nonce = nonce
        .try_into()
        .map_err(|_| Error::InvalidCiphertextLength)?;
    Ok((nonce, rest))
}

/// Fills `buf` from the operating system's CSPRNG (getrandom). Used for nonces and keys.
///
/// The OS source, not a user-space generator, so a forked child can never repeat its
/// parent's nonces.
pub(crate) fn fill_random(buf: &mut [u8]) -> Result<()> {
    rand::rngs::SysRng
        .try_fill_bytes(buf)
        .map_err(|_| Error::Entropy)
}

/// A fresh random 96-bit nonce: the only place the crate draws one.
pub(crate) fn random_nonce() -> Result<[u8; NONCE_LEN]> {
    let mut nonce = [0u8; NONCE_LEN];
    fill_random(&mut nonce)?;
    Ok(nonce)
}

/// `len` fresh random bytes as key material.
pub(crate) fn random_key(len: usize) -> Result<crate::secret::KeyMaterial> {
    let mut bytes = vec![0u8; len];
    fill_random(&mut bytes)?;
    Ok(crate::secret::KeyMaterial::from_vec(bytes))
}
