//! Keyring encrypt/decrypt against the bare AEAD in the same groups (read the ratio, not the
//! absolute times: the machines are noisy), and batch speedup over a sequential loop.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::hint::black_box;

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use transit_keyring::{EncryptItem, Keyring};

const SIZES: [usize; 4] = [32, 1024, 64 * 1024, 1024 * 1024];
const KEY: [u8; 32] = [7; 32];
const NONCE: [u8; 12] = [9; 12];

fn keyring() -> Keyring {
    let json = format!(
        r#"{{"name":"bench","type":"aes256-gcm96","keys":{{"1":"{}"}}}}"#,
        "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc="
    );
    Keyring::from_vault_export(&json).unwrap()
}

/// The bare AEAD, keyed once: what a caller would use with no keyring at all.
fn raw() -> Aes256Gcm {
    Aes256Gcm::new_from_slice(&KEY).unwrap()
}

fn encrypt(c: &mut Criterion) {
    let keyring = keyring();
    let raw = raw();
    let nonce = &Nonce::from(NONCE);
    let mut group = c.benchmark_group("encrypt");
    for size in SIZES {
        let pt = vec![0x5a_u8; size];
        group.throughput(Throughput::Bytes(size as u64));
        group.bench_function(BenchmarkId::new("raw-aes-256-gcm", size), |b| {
            b.iter(|| raw.encrypt(nonce, black_box(pt.as_slice())).unwrap());
        });
        group.bench_function(BenchmarkId::new("keyring", size), |b| {
            b.iter(|| keyring.encrypt(black_box(&pt)));
        });
    }
    group.finish();
}

fn decrypt(c: &mut Criterion) {
    let keyring = keyring();
    let raw = raw();
    let nonce = &Nonce::from(NONCE);
    let mut group = c.benchmark_group("decrypt");
    for size in SIZES {
        let pt = vec![0x5a_u8; size];
        let sealed = raw.encrypt(nonce, pt.as_slice()).unwrap();
        let ct = keyring.encrypt(&pt).unwrap();
        group.throughput(Throughput::Bytes(size as u64));
        group.bench_function(BenchmarkId::new("raw-aes-256-gcm", size), |b| {
            b.iter(|| raw.decrypt(nonce, black_box(sealed.as_slice())).unwrap());
        });
        group.bench_function(BenchmarkId::new("keyring", size), |b| {
            b.iter(|| keyring.decrypt(black_box(&ct)));
        });
    }
    group.finish();
}

/// 4096 env-var-sized values: `encrypt_batch` (parallel) against a loop of `encrypt`.
fn batch(c: &mut Criterion) {
    let keyring = keyring();
    let values: Vec<Vec<u8>> = (0..4096)
        .map(|i| format!("secret-value-{i:08}").into_bytes())
        .collect();
    let items: Vec<EncryptItem<'_>> = values
        .iter()
        .map(|v| EncryptItem {
            plaintext: v,
            ..Default::default()
        })
        .collect();
    let total: usize = values.iter().map(Vec::len).sum();
    let mut group = c.benchmark_group("batch-encrypt-4096");
    group.throughput(Throughput::Bytes(total as u64));
    group.bench_function("sequential-loop", |b| {
        b.iter(|| {
            values
                .iter()
                .map(|v| keyring.encrypt(v).unwrap())
                .collect::<Vec<_>>()
        });
    });
    group.bench_function("encrypt_batch", |b| {
        b.iter(|| keyring.encrypt_batch(black_box(&items)).unwrap());
    });
    group.finish();
}

criterion_group!(benches, encrypt, decrypt, batch);
criterion_main!(benches);
