//! Envelopes: large payloads (build caches, artifacts) sealed as a stream of 64 KiB
//! segments under a fresh data key, which the keyring wraps in the header.
//!
//! Layout of the module: `envelope/header.rs` (the header's bytes), `envelope/segment.rs`
//! (key derivation, nonces, sealing one segment), `envelope/write.rs` and
//! `envelope/read.rs` (the `io` adapters); the one-shot calls and rewrap are here.
//!
#![doc = include_str!("envelope/format.md")]

mod header;
mod read;
mod segment;
mod write;

use std::io::{self, Read, Write};

use zeroize::Zeroizing;

use crate::cipher::KeyType;
use crate::error::{Error, Result};
use crate::keyring::Keyring;
use crate::options::Options;
use header::{Header, SEGMENT_LEN};

pub use read::EnvelopeReader;
pub use write::EnvelopeWriter;

/// Seals and opens streamed payloads of any size with a keyring, in bounded memory.
///
/// Each envelope gets a fresh 256-bit data key from [`Keyring::datakey`]; the header keeps
/// only its `vault:vN:` wrapping. The payload is sealed in 64 KiB segments under a key
/// derived from the data key, so truncation, reordering, duplication, segments from other
/// envelopes and header changes are all detected. For `io::Read` / `io::Write` plumbing use
/// [`EnvelopeWriter`] and [`EnvelopeReader`]; the calls here copy a whole stream.
///
/// [`Options`] apply to the data key's wrapping: a derived keyring needs its context, and
/// associated data must be passed again to open.
///
/// ```
/// use transit_keyring::{Envelope, KeyType, Keyring, Options};
/// let keyring = Keyring::generate("artifacts", KeyType::Aes256Gcm96)?;
/// let opts = Options::new().associated_data(b"cache/linux-x86_64");
/// let payload = vec![7u8; 200_000];
///
/// let mut sealed = Vec::new();
/// let info = Envelope::seal(&keyring, &opts, &payload[..], &mut sealed)?;
/// assert_eq!((info.segments, info.plaintext_len), (4, 200_000));
///
/// let mut opened = Vec::new();
/// Envelope::open(&keyring, &opts, &sealed[..], &mut opened)?;
/// assert_eq!(opened, payload);
/// # Ok::<(), transit_keyring::Error>(())
/// ```
///
#[doc = include_str!("envelope/format.md")]
#[derive(Debug)]
pub struct Envelope {
    _private: (),
}

/// What [`Envelope::seal`] wrote or [`Envelope::open`] read. Lengths only: no content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct EnvelopeInfo {
    /// The keyring version that wrapped the data key.
    pub key_version: u32,
    /// The AEAD of the segments (the keyring's key type at sealing).
    pub key_type: KeyType,
    /// Payload bytes.
    pub plaintext_len: u64,
    /// Number of segments, the empty final one of an empty payload included.
    pub segments: u64,
    /// Envelope bytes: header and segments.
    pub envelope_len: u64,
}

