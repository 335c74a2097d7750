//! Vault's HMAC endpoint: `vault:vN:` + base64 of an HMAC under each version's own HMAC key
//! (never the encryption key), and its constant-time verification.

use core::fmt;
use core::str::FromStr;

use base64::Engine;
use hmac::{Hmac, KeyInit, Mac, SimpleHmac};

use super::Keyring;
use crate::ciphertext::{GO_STD, decode_body};
use crate::error::{Error, Result};
use crate::options::Options;
use crate::version::parse_go_int;

/// HMAC output prefix: Vault writes the literal `vault:v`, whatever the version template.
const HMAC_PREFIX: &str = "vault:v";

/// The hash functions of Vault's `hmac` and `verify` endpoints, with Vault's names.
///
/// ```
/// use transit_keyring::HashAlgorithm;
/// assert_eq!(HashAlgorithm::default().to_string(), "sha2-256");
/// assert_eq!("sha3-512".parse::<HashAlgorithm>()?, HashAlgorithm::Sha3_512);
/// # Ok::<(), transit_keyring::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum HashAlgorithm {
    /// SHA-224.
    Sha2_224,
    /// SHA-256, Vault's default.
    #[default]
    Sha2_256,
    /// SHA-384.
    Sha2_384,
    /// SHA-512.
    Sha2_512,
    /// SHA3-224.
    Sha3_224,
    /// SHA3-256.
    Sha3_256,
    /// SHA3-384.
    Sha3_384,
    /// SHA3-512.
    Sha3_512,
}

impl HashAlgorithm {
    /// Every algorithm, SHA-2 first.
    pub const ALL: [HashAlgorithm; 8] = [
        Self::Sha2_224,
        Self::Sha2_256,
        Self::Sha2_384,
        Self::Sha2_512,
        Self::Sha3_224,
        Self::Sha3_256,
        Self::Sha3_384,
        Self::Sha3_512,
    ];

    /// Vault's name (`sha2-256`, `sha3-512`, ...).
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Sha2_224 => "sha2-224",
            Self::Sha2_256 => "sha2-256",
            Self::Sha2_384 => "sha2-384",
            Self::Sha2_512 => "sha2-512",
            Self::Sha3_224 => "sha3-224",
            Self::Sha3_256 => "sha3-256",
            Self::Sha3_384 => "sha3-384",
            Self::Sha3_512 => "sha3-512",
        }
    }

    /// HMAC of `input` under `key` with this hash.
    fn mac(self, key: &[u8], input: &[u8]) -> Result<Vec<u8>> {
        fn run<M: Mac + KeyInit>(key: &[u8], input: &[u8]) -> Result<Vec<u8>> {
            let mut mac =
                <M as KeyInit>::new_from_slice(key).map_err(|_| Error::Unsupported("hmac key"))?;
            mac.update(input);
            Ok(mac.finalize().into_bytes().to_vec())
        }
        match self {
            Self::Sha2_224 => run::<Hmac<sha2::Sha224>>(key, input),
            Self::Sha2_256 => run::<Hmac<sha2::Sha256>>(key, input),
            Self::Sha2_384 => run::<Hmac<sha2::Sha384>>(key, input),
            Self::Sha2_512 => run::<Hmac<sha2::Sha512>>(key, input),
            Self::Sha3_224 => run::<SimpleHmac<sha3::Sha3_224>>(key, input),
            Self::Sha3_256 => run::<SimpleHmac<sha3::Sha3_256>>(key, input),
            Self::Sha3_384 => run::<SimpleHmac<sha3::Sha3_384>>(key, input),
            Self::Sha3_512 => run::<SimpleHmac<sha3::Sha3_512>>(key, input),
        }
    }
}

impl fmt::Display for HashAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for HashAlgorithm {
    type Err = Error;
    fn from_str(name: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|a| a.as_str() == name)
            .ok_or_else(|| Error::UnsupportedHashAlgorithm(name.to_owned()))
    }
}

impl Keyring {
    /// The HMAC key of `version` in the working set.
    fn hmac_key(&self, version: u32) -> Result<&crate::secret::KeyMaterial> {
        let key = &self.entry(version)?.hmac_key;
        if key.is_empty() {
            return Err(Error::NoHmacKey);
        }
        Ok(key)
    }

