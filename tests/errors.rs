//! Every error path of the `vault:vN:` parser, the version rules and the export document,
//! asserted by value and, once per variant, by Vault's exact text (vault-transit.md §1.3, §7,
//! §11).
// Helpers outside #[test] fns unwrap and panic too: a failing test is the point.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use transit_keyring::{Error, Kdf, KeyType, Keyring, Options, TrimRule};

/// Section 1.2's example: key 00..1f, zero nonce, empty plaintext.
const SECTION_1_2: &str = "vault:v1:AAAAAAAAAAAAAAAA8F12rkq5n+Wm9psxSMI2PQ==";
const SECTION_1_2_KEY_B64: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

fn export_json(key_type: &str, keys: &[(&str, &str)]) -> String {
    let keys: Vec<String> = keys
        .iter()
        .map(|(v, k)| format!("\"{v}\":\"{k}\""))
        .collect();
    format!(
        r#"{{"name":"k","type":"{key_type}","keys":{{{}}}}}"#,
        keys.join(",")
    )
}

/// The one-version AES-256 keyring of §1.2, whose ciphertext we can edit by hand.
fn section_1_2_keyring() -> Keyring {
    Keyring::from_vault_export(&export_json("aes256-gcm96", &[("1", SECTION_1_2_KEY_B64)])).unwrap()
}

/// `vault:v1:` + base64 of `n` bytes: a syntactically fine body of a chosen length.
fn body_of_len(n: usize) -> String {
    format!("vault:v1:{}", STANDARD.encode(vec![0x5a; n]))
}

/// The public configuration of a keyring, to show a failed call changed nothing.
fn state(k: &Keyring) -> (u32, u32, u32, u32, Vec<u32>) {
    let (latest, dec) = (k.latest_version(), k.min_decryption_version());
    (
        latest,
        dec,
        k.min_encryption_version(),
        k.min_available_version(),
        k.versions(),
    )
}

fn keyring_with_versions(n: u32) -> Keyring {
    let mut keyring = Keyring::builder("k").exportable(true).generate().unwrap();
    while keyring.latest_version() < n {
        keyring.rotate().unwrap();
    }
    keyring
}

#[test]
fn every_error_displays_vaults_text() {
    let texts = [
        (Error::NoPrefix, "invalid ciphertext: no prefix"),
        (
            Error::WrongNumberOfFields,
            "invalid ciphertext: wrong number of fields",
        ),
        (
            Error::VersionUndecodable,
            "invalid ciphertext: version number could not be decoded",
        ),
        (
            Error::VersionTooNew,
            "invalid ciphertext: version is too new",
        ),
        (
            Error::VersionTooOld,
            "ciphertext or signature version is disallowed by policy (too old)",
        ),
        (Error::NoSuchKeyVersion, "no such key version"),
        (
            Error::InvalidBase64,
            "invalid ciphertext: could not decode base64",
        ),
        (Error::InvalidCiphertextLength, "invalid ciphertext length"),
        (
            Error::Decrypt {
                key_type: KeyType::Aes256Gcm96,
            },
            "cipher: message authentication failed",
        ),
        (
            Error::Decrypt {
                key_type: KeyType::Aes128Gcm96,
            },
            "cipher: message authentication failed",
        ),
        (
            Error::Decrypt {
                key_type: KeyType::Chacha20Poly1305,
            },
            "chacha20poly1305: message authentication failed",
        ),
        (
            Error::EncryptVersionTooNew,
            "requested version for encryption is higher than the latest key version",
        ),
        (
            Error::EncryptVersionTooOld,
            "requested version for encryption is less than the minimum encryption key version",
        ),
        (
            Error::MinVersionAboveLatest {
                version: 5,
                latest: 2,
            },
            "cannot set min decryption version of 5, latest key version is 2",
        ),
        (
            Error::MinEncryptionVersionAboveLatest {
                version: 5,
                latest: 2,
            },
            "cannot set min encryption version of 5, latest key version is 2",
        ),
        (
            Error::MinEncryptionBelowMinDecryption {
                min_encryption_version: 1,
                min_decryption_version: 2,
            },
            "cannot set min encryption/decryption values; min encryption version of 1 must be greater than or equal to min decryption version of 2",
        ),
        (
            Error::MinEncryptionBelowMinAvailable,
            "min encryption version should not be less than min available version",
        ),
        (
            Error::MinDecryptionBelowMinAvailable,
            "min decryption version should not be less then min available version",
        ),
        (
            Error::Trim(TrimRule::Decremented),
            "minimum available version cannot be decremented",
        ),
        (
            Error::Trim(TrimRule::MinEncryptionUnset),
            "minimum available version cannot be set when minimum encryption version is not set",
        ),
        (
            Error::Trim(TrimRule::MinDecryptionUnset),
            "minimum available version cannot be set when minimum decryption version is not set",
        ),
        (
            Error::Trim(TrimRule::AboveMinEncryption),
            "minimum available version cannot be greater than minmum encryption version",
        ),
        (
            Error::Trim(TrimRule::AboveMinDecryption),
            "minimum available version cannot be greater than minimum decryption version",
        ),
        (
            Error::Trim(TrimRule::NotPositive),
            "minimum available version should be positive",
        ),
        (
            Error::NotExportable,
            "private key material is not exportable",
        ),
        (
            Error::MissingContext,
            "missing 'context' for key derivation; the key was created using a derived key, which means additional, per-request information must be included in order to perform operations with the key",
        ),
    ];
    for (error, text) in texts {
        assert_eq!(error.to_string(), text, "{error:?}");
    }
}

