//! The sealed file format: every store file is one AES-256-GCM message under a key derived
//! from the root key, with a plaintext header that the tag also covers.
//!
//! | offset | length | field |
//! |---|---|---|
//! | 0 | 4 | magic `TKST` |
//! | 4 | 1 | format version, 1 |
//! | 5 | 1 | file kind: 1 keyring, 2 manifest |
//! | 6 | 2 | reserved, zero |
//! | 8 | 8 | root key id: HKDF-SHA256(root key, info `transit-keyring store key id v1`), 8 bytes |
//! | 16 | 8 | generation, big-endian `u64` |
//! | 24 | 12 | random nonce |
//! | 36 | n | ciphertext of the n-byte payload |
//! | 36 + n | 16 | GCM tag |
//!
//! The sealing key is HKDF-SHA256(root key, info `transit-keyring store seal v1`). The
//! associated data is bytes 0..24 followed by the file's name: `manifest`, or
//! `<store id>/<keyring name>` (the store id is 16 random bytes in hex, kept in the
//! manifest). So a renamed or swapped file, one copied from another store, a changed
//! generation or kind, and any flipped byte all fail authentication.
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use std::path::Path;

use hkdf::Hkdf;
use sha2::Sha256;
use zeroize::Zeroizing;

use super::root_key::RootKey;
use crate::cipher::{Aead, KeyType, NONCE_LEN, TAG_LEN, random_nonce};
use crate::error::{Error, Result};

const MAGIC: [u8; 4] = *b"TKST";
const FORMAT_VERSION: u8 = 1;
/// Bytes before the nonce: magic, version, kind, reserved, key id, generation.
pub(crate) const HEADER_LEN: usize = 24;
const KEY_ID_INFO: &[u8] = b"transit-keyring store key id v1";
const SEAL_KEY_INFO: &[u8] = b"transit-keyring store seal v1";

/// What a sealed file holds; part of the authenticated header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FileKind {
    Keyring = 1,
    Manifest = 2,
}

/// The public fingerprint of a root key (8 bytes of HKDF output; reveals nothing useful).
pub(crate) type KeyId = [u8; 8];

/// Seals and opens store files under one root key.
pub(crate) struct Sealer {
    aead: Aead,
    key_id: KeyId,
}

impl core::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Sealer")
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

/// A file's authenticated generation and payload.
pub(crate) struct Opened {
    pub(crate) generation: u64,
    pub(crate) payload: Zeroizing<Vec<u8>>,
}

impl Sealer {
    /// Derives the sealing key and key id from `root_key`.
    pub(crate) fn new(root_key: &RootKey) -> Result<Self> {
        let hkdf = Hkdf::<Sha256>::new(None, root_key.expose_secret());
        let mut seal_key = Zeroizing::new([0u8; 32]);
        let mut key_id = [0u8; 8];
        hkdf.expand(SEAL_KEY_INFO, &mut seal_key[..])
            .and_then(|()| hkdf.expand(KEY_ID_INFO, &mut key_id))
            .map_err(|_| Error::Unsupported("HKDF output length"))?;
        Ok(Self {
            aead: Aead::new(KeyType::Aes256Gcm96, &seal_key[..])?,
            key_id,
        })
    }

    /// The fingerprint written into every file this sealer seals.
    pub(crate) fn key_id(&self) -> KeyId {
        self.key_id
    }

    /// Seals `payload` as file `name` of `kind` at `generation`.
    pub(crate) fn seal(
        &self,
        kind: FileKind,
        name: &str,
        generation: u64,
        payload: &[u8],
    ) -> Result<Vec<u8>> {
        let header = self.header(kind, generation);
        let mut sealed = Vec::with_capacity(
            HEADER_LEN
                .saturating_add(NONCE_LEN)
                .saturating_add(payload.len())
                .saturating_add(TAG_LEN),
        );
        sealed.extend_from_slice(&header);
        self.aead
            .seal_into(&random_nonce()?, &aad(&header, name), payload, &mut sealed)?;
        Ok(sealed)
    }

