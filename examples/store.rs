//! Keyrings that survive restarts, with no Vault server: the sealed store in a local
//! directory. Run it twice: the second run finds the keyring and the ciphertext of the first.
//!
//! ```text
//! cargo run --example store                   # root key in a generated 0600 key file
//! export TRANSIT_KEYRING_ROOT_KEY=$(openssl rand -base64 32)
//! cargo run --example store                   # root key from the environment
//! ```
//!
//! A store belongs to one root key (opening it with another is `Error::WrongRootKey`), so the
//! two ways use two store directories here.
#![allow(clippy::print_stdout)]

use std::path::{Path, PathBuf};

use transit_keyring::{Error, KeyType, RootKey, Store, StoredKeyring};

/// Where the root key comes from, in order of preference.
///
/// 1. The environment variable `TRANSIT_KEYRING_ROOT_KEY`: standard base64 of 32 random
///    bytes (`openssl rand -base64 32`). This is how a CI system passes a secret to a job.
/// 2. Otherwise a key file, generated on the first run with mode 0600 (only its owner may
///    read it; `RootKey::from_key_file` refuses anything looser). It lives *beside* the
///    store directory, never inside it: whoever can read the store must not find the key
///    there, and `Store::open` refuses a key file inside the directory it protects. In
///    production, put it on another volume, e.g. a secrets mount such as `/run/secrets`.
///
/// A third way, not shown: keep the key wrapped by a KMS or a Vault transit server and
/// unwrap it at start with `RootKey::from_wrapped(&wrapped, &provider)`.
fn root_key(base: &Path) -> Result<(RootKey, PathBuf), Error> {
    let key_file = base.join("root.key");
    let key = match RootKey::from_env("TRANSIT_KEYRING_ROOT_KEY") {
        Ok(key) => {
            println!("root key: from $TRANSIT_KEYRING_ROOT_KEY");
            return Ok((key, base.join("store-env")));
        }
        Err(Error::RootKeyNotSet { .. }) if key_file.exists() => {
            println!("root key: from {}", key_file.display());
            RootKey::from_key_file(&key_file)?
        }
        Err(Error::RootKeyNotSet { .. }) => {
            let mut key = RootKey::generate()?;
            key.write_key_file(&key_file)?;
            println!(
                "root key: generated into {} (mode 0600)",
                key_file.display()
            );
            key
        }
        Err(e) => return Err(e), // set but not 32 bytes of base64: say so, never guess
    };
    Ok((key, base.join("store")))
}

/// Loads the keyring, creating it on the first run. Any other error (a damaged, rolled
/// back or foreign file) is reported as it is: a store never replaces a key it cannot read.
fn load_or_create(store: &Store, name: &str) -> Result<StoredKeyring, Error> {
    match store.load(name) {
        Err(Error::KeyringNotFound { .. }) => {
            let keyring = store.create(name, KeyType::Aes256Gcm96)?;
            // Rotate after 1000 encryptions per version (default and maximum: 2^32).
            keyring.set_usage_limit(1000)?;
            println!("created keyring {name:?}");
            Ok(keyring)
        }
        loaded => loaded,
    }
}

fn main() -> Result<(), Error> {
    // Inside this checkout's target/: a fresh clone starts with a fresh store.
    let base = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/store-example");
    std::fs::create_dir_all(&base).map_err(|e| Error::StoreIo {
        path: base.clone(),
        kind: e.kind(),
    })?;
    let (root_key, store_dir) = root_key(&base)?;

    // Creates the directory (mode 0700) on the first run; checks the root key on every run.
    let store = Store::open(&store_dir, root_key)?;
    let keyring = load_or_create(&store, "ci-env")?;

    // The ciphertext of the previous run, if any, still decrypts.
    let saved = store_dir.with_extension("last-ciphertext.txt");
    if let Ok(previous) = std::fs::read_to_string(&saved) {
        let plaintext = keyring.decrypt(previous.trim())?;
        // Never print a secret, not even in an example: its length proves the point.
        println!("previous run's secret decrypts: {} bytes", plaintext.len());
    }

    let ciphertext = keyring.encrypt(b"db-password=hunter2")?;
    println!("encrypted: {ciphertext}");
    std::fs::write(&saved, &ciphertext).map_err(|e| Error::StoreIo {
        path: saved.clone(),
        kind: e.kind(),
    })?;

    // Every change is durable before it returns, and visible to other processes.
    let version = keyring.rotate()?;
    let rewrapped = keyring.rewrap(&ciphertext)?;
    println!("rotated to v{version}; rewrapped: {rewrapped}");

    let meta = keyring.metadata()?;
    println!("keyrings in {}: {:?}", store.dir().display(), store.list()?);
    println!("usage limit per version: {}", meta.usage_limit);
    for (version, info) in &meta.versions {
        println!("  v{version}: {} encryptions counted", info.encryptions);
    }
    Ok(())
}