#[test]
fn missing_prefix_is_no_prefix() {
    let keyring = section_1_2_keyring();
    let body = SECTION_1_2.trim_start_matches("vault:v1:");
    for bad in [
        String::new(),
        format!("v1:{body}"),
        format!("vault:1:{body}"),
        format!("Vault:v1:{body}"),
        format!("vault:V1:{body}"),
        format!(" vault:v1:{body}"),
        format!("vaul:v1:{body}"),
        "vault:".to_owned(),
        body.to_owned(),
    ] {
        assert_eq!(
            keyring.decrypt(&bad).unwrap_err(),
            Error::NoPrefix,
            "{bad:?}"
        );
    }
}

#[test]
fn no_separator_after_version_is_wrong_number_of_fields() {
    let keyring = section_1_2_keyring();
    for bad in [
        "vault:v",
        "vault:v1",
        "vault:v12345",
        "vault:vx",
        "vault:v1AAAA==",
    ] {
        assert_eq!(
            keyring.decrypt(bad).unwrap_err(),
            Error::WrongNumberOfFields,
            "{bad:?}"
        );
    }
}

#[test]
fn version_field_follows_go_atoi() {
    let keyring = section_1_2_keyring();
    let body = SECTION_1_2.trim_start_matches("vault:v1:");
    // Refused by Go's strconv.Atoi: spaces, junk, bare signs, overflow of int64, non-ASCII.
    for field in [
        " 1",
        "1 ",
        "1a",
        "",
        "+",
        "-",
        "9223372036854775808",
        "0x1",
        "1.0",
        "١",
        "--1",
    ] {
        let bad = format!("vault:v{field}:{body}");
        assert_eq!(
            keyring.decrypt(&bad).unwrap_err(),
            Error::VersionUndecodable,
            "{bad:?}"
        );
    }
    // Accepted by Atoi: a plus sign and leading zeros still name version 1.
    for field in ["+1", "01", "0001", "+01"] {
        let ok = format!("vault:v{field}:{body}");
        assert!(keyring.decrypt(&ok).unwrap().is_empty(), "{ok:?}");
    }
}