    /// Opens file `name` of `kind`, read from `path` (named in every error).
    ///
    /// A foreign key id is [`Error::WrongRootKey`]; anything else that does not authenticate
    /// (bad magic, truncation, a flipped byte, another file's contents) is
    /// [`Error::StoreTampered`].
    pub(crate) fn open(
        &self,
        path: &Path,
        kind: FileKind,
        name: &str,
        sealed: &[u8],
    ) -> Result<Opened> {
        let tampered = || Error::StoreTampered {
            path: path.to_owned(),
        };
        let header = peek(sealed).ok_or_else(tampered)?;
        if header.key_id != self.key_id {
            return Err(Error::WrongRootKey {
                path: path.to_owned(),
            });
        }
        let (head, body) = sealed.split_at_checked(HEADER_LEN).ok_or_else(tampered)?;
        if header.kind != kind as u8 {
            return Err(tampered());
        }
        let payload = self
            .aead
            .open(KeyType::Aes256Gcm96, body, &aad(head, name))
            .map_err(|_| tampered())?;
        Ok(Opened {
            generation: header.generation,
            payload,
        })
    }

    fn header(&self, kind: FileKind, generation: u64) -> Vec<u8> {
        let mut header = Vec::with_capacity(HEADER_LEN);
        header.extend_from_slice(&MAGIC);
        header.extend_from_slice(&[FORMAT_VERSION, kind as u8, 0, 0]);
        header.extend_from_slice(&self.key_id);
        header.extend_from_slice(&generation.to_be_bytes());
        header
    }
}

/// The unauthenticated header fields of a sealed file.
pub(crate) struct Header {
    pub(crate) kind: u8,
    pub(crate) key_id: KeyId,
    pub(crate) generation: u64,
}

/// Reads a header without authenticating it: `None` unless the magic, version and reserved
/// bytes are right and the file is long enough to hold a nonce and a tag. Callers may use
/// the fields only as hints (root key rotation, picking a generation above an orphan's).
pub(crate) fn peek(sealed: &[u8]) -> Option<Header> {
    if sealed.len() < HEADER_LEN.checked_add(NONCE_LEN)?.checked_add(TAG_LEN)? {
        return None;
    }
    let (fixed, rest) = sealed.split_first_chunk::<8>()?;
    let (key_id, rest) = rest.split_first_chunk::<8>()?;
    let (generation, _) = rest.split_first_chunk::<8>()?;
    let [m0, m1, m2, m3, version, kind, 0, 0] = *fixed else {
        return None;
    };
    if [m0, m1, m2, m3] != MAGIC || version != FORMAT_VERSION {
        return None;
    }
    Some(Header {
        kind,
        key_id: *key_id,
        generation: u64::from_be_bytes(*generation),
    })
}

/// Associated data: the header, then the file's logical name.
fn aad(header: &[u8], name: &str) -> Vec<u8> {
    let mut aad = Vec::with_capacity(header.len().saturating_add(name.len()));
    aad.extend_from_slice(header);
    aad.extend_from_slice(name.as_bytes());
    aad
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]
mod tests {
    use super::*;

    fn sealer(byte: u8) -> Sealer {
        Sealer::new(&RootKey::from_bytes(&[byte; 32]).unwrap()).unwrap()
    }

    #[test]
    fn seal_then_open_round_trips_generation_and_payload() {
        let s = sealer(1);
        let sealed = s.seal(FileKind::Keyring, "ci-env", 42, b"payload").unwrap();
        assert_eq!(sealed.len(), HEADER_LEN + NONCE_LEN + 7 + TAG_LEN);
        let opened = s
            .open(Path::new("f"), FileKind::Keyring, "ci-env", &sealed)
            .unwrap();
        assert_eq!(
            (opened.generation, &opened.payload[..]),
            (42, &b"payload"[..])
        );
    }

    #[test]
    fn other_name_kind_or_key_is_refused() {
        let s = sealer(1);
        let sealed = s.seal(FileKind::Keyring, "a", 1, b"x").unwrap();
        let path = Path::new("f");
        let tampered = Error::StoreTampered {
            path: path.to_owned(),
        };
        assert_eq!(
            s.open(path, FileKind::Keyring, "b", &sealed).err(),
            Some(tampered.clone())
        );
        assert_eq!(
            s.open(path, FileKind::Manifest, "a", &sealed).err(),
            Some(tampered)
        );
        let wrong = Error::WrongRootKey {
            path: path.to_owned(),
        };
        assert_eq!(
            sealer(2).open(path, FileKind::Keyring, "a", &sealed).err(),
            Some(wrong)
        );
    }

    #[test]
    fn every_flipped_byte_is_refused() {
        let s = sealer(1);
        let sealed = s.seal(FileKind::Manifest, "manifest", 7, b"{}").unwrap();
        for i in 0..sealed.len() {
            let mut bad = sealed.clone();
            bad[i] ^= 0x01;
            assert!(
                s.open(Path::new("f"), FileKind::Manifest, "manifest", &bad)
                    .is_err(),
                "{i}"
            );
        }
    }
}
