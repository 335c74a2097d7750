//! Encrypt a few CI environment variables, decrypt one, rotate, rewrap.
//!
//! `cargo run --example quickstart`
#![allow(clippy::print_stdout)]

use transit_keyring::{KeyType, Keyring, Options};

fn main() -> Result<(), transit_keyring::Error> {
    let mut keyring = Keyring::generate("ci-env", KeyType::Aes256Gcm96)?;

    // Bind each value to its project and variable name with associated data, so a
    // ciphertext copied to another project or variable will not decrypt there.
    let vars = [
        ("DATABASE_URL", "postgres://ci:hunter2@db/ci"),
        ("NPM_TOKEN", "npm_abc123"),
    ];
    let mut stored = Vec::new();
    for (name, value) in vars {
        let binding = format!("project/42/{name}");
        let ciphertext = keyring.encrypt_with(
            value.as_bytes(),
            &Options::new().associated_data(binding.as_bytes()),
        )?;
        println!("{name} = {ciphertext}");
        stored.push((name, binding, ciphertext));
    }

    let (name, binding, ciphertext) = &stored[0];
    let opts = Options::new().associated_data(binding.as_bytes());
    let value = keyring.decrypt_with(ciphertext, &opts)?;
    println!("decrypted {name}: {} bytes", value.len()); // never print the value itself

    let v2 = keyring.rotate()?;
    println!("rotated to v{v2}");
    for (name, binding, ciphertext) in &mut stored {
        let opts = Options::new().associated_data(binding.as_bytes());
        *ciphertext = keyring.rewrap_with(ciphertext, &opts)?;
        println!("{name} = {ciphertext}");
    }
    assert!(stored.iter().all(|(_, _, c)| c.starts_with("vault:v2:")));
    Ok(())
}
