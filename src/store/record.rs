//! What sealed files hold.
//!
//! A keyring file's payload is `u32 BE length ‖ usage JSON ‖ KeyData JSON`: first the
//! store-only state (`{"usage_limit": 4294967296, "reserved": {"1": 4096},
//! "min_encryption_raised_ms": 0, "instance": "<32 hex digits>"}`, no secrets),
//! then the keyring in Vault's backup JSON (spec §8), the one serialization shared with
//! [`crate::Keyring::to_vault_backup`]. The manifest's payload is JSON
//! `{"store_id": "<32 hex digits>", "keyrings": {"<name>": <generation>}}`, its own
//! generation being in its header.
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::usage::Usage;
use crate::error::{Error, Result};
use crate::keyring::{KeyEntry, Keyring};

/// A keyring and its store-only state, as one keyring file holds them.
#[derive(Debug)]
pub(crate) struct Record {
    pub(crate) keyring: Keyring,
    pub(crate) usage: Usage,
}

impl Record {
    /// The payload to seal, checked to read back as this keyring first: a record that could
    /// not be read back is never written, since on disk it would strand every key in it.
    pub(crate) fn encode(&self) -> Result<Zeroizing<Vec<u8>>> {
        let usage = serde_json::to_vec(&self.usage)
            .map_err(|_| Error::InvalidDocument("usage record could not be written".to_owned()))?;
        let keyring = self.keyring.to_backup_json()?;
        check_reads_back(&self.keyring, &Keyring::from_backup_json(&keyring)?)?;
        let len = u32::try_from(usage.len())
            .map_err(|_| Error::InvalidDocument("usage record too large".to_owned()))?;
        let mut payload = Zeroizing::new(Vec::with_capacity(
            usage.len().saturating_add(keyring.len()).saturating_add(4),
        ));
        payload.extend_from_slice(&len.to_be_bytes());
        payload.extend_from_slice(&usage);
        payload.extend_from_slice(&keyring);
        Ok(payload)
    }

    /// Reads an authenticated payload of the keyring file at `path`, named `name`. A payload
    /// that authenticates but does not parse, or names another keyring, is
    /// [`Error::StoreTampered`]: only a writer holding the root key could have made it.
    pub(crate) fn decode(path: &Path, name: &str, payload: &[u8]) -> Result<Self> {
        let tampered = || Error::StoreTampered {
            path: path.to_owned(),
        };
        let (len, rest) = payload.split_first_chunk::<4>().ok_or_else(tampered)?;
        let len = usize::try_from(u32::from_be_bytes(*len)).map_err(|_| tampered())?;
        let (usage, keyring) = rest.split_at_checked(len).ok_or_else(tampered)?;
        let usage: Usage = serde_json::from_slice(usage).map_err(|_| tampered())?;
        let keyring = Keyring::from_backup_json(keyring).map_err(|_| tampered())?;
        if keyring.name != name || Usage::check_limit(usage.usage_limit).is_err() {
            return Err(tampered());
        }
        Ok(Self { keyring, usage })
    }
}

/// Whether `back`, decoded from what `keyring` encoded to, is the same keyring: its name,
/// type and latest version, and every version with the same key, HMAC key and creation
/// time.
fn check_reads_back(keyring: &Keyring, back: &Keyring) -> Result<()> {
    let same_entry = |v: &u32, entry: &KeyEntry| {
        back.keys.get(v).is_some_and(|b| {
            let key = b.key.expose_secret().ct_eq(entry.key.expose_secret());
            let hmac_key = b
                .hmac_key
                .expose_secret()
                .ct_eq(entry.hmac_key.expose_secret());
            b.creation_time == entry.creation_time && bool::from(key & hmac_key)
        })
    };
    if back.name == keyring.name
        && back.key_type == keyring.key_type
        && back.latest_version == keyring.latest_version
        && back.keys.len() == keyring.keys.len()
        && keyring.keys.iter().all(|(v, entry)| same_entry(v, entry))
    {
        Ok(())
    } else {
        Err(Error::InvalidDocument(
            "keyring record does not read back as written".to_owned(),
        ))
    }
}

/// The manifest: the store's random id and the generation of every keyring file, the
/// store's record of which files exist and how new each must be.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Manifest {
    /// 16 random bytes in hex, made with the store. Keyring files are sealed with it, so a
    /// file copied from another store under the same root key does not authenticate.
    pub(crate) store_id: String,
    pub(crate) keyrings: BTreeMap<String, u64>,
}

impl Manifest {
    /// An empty manifest for a new store.
    pub(crate) fn generate() -> Result<Self> {
        let mut id = [0u8; 16];
        crate::cipher::fill_random(&mut id)?;
        let store_id = id.iter().map(|b| format!("{b:02x}")).collect();
        Ok(Self {
            store_id,
            keyrings: BTreeMap::new(),
        })
    }

    /// The name keyring `name`'s file is sealed under: `<store id>/<name>`.
    pub(crate) fn sealed_name(&self, name: &str) -> String {
        format!("{}/{name}", self.store_id)
    }

    pub(crate) fn encode(&self) -> Result<Vec<u8>> {
        serde_json::to_vec(self)
            .map_err(|_| Error::InvalidDocument("manifest could not be written".to_owned()))
    }

    pub(crate) fn decode(path: &Path, payload: &[u8]) -> Result<Self> {
        serde_json::from_slice(payload).map_err(|_| Error::StoreTampered {
            path: path.to_owned(),
        })
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]
mod tests {
    use super::*;

    #[test]
    fn record_round_trips_and_checks_its_name() {
        let mut usage = Usage {
            usage_limit: 99,
            ..Usage::default()
        };
        usage.reserve(1, 7);
        let record = Record {
            keyring: Keyring::generate("ci-env", Default::default()).unwrap(),
            usage,
        };
        let payload = record.encode().unwrap();
        let back = Record::decode(Path::new("p"), "ci-env", &payload).unwrap();
        assert_eq!(back.usage, record.usage);
        assert_eq!(back.keyring.latest_version(), 1);
        let err = Record::decode(Path::new("p"), "other", &payload).unwrap_err();
        assert_eq!(err, Error::StoreTampered { path: "p".into() });
    }

    #[test]
    fn a_record_that_would_not_read_back_is_never_written() {
        let dir = tempfile::tempdir().unwrap();
        let root_key = crate::RootKey::from_bytes(&[5; 32]).unwrap();
        let store = crate::Store::open(dir.path(), root_key).unwrap();
        let mut keyring = Keyring::generate("ci-env", Default::default()).unwrap();
        keyring.rotate().unwrap();
        keyring.keys.remove(&1); // a gap below min_decryption_version: unreadable
        assert!(matches!(
            store.insert(keyring),
            Err(Error::InvalidDocument(_))
        ));
        assert!(store.list().unwrap().is_empty());
        assert!(!dir.path().join("ci-env.keyring").exists());
    }
}
