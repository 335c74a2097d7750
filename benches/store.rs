//! Store-backed encryption against the in-memory keyring: the usage counter (one atomic add,
//! and a durable reservation per block) must cost only a few percent.
//!
//! The machines are shared and noisy, so the two are measured *paired*: every sample runs
//! both, interleaved in chunks, and each benchmark reports its own half. Both halves see the
//! same background load, and their ratio is the number to read.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stderr,
    missing_docs
)]

use std::cell::Cell;
use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use transit_keyring::{KeyType, Keyring, RootKey, Store};

const SIZES: [usize; 2] = [32, 1024];
const CHUNK: u64 = 256;

/// Both halves of every paired sample of one comparison, for the ratio printed at its end.
#[derive(Default)]
struct Totals(Cell<(Duration, Duration)>);

impl Totals {
    fn add(&self, (a, b): (Duration, Duration)) -> (Duration, Duration) {
        let (total_a, total_b) = self.0.get();
        self.0.set((total_a + a, total_b + b));
        (a, b)
    }

    fn report(&self, what: &str) {
        let (a, b) = self.0.get();
        eprintln!(
            "paired ratio {what}: {:.3}",
            b.as_secs_f64() / a.as_secs_f64()
        );
    }
}

/// Runs `iters` calls of `a` and of `b`, alternating in chunks; returns (time a, time b).
fn paired(iters: u64, a: &dyn Fn(), b: &dyn Fn()) -> (Duration, Duration) {
    let (mut time_a, mut time_b) = (Duration::ZERO, Duration::ZERO);
    let mut left = iters;
    while left > 0 {
        let n = left.min(CHUNK);
        let start = Instant::now();
        (0..n).for_each(|_| a());
        time_a += start.elapsed();
        let start = Instant::now();
        (0..n).for_each(|_| b());
        time_b += start.elapsed();
        left -= n;
    }
    (time_a, time_b)
}

fn encrypt(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), RootKey::generate().unwrap()).unwrap();
    let stored = store.create("bench", KeyType::Aes256Gcm96).unwrap();
    let keyring = Keyring::generate("bench", KeyType::Aes256Gcm96).unwrap();
    let mut group = c.benchmark_group("store-encrypt");
    for size in SIZES {
        let pt = vec![0x5a_u8; size];
        let in_memory = || {
            black_box(keyring.encrypt(black_box(&pt)).unwrap());
        };
        let in_store = || {
            black_box(stored.encrypt(black_box(&pt)).unwrap());
        };
        let totals = Totals::default();
        group.throughput(Throughput::Bytes(size as u64));
        group.bench_function(BenchmarkId::new("keyring", size), |b| {
            b.iter_custom(|iters| totals.add(paired(iters, &in_memory, &in_store)).0);
        });
        group.bench_function(BenchmarkId::new("store", size), |b| {
            b.iter_custom(|iters| totals.add(paired(iters, &in_memory, &in_store)).1);
        });
        totals.report(&format!("store / keyring encrypt at {size} B"));
    }
    group.finish();
    let meta = stored.metadata().unwrap();
    assert_eq!(meta.latest_version, 1, "2^32 encryptions were not reached");
}

fn encrypt_with_auto_rotate(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), RootKey::generate().unwrap()).unwrap();
    let plain = store.create("plain", KeyType::Aes256Gcm96).unwrap();
    // An auto-rotate period makes every encryption read the clock too.
    let timed = store.create("timed", KeyType::Aes256Gcm96).unwrap();
    timed
        .set_auto_rotate_period(Duration::from_secs(24 * 3600))
        .unwrap();
    let pt = [0x5a_u8; 32];
    let untimed = || {
        black_box(plain.encrypt(black_box(&pt)).unwrap());
    };
    let clocked = || {
        black_box(timed.encrypt(black_box(&pt)).unwrap());
    };
    let mut group = c.benchmark_group("store-encrypt-auto-rotate");
    group.throughput(Throughput::Bytes(pt.len() as u64));
    let totals = Totals::default();
    group.bench_function(BenchmarkId::new("store", 32), |b| {
        b.iter_custom(|iters| totals.add(paired(iters, &untimed, &clocked)).0);
    });
    group.bench_function(BenchmarkId::new("store-auto-rotate", 32), |b| {
        b.iter_custom(|iters| totals.add(paired(iters, &untimed, &clocked)).1);
    });
    group.finish();
    totals.report("store with / without auto-rotate period at 32 B");
}

criterion_group!(benches, encrypt, encrypt_with_auto_rotate);
criterion_main!(benches);
