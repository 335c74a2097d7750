//! What the store must never lose or miscount: usage counts when a keyring is deleted and
//! stored again, and a keyring's readability when asked to record a time Vault's JSON
//! cannot hold.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::time::{Duration, SystemTime};

use transit_keyring::{Error, KeyType, Keyring, RootKey, Store};

fn open(dir: &Path) -> Store {
    Store::open(dir, RootKey::from_bytes(&[0x24; 32]).unwrap()).unwrap()
}

/// A Vault backup blob, so the same keys (with the same creation times) can be stored twice.
fn backup_blob() -> String {
    Keyring::builder("ci-env")
        .exportable(true)
        .allow_plaintext_backup(true)
        .generate()
        .unwrap()
        .to_vault_backup()
        .unwrap()
}

#[test]
fn a_keyring_deleted_and_inserted_again_counts_old_handles_encryptions() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let blob = backup_blob();
    let old = store
        .insert(Keyring::from_vault_backup(&blob).unwrap())
        .unwrap();
    old.encrypt(b"x").unwrap(); // reserves a block of v1 in the first keyring file
    old.set_deletion_allowed(true).unwrap();
    store.delete("ci-env").unwrap();
    // The same keys and creation times again: a new stored keyring, whose counts start at 0.
    store
        .insert(Keyring::from_vault_backup(&blob).unwrap())
        .unwrap();
    assert_eq!(
        store.load("ci-env").unwrap().metadata().unwrap().versions[&1].encryptions,
        0
    );
    old.reload().unwrap();
    for _ in 0..10 {
        assert!(old.encrypt(b"x").unwrap().starts_with("vault:v1:"));
    }
    // The old handle's earlier block was counted in the deleted file; these ten must be
    // counted in the new one.
    assert_eq!(old.metadata().unwrap().versions[&1].encryptions, 10);
    let stored = store.load("ci-env").unwrap().metadata().unwrap();
    assert!(stored.versions[&1].encryptions >= 10);
}

#[test]
fn a_time_outside_years_0000_to_9999_is_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let keyring = open(dir.path())
        .create("ci-env", KeyType::Aes256Gcm96)
        .unwrap();
    keyring
        .set_auto_rotate_period(Duration::from_secs(3600))
        .unwrap();
    let ciphertext = keyring.encrypt(b"hunter2").unwrap();
    let file = dir.path().join("ci-env.keyring");
    let before = std::fs::read(&file).unwrap();
    // 0000-01-01T00:00:00Z is -62167219200 s, 10000-01-01T00:00:00Z is 253402300800 s.
    let before_year_0 = SystemTime::UNIX_EPOCH - Duration::from_secs(62_167_219_201);
    let after_year_9999 = SystemTime::UNIX_EPOCH + Duration::from_secs(253_402_300_800);
    let far_future = SystemTime::UNIX_EPOCH + Duration::from_secs(1 << 50);
    for at in [before_year_0, after_year_9999, far_future] {
        assert_eq!(keyring.rotate_at(at).unwrap_err(), Error::InvalidTime);
    }
    for at in [after_year_9999, far_future] {
        assert_eq!(
            keyring.rotate_if_due_at(at).unwrap_err(),
            Error::InvalidTime
        );
    }
    assert_eq!(
        std::fs::read(&file).unwrap(),
        before,
        "the keyring file changed"
    );
    let reopened = open(dir.path()).load("ci-env").unwrap();
    assert_eq!(reopened.latest_version(), 1);
    assert_eq!(&*reopened.decrypt(&ciphertext).unwrap(), b"hunter2");
    let again = reopened.encrypt(b"x").unwrap();
    assert_eq!(&*keyring.decrypt(&again).unwrap(), b"x");
}

#[test]
fn the_first_and_last_seconds_of_years_0000_to_9999_are_stored_and_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let keyring = open(dir.path())
        .create("ci-env", KeyType::Aes256Gcm96)
        .unwrap();
    let first = SystemTime::UNIX_EPOCH - Duration::from_secs(62_167_219_200);
    let last = SystemTime::UNIX_EPOCH + Duration::from_secs(253_402_300_799);
    assert_eq!(keyring.rotate_at(first).unwrap(), 2);
    assert_eq!(keyring.rotate_at(last).unwrap(), 3);
    let reopened = open(dir.path()).load("ci-env").unwrap();
    let versions = reopened.metadata().unwrap().versions;
    assert_eq!(versions[&2].creation_time, first);
    assert_eq!(versions[&3].creation_time, last);
}
