//! Vault's key export document: `{"name", "type", "keys": {"<version>": "<base64 key>"}}`
//! (`GET transit/export/encryption-key/:name`), in and out.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use base64::Engine;
use serde::{Deserialize, Serialize};

use super::{HMAC_KEY_LEN, KeyEntry, Keyring};
use crate::cipher::{KeyType, random_key};
use crate::ciphertext::{GO_STD, Template, decode_key};
use crate::error::{Error, Result};
use crate::secret::to_json_zeroizing;

/// The export document, or Vault's whole response with the document under `data`.
#[derive(Deserialize)]
#[serde(untagged)]
enum ExportInput {
    Response { data: ExportDocument },
    Document(ExportDocument),
}

#[derive(Deserialize, Serialize)]
struct ExportDocument {
    name: String,
    #[serde(rename = "type")]
    key_type: String,
    /// Version → base64 key. Values are zeroized when the map drops (see `Drop`).
    keys: BTreeMap<String, String>,
}

impl Drop for ExportDocument {
    fn drop(&mut self) {
        for value in self.keys.values_mut() {
            zeroize::Zeroize::zeroize(value);
        }
    }
}

impl Keyring {
    /// Reads Vault's export response (`{"data": {"name", "type", "keys": {...}}}`) or just its
    /// `data` object. The keyring gets every exported version; versions below the lowest one
    /// exported count as trimmed. Each version gets a fresh HMAC key (exports carry none).
    /// An imported keyring is exportable.
    ///
    /// # Errors
    /// [`Error::InvalidDocument`] for malformed JSON, a bad version number, bad base64 or a
    /// gap between versions; [`Error::UnknownKeyType`]; [`Error::InvalidKeySize`]. Error texts
    /// never include key bytes.
    ///
    /// ```
    /// use transit_keyring::Keyring;
    /// let json = r#"{"data":{"name":"ci-env","type":"aes256-gcm96",
    ///   "keys":{"1":"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="}}}"#;
    /// let keyring = Keyring::from_vault_export(json)?;
    /// let plaintext = keyring.decrypt("vault:v1:AAAAAAAAAAAAAAAA8F12rkq5n+Wm9psxSMI2PQ==")?;
    /// assert!(plaintext.is_empty());
    /// # Ok::<(), transit_keyring::Error>(())
    /// ```
    pub fn from_vault_export(json: &str) -> Result<Self> {
        // serde_json's error text can quote input; keep only its position.
        let input: ExportInput = serde_json::from_str(json).map_err(|e| {
            Error::InvalidDocument(if e.line() == 0 {
                // serde's untagged enums report shape errors without a position.
                "export JSON is not Vault's {name, type, keys} document".to_owned()
            } else {
                format!("export JSON at line {} column {}", e.line(), e.column())
            })
        })?;
        let doc = match input {
            ExportInput::Response { data } | ExportInput::Document(data) => data,
        };
        let key_type: KeyType = doc.key_type.parse()?;
        let now = SystemTime::now();
        let mut keys = BTreeMap::new();
        for (field, encoded) in &doc.keys {
            let version = field
                .parse::<u32>()
                .ok()
                .filter(|v| *v > 0)
                // Not quoted: a malformed document may carry key text in any field.
                .ok_or_else(|| Error::InvalidDocument("bad key version number".to_owned()))?;
            let key = decode_key(encoded).map_err(|_| {
                Error::InvalidDocument(format!("key version {version} is not base64"))
            })?;
            let entry = KeyEntry::new(key_type, key, random_key(HMAC_KEY_LEN)?, now, 0)?;
            keys.insert(version, entry);
        }
        let (Some(&min), Some(&latest)) = (keys.keys().next(), keys.keys().next_back()) else {
            return Err(Error::InvalidDocument("export has no keys".to_owned()));
        };
        if u64::from(latest - min) + 1 != keys.len() as u64 {
            return Err(Error::InvalidDocument(
                "export skips a key version".to_owned(),
            ));
        }
        Ok(Self {
            name: doc.name.clone(),
            key_type,
            kdf: None,
            convergent_encryption: false,
            convergent_version: 0,
            exportable: true,
            allow_plaintext_backup: false,
            deletion_allowed: false,
            latest_version: latest,
            min_decryption_version: min,
            min_encryption_version: 0,
            min_available_version: if min > 1 { min } else { 0 },
            auto_rotate_period: Duration::ZERO,
            template: Template::default(),
            keys,
            imported: false,
            allow_imported_key_rotation: false,
            backup_info: None,
            restore_info: None,
        })
    }

    /// Writes Vault's export document (the `data` object): name, type, and the base64 key of
    /// every version from `min_decryption_version` to `latest_version`.
    ///
    /// # Errors
    /// [`Error::NotExportable`] unless the keyring was created or marked exportable.
    ///
    /// ```
    /// use transit_keyring::{Error, Keyring};
    /// let locked = Keyring::generate("k", Default::default())?;
    /// assert_eq!(locked.to_vault_export().unwrap_err(), Error::NotExportable);
    /// let open = Keyring::builder("k").exportable(true).generate()?;
    /// let copy = Keyring::from_vault_export(&open.to_vault_export()?)?;
    /// assert_eq!(&*copy.decrypt(&open.encrypt(b"x")?)?, b"x");
    /// # Ok::<(), transit_keyring::Error>(())
    /// ```
    pub fn to_vault_export(&self) -> Result<String> {
        if !self.exportable {
            return Err(Error::NotExportable);
        }
        let doc = ExportDocument {
            name: self.name.clone(),
            key_type: self.key_type.to_string(),
            keys: self
                .keys
                .range(self.min_decryption_version..)
                .map(|(v, e)| (v.to_string(), GO_STD.encode(e.key.expose_secret())))
                .collect(),
        };
        let mut json = to_json_zeroizing(&doc, 128usize.saturating_mul(doc.keys.len() + 1))
            .map_err(|_| Error::InvalidDocument("export JSON could not be written".to_owned()))?;
        // Hand the buffer itself to the caller (no copy left behind); JSON is UTF-8.
        String::from_utf8(std::mem::take(&mut *json))
            .map_err(|_| Error::InvalidDocument("export JSON is not UTF-8".to_owned()))
    }
}
