//! Known answers from outside this crate: Wycheproof and NIST CAVP through the cipher layer
//! (`hazmat`, the same `Aead` the keyring seals with), and Vault ciphertexts made by Python's
//! `cryptography` (`tests/data/gen_vault_vectors.py`) through whole keyrings.
// Helpers outside #[test] fns unwrap and panic too: a failing test is the point.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout
)]

mod common;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use transit_keyring::hazmat::{encrypt_with_nonce, open_with_nonce, seal_with_nonce};
use transit_keyring::{Error, KeyType, Keyring, Options};

use common::WycheproofCase;

/// Section 1.2 of vault-transit.md: key 00..1f, zero nonce, empty plaintext, AES-256-GCM.
const SECTION_1_2: &str = "vault:v1:AAAAAAAAAAAAAAAA8F12rkq5n+Wm9psxSMI2PQ==";

/// How many cases of one kind ran; printed so the log shows the suite did its work.
#[derive(Debug, Default)]
struct Tally {
    valid: usize,
    invalid: usize,
}

/// A one-version keyring holding `key`, imported the way users import Vault keys.
fn keyring_with_key(key_type: KeyType, key: &[u8]) -> Keyring {
    let json = format!(
        r#"{{"name":"vector","type":"{key_type}","keys":{{"1":"{}"}}}}"#,
        STANDARD.encode(key)
    );
    Keyring::from_vault_export(&json).unwrap()
}

/// Runs one Wycheproof case with a 96-bit IV and 128-bit tag through the cipher layer and
/// through a keyring (whose `vault:v1:` body is exactly `iv ‖ ct ‖ tag`).
fn check_aead_case(key_type: KeyType, case: &WycheproofCase, tally: &mut Tally) {
    let sealed = case.ct_and_tag();
    let opened = open_with_nonce(key_type, &case.key, &case.iv, &case.aad, &sealed);
    let keyring = keyring_with_key(key_type, &case.key);
    let vault = format!(
        "vault:v1:{}",
        STANDARD.encode([case.iv.as_slice(), &sealed].concat())
    );
    let opts = Options::new().associated_data(&case.aad);
    match case.result.as_str() {
        "valid" => {
            let ours = seal_with_nonce(key_type, &case.key, &case.iv, &case.aad, &case.msg);
            assert_eq!(ours.unwrap(), sealed, "seal: {case}");
            assert_eq!(*opened.unwrap(), case.msg, "open: {case}");
            assert_eq!(
                &*keyring.decrypt_with(&vault, &opts).unwrap(),
                case.msg,
                "{case}"
            );
            let again = encrypt_with_nonce(&keyring, &case.iv, &case.msg, &opts).unwrap();
            assert_eq!(again, vault, "keyring encrypt: {case}");
            // The tag's last bit flipped must not open (aes-gcm's `decrypt_modified`).
            let mut modified = sealed.clone();
            *modified.last_mut().unwrap() ^= 1;
            let err = open_with_nonce(key_type, &case.key, &case.iv, &case.aad, &modified);
            assert_eq!(err.unwrap_err(), Error::Decrypt { key_type }, "{case}");
            tally.valid += 1;
        }
        "invalid" => {
            assert_eq!(
                opened.unwrap_err(),
                Error::Decrypt { key_type },
                "open: {case}"
            );
            let err = keyring.decrypt_with(&vault, &opts).unwrap_err();
            assert_eq!(err, Error::Decrypt { key_type }, "keyring: {case}");
            tally.invalid += 1;
        }
        other => panic!("{case}: result {other:?} (README: none is `acceptable`)"),
    }
}

/// A case whose IV is not 96 bits: our API takes 12-byte nonces only, so both directions
/// must refuse it before any crypto, whatever Wycheproof's verdict for other AEAD APIs.
fn check_rejected_nonce(key_type: KeyType, case: &WycheproofCase) {
    assert_ne!(case.iv.len(), 12, "{case}");
    let sealed = case.ct_and_tag();
    let err = open_with_nonce(key_type, &case.key, &case.iv, &case.aad, &sealed).unwrap_err();
    assert_eq!(err, Error::InvalidCiphertextLength, "open: {case}");
    let err = seal_with_nonce(key_type, &case.key, &case.iv, &case.aad, &case.msg).unwrap_err();
    assert_eq!(err, Error::InvalidCiphertextLength, "seal: {case}");
}

