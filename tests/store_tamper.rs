//! The store's files as an attacker with write access to the directory sees them: every
//! flipped byte, swapped or renamed file, rolled-back file and foreign root key is an error
//! naming the file; damage never makes a new key; the root key never enters the directory.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use base64::Engine;
use transit_keyring::{Error, KeyType, Keyring, RootKey, Store};

const KEY: [u8; 32] = [0x42; 32];

fn root_key() -> RootKey {
    RootKey::from_bytes(&KEY).unwrap()
}

fn open(dir: &Path) -> Result<Store, Error> {
    Store::open(dir, root_key())
}

/// Opens the store and loads `name`: the first error on the way.
fn open_and_load(dir: &Path, name: &str) -> Error {
    open(dir).and_then(|s| s.load(name)).unwrap_err()
}

fn store_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| fs::metadata(p).unwrap().len() > 0) // the lock file is empty
        .collect();
    files.sort();
    files
}

#[test]
fn every_flipped_byte_of_every_store_file_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    open(dir.path())
        .unwrap()
        .create("ci-env", KeyType::Aes256Gcm96)
        .unwrap();
    let files = store_files(dir.path());
    assert_eq!(files.len(), 2, "{files:?}"); // ci-env.keyring, manifest
    for path in &files {
        let original = fs::read(path).unwrap();
        for i in 0..original.len() {
            let mut bad = original.clone();
            bad[i] ^= 0x80;
            fs::write(path, &bad).unwrap();
            let err = open_and_load(dir.path(), "ci-env");
            // Bytes 8..16 hold the root key's id: changing them names another key.
            let expected = if (8..16).contains(&i) {
                Error::WrongRootKey { path: path.clone() }
            } else {
                Error::StoreTampered { path: path.clone() }
            };
            assert_eq!(err, expected, "byte {i} of {}", path.display());
        }
        fs::write(path, &original).unwrap();
    }
    open(dir.path()).unwrap().load("ci-env").unwrap();
}

#[test]
fn a_keyring_file_rolled_back_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path()).unwrap();
    let keyring = store.create("ci-env", KeyType::Aes256Gcm96).unwrap();
    let path = store.dir().join("ci-env.keyring");
    let old = fs::read(&path).unwrap();
    keyring.rotate().unwrap();
    fs::write(&path, old).unwrap();
    // Generations: the new store's manifest is 1, the keyring was written at 2, rotated at 3.
    let rolled_back = Error::StoreRollback {
        path,
        found: 2,
        expected: 3,
    };
    assert_eq!(store.load("ci-env").unwrap_err(), rolled_back);
    assert_eq!(keyring.rotate().unwrap_err(), rolled_back);
    assert_eq!(open_and_load(dir.path(), "ci-env"), rolled_back);
}

#[test]
fn a_manifest_rolled_back_under_a_running_process_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path()).unwrap();
    let path = store.dir().join("manifest");
    let old = fs::read(&path).unwrap(); // generation 1: no keyrings
    store.create("ci-env", KeyType::Aes256Gcm96).unwrap();
    fs::write(&path, old).unwrap();
    assert_eq!(
        store.list().unwrap_err(),
        Error::StoreRollback {
            path,
            found: 1,
            expected: 2
        }
    );
}

#[test]
fn swapped_and_renamed_files_are_detected() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path()).unwrap();
    store.create("a", KeyType::Aes256Gcm96).unwrap();
    store.create("b", KeyType::Aes256Gcm96).unwrap();
    let (a, b) = (store.dir().join("a.keyring"), store.dir().join("b.keyring"));
    fs::copy(&b, &a).unwrap();
    assert_eq!(
        store.load("a").unwrap_err(),
        Error::StoreTampered { path: a.clone() }
    );
    fs::rename(&b, &a).unwrap(); // b's file under a's name, and b's file gone
    assert_eq!(
        store.load("a").unwrap_err(),
        Error::StoreTampered { path: a }
    );
    assert_eq!(
        store.load("b").unwrap_err(),
        Error::StoreFileMissing { path: b }
    );
}

