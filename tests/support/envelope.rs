//! Helpers of the envelope tests: sealing and opening through each API, cutting an
//! envelope into header and segments, and readers and writers that misbehave on purpose.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, dead_code)]

use std::io::{self, Read, Write};

use base64::Engine;
use transit_keyring::{Envelope, EnvelopeReader, EnvelopeWriter, Error, KeyType, Keyring, Options};

/// Plaintext bytes per segment (the format's fixed 64 KiB).
pub const SEGMENT: usize = 64 * 1024;
/// A full sealed segment: plaintext and a 16-byte tag.
pub const SEALED: usize = SEGMENT + 16;

pub fn keyring(key_type: KeyType) -> Keyring {
    Keyring::generate("envelope-tests", key_type).unwrap()
}

/// `len` bytes that differ from segment to segment, so a swapped segment changes content.
pub fn payload(len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| u8::try_from((i * 31 + i / SEGMENT) % 251).unwrap())
        .collect()
}

pub fn b64(text: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .unwrap()
}

pub fn seal(keyring: &Keyring, opts: &Options<'_>, plaintext: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    Envelope::seal(keyring, opts, plaintext, &mut out).unwrap();
    out
}

/// Seals through [`EnvelopeWriter`], writing `chunk` bytes per call.
pub fn seal_with_writer(
    keyring: &Keyring,
    opts: &Options<'_>,
    plaintext: &[u8],
    chunk: usize,
) -> Vec<u8> {
    let mut writer = EnvelopeWriter::new(keyring, opts, Vec::new()).unwrap();
    for piece in plaintext.chunks(chunk) {
        writer.write_all(piece).unwrap();
    }
    writer.finish().unwrap()
}

pub fn open(keyring: &Keyring, opts: &Options<'_>, envelope: &[u8]) -> Result<Vec<u8>, Error> {
    let mut out = Vec::new();
    Envelope::open(keyring, opts, envelope, &mut out).map(|_| out)
}

/// Reads an envelope through [`EnvelopeReader`] with a `buf`-byte buffer.
pub fn read_all(
    keyring: &Keyring,
    opts: &Options<'_>,
    envelope: &[u8],
    buf: usize,
) -> io::Result<Vec<u8>> {
    let mut reader = EnvelopeReader::new(keyring, opts, envelope).map_err(io::Error::other)?;
    let mut out = Vec::new();
    let mut chunk = vec![0u8; buf];
    loop {
        match reader.read(&mut chunk)? {
            0 => return Ok(out),
            n => out.extend_from_slice(&chunk[..n]),
        }
    }
}

/// [`read_all`] with its error as ours, comparable with [`open`]'s.
pub fn open_with_reader(
    keyring: &Keyring,
    opts: &Options<'_>,
    envelope: &[u8],
    buf: usize,
) -> Result<Vec<u8>, Error> {
    read_all(keyring, opts, envelope, buf)
        .map_err(|e| ours(&e).cloned().unwrap_or_else(|| panic!("not ours: {e}")))
}

/// The crate's error inside an `io::Error`, if there is one.
pub fn ours(err: &io::Error) -> Option<&Error> {
    err.get_ref()
        .and_then(|inner| inner.downcast_ref::<Error>())
}

/// Header length: 53 fixed bytes plus the wrapped key's length field's value.
pub fn header_len(envelope: &[u8]) -> usize {
    53 + usize::from(u16::from_be_bytes([envelope[51], envelope[52]]))
}

/// The header and the sealed segments.
pub fn split(envelope: &[u8]) -> (&[u8], Vec<&[u8]>) {
    let (header, body) = envelope.split_at(header_len(envelope));
    (header, body.chunks(SEALED).collect())
}

pub fn assemble<'a>(header: &[u8], segments: impl IntoIterator<Item = &'a [u8]>) -> Vec<u8> {
    let mut out = header.to_vec();
    segments.into_iter().for_each(|s| out.extend_from_slice(s));
    out
}

/// A source that yields at most `max` bytes per call and is interrupted every third call.
#[derive(Debug)]
pub struct Trickle<'a> {
    data: &'a [u8],
    max: usize,
    calls: usize,
}

impl<'a> Trickle<'a> {
    pub fn new(data: &'a [u8], max: usize) -> Self {
        Self {
            data,
            max,
            calls: 0,
        }
    }
}

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.calls += 1;
        if self.calls % 3 == 0 {
            return Err(io::ErrorKind::Interrupted.into());
        }
        let n = self.max.min(buf.len()).min(self.data.len());
        let (head, tail) = self.data.split_at(n);
        buf[..n].copy_from_slice(head);
        self.data = tail;
        Ok(n)
    }
}

/// A sink that takes `accept` bytes, then reports a full disk.
#[derive(Debug)]
pub struct FailingSink {
    pub accept: usize,
}

impl Write for FailingSink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.accept == 0 {
            return Err(io::ErrorKind::StorageFull.into());
        }
        let n = buf.len().min(self.accept);
        self.accept -= n;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
