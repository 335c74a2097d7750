//! Derived and convergent keyrings: behaviour (the byte-level answers are in
//! transit_vectors.rs, from an independent implementation).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use transit_keyring::{Error, Kdf, KeyType, Keyring, Options};

#[test]
fn derived_keyring_without_context_fails_with_vaults_text() {
    let keyring = Keyring::builder("d")
        .derived(Kdf::HkdfSha256)
        .generate()
        .unwrap();
    let err = keyring.encrypt(b"x").unwrap_err();
    assert_eq!(err, Error::MissingContext);
    assert!(
        err.to_string()
            .starts_with("missing 'context' for key derivation;")
    );
    let ct = keyring
        .encrypt_with(b"x", &Options::new().context(b"p1"))
        .unwrap();
    assert_eq!(keyring.decrypt(&ct).unwrap_err(), Error::MissingContext);
}

#[test]
fn each_context_gets_its_own_key() {
    for kdf in [Kdf::HkdfSha256, Kdf::HmacSha256Counter] {
        for key_type in [KeyType::Aes256Gcm96, KeyType::Chacha20Poly1305] {
            let keyring = Keyring::builder("d")
                .key_type(key_type)
                .derived(kdf)
                .generate()
                .unwrap();
            let ct = keyring
                .encrypt_with(b"x", &Options::new().context(b"project/1"))
                .unwrap();
            let other = keyring.decrypt_with(&ct, &Options::new().context(b"project/2"));
            assert_eq!(other.unwrap_err(), Error::Decrypt { key_type });
            let same = keyring
                .decrypt_with(&ct, &Options::new().context(b"project/1"))
                .unwrap();
            assert_eq!(&*same, b"x");
        }
    }
}

#[test]
fn convergent_needs_derivation() {
    let err = Keyring::builder("c")
        .convergent_encryption(true)
        .generate()
        .unwrap_err();
    assert_eq!(err, Error::ConvergentRequiresDerivation);
    assert_eq!(
        err.to_string(),
        "convergent encryption requires derivation to be enabled"
    );
}

#[test]
fn convergent_ciphertexts_repeat_per_plaintext_and_context_only() {
    for key_type in KeyType::ALL {
        let mut keyring = Keyring::builder("c")
            .key_type(key_type)
            .derived(Kdf::HkdfSha256)
            .convergent_encryption(true)
            .generate()
            .unwrap();
        let ctx = Options::new().context(b"ctx");
        let a1 = keyring.encrypt_with(b"same", &ctx).unwrap();
        assert_eq!(
            keyring.encrypt_with(b"same", &ctx).unwrap(),
            a1,
            "equality is visible"
        );
        assert_ne!(keyring.encrypt_with(b"other", &ctx).unwrap(), a1);
        assert_ne!(
            keyring
                .encrypt_with(b"same", &Options::new().context(b"ctx2"))
                .unwrap(),
            a1
        );
        assert_eq!(&*keyring.decrypt_with(&a1, &ctx).unwrap(), b"same");
        // A new version gives new ciphertexts; the old one still decrypts.
        keyring.rotate().unwrap();
        let a2 = keyring.encrypt_with(b"same", &ctx).unwrap();
        assert!(a2.starts_with("vault:v2:"));
        assert_ne!(a2, a1);
        assert_eq!(&*keyring.decrypt_with(&a1, &ctx).unwrap(), b"same");
    }
}

#[test]
fn non_derived_keyring_ignores_context() {
    let keyring = Keyring::generate("n", KeyType::Aes128Gcm96).unwrap();
    let ct = keyring
        .encrypt_with(b"x", &Options::new().context(b"anything"))
        .unwrap();
    assert_eq!(&*keyring.decrypt(&ct).unwrap(), b"x");
}
