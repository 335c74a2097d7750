//! The envelope header: the fixed fields, then the wrapped data key. Reading checks every
//! field (and every length) before any crypto, and before allocating for the wrapped key.
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use std::io::{self, Read};

use zeroize::Zeroizing;

use super::error_from_io;
use crate::cipher::{KeyType, fill_random};
use crate::ciphertext::decode_body;
use crate::error::{Error, Result};
use crate::keyring::Keyring;
use crate::options::Options;

/// The first bytes of every envelope.
pub(super) const MAGIC: [u8; 6] = *b"TKRENV";
/// The format version this module reads and writes.
pub(super) const FORMAT_VERSION: u8 = 1;
/// Plaintext bytes per segment; format version 1 allows only this value.
pub(crate) const SEGMENT_LEN: usize = 64 * 1024;
/// `SEGMENT_LEN` as the header's 32-bit field.
const SEGMENT_LEN_FIELD: u32 = 64 * 1024;
/// Where the salt starts: after magic, version, key type and segment size.
const SALT_OFFSET: usize = 12;
/// HKDF salt length.
pub(super) const SALT_LEN: usize = 32;
/// Length of the random part of every segment nonce.
pub(super) const NONCE_PREFIX_LEN: usize = 7;
/// magic 6 + version 1 + key type 1 + segment size 4 + salt 32 + nonce prefix 7.
pub(super) const FIXED_LEN: usize = 51;
/// A wrapped 256-bit key is ~90 bytes; anything past this is refused before allocating.
pub(super) const MAX_WRAPPED_LEN: usize = 1024;
/// Bits of the per-envelope data key.
pub(super) const DATA_KEY_BITS: u32 = 256;
/// Bytes of the per-envelope data key.
pub(super) const DATA_KEY_LEN: usize = 32;

/// A parsed (or freshly made) header. `fixed` is kept as bytes: it is every segment's
/// associated data, so it must be exactly what was read.
pub(super) struct Header {
    fixed: [u8; FIXED_LEN],
    key_type: KeyType,
    wrapped: String,
}

impl Header {
    /// A header for a new envelope: fresh salt and nonce prefix, `wrapped` data key.
    pub(super) fn generate(key_type: KeyType, wrapped: String) -> Result<Self> {
        let mut random = [0u8; SALT_LEN + NONCE_PREFIX_LEN];
        fill_random(&mut random)?;
        let type_byte = u8::try_from(key_type.vault_type_number())
            .map_err(|_| Error::Unsupported("key type number above 255"))?;
        let mut fixed = Vec::with_capacity(FIXED_LEN);
        fixed.extend_from_slice(&MAGIC);
        fixed.push(FORMAT_VERSION);
        fixed.push(type_byte);
        fixed.extend_from_slice(&SEGMENT_LEN_FIELD.to_be_bytes());
        fixed.extend_from_slice(&random);
        let fixed = fixed
            .try_into()
            .map_err(|_| Error::EnvelopeHeader("fixed length"))?;
        Self::with_fixed(fixed, key_type, wrapped)
    }

    fn with_fixed(fixed: [u8; FIXED_LEN], key_type: KeyType, wrapped: String) -> Result<Self> {
        if wrapped.is_empty() || wrapped.len() > MAX_WRAPPED_LEN {
            return Err(Error::EnvelopeHeader(
                "wrapped data key length out of range",
            ));
        }
        Ok(Self {
            fixed,
            key_type,
            wrapped,
        })
    }

    /// The same header with another wrapping of the same data key (for rewrap).
    pub(super) fn with_wrapped(&self, wrapped: String) -> Result<Self> {
        Self::with_fixed(self.fixed, self.key_type, wrapped)
    }

