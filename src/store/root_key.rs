//! The store's root key and where it comes from: a 0600 key file, an environment variable,
//! or any external key manager through [`RootKeyProvider`]. The root key never enters the
//! store directory: [`crate::Store::open`] refuses a key file that lies inside it.

use core::fmt;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use base64::Engine;
use zeroize::Zeroizing;

use super::dir;
use crate::cipher::fill_random;
use crate::ciphertext::GO_STD;
use crate::error::{Error, Result};
use crate::keyring::Keyring;

/// Length of a root key: 256 bits.
pub(crate) const ROOT_KEY_LEN: usize = 32;

/// The 256-bit key that seals every file of a [`crate::Store`]. Zeroed on drop, redacted in
/// `Debug`, never cloned, and never written into the store directory.
///
/// ```
/// use transit_keyring::RootKey;
/// let root_key = RootKey::generate()?;
/// assert_eq!(format!("{root_key:?}"), "RootKey([REDACTED])");
/// # Ok::<(), transit_keyring::Error>(())
/// ```
///
/// ```compile_fail
/// fn needs_clone<T: Clone>() {}
/// needs_clone::<transit_keyring::RootKey>();
/// ```
pub struct RootKey {
    bytes: Box<Zeroizing<[u8; ROOT_KEY_LEN]>>,
    /// The key file it was read from or written to, so the store can refuse a key file
    /// kept beside the data it protects.
    origin: Option<PathBuf>,
}

impl RootKey {
    /// A fresh random root key from the operating system's generator.
    ///
    /// # Errors
    /// [`Error::Entropy`] if the OS random source fails.
    ///
    /// ```
    /// let root_key = transit_keyring::RootKey::generate()?;
    /// assert_eq!(root_key.expose_secret().len(), 32);
    /// # Ok::<(), transit_keyring::Error>(())
    /// ```
    pub fn generate() -> Result<Self> {
        let mut bytes = Box::new(Zeroizing::new([0u8; ROOT_KEY_LEN]));
        fill_random(&mut bytes[..])?;
        Ok(Self {
            bytes,
            origin: None,
        })
    }

