//! Vault's backup blob (spec §8): `base64(json(KeyData) + "\n")`, where `KeyData` is the
//! policy (every setting of the keyring, its working set of keys) and the archive (every
//! version from `min_available_version`). The same JSON is what the sealed store keeps, so
//! one serialization serves both.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use base64::Engine;
use serde::{Deserialize, Deserializer};
use zeroize::Zeroizing;

use super::{KeyEntry, Keyring};
use crate::cipher::KeyType;
use crate::ciphertext::{GO_STD, Template, decode_body, decode_key};
use crate::derive::Kdf;
use crate::error::{Error, Result};
use crate::secret::{KeyMaterial, to_json_zeroizing};

mod doc;
pub(super) mod time_text;

use doc::{EntryDoc, InfoDoc, KeyData, PolicyDoc};

impl Keyring {
    /// Reads a Vault backup blob (the `backup` string of `GET transit/backup/:name`) into a
    /// keyring with all of its settings and every stored version, so that it decrypts what
    /// Vault encrypted. Restoring records `restore_info`, as Vault does.
    ///
    /// # Errors
    /// [`Error::InvalidDocument`] for bad base64 or JSON, a missing key version or
    /// inconsistent versions; [`Error::UnknownKeyType`] for key types this crate lacks
    /// (asymmetric, HMAC-only, managed). Texts never include key bytes.
    ///
    /// ```
    /// use transit_keyring::Keyring;
    /// let original = Keyring::builder("ci-env")
    ///     .exportable(true)
    ///     .allow_plaintext_backup(true)
    ///     .generate()?;
    /// let ciphertext = original.encrypt(b"hunter2")?;
    /// let restored = Keyring::from_vault_backup(&original.to_vault_backup()?)?;
    /// assert_eq!(&*restored.decrypt(&ciphertext)?, b"hunter2");
    /// # Ok::<(), transit_keyring::Error>(())
    /// ```
    pub fn from_vault_backup(blob: &str) -> Result<Self> {
        // Go's decoder, as Vault's: padded standard base64, line breaks skipped.
        let json = Zeroizing::new(
            decode_body(blob.trim())
                .map_err(|_| Error::InvalidDocument("backup is not base64".to_owned()))?,
        );
        let mut keyring = Self::from_backup_json(&json)?;
        keyring.restore_info = Some((SystemTime::now(), keyring.latest_version));
        Ok(keyring)
    }

    /// Writes Vault's backup blob: restorable by `POST transit/restore` and by
    /// [`Keyring::from_vault_backup`]. Like Vault, needs both flags.
    ///
    /// # Errors
    /// [`Error::ExportDisallowed`] unless exportable, [`Error::PlaintextBackupDisallowed`]
    /// unless plaintext backups are allowed.
    ///
    /// ```
    /// use transit_keyring::{Error, Keyring};
    /// let keyring = Keyring::builder("k").exportable(true).generate()?;
    /// assert_eq!(keyring.to_vault_backup().unwrap_err(), Error::PlaintextBackupDisallowed);
    /// # Ok::<(), transit_keyring::Error>(())
    /// ```
    pub fn to_vault_backup(&self) -> Result<String> {
        if !self.exportable {
            return Err(Error::ExportDisallowed);
        }
        if !self.allow_plaintext_backup {
            return Err(Error::PlaintextBackupDisallowed);
        }
        let info = Some((SystemTime::now(), self.latest_version));
        let json = self.backup_json_with(info)?;
        Ok(GO_STD.encode(&*json))
    }

    /// The `KeyData` JSON of this keyring (with Go's trailing newline), without the export
    /// checks: for the sealed store, which encrypts it before it touches a disk.
    pub(crate) fn to_backup_json(&self) -> Result<Zeroizing<Vec<u8>>> {
        self.backup_json_with(self.backup_info)
    }

