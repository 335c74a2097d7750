//! Per-call options: Vault's request fields `associated_data`, `context` and `key_version`.

/// Optional inputs of an encrypt, decrypt, rewrap, HMAC or data key call, named as Vault's
/// request fields. Borrowed, so building one costs nothing.
///
/// ```
/// use transit_keyring::{KeyType, Keyring, Options};
/// let mut keyring = Keyring::generate("ci-env", KeyType::Aes256Gcm96)?;
/// keyring.rotate()?;
/// let opts = Options::new().associated_data(b"project/42").key_version(1);
/// let ciphertext = keyring.encrypt_with(b"x", &opts)?;
/// assert!(ciphertext.starts_with("vault:v1:"));
/// assert_eq!(&*keyring.decrypt_with(&ciphertext, &opts)?, b"x");
/// # Ok::<(), transit_keyring::Error>(())
/// ```
#[derive(Clone, Copy, Default)]
pub struct Options<'a> {
    pub(crate) associated_data: &'a [u8],
    pub(crate) context: &'a [u8],
    pub(crate) key_version: u32,
}

impl<'a> Options<'a> {
    /// No associated data, no context, latest key version.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            associated_data: &[],
            context: &[],
            key_version: 0,
        }
    }

    /// Authenticated but unencrypted bytes bound to the ciphertext (AEAD associated data).
    /// Decryption must pass the same bytes. Empty means none, as in Vault.
    #[must_use]
    pub const fn associated_data(mut self, associated_data: &'a [u8]) -> Self {
        self.associated_data = associated_data;
        self
    }

    /// The derivation context of a derived keyring (Vault's `context`, raw bytes here).
    #[must_use]
    pub const fn context(mut self, context: &'a [u8]) -> Self {
        self.context = context;
        self
    }

    /// The key version to encrypt with; 0 (the default) means the latest.
    #[must_use]
    pub const fn key_version(mut self, key_version: u32) -> Self {
        self.key_version = key_version;
        self
    }
}

impl core::fmt::Debug for Options<'_> {
    // Associated data and context are not secret, but they can be identifying (a project
    // path): print their lengths only, like every other type of this crate prints secrets.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Options")
            .field("associated_data_len", &self.associated_data.len())
            .field("context_len", &self.context.len())
            .field("key_version", &self.key_version)
            .finish()
    }
}