#[test]
fn version_zero_means_version_one() {
    let mut keyring = keyring_with_versions(1);
    let v1 = keyring.encrypt(b"legacy").unwrap();
    let body = v1.trim_start_matches("vault:v1:");
    for field in ["0", "00", "+0", "-0"] {
        let v0 = format!("vault:v{field}:{body}");
        assert_eq!(&*keyring.decrypt(&v0).unwrap(), b"legacy", "{v0:?}");
    }
    keyring.rotate().unwrap();
    keyring.set_min_decryption_version(2).unwrap();
    // v0 is v1, so it is now too old like v1.
    let v0 = format!("vault:v0:{body}");
    assert_eq!(keyring.decrypt(&v0).unwrap_err(), Error::VersionTooOld);
}

#[test]
fn version_above_latest_is_too_new() {
    let mut keyring = keyring_with_versions(1);
    let body = keyring
        .encrypt(b"x")
        .unwrap()
        .trim_start_matches("vault:v1:")
        .to_owned();
    for field in ["2", "4294967296", "9223372036854775807"] {
        let bad = format!("vault:v{field}:{body}");
        assert_eq!(
            keyring.decrypt(&bad).unwrap_err(),
            Error::VersionTooNew,
            "{bad:?}"
        );
    }
    keyring.rotate().unwrap();
    // v2 exists now, so the same string passes the version checks (and fails the tag).
    let relabelled = format!("vault:v2:{body}");
    let err = keyring.decrypt(&relabelled).unwrap_err();
    assert_eq!(
        err,
        Error::Decrypt {
            key_type: KeyType::Aes256Gcm96
        }
    );
}

#[test]
fn version_below_min_decryption_is_too_old() {
    let mut keyring = keyring_with_versions(1);
    let v1 = keyring.encrypt(b"x").unwrap();
    let body = v1.trim_start_matches("vault:v1:");
    for field in ["-1", "-2", "-9223372036854775808"] {
        let bad = format!("vault:v{field}:{body}");
        assert_eq!(
            keyring.decrypt(&bad).unwrap_err(),
            Error::VersionTooOld,
            "{bad:?}"
        );
    }
    keyring.rotate().unwrap();
    keyring.set_min_decryption_version(2).unwrap();
    assert_eq!(keyring.decrypt(&v1).unwrap_err(), Error::VersionTooOld);
    assert_eq!(keyring.rewrap(&v1).unwrap_err(), Error::VersionTooOld);
}

#[test]
fn version_checks_come_before_base64_and_length() {
    let mut keyring = keyring_with_versions(2);
    keyring.set_min_decryption_version(2).unwrap();
    let cases = [
        ("vault:v3:!!!!", Error::VersionTooNew),
        ("vault:v3:", Error::VersionTooNew),
        ("vault:v1:!!!!", Error::VersionTooOld),
        ("vault:v1:", Error::VersionTooOld),
        ("vault:v-1:not base64", Error::VersionTooOld),
        ("vault:vx:!!!!", Error::VersionUndecodable),
        ("vault:vx", Error::WrongNumberOfFields),
        ("vault:x:!!!!", Error::NoPrefix),
        ("vault:v2:!!", Error::InvalidBase64),
        ("vault:v2:", Error::InvalidCiphertextLength),
    ];
    for (ciphertext, expected) in cases {
        assert_eq!(
            keyring.decrypt(ciphertext).unwrap_err(),
            expected,
            "{ciphertext:?}"
        );
    }
}

#[test]
fn body_must_be_padded_standard_base64() {
    let keyring = section_1_2_keyring();
    let unpadded = SECTION_1_2.trim_end_matches('=');
    let url_safe = SECTION_1_2.replace('+', "-");
    let with_space = SECTION_1_2.replacen("AAAA", "AA AA", 1);
    let extra_padding = format!("{SECTION_1_2}==");
    let after_padding = format!("{SECTION_1_2}AAAA");
    for bad in [
        unpadded,
        url_safe.as_str(),
        with_space.as_str(),
        extra_padding.as_str(),
        after_padding.as_str(),
        "vault:v1:!!!!",
        "vault:v1:AAAA\t",
        "vault:v1:A",
        "vault:v1:AA=A",
    ] {
        assert_eq!(
            keyring.decrypt(bad).unwrap_err(),
            Error::InvalidBase64,
            "{bad:?}"
        );
    }
}

