//! No secret reaches `Debug`, `Display` or an error: every public type is formatted and the
//! output searched for the key bytes (taken from an export) and plaintext bytes in every
//! encoding a careless formatter could use. Golden strings pin the redacted types, as ring's
//! `test_aead_key_debug` does.
// Helpers outside #[test] fns unwrap and panic too: a failing test is the point.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::{assert_no_secret, spellings};
use transit_keyring::{
    Error, Kdf, KeyType, Keyring, KeyringBuilder, Options, TrimRule, hazmat::encrypt_with_nonce,
};

/// Distinctive, so a match is never an accident.
const PLAINTEXT: &[u8] = b"correct horse battery staple 4f9e";
const ASSOCIATED_DATA: &[u8] = b"associated-data-7d21";
const CONTEXT: &[u8] = b"context-project-91c3";

/// Every key of an exportable keyring, decoded from its Vault export document.
fn exported_keys(keyring: &Keyring) -> Vec<Vec<u8>> {
    let doc: serde_json::Value = serde_json::from_str(&keyring.to_vault_export().unwrap()).unwrap();
    let keys = doc["keys"].as_object().unwrap();
    assert_eq!(
        keys.len(),
        usize::try_from(keyring.latest_version()).unwrap()
    );
    keys.values()
        .map(|k| STANDARD.decode(k.as_str().unwrap()).unwrap())
        .collect()
}

fn builders() -> Vec<KeyringBuilder> {
    let mut out = Vec::new();
    for key_type in KeyType::ALL {
        let base = Keyring::builder("redaction")
            .key_type(key_type)
            .exportable(true);
        out.push(base.clone());
        out.push(base.clone().derived(Kdf::HkdfSha256));
        out.push(base.derived(Kdf::HkdfSha256).convergent_encryption(true));
    }
    out
}

#[test]
fn keyrings_and_everything_around_them_show_no_key_or_plaintext() {
    for builder in builders() {
        let builder_debug = format!("{builder:?}");
        let mut keyring = builder.generate().unwrap();
        keyring.rotate().unwrap();
        keyring.rotate().unwrap();
        let keys = exported_keys(&keyring);
        // Convergent keyrings refuse associated data (their nonce would ignore it).
        let associated_data = if keyring.is_convergent() {
            &[][..]
        } else {
            ASSOCIATED_DATA
        };
        let opts = Options::new()
            .associated_data(associated_data)
            .context(CONTEXT)
            .key_version(2);
        let ciphertext = keyring.encrypt_with(PLAINTEXT, &opts).unwrap();
        let plaintext = keyring.decrypt_with(&ciphertext, &opts).unwrap();
        assert_eq!(&*plaintext, PLAINTEXT);
        let datakey = keyring.datakey(256, &opts).unwrap();

        let mut secrets: Vec<(&str, &[u8])> = keys.iter().map(|k| ("a key", &k[..])).collect();
        secrets.push(("the plaintext", PLAINTEXT));
        secrets.push(("the data key", datakey.plaintext().expose_secret()));
        let outputs = [
            ("Keyring {:?}", format!("{keyring:?}")),
            ("Keyring {:#?}", format!("{keyring:#?}")),
            ("KeyringBuilder {:?}", builder_debug),
            ("Options {:?}", format!("{opts:?}")),
            ("Plaintext {:?}", format!("{plaintext:?}")),
            ("Plaintext {:#?}", format!("{plaintext:#?}")),
            ("KeyMaterial {:?}", format!("{:?}", datakey.plaintext())),
            ("DataKey {:?}", format!("{datakey:?}")),
            ("KeyType {:?}", format!("{:?}", keyring.key_type())),
            ("Kdf {:?}", format!("{:?}", keyring.kdf())),
        ];
        for (what, output) in &outputs {
            assert_no_secret(
                &format!("{what} of {}", keyring.key_type()),
                output,
                &secrets,
            );
        }
        // Associated data and context are not secret but can identify a project: lengths only.
        let options_debug = format!("{opts:?}");
        assert_no_secret(
            "Options",
            &options_debug,
            &[("aad", ASSOCIATED_DATA), ("ctx", CONTEXT)],
        );
    }
}

