//! The sealing side: [`EnvelopeWriter`], an `io::Write` that emits whole segments.
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use core::fmt;
use std::io::{self, Write};

use zeroize::Zeroizing;

use super::header::{DATA_KEY_BITS, Header, SEGMENT_LEN};
use super::segment::{SEGMENT_OVERHEAD, SegmentCipher};
use super::{EnvelopeInfo, error_from_io, io_from_error};
use crate::cipher::NONCE_LEN;
use crate::error::{Error, Result};
use crate::keyring::Keyring;
use crate::options::Options;

/// Seals everything written to it into an envelope on `inner`, one 64 KiB segment at a
/// time. Memory stays at about two segments whatever the payload size.
///
/// The header is written by [`EnvelopeWriter::new`]. A full segment is sealed only once
/// more input arrives, because the final segment is sealed differently; so
/// [`EnvelopeWriter::finish`] **must** be called. Dropping the writer without it leaves a
/// truncated envelope, which [`Envelope::open`](super::Envelope::open) refuses with
/// [`Error::EnvelopeTruncated`]. After an error from `inner`, every later call fails: the
/// envelope on `inner` is incomplete.
///
/// ```
/// use std::io::Write;
/// use transit_keyring::{Envelope, EnvelopeWriter, KeyType, Keyring, Options};
/// let keyring = Keyring::generate("artifacts", KeyType::Aes256Gcm96)?;
/// let mut writer = EnvelopeWriter::new(&keyring, &Options::new(), Vec::new())?;
/// writer.write_all(b"build cache bytes")?;
/// let sealed = writer.finish()?;
///
/// let mut opened = Vec::new();
/// Envelope::open(&keyring, &Options::new(), &sealed[..], &mut opened)?;
/// assert_eq!(opened, b"build cache bytes");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct EnvelopeWriter<W: Write> {
    inner: W,
    cipher: SegmentCipher,
    key_version: u32,
    /// Index of the segment being filled.
    index: u32,
    /// Plaintext of the segment being filled; never grows past its first allocation.
    plaintext: Zeroizing<Vec<u8>>,
    /// Scratch space for one sealed segment (ciphertext only: no secret).
    sealed: Vec<u8>,
    plaintext_len: u64,
    envelope_len: u64,
    /// Set once `inner` failed: the envelope is broken, so nothing more may be written.
    failed: Option<io::ErrorKind>,
}

impl<W: Write> EnvelopeWriter<W> {
    /// Draws a fresh 256-bit data key from `keyring` (wrapped with `opts`: context,
    /// associated data, key version) and writes the envelope header to `inner`.
    ///
    /// # Errors
    /// Any error of [`Keyring::datakey`]; [`Error::Io`] if writing the header fails.
    ///
    /// ```
    /// use transit_keyring::{EnvelopeWriter, KeyType, Keyring, Options};
    /// let keyring = Keyring::generate("artifacts", KeyType::Chacha20Poly1305)?;
    /// let writer = EnvelopeWriter::new(&keyring, &Options::new(), Vec::new())?;
    /// assert_eq!(writer.key_version(), 1);
    /// assert!(writer.finish()?.starts_with(b"TKRENV\x01"));
    /// # Ok::<(), transit_keyring::Error>(())
    /// ```
    pub fn new(keyring: &Keyring, opts: &Options<'_>, mut inner: W) -> Result<Self> {
        let datakey = keyring.datakey(DATA_KEY_BITS, opts)?;
        let header = Header::generate(keyring.key_type(), datakey.ciphertext().to_owned())?;
        let cipher = SegmentCipher::new(datakey.plaintext().expose_secret(), &header)?;
        let key_version = datakey.key_version();
        drop(datakey); // zeroized: from here on only the keyed AEAD exists
        let header = header.to_bytes()?;
        inner.write_all(&header).map_err(error_from_io)?;
        Ok(Self {
            inner,
            cipher,
            key_version,
            index: 0,
            plaintext: Zeroizing::new(Vec::with_capacity(SEGMENT_LEN)),
            sealed: Vec::with_capacity(NONCE_LEN + SEGMENT_LEN + SEGMENT_OVERHEAD),
            plaintext_len: 0,
            envelope_len: u64::try_from(header.len()).unwrap_or(u64::MAX),
            failed: None,
        })
    }