#[test]
fn line_breaks_inside_base64_are_skipped_like_go() {
    let keyring = section_1_2_keyring();
    let body = SECTION_1_2.trim_start_matches("vault:v1:");
    for at in [0, 1, 4, 17, body.len() - 2, body.len()] {
        for brk in ["\r\n", "\n", "\r", "\r\n\r\n"] {
            let broken = format!("vault:v1:{}{brk}{}", &body[..at], &body[at..]);
            assert!(keyring.decrypt(&broken).unwrap().is_empty(), "{broken:?}");
        }
    }
}

#[test]
fn body_shorter_than_nonce_is_invalid_length() {
    for key_type in KeyType::ALL {
        let keyring = Keyring::generate("k", key_type).unwrap();
        assert_eq!(
            keyring.decrypt("vault:v1:").unwrap_err(),
            Error::InvalidCiphertextLength
        );
        // "abcd" decodes to 3 bytes (O-backend_test.go TestBadInput).
        assert_eq!(
            keyring.decrypt("vault:v1:abcd").unwrap_err(),
            Error::InvalidCiphertextLength
        );
        for n in 0..12 {
            let err = keyring.decrypt(&body_of_len(n)).unwrap_err();
            assert_eq!(err, Error::InvalidCiphertextLength, "{key_type} {n} bytes");
        }
    }
}

#[test]
fn body_shorter_than_nonce_and_tag_fails_authentication() {
    for key_type in KeyType::ALL {
        let keyring = Keyring::generate("k", key_type).unwrap();
        for n in 12..=27 {
            let err = keyring.decrypt(&body_of_len(n)).unwrap_err();
            assert_eq!(err, Error::Decrypt { key_type }, "{key_type} {n} bytes");
        }
    }
}

#[test]
fn wrong_key_aad_or_any_flipped_byte_is_the_same_decrypt_error() {
    for key_type in KeyType::ALL {
        let keyring = Keyring::generate("k", key_type).unwrap();
        let other = Keyring::generate("k", key_type).unwrap();
        let bound = Options::new().associated_data(b"project/42");
        let ciphertext = keyring.encrypt_with(b"hunter2", &bound).unwrap();
        let expected = Error::Decrypt { key_type };
        assert_eq!(
            other.decrypt_with(&ciphertext, &bound).unwrap_err(),
            expected
        );
        assert_eq!(keyring.decrypt(&ciphertext).unwrap_err(), expected);
        let wrong = Options::new().associated_data(b"project/43");
        assert_eq!(
            keyring.decrypt_with(&ciphertext, &wrong).unwrap_err(),
            expected
        );
        let body = STANDARD
            .decode(ciphertext.trim_start_matches("vault:v1:"))
            .unwrap();
        for i in 0..body.len() {
            let mut flipped = body.clone();
            flipped[i] ^= 0x80;
            let tampered = format!("vault:v1:{}", STANDARD.encode(&flipped));
            let err = keyring.decrypt_with(&tampered, &bound).unwrap_err();
            assert_eq!(err, expected, "{key_type} byte {i}");
        }
        let text = match key_type {
            KeyType::Chacha20Poly1305 => "chacha20poly1305: message authentication failed",
            _ => "cipher: message authentication failed",
        };
        assert_eq!(expected.to_string(), text);
    }
}

#[test]
fn derived_keyring_errors_in_vaults_order() {
    let keyring = Keyring::builder("k")
        .derived(Kdf::HkdfSha256)
        .generate()
        .unwrap();
    let ctx = Options::new().context(b"project/1");
    let ciphertext = keyring.encrypt_with(b"x", &ctx).unwrap();
    assert_eq!(keyring.encrypt(b"x").unwrap_err(), Error::MissingContext);
    assert_eq!(
        keyring.decrypt(&ciphertext).unwrap_err(),
        Error::MissingContext
    );
    // Base64 is decoded before the key is derived; the length is checked after (§1.3 9-11).
    assert_eq!(
        keyring.decrypt("vault:v1:!!!!").unwrap_err(),
        Error::InvalidBase64
    );
    assert_eq!(
        keyring.decrypt("vault:v1:").unwrap_err(),
        Error::MissingContext
    );
    let other = Options::new().context(b"project/2");
    let err = keyring.decrypt_with(&ciphertext, &other).unwrap_err();
    assert_eq!(
        err,
        Error::Decrypt {
            key_type: KeyType::Aes256Gcm96
        }
    );
}

