//! The opening side: [`EnvelopeReader`], an `io::Read` that hands out a segment's
//! plaintext only after the segment authenticated.
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use core::fmt;
use std::io::{self, Read};

use zeroize::Zeroizing;

use super::header::{Header, SEGMENT_LEN};
use super::segment::{SEGMENT_OVERHEAD, SegmentCipher};
use super::{EnvelopeInfo, io_from_error};
use crate::cipher::NONCE_LEN;
use crate::error::{Error, Result};
use crate::keyring::Keyring;
use crate::options::Options;

/// A sealed segment of full size.
const SEALED_LEN: usize = SEGMENT_LEN + SEGMENT_OVERHEAD;

/// Where the reader is in the envelope.
enum State {
    /// More segments to come.
    Segments,
    /// The final segment authenticated: end of the payload.
    Done,
    /// A segment failed; every later read repeats the error.
    Failed(Error),
}

/// Opens an envelope from `inner` as a stream of plaintext.
///
/// Each segment is read whole, and its plaintext is returned only once its tag verified,
/// so no byte of a forged or altered segment ever reaches the caller. The end of the
/// payload is the final segment, never the end of `inner`: an envelope cut short (at a
/// segment boundary or inside a segment) gives an error, not an early EOF. Envelope errors
/// are `io::Error`s wrapping this crate's [`Error`] (kind `UnexpectedEof` for
/// [`Error::EnvelopeTruncated`], `InvalidData` for the rest; get it back with
/// `err.get_ref()` and `downcast_ref::<Error>()`); errors of `inner` pass through as they
/// are. Earlier segments' plaintext has been returned by then, so treat any error as
/// "discard everything read".
///
/// Memory stays at about two segments whatever the payload size. The envelope runs to the
/// end of `inner`.
///
/// ```
/// use std::io::Read;
/// use transit_keyring::{Envelope, EnvelopeReader, Error, KeyType, Keyring, Options};
/// let keyring = Keyring::generate("artifacts", KeyType::Aes256Gcm96)?;
/// let mut sealed = Vec::new();
/// Envelope::seal(&keyring, &Options::new(), &b"cache"[..], &mut sealed)?;
///
/// let mut reader = EnvelopeReader::new(&keyring, &Options::new(), &sealed[..])?;
/// let mut opened = Vec::new();
/// reader.read_to_end(&mut opened)?;
/// assert_eq!(opened, b"cache");
///
/// let cut = &sealed[..sealed.len() - 1];
/// let err = EnvelopeReader::new(&keyring, &Options::new(), cut)?.read_to_end(&mut Vec::new());
/// let err = err.unwrap_err();
/// assert!(matches!(err.get_ref().and_then(|e| e.downcast_ref()), Some(Error::Decrypt { .. })));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct EnvelopeReader<R: Read> {
    inner: R,
    cipher: SegmentCipher,
    key_version: u32,
    /// Index of the next segment to open.
    index: u32,
    /// A nonce slot, then one sealed segment, then one byte read ahead: whether that byte
    /// exists says whether the segment before it is the final one.
    sealed: Vec<u8>,
    /// Bytes held in `sealed` after the nonce slot.
    filled: usize,
    /// The last opened segment's plaintext and how much of it was handed out.
    plaintext: Zeroizing<Vec<u8>>,
    pos: usize,
    state: State,
    segments: u64,
    plaintext_len: u64,
    envelope_len: u64,
}

impl<R: Read> EnvelopeReader<R> {
    /// Reads and checks the header from `inner` and unwraps the data key with `keyring`
    /// (using `opts`' context and associated data, as at sealing).
    ///
    /// # Errors
    /// [`Error::EnvelopeHeader`] for a bad header; [`Error::EnvelopeTruncated`] if `inner`
    /// ends inside it; the errors of [`Keyring::decrypt_with`] on the wrapped data key
    /// ([`Error::Decrypt`] for a wrong keyring or wrong associated data); [`Error::Io`].
    ///
    /// ```
    /// use transit_keyring::{EnvelopeReader, Error, KeyType, Keyring, Options};
    /// let keyring = Keyring::generate("artifacts", KeyType::Aes256Gcm96)?;
    /// let err = EnvelopeReader::new(&keyring, &Options::new(), &b"not an envelope, no"[..]);
    /// assert_eq!(err.unwrap_err(), Error::EnvelopeTruncated); // shorter than a header
    /// # Ok::<(), transit_keyring::Error>(())
    /// ```
    pub fn new(keyring: &Keyring, opts: &Options<'_>, mut inner: R) -> Result<Self> {
        let header = Header::read(&mut inner)?;
        let (data_key, key_version) = header.unwrap_data_key(keyring, opts)?;
        let cipher = SegmentCipher::new(&data_key, &header)?;
        Ok(Self {
            inner,
            cipher,
            key_version,
            index: 0,
            sealed: vec![0u8; NONCE_LEN + SEALED_LEN + 1],
            filled: 0,
            plaintext: Zeroizing::new(Vec::new()),
            pos: 0,
            state: State::Segments,
            segments: 0,
            plaintext_len: 0,
            envelope_len: u64::try_from(header.len()).unwrap_or(u64::MAX),
        })
    }