    fn backup_json_with(
        &self,
        backup_info: Option<(SystemTime, u32)>,
    ) -> Result<Zeroizing<Vec<u8>>> {
        let working = self.keys.range(self.min_decryption_version..);
        // Vault indexes its archive by `version - min_available_version`; `keys` always runs
        // without a gap from max(min_available_version, 1) to the latest version.
        let mut archive = Vec::with_capacity(self.keys.len().saturating_add(1));
        if self.min_available_version == 0 {
            archive.push(EntryDoc::placeholder()); // Vault's dummy slot for "version 0"
        }
        for entry in self.keys.values() {
            archive.push(EntryDoc::from_entry(entry)?);
        }
        let working = working
            .map(|(v, e)| Ok((v.to_string(), EntryDoc::from_entry(e)?)))
            .collect::<Result<_>>()?;
        let data = KeyData {
            policy: PolicyDoc {
                name: self.name.clone(),
                keys: working,
                derived: self.kdf.is_some(),
                kdf: i64::from(self.kdf.unwrap_or(Kdf::HmacSha256Counter).vault_number()),
                convergent_encryption: self.convergent_encryption,
                exportable: self.exportable,
                min_decryption_version: i64::from(self.min_decryption_version),
                min_encryption_version: i64::from(self.min_encryption_version),
                latest_version: i64::from(self.latest_version),
                archive_version: i64::from(self.latest_version),
                archive_min_version: i64::from(self.min_available_version),
                min_available_version: i64::from(self.min_available_version),
                deletion_allowed: self.deletion_allowed,
                convergent_version: self.convergent_version,
                key_type: i64::from(self.key_type.vault_type_number()),
                backup_info: backup_info.map(InfoDoc::from_pair).transpose()?,
                restore_info: self.restore_info.map(InfoDoc::from_pair).transpose()?,
                allow_plaintext_backup: self.allow_plaintext_backup,
                version_template: self.template.to_template_string(),
                storage_prefix: String::new(),
                auto_rotate_period: i64::try_from(self.auto_rotate_period.as_nanos()).map_err(
                    |_| Error::InvalidDocument("auto_rotate_period too large".to_owned()),
                )?,
                imported: self.imported,
                allow_imported_key_rotation: self.allow_imported_key_rotation,
            },
            archived_keys: Some(doc::ArchiveDoc { keys: archive }),
        };
        // Room for every entry's two base64 keys and fields, so the buffer rarely grows (and
        // when it does, the old one is zeroed).
        let hint = self
            .keys
            .len()
            .saturating_mul(2)
            .saturating_add(1)
            .saturating_mul(512);
        let mut json = to_json_zeroizing(&data, hint)
            .map_err(|_| Error::InvalidDocument("backup JSON could not be written".to_owned()))?;
        json.push(b'\n');
        Ok(json)
    }