    /// Reads and checks a header. A stream that ends inside it is
    /// [`Error::EnvelopeTruncated`]; a bad field is [`Error::EnvelopeHeader`].
    pub(super) fn read(reader: &mut impl Read) -> Result<Self> {
        let mut fixed = [0u8; FIXED_LEN];
        read_exact(reader, &mut fixed)?;
        let (magic, rest) = fixed
            .split_first_chunk::<6>()
            .ok_or(Error::EnvelopeTruncated)?;
        if *magic != MAGIC {
            return Err(Error::EnvelopeHeader("not an envelope (bad magic)"));
        }
        let (&[version, type_byte], rest) = rest
            .split_first_chunk::<2>()
            .ok_or(Error::EnvelopeTruncated)?;
        if version != FORMAT_VERSION {
            return Err(Error::EnvelopeHeader("unsupported format version"));
        }
        let key_type = KeyType::from_vault_type_number(u32::from(type_byte))
            .map_err(|_| Error::EnvelopeHeader("unknown key type"))?;
        let (segment_len, _) = rest
            .split_first_chunk::<4>()
            .ok_or(Error::EnvelopeTruncated)?;
        if u32::from_be_bytes(*segment_len) != SEGMENT_LEN_FIELD {
            // A reader-chosen bound on memory: a header must not size our buffers.
            return Err(Error::EnvelopeHeader("unsupported segment size"));
        }
        let mut len = [0u8; 2];
        read_exact(reader, &mut len)?;
        let len = usize::from(u16::from_be_bytes(len));
        if len == 0 || len > MAX_WRAPPED_LEN {
            return Err(Error::EnvelopeHeader(
                "wrapped data key length out of range",
            ));
        }
        let mut wrapped = vec![0u8; len];
        read_exact(reader, &mut wrapped)?;
        let wrapped = String::from_utf8(wrapped)
            .map_err(|_| Error::EnvelopeHeader("wrapped data key is not UTF-8"))?;
        Self::with_fixed(fixed, key_type, wrapped)
    }

    /// The header as bytes: fixed fields, length of the wrapped key, the wrapped key.
    pub(super) fn to_bytes(&self) -> Result<Vec<u8>> {
        let len = u16::try_from(self.wrapped.len())
            .map_err(|_| Error::EnvelopeHeader("wrapped data key length out of range"))?;
        let mut out = Vec::with_capacity(self.len());
        out.extend_from_slice(&self.fixed);
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(self.wrapped.as_bytes());
        Ok(out)
    }

    /// Length in bytes of [`Header::to_bytes`].
    pub(super) fn len(&self) -> usize {
        FIXED_LEN
            .saturating_add(2)
            .saturating_add(self.wrapped.len())
    }

    /// The fixed fields: the associated data of every segment.
    pub(super) fn fixed(&self) -> &[u8; FIXED_LEN] {
        &self.fixed
    }

    pub(super) fn key_type(&self) -> KeyType {
        self.key_type
    }

    pub(super) fn salt(&self) -> &[u8] {
        self.fixed
            .get(SALT_OFFSET..SALT_OFFSET + SALT_LEN)
            .unwrap_or_default()
    }

    pub(super) fn nonce_prefix(&self) -> &[u8] {
        self.fixed
            .get(SALT_OFFSET + SALT_LEN..FIXED_LEN)
            .unwrap_or_default()
    }

    /// Decrypts the data key with `keyring`; returns it with the version that wrapped it.
    ///
    /// The wrapped key is not in the segments' associated data (so that rewrap can replace
    /// it), so it must be the one byte string this crate writes for its value: a `v0`,
    /// `v01`, `+1`, line breaks or non-zero base64 trailing bits would all decrypt to the
    /// same key and leave a header byte unauthenticated.
    pub(super) fn unwrap_data_key(
        &self,
        keyring: &Keyring,
        opts: &Options<'_>,
    ) -> Result<(Zeroizing<Vec<u8>>, u32)> {
        let not_canonical = || Error::EnvelopeHeader("wrapped data key is not canonical");
        let (version, body) = keyring.template.split(&self.wrapped)?;
        let version = u32::try_from(version)
            .ok()
            .filter(|v| *v >= 1)
            .ok_or_else(not_canonical)?;
        if keyring.template.format(version, &decode_body(body)?) != self.wrapped {
            return Err(not_canonical());
        }
        let data_key = keyring.decrypt_with(&self.wrapped, opts)?.into_zeroizing();
        if data_key.len() != DATA_KEY_LEN {
            return Err(Error::EnvelopeHeader("data key length"));
        }
        Ok((data_key, version))
    }
}

/// `read_exact`, with an early end as [`Error::EnvelopeTruncated`].
fn read_exact(reader: &mut impl Read, buf: &mut [u8]) -> Result<()> {
    reader.read_exact(buf).map_err(|e| match e.kind() {
        io::ErrorKind::UnexpectedEof => Error::EnvelopeTruncated,
        _ => error_from_io(e),
    })
}