#[test]
fn encrypt_key_version_outside_the_allowed_range() {
    let mut keyring = keyring_with_versions(3);
    let too_new = Options::new().key_version(4);
    assert_eq!(
        keyring.encrypt_with(b"x", &too_new).unwrap_err(),
        Error::EncryptVersionTooNew
    );
    keyring.set_min_encryption_version(2).unwrap();
    let too_old = Options::new().key_version(1);
    assert_eq!(
        keyring.encrypt_with(b"x", &too_old).unwrap_err(),
        Error::EncryptVersionTooOld
    );
    let ciphertext = keyring.encrypt(b"x").unwrap();
    assert_eq!(
        keyring.rewrap_with(&ciphertext, &too_new).unwrap_err(),
        Error::EncryptVersionTooNew
    );
    assert_eq!(
        keyring.rewrap_with(&ciphertext, &too_old).unwrap_err(),
        Error::EncryptVersionTooOld
    );
    assert!(
        keyring
            .encrypt_with(b"x", &Options::new().key_version(2))
            .is_ok()
    );
}

#[test]
fn encrypt_below_min_decryption_is_no_such_key_version() {
    // min_encryption_version 0 lets any key_version through the encrypt checks, but versions
    // below min_decryption_version are outside Vault's working set.
    let mut keyring = keyring_with_versions(3);
    keyring.set_min_decryption_version(2).unwrap();
    let v1 = Options::new().key_version(1);
    assert_eq!(
        keyring.encrypt_with(b"x", &v1).unwrap_err(),
        Error::NoSuchKeyVersion
    );
    assert!(
        keyring
            .encrypt_with(b"x", &Options::new().key_version(2))
            .is_ok()
    );
}

#[test]
fn min_decryption_version_rules() {
    let mut keyring = keyring_with_versions(2);
    keyring.set_min_decryption_version(0).unwrap();
    assert_eq!(keyring.min_decryption_version(), 1, "0 means 1");
    let before = state(&keyring);
    let err = keyring.set_min_decryption_version(5).unwrap_err();
    assert_eq!(
        err,
        Error::MinVersionAboveLatest {
            version: 5,
            latest: 2
        }
    );
    assert_eq!(
        err.to_string(),
        "cannot set min decryption version of 5, latest key version is 2"
    );
    assert_eq!(state(&keyring), before);
    keyring.set_min_decryption_version(2).unwrap();
    keyring.set_min_decryption_version(1).unwrap(); // lowering is allowed before a trim
    assert_eq!(keyring.min_decryption_version(), 1);
}

#[test]
fn min_encryption_version_rules() {
    let mut keyring = keyring_with_versions(3);
    let err = keyring.set_min_encryption_version(4).unwrap_err();
    assert_eq!(
        err,
        Error::MinEncryptionVersionAboveLatest {
            version: 4,
            latest: 3
        }
    );
    assert_eq!(
        err.to_string(),
        "cannot set min encryption version of 4, latest key version is 3"
    );
    keyring.set_min_decryption_version(2).unwrap();
    let before = state(&keyring);
    let err = keyring.set_min_encryption_version(1).unwrap_err();
    let expected = Error::MinEncryptionBelowMinDecryption {
        min_encryption_version: 1,
        min_decryption_version: 2,
    };
    assert_eq!(err, expected);
    assert_eq!(state(&keyring), before);
    keyring.set_min_encryption_version(0).unwrap(); // 0: no minimum, always allowed
    keyring.set_min_encryption_version(2).unwrap();
    // Raising min_decryption above a set min_encryption is refused the other way round.
    let before = state(&keyring);
    let err = keyring.set_min_decryption_version(3).unwrap_err();
    let expected = Error::MinEncryptionBelowMinDecryption {
        min_encryption_version: 2,
        min_decryption_version: 3,
    };
    assert_eq!(err, expected);
    assert_eq!(state(&keyring), before);
}