    /// Copies a root key from 32 raw bytes (for [`RootKeyProvider::unwrap`] implementations).
    ///
    /// # Errors
    /// [`Error::InvalidRootKey`] unless `bytes` is exactly 32 bytes long.
    ///
    /// ```
    /// use transit_keyring::{Error, RootKey};
    /// let root_key = RootKey::from_bytes(&[7u8; 32])?;
    /// assert_eq!(root_key.expose_secret(), &[7u8; 32]);
    /// assert!(matches!(RootKey::from_bytes(&[7u8; 16]), Err(Error::InvalidRootKey { .. })));
    /// # Ok::<(), transit_keyring::Error>(())
    /// ```
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        Self::from_slice(bytes, "raw bytes")
    }

    /// Decodes a root key from standard base64 of 32 bytes (`openssl rand -base64 32`).
    /// Surrounding whitespace is ignored.
    ///
    /// # Errors
    /// [`Error::InvalidRootKey`] for anything else; the error never quotes the input.
    ///
    /// ```
    /// let root_key = transit_keyring::RootKey::from_base64(
    ///     "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",
    /// )?;
    /// assert_eq!(root_key.expose_secret()[31], 31);
    /// # Ok::<(), transit_keyring::Error>(())
    /// ```
    pub fn from_base64(encoded: &str) -> Result<Self> {
        Self::decode(encoded, "base64 text")
    }

    /// Reads the root key from the environment variable `var` (standard base64 of 32 bytes).
    ///
    /// # Errors
    /// [`Error::RootKeyNotSet`] if `var` is unset or not Unicode; [`Error::InvalidRootKey`]
    /// naming `var` if its value is not 32 bytes of base64.
    ///
    /// ```
    /// use transit_keyring::{Error, RootKey};
    /// let err = RootKey::from_env("TRANSIT_KEYRING_DOC_UNSET").unwrap_err();
    /// assert_eq!(err, Error::RootKeyNotSet { var: "TRANSIT_KEYRING_DOC_UNSET".into() });
    /// ```
    pub fn from_env(var: &str) -> Result<Self> {
        let value = Zeroizing::new(std::env::var(var).map_err(|_| Error::RootKeyNotSet {
            var: var.to_owned(),
        })?);
        Self::decode(&value, &format!("environment variable {var}"))
    }

    /// Reads a key file holding standard base64 of 32 bytes, as [`RootKey::write_key_file`]
    /// writes it. The file must be readable by its owner only (mode 0600 or 0400).
    ///
    /// # Errors
    /// [`Error::RootKeyFileMode`] if group or others have any permission;
    /// [`Error::StoreIo`] if it cannot be read; [`Error::InvalidRootKey`] naming the path.
    ///
    /// ```
    /// use transit_keyring::RootKey;
    /// let dir = tempfile::tempdir().map_err(|_| transit_keyring::Error::Entropy)?;
    /// let path = dir.path().join("root.key");
    /// RootKey::generate()?.write_key_file(&path)?;
    /// let root_key = RootKey::from_key_file(&path)?;
    /// # Ok::<(), transit_keyring::Error>(())
    /// ```
    pub fn from_key_file(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let io = dir::io_error(path);
        let mode = fs::metadata(path).map_err(&io)?.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(Error::RootKeyFileMode {
                path: path.to_owned(),
                mode,
            });
        }
        let text = Zeroizing::new(fs::read_to_string(path).map_err(&io)?);
        let mut key = Self::decode(&text, &format!("key file {}", path.display()))?;
        key.origin = Some(absolute(path));
        Ok(key)
    }

    /// Writes this key to a new file at `path` (base64 and a newline, mode 0600), never
    /// replacing an existing file. Keep it outside the store directory:
    /// [`crate::Store::open`] refuses a key file inside.
    ///
    /// The write is as durable as the store's own: the file goes to a temporary name beside
    /// `path`, is fsynced, linked to `path`, and the directory is fsynced, so after `Ok` a
    /// power loss keeps the key. A crash leaves no key file or a whole one, and at worst a
    /// `.tmp-<name>.<hex>.tmp` file (mode 0600) beside it that holds the key: delete it.
    ///
    /// # Errors
    /// [`Error::StoreIo`] if the file exists (kind `AlreadyExists`) or cannot be written.
    ///
    /// ```
    /// use std::os::unix::fs::PermissionsExt;
    /// let dir = tempfile::tempdir().map_err(|_| transit_keyring::Error::Entropy)?;
    /// let path = dir.path().join("root.key");
    /// transit_keyring::RootKey::generate()?.write_key_file(&path)?;
    /// let mode = std::fs::metadata(&path).map_err(|_| transit_keyring::Error::Entropy)?;
    /// assert_eq!(mode.permissions().mode() & 0o777, 0o600);
    /// # Ok::<(), transit_keyring::Error>(())
    /// ```
    pub fn write_key_file(&mut self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        let mut text = Zeroizing::new(GO_STD.encode(&self.bytes[..]));
        text.push('\n');
        // Durable as store files are (the directory entry too), or a power loss could keep
        // a store sealed under this key and lose the key.
        dir::create_atomic(path, text.as_bytes())?;
        self.origin = Some(absolute(path));
        Ok(())
    }

    /// Unwraps a root key that `provider` wrapped (a KMS, a Vault transit server, a keyring).
    ///
    /// # Errors
    /// Whatever `provider` returns.
    ///
    /// ```
    /// use transit_keyring::{Keyring, RootKey};
    /// let kms = Keyring::generate("root-key-wrapper", Default::default())?;
    /// let wrapped = RootKey::generate()?.wrap(&kms)?; // "vault:v1:..."
    /// let root_key = RootKey::from_wrapped(&wrapped, &kms)?;
    /// # Ok::<(), transit_keyring::Error>(())
    /// ```
    pub fn from_wrapped(wrapped: &str, provider: &dyn RootKeyProvider) -> Result<Self> {
        provider.unwrap(wrapped)
    }

    /// Wraps this key with `provider`, for keeping the wrapped text anywhere (a CI secret,
    /// a config file); only `provider` can unwrap it.
    ///
    /// # Errors
    /// Whatever `provider` returns.
    ///
    /// ```
    /// use transit_keyring::{Keyring, RootKey};
    /// let kms = Keyring::generate("root-key-wrapper", Default::default())?;
    /// assert!(RootKey::generate()?.wrap(&kms)?.starts_with("vault:v1:"));
    /// # Ok::<(), transit_keyring::Error>(())
    /// ```
    pub fn wrap(&self, provider: &dyn RootKeyProvider) -> Result<String> {
        provider.wrap(self)
    }

    /// The key bytes, for [`RootKeyProvider::wrap`] implementations. `grep expose_secret`
    /// finds every reader.
    #[must_use]
    pub fn expose_secret(&self) -> &[u8] {
        &self.bytes[..]
    }

    /// The key file this key came from or went to, if any.
    pub(crate) fn origin(&self) -> Option<&Path> {
        self.origin.as_deref()
    }

    fn decode(encoded: &str, origin: &str) -> Result<Self> {
        let bytes =
            Zeroizing::new(
                GO_STD
                    .decode(encoded.trim())
                    .map_err(|_| Error::InvalidRootKey {
                        origin: origin.to_owned(),
                    })?,
            );
        Self::from_slice(&bytes, origin)
    }

    fn from_slice(bytes: &[u8], origin: &str) -> Result<Self> {
        if bytes.len() != ROOT_KEY_LEN {
            return Err(Error::InvalidRootKey {
                origin: origin.to_owned(),
            });
        }
        // Filled in place: no stack copy of the key is left behind.
        let mut key = Box::new(Zeroizing::new([0u8; ROOT_KEY_LEN]));
        key.copy_from_slice(bytes);
        Ok(Self {
            bytes: key,
            origin: None,
        })
    }
}