#[test]
fn a_damaged_keyring_is_an_error_never_a_new_key() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path()).unwrap();
    store.create("ci-env", KeyType::Aes256Gcm96).unwrap();
    let path = store.dir().join("ci-env.keyring");
    fs::write(&path, b"").unwrap();
    assert_eq!(
        store.load("ci-env").unwrap_err(),
        Error::StoreTampered { path: path.clone() }
    );
    let exists = Error::KeyringExists {
        name: "ci-env".into(),
    };
    assert_eq!(
        store.create("ci-env", KeyType::Aes256Gcm96).unwrap_err(),
        exists
    );
    assert!(fs::read(&path).unwrap().is_empty());
}

#[test]
fn a_missing_manifest_beside_keyrings_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    open(dir.path())
        .unwrap()
        .create("ci-env", KeyType::Aes256Gcm96)
        .unwrap();
    let manifest = dir.path().canonicalize().unwrap().join("manifest");
    fs::remove_file(&manifest).unwrap();
    assert_eq!(
        open(dir.path()).unwrap_err(),
        Error::StoreFileMissing { path: manifest }
    );
}

#[test]
fn leftover_temporary_files_are_removed_at_open() {
    let dir = tempfile::tempdir().unwrap();
    open(dir.path()).unwrap();
    let temp = dir.path().join(".tmp-ci-env.keyring.0123456789abcdef.tmp");
    fs::write(&temp, b"half a write").unwrap();
    open(dir.path()).unwrap();
    assert!(!temp.exists());
}

#[test]
fn another_root_key_is_refused_naming_the_manifest() {
    let dir = tempfile::tempdir().unwrap();
    open(dir.path()).unwrap();
    let manifest = dir.path().canonicalize().unwrap().join("manifest");
    let err = Store::open(dir.path(), RootKey::generate().unwrap()).unwrap_err();
    assert_eq!(err, Error::WrongRootKey { path: manifest });
}

#[test]
fn root_key_rotation_reseals_every_file() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path()).unwrap();
    let stale = open(dir.path()).unwrap(); // another handle still on the old key
    let ciphertexts: Vec<String> = ["a", "b"]
        .iter()
        .map(|n| {
            store
                .create(n, KeyType::Aes256Gcm96)
                .unwrap()
                .encrypt(n.as_bytes())
                .unwrap()
        })
        .collect();
    let new_key = [0x17; 32];
    store
        .rotate_root_key(RootKey::from_bytes(&new_key).unwrap())
        .unwrap();
    let manifest = store.dir().join("manifest");
    assert_eq!(
        open(dir.path()).unwrap_err(),
        Error::WrongRootKey {
            path: manifest.clone()
        }
    );
    // A process still on the old key is refused, naming the file.
    let err = stale
        .rotate_root_key(RootKey::from_bytes(&new_key).unwrap())
        .unwrap_err();
    assert_eq!(err, Error::WrongRootKey { path: manifest });
    let reopened = Store::open(dir.path(), RootKey::from_bytes(&new_key).unwrap()).unwrap();
    for (name, ciphertext) in ["a", "b"].iter().zip(&ciphertexts) {
        assert_eq!(
            &*reopened.load(name).unwrap().decrypt(ciphertext).unwrap(),
            name.as_bytes()
        );
    }
    assert_eq!(
        &*store.load("a").unwrap().decrypt(&ciphertexts[0]).unwrap(),
        b"a"
    );
}

#[test]
fn the_root_key_is_never_written_into_the_store_directory() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path()).unwrap();
    let keyring = store.create("ci-env", KeyType::Aes256Gcm96).unwrap();
    keyring.encrypt(b"x").unwrap();
    keyring.rotate().unwrap();
    let new_key = [0x17; 32];
    store
        .rotate_root_key(RootKey::from_bytes(&new_key).unwrap())
        .unwrap();
    let b64 = base64::engine::general_purpose::STANDARD;
    for key in [KEY, new_key] {
        let needles = [
            key.to_vec(),
            b64.encode(key).into_bytes(),
            hex::encode(key).into_bytes(),
        ];
        for path in fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().path()) {
            let bytes = fs::read(&path).unwrap();
            for needle in &needles {
                assert!(
                    !bytes.windows(needle.len()).any(|w| w == needle.as_slice()),
                    "{path:?}"
                );
            }
        }
    }
}

#[test]
fn a_key_file_inside_the_store_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("root.key");
    RootKey::generate().unwrap().write_key_file(&path).unwrap();
    let err = Store::open(dir.path(), RootKey::from_key_file(&path).unwrap()).unwrap_err();
    assert_eq!(
        err,
        Error::RootKeyInStore {
            path: path.canonicalize().unwrap()
        }
    );
}