    /// HMAC of `input` under the HMAC key of the latest version (or `opts.key_version`):
    /// `vault:vN:<base64>`, as Vault's `hmac/:name/:algorithm`. Context and associated data
    /// are not used (Vault's HMAC keys are not derived).
    ///
    /// # Errors
    /// [`Error::KeyVersionDoesNotExist`] above the latest version;
    /// [`Error::HmacVersionTooOld`] below `min_encryption_version`;
    /// [`Error::NoSuchKeyVersion`] for a version outside the working set.
    ///
    /// ```
    /// use transit_keyring::{HashAlgorithm, Keyring, Options};
    /// let keyring = Keyring::generate("ci-env", Default::default())?;
    /// let mac = keyring.hmac(b"build 42", HashAlgorithm::Sha2_256, &Options::new())?;
    /// assert!(mac.starts_with("vault:v1:"));
    /// assert!(keyring.verify_hmac(b"build 42", &mac, HashAlgorithm::Sha2_256)?);
    /// # Ok::<(), transit_keyring::Error>(())
    /// ```
    pub fn hmac(
        &self,
        input: &[u8],
        algorithm: HashAlgorithm,
        opts: &Options<'_>,
    ) -> Result<String> {
        let version = match opts.key_version {
            0 => self.latest_version,
            v if v == self.latest_version => v,
            v if v > self.latest_version => {
                return Err(Error::KeyVersionDoesNotExist {
                    latest: self.latest_version,
                });
            }
            v if self.min_encryption_version > 0 && v < self.min_encryption_version => {
                return Err(Error::HmacVersionTooOld);
            }
            v => v,
        };
        let key = self.hmac_key(version)?;
        let mac = algorithm.mac(key.expose_secret(), input)?;
        Ok(format!("{HMAC_PREFIX}{version}:{}", GO_STD.encode(mac)))
    }

    /// Checks `hmac` (from [`Keyring::hmac`] or Vault) against `input`, in constant time.
    /// `Ok(false)` means a well-formed HMAC that does not match, as Vault's `valid: false`.
    ///
    /// # Errors
    /// Vault's texts, in Vault's order: [`Error::HmacNoPrefix`],
    /// [`Error::HmacWrongNumberOfFields`], [`Error::HmacVersionUndecodable`],
    /// [`Error::HmacInvalidBase64`], [`Error::HmacVersionTooNew`],
    /// [`Error::HmacVerifyVersionTooOld`], [`Error::NoSuchKeyVersion`].
    ///
    /// ```
    /// use transit_keyring::{Error, HashAlgorithm, Keyring, Options};
    /// let keyring = Keyring::generate("ci-env", Default::default())?;
    /// let mac = keyring.hmac(b"a", HashAlgorithm::Sha3_256, &Options::new())?;
    /// assert!(!keyring.verify_hmac(b"b", &mac, HashAlgorithm::Sha3_256)?);
    /// assert_eq!(keyring.verify_hmac(b"a", "v1:x", HashAlgorithm::Sha3_256), Err(Error::HmacNoPrefix));
    /// # Ok::<(), transit_keyring::Error>(())
    /// ```
    pub fn verify_hmac(&self, input: &[u8], hmac: &str, algorithm: HashAlgorithm) -> Result<bool> {
        let rest = hmac.strip_prefix(HMAC_PREFIX).ok_or(Error::HmacNoPrefix)?;
        let (field, encoded) = rest.split_once(':').ok_or(Error::HmacWrongNumberOfFields)?;
        let version = parse_go_int(field).ok_or(Error::HmacVersionUndecodable)?;
        // Go's decoder, as Vault's: line breaks skipped, padding required.
        let expected = decode_body(encoded).map_err(|_| Error::HmacInvalidBase64)?;
        if version > i64::from(self.latest_version) {
            return Err(Error::HmacVersionTooNew);
        }
        // No v0-means-v1 here: Vault's verify compares the raw number.
        let version = u32::try_from(version)
            .ok()
            .filter(|v| *v >= self.min_decryption_version)
            .ok_or(Error::HmacVerifyVersionTooOld)?;
        let key = self.hmac_key(version)?;
        let actual = algorithm.mac(key.expose_secret(), input)?;
        // subtle's slice comparison: constant time for equal lengths; a length mismatch
        // (another algorithm's output) is public and returns early.
        Ok(bool::from(subtle::ConstantTimeEq::ct_eq(
            actual.as_slice(),
            expected.as_slice(),
        )))
    }
}
