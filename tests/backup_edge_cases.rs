//! Backup documents at the edges: times Go cannot write, version numbers far from the keys
//! held, archives that are missing, and Go's base64 quirks. None may panic, hang or misplace
//! a key.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant, SystemTime};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};
use transit_keyring::{Error, HashAlgorithm, Keyring, Options};

fn backupable() -> Keyring {
    Keyring::builder("edge")
        .exportable(true)
        .allow_plaintext_backup(true)
        .generate()
        .unwrap()
}

fn document(keyring: &Keyring) -> Value {
    serde_json::from_slice(&STANDARD.decode(keyring.to_vault_backup().unwrap()).unwrap()).unwrap()
}

fn blob(doc: &Value) -> String {
    STANDARD.encode(format!("{doc}\n"))
}

#[test]
fn times_outside_years_0000_to_9999_are_refused_not_panics() {
    let mut keyring = backupable();
    let far_future = SystemTime::UNIX_EPOCH + Duration::from_secs(400_000_000_000);
    let far_past = SystemTime::UNIX_EPOCH - Duration::from_secs(70_000_000_000);
    for t in [far_future, far_past] {
        assert_eq!(keyring.rotate_at(t), Err(Error::InvalidTime));
        assert_eq!(
            Keyring::builder("t").generate_at(t).unwrap_err(),
            Error::InvalidTime
        );
    }
    assert_eq!(
        keyring.latest_version(),
        1,
        "a refused rotation adds nothing"
    );
    keyring.to_vault_backup().unwrap();

    // A document with no RFC 3339 time and an absurd Unix time is refused too.
    let mut doc = document(&keyring);
    for pointer in ["/policy/keys/1", "/archived_keys/keys/1"] {
        let slot = doc.pointer_mut(pointer).unwrap();
        slot["time"] = json!("");
        slot["creation_time"] = json!(i64::MAX);
    }
    assert_eq!(
        Keyring::from_vault_backup(&blob(&doc)).unwrap_err(),
        Error::InvalidTime
    );
}

#[test]
fn huge_version_numbers_with_few_keys_fail_fast() {
    let keyring = backupable();
    let mut doc = document(&keyring);
    let entry = doc["policy"]["keys"]["1"].clone();
    doc["policy"]["latest_version"] = json!(u32::MAX);
    doc["policy"]["min_decryption_version"] = json!(u32::MAX);
    doc["policy"]["keys"] = json!({ u32::MAX.to_string(): entry });
    doc["archived_keys"] = Value::Null;
    let started = Instant::now();
    let restored = Keyring::from_vault_backup(&blob(&doc)).unwrap();
    assert_eq!(restored.versions(), vec![u32::MAX]);
    assert_eq!(restored.min_available_version(), u32::MAX);
    // And a working set that lacks keys is refused without walking 4 billion versions.
    doc["policy"]["min_decryption_version"] = json!(1);
    let err = Keyring::from_vault_backup(&blob(&doc)).unwrap_err();
    assert!(matches!(err, Error::InvalidDocument(_)), "{err:?}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
}

#[test]
fn backup_without_archive_keeps_every_key_at_its_version() {
    let mut keyring = backupable();
    for _ in 0..3 {
        keyring.rotate().unwrap();
    }
    let v3 = keyring
        .encrypt_with(b"three", &Options::new().key_version(3))
        .unwrap();
    let v4 = keyring.encrypt(b"four").unwrap();
    keyring.set_min_decryption_version(3).unwrap();
    // Vault's policy alone (working set 3..=4), as from a store that lost its archive.
    let mut doc = document(&keyring);
    doc["archived_keys"] = Value::Null;
    let once = Keyring::from_vault_backup(&blob(&doc)).unwrap();
    assert_eq!(once.versions(), vec![3, 4]);
    assert_eq!(
        once.min_available_version(),
        3,
        "missing history counts as trimmed"
    );
    // Twice round the loop: the archive we write must put v3 and v4 in their own slots.
    let twice = Keyring::from_vault_backup(&once.to_vault_backup().unwrap()).unwrap();
    assert_eq!(twice.versions(), vec![3, 4]);
    assert_eq!(&*twice.decrypt(&v3).unwrap(), b"three");
    assert_eq!(&*twice.decrypt(&v4).unwrap(), b"four");
    let relabelled = v3.replacen("vault:v3:", "vault:v4:", 1);
    assert!(matches!(
        twice.decrypt(&relabelled),
        Err(Error::Decrypt { .. })
    ));
    let mut lowered = twice;
    assert_eq!(
        lowered.set_min_decryption_version(1),
        Err(Error::MinEncryptionBelowMinAvailable) // Vault checks min_encryption first
    );
}

#[test]
fn go_base64_line_breaks_are_accepted_in_hmacs_and_backups() {
    let keyring = backupable();
    let mac = keyring
        .hmac(b"input", HashAlgorithm::Sha2_256, &Options::new())
        .unwrap();
    let (head, tail) = mac.split_at(mac.len() - 8);
    let wrapped = format!("{head}\r\n{tail}");
    assert!(
        keyring
            .verify_hmac(b"input", &wrapped, HashAlgorithm::Sha2_256)
            .unwrap()
    );

    let backup = keyring.to_vault_backup().unwrap();
    let folded: String = backup
        .as_bytes()
        .chunks(76)
        .map(|line| format!("{}\n", std::str::from_utf8(line).unwrap()))
        .collect();
    let restored = Keyring::from_vault_backup(&folded).unwrap();
    assert_eq!(
        &*restored.decrypt(&keyring.encrypt(b"x").unwrap()).unwrap(),
        b"x"
    );
}