#[test]
fn wycheproof_aes_gcm_seals_and_opens_exactly() {
    let (mut aes128, mut aes256, mut bad_nonce, mut aes192) =
        (Tally::default(), Tally::default(), 0, 0);
    for case in common::read_wycheproof("aes_gcm_test.json") {
        let key_type = match case.key_size {
            128 => KeyType::Aes128Gcm96,
            256 => KeyType::Aes256Gcm96,
            192 => {
                // Vault has no AES-192: a 24-byte key fits neither AES type.
                for key_type in [KeyType::Aes128Gcm96, KeyType::Aes256Gcm96] {
                    let err = seal_with_nonce(key_type, &case.key, &[0; 12], b"", b"").unwrap_err();
                    assert_eq!(err, Error::InvalidKeySize { len: 24, key_type }, "{case}");
                }
                aes192 += 1;
                continue;
            }
            other => panic!("{case}: keySize {other}"),
        };
        if case.iv_size != 96 {
            check_rejected_nonce(key_type, &case);
            bad_nonce += 1;
            continue;
        }
        assert_eq!(case.tag_size, 128, "{case}");
        let tally = if key_type == KeyType::Aes128Gcm96 {
            &mut aes128
        } else {
            &mut aes256
        };
        check_aead_case(key_type, &case, tally);
    }
    println!("Wycheproof AES-128-GCM: {aes128:?}; AES-256-GCM: {aes256:?}");
    println!(
        "Wycheproof AES-GCM: {bad_nonce} non-96-bit IV cases rejected, {aes192} AES-192 keys refused"
    );
    // Counts from ../shared/vectors/README.md: 133 = 67 (AES-128) + 66 (AES-256).
    assert_eq!((aes128.valid, aes128.invalid), (40, 27));
    assert_eq!((aes256.valid, aes256.invalid), (39, 27));
    assert_eq!(
        aes128.valid + aes128.invalid + aes256.valid + aes256.invalid,
        133
    );
    assert!(
        bad_nonce > 0,
        "the file has non-96-bit IV groups; none was fed"
    );
}

#[test]
fn wycheproof_chacha20_poly1305_seals_and_opens_exactly() {
    let key_type = KeyType::Chacha20Poly1305;
    let (mut tally, mut bad_nonce) = (Tally::default(), 0);
    for case in common::read_wycheproof("chacha20_poly1305_test.json") {
        assert_eq!((case.key_size, case.tag_size), (256, 128), "{case}");
        if case.iv_size == 96 {
            check_aead_case(key_type, &case, &mut tally);
        } else {
            assert_eq!(case.result, "invalid", "{case}");
            check_rejected_nonce(key_type, &case);
            bad_nonce += 1;
        }
    }
    println!("Wycheproof ChaCha20-Poly1305: {tally:?}; {bad_nonce} non-96-bit nonces rejected");
    // README: 316 applicable (256 valid + 60 invalid); the other 9 are InvalidNonceSize.
    assert_eq!((tally.valid, tally.invalid), (256, 60));
    assert_eq!(bad_nonce, 9);
}

/// Section parameter `Keylen` → our AES key type.
fn nist_key_type(case: &common::Case) -> KeyType {
    match case.section("Keylen") {
        "128" => KeyType::Aes128Gcm96,
        "256" => KeyType::Aes256Gcm96,
        other => panic!("{case}: Keylen {other}"),
    }
}

fn nist_encrypt_file(name: &str, expected_key_type: KeyType) {
    let cases = common::read_rsp(name);
    for case in &cases {
        let key_type = nist_key_type(case);
        assert_eq!(key_type, expected_key_type, "{case}");
        assert_eq!(
            (case.section("IVlen"), case.section("Taglen")),
            ("96", "128"),
            "{case}"
        );
        let (key, iv, aad, pt) = (
            case.hex("Key"),
            case.hex("IV"),
            case.hex("AAD"),
            case.hex("PT"),
        );
        let expected = [case.hex("CT"), case.hex("Tag")].concat();
        let sealed = seal_with_nonce(key_type, &key, &iv, &aad, &pt).unwrap();
        assert_eq!(sealed, expected, "seal: {case}");
        assert_eq!(
            *open_with_nonce(key_type, &key, &iv, &aad, &sealed).unwrap(),
            pt,
            "{case}"
        );
    }
    println!("NIST {name}: {} encrypt blocks", cases.len());
    assert_eq!(cases.len(), 375, "{name}");
}

fn nist_decrypt_file(name: &str, expected_key_type: KeyType, expected_fail: usize) {
    let cases = common::read_rsp(name);
    let mut fail = 0;
    for case in &cases {
        let key_type = nist_key_type(case);
        assert_eq!(key_type, expected_key_type, "{case}");
        let (key, iv, aad) = (case.hex("Key"), case.hex("IV"), case.hex("AAD"));
        let sealed = [case.hex("CT"), case.hex("Tag")].concat();
        let opened = open_with_nonce(key_type, &key, &iv, &aad, &sealed);
        if case.has("FAIL") {
            assert!(!case.has("PT"), "{case}: both FAIL and PT");
            assert_eq!(opened.unwrap_err(), Error::Decrypt { key_type }, "{case}");
            fail += 1;
        } else {
            assert_eq!(*opened.unwrap(), case.hex("PT"), "{case}");
        }
    }
    println!("NIST {name}: {} decrypt blocks, {fail} FAIL", cases.len());
    assert_eq!((cases.len(), fail), (375, expected_fail), "{name}");
}

