//! Zero-downtime key rotation: rotate, rewrap old ciphertexts in a batch, raise the minimum
//! decryption version, then trim the retired key for good.
//!
//! `cargo run --example rotation`
#![allow(clippy::print_stdout)]

use transit_keyring::{CiphertextItem, Error, KeyType, Keyring};

fn main() -> Result<(), Error> {
    let mut keyring = Keyring::generate("ci-contexts", KeyType::Chacha20Poly1305)?;
    let old: Vec<String> = (0..5)
        .map(|i| keyring.encrypt(format!("token-{i}").as_bytes()))
        .collect::<Result<_, _>>()?;
    println!("{} values under v{}", old.len(), keyring.latest_version());

    // 1. New writes go to v2 at once; old ciphertexts still decrypt.
    let v2 = keyring.rotate()?;
    println!("rotated: latest_version = {v2}");

    // 2. Rewrap everything in one batch; the plaintexts never leave the library.
    let items: Vec<CiphertextItem<'_>> = old
        .iter()
        .map(|c| CiphertextItem {
            ciphertext: c,
            ..Default::default()
        })
        .collect();
    let rewrapped: Vec<String> = keyring
        .rewrap_batch(&items)?
        .into_iter()
        .map(|r| r.result.map(|e| e.ciphertext))
        .collect::<Result<_, _>>()?;
    println!("rewrapped {} values to v{v2}", rewrapped.len());

    // 3. Retire v1: first refuse it, then delete it.
    keyring.set_min_decryption_version(v2)?;
    keyring.set_min_encryption_version(v2)?;
    assert_eq!(keyring.decrypt(&old[0]).err(), Some(Error::VersionTooOld));
    println!("v1 ciphertexts now fail with: {}", Error::VersionTooOld);
    keyring.trim(v2)?;
    println!("trimmed: stored versions = {:?}", keyring.versions());

    for c in &rewrapped {
        keyring.decrypt(c)?;
    }
    println!("all {} rewrapped values still decrypt", rewrapped.len());
    Ok(())
}
