//! A stored keyring's HMAC, data keys and batches: the in-memory keyring's behaviour, with
//! every encryption counted against the usage limit and HMAC and decryption not counted.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::version_of;
use std::path::Path;

use transit_keyring::{
    CiphertextItem, EncryptItem, Error, HashAlgorithm, Kdf, KeyType, Keyring, Options, RootKey,
    Store, StoredKeyring,
};

fn open(dir: &Path) -> Store {
    Store::open(dir, RootKey::from_bytes(&[0x42; 32]).unwrap()).unwrap()
}

/// Encryptions counted per version, as `metadata()` reports them.
fn counts(keyring: &StoredKeyring) -> Vec<(u32, u64)> {
    let meta = keyring.metadata().unwrap();
    meta.versions
        .iter()
        .map(|(v, m)| (*v, m.encryptions))
        .collect()
}

fn total(keyring: &StoredKeyring) -> u64 {
    counts(keyring).iter().map(|(_, n)| n).sum()
}

#[test]
fn hmac_round_trips_and_is_not_counted() {
    let dir = tempfile::tempdir().unwrap();
    let keyring = open(dir.path())
        .create("ci-env", KeyType::Aes256Gcm96)
        .unwrap();
    for algorithm in [HashAlgorithm::Sha2_256, HashAlgorithm::Sha3_512] {
        let mac = keyring
            .hmac(b"build 42", algorithm, &Options::new())
            .unwrap();
        assert_eq!(version_of(&mac), 1);
        assert!(keyring.verify_hmac(b"build 42", &mac, algorithm).unwrap());
        assert!(!keyring.verify_hmac(b"build 43", &mac, algorithm).unwrap());
        // The HMAC key is stored: another handle (a restart) gives the same HMAC.
        let again = open(dir.path()).load("ci-env").unwrap();
        assert_eq!(
            again.hmac(b"build 42", algorithm, &Options::new()).unwrap(),
            mac
        );
    }
    assert_eq!(counts(&keyring), [(1, 0)]);
}

#[test]
fn hmac_picks_versions_and_fails_with_vaults_errors() {
    let dir = tempfile::tempdir().unwrap();
    let keyring = open(dir.path())
        .create("ci-env", KeyType::Aes256Gcm96)
        .unwrap();
    keyring.rotate().unwrap();
    keyring.rotate().unwrap();
    let sha = HashAlgorithm::Sha2_256;
    let mac_at = |v: u32| {
        keyring
            .hmac(b"x", sha, &Options::new().key_version(v))
            .unwrap()
    };
    assert_eq!(version_of(&mac_at(0)), 3);
    assert_eq!(version_of(&mac_at(1)), 1);
    assert_ne!(mac_at(1), mac_at(2)); // each version has its own HMAC key
    let v1 = mac_at(1);
    assert_eq!(
        keyring.hmac(b"x", sha, &Options::new().key_version(9)),
        Err(Error::KeyVersionDoesNotExist { latest: 3 })
    );
    assert_eq!(
        keyring.verify_hmac(b"x", "v1:AAAA", sha),
        Err(Error::HmacNoPrefix)
    );
    assert_eq!(
        keyring.verify_hmac(b"x", "vault:v9:AAAA", sha),
        Err(Error::HmacVersionTooNew)
    );
    assert_eq!(
        Error::HmacVersionTooNew.to_string(),
        "invalid HMAC: version is too new"
    );
    keyring.set_min_encryption_version(2).unwrap();
    assert_eq!(
        keyring.hmac(b"x", sha, &Options::new().key_version(1)),
        Err(Error::HmacVersionTooOld)
    );
    keyring.set_min_decryption_version(2).unwrap();
    assert_eq!(
        keyring.verify_hmac(b"x", &v1, sha),
        Err(Error::HmacVerifyVersionTooOld)
    );
}

#[test]
fn hmac_sees_a_version_another_handle_made() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let mine = store.create("ci-env", KeyType::Chacha20Poly1305).unwrap();
    let theirs = store.load("ci-env").unwrap();
    theirs.rotate().unwrap();
    let sha = HashAlgorithm::Sha2_512;
    let mac = theirs.hmac(b"x", sha, &Options::new()).unwrap();
    assert_eq!(version_of(&mac), 2);
    assert!(mine.verify_hmac(b"x", &mac, sha).unwrap()); // reloads once
    let mine_v2 = open(dir.path()).load("ci-env").unwrap();
    let other = store.load("ci-env").unwrap();
    other.rotate().unwrap();
    let by_version = mine_v2.hmac(b"x", sha, &Options::new().key_version(3));
    assert_eq!(version_of(&by_version.unwrap()), 3);
}