#[test]
fn nist_cavp_aes128_gcm_encrypt() {
    nist_encrypt_file(
        "gcmEncryptExtIV128.ivlen96-taglen128.rsp",
        KeyType::Aes128Gcm96,
    );
}

#[test]
fn nist_cavp_aes256_gcm_encrypt() {
    nist_encrypt_file(
        "gcmEncryptExtIV256.ivlen96-taglen128.rsp",
        KeyType::Aes256Gcm96,
    );
}

#[test]
fn nist_cavp_aes128_gcm_decrypt_and_fail_blocks() {
    nist_decrypt_file(
        "gcmDecrypt128.ivlen96-taglen128.rsp",
        KeyType::Aes128Gcm96,
        196,
    );
}

#[test]
fn nist_cavp_aes256_gcm_decrypt_and_fail_blocks() {
    nist_decrypt_file(
        "gcmDecrypt256.ivlen96-taglen128.rsp",
        KeyType::Aes256Gcm96,
        191,
    );
}

#[test]
fn vault_vectors_start_with_section_1_2_example() {
    let first = common::vault_ciphertexts().into_iter().next().unwrap();
    assert_eq!(first.get("CIPHERTEXT"), SECTION_1_2, "{first}");
    assert_eq!(first.hex("PLAINTEXT"), b"", "{first}");
    assert_eq!(first.hex("NONCE"), [0; 12], "{first}");
    let keyrings = common::vault_keyrings();
    let keyring = &keyrings[first.get("KEYRING")];
    assert!(keyring.decrypt(SECTION_1_2).unwrap().is_empty());
}

#[test]
fn vault_vectors_decrypt_to_their_plaintext() {
    let keyrings = common::vault_keyrings();
    let mut per_type = std::collections::BTreeMap::<String, usize>::new();
    for case in common::vault_ciphertexts() {
        let keyring = &keyrings[case.get("KEYRING")];
        let (plaintext, aad) = (case.hex("PLAINTEXT"), case.hex("AAD"));
        let opts = Options::new().associated_data(&aad);
        let opened = keyring.decrypt_with(case.get("CIPHERTEXT"), &opts).unwrap();
        assert_eq!(*opened, plaintext, "vector at {case}");
        if !aad.is_empty() {
            // Associated data is bound: leaving it out must fail authentication.
            let err = keyring.decrypt(case.get("CIPHERTEXT")).unwrap_err();
            assert_eq!(
                err,
                Error::Decrypt {
                    key_type: keyring.key_type()
                },
                "{case}"
            );
        }
        *per_type.entry(keyring.key_type().to_string()).or_default() += 1;
    }
    println!("Vault KATs decrypted per key type: {per_type:?}");
    let expected = [
        ("aes128-gcm96", 42),
        ("aes256-gcm96", 43),
        ("chacha20-poly1305", 42),
    ];
    assert_eq!(
        per_type,
        expected
            .map(|(t, n)| (t.to_owned(), n))
            .into_iter()
            .collect()
    );
}

#[test]
fn vault_vectors_encrypt_to_the_exact_string() {
    let keyrings = common::vault_keyrings();
    for case in common::vault_ciphertexts() {
        let keyring = &keyrings[case.get("KEYRING")];
        let (plaintext, aad) = (case.hex("PLAINTEXT"), case.hex("AAD"));
        let version: u32 = case.number("VERSION");
        let opts = Options::new().associated_data(&aad).key_version(version);
        let ours = encrypt_with_nonce(keyring, &case.hex("NONCE"), &plaintext, &opts).unwrap();
        assert_eq!(ours, case.get("CIPHERTEXT"), "vector at {case}");
    }
}

#[test]
fn vault_keyrings_import_with_every_version() {
    for case in common::read_blocks("tests/data/vault_keyrings.txt") {
        let keyring = Keyring::from_vault_export(case.get("EXPORT")).unwrap();
        assert_eq!(keyring.name(), case.get("KEYRING"), "{case}");
        let expected_versions: Vec<u32> = if case.get("KEYRING") == "spec-1-2" {
            vec![1]
        } else {
            vec![1, 2, 3]
        };
        assert_eq!(keyring.versions(), expected_versions, "{case}");
        assert_eq!(
            keyring.latest_version(),
            *expected_versions.last().unwrap(),
            "{case}"
        );
        assert_eq!(keyring.min_decryption_version(), 1, "{case}");
        // Python wrote the document compactly in Vault's field order; ours must match it.
        assert_eq!(
            keyring.to_vault_export().unwrap(),
            case.get("EXPORT"),
            "{case}"
        );
    }
}
