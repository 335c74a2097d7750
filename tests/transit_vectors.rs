//! Vault transit completeness (issue 4) against known answers made by Python's
//! `cryptography` (`tests/data/gen_transit_vectors.py`): backup blobs of every key type,
//! derived (kdf 0 and 1) and convergent (v2, v3) keyrings, data keys and HMACs, read in,
//! used, and written back out field for field.
// The helpers below are not `#[test]` fns, which is all `.clippy.toml`'s allow reaches.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;
use transit_keyring::{Error, HashAlgorithm, Kdf, KeyType, Keyring, Options};

use common::{Case, read_blocks};

const BACKUPS: &str = "tests/data/transit_backups.txt";
const CIPHERTEXTS: &str = "tests/data/transit_ciphertexts.txt";
const CONVERGENT: &str = "tests/data/transit_convergent.txt";
const HMACS: &str = "tests/data/transit_hmac.txt";

/// Every keyring of `transit_backups.txt`, restored from its blob, by name.
fn restored() -> BTreeMap<String, Keyring> {
    read_blocks(BACKUPS)
        .iter()
        .map(|case| {
            (
                case.get("NAME").to_owned(),
                restore(case, case.get("BACKUP")),
            )
        })
        .collect()
}

fn restore(case: &Case, blob: &str) -> Keyring {
    Keyring::from_vault_backup(blob).unwrap_or_else(|e| panic!("{case}: does not restore: {e}"))
}

fn keyring<'a>(keyrings: &'a BTreeMap<String, Keyring>, case: &Case) -> &'a Keyring {
    let name = case.get("BACKUP");
    keyrings
        .get(name)
        .unwrap_or_else(|| panic!("{case}: no keyring {name}"))
}

/// The decoded JSON inside a backup blob; Go's encoder ends it with a newline.
fn backup_document(blob: &str) -> Value {
    let json = STANDARD.decode(blob).unwrap();
    assert_eq!(
        json.last(),
        Some(&b'\n'),
        "backup JSON must end with Go's newline"
    );
    serde_json::from_slice(&json).unwrap()
}

fn opts<'a>(case: &Case, context: &'a [u8], associated_data: &'a [u8]) -> Options<'a> {
    Options::new()
        .context(context)
        .associated_data(associated_data)
        .key_version(case.number("VERSION"))
}

/// Decrypts one ciphertext vector: its plaintext, or the error it names.
fn check_decrypt(keyring: &Keyring, case: &Case) {
    let (context, aad) = (case.hex("CONTEXT"), case.hex("ASSOCIATED_DATA"));
    let result = keyring.decrypt_with(case.get("CIPHERTEXT"), &opts(case, &context, &aad));
    match case.get_opt("EXPECT_ERROR") {
        Some("VersionTooOld") => assert_eq!(result.unwrap_err(), Error::VersionTooOld, "{case}"),
        Some(other) => panic!("{case}: unknown EXPECT_ERROR {other}"),
        None => {
            let plaintext = result.unwrap_or_else(|e| panic!("{case}: {e}"));
            assert_eq!(*plaintext, case.hex("PLAINTEXT"), "{case}");
        }
    }
}

/// Encrypts a convergent vector: the result must be exactly its ciphertext. Vectors with
/// associated data (which Vault accepts) are refused here, since the convergent nonce ignores
/// associated data; they still decrypt (`check_decrypt`).
fn check_convergent_encrypt(keyring: &Keyring, case: &Case) {
    let (context, aad) = (case.hex("CONTEXT"), case.hex("ASSOCIATED_DATA"));
    if !aad.is_empty() {
        let refused = keyring.encrypt_with(&case.hex("PLAINTEXT"), &opts(case, &context, &aad));
        assert_eq!(
            refused.unwrap_err(),
            Error::ConvergentAssociatedData,
            "{case}"
        );
        return;
    }
    let ciphertext = keyring
        .encrypt_with(&case.hex("PLAINTEXT"), &opts(case, &context, &aad))
        .unwrap_or_else(|e| panic!("{case}: {e}"));
    assert_eq!(ciphertext, case.get("CIPHERTEXT"), "{case}");
}

