//! The sealed store through its public API: keyrings survive reopening, every change is
//! durable and applied to the stored state, usage limits and auto-rotation, and several
//! threads and processes on one directory.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::version_of;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, SystemTime};

use transit_keyring::{Error, KeyType, Keyring, Options, RootKey, Store};

const KEY: [u8; 32] = [0x42; 32];

fn open(dir: &Path) -> Store {
    Store::open(dir, RootKey::from_bytes(&KEY).unwrap()).unwrap()
}

#[test]
fn keyring_survives_reopening_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let ciphertext = open(dir.path())
        .create("ci-env", KeyType::Chacha20Poly1305)
        .unwrap();
    let ciphertext = ciphertext.encrypt(b"hunter2").unwrap();
    let store = open(dir.path());
    assert_eq!(store.list().unwrap(), ["ci-env"]);
    assert_eq!(
        &*store.load("ci-env").unwrap().decrypt(&ciphertext).unwrap(),
        b"hunter2"
    );
}

#[test]
fn create_load_and_delete_follow_vaults_rules() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let keyring = store.create("ci-env", KeyType::Aes256Gcm96).unwrap();
    let exists = Error::KeyringExists {
        name: "ci-env".into(),
    };
    assert_eq!(
        store.create("ci-env", KeyType::Aes256Gcm96).unwrap_err(),
        exists
    );
    assert_eq!(
        store.delete("ci-env").unwrap_err(),
        Error::DeletionNotAllowed
    );
    keyring.set_deletion_allowed(true).unwrap();
    store.delete("ci-env").unwrap();
    assert!(store.list().unwrap().is_empty());
    assert!(!dir.path().join("ci-env.keyring").exists());
    let missing = Error::KeyringNotFound {
        name: "ci-env".into(),
    };
    assert_eq!(store.load("ci-env").unwrap_err(), missing);
    assert_eq!(store.delete("ci-env").unwrap_err(), missing);
    // The name is free again, and the new keyring is a new one.
    assert_eq!(
        store
            .create("ci-env", KeyType::Aes256Gcm96)
            .unwrap()
            .latest_version(),
        1
    );
}

#[test]
fn names_outside_vaults_rule_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    for name in ["", "../x", "a/b", ".hidden", "manifest/"] {
        let err = store.create(name, KeyType::Aes256Gcm96).unwrap_err();
        assert_eq!(err, Error::InvalidKeyringName { name: name.into() });
    }
}

#[test]
fn configuration_is_durable() {
    let dir = tempfile::tempdir().unwrap();
    let keyring = open(dir.path())
        .create("ci-env", KeyType::Aes256Gcm96)
        .unwrap();
    for _ in 0..3 {
        keyring.rotate().unwrap();
    }
    keyring.set_min_decryption_version(2).unwrap();
    keyring.set_min_encryption_version(3).unwrap();
    keyring.trim(2).unwrap();
    keyring
        .set_auto_rotate_period(Duration::from_secs(86_400))
        .unwrap();
    keyring.set_usage_limit(1000).unwrap();
    keyring.set_exportable().unwrap();
    keyring.set_deletion_allowed(true).unwrap();
    let before = keyring.metadata().unwrap();
    let after = open(dir.path()).load("ci-env").unwrap().metadata().unwrap();
    assert_eq!(after, before);
    assert_eq!(
        (
            after.latest_version,
            after.min_decryption_version,
            after.min_encryption_version
        ),
        (4, 2, 3)
    );
    assert_eq!(
        after.versions.keys().copied().collect::<Vec<_>>(),
        [2, 3, 4]
    );
    assert_eq!(
        (after.usage_limit, after.exportable, after.deletion_allowed),
        (1000, true, true)
    );
    assert_eq!(after.auto_rotate_period, Duration::from_secs(86_400));
}

#[test]
fn a_handle_with_an_old_view_reloads_before_it_rotates() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let a = store.create("ci-env", KeyType::Aes256Gcm96).unwrap();
    let b = open(dir.path()).load("ci-env").unwrap();
    assert_eq!(a.rotate().unwrap(), 2);
    assert_eq!(b.rotate().unwrap(), 3);
    assert_eq!(a.rotate().unwrap(), 4);
    // b still knows only up to v3, but decrypts v4 by reloading.
    let v4 = a.encrypt(b"x").unwrap();
    assert_eq!(&*b.decrypt(&v4).unwrap(), b"x");
    assert_eq!(b.metadata().unwrap().versions.len(), 4);
}