#[test]
fn trim_rules_in_vaults_order() {
    let mut keyring = keyring_with_versions(4);
    // min_encryption_version unset is checked before the value itself, even for 0.
    let before = state(&keyring);
    for v in [0, 1, 9] {
        assert_eq!(
            keyring.trim(v).unwrap_err(),
            Error::Trim(TrimRule::MinEncryptionUnset)
        );
    }
    assert_eq!(state(&keyring), before);
    keyring.set_min_decryption_version(2).unwrap();
    keyring.set_min_encryption_version(3).unwrap();
    let before = state(&keyring);
    // Above both minimums: the min_encryption rule is reported first.
    assert_eq!(
        keyring.trim(4).unwrap_err(),
        Error::Trim(TrimRule::AboveMinEncryption)
    );
    assert_eq!(
        keyring.trim(3).unwrap_err(),
        Error::Trim(TrimRule::AboveMinDecryption)
    );
    assert_eq!(
        keyring.trim(0).unwrap_err(),
        Error::Trim(TrimRule::NotPositive)
    );
    assert_eq!(
        state(&keyring),
        before,
        "failed trims change and delete nothing"
    );
    keyring.trim(2).unwrap();
    keyring.trim(2).unwrap(); // the same value again is fine
    let before = state(&keyring);
    // Lower than the current minimum: reported before every other rule.
    for v in [0, 1] {
        assert_eq!(
            keyring.trim(v).unwrap_err(),
            Error::Trim(TrimRule::Decremented)
        );
    }
    assert_eq!(state(&keyring), before);
    assert_eq!(keyring.min_available_version(), 2);
    assert_eq!(keyring.versions(), vec![2, 3, 4]);
    // TrimRule::MinDecryptionUnset cannot happen here: min_decryption_version is never 0
    // (0 means 1); its text is pinned in every_error_displays_vaults_text.
}

#[test]
fn trimmed_versions_are_gone() {
    let mut keyring = keyring_with_versions(1);
    let v1 = keyring.encrypt(b"one").unwrap();
    keyring.rotate().unwrap();
    let v2 = keyring.encrypt(b"two").unwrap();
    keyring.rotate().unwrap();
    keyring.set_min_decryption_version(2).unwrap();
    keyring.set_min_encryption_version(2).unwrap();
    keyring.trim(2).unwrap();
    assert_eq!(
        (keyring.versions(), keyring.min_available_version()),
        (vec![2, 3], 2)
    );
    assert_eq!(keyring.creation_time(1), None);
    assert_eq!(keyring.decrypt(&v1).unwrap_err(), Error::VersionTooOld);
    assert_eq!(&*keyring.decrypt(&v2).unwrap(), b"two");
    let v1_opts = Options::new().key_version(1);
    assert_eq!(
        keyring.encrypt_with(b"x", &v1_opts).unwrap_err(),
        Error::EncryptVersionTooOld
    );
    let export: serde_json::Value =
        serde_json::from_str(&keyring.to_vault_export().unwrap()).unwrap();
    let exported: Vec<&String> = export["keys"].as_object().unwrap().keys().collect();
    assert_eq!(exported, ["2", "3"]);
    // Neither minimum may go back below the trimmed versions; nothing changes on refusal.
    let before = state(&keyring);
    let err = keyring.set_min_decryption_version(1).unwrap_err();
    assert_eq!(err, Error::MinDecryptionBelowMinAvailable);
    let err = keyring.set_min_encryption_version(0).unwrap_err();
    assert_eq!(err, Error::MinEncryptionBelowMinAvailable);
    let err = keyring.set_min_encryption_version(1).unwrap_err();
    let expected = Error::MinEncryptionBelowMinDecryption {
        min_encryption_version: 1,
        min_decryption_version: 2,
    };
    assert_eq!(err, expected);
    assert_eq!(state(&keyring), before);
    assert_eq!(&*keyring.decrypt(&v2).unwrap(), b"two");
}

