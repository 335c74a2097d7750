//! What the store must never lose or miscount: usage counts when a keyring is deleted and
//! stored again, and a keyring's readability when asked to record an impossible time.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use transit_keyring::{Keyring, RootKey, Store};

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
