//! The JSON shapes of Vault's `KeyData`, `Policy` and `KeyEntry`, with Go's field names.
//! Decoding accepts absent and `null` fields (Go's zero values); unknown fields (EC and RSA
//! material, managed keys, OpenBao's `soft_deleted`) are ignored.

use std::collections::BTreeMap;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::{nullable, time_text};
use crate::error::Result;

#[derive(Serialize, Deserialize)]
pub(super) struct KeyData {
    pub(super) policy: PolicyDoc,
    #[serde(default)]
    pub(super) archived_keys: Option<ArchiveDoc>,
}

#[derive(Serialize, Deserialize)]
pub(super) struct ArchiveDoc {
    #[serde(default, deserialize_with = "nullable")]
    pub(super) keys: Vec<EntryDoc>,
}

#[derive(Serialize, Deserialize)]
pub(super) struct PolicyDoc {
    #[serde(default, deserialize_with = "nullable")]
    pub(super) name: String,
    #[serde(default, deserialize_with = "nullable")]
    pub(super) keys: BTreeMap<String, EntryDoc>,
    #[serde(default, deserialize_with = "nullable")]
    pub(super) derived: bool,
    #[serde(default, deserialize_with = "nullable")]
    pub(super) kdf: i64,
    #[serde(default, deserialize_with = "nullable")]
    pub(super) convergent_encryption: bool,
    #[serde(default, deserialize_with = "nullable")]
    pub(super) exportable: bool,
    #[serde(default, deserialize_with = "nullable")]
    pub(super) min_decryption_version: i64,
    #[serde(default, deserialize_with = "nullable")]
    pub(super) min_encryption_version: i64,
    #[serde(default, deserialize_with = "nullable")]
    pub(super) latest_version: i64,
    #[serde(default, deserialize_with = "nullable")]
    pub(super) archive_version: i64,
    #[serde(default, deserialize_with = "nullable")]
    pub(super) archive_min_version: i64,
    #[serde(default, deserialize_with = "nullable")]
    pub(super) min_available_version: i64,
    #[serde(default, deserialize_with = "nullable")]
    pub(super) deletion_allowed: bool,
    #[serde(default, deserialize_with = "nullable")]
    pub(super) convergent_version: i64,
    #[serde(rename = "type", default, deserialize_with = "nullable")]
    pub(super) key_type: i64,
    #[serde(default)]
    pub(super) backup_info: Option<InfoDoc>,
    #[serde(default)]
    pub(super) restore_info: Option<InfoDoc>,
    #[serde(default, deserialize_with = "nullable")]
    pub(super) allow_plaintext_backup: bool,
    #[serde(default, deserialize_with = "nullable")]
    pub(super) version_template: String,
    #[serde(default, deserialize_with = "nullable")]
    pub(super) storage_prefix: String,
    #[serde(default, deserialize_with = "nullable")]
    pub(super) auto_rotate_period: i64,
    #[serde(rename = "Imported", default, deserialize_with = "nullable")]
    pub(super) imported: bool,
    #[serde(
        rename = "AllowImportedKeyRotation",
        default,
        deserialize_with = "nullable"
    )]
    pub(super) allow_imported_key_rotation: bool,
}

/// One `KeyEntry`. Key strings zeroize on drop; `Debug` is deliberately not derived.
#[derive(Serialize, Deserialize, Default)]
pub(super) struct EntryDoc {
    #[serde(default)]
    pub(super) key: Option<Zeroizing<String>>,
    #[serde(default)]
    pub(super) hmac_key: Option<Zeroizing<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub(super) time: String,
    // Asymmetric fields: always null for our key types; written so Vault sees its shape.
    #[serde(skip_deserializing)]
    pub(super) ec_x: Option<()>,
    #[serde(skip_deserializing)]
    pub(super) ec_y: Option<()>,
    #[serde(skip_deserializing)]
    pub(super) ec_d: Option<()>,
    #[serde(skip_deserializing)]
    pub(super) rsa_key: Option<()>,
    #[serde(skip_deserializing)]
    pub(super) rsa_public_key: Option<()>,
    #[serde(skip_deserializing)]
    pub(super) public_key: String,
    #[serde(default, deserialize_with = "nullable")]
    pub(super) convergent_version: i64,
    #[serde(default, deserialize_with = "nullable")]
    pub(super) creation_time: i64,
    #[serde(skip_deserializing)]
    pub(super) certificate_chain: Option<()>,
}

impl EntryDoc {
    /// Vault's empty slot 0 of an untrimmed archive.
    pub(super) fn placeholder() -> Self {
        Self {
            time: time_text::GO_ZERO_TIME.to_owned(),
            creation_time: 0,
            ..Self::default()
        }
    }
}

/// `backup_info` / `restore_info`: when, and the latest version then.
#[derive(Serialize, Deserialize)]
pub(super) struct InfoDoc {
    #[serde(default, deserialize_with = "nullable")]
    time: String,
    #[serde(default, deserialize_with = "nullable")]
    version: i64,
}

impl InfoDoc {
    pub(super) fn from_pair((at, version): (SystemTime, u32)) -> Result<Self> {
        Ok(Self {
            time: time_text::format(at)?,
            version: i64::from(version),
        })
    }

    pub(super) fn to_pair(&self) -> Result<(SystemTime, u32)> {
        let version = u32::try_from(self.version).unwrap_or(0);
        Ok((time_text::parse(&self.time)?, version))
    }
}