#[test]
fn a_key_file_others_can_read_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("root.key");
    let mut key = RootKey::generate().unwrap();
    key.write_key_file(&path).unwrap();
    assert_eq!(
        fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert_eq!(
        RootKey::from_key_file(&path).unwrap().expose_secret(),
        key.expose_secret()
    );
    fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
    let err = RootKey::from_key_file(&path).unwrap_err();
    assert_eq!(err, Error::RootKeyFileMode { path, mode: 0o644 });
}

#[test]
fn root_key_text_is_checked_and_never_echoed() {
    let err = RootKey::from_base64("c2hvcnQ=").unwrap_err();
    assert_eq!(
        err,
        Error::InvalidRootKey {
            origin: "base64 text".into()
        }
    );
    assert!(!err.to_string().contains("c2hvcnQ"));
    let unset = RootKey::from_env("TK_STORE_TEST_SURELY_UNSET").unwrap_err();
    assert_eq!(
        unset,
        Error::RootKeyNotSet {
            var: "TK_STORE_TEST_SURELY_UNSET".into()
        }
    );
}

#[test]
fn a_keyring_wraps_the_root_key_for_a_vault_transit_server() {
    let kms = Keyring::generate("root-key-wrapper", KeyType::Aes256Gcm96).unwrap();
    let root = root_key();
    let wrapped = root.wrap(&kms).unwrap();
    assert!(wrapped.starts_with("vault:v1:"));
    assert_eq!(
        RootKey::from_wrapped(&wrapped, &kms)
            .unwrap()
            .expose_secret(),
        &KEY
    );
}

#[test]
fn debug_output_has_no_key_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path()).unwrap();
    let keyring = store.create("ci-env", KeyType::Aes256Gcm96).unwrap();
    assert_eq!(format!("{:?}", root_key()), "RootKey([REDACTED])");
    let text = format!("{store:?} {keyring:?} {:?}", keyring.metadata().unwrap());
    assert!(
        text.contains("ci-env") && !text.contains("66, 66, 66"),
        "{text}"
    );
}

#[test]
fn a_root_key_rotation_cut_short_is_finished_by_rerunning_it() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path()).unwrap();
    let ciphertexts: Vec<String> = ["a", "b"]
        .iter()
        .map(|n| {
            store
                .create(n, KeyType::Aes256Gcm96)
                .unwrap()
                .encrypt(n.as_bytes())
                .unwrap()
        })
        .collect();
    // A copy of the directory as a crash after re-sealing only `a` would leave it.
    let crashed = tempfile::tempdir().unwrap();
    for name in ["manifest", "b.keyring"] {
        fs::copy(dir.path().join(name), crashed.path().join(name)).unwrap();
    }
    let new_key = [0x17; 32];
    store
        .rotate_root_key(RootKey::from_bytes(&new_key).unwrap())
        .unwrap();
    fs::copy(
        dir.path().join("a.keyring"),
        crashed.path().join("a.keyring"),
    )
    .unwrap();

    let half = open(crashed.path()).unwrap(); // the manifest is still under the old key
    let a = half.dir().join("a.keyring");
    assert_eq!(half.load("a").unwrap_err(), Error::WrongRootKey { path: a });
    half.rotate_root_key(RootKey::from_bytes(&new_key).unwrap())
        .unwrap();
    let done = Store::open(crashed.path(), RootKey::from_bytes(&new_key).unwrap()).unwrap();
    for (name, ciphertext) in ["a", "b"].iter().zip(&ciphertexts) {
        assert_eq!(
            &*done.load(name).unwrap().decrypt(ciphertext).unwrap(),
            name.as_bytes()
        );
    }
}

#[test]
fn a_keyring_file_from_another_store_with_the_same_root_key_is_detected() {
    let (one, two) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let first = open(one.path()).unwrap();
    first
        .create("ci-env", KeyType::Aes256Gcm96)
        .unwrap()
        .rotate()
        .unwrap();
    let second = open(two.path()).unwrap();
    second.create("ci-env", KeyType::Aes256Gcm96).unwrap();
    let path = second.dir().join("ci-env.keyring");
    fs::copy(first.dir().join("ci-env.keyring"), &path).unwrap();
    assert_eq!(
        second.load("ci-env").unwrap_err(),
        Error::StoreTampered { path }
    );
}