fn check_hmac(keyring: &Keyring, case: &Case) {
    let algorithm: HashAlgorithm = case.get("ALGORITHM").parse().unwrap();
    assert_eq!(algorithm.to_string(), case.get("ALGORITHM"));
    let input = case.hex("INPUT");
    let options = Options::new().key_version(case.number("VERSION"));
    let mac = keyring
        .hmac(&input, algorithm, &options)
        .unwrap_or_else(|e| panic!("{case}: {e}"));
    assert_eq!(mac, case.get("HMAC"), "{case}");
    assert_eq!(
        keyring.verify_hmac(&input, case.get("HMAC"), algorithm),
        Ok(true),
        "{case}"
    );
}

#[test]
fn backups_restore_with_their_settings() {
    let cases = read_blocks(BACKUPS);
    assert_eq!(cases.len(), 17);
    for case in &cases {
        let keyring = restore(case, case.get("BACKUP"));
        let kdf = match case.get("KDF") {
            "none" => None,
            name => Some(name.parse::<Kdf>().unwrap()),
        };
        assert_eq!(keyring.name(), case.get("NAME"), "{case}");
        assert_eq!(
            keyring.key_type(),
            case.get("KEY_TYPE").parse::<KeyType>().unwrap(),
            "{case}"
        );
        assert_eq!(keyring.kdf(), kdf, "{case}");
        assert_eq!(keyring.is_derived(), kdf.is_some(), "{case}");
        assert_eq!(
            keyring.is_convergent(),
            case.get("CONVERGENT") == "true",
            "{case}"
        );
        assert_eq!(
            keyring.latest_version(),
            case.number::<u32>("LATEST_VERSION"),
            "{case}"
        );
        let min_decryption: u32 = case.number("MIN_DECRYPTION_VERSION");
        let min_available: u32 = case.number("MIN_AVAILABLE_VERSION");
        assert_eq!(keyring.min_decryption_version(), min_decryption, "{case}");
        let min_encryption: u32 = case.number("MIN_ENCRYPTION_VERSION");
        assert_eq!(keyring.min_encryption_version(), min_encryption, "{case}");
        assert_eq!(keyring.min_available_version(), min_available, "{case}");
        assert!(
            keyring.is_exportable() && keyring.allows_plaintext_backup(),
            "{case}"
        );
        assert_eq!(
            keyring.is_deletion_allowed(),
            case.get("DELETION_ALLOWED") == "true"
        );
        let period = Duration::from_nanos(case.number("AUTO_ROTATE_PERIOD_NS"));
        assert_eq!(keyring.auto_rotate_period(), period, "{case}");
        // Archived versions below min_decryption_version stay: lowering it reopens them.
        let stored: Vec<u32> = (min_available.max(1)..=keyring.latest_version()).collect();
        assert_eq!(keyring.versions(), stored, "{case}");
    }
}

#[test]
fn ciphertexts_decrypt_to_their_plaintext() {
    let keyrings = restored();
    let cases = [read_blocks(CIPHERTEXTS), read_blocks(CONVERGENT)].concat();
    assert_eq!(cases.len(), 180 + 168);
    for case in &cases {
        check_decrypt(keyring(&keyrings, case), case);
        if let Some(bits) = case.get_opt("DATAKEY_BITS") {
            let bits: usize = bits.parse().unwrap();
            assert_eq!(case.hex("PLAINTEXT").len() * 8, bits, "{case}");
        }
    }
}

#[test]
fn convergent_encryption_reproduces_vectors_exactly() {
    let keyrings = restored();
    let cases = read_blocks(CONVERGENT);
    for case in &cases {
        check_convergent_encrypt(keyring(&keyrings, case), case);
    }
    // Both schemes, including the upgraded keyring's per-version mix, are covered.
    for scheme in ["2", "3"] {
        assert!(
            cases.iter().any(|c| c.get("SCHEME") == scheme),
            "no scheme {scheme}"
        );
    }
}