#[test]
fn usage_limit_rotates_before_the_next_encryption() {
    let dir = tempfile::tempdir().unwrap();
    let keyring = open(dir.path())
        .create("ci-env", KeyType::Aes256Gcm96)
        .unwrap();
    keyring.set_usage_limit(10).unwrap();
    let ciphertexts: Vec<String> = (0..25).map(|i| keyring.encrypt(&[i]).unwrap()).collect();
    let versions: Vec<u32> = ciphertexts.iter().map(|c| version_of(c)).collect();
    assert_eq!(versions, [[1; 10].as_slice(), &[2; 10], &[3; 5]].concat());
    let counts: Vec<u64> = keyring
        .metadata()
        .unwrap()
        .versions
        .values()
        .map(|v| v.encryptions)
        .collect();
    assert_eq!(counts, [10, 10, 5]);
    for (i, c) in (0u8..).zip(&ciphertexts) {
        assert_eq!(*keyring.decrypt(c).unwrap(), [i]);
    }
    let used_up = Options::new().key_version(1);
    assert_eq!(
        keyring.encrypt_with(b"x", &used_up).unwrap_err(),
        Error::UsageLimitReached { version: 1 }
    );
}

#[test]
fn reservations_survive_a_restart_as_an_over_count() {
    let dir = tempfile::tempdir().unwrap();
    let keyring = open(dir.path())
        .create("ci-env", KeyType::Aes256Gcm96)
        .unwrap();
    keyring.set_usage_limit(640).unwrap(); // reserved in blocks of at most 640 / 64 = 10
    for _ in 0..3 {
        keyring.encrypt(b"x").unwrap();
    }
    drop(keyring); // as if the process died: its unused reservation is not returned
    let again = open(dir.path()).load("ci-env").unwrap();
    assert_eq!(again.metadata().unwrap().versions[&1].encryptions, 10);
    for _ in 10..640 {
        assert!(again.encrypt(b"y").unwrap().starts_with("vault:v1:"));
    }
    assert!(again.encrypt(b"z").unwrap().starts_with("vault:v2:"));
}

#[test]
fn default_usage_limit_is_two_pow_32_and_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let keyring = open(dir.path())
        .create("ci-env", KeyType::Aes256Gcm96)
        .unwrap();
    assert_eq!(keyring.metadata().unwrap().usage_limit, 1 << 32);
    assert_eq!(keyring.set_usage_limit(0).unwrap_err(), Error::UsageLimit);
    assert_eq!(
        keyring.set_usage_limit((1 << 32) + 1).unwrap_err(),
        Error::UsageLimit
    );
}

#[test]
fn an_overdue_keyring_rotates_before_encrypting() {
    let dir = tempfile::tempdir().unwrap();
    let two_hours_ago = SystemTime::now() - Duration::from_secs(7200);
    let mut keyring = Keyring::builder("ci-env")
        .generate_at(two_hours_ago)
        .unwrap();
    keyring
        .set_auto_rotate_period(Duration::from_secs(3600))
        .unwrap();
    let stored = open(dir.path()).insert(keyring).unwrap();
    assert!(stored.metadata().unwrap().next_rotation.unwrap() < SystemTime::now());
    assert!(stored.encrypt(b"x").unwrap().starts_with("vault:v2:"));
    let meta = open(dir.path()).load("ci-env").unwrap().metadata().unwrap();
    assert_eq!(meta.latest_version, 2);
    let created = meta.versions[&2].creation_time;
    assert_eq!(
        meta.next_rotation,
        Some(created + Duration::from_secs(3600))
    );
    assert_eq!(stored.rotate_if_due_at(created).unwrap(), None);
}