    /// The keyring version that wrapped this envelope's data key.
    #[must_use]
    pub fn key_version(&self) -> u32 {
        self.key_version
    }

    /// What was read so far (all of the envelope once `read` returned 0).
    pub(super) fn info(&self) -> EnvelopeInfo {
        EnvelopeInfo {
            key_version: self.key_version,
            key_type: self.cipher.key_type(),
            plaintext_len: self.plaintext_len,
            segments: self.segments,
            envelope_len: self.envelope_len,
        }
    }

    /// The plaintext not yet handed out, opening the next segment if none is left; empty
    /// at the end of the payload. The one place segments are opened.
    pub(super) fn fill_plaintext(&mut self) -> io::Result<&[u8]> {
        while self.pos >= self.plaintext.len() {
            match &self.state {
                State::Done => break,
                State::Failed(err) => return Err(io_from_error(err.clone())),
                State::Segments => {}
            }
            self.read_sealed()?;
            if let Err(err) = self.open_segment() {
                self.state = State::Failed(err.clone());
                return Err(io_from_error(err));
            }
        }
        Ok(self.plaintext.get(self.pos..).unwrap_or_default())
    }

    /// Marks `n` bytes of [`EnvelopeReader::fill_plaintext`] as handed out.
    pub(super) fn consume(&mut self, n: usize) {
        self.pos = self.pos.saturating_add(n).min(self.plaintext.len());
    }

    /// Reads until `sealed` holds a full segment plus the byte after it, or `inner` ends.
    /// Errors of `inner` pass through as they are; what was read stays for a retry.
    fn read_sealed(&mut self) -> io::Result<()> {
        loop {
            let start = NONCE_LEN.saturating_add(self.filled);
            let Some(free) = self.sealed.get_mut(start..).filter(|free| !free.is_empty()) else {
                return Ok(());
            };
            match self.inner.read(free) {
                Ok(0) => return Ok(()),
                Ok(n) => {
                    self.filled = self.filled.saturating_add(n);
                    self.envelope_len = self
                        .envelope_len
                        .saturating_add(u64::try_from(n).unwrap_or(u64::MAX));
                }
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) => return Err(err),
            }
        }
    }

    /// Opens the segment in `sealed`: the final one if nothing follows it.
    fn open_segment(&mut self) -> Result<()> {
        let last = self.filled <= SEALED_LEN;
        let len = if last { self.filled } else { SEALED_LEN };
        if len == 0 {
            // Only possible before segment 0: every other segment keeps a byte read ahead.
            return Err(Error::EnvelopeTruncated);
        }
        if !last && self.index == u32::MAX {
            return Err(Error::Unsupported("envelope above 2^32 segments"));
        }
        let body = self
            .sealed
            .get_mut(..NONCE_LEN.saturating_add(len))
            .ok_or(Error::EnvelopeTruncated)?;
        let plaintext = match self.cipher.open(self.index, last, body) {
            Ok(plaintext) => plaintext,
            // A full segment that fails as the final one but opens as an inner one: the
            // envelope was cut at this segment boundary. (A second try only on failure;
            // cut-off bytes cannot be told apart from altered ones, so mid-segment cuts
            // stay `Decrypt`.)
            Err(err) if last && len == SEALED_LEN => {
                match self.cipher.open(self.index, false, body) {
                    Ok(_) => return Err(Error::EnvelopeTruncated),
                    Err(_) => return Err(err),
                }
            }
            Err(err) => return Err(err),
        };
        let plaintext_len = u64::try_from(plaintext.len()).unwrap_or(u64::MAX);
        self.plaintext_len = self.plaintext_len.saturating_add(plaintext_len);
        self.plaintext = plaintext;
        self.pos = 0;
        if last {
            self.filled = 0;
            self.state = State::Done;
        } else {
            // Keep the byte read ahead: it is the first byte of the next segment.
            let ahead = NONCE_LEN.saturating_add(SEALED_LEN);
            self.sealed.copy_within(ahead..=ahead, NONCE_LEN);
            self.filled = 1;
        }
        self.index = self.index.saturating_add(1); // checked above for an inner segment
        self.segments = self.segments.saturating_add(1);
        Ok(())
    }
}

impl<R: Read> Read for EnvelopeReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let available = self.fill_plaintext()?;
        let n = available.len().min(buf.len());
        let (dst, _) = buf.split_at_mut(n);
        dst.copy_from_slice(available.get(..n).unwrap_or_default());
        self.consume(n);
        Ok(n)
    }
}

impl<R: Read> fmt::Debug for EnvelopeReader<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EnvelopeReader")
            .field("key_version", &self.key_version)
            .field("segment", &self.index)
            .finish_non_exhaustive()
    }
}
