//! The one error type of the crate.
//!
//! `Display` texts are Vault's own (spec §11), so an operator can grep the same message in
//! Vault's docs, in Vault's logs and in ours. No variant carries key bytes, plaintext or
//! associated data: only versions, lengths and names, which are public anyway.

use crate::cipher::KeyType;

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = core::result::Result<T, E>;

/// Why an operation failed. `Display` gives Vault's exact text wherever Vault has one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The ciphertext does not start with `vault:v`.
    #[error("invalid ciphertext: no prefix")]
    NoPrefix,
    /// No `:` follows the version number.
    #[error("invalid ciphertext: wrong number of fields")]
    WrongNumberOfFields,
    /// The version field is not a decimal integer (Go `strconv.Atoi` rules).
    #[error("invalid ciphertext: version number could not be decoded")]
    VersionUndecodable,
    /// The ciphertext names a version above `latest_version`.
    #[error("invalid ciphertext: version is too new")]
    VersionTooNew,
    /// The ciphertext names a version below `min_decryption_version`.
    #[error("ciphertext or signature version is disallowed by policy (too old)")]
    VersionTooOld,
    /// The version is in range but its key was trimmed away.
    #[error("no such key version")]
    NoSuchKeyVersion,
    /// The part after the version is not padded standard base64.
    #[error("invalid ciphertext: could not decode base64")]
    InvalidBase64,
    /// The decoded body is shorter than a nonce.
    #[error("invalid ciphertext length")]
    InvalidCiphertextLength,
    /// Wrong key, wrong context, wrong associated data or altered bytes. One variant on
    /// purpose: telling these apart helps an attacker and never helps the caller. The text is
    /// the one Go's AEAD gives for this key type, as Vault reports it.
    #[error("{}", auth_failure_text(*key_type))]
    Decrypt {
        /// The key type whose AEAD refused the ciphertext (decides Vault's text).
        key_type: KeyType,
    },
    /// A derived keyring was used without a context.
    #[error(
        "missing 'context' for key derivation; the key was created using a derived key, which means additional, per-request information must be included in order to perform operations with the key"
    )]
    MissingContext,
    /// `key_version` is above `latest_version`.
    #[error("requested version for encryption is higher than the latest key version")]
    EncryptVersionTooNew,
    /// `key_version` is below `min_encryption_version`.
    #[error("requested version for encryption is less than the minimum encryption key version")]
    EncryptVersionTooOld,
    /// `set_min_decryption_version` above `latest_version`.
    #[error("cannot set min decryption version of {version}, latest key version is {latest}")]
    MinVersionAboveLatest {
        /// The version asked for.
        version: u32,
        /// The keyring's latest version.
        latest: u32,
    },
    /// `set_min_encryption_version` above `latest_version`.
    #[error("cannot set min encryption version of {version}, latest key version is {latest}")]
    MinEncryptionVersionAboveLatest {
        /// The version asked for.
        version: u32,
        /// The keyring's latest version.
        latest: u32,
    },
    /// A non-zero `min_encryption_version` below `min_decryption_version`.
    #[error(
        "cannot set min encryption/decryption values; min encryption version of {min_encryption_version} must be greater than or equal to min decryption version of {min_decryption_version}"
    )]
    MinEncryptionBelowMinDecryption {
        /// The resulting minimum encryption version.
        min_encryption_version: u32,
        /// The resulting minimum decryption version.
        min_decryption_version: u32,
    },
    /// A minimum version would fall below `min_available_version` (trimmed keys).
    #[error("min encryption version should not be less than min available version")]
    MinEncryptionBelowMinAvailable,
    /// A minimum version would fall below `min_available_version` (trimmed keys).
    /// (The typo "less then" is Vault's.)
    #[error("min decryption version should not be less then min available version")]
    MinDecryptionBelowMinAvailable,
    /// Trim rules (Vault's `keys/:name/trim`); the text says which one was broken.
    #[error("{}", .0.text())]
    Trim(TrimRule),
    /// An auto-rotate period between zero and one hour (Vault's text).
    #[error("auto rotate period must be 0 to disable or at least an hour")]
    AutoRotatePeriod,
    /// Export or backup of a keyring that was not created exportable.
    #[error("private key material is not exportable")]
    NotExportable,
    /// A key version number would pass `u32::MAX`.
    #[error("key version overflow: no more versions can be created")]
    VersionOverflow,
    /// Key bytes of the wrong length for the key type.
    #[error("invalid key size {len} bytes for key type {key_type}")]
    InvalidKeySize {
        /// The length given.
        len: usize,
        /// The key type it was meant for.
        key_type: KeyType,
    },
    /// A key type name or number this crate does not support.
    #[error("unknown key type {0:?}")]
    UnknownKeyType(String),
    /// An export, backup or other JSON document could not be read; the text says where.
    #[error("invalid key document: {0}")]
    InvalidDocument(String),
    /// Convergent encryption on a keyring that is not derived (Vault's text).
    #[error("convergent encryption requires derivation to be enabled")]
    ConvergentRequiresDerivation,
    /// Convergent encryption on the counter KDF, which cannot derive enough key bytes.
    #[error("convergent encryption requires the hkdf_sha256 key derivation function")]
    ConvergentNeedsHkdf,
    /// A feature or parameter this crate does not offer; the text names it.
    #[error("unsupported: {0}")]
    Unsupported(&'static str),
    /// Backup of a keyring that is not exportable (Vault's backup text).
    #[error("exporting is disallowed on the policy")]
    ExportDisallowed,
    /// Backup of a keyring without `allow_plaintext_backup`.
    #[error("plaintext backup is disallowed on the policy")]
    PlaintextBackupDisallowed,
    /// Rotation of an imported key that does not allow it.
    #[error("imported key {name} does not allow rotation within Vault")]
    ImportedKeyRotation {
        /// The keyring's name.
        name: String,
    },
    /// A restored version has no HMAC key.
    #[error("no HMAC key exists for that key version")]
    NoHmacKey,
    /// A batch call with no items.
    #[error("missing batch input to process")]
    MissingBatchInput,
    /// A batch where some items have a context and others do not.
    #[error("context should be set either in all the request blocks or in none")]
    ContextAllOrNone,
    /// An HMAC algorithm name Vault does not know.
    #[error("unsupported algorithm {0:?}")]
    UnsupportedHashAlgorithm(String),
    /// HMAC with a `key_version` above the latest.
    #[error("key version does not exist; latest key version is {latest}")]
    KeyVersionDoesNotExist {
        /// The keyring's latest version.
        latest: u32,
    },
    /// HMAC with a `key_version` below `min_encryption_version`.
    #[error("cannot generate HMAC: version is too old (disallowed by policy)")]
    HmacVersionTooOld,
    /// The HMAC to verify does not start with `vault:v`.
    #[error("invalid HMAC to verify: no prefix")]
    HmacNoPrefix,
    /// No `:` after the HMAC's version.
    #[error("invalid HMAC: wrong number of fields")]
    HmacWrongNumberOfFields,
    /// The HMAC's version is not a decimal integer.
    #[error("invalid HMAC: version number could not be decoded")]
    HmacVersionUndecodable,
    /// The HMAC's value is not padded standard base64.
    #[error("unable to decode verification HMAC as base64")]
    HmacInvalidBase64,
    /// The HMAC names a version above the latest.
    #[error("invalid HMAC: version is too new")]
    HmacVersionTooNew,
    /// The HMAC names a version below `min_decryption_version`.
    #[error("cannot verify HMAC: version is too old (disallowed by policy)")]
    HmacVerifyVersionTooOld,
    /// A time outside years 0000–9999, which Vault's JSON cannot carry.
    #[error("time outside the years 0000 to 9999")]
    InvalidTime,
    /// Encryption with associated data on a convergent keyring: the convergent nonce does not
    /// cover associated data, so two values differing only there would share a nonce.
    #[error("associated data is not allowed with convergent encryption (it would repeat a nonce)")]
    ConvergentAssociatedData,
    /// The operating system's random number generator failed.
    #[error("unable to read from the random source")]
    Entropy,
    /// A data key of other than 128, 256 or 512 bits (Vault's `datakey` text).
    #[error("invalid bit length")]
    InvalidBitLength,
    /// An envelope ended before its final segment (or inside its header).
    #[error("envelope is truncated")]
    EnvelopeTruncated,
    /// An envelope header field is wrong; the text names the field, never its contents.
    #[error("invalid envelope header: {0}")]
    EnvelopeHeader(&'static str),
    /// Reading or writing an envelope stream failed (the kind only: no payload bytes).
    #[error("envelope I/O failed: {kind}")]
    Io {
        /// What the underlying reader or writer reported.
        kind: std::io::ErrorKind,
    },
    /// A keyring name outside Vault's rule: ASCII letters, digits and `_`, with `-`, `.`
    /// and `@` allowed inside, at most 200 bytes.
    #[error("invalid keyring name {name:?}")]
    InvalidKeyringName {
        /// The name given.
        name: String,
    },
    /// A store already has a keyring of this name (Vault's restore text).
    #[error("key \"{name}\" already exists")]
    KeyringExists {
        /// The keyring's name.
        name: String,
    },
    /// A store has no keyring of this name (Vault's text).
    #[error("encryption key not found")]
    KeyringNotFound {
        /// The name asked for.
        name: String,
    },
    /// Deletion of a keyring without `deletion_allowed` (Vault's text).
    #[error("deletion is not allowed for this key")]
    DeletionNotAllowed,
    /// Encryption with an explicit `key_version` that has used up its usage limit.
    #[error("key version {version} has reached its usage limit")]
    UsageLimitReached {
        /// The version asked for.
        version: u32,
    },
    /// A usage limit of 0 or above 2^32.
    #[error("usage limit must be between 1 and 2^32")]
    UsageLimit,
    /// A store file could not be read or written (the kind only).
    #[error("store I/O error on {}: {kind}", path.display())]
    StoreIo {
        /// The file or directory.
        path: std::path::PathBuf,
        /// What the operating system reported.
        kind: std::io::ErrorKind,
    },
    /// A store file failed authentication: altered, truncated, renamed or swapped.
    #[error("store file {} failed authentication: it was altered, truncated, renamed or swapped", path.display())]
    StoreTampered {
        /// The file.
        path: std::path::PathBuf,
    },
    /// A store file is sealed under a different root key.
    #[error("store file {} is sealed under a different root key", path.display())]
    WrongRootKey {
        /// The file.
        path: std::path::PathBuf,
    },
    /// A store file is older than the generation recorded for it: it was rolled back.
    #[error("store file {} is generation {found}, older than generation {expected} on record: it was rolled back", path.display())]
    StoreRollback {
        /// The file.
        path: std::path::PathBuf,
        /// The generation the file has.
        found: u64,
        /// The lowest generation it may have.
        expected: u64,
    },
    /// A file the store needs is missing (a keyring file the manifest lists, or the manifest).
    #[error("store file {} is missing", path.display())]
    StoreFileMissing {
        /// The file.
        path: std::path::PathBuf,
    },
    /// A root key file that group or others may access.
    #[error("root key file {} must have mode 0600 (has {mode:o})", path.display())]
    RootKeyFileMode {
        /// The key file.
        path: std::path::PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// A root key that is not 32 bytes (of base64, where it is text); names its origin only.
    #[error("root key from {origin} is not 32 bytes of standard base64")]
    InvalidRootKey {
        /// Where it came from: an environment variable's name, a file's path.
        origin: String,
    },
    /// The root key's environment variable is not set (or not Unicode).
    #[error("root key environment variable {var} is not set")]
    RootKeyNotSet {
        /// The variable's name.
        var: String,
    },
    /// A root key file inside the store directory it protects.
    #[error("root key file {} is inside the store directory", path.display())]
    RootKeyInStore {
        /// The key file.
        path: std::path::PathBuf,
    },
    /// A [`crate::RootKeyProvider`] failed; the text is the provider's (never key bytes).
    #[error("root key provider: {0}")]
    RootKeyProvider(String),
}

/// Why a trim was refused. Texts are Vault's (`keys/:name/trim`, typos included).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TrimRule {
    /// The new minimum is below the current one.
    Decremented,
    /// `min_encryption_version` is 0 (latest).
    MinEncryptionUnset,
    /// `min_decryption_version` is 0.
    MinDecryptionUnset,
    /// The new minimum is above `min_encryption_version`.
    AboveMinEncryption,
    /// The new minimum is above `min_decryption_version`.
    AboveMinDecryption,
    /// The new minimum is 0.
    NotPositive,
}

impl TrimRule {
    fn text(self) -> &'static str {
        match self {
            Self::Decremented => "minimum available version cannot be decremented",
            Self::MinEncryptionUnset => {
                "minimum available version cannot be set when minimum encryption version is not set"
            }
            Self::MinDecryptionUnset => {
                "minimum available version cannot be set when minimum decryption version is not set"
            }
            Self::AboveMinEncryption => {
                "minimum available version cannot be greater than minmum encryption version"
            }
            Self::AboveMinDecryption => {
                "minimum available version cannot be greater than minimum decryption version"
            }
            Self::NotPositive => "minimum available version should be positive",
        }
    }
}

fn auth_failure_text(key_type: KeyType) -> &'static str {
    match key_type {
        KeyType::Aes128Gcm96 | KeyType::Aes256Gcm96 => "cipher: message authentication failed",
        KeyType::Chacha20Poly1305 => "chacha20poly1305: message authentication failed",
    }
}