#[test]
fn export_needs_exportable() {
    let keyring = Keyring::generate("k", KeyType::Aes256Gcm96).unwrap();
    assert_eq!(keyring.to_vault_export().unwrap_err(), Error::NotExportable);
    let mut keyring = keyring;
    keyring.set_exportable();
    assert!(keyring.to_vault_export().is_ok());
}

#[test]
fn bad_export_documents_are_refused_without_echoing_keys() {
    let key = SECTION_1_2_KEY_B64;
    let short_key = "AAECAwQFBgcICQoLDA0ODw=="; // 16 bytes
    let truncated = format!("{{\"name\":\"k\",\"keys\":{{\"1\":\"{key}\"");
    let not_an_object = format!("[\"{key}\"]");
    let key_not_a_string =
        format!(r#"{{"name":"k","type":"aes256-gcm96","keys":{{"1":["{key}"]}}}}"#);
    // Malformed JSON: serde's position only, never the input. A document of the wrong shape
    // has no position to report, so the error says what shape was expected.
    let syntax = format!("export JSON at line 1 column {}", truncated.len());
    let shape = "export JSON is not Vault's {name, type, keys} document".to_owned();
    let cases = [
        (truncated.clone(), syntax),
        (not_an_object, shape.clone()),
        (key_not_a_string, shape),
        (
            export_json("aes256-gcm96", &[("1", "AAEC!!!!")]),
            "key version 1 is not base64".to_owned(),
        ),
        (
            export_json("aes256-gcm96", &[("1", &key[..43])]),
            "key version 1 is not base64".to_owned(),
        ),
        (
            export_json("aes256-gcm96", &[("1", key), ("3", key)]),
            "export skips a key version".to_owned(),
        ),
        (
            export_json("aes256-gcm96", &[]),
            "export has no keys".to_owned(),
        ),
        (
            export_json("aes256-gcm96", &[("0", key)]),
            "bad key version number".to_owned(),
        ),
        (
            export_json("aes256-gcm96", &[("v1", key)]),
            "bad key version number".to_owned(),
        ),
        (
            export_json("aes256-gcm96", &[("-1", key)]),
            "bad key version number".to_owned(),
        ),
    ];
    for (json, detail) in &cases {
        let err = Keyring::from_vault_export(json).unwrap_err();
        assert_eq!(err, Error::InvalidDocument(detail.clone()), "{json}");
        assert!(
            !err.to_string().contains(&key[..16]),
            "{err} echoes the key"
        );
        assert!(
            !format!("{err:?}").contains(&key[..16]),
            "{err:?} echoes the key"
        );
    }
    let typed = [
        (
            export_json("rsa-2048", &[("1", key)]),
            Error::UnknownKeyType("rsa-2048".to_owned()),
        ),
        (
            export_json("aes256-gcm96", &[("1", short_key)]),
            Error::InvalidKeySize {
                len: 16,
                key_type: KeyType::Aes256Gcm96,
            },
        ),
        (
            export_json("chacha20-poly1305", &[("1", short_key)]),
            Error::InvalidKeySize {
                len: 16,
                key_type: KeyType::Chacha20Poly1305,
            },
        ),
        (
            export_json("aes128-gcm96", &[("1", key)]),
            Error::InvalidKeySize {
                len: 32,
                key_type: KeyType::Aes128Gcm96,
            },
        ),
    ];
    for (json, expected) in typed {
        let err = Keyring::from_vault_export(&json).unwrap_err();
        assert_eq!(err, expected, "{json}");
        for text in [err.to_string(), format!("{err:?}")] {
            assert!(
                !text.contains(&key[..16]) && !text.contains(&short_key[..16]),
                "{text}"
            );
        }
    }
}
