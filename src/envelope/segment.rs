//! Sealing and opening one segment: the per-envelope key, the segment nonce and the
//! header as associated data. Everything goes through `cipher::Aead`.
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use hkdf::Hkdf;
use sha2::Sha256;
use zeroize::Zeroizing;

use super::header::{FIXED_LEN, Header, NONCE_PREFIX_LEN};
use crate::cipher::{Aead, KeyType, NONCE_LEN, TAG_LEN};
use crate::error::{Error, Result};

/// HKDF `info` of the segment key: names the purpose and the format version, so the same
/// data key could never yield this key for another use.
const SEGMENT_KEY_INFO: &[u8] = b"transit-keyring envelope v1 segment key";
/// Bytes a segment adds to its plaintext.
pub(super) const SEGMENT_OVERHEAD: usize = TAG_LEN;

/// The keyed AEAD of one envelope, with what every segment's nonce and associated data
/// share. Holds no raw key bytes: `Aead` zeroizes its own state on drop.
pub(super) struct SegmentCipher {
    aead: Aead,
    key_type: KeyType,
    nonce_prefix: [u8; NONCE_PREFIX_LEN],
    associated_data: [u8; FIXED_LEN],
}

impl SegmentCipher {
    /// The segment key is HKDF-SHA256(salt = header salt, ikm = data key, info =
    /// [`SEGMENT_KEY_INFO`]), as long as the header's key type needs.
    pub(super) fn new(data_key: &[u8], header: &Header) -> Result<Self> {
        let key_type = header.key_type();
        let mut key = Zeroizing::new(vec![0u8; key_type.key_len()]);
        Hkdf::<Sha256>::new(Some(header.salt()), data_key)
            .expand(SEGMENT_KEY_INFO, &mut key)
            .map_err(|_| Error::Unsupported("segment key length"))?;
        let nonce_prefix = header
            .nonce_prefix()
            .try_into()
            .map_err(|_| Error::EnvelopeHeader("nonce prefix length"))?;
        Ok(Self {
            aead: Aead::new(key_type, &key)?,
            key_type,
            nonce_prefix,
            associated_data: *header.fixed(),
        })
    }

    /// nonce prefix (7) ‖ segment index (4, big-endian) ‖ 0x01 for the final segment, else 0x00.
    fn nonce(&self, index: u32, last: bool) -> [u8; NONCE_LEN] {
        let mut nonce = [0u8; NONCE_LEN];
        let (prefix, rest) = nonce.split_at_mut(NONCE_PREFIX_LEN);
        prefix.copy_from_slice(&self.nonce_prefix);
        let (counter, flag) = rest.split_at_mut(4);
        counter.copy_from_slice(&index.to_be_bytes());
        if let Some(flag) = flag.first_mut() {
            *flag = u8::from(last);
        }
        nonce
    }

    /// Seals segment `index` into `out` (cleared first) as `nonce ‖ ciphertext ‖ tag`; the
    /// caller writes `out[NONCE_LEN..]`, since the nonce is implied by the position.
    pub(super) fn seal(
        &self,
        index: u32,
        last: bool,
        plaintext: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<()> {
        out.clear();
        let nonce = self.nonce(index, last);
        self.aead
            .seal_into(&nonce, &self.associated_data, plaintext, out)
    }

    /// Opens segment `index`. `body` is a nonce slot (overwritten here) followed by the
    /// sealed segment, so no copy is needed to put the nonce in front.
    pub(super) fn open(
        &self,
        index: u32,
        last: bool,
        body: &mut [u8],
    ) -> Result<Zeroizing<Vec<u8>>> {
        let slot = body.get_mut(..NONCE_LEN).ok_or(Error::EnvelopeTruncated)?;
        slot.copy_from_slice(&self.nonce(index, last));
        self.aead.open(self.key_type, body, &self.associated_data)
    }

    pub(super) fn key_type(&self) -> KeyType {
        self.key_type
    }
}
