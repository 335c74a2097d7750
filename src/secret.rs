//! Secret bytes: key material and decrypted plaintext. Both zeroize on drop, print as
//! `[REDACTED]`, and have no `Clone`, `Display`, `PartialEq` or `Serialize`.

use core::fmt;
use core::ops::Deref;
use zeroize::Zeroizing;

/// Key bytes of one version: zeroed on drop, redacted in `Debug`, never cloned.
///
/// ```compile_fail
/// fn needs_clone<T: Clone>() {}
/// needs_clone::<transit_keyring::KeyMaterial>();
/// ```
pub struct KeyMaterial(Zeroizing<Box<[u8]>>); // boxed: a move copies a pointer, not the key

impl KeyMaterial {
    /// Takes ownership of key bytes (the vector is moved, not copied).
    pub(crate) fn from_vec(bytes: Vec<u8>) -> Self {
        Self(Zeroizing::new(bytes.into_boxed_slice()))
    }

    /// Copies key bytes from a buffer the caller keeps (and should zeroize).
    pub(crate) fn from_slice(bytes: &[u8]) -> Self {
        Self::from_vec(bytes.to_vec())
    }

    /// The key bytes. The one reader: `grep -rn expose_secret` finds every use, so an audit
    /// of where key bytes go is one search.
    #[must_use]
    pub fn expose_secret(&self) -> &[u8] {
        &self.0
    }

    /// Length in bytes (public: it follows from the key type).
    #[must_use]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no bytes at all.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for KeyMaterial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("KeyMaterial([REDACTED])")
    }
}

/// Decrypted bytes. Dereferences to `[u8]`; the buffer is zeroized when dropped.
///
/// ```
/// use transit_keyring::{KeyType, Keyring};
/// let keyring = Keyring::generate("ci-env", KeyType::Aes256Gcm96)?;
/// let plaintext = keyring.decrypt(&keyring.encrypt(b"hunter2")?)?;
/// assert_eq!(&*plaintext, b"hunter2");
/// assert_eq!(format!("{plaintext:?}"), "Plaintext([REDACTED])");
/// # Ok::<(), transit_keyring::Error>(())
/// ```
pub struct Plaintext(Zeroizing<Vec<u8>>);

impl Plaintext {
    pub(crate) fn new(bytes: Zeroizing<Vec<u8>>) -> Self {
        Self(bytes)
    }

    /// The plaintext as a zeroizing vector, for callers that need to own it.
    #[must_use]
    pub fn into_zeroizing(self) -> Zeroizing<Vec<u8>> {
        self.0
    }
}

impl Deref for Plaintext {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.0
    }
}

impl AsRef<[u8]> for Plaintext {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for Plaintext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Plaintext([REDACTED])")
    }
}

/// Serializes `value` as compact JSON into a zeroizing buffer that leaves no copy behind:
/// when it must grow, the bytes move to a new zeroizing allocation and the old one is zeroed
/// (a plain `Vec` would free its old buffers with key text still in them).
pub(crate) fn to_json_zeroizing<T: serde::Serialize>(
    value: &T,
    capacity_hint: usize,
) -> serde_json::Result<Zeroizing<Vec<u8>>> {
    let mut writer = ZeroizingWriter(Zeroizing::new(Vec::with_capacity(capacity_hint)));
    serde_json::to_writer(&mut writer, value)?;
    Ok(writer.0)
}

/// An `io::Write` over a zeroizing vector that never reallocates in place.
struct ZeroizingWriter(Zeroizing<Vec<u8>>);

impl std::io::Write for ZeroizingWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let needed = self.0.len().saturating_add(buf.len());
        if needed > self.0.capacity() {
            let mut grown = Zeroizing::new(Vec::with_capacity(needed.saturating_mul(2)));
            grown.extend_from_slice(&self.0);
            self.0 = grown; // the old buffer is zeroed as it drops
        }
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::to_json_zeroizing;

    #[test]
    fn json_writer_grows_without_losing_bytes() {
        let value: Vec<String> = (0..500).map(|i| format!("entry-{i}")).collect();
        let json = to_json_zeroizing(&value, 1).unwrap();
        assert_eq!(*json, serde_json::to_vec(&value).unwrap());
    }
}