    /// The keyring version that wrapped this envelope's data key.
    #[must_use]
    pub fn key_version(&self) -> u32 {
        self.key_version
    }

    /// Seals the final segment (empty if nothing was written), flushes `inner` and returns it.
    ///
    /// # Errors
    /// [`Error::Io`] if `inner` fails now or failed before.
    ///
    /// ```
    /// use transit_keyring::{EnvelopeWriter, KeyType, Keyring, Options};
    /// let keyring = Keyring::generate("artifacts", KeyType::Aes128Gcm96)?;
    /// let empty = EnvelopeWriter::new(&keyring, &Options::new(), Vec::new())?.finish()?;
    /// assert!(!empty.is_empty()); // header, then one empty final segment
    /// # Ok::<(), transit_keyring::Error>(())
    /// ```
    pub fn finish(self) -> Result<W> {
        self.finish_with_info().map(|(inner, _)| inner)
    }

    /// [`EnvelopeWriter::finish`], also returning what was written.
    pub(super) fn finish_with_info(mut self) -> Result<(W, EnvelopeInfo)> {
        if let Some(kind) = self.failed {
            return Err(Error::Io { kind });
        }
        self.seal_segment(true).map_err(error_from_io)?;
        self.inner.flush().map_err(error_from_io)?;
        let info = EnvelopeInfo {
            key_version: self.key_version,
            key_type: self.cipher.key_type(),
            plaintext_len: self.plaintext_len,
            segments: u64::from(self.index).saturating_add(1),
            envelope_len: self.envelope_len,
        };
        Ok((self.inner, info))
    }

    /// Seals the buffered plaintext as segment `index` and writes it out.
    fn seal_segment(&mut self, last: bool) -> io::Result<()> {
        let next = if last {
            self.index
        } else {
            // 2^32 segments of 64 KiB (256 TiB): the nonce has room for no more.
            let next = self.index.checked_add(1);
            next.ok_or_else(|| io_from_error(Error::Unsupported("envelope above 2^32 segments")))?
        };
        self.cipher
            .seal(self.index, last, &self.plaintext, &mut self.sealed)
            .map_err(io_from_error)?;
        let body = self.sealed.get(NONCE_LEN..).unwrap_or_default();
        if let Err(err) = self.inner.write_all(body) {
            self.failed = Some(err.kind());
            return Err(err);
        }
        let body_len = u64::try_from(body.len()).unwrap_or(u64::MAX);
        self.envelope_len = self.envelope_len.saturating_add(body_len);
        let plaintext_len = u64::try_from(self.plaintext.len()).unwrap_or(u64::MAX);
        self.plaintext_len = self.plaintext_len.saturating_add(plaintext_len);
        self.plaintext.clear();
        self.index = next;
        Ok(())
    }
}

impl<W: Write> Write for EnvelopeWriter<W> {
    /// Buffers `buf`, sealing each segment that fills up once more input follows it.
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if let Some(kind) = self.failed {
            return Err(kind.into());
        }
        let mut rest = buf;
        while !rest.is_empty() {
            if self.plaintext.len() == SEGMENT_LEN {
                // More input follows, so this full segment is not the final one.
                self.seal_segment(false)?;
            }
            let room = SEGMENT_LEN.saturating_sub(self.plaintext.len());
            let (head, tail) = rest.split_at(room.min(rest.len()));
            self.plaintext.extend_from_slice(head);
            rest = tail;
        }
        Ok(buf.len())
    }

    /// Flushes `inner`. Buffered plaintext stays buffered: only whole segments are written.
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

impl<W: Write> fmt::Debug for EnvelopeWriter<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EnvelopeWriter")
            .field("key_version", &self.key_version)
            .field("segment", &self.index)
            .finish_non_exhaustive()
    }
}
