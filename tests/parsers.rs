//! Property tests for the parsers that are not ciphertexts: backup blobs, export documents,
//! HMAC strings. No input may panic; valid documents round-trip.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use proptest::prelude::*;
use transit_keyring::{HashAlgorithm, Kdf, KeyType, Keyring, Options};

fn backupable(key_type: KeyType, derived: bool, rotations: u32) -> Keyring {
    let mut builder = Keyring::builder("prop")
        .key_type(key_type)
        .exportable(true)
        .allow_plaintext_backup(true);
    if derived {
        builder = builder.derived(Kdf::HkdfSha256);
    }
    let mut keyring = builder.generate().unwrap();
    for _ in 0..rotations {
        keyring.rotate().unwrap();
    }
    keyring
}

fn key_type() -> impl Strategy<Value = KeyType> {
    prop::sample::select(KeyType::ALL.to_vec())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn backup_round_trip_keeps_every_ciphertext(
        kt in key_type(), derived: bool, rotations in 0u32..4, min_dec_offset in 0u32..4,
        pt in prop::collection::vec(any::<u8>(), 0..256),
    ) {
        let mut keyring = backupable(kt, derived, rotations);
        let opts = Options::new().context(b"ctx");
        let cts: Vec<String> = (1..=keyring.latest_version())
            .map(|v| keyring.encrypt_with(&pt, &opts.key_version(v)).unwrap())
            .collect();
        let min_dec = 1 + min_dec_offset.min(rotations);
        keyring.set_min_decryption_version(min_dec).unwrap();
        let restored = Keyring::from_vault_backup(&keyring.to_vault_backup().unwrap()).unwrap();
        prop_assert_eq!(restored.latest_version(), keyring.latest_version());
        prop_assert_eq!(restored.min_decryption_version(), min_dec);
        for (i, ct) in cts.iter().enumerate() {
            let version = u32::try_from(i).unwrap() + 1;
            let result = restored.decrypt_with(ct, &opts);
            if version >= min_dec {
                prop_assert_eq!(&*result.unwrap(), &pt[..]);
            } else {
                prop_assert!(result.is_err());
            }
        }
    }

    #[test]
    fn arbitrary_backup_strings_do_not_panic(s in ".{0,200}") {
        let _ = Keyring::from_vault_backup(&s);
        let _ = Keyring::from_vault_backup(&STANDARD.encode(s.as_bytes()));
    }

    #[test]
    fn mutated_backup_json_does_not_panic(
        pos in any::<prop::sample::Index>(), byte in any::<u8>(), cut in any::<prop::sample::Index>(),
    ) {
        let keyring = backupable(KeyType::Aes256Gcm96, true, 2);
        let mut json = STANDARD.decode(keyring.to_vault_backup().unwrap()).unwrap();
        let i = pos.index(json.len());
        json[i] = byte;
        let _ = Keyring::from_vault_backup(&STANDARD.encode(&json));
        json.truncate(cut.index(json.len()));
        let _ = Keyring::from_vault_backup(&STANDARD.encode(&json));
    }

    #[test]
    fn mutated_export_json_does_not_panic(pos in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let keyring = Keyring::builder("e").exportable(true).generate().unwrap();
        let mut json = keyring.to_vault_export().unwrap().into_bytes();
        let i = pos.index(json.len());
        json[i] = byte;
        if let Ok(text) = String::from_utf8(json) {
            let _ = Keyring::from_vault_export(&text);
        }
    }

    #[test]
    fn hmac_round_trips_and_garbage_never_panics(
        input in prop::collection::vec(any::<u8>(), 0..512),
        alg in prop::sample::select(HashAlgorithm::ALL.to_vec()),
        junk in ".{0,80}",
    ) {
        let keyring = Keyring::generate("h", KeyType::Aes256Gcm96).unwrap();
        let mac = keyring.hmac(&input, alg, &Options::new()).unwrap();
        prop_assert!(keyring.verify_hmac(&input, &mac, alg).unwrap());
        let _ = keyring.verify_hmac(&input, &junk, alg);
        let _ = keyring.verify_hmac(&input, &format!("vault:v1:{junk}"), alg);
    }
}