impl Envelope {
    /// Seals everything `reader` yields into an envelope written to `writer`, then flushes
    /// `writer`.
    ///
    /// # Errors
    /// Any error of [`Keyring::datakey`] with `opts`; [`Error::Io`] if `reader` or
    /// `writer` fails (the output is then incomplete).
    ///
    /// ```
    /// use transit_keyring::{Envelope, KeyType, Keyring, Options};
    /// let keyring = Keyring::generate("artifacts", KeyType::Chacha20Poly1305)?;
    /// let mut sealed = Vec::new();
    /// let info = Envelope::seal(&keyring, &Options::new(), &b""[..], &mut sealed)?;
    /// assert_eq!(info.segments, 1); // an empty payload is one empty final segment
    /// assert_eq!(info.envelope_len, u64::try_from(sealed.len()).unwrap());
    /// # Ok::<(), transit_keyring::Error>(())
    /// ```
    pub fn seal<R: Read, W: Write>(
        keyring: &Keyring,
        opts: &Options<'_>,
        mut reader: R,
        writer: W,
    ) -> Result<EnvelopeInfo> {
        let mut envelope = EnvelopeWriter::new(keyring, opts, writer)?;
        // Our own buffer rather than `io::copy`'s, so that the plaintext in it is zeroized.
        let mut buf = Zeroizing::new(vec![0u8; SEGMENT_LEN]);
        loop {
            let n = match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                Err(err) => return Err(error_from_io(err)),
            };
            envelope
                .write_all(buf.get(..n).unwrap_or_default())
                .map_err(error_from_io)?;
        }
        envelope.finish_with_info().map(|(_, info)| info)
    }

    /// Opens the envelope `reader` yields, writing the payload to `writer` one
    /// authenticated segment at a time, then flushes `writer`.
    ///
    /// # Errors
    /// The errors of [`EnvelopeReader::new`]; [`Error::EnvelopeTruncated`] if the envelope
    /// ends before its final segment; [`Error::Decrypt`] for any altered, reordered or
    /// foreign segment; [`Error::Io`]. Segments before the failing one have been written by
    /// then: discard the output on any error.
    ///
    /// ```
    /// use transit_keyring::{Envelope, Error, KeyType, Keyring, Options};
    /// let keyring = Keyring::generate("artifacts", KeyType::Aes256Gcm96)?;
    /// let mut sealed = Vec::new();
    /// Envelope::seal(&keyring, &Options::new(), &[1u8; 70_000][..], &mut sealed)?;
    /// let cut = &sealed[..sealed.len() - (70_000 - 65_536 + 16)]; // drop the final segment
    /// let err = Envelope::open(&keyring, &Options::new(), cut, &mut Vec::new()).unwrap_err();
    /// assert_eq!(err, Error::EnvelopeTruncated);
    /// # Ok::<(), transit_keyring::Error>(())
    /// ```
    pub fn open<R: Read, W: Write>(
        keyring: &Keyring,
        opts: &Options<'_>,
        reader: R,
        mut writer: W,
    ) -> Result<EnvelopeInfo> {
        let mut envelope = EnvelopeReader::new(keyring, opts, reader)?;
        loop {
            let plaintext = envelope.fill_plaintext().map_err(error_from_io)?;
            if plaintext.is_empty() {
                break;
            }
            let n = plaintext.len();
            writer.write_all(plaintext).map_err(error_from_io)?;
            envelope.consume(n);
        }
        writer.flush().map_err(error_from_io)?;
        Ok(envelope.info())
    }

    /// Copies an envelope from `reader` to `writer` with its data key rewrapped by
    /// `keyring`'s latest version (or `opts`' `key_version`); returns that version.
    ///
    /// Only the header changes: the segments are copied byte for byte and stay encrypted
    /// under the same data key (see "Rewrapping" in [`Envelope`]). They are not read for
    /// authenticity here; [`Envelope::open`] checks them. `opts` must carry the context and
    /// associated data used at sealing.
    ///
    /// # Errors
    /// The header errors of [`EnvelopeReader::new`]; the errors of
    /// [`Keyring::decrypt_with`] and [`Keyring::encrypt_with`]; [`Error::Io`].
    ///
    /// ```
    /// use transit_keyring::{Envelope, KeyType, Keyring, Options};
    /// let mut keyring = Keyring::generate("artifacts", KeyType::Aes256Gcm96)?;
    /// let mut sealed = Vec::new();
    /// Envelope::seal(&keyring, &Options::new(), &b"artifact"[..], &mut sealed)?;
    /// keyring.rotate()?;
    ///
    /// let mut rewrapped = Vec::new();
    /// assert_eq!(Envelope::rewrap_header(&keyring, &Options::new(), &sealed[..], &mut rewrapped)?, 2);
    /// keyring.set_min_decryption_version(2)?; // v1 no longer opens anything
    /// let info = Envelope::open(&keyring, &Options::new(), &rewrapped[..], &mut Vec::new())?;
    /// assert_eq!(info.key_version, 2);
    /// # Ok::<(), transit_keyring::Error>(())
    /// ```
    pub fn rewrap_header<R: Read, W: Write>(
        keyring: &Keyring,
        opts: &Options<'_>,
        mut reader: R,
        mut writer: W,
    ) -> Result<u32> {
        let header = Header::read(&mut reader)?;
        let (data_key, _) = header.unwrap_data_key(keyring, opts)?;
        let (wrapped, key_version) = keyring.encrypt_versioned(&data_key, opts)?;
        drop(data_key);
        let header = header.with_wrapped(wrapped)?.to_bytes()?;
        writer.write_all(&header).map_err(error_from_io)?;
        // Segments are ciphertext: `io::copy`'s unzeroized buffer is fine here.
        io::copy(&mut reader, &mut writer).map_err(error_from_io)?;
        writer.flush().map_err(error_from_io)?;
        Ok(key_version)
    }
}

/// An `io::Error` carrying `err`, for the `io` traits (`UnexpectedEof` for truncation).
pub(crate) fn io_from_error(err: Error) -> io::Error {
    let kind = match err {
        Error::EnvelopeTruncated => io::ErrorKind::UnexpectedEof,
        Error::Io { kind } => kind,
        _ => io::ErrorKind::InvalidData,
    };
    io::Error::new(kind, err)
}

/// Our error back out of an `io::Error` made by [`io_from_error`], else [`Error::Io`].
pub(crate) fn error_from_io(err: io::Error) -> Error {
    let kind = err.kind();
    match err.into_inner().map(|inner| inner.downcast::<Error>()) {
        Some(Ok(ours)) => *ours,
        _ => Error::Io { kind },
    }
}