    /// Reads `KeyData` JSON (the decoded backup, or the store's plaintext).
    pub(crate) fn from_backup_json(json: &[u8]) -> Result<Self> {
        let data: KeyData = serde_json::from_slice(json).map_err(|e| {
            Error::InvalidDocument(format!(
                "backup JSON at line {} column {}",
                e.line(),
                e.column()
            ))
        })?;
        let p = data.policy;
        let key_type = KeyType::from_vault_type_number(to_u32(p.key_type, "type")?)?;
        let latest = to_u32(p.latest_version, "latest_version")?;
        let min_available = to_u32(p.min_available_version, "min_available_version")?;
        let min_decryption = to_u32(p.min_decryption_version, "min_decryption_version")?.max(1);
        let min_encryption = to_u32(p.min_encryption_version, "min_encryption_version")?;
        if latest == 0
            || min_decryption > latest
            || min_encryption > latest
            || min_available > min_decryption
        {
            return Err(Error::InvalidDocument(
                "inconsistent key versions".to_owned(),
            ));
        }
        let archive = data.archived_keys.map(|a| a.keys).unwrap_or_default();
        // Every key the document holds, by version: archive slots (index = version -
        // min_available_version), then the working set. Empty slots (Vault's dummy slot 0, or
        // a null key) hold nothing. Bounded by the document's size, not by version numbers.
        let mut present: BTreeMap<u32, &EntryDoc> = BTreeMap::new();
        for (index, doc) in archive.iter().enumerate() {
            let version = u32::try_from(index)
                .ok()
                .and_then(|i| i.checked_add(min_available));
            if let Some(version) = version.filter(|v| (1..=latest).contains(v)) {
                if doc.key.is_some() {
                    present.insert(version, doc);
                }
            }
        }
        for (field, doc) in &p.keys {
            let version = field
                .parse::<u32>()
                .ok()
                .filter(|v| (1..=latest).contains(v));
            if let (Some(version), Some(_)) = (version, &doc.key) {
                present.insert(version, doc);
            }
        }
        // Versions must run without a gap from the lowest one held to the latest, and that
        // must cover the working set: a missing working-set key would lose ciphertexts.
        let lowest = present.keys().next().copied().unwrap_or(latest);
        let span = u64::from(latest - lowest) + 1;
        if present.len() as u64 != span || lowest > min_decryption {
            return Err(Error::InvalidDocument(
                "backup lacks a key version between its lowest and latest".to_owned(),
            ));
        }
        // Versions below the lowest held one are gone, as after a trim (a Vault backup that
        // lost its archive, or an export's missing history).
        let min_available = if lowest > min_available.max(1) {
            lowest
        } else {
            min_available
        };
        let mut keys = BTreeMap::new();
        for (version, doc) in present {
            keys.insert(version, doc.to_entry(key_type, version)?);
        }
        Ok(Self {
            name: p.name,
            key_type,
            kdf: if p.derived {
                Some(Kdf::from_vault_number(p.kdf)?)
            } else {
                None
            },
            convergent_encryption: p.convergent_encryption,
            convergent_version: p.convergent_version,
            exportable: p.exportable,
            allow_plaintext_backup: p.allow_plaintext_backup,
            deletion_allowed: p.deletion_allowed,
            latest_version: latest,
            min_decryption_version: min_decryption,
            min_encryption_version: min_encryption,
            min_available_version: min_available,
            auto_rotate_period: Duration::from_nanos(
                u64::try_from(p.auto_rotate_period).map_err(|_| bad("auto_rotate_period"))?,
            ),
            template: Template::parse(&p.version_template)?,
            keys,
            imported: p.imported,
            allow_imported_key_rotation: p.allow_imported_key_rotation,
            backup_info: p.backup_info.map(|i| i.to_pair()).transpose()?,
            restore_info: p.restore_info.map(|i| i.to_pair()).transpose()?,
        })
    }
}

fn bad(field: &str) -> Error {
    Error::InvalidDocument(format!("bad {field}"))
}

fn to_u32(value: i64, field: &str) -> Result<u32> {
    u32::try_from(value).map_err(|_| bad(field))
}

/// `null` reads as the default, as Go's decoder leaves a zero value.
fn nullable<'de, D: Deserializer<'de>, T: Default + Deserialize<'de>>(d: D) -> Result<T, D::Error> {
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

impl EntryDoc {
    fn from_entry(entry: &KeyEntry) -> Result<Self> {
        // `encode` allocates the exact length once: no stray copy of the key text.
        let b64 = |k: &KeyMaterial| Some(Zeroizing::new(GO_STD.encode(k.expose_secret())));
        Ok(Self {
            key: b64(&entry.key),
            hmac_key: if entry.hmac_key.is_empty() {
                None
            } else {
                b64(&entry.hmac_key)
            },
            time: time_text::format(entry.creation_time)?,
            creation_time: time_text::unix_seconds(entry.creation_time),
            convergent_version: entry.convergent_version,
            ..Self::default()
        })
    }