#[test]
fn altered_vectors_are_decrypt_errors() {
    let keyrings = restored();
    let cases = [read_blocks(CIPHERTEXTS), read_blocks(CONVERGENT)].concat();
    for case in cases.iter().filter(|c| !c.has("EXPECT_ERROR")) {
        let keyring = keyring(&keyrings, case);
        let expected = Error::Decrypt {
            key_type: keyring.key_type(),
        };
        let (context, aad) = (case.hex("CONTEXT"), case.hex("ASSOCIATED_DATA"));
        let (prefix, body) = case.get("CIPHERTEXT").rsplit_once(':').unwrap();
        let mut bytes = STANDARD.decode(body).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 0x01; // last tag byte
        let tampered = format!("{prefix}:{}", STANDARD.encode(&bytes));
        let result = keyring.decrypt_with(&tampered, &opts(case, &context, &aad));
        assert_eq!(result.unwrap_err(), expected, "{case}: tampered tag");
        if keyring.is_derived() {
            let other = [context.as_slice(), b"!"].concat();
            let result = keyring.decrypt_with(case.get("CIPHERTEXT"), &opts(case, &other, &aad));
            assert_eq!(result.unwrap_err(), expected, "{case}: other context");
            let result = keyring.decrypt_with(case.get("CIPHERTEXT"), &opts(case, b"", &aad));
            assert_eq!(
                result.unwrap_err(),
                Error::MissingContext,
                "{case}: no context"
            );
        }
        if !aad.is_empty() {
            let result = keyring.decrypt_with(case.get("CIPHERTEXT"), &opts(case, &context, b""));
            assert_eq!(
                result.unwrap_err(),
                expected,
                "{case}: associated data left out"
            );
        }
    }
}

#[test]
fn hmacs_match_and_verify() {
    let keyrings = restored();
    let cases = read_blocks(HMACS);
    assert_eq!(cases.len(), 144);
    for case in &cases {
        let keyring = keyring(&keyrings, case);
        check_hmac(keyring, case);
        let algorithm: HashAlgorithm = case.get("ALGORITHM").parse().unwrap();
        let input = case.hex("INPUT");
        // A changed character of the MAC (first base64 quantum: every bit counts).
        let mac = case.get("HMAC");
        let at = mac.rfind(':').unwrap() + 2;
        let swapped = if &mac[at..=at] == "A" { "B" } else { "A" };
        let altered = format!("{}{swapped}{}", &mac[..at], &mac[at + 1..]);
        assert_eq!(
            keyring.verify_hmac(&input, &altered, algorithm),
            Ok(false),
            "{case}"
        );
        // Another input, and another version's label on the same MAC.
        let longer = [input.as_slice(), b"x"].concat();
        assert_eq!(
            keyring.verify_hmac(&longer, mac, algorithm),
            Ok(false),
            "{case}"
        );
        let version: u32 = case.number("VERSION");
        let relabelled = mac.replacen(
            &format!("vault:v{version}:"),
            &format!("vault:v{}:", version % 3 + 1),
            1,
        );
        assert_eq!(
            keyring.verify_hmac(&input, &relabelled, algorithm),
            Ok(false),
            "{case}"
        );
    }
}

/// Every policy field spec section 5 lists (besides `keys` and the two operation infos),
/// space-separated.
const POLICY_FIELDS: &str = "name key key_size derived kdf convergent_encryption \
    convergent_version exportable allow_plaintext_backup deletion_allowed min_decryption_version \
    min_encryption_version latest_version archive_version archive_min_version \
    min_available_version type version_template storage_prefix auto_rotate_period \
    Imported AllowImportedKeyRotation";

/// Every key entry field of section 5. Times are strings and must come back character for
/// character.
const ENTRY_FIELDS: &str = "key hmac_key time creation_time convergent_version ec_x ec_y \
    ec_d rsa_key rsa_public_key public_key certificate_chain";

/// A field's value, or Go's zero value when absent (newest Vault omits empty entry fields;
/// `key` and `key_size` are `omitempty` everywhere).
fn field(doc: &Value, name: &str) -> Value {
    let zero = match name {
        "key_size" | "kdf" | "convergent_version" | "creation_time" | "auto_rotate_period" => {
            Value::from(0)
        }
        "version_template" | "storage_prefix" | "public_key" => Value::from(""),
        "derived"
        | "convergent_encryption"
        | "exportable"
        | "allow_plaintext_backup"
        | "deletion_allowed"
        | "Imported"
        | "AllowImportedKeyRotation" => Value::from(false),
        _ => Value::Null,
    };
    doc.get(name).cloned().unwrap_or(zero)
}

fn assert_entries_equal(ours: &Value, theirs: &Value, at: &str) {
    for name in ENTRY_FIELDS.split_whitespace() {
        assert_eq!(
            field(ours, name),
            field(theirs, name),
            "{at}: entry field {name}"
        );
    }
}