#[test]
fn datakey_ciphertext_decrypts_to_the_key_through_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let keyring = store.create("ci-env", KeyType::Aes256Gcm96).unwrap();
    for (bits, len) in [(128, 16), (256, 32), (512, 64)] {
        let datakey = keyring.datakey(bits, &Options::new()).unwrap();
        assert_eq!(datakey.key_version(), 1);
        assert_eq!(datakey.plaintext().expose_secret().len(), len);
        let reloaded = open(dir.path()).load("ci-env").unwrap();
        let raw = reloaded.decrypt(datakey.ciphertext()).unwrap();
        assert_eq!(&*raw, datakey.plaintext().expose_secret());
    }
    let wrapped = keyring.wrapped_datakey(256, &Options::new()).unwrap();
    assert_eq!(keyring.decrypt(wrapped.ciphertext()).unwrap().len(), 32);
    assert_eq!(
        keyring.datakey(64, &Options::new()).unwrap_err(),
        Error::InvalidBitLength
    );
    assert_eq!(counts(&keyring), [(1, 4)]); // three data keys and one wrapped; not the 64
}

#[test]
fn datakey_on_a_derived_keyring_needs_its_context() {
    let dir = tempfile::tempdir().unwrap();
    let keyring = open(dir.path())
        .insert(
            Keyring::builder("per-project")
                .derived(Kdf::HkdfSha256)
                .generate()
                .unwrap(),
        )
        .unwrap();
    let opts = Options::new().context(b"project/42");
    let datakey = keyring.datakey(256, &opts).unwrap();
    let raw = keyring.decrypt_with(datakey.ciphertext(), &opts).unwrap();
    assert_eq!(&*raw, datakey.plaintext().expose_secret());
    assert_eq!(
        keyring.datakey(256, &Options::new()).unwrap_err(),
        Error::MissingContext
    );
}

#[test]
fn datakey_and_batches_count_exactly_their_encryptions() {
    let dir = tempfile::tempdir().unwrap();
    let keyring = open(dir.path())
        .create("ci-env", KeyType::Aes256Gcm96)
        .unwrap();
    keyring.encrypt(b"x").unwrap();
    assert_eq!(total(&keyring), 1);
    keyring.datakey(256, &Options::new()).unwrap();
    assert_eq!(total(&keyring), 2);
    keyring.wrapped_datakey(128, &Options::new()).unwrap();
    assert_eq!(total(&keyring), 3);
    // 40 items: past the batch's parallel threshold.
    let plaintexts: Vec<Vec<u8>> = (0..40_u8).map(|i| vec![i; 3]).collect();
    let items: Vec<EncryptItem<'_>> = plaintexts
        .iter()
        .map(|p| EncryptItem {
            plaintext: p,
            ..EncryptItem::default()
        })
        .collect();
    let encrypted = keyring.encrypt_batch(&items).unwrap();
    assert_eq!(total(&keyring), 43);
    let cts: Vec<String> = encrypted
        .into_iter()
        .map(|r| r.result.unwrap().ciphertext)
        .collect();
    let ct_items: Vec<CiphertextItem<'_>> = cts
        .iter()
        .map(|c| CiphertextItem {
            ciphertext: c,
            ..CiphertextItem::default()
        })
        .collect();
    keyring.decrypt_batch(&ct_items).unwrap();
    keyring
        .hmac(b"x", HashAlgorithm::Sha2_256, &Options::new())
        .unwrap();
    assert_eq!(total(&keyring), 43); // decryption and HMAC are free
    keyring.rotate().unwrap();
    keyring.rewrap_batch(&ct_items).unwrap();
    assert_eq!(counts(&keyring), [(1, 43), (2, 40)]);
}