#[test]
fn redacted_types_have_golden_debug() {
    let keyring = Keyring::generate("ci-env", KeyType::Aes256Gcm96).unwrap();
    let plaintext = keyring
        .decrypt(&keyring.encrypt(PLAINTEXT).unwrap())
        .unwrap();
    assert_eq!(format!("{plaintext:?}"), "Plaintext([REDACTED])");
    assert_eq!(format!("{plaintext:#?}"), "Plaintext([REDACTED])");
    let datakey = keyring.datakey(512, &Options::new()).unwrap();
    assert_eq!(datakey.plaintext().len(), 64);
    assert_eq!(
        format!("{:?}", datakey.plaintext()),
        "KeyMaterial([REDACTED])"
    );
    assert_eq!(
        format!("{:#?}", datakey.plaintext()),
        "KeyMaterial([REDACTED])"
    );
    let opts = Options::new()
        .associated_data(ASSOCIATED_DATA)
        .context(CONTEXT)
        .key_version(3);
    assert_eq!(
        format!("{opts:?}"),
        "Options { associated_data_len: 20, context_len: 20, key_version: 3 }"
    );
}

#[test]
fn keyring_debug_shows_metadata_only() {
    let mut keyring = Keyring::builder("ci-env")
        .exportable(true)
        .generate()
        .unwrap();
    keyring.rotate().unwrap();
    let debug = format!("{keyring:?}");
    assert!(
        debug.starts_with("Keyring { name: \"ci-env\", key_type: Aes256Gcm96,"),
        "{debug}"
    );
    assert!(debug.contains("latest_version: 2"), "{debug}");
    assert!(debug.contains("versions: [1, 2]"), "{debug}");
    assert!(debug.ends_with(".. }"), "{debug}");
}

#[test]
fn decrypt_errors_show_no_plaintext_or_key() {
    for key_type in KeyType::ALL {
        let keyring = Keyring::builder("k")
            .key_type(key_type)
            .exportable(true)
            .generate()
            .unwrap();
        let other = Keyring::builder("k")
            .key_type(key_type)
            .exportable(true)
            .generate()
            .unwrap();
        let keys = [exported_keys(&keyring), exported_keys(&other)].concat();
        let opts = Options::new().associated_data(ASSOCIATED_DATA);
        let ciphertext = keyring.encrypt_with(PLAINTEXT, &opts).unwrap();
        let errors = [
            other.decrypt_with(&ciphertext, &opts).unwrap_err(),
            keyring.decrypt(&ciphertext).unwrap_err(),
            keyring
                .decrypt_with(&ciphertext, &Options::new().associated_data(b"x"))
                .unwrap_err(),
            other.rewrap_with(&ciphertext, &opts).unwrap_err(),
        ];
        let mut secrets: Vec<(&str, &[u8])> = keys.iter().map(|k| ("a key", &k[..])).collect();
        secrets.push(("the plaintext", PLAINTEXT));
        secrets.push(("the associated data", ASSOCIATED_DATA));
        for err in errors {
            assert_eq!(err, Error::Decrypt { key_type });
            assert_no_secret("error Display", &err.to_string(), &secrets);
            assert_no_secret("error Debug", &format!("{err:?}"), &secrets);
        }
    }
}

#[test]
fn hazmat_encrypt_errors_show_no_plaintext_or_key() {
    let mut keyring = Keyring::builder("k").exportable(true).generate().unwrap();
    keyring.rotate().unwrap();
    keyring.set_min_encryption_version(2).unwrap();
    let keys = exported_keys(&keyring);
    let nonce = [7; 12];
    let errors = [
        encrypt_with_nonce(&keyring, &nonce, PLAINTEXT, &Options::new().key_version(1)),
        encrypt_with_nonce(&keyring, &nonce, PLAINTEXT, &Options::new().key_version(9)),
        encrypt_with_nonce(&keyring, &nonce[..11], PLAINTEXT, &Options::new()),
    ];
    let mut secrets: Vec<(&str, &[u8])> = keys.iter().map(|k| ("a key", &k[..])).collect();
    secrets.push(("the plaintext", PLAINTEXT));
    for result in errors {
        let err = result.unwrap_err();
        assert_no_secret("error Display", &err.to_string(), &secrets);
        assert_no_secret("error Debug", &format!("{err:?}"), &secrets);
    }
}

