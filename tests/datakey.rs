//! Data keys (Vault's `datakey/plaintext` and `datakey/wrapped`): lengths, Vault's error
//! text, a ciphertext that the ordinary decrypt turns into the exact key, and no key bytes
//! in any output. (Known answers for data key ciphertexts: `tests/data/transit_*.txt`.)

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use transit_keyring::{Error, Kdf, KeyType, Keyring, Options};

#[test]
fn bits_give_16_32_or_64_bytes_for_every_key_type() {
    for key_type in KeyType::ALL {
        let keyring = Keyring::generate("dk", key_type).unwrap();
        for (bits, len) in [(128, 16), (256, 32), (512, 64)] {
            let datakey = keyring.datakey(bits, &Options::new()).unwrap();
            assert_eq!(datakey.plaintext().len(), len, "{key_type} {bits}");
            assert_eq!(datakey.key_version(), 1);
            // nonce ‖ key ‖ tag, as an ordinary encryption of the key bytes.
            let body = datakey.ciphertext().strip_prefix("vault:v1:").unwrap();
            assert_eq!(STANDARD.decode(body).unwrap().len(), 12 + len + 16);
        }
    }
}

#[test]
fn other_bit_lengths_are_refused_with_vaults_text() {
    let keyring = Keyring::generate("dk", KeyType::Aes256Gcm96).unwrap();
    for bits in [
        0,
        1,
        64,
        127,
        129,
        192,
        255,
        257,
        384,
        511,
        513,
        1024,
        u32::MAX,
    ] {
        let err = keyring.datakey(bits, &Options::new()).unwrap_err();
        assert_eq!(err, Error::InvalidBitLength, "{bits}");
        assert_eq!(err.to_string(), "invalid bit length");
        let err = keyring.wrapped_datakey(bits, &Options::new()).unwrap_err();
        assert_eq!(err, Error::InvalidBitLength, "{bits}");
    }
}

#[test]
fn ciphertext_decrypts_to_the_exact_key_bytes() {
    let mut keyring = Keyring::generate("dk", KeyType::Chacha20Poly1305).unwrap();
    keyring.rotate().unwrap();
    let opts = Options::new().associated_data(b"bucket/artifacts");
    for bits in [128, 256, 512] {
        let datakey = keyring.datakey(bits, &opts).unwrap();
        assert_eq!(datakey.key_version(), 2);
        assert!(datakey.ciphertext().starts_with("vault:v2:"));
        let raw = keyring.decrypt_with(datakey.ciphertext(), &opts).unwrap();
        assert_eq!(&*raw, datakey.plaintext().expose_secret());
        // The associated data is bound, as for any ciphertext.
        let err = keyring.decrypt(datakey.ciphertext()).unwrap_err();
        assert_eq!(
            err,
            Error::Decrypt {
                key_type: KeyType::Chacha20Poly1305
            }
        );
    }
    let first = keyring.datakey(256, &Options::new()).unwrap();
    let second = keyring.datakey(256, &Options::new()).unwrap();
    assert_ne!(
        first.plaintext().expose_secret(),
        second.plaintext().expose_secret()
    );
}

#[test]
fn key_version_and_context_follow_the_encrypt_rules() {
    let mut keyring = Keyring::generate("dk", KeyType::Aes128Gcm96).unwrap();
    keyring.rotate().unwrap();
    let datakey = keyring
        .datakey(256, &Options::new().key_version(1))
        .unwrap();
    assert_eq!(datakey.key_version(), 1);
    assert!(datakey.ciphertext().starts_with("vault:v1:"));
    let err = keyring
        .datakey(256, &Options::new().key_version(3))
        .unwrap_err();
    assert_eq!(err, Error::EncryptVersionTooNew);

    let derived = Keyring::builder("dk")
        .derived(Kdf::HkdfSha256)
        .generate()
        .unwrap();
    assert_eq!(
        derived.datakey(256, &Options::new()).unwrap_err(),
        Error::MissingContext
    );
    let context = Options::new().context(b"tenant-a");
    let datakey = derived.datakey(512, &context).unwrap();
    let raw = derived
        .decrypt_with(datakey.ciphertext(), &context)
        .unwrap();
    assert_eq!(&*raw, datakey.plaintext().expose_secret());
}

#[test]
fn wrapped_datakey_has_ciphertext_and_version_only() {
    let mut keyring = Keyring::generate("dk", KeyType::Aes256Gcm96).unwrap();
    keyring.rotate().unwrap();
    let wrapped = keyring.wrapped_datakey(128, &Options::new()).unwrap();
    assert_eq!(wrapped.key_version(), 2);
    assert_eq!(keyring.decrypt(wrapped.ciphertext()).unwrap().len(), 16);
    let debug = format!("{wrapped:?}");
    assert_eq!(
        debug,
        format!(
            "WrappedDataKey {{ ciphertext: {:?}, key_version: 2 }}",
            wrapped.ciphertext()
        )
    );
    let ciphertext = wrapped.ciphertext().to_owned();
    assert_eq!(wrapped.into_string(), ciphertext);

    let datakey = keyring.datakey(256, &Options::new()).unwrap();
    let ciphertext = datakey.ciphertext().to_owned();
    let wrapped = datakey.into_wrapped();
    assert_eq!(
        (wrapped.ciphertext(), wrapped.key_version()),
        (ciphertext.as_str(), 2)
    );
}

#[test]
fn debug_shows_ciphertext_and_version_never_key_bytes() {
    let keyring = Keyring::generate("dk", KeyType::Aes256Gcm96).unwrap();
    for bits in [128, 256, 512] {
        let datakey = keyring.datakey(bits, &Options::new()).unwrap();
        let debug = format!("{datakey:?}");
        let expected = format!(
            "DataKey {{ ciphertext: {:?}, key_version: 1, .. }}",
            datakey.ciphertext()
        );
        assert_eq!(debug, expected);
        assert_eq!(
            format!("{:?}", datakey.plaintext()),
            "KeyMaterial([REDACTED])"
        );
        let key = datakey.plaintext().expose_secret();
        for form in [hex::encode(key), STANDARD.encode(key), format!("{key:?}")] {
            assert!(!debug.contains(&form), "key bytes in Debug");
            assert!(
                !format!("{datakey:#?}").contains(&form),
                "key bytes in pretty Debug"
            );
        }
    }
}