/// Checks our backup JSON against the Python one, field by field.
fn assert_same_document(ours: &Value, theirs: &Value, name: &str) {
    let (op, tp) = (&ours["policy"], &theirs["policy"]);
    for field_name in POLICY_FIELDS.split_whitespace() {
        let (o, t) = (field(op, field_name), field(tp, field_name));
        assert_eq!(o, t, "{name}: policy field {field_name}");
    }
    let latest = &tp["latest_version"];
    // Both infos record an operation at the time it happens: only the version is fixed.
    assert_eq!(&op["backup_info"]["version"], latest, "{name}: backup_info");
    assert!(
        op["backup_info"]["time"].is_string(),
        "{name}: backup_info time"
    );
    let restore = &op["restore_info"];
    assert!(
        restore.is_null() || &restore["version"] == latest,
        "{name}: restore_info"
    );
    let (ok, tk) = (
        op["keys"].as_object().unwrap(),
        tp["keys"].as_object().unwrap(),
    );
    assert_eq!(
        ok.keys().collect::<Vec<_>>(),
        tk.keys().collect::<Vec<_>>(),
        "{name}: keys"
    );
    for (version, entry) in tk {
        assert_entries_equal(
            &ok[version],
            entry,
            &format!("{name}: policy.keys[{version}]"),
        );
    }
    let oa = ours["archived_keys"]["keys"].as_array().unwrap();
    let ta = theirs["archived_keys"]["keys"].as_array().unwrap();
    assert_eq!(oa.len(), ta.len(), "{name}: archive length");
    for (index, (o, t)) in oa.iter().zip(ta).enumerate() {
        assert_entries_equal(o, t, &format!("{name}: archived_keys[{index}]"));
    }
}

#[test]
fn backup_round_trip_keeps_every_field() {
    for case in read_blocks(BACKUPS) {
        let keyring = restore(&case, case.get("BACKUP"));
        let ours = keyring
            .to_vault_backup()
            .unwrap_or_else(|e| panic!("{case}: {e}"));
        let theirs = backup_document(case.get("BACKUP"));
        assert_same_document(&backup_document(&ours), &theirs, case.get("NAME"));
    }
}

#[test]
fn our_backups_restore_to_keyrings_that_pass_every_vector() {
    let keyrings: BTreeMap<String, Keyring> = read_blocks(BACKUPS)
        .iter()
        .map(|case| {
            let ours = restore(case, case.get("BACKUP")).to_vault_backup().unwrap();
            (case.get("NAME").to_owned(), restore(case, &ours))
        })
        .collect();
    for case in read_blocks(CIPHERTEXTS) {
        check_decrypt(keyring(&keyrings, &case), &case);
    }
    for case in read_blocks(CONVERGENT) {
        check_decrypt(keyring(&keyrings, &case), &case);
        check_convergent_encrypt(keyring(&keyrings, &case), &case);
    }
    for case in read_blocks(HMACS) {
        check_hmac(keyring(&keyrings, &case), &case);
    }
}

#[test]
fn lowering_min_decryption_version_reopens_archived_version() {
    let mut keyrings = restored();
    let old: Vec<Case> = read_blocks(CIPHERTEXTS)
        .into_iter()
        .filter(|c| c.get("BACKUP") == "kat-aes256-min-decryption" && c.get("VERSION") == "1")
        .collect();
    assert!(!old.is_empty());
    let keyring = keyrings.get_mut("kat-aes256-min-decryption").unwrap();
    keyring.set_min_decryption_version(1).unwrap();
    for case in &old {
        let (context, aad) = (case.hex("CONTEXT"), case.hex("ASSOCIATED_DATA"));
        let plaintext = keyring.decrypt_with(case.get("CIPHERTEXT"), &opts(case, &context, &aad));
        assert_eq!(*plaintext.unwrap(), case.hex("PLAINTEXT"), "{case}");
    }
    let doc = backup_document(&keyring.to_vault_backup().unwrap());
    let working: Vec<&String> = doc["policy"]["keys"].as_object().unwrap().keys().collect();
    assert_eq!(working, ["1", "2", "3"]);

    // A trimmed keyring has no version 1 to reopen.
    let trimmed = keyrings.get_mut("kat-chacha20-trimmed").unwrap();
    assert_eq!(
        trimmed.set_min_decryption_version(1),
        Err(Error::MinDecryptionBelowMinAvailable)
    );
}
