//! Seals a 100 MB file into an envelope and opens it again, streaming both ways, then checks
//! the round trip by SHA-256 and prints the peak memory: it stays near a few segments, not
//! near the file size.
//!
//! Run: `cargo run --release --example envelope`
#![allow(clippy::print_stdout)]

use std::error::Error;
use std::fs::{self, File};
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use sha2::{Digest, Sha256};
use transit_keyring::{Envelope, KeyType, Keyring, Options};

const FILE_LEN: usize = 100_000_000;
const FILE_MB: f64 = 100.0;
const CHUNK: usize = 1 << 20;

fn main() -> Result<(), Box<dyn Error>> {
    let dir = TempDir::create()?;
    let (plain, sealed, opened) = (
        dir.join("cache.tar"),
        dir.join("cache.tar.env"),
        dir.join("cache.out"),
    );
    let original = write_test_file(&plain)?;

    let keyring = Keyring::generate("build-cache", KeyType::Aes256Gcm96)?;
    let opts = Options::new().associated_data(b"cache/linux-x86_64/v1");
    let start = Instant::now();
    let info = Envelope::seal(
        &keyring,
        &opts,
        File::open(&plain)?,
        BufWriter::new(File::create(&sealed)?),
    )?;
    let seal_time = start.elapsed();
    let start = Instant::now();
    Envelope::open(
        &keyring,
        &opts,
        File::open(&sealed)?,
        BufWriter::new(File::create(&opened)?),
    )?;
    let open_time = start.elapsed();

    let round_trip = hash_file(&opened)?;
    if round_trip != original {
        return Err("opened file differs from the original".into());
    }
    let mb = |seconds: f64| FILE_MB / seconds;
    println!(
        "sealed {} bytes into {} segments ({} bytes of envelope, key v{})",
        info.plaintext_len, info.segments, info.envelope_len, info.key_version
    );
    println!(
        "seal: {:.2?} ({:.0} MB/s)",
        seal_time,
        mb(seal_time.as_secs_f64())
    );
    println!(
        "open: {:.2?} ({:.0} MB/s)",
        open_time,
        mb(open_time.as_secs_f64())
    );
    println!("sha-256 of original and opened: {}", hex::encode(original));
    match peak_rss_kib() {
        Some(kib) => println!("peak RSS (VmHWM): {kib} KiB"),
        None => println!("peak RSS: unavailable"),
    }
    Ok(())
}

/// Writes `FILE_LEN` pseudo-random bytes to `path` a megabyte at a time; returns their hash.
fn write_test_file(path: &Path) -> Result<[u8; 32], Box<dyn Error>> {
    let mut out = BufWriter::new(File::create(path)?);
    let mut hasher = Sha256::new();
    let mut state = 0x9e37_79b9_7f4a_7c15_u64; // xorshift64: fast, and not compressible
    let mut chunk = vec![0u8; CHUNK];
    let mut left = FILE_LEN;
    while left > 0 {
        for word in chunk.chunks_mut(8) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            word.copy_from_slice(&state.to_le_bytes()[..word.len()]);
        }
        let n = left.min(CHUNK);
        out.write_all(&chunk[..n])?;
        hasher.update(&chunk[..n]);
        left -= n;
    }
    out.flush()?;
    Ok(hasher.finalize().into())
}

fn hash_file(path: &Path) -> Result<[u8; 32], Box<dyn Error>> {
    let mut file = File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; CHUNK];
    loop {
        match file.read(&mut buf)? {
            0 => return Ok(hasher.finalize().into()),
            n => hasher.update(&buf[..n]),
        }
    }
}

/// The process's peak resident set (`VmHWM`), where `/proc` has it (Linux).
fn peak_rss_kib() -> Option<u64> {
    let status = fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// A directory under the system temp dir, removed with everything in it when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn create() -> std::io::Result<Self> {
        let path =
            std::env::temp_dir().join(format!("transit-keyring-envelope-{}", std::process::id()));
        fs::create_dir_all(&path)?;
        Ok(Self(path))
    }

    fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}