#[test]
fn batches_keep_order_and_references() {
    let dir = tempfile::tempdir().unwrap();
    let keyring = open(dir.path())
        .create("ci-env", KeyType::Chacha20Poly1305)
        .unwrap();
    let plaintexts: Vec<Vec<u8>> = (0..50_u8).map(|i| vec![i; usize::from(i)]).collect();
    let references: Vec<String> = (0..50).map(|i| format!("ref-{i}")).collect();
    let items: Vec<EncryptItem<'_>> = plaintexts
        .iter()
        .zip(&references)
        .enumerate()
        .map(|(i, (p, r))| EncryptItem {
            plaintext: p,
            key_version: if i == 7 { 9 } else { 0 }, // one item fails alone
            reference: r,
            ..EncryptItem::default()
        })
        .collect();
    let encrypted = keyring.encrypt_batch(&items).unwrap();
    assert_eq!(
        encrypted[7].result.as_ref().unwrap_err(),
        &Error::EncryptVersionTooNew
    );
    assert_eq!(total(&keyring), 49);
    let cts: Vec<String> = encrypted
        .iter()
        .map(|r| match &r.result {
            Ok(e) => e.ciphertext.clone(),
            Err(_) => "garbage".to_owned(),
        })
        .collect();
    let ct_items: Vec<CiphertextItem<'_>> = cts
        .iter()
        .zip(&references)
        .map(|(c, r)| CiphertextItem {
            ciphertext: c,
            reference: r,
            ..CiphertextItem::default()
        })
        .collect();
    let decrypted = keyring.decrypt_batch(&ct_items).unwrap();
    keyring.rotate().unwrap();
    let rewrapped = keyring.rewrap_batch(&ct_items).unwrap();
    for (i, ((enc, dec), re)) in encrypted.iter().zip(&decrypted).zip(&rewrapped).enumerate() {
        assert_eq!(enc.reference, references[i]);
        assert_eq!(dec.reference, references[i]);
        assert_eq!(re.reference, references[i]);
        if i == 7 {
            assert_eq!(dec.result.as_ref().unwrap_err(), &Error::NoPrefix);
            assert!(re.result.is_err());
            continue;
        }
        assert_eq!(&**dec.result.as_ref().unwrap(), plaintexts[i].as_slice());
        let re = re.result.as_ref().unwrap();
        assert_eq!((re.key_version, version_of(&re.ciphertext)), (2, 2));
        assert_eq!(&*keyring.decrypt(&re.ciphertext).unwrap(), plaintexts[i]);
    }
    assert_eq!(counts(&keyring), [(1, 49), (2, 49)]); // the failed rewrap is not counted
}

#[test]
fn batches_refuse_empty_input_and_mixed_contexts() {
    let dir = tempfile::tempdir().unwrap();
    let keyring = open(dir.path())
        .create("ci-env", KeyType::Aes256Gcm96)
        .unwrap();
    assert_eq!(
        keyring.encrypt_batch(&[]).unwrap_err(),
        Error::MissingBatchInput
    );
    assert_eq!(
        keyring.decrypt_batch(&[]).unwrap_err(),
        Error::MissingBatchInput
    );
    let mixed = [
        EncryptItem {
            context: b"a",
            ..EncryptItem::default()
        },
        EncryptItem::default(),
    ];
    assert_eq!(
        keyring.encrypt_batch(&mixed).unwrap_err(),
        Error::ContextAllOrNone
    );
    let mixed = [
        CiphertextItem {
            context: b"a",
            ..CiphertextItem::default()
        },
        CiphertextItem::default(),
    ];
    assert_eq!(
        keyring.rewrap_batch(&mixed).unwrap_err(),
        Error::ContextAllOrNone
    );
    assert_eq!(total(&keyring), 0);
}

#[test]
fn batch_rotates_before_any_version_passes_its_limit() {
    for n in [10_u8, 40] {
        let dir = tempfile::tempdir().unwrap();
        let keyring = open(dir.path())
            .create("ci-env", KeyType::Aes256Gcm96)
            .unwrap();
        keyring.set_usage_limit(4).unwrap();
        let plaintexts: Vec<[u8; 1]> = (0..n).map(|i| [i]).collect();
        let items: Vec<EncryptItem<'_>> = plaintexts
            .iter()
            .map(|p| EncryptItem {
                plaintext: p,
                ..EncryptItem::default()
            })
            .collect();
        let results = keyring.encrypt_batch(&items).unwrap();
        let mut per_version = std::collections::BTreeMap::<u32, u64>::new();
        for (r, p) in results.iter().zip(&plaintexts) {
            let e = r.result.as_ref().unwrap();
            assert_eq!(e.key_version, version_of(&e.ciphertext));
            assert_eq!(&*keyring.decrypt(&e.ciphertext).unwrap(), p);
            *per_version.entry(e.key_version).or_default() += 1;
        }
        let counted = counts(&keyring);
        assert!(counted.iter().all(|(_, c)| *c <= 4), "{counted:?}");
        assert!(per_version.values().all(|c| *c <= 4), "{per_version:?}");
        assert_eq!(total(&keyring), u64::from(n));
        // Each version's count covers the ciphertexts it made.
        for (v, made) in &per_version {
            let c = counted.iter().find(|(cv, _)| cv == v).unwrap().1;
            assert!(c >= *made, "v{v}: counted {c}, made {made}");
        }
        let min_versions = u32::from(n).div_ceil(4);
        assert!(keyring.latest_version() >= min_versions, "{counted:?}");
    }
}