#[test]
fn every_error_variant_formats_without_secrets() {
    // Whatever the variant, its fields are versions, lengths, types and names only.
    let errors = [
        Error::NoPrefix,
        Error::WrongNumberOfFields,
        Error::VersionUndecodable,
        Error::VersionTooNew,
        Error::VersionTooOld,
        Error::NoSuchKeyVersion,
        Error::InvalidBase64,
        Error::InvalidCiphertextLength,
        Error::Decrypt {
            key_type: KeyType::Chacha20Poly1305,
        },
        Error::MissingContext,
        Error::EncryptVersionTooNew,
        Error::EncryptVersionTooOld,
        Error::MinVersionAboveLatest {
            version: 5,
            latest: 2,
        },
        Error::MinEncryptionVersionAboveLatest {
            version: 5,
            latest: 2,
        },
        Error::MinEncryptionBelowMinDecryption {
            min_encryption_version: 1,
            min_decryption_version: 2,
        },
        Error::MinEncryptionBelowMinAvailable,
        Error::MinDecryptionBelowMinAvailable,
        Error::Trim(TrimRule::Decremented),
        Error::NotExportable,
        Error::InvalidKeySize {
            len: 16,
            key_type: KeyType::Aes256Gcm96,
        },
    ];
    for err in errors {
        for text in [err.to_string(), format!("{err:?}")] {
            assert!(!text.contains("REDACTED"), "{text}");
            assert!(!text.is_empty());
        }
    }
    assert_eq!(format!("{:?}", KeyType::Aes128Gcm96), "Aes128Gcm96");
    assert_eq!(format!("{:?}", Kdf::HkdfSha256), "HkdfSha256");
    assert_eq!(
        format!(
            "{:?}",
            Error::Decrypt {
                key_type: KeyType::Chacha20Poly1305
            }
        ),
        "Decrypt { key_type: Chacha20Poly1305 }"
    );
}

#[test]
fn bad_export_key_is_not_echoed() {
    // A key of the wrong length, and one with a bad base64 tail: the error names the version
    // and the length, never the bytes.
    let key = [0x42_u8; 24];
    let b64 = STANDARD.encode(key);
    for doc in [
        format!(r#"{{"name":"k","type":"aes256-gcm96","keys":{{"1":"{b64}"}}}}"#),
        format!(r#"{{"name":"k","type":"aes256-gcm96","keys":{{"1":"{b64}!"}}}}"#),
        format!(r#"{{"name":"k","type":"aes256-gcm96","keys":{{"1":"{b64}"}}"#),
    ] {
        let err = Keyring::from_vault_export(&doc).unwrap_err();
        assert_no_secret("export error Display", &err.to_string(), &[("key", &key)]);
        assert_no_secret("export error Debug", &format!("{err:?}"), &[("key", &key)]);
    }
}

#[test]
fn the_search_finds_each_spelling() {
    // Guard the guard: a detector that never fires would pass every test above.
    let secret = [
        0xde_u8, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
    ];
    for (spelling, needle) in spellings(&secret) {
        let output = format!("Leaky {{ key: {} }}", String::from_utf8_lossy(&needle));
        let caught = std::panic::catch_unwind(|| {
            assert_no_secret("probe", &output, &[("probe", &secret)]);
        });
        if spelling.ends_with("raw") {
            continue; // 0xde is not UTF-8 on its own: the lossy string cannot hold it
        }
        assert!(caught.is_err(), "{spelling} not detected in {output}");
    }
    let debug_leak = format!("Key({:?})", &secret[..]);
    assert!(
        std::panic::catch_unwind(|| assert_no_secret("probe", &debug_leak, &[("k", &secret)]))
            .is_err()
    );
}
