//! Batch operations follow Vault's `batch_input` semantics.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use transit_keyring::{CiphertextItem, EncryptItem, Error, Kdf, KeyType, Keyring};

fn keyring() -> Keyring {
    Keyring::generate("batch", KeyType::Aes256Gcm96).unwrap()
}

#[test]
fn results_keep_input_order_and_references_in_large_parallel_batches() {
    let keyring = keyring();
    let values: Vec<String> = (0..1000).map(|i| format!("value-{i}")).collect();
    let refs: Vec<String> = (0..1000).map(|i| format!("ref-{i}")).collect();
    let items: Vec<EncryptItem<'_>> = values
        .iter()
        .zip(&refs)
        .map(|(v, r)| EncryptItem {
            plaintext: v.as_bytes(),
            reference: r,
            ..Default::default()
        })
        .collect();
    let encrypted = keyring.encrypt_batch(&items).unwrap();
    assert_eq!(encrypted.len(), 1000);
    let cts: Vec<String> = encrypted
        .iter()
        .zip(&refs)
        .map(|(r, reference)| {
            assert_eq!(&r.reference, reference);
            let e = r.result.as_ref().unwrap();
            assert_eq!(e.key_version, 1);
            e.ciphertext.clone()
        })
        .collect();
    let items: Vec<CiphertextItem<'_>> = cts
        .iter()
        .zip(&refs)
        .map(|(c, r)| CiphertextItem {
            ciphertext: c,
            reference: r,
            ..Default::default()
        })
        .collect();
    for ((result, value), reference) in keyring
        .decrypt_batch(&items)
        .unwrap()
        .iter()
        .zip(&values)
        .zip(&refs)
    {
        assert_eq!(&result.reference, reference);
        assert_eq!(&**result.result.as_ref().unwrap(), value.as_bytes());
    }
}

#[test]
fn a_failing_item_does_not_fail_the_others() {
    let mut keyring = keyring();
    let good = keyring.encrypt(b"good").unwrap();
    keyring.rotate().unwrap();
    let items = [
        CiphertextItem {
            ciphertext: &good,
            reference: "ok",
            ..Default::default()
        },
        CiphertextItem {
            ciphertext: "nope",
            reference: "bad",
            ..Default::default()
        },
        CiphertextItem {
            ciphertext: "vault:v9:AAAA",
            reference: "new",
            ..Default::default()
        },
    ];
    let results = keyring.decrypt_batch(&items).unwrap();
    assert_eq!(&**results[0].result.as_ref().unwrap(), b"good");
    assert_eq!(results[1].result.as_ref().unwrap_err(), &Error::NoPrefix);
    assert_eq!(
        results[2].result.as_ref().unwrap_err(),
        &Error::VersionTooNew
    );
    assert_eq!(results[1].reference, "bad");

    let enc = [
        EncryptItem {
            plaintext: b"a",
            key_version: 3,
            ..Default::default()
        },
        EncryptItem {
            plaintext: b"b",
            key_version: 1,
            ..Default::default()
        },
    ];
    let results = keyring.encrypt_batch(&enc).unwrap();
    assert_eq!(
        results[0].result.as_ref().unwrap_err(),
        &Error::EncryptVersionTooNew
    );
    assert_eq!(results[1].result.as_ref().unwrap().key_version, 1);
}

#[test]
fn context_must_be_in_all_items_or_none() {
    let keyring = Keyring::builder("d")
        .derived(Kdf::HkdfSha256)
        .generate()
        .unwrap();
    let items = [
        EncryptItem {
            plaintext: b"a",
            context: b"c1",
            ..Default::default()
        },
        EncryptItem {
            plaintext: b"b",
            ..Default::default()
        },
    ];
    let err = keyring.encrypt_batch(&items).unwrap_err();
    assert_eq!(err, Error::ContextAllOrNone);
    assert_eq!(
        err.to_string(),
        "context should be set either in all the request blocks or in none"
    );
    let none = [EncryptItem {
        plaintext: b"a",
        ..Default::default()
    }];
    let results = keyring.encrypt_batch(&none).unwrap();
    assert_eq!(
        results[0].result.as_ref().unwrap_err(),
        &Error::MissingContext
    );
}

#[test]
fn empty_batch_is_refused_with_vaults_text() {
    let keyring = keyring();
    let err = keyring.encrypt_batch(&[]).unwrap_err();
    assert_eq!(err, Error::MissingBatchInput);
    assert_eq!(err.to_string(), "missing batch input to process");
    assert_eq!(
        keyring.decrypt_batch(&[]).unwrap_err(),
        Error::MissingBatchInput
    );
    assert_eq!(
        keyring.rewrap_batch(&[]).unwrap_err(),
        Error::MissingBatchInput
    );
}

#[test]
fn rewrap_batch_moves_to_latest_or_chosen_version_with_associated_data() {
    let mut keyring = keyring();
    let a = keyring
        .encrypt_with(
            b"a",
            &transit_keyring::Options::new().associated_data(b"ad"),
        )
        .unwrap();
    keyring.rotate().unwrap();
    keyring.rotate().unwrap();
    let items = [
        CiphertextItem {
            ciphertext: &a,
            associated_data: b"ad",
            ..Default::default()
        },
        CiphertextItem {
            ciphertext: &a,
            associated_data: b"ad",
            key_version: 2,
            ..Default::default()
        },
        CiphertextItem {
            ciphertext: &a,
            associated_data: b"wrong",
            ..Default::default()
        },
    ];
    let results = keyring.rewrap_batch(&items).unwrap();
    let first = results[0].result.as_ref().unwrap();
    assert_eq!(first.key_version, 3);
    assert!(first.ciphertext.starts_with("vault:v3:"));
    assert_eq!(results[1].result.as_ref().unwrap().key_version, 2);
    assert!(matches!(results[2].result, Err(Error::Decrypt { .. })));
    let back = keyring
        .decrypt_with(
            &first.ciphertext,
            &transit_keyring::Options::new().associated_data(b"ad"),
        )
        .unwrap();
    assert_eq!(&*back, b"a");
}

#[test]
fn batch_item_debug_hides_plaintext() {
    let item = EncryptItem {
        plaintext: b"s3cr3t-value",
        reference: "r",
        ..Default::default()
    };
    let shown = format!("{item:?}");
    assert!(!shown.contains("s3cr3t"), "{shown}");
    assert!(shown.contains("REDACTED"));
}
