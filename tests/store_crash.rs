//! Crash safety of the store under SIGKILL: a child process loops rotating and encrypting
//! (usage limit 16, so reservations and usage rotations are frequent), logging every
//! ciphertext it got back with an fsync. The parent kills it at random moments, then
//! checks that every logged ciphertext decrypts, that no version is missing, that no key is
//! reused, and that no version encrypted more than its limit.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::version_of;
use std::collections::BTreeMap;
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use transit_keyring::{Error, Keyring, RootKey, Store, StoredKeyring};

const TRIALS: usize = 60;
const USAGE_LIMIT: u64 = 16;
const ROOT_KEY_B64: &str = "QkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkI="; // 32 × 0x42
const NAME: &str = "crash";

/// Loads the keyring, creating it on the first run (a run killed mid-create leaves none).
fn load_or_create(store: &Store) -> StoredKeyring {
    match store.load(NAME) {
        Ok(keyring) => keyring,
        Err(Error::KeyringNotFound { .. }) => store
            .insert(Keyring::builder(NAME).exportable(true).generate().unwrap())
            .unwrap(),
        Err(e) => panic!("load after a crash: {e}"),
    }
}

/// The child: rotate or encrypt until killed (or, as a safety net, for 20 seconds).
#[test]
fn crash_child() {
    let (Ok(dir), Ok(log)) = (std::env::var("TK_CRASH_DIR"), std::env::var("TK_CRASH_LOG")) else {
        return; // run directly by `cargo test`: nothing to do
    };
    let store = Store::open(&dir, RootKey::from_env("TK_CRASH_ROOT_KEY").unwrap()).unwrap();
    let keyring = load_or_create(&store);
    keyring.set_usage_limit(USAGE_LIMIT).unwrap();
    let mut log = OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .unwrap();
    let start = Instant::now();
    for i in 0u64.. {
        if start.elapsed() > Duration::from_secs(20) {
            break;
        }
        if i % 25 == 24 {
            keyring.rotate().unwrap();
            continue;
        }
        let plaintext = format!("{}-{i}", std::process::id());
        let ciphertext = keyring.encrypt(plaintext.as_bytes()).unwrap();
        log.write_all(format!("{plaintext} {ciphertext}\n").as_bytes())
            .unwrap();
        log.sync_data().unwrap();
    }
}

/// A small xorshift generator seeded from the clock: kill times differ between runs.
struct Jitter(u64);

impl Jitter {
    fn next_ms(&mut self, low: u64, high: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        low + self.0 % (high - low)
    }
}

/// Every complete log line as (plaintext, ciphertext); a line cut by the kill is skipped.
fn logged(log: &Path) -> Vec<(String, String)> {
    let text = fs::read_to_string(log).unwrap_or_default();
    let complete = text.rsplit_once('\n').map_or("", |(lines, _)| lines);
    complete
        .lines()
        .map(|line| {
            let (p, c) = line.split_once(' ').unwrap();
            (p.to_owned(), c.to_owned())
        })
        .collect()
}

fn has_temp_file(dir: &Path) -> bool {
    fs::read_dir(dir).into_iter().flatten().flatten().any(|e| {
        e.file_name()
            .to_str()
            .is_some_and(|n| n.starts_with(".tmp-") && n.ends_with(".tmp"))
    })
}

/// Checks the store after a crash; returns its latest version.
fn check_after_crash(dir: &Path, log: &Path, previous_latest: u32, trial: usize) -> u32 {
    let store = Store::open(dir, RootKey::from_base64(ROOT_KEY_B64).unwrap()).unwrap();
    let lines = logged(log);
    let keyring = match store.load(NAME) {
        Ok(keyring) => keyring,
        Err(Error::KeyringNotFound { .. }) if lines.is_empty() => return 0,
        Err(e) => panic!("trial {trial}: {e}"),
    };
    let meta = keyring.metadata().unwrap();
    let latest = meta.latest_version;
    assert!(
        latest >= previous_latest,
        "trial {trial}: latest went from {previous_latest} to {latest}"
    );
    let versions: Vec<u32> = meta.versions.keys().copied().collect();
    assert_eq!(
        versions,
        (1..=latest).collect::<Vec<_>>(),
        "trial {trial}: a version is missing"
    );
    let keys = common::distinct_exported_keys(&keyring.to_vault_export().unwrap());
    assert_eq!(
        keys.len(),
        versions.len(),
        "trial {trial}: a key was reused"
    );
    let mut per_version: BTreeMap<u32, u64> = BTreeMap::new();
    for (plaintext, ciphertext) in &lines {
        let version = version_of(ciphertext);
        assert!(
            version <= latest,
            "trial {trial}: {ciphertext} is from a lost version"
        );
        let decrypted = keyring
            .decrypt(ciphertext)
            .unwrap_or_else(|e| panic!("trial {trial}: {e}"));
        assert_eq!(&*decrypted, plaintext.as_bytes(), "trial {trial}");
        *per_version.entry(version).or_default() += 1;
    }
    for (version, count) in &per_version {
        assert!(
            *count <= USAGE_LIMIT,
            "trial {trial}: v{version} encrypted {count} times"
        );
        assert!(
            meta.versions[version].encryptions >= *count,
            "trial {trial}: v{version} under-counted"
        );
    }
    latest
}

#[test]
fn sigkill_at_random_moments_loses_no_version() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("ciphertexts.log");
    let store_dir = dir.path().join("store");
    let seed = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let mut jitter = Jitter(u64::try_from(seed % u128::from(u64::MAX)).unwrap() | 1);
    let mut latest = 0;
    // Kills that left a temporary file landed inside a write (a few per run; not asserted,
    // as a run with none is possible).
    let mut mid_write = 0;
    for trial in 0..TRIALS {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "crash_child", "--test-threads=1", "--quiet"])
            .env("TK_CRASH_DIR", &store_dir)
            .env("TK_CRASH_LOG", &log)
            .env("TK_CRASH_ROOT_KEY", ROOT_KEY_B64)
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(jitter.next_ms(20, 300)));
        child.kill().unwrap(); // SIGKILL on Unix
        let status = child.wait().unwrap();
        // Killed by our SIGKILL, not ended by a panic of its own.
        assert_eq!(status.signal(), Some(9), "trial {trial}: child {status}");
        mid_write += usize::from(has_temp_file(&store_dir));
        latest = check_after_crash(&store_dir, &log, latest, trial);
    }
    let lines = logged(&log).len();
    assert!(
        lines > TRIALS && latest > 10,
        "too little happened: {lines} ciphertexts, v{latest}, {mid_write} kills inside a write"
    );
}
