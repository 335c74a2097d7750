#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs, rustdoc::broken_intra_doc_links)]
#![warn(missing_debug_implementations, unreachable_pub, unused_qualifications)]

mod batch;
mod cipher;
mod ciphertext;
mod datakey;
mod derive;
mod envelope;
mod error;
mod keyring;
mod options;
mod secret;
#[cfg(unix)]
mod store;
mod version;

#[cfg(feature = "test-vectors")]
pub mod hazmat;

pub use batch::{BatchResult, CiphertextItem, EncryptItem, Encrypted};
pub use cipher::KeyType;
pub use datakey::{DataKey, WrappedDataKey};
pub use derive::Kdf;
pub use envelope::{Envelope, EnvelopeInfo, EnvelopeReader, EnvelopeWriter};
pub use error::{Error, Result, TrimRule};
pub use keyring::{HashAlgorithm, Keyring, KeyringBuilder};
pub use options::Options;
pub use secret::{KeyMaterial, Plaintext};
#[cfg(unix)]
pub use store::{
    KeyringMetadata, MAX_USAGE_LIMIT, RootKey, RootKeyProvider, Store, StoredKeyring,
    VersionMetadata,
};
pub use zeroize;
