//! Envelope seal and open against the bare AEAD over the same bytes in the same 64 KiB
//! chunks, in one group (read the ratio, not the absolute times: the machines are noisy).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::hint::black_box;
use std::io;

use aes_gcm::Aes256Gcm;
use aes_gcm::aead::Nonce;
use aes_gcm::aead::{Aead, KeyInit};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use transit_keyring::{Envelope, KeyType, Keyring, Options};

const SIZES: [usize; 2] = [1 << 20, 16 << 20];
const CHUNK: usize = 64 * 1024;
const KEY: [u8; 32] = [7; 32];

/// Chunk `index`'s nonce: distinct per chunk, as a caller of the bare AEAD would make them.
fn nonce(index: usize) -> Nonce<Aes256Gcm> {
    let mut nonce = [0u8; 12];
    nonce[4..].copy_from_slice(&u64::try_from(index).unwrap().to_be_bytes());
    Nonce::<Aes256Gcm>::from(nonce)
}

/// The bare AEAD keyed once, as a caller with no keyring would use it.
fn raw() -> Aes256Gcm {
    Aes256Gcm::new_from_slice(&KEY).unwrap()
}

/// Seals each chunk and drops it (as a streaming caller would after writing it out).
fn raw_seal(raw: &Aes256Gcm, plaintext: &[u8]) -> usize {
    let chunks = plaintext.chunks(CHUNK).enumerate();
    chunks
        .map(|(i, c)| raw.encrypt(&nonce(i), c).unwrap().len())
        .sum()
}

fn raw_sealed_chunks(raw: &Aes256Gcm, plaintext: &[u8]) -> Vec<Vec<u8>> {
    let chunks = plaintext.chunks(CHUNK).enumerate();
    chunks
        .map(|(i, c)| raw.encrypt(&nonce(i), c).unwrap())
        .collect()
}

fn raw_open(raw: &Aes256Gcm, sealed: &[Vec<u8>]) -> usize {
    let chunks = sealed.iter().enumerate();
    chunks
        .map(|(i, c)| raw.decrypt(&nonce(i), c.as_slice()).unwrap().len())
        .sum()
}

fn envelope(c: &mut Criterion) {
    let keyring = Keyring::generate("bench", KeyType::Aes256Gcm96).unwrap();
    let opts = Options::new();
    let raw = raw();
    let mut group = c.benchmark_group("envelope");
    group.sample_size(10);
    for size in SIZES {
        let plaintext = vec![0x5a_u8; size];
        let mut sealed = Vec::with_capacity(size + size / 1000 + 4096);
        Envelope::seal(&keyring, &opts, &plaintext[..], &mut sealed).unwrap();
        let raw_sealed = raw_sealed_chunks(&raw, &plaintext);
        let id = |name| BenchmarkId::new(name, size);
        group.throughput(Throughput::Bytes(u64::try_from(size).unwrap()));

        group.bench_function(id("raw-aes-256-gcm-seal"), |b| {
            b.iter(|| raw_seal(&raw, black_box(&plaintext)));
        });
        // Output to a sink: the raw loop drops each chunk too, so neither side pays for
        // writing megabytes into a cold buffer.
        group.bench_function(id("seal"), |b| {
            b.iter(|| {
                Envelope::seal(&keyring, &opts, black_box(&plaintext[..]), io::sink()).unwrap()
            });
        });
        group.bench_function(id("raw-aes-256-gcm-open"), |b| {
            b.iter(|| raw_open(&raw, black_box(&raw_sealed)));
        });
        group.bench_function(id("open"), |b| {
            b.iter(|| Envelope::open(&keyring, &opts, black_box(&sealed[..]), io::sink()).unwrap());
        });
    }
    group.finish();
}

criterion_group!(benches, envelope);
criterion_main!(benches);
