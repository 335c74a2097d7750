//! The outer layers keep the core's promise: store, root keys, envelopes, batch items and
//! data keys format with `{:?}` without any key, root key or plaintext byte.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::Write;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::assert_no_secret;
use transit_keyring::{
    CiphertextItem, EncryptItem, Envelope, EnvelopeReader, EnvelopeWriter, HashAlgorithm, KeyType,
    Keyring, Options, RootKey, Store,
};

const PLAINTEXT: &[u8] = b"outer-layer plaintext 8c1d0e";

/// Every key of an exportable keyring, from its Vault export document.
fn exported_keys(keyring: &Keyring) -> Vec<Vec<u8>> {
    let doc: serde_json::Value = serde_json::from_str(&keyring.to_vault_export().unwrap()).unwrap();
    let keys = doc["keys"].as_object().unwrap();
    keys.values()
        .map(|k| STANDARD.decode(k.as_str().unwrap()).unwrap())
        .collect()
}

#[test]
fn store_root_key_and_stored_keyrings_show_no_secret() {
    let dir = tempfile::tempdir().unwrap();
    let root = RootKey::generate().unwrap();
    let root_bytes = root.expose_secret().to_vec();
    let store = Store::open(dir.path().join("s"), root).unwrap();
    let stored = store.create("ci-env", KeyType::Aes256Gcm96).unwrap();
    stored.set_exportable().unwrap();
    stored.rotate().unwrap();
    let ciphertext = stored.encrypt(PLAINTEXT).unwrap();
    let plaintext = stored.decrypt(&ciphertext).unwrap();
    let keys =
        exported_keys(&Keyring::from_vault_export(&stored.to_vault_export().unwrap()).unwrap());

    let mut secrets: Vec<(&str, &[u8])> = vec![("root key", &root_bytes), ("plaintext", PLAINTEXT)];
    secrets.extend(keys.iter().map(|k| ("keyring key", k.as_slice())));
    let again = RootKey::from_bytes(&root_bytes).unwrap();
    let outputs = [
        format!("{store:?}"),
        format!("{stored:?}"),
        format!("{:?}", stored.metadata().unwrap()),
        format!("{again:?}"),
        format!("{plaintext:?}"),
        format!(
            "{:?}",
            Store::open(dir.path().join("s"), RootKey::generate().unwrap()).unwrap_err()
        ),
    ];
    for output in &outputs {
        assert_no_secret("store type Debug", output, &secrets);
    }
    assert!(format!("{again:?}").contains("REDACTED"), "{again:?}");
}

#[test]
fn envelope_adapters_and_data_keys_show_no_secret() {
    let keyring = Keyring::builder("env").exportable(true).generate().unwrap();
    let keys = exported_keys(&keyring);
    let opts = Options::new().associated_data(b"artifact/1");
    let datakey = keyring.datakey(256, &opts).unwrap();
    let datakey_bytes = datakey.plaintext().expose_secret().to_vec();

    let mut writer = EnvelopeWriter::new(&keyring, &opts, Vec::new()).unwrap();
    writer.write_all(PLAINTEXT).unwrap();
    let writer_debug = format!("{writer:?}");
    let sealed = writer.finish().unwrap();
    let reader = EnvelopeReader::new(&keyring, &opts, &sealed[..]).unwrap();
    let info = Envelope::seal(&keyring, &opts, PLAINTEXT, Vec::new()).unwrap();

    let mut secrets: Vec<(&str, &[u8])> =
        vec![("plaintext", PLAINTEXT), ("data key", &datakey_bytes)];
    secrets.extend(keys.iter().map(|k| ("keyring key", k.as_slice())));
    for output in [
        writer_debug,
        format!("{reader:?}"),
        format!("{info:?}"),
        format!("{datakey:?}"),
        format!("{:?}", datakey.plaintext()),
        format!("{:?}", keyring.wrapped_datakey(512, &opts).unwrap()),
    ] {
        assert_no_secret("envelope/datakey Debug", &output, &secrets);
    }
}

#[test]
fn batch_items_and_results_show_no_plaintext() {
    let keyring = Keyring::builder("batch")
        .exportable(true)
        .generate()
        .unwrap();
    let keys = exported_keys(&keyring);
    let items = [EncryptItem {
        plaintext: PLAINTEXT,
        reference: "r1",
        ..Default::default()
    }];
    let encrypted = keyring.encrypt_batch(&items).unwrap();
    let ciphertext = encrypted[0].result.as_ref().unwrap().ciphertext.clone();
    let to_decrypt = [CiphertextItem {
        ciphertext: &ciphertext,
        ..Default::default()
    }];
    let decrypted = keyring.decrypt_batch(&to_decrypt).unwrap();
    let mac = keyring
        .hmac(PLAINTEXT, HashAlgorithm::Sha2_256, &Options::new())
        .unwrap();

    let mut secrets: Vec<(&str, &[u8])> = vec![("plaintext", PLAINTEXT)];
    secrets.extend(keys.iter().map(|k| ("keyring key", k.as_slice())));
    for output in [
        format!("{items:?}"),
        format!("{encrypted:?}"),
        format!("{to_decrypt:?}"),
        format!("{decrypted:?}"),
        format!("{mac:?}"),
        format!("{:?}", HashAlgorithm::Sha3_512),
    ] {
        assert_no_secret("batch Debug", &output, &secrets);
    }
}
