//! Fixed-nonce sealing for known-answer tests, behind the `test-vectors` feature.
//!
//! A fixed nonce under one key breaks AES-GCM and ChaCha20-Poly1305 completely. Nothing here
//! is for production: the feature exists so that tests can check our cipher layer against
//! Wycheproof and NIST vectors, byte for byte, through the same code the keyring uses.

use zeroize::Zeroizing;

use crate::KeyType;
use crate::cipher::{Aead, NONCE_LEN};
use crate::error::{Error, Result};
use crate::keyring::Keyring;
use crate::options::Options;

/// Seals `plaintext` with an explicit nonce; returns `ciphertext ‖ tag` (no nonce).
///
/// # Errors
/// [`Error::InvalidKeySize`] for a key of the wrong length; [`Error::InvalidCiphertextLength`]
/// for a nonce that is not 12 bytes.
///
/// ```
/// use transit_keyring::{KeyType, hazmat};
/// let sealed = hazmat::seal_with_nonce(KeyType::Aes256Gcm96, &[0; 32], &[0; 12], b"", b"")?;
/// assert_eq!(sealed.len(), 16);
/// # Ok::<(), transit_keyring::Error>(())
/// ```
pub fn seal_with_nonce(
    key_type: KeyType,
    key: &[u8],
    nonce: &[u8],
    aad: &[u8],
    plaintext: &[u8],
) -> Result<Vec<u8>> {
    let nonce: &[u8; NONCE_LEN] = nonce
        .try_into()
        .map_err(|_| Error::InvalidCiphertextLength)?;
    let mut out = Vec::new();
    Aead::new(key_type, key)?.seal_into(nonce, aad, plaintext, &mut out)?;
    Ok(out.split_off(NONCE_LEN))
}

/// Opens `ciphertext ‖ tag` with an explicit nonce.
///
/// # Errors
/// [`Error::Decrypt`] if authentication fails; [`Error::InvalidKeySize`];
/// [`Error::InvalidCiphertextLength`] for a nonce that is not 12 bytes.
///
/// ```
/// use transit_keyring::{KeyType, hazmat};
/// let sealed = hazmat::seal_with_nonce(KeyType::Chacha20Poly1305, &[7; 32], &[1; 12], b"a", b"m")?;
/// let opened = hazmat::open_with_nonce(KeyType::Chacha20Poly1305, &[7; 32], &[1; 12], b"a", &sealed)?;
/// assert_eq!(&*opened, b"m");
/// # Ok::<(), transit_keyring::Error>(())
/// ```
pub fn open_with_nonce(
    key_type: KeyType,
    key: &[u8],
    nonce: &[u8],
    aad: &[u8],
    ciphertext_and_tag: &[u8],
) -> Result<Zeroizing<Vec<u8>>> {
    if nonce.len() != NONCE_LEN {
        return Err(Error::InvalidCiphertextLength);
    }
    let mut body = Vec::with_capacity(NONCE_LEN + ciphertext_and_tag.len());
    body.extend_from_slice(nonce);
    body.extend_from_slice(ciphertext_and_tag);
    Aead::new(key_type, key)?.open(key_type, &body, aad)
}

/// Encrypts with the keyring's key for `opts.key_version` (or latest) but a caller-chosen
/// nonce, giving the exact `vault:vN:` string an independent implementation should produce.
/// Non-derived keyrings only.
///
/// # Errors
/// As [`Keyring::encrypt_with`]; [`Error::Unsupported`] on a derived keyring.
///
/// ```
/// use transit_keyring::{Keyring, Options, hazmat};
/// let json = r#"{"name":"k","type":"aes256-gcm96",
///   "keys":{"1":"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="}}"#;
/// let keyring = Keyring::from_vault_export(json)?;
/// let ct = hazmat::encrypt_with_nonce(&keyring, &[0; 12], b"", &Options::new())?;
/// assert_eq!(ct, "vault:v1:AAAAAAAAAAAAAAAA8F12rkq5n+Wm9psxSMI2PQ==");
/// # Ok::<(), transit_keyring::Error>(())
/// ```
pub fn encrypt_with_nonce(
    keyring: &Keyring,
    nonce: &[u8],
    plaintext: &[u8],
    opts: &Options<'_>,
) -> Result<String> {
    if keyring.is_derived() {
        return Err(Error::Unsupported("fixed nonces on derived keyrings"));
    }
    let nonce: &[u8; NONCE_LEN] = nonce
        .try_into()
        .map_err(|_| Error::InvalidCiphertextLength)?;
    let version = keyring.encryption_version(opts.key_version)?;
    let mut body = Vec::new();
    keyring
        .entry(version)?
        .aead
        .seal_into(nonce, opts.associated_data, plaintext, &mut body)?;
    Ok(keyring.template.format(version, &body))
}