    fn to_entry(&self, key_type: KeyType, version: u32) -> Result<KeyEntry> {
        let decode = |field: &Option<Zeroizing<String>>, what: &str| -> Result<KeyMaterial> {
            let text = field.as_ref().map(|s| s.as_str()).unwrap_or_default();
            decode_key(text).map_err(|_| {
                Error::InvalidDocument(format!("{what} of version {version} is not base64"))
            })
        };
        let creation_time = if self.time.is_empty() {
            u64::try_from(self.creation_time)
                .ok()
                .and_then(|s| SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(s)))
                .ok_or(Error::InvalidTime)?
        } else {
            time_text::parse(&self.time)?
        };
        time_text::check(creation_time)?;
        KeyEntry::new(
            key_type,
            decode(&self.key, "key")?,
            decode(&self.hmac_key, "hmac_key")?,
            creation_time,
            self.convergent_version,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::options::Options;

    fn backupable(builder: crate::keyring::KeyringBuilder) -> Keyring {
        builder
            .exportable(true)
            .allow_plaintext_backup(true)
            .generate()
            .unwrap()
    }

    #[test]
    fn derived_convergent_keyring_survives_backup() {
        let mut keyring = backupable(
            Keyring::builder("conv")
                .derived(Kdf::HkdfSha256)
                .convergent_encryption(true),
        );
        keyring.rotate().unwrap();
        let opts = Options::new().context(b"ctx");
        let ct = keyring.encrypt_with(b"value", &opts).unwrap();
        let restored = Keyring::from_vault_backup(&keyring.to_vault_backup().unwrap()).unwrap();
        assert_eq!(restored.encrypt_with(b"value", &opts).unwrap(), ct);
        assert!(restored.is_convergent() && restored.is_derived());
        assert_eq!(restored.latest_version(), 2);
        assert!(restored.restore_info.is_some());
    }

    #[test]
    fn trimmed_and_raised_minimums_survive_backup() {
        let mut keyring = backupable(Keyring::builder("t"));
        for _ in 0..3 {
            keyring.rotate().unwrap();
        }
        let v2 = keyring
            .encrypt_with(b"x", &Options::new().key_version(2))
            .unwrap();
        keyring.set_min_decryption_version(3).unwrap();
        keyring.set_min_encryption_version(3).unwrap();
        keyring.trim(2).unwrap();
        let restored = Keyring::from_vault_backup(&keyring.to_vault_backup().unwrap()).unwrap();
        assert_eq!(restored.versions(), vec![2, 3, 4]);
        assert_eq!(restored.min_available_version(), 2);
        assert_eq!(restored.decrypt(&v2).unwrap_err(), Error::VersionTooOld);
        let mut lowered = restored;
        lowered.set_min_decryption_version(2).unwrap();
        assert_eq!(&*lowered.decrypt(&v2).unwrap(), b"x");
    }

    #[test]
    fn blob_is_base64_of_json_with_newline_and_archive_slot_zero() {
        let keyring = backupable(Keyring::builder("k"));
        let json = GO_STD.decode(keyring.to_vault_backup().unwrap()).unwrap();
        assert_eq!(json.last(), Some(&b'\n'));
        let value: serde_json::Value = serde_json::from_slice(&json).unwrap();
        let archive = &value["archived_keys"]["keys"];
        assert_eq!(archive.as_array().map(Vec::len), Some(2));
        assert!(archive[0]["key"].is_null());
        assert_eq!(archive[0]["time"], "0001-01-01T00:00:00Z");
        assert_eq!(value["policy"]["type"], 0);
        assert_eq!(value["policy"]["keys"]["1"]["key"], archive[1]["key"]);
    }

    #[test]
    fn bad_blobs_are_errors_without_key_bytes() {
        assert!(matches!(
            Keyring::from_vault_backup("%%%"),
            Err(Error::InvalidDocument(_))
        ));
        let keyring = backupable(Keyring::builder("k"));
        let json = GO_STD.decode(keyring.to_vault_backup().unwrap()).unwrap();
        let mut value: serde_json::Value = serde_json::from_slice(&json).unwrap();
        value["policy"]["keys"]["1"]["key"] = "not base64!".into();
        value["archived_keys"]["keys"][1]["key"] = "not base64!".into();
        let blob = GO_STD.encode(serde_json::to_vec(&value).unwrap());
        let err = Keyring::from_vault_backup(&blob).unwrap_err();
        assert_eq!(
            err,
            Error::InvalidDocument("key of version 1 is not base64".to_owned())
        );
    }
}