#[test]
fn threads_share_reservations_without_exceeding_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let keyring = store.create("ci-env", KeyType::Aes256Gcm96).unwrap();
    keyring.set_usage_limit(320).unwrap();
    let handles = [keyring.clone(), keyring, store.load("ci-env").unwrap()];
    let threads: Vec<_> = (0..6)
        .map(|t| {
            let handle = handles[t % 3].clone();
            std::thread::spawn(move || {
                (0..100u32)
                    .map(|i| (i, handle.encrypt(&i.to_be_bytes()).unwrap()))
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let results: Vec<(u32, String)> = threads
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    let reader = open(dir.path()).load("ci-env").unwrap();
    let mut per_version = std::collections::BTreeMap::new();
    for (i, ciphertext) in &results {
        assert_eq!(*reader.decrypt(ciphertext).unwrap(), i.to_be_bytes());
        *per_version.entry(version_of(ciphertext)).or_insert(0u64) += 1;
    }
    assert!(per_version.values().all(|&n| n <= 320), "{per_version:?}");
    assert!(per_version.len() >= 2, "{per_version:?}");
    let meta = reader.metadata().unwrap();
    assert_eq!(
        meta.versions.keys().copied().collect::<Vec<_>>(),
        (1..=meta.latest_version).collect::<Vec<_>>()
    );
}

/// Run by `two_processes_rotating_lose_no_version`, in a child process.
#[test]
fn rotate_child() {
    let Ok(dir) = std::env::var("TK_STORE_TEST_DIR") else {
        return;
    };
    let store = Store::open(&dir, RootKey::from_env("TK_STORE_TEST_ROOT_KEY").unwrap()).unwrap();
    // The first operation creates the keyring, or rotates if the other process was first:
    // each process adds exactly 100 versions either way.
    let builder = Keyring::builder("shared").exportable(true);
    let keyring = match store.insert(builder.generate().unwrap()) {
        Ok(keyring) => keyring,
        Err(Error::KeyringExists { .. }) => {
            let keyring = store.load("shared").unwrap();
            keyring.rotate().unwrap();
            keyring
        }
        Err(e) => panic!("{e}"),
    };
    for _ in 1..100 {
        keyring.rotate().unwrap();
    }
}

#[test]
fn two_processes_rotating_lose_no_version() {
    let dir = tempfile::tempdir().unwrap();
    let root_key = "QkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkI="; // base64 of KEY
    let children: Vec<_> = (0..2)
        .map(|_| {
            Command::new(std::env::current_exe().unwrap())
                .args(["--exact", "rotate_child", "--nocapture", "--test-threads=1"])
                .env("TK_STORE_TEST_DIR", dir.path())
                .env("TK_STORE_TEST_ROOT_KEY", root_key)
                .spawn()
                .unwrap()
        })
        .collect();
    for mut child in children {
        assert!(child.wait().unwrap().success());
    }
    let keyring = open(dir.path()).load("shared").unwrap();
    assert_eq!(keyring.latest_version(), 200);
    let keys = common::distinct_exported_keys(&keyring.to_vault_export().unwrap());
    assert_eq!(keys.len(), 200);
}

#[test]
fn a_handle_sees_another_process_rotation_within_a_second() {
    let dir = tempfile::tempdir().unwrap();
    let a = open(dir.path())
        .create("ci-env", KeyType::Aes256Gcm96)
        .unwrap();
    assert!(a.encrypt(b"x").unwrap().starts_with("vault:v1:"));
    open(dir.path()).load("ci-env").unwrap().rotate().unwrap();
    std::thread::sleep(Duration::from_millis(1100));
    assert!(a.encrypt(b"x").unwrap().starts_with("vault:v2:"));
}

#[test]
fn trim_waits_until_no_process_can_still_encrypt_with_a_retired_version() {
    let dir = tempfile::tempdir().unwrap();
    let a = open(dir.path())
        .create("ci-env", KeyType::Aes256Gcm96)
        .unwrap();
    let encrypting = std::thread::spawn(move || {
        let start = std::time::Instant::now();
        let mut made = Vec::new();
        while start.elapsed() < Duration::from_secs(5) {
            made.push((a.encrypt(b"x").unwrap(), std::time::Instant::now()));
            std::thread::sleep(Duration::from_millis(5));
        }
        made
    });
    std::thread::sleep(Duration::from_millis(300));
    let b = open(dir.path()).load("ci-env").unwrap();
    let v2 = b.rotate().unwrap();
    b.set_min_decryption_version(v2).unwrap();
    b.set_min_encryption_version(v2).unwrap();
    let raised = std::time::Instant::now();
    b.trim(v2).unwrap();
    let trimmed = std::time::Instant::now();
    assert!(
        trimmed - raised >= Duration::from_millis(2900),
        "trim did not wait"
    );
    let made = encrypting.join().unwrap();
    // The other process stops using v1 within a second of the raise (two, for a slow
    // machine): long before the trim.
    for (ciphertext, at) in &made {
        if *at > raised + Duration::from_secs(2) {
            assert_eq!(&*b.decrypt(ciphertext).unwrap(), b"x");
        }
    }
    assert!(made.iter().any(|(c, _)| c.starts_with("vault:v1:")));
    assert!(
        made.iter()
            .any(|(c, at)| c.starts_with("vault:v2:") && *at > trimmed)
    );
}

#[test]
fn another_process_raising_min_decryption_version_is_enforced_within_a_second() {
    let dir = tempfile::tempdir().unwrap();
    let a = open(dir.path())
        .create("ci-env", KeyType::Aes256Gcm96)
        .unwrap();
    let v1 = a.encrypt(b"x").unwrap();
    let b = open(dir.path()).load("ci-env").unwrap();
    b.set_min_decryption_version(b.rotate().unwrap()).unwrap();
    std::thread::sleep(Duration::from_millis(1100));
    assert_eq!(a.decrypt(&v1).unwrap_err(), Error::VersionTooOld);
}

#[test]
fn a_lowered_usage_limit_ends_other_processes_reservations() {
    let dir = tempfile::tempdir().unwrap();
    let a = open(dir.path())
        .create("ci-env", KeyType::Aes256Gcm96)
        .unwrap();
    a.encrypt(b"x").unwrap(); // reserves a block of 4096 for v1
    open(dir.path())
        .load("ci-env")
        .unwrap()
        .set_usage_limit(100)
        .unwrap();
    std::thread::sleep(Duration::from_millis(1100));
    assert!(a.encrypt(b"x").unwrap().starts_with("vault:v2:"));
}
