//! The main job: keep a CI project's environment variables encrypted in the embedded store.
//!
//! ```text
//! cargo run --example quickstart
//! ```
//!
//! The store is a local directory (here `target/quickstart/store`, or `$TRANSIT_KEYRING_STORE`).
//! Its files are sealed under a 256-bit root key that never goes into that directory:
//! - if `TRANSIT_KEYRING_ROOT_KEY` is set (base64 of 32 random bytes, e.g. from
//!   `openssl rand -base64 32`, as a CI system passes secrets), that is the root key;
//! - otherwise a key file is generated once, with mode 0600, *beside* the store
//!   (`target/quickstart/root.key`); in production keep it on another volume or wrap it
//!   with a KMS through `RootKeyProvider`.
//!
//! Run it twice: the second run finds the keyring and decrypts what the first stored.
#![allow(clippy::print_stdout)]

use std::path::{Path, PathBuf};

use transit_keyring::{Error, KeyType, Options, RootKey, Store, StoredKeyring};

fn io_error(path: &Path) -> impl Fn(std::io::Error) -> Error + '_ {
    move |e| Error::StoreIo {
        path: path.to_path_buf(),
        kind: e.kind(),
    }
}

/// The root key: from the environment, else from (or into) a 0600 file beside the store.
fn root_key(base: &Path) -> Result<RootKey, Error> {
    match RootKey::from_env("TRANSIT_KEYRING_ROOT_KEY") {
        Err(Error::RootKeyNotSet { .. }) => {}
        other => return other, // set: use it, or report that it is not 32 bytes of base64
    }
    let key_file = base.join("root.key");
    if key_file.exists() {
        return RootKey::from_key_file(&key_file);
    }
    let mut key = RootKey::generate()?;
    key.write_key_file(&key_file)?;
    println!("generated root key file {} (mode 0600)", key_file.display());
    Ok(key)
}

fn load_or_create(store: &Store, name: &str) -> Result<StoredKeyring, Error> {
    match store.load(name) {
        Err(Error::KeyringNotFound { .. }) => store.create(name, KeyType::Aes256Gcm96),
        loaded => loaded,
    }
}

fn main() -> Result<(), Error> {
    let base = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/quickstart");
    let store_dir =
        std::env::var_os("TRANSIT_KEYRING_STORE").map_or(base.join("store"), PathBuf::from);
    std::fs::create_dir_all(&base).map_err(io_error(&base))?;

    let store = Store::open(&store_dir, root_key(&base)?)?;
    let keyring = load_or_create(&store, "ci-env")?;
    println!(
        "keyring ci-env at v{} in {}",
        keyring.latest_version(),
        store.dir().display()
    );

    // What the previous run stored still decrypts (the store kept every version).
    let saved = base.join("DATABASE_URL.ciphertext");
    if let Ok(previous) = std::fs::read_to_string(&saved) {
        let value = keyring.decrypt_with(previous.trim(), &bound(&binding("DATABASE_URL")))?;
        println!(
            "previous run's DATABASE_URL decrypts: {} bytes",
            value.len()
        );
    }

    // Bind each value to its project and variable with associated data: a ciphertext
    // copied to another project or variable will not decrypt there.
    let vars = [
        ("DATABASE_URL", "postgres://ci:hunter2@db/ci"),
        ("NPM_TOKEN", "npm_abc123"),
    ];
    let mut stored = Vec::new();
    for (name, value) in vars {
        let ciphertext = keyring.encrypt_with(value.as_bytes(), &bound(&binding(name)))?;
        println!("{name} = {ciphertext}");
        stored.push((name, ciphertext));
    }
    std::fs::write(&saved, &stored[0].1).map_err(io_error(&saved))?;

    let value = keyring.decrypt_with(&stored[1].1, &bound(&binding(stored[1].0)))?;
    println!("decrypted {}: {} bytes", stored[1].0, value.len()); // never print the value

    // Rotation is durable before it returns; old ciphertexts keep working until rewrapped.
    let version = keyring.rotate()?;
    println!("rotated to v{version}");
    for (name, ciphertext) in &mut stored {
        *ciphertext = keyring.rewrap_with(ciphertext, &bound(&binding(name)))?;
        println!("{name} = {ciphertext}");
    }
    for (version, info) in &keyring.metadata()?.versions {
        // Crash-safe count: exact in one process, an upper bound across restarts.
        println!("v{version}: at most {} encryptions", info.encryptions);
    }
    Ok(())
}

/// The associated data that binds a value to project 42's variable `name`.
fn binding(name: &str) -> String {
    format!("project/42/{name}")
}

/// Options carrying that binding.
fn bound(binding: &str) -> Options<'_> {
    Options::new().associated_data(binding.as_bytes())
}