impl fmt::Debug for RootKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RootKey([REDACTED])")
    }
}

/// An absolute form of `path` for comparing locations; falls back to the path as given.
fn absolute(path: &Path) -> PathBuf {
    fs::canonicalize(path).unwrap_or_else(|_| path.to_owned())
}

/// Keeps the root key wrapped by an external key manager: a cloud KMS, an HSM, or a Vault
/// transit server (`transit/encrypt/:name` to wrap, `transit/decrypt/:name` to unwrap).
/// Only the wrapped text is stored (never in the store directory); the key manager decides
/// who may unwrap it.
///
/// A [`Keyring`] is a provider too: it wraps into a `vault:vN:` ciphertext that a Vault
/// transit server holding the same key can also unwrap.
///
/// ```
/// use transit_keyring::{Error, RootKey, RootKeyProvider};
///
/// /// A stand-in for a KMS client: a real one would call the KMS here.
/// struct Kms;
/// impl RootKeyProvider for Kms {
///     fn wrap(&self, root_key: &RootKey) -> Result<String, Error> {
///         Ok(root_key.expose_secret().iter().map(|b| format!("{:02x}", b ^ 0x5a)).collect())
///     }
///     fn unwrap(&self, wrapped: &str) -> Result<RootKey, Error> {
///         let bytes: Vec<u8> = (0..wrapped.len())
///             .step_by(2)
///             .map(|i| u8::from_str_radix(&wrapped[i..i + 2], 16).map(|b| b ^ 0x5a))
///             .collect::<Result<_, _>>()
///             .map_err(|_| Error::RootKeyProvider("not hex".into()))?;
///         RootKey::from_bytes(&bytes)
///     }
/// }
/// let wrapped = RootKey::generate()?.wrap(&Kms)?;
/// let root_key = RootKey::from_wrapped(&wrapped, &Kms)?;
/// # Ok::<(), transit_keyring::Error>(())
/// ```
pub trait RootKeyProvider {
    /// Encrypts `root_key` for storage outside the store.
    ///
    /// # Errors
    /// The provider's failure, e.g. as [`Error::RootKeyProvider`].
    fn wrap(&self, root_key: &RootKey) -> Result<String>;

    /// Decrypts what [`RootKeyProvider::wrap`] returned.
    ///
    /// # Errors
    /// The provider's failure, e.g. as [`Error::RootKeyProvider`], or
    /// [`Error::InvalidRootKey`] if it does not yield 32 bytes.
    fn unwrap(&self, wrapped: &str) -> Result<RootKey>;
}

impl RootKeyProvider for Keyring {
    fn wrap(&self, root_key: &RootKey) -> Result<String> {
        self.encrypt(root_key.expose_secret())
    }

    fn unwrap(&self, wrapped: &str) -> Result<RootKey> {
        let plaintext = self.decrypt(wrapped)?;
        RootKey::from_slice(&plaintext, "the wrapping keyring")
    }
}

impl fmt::Debug for dyn RootKeyProvider + '_ {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RootKeyProvider { .. }")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::dir::SYNCED_DIRS;

    #[test]
    fn a_key_file_is_synced_into_its_directory_and_never_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("root.key");
        SYNCED_DIRS.take();
        RootKey::from_bytes(&[7; 32])
            .unwrap()
            .write_key_file(&path)
            .unwrap();
        assert!(SYNCED_DIRS.take().contains(&dir.path().to_owned()));
        let err = RootKey::from_bytes(&[8; 32])
            .unwrap()
            .write_key_file(&path)
            .unwrap_err();
        let kind = std::io::ErrorKind::AlreadyExists;
        assert_eq!(
            err,
            Error::StoreIo {
                path: path.clone(),
                kind
            }
        );
        let read = RootKey::from_key_file(&path).unwrap();
        assert_eq!(read.expose_secret(), &[7; 32]);
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1); // no temporary file
    }
}
