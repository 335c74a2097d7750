//! Altered envelopes: any flipped bit anywhere is refused, each header field refuses with
//! the variant that names it, and segments reordered, repeated, dropped or taken from
//! another envelope are refused.
// Helpers outside #[test] fns unwrap and panic too: a failing test is the point.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/envelope.rs"]
mod envelope_util;

use std::sync::OnceLock;

use envelope_util::*;
use proptest::prelude::*;
use transit_keyring::{Error, KeyType, Keyring, Options};

const ASSOCIATED_DATA: &[u8] = b"artifact/flip";

/// One keyring and a three-segment envelope, sealed once for every case.
fn fixture() -> &'static (Keyring, Vec<u8>) {
    static FIXTURE: OnceLock<(Keyring, Vec<u8>)> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let keyring = keyring(KeyType::Aes256Gcm96);
        let opts = Options::new().associated_data(ASSOCIATED_DATA);
        let envelope = seal(&keyring, &opts, &payload(2 * SEGMENT + 300));
        (keyring, envelope)
    })
}

fn open_fixture(envelope: &[u8]) -> Result<Vec<u8>, Error> {
    let (keyring, _) = fixture();
    open(
        keyring,
        &Options::new().associated_data(ASSOCIATED_DATA),
        envelope,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_flipped_bit_is_refused(position in any::<prop::sample::Index>(), bit in 0u8..8) {
        let (_, envelope) = fixture();
        let mut altered = envelope.clone();
        let at = position.index(altered.len());
        altered[at] ^= 1 << bit;
        let result = open_fixture(&altered);
        prop_assert!(result.is_err(), "byte {} bit {} went unnoticed", at, bit);
        if at >= header_len(envelope) {
            prop_assert!(matches!(result, Err(Error::Decrypt { .. })), "{:?}", result);
        }
    }
}

#[test]
fn every_header_bit_flip_is_refused() {
    // The header exhaustively: the part no cryptography covers is where a lax parser leaks.
    let (_, envelope) = fixture();
    for at in 0..header_len(envelope) {
        for bit in 0..8 {
            let mut altered = envelope.clone();
            altered[at] ^= 1 << bit;
            assert!(
                open_fixture(&altered).is_err(),
                "byte {at} bit {bit} went unnoticed"
            );
        }
    }
}

/// The fixture with `edit` applied to a copy.
fn edited(edit: impl FnOnce(&mut Vec<u8>)) -> Result<Vec<u8>, Error> {
    let mut altered = fixture().1.clone();
    edit(&mut altered);
    open_fixture(&altered)
}

#[test]
fn header_fields_are_checked_before_any_crypto() {
    let header = |reason| Err(Error::EnvelopeHeader(reason));
    assert_eq!(
        edited(|e| e[0] = b'X'),
        header("not an envelope (bad magic)")
    );
    assert_eq!(edited(|e| e[6] = 2), header("unsupported format version"));
    assert_eq!(edited(|e| e[6] = 0), header("unsupported format version"));
    assert_eq!(edited(|e| e[7] = 1), header("unknown key type"));
    assert_eq!(
        edited(|e| e[8..12].copy_from_slice(&32768u32.to_be_bytes())),
        header("unsupported segment size")
    );
    assert_eq!(
        edited(|e| e[8..12].copy_from_slice(&u32::MAX.to_be_bytes())),
        header("unsupported segment size")
    );
    assert_eq!(
        edited(|e| e[51..53].copy_from_slice(&[0, 0])),
        header("wrapped data key length out of range")
    );
    assert_eq!(
        edited(|e| e[51..53].copy_from_slice(&[4, 1])),
        header("wrapped data key length out of range")
    );
    assert_eq!(
        edited(|e| e[60] = 0xff),
        header("wrapped data key is not UTF-8")
    );
}

#[test]
fn wrapped_key_in_a_lax_but_decryptable_form_is_refused() {
    let not_canonical = Err(Error::EnvelopeHeader("wrapped data key is not canonical"));
    // v0 means v1 to Vault's parser, so this would decrypt.
    assert_eq!(edited(|e| e[53 + 7] = b'0'), not_canonical);
    // The same key with a leading zero or a line break: one byte longer, same meaning.
    for (at, insert) in [(53 + 7, b'0'), (53 + 20, b'\n')] {
        let result = edited(|e| {
            e.insert(at, insert);
            let len = u16::from_be_bytes([e[51], e[52]]) + 1;
            e[51..53].copy_from_slice(&len.to_be_bytes());
        });
        assert_eq!(result, not_canonical, "insert {insert} at {at}");
    }
}

#[test]
fn segment_fields_under_the_header_are_authenticated() {
    let decrypt = |r: Result<Vec<u8>, Error>| matches!(r, Err(Error::Decrypt { .. }));
    // aes256-gcm96 -> aes128-gcm96: a valid type, but every segment's associated data changed.
    assert!(decrypt(edited(|e| e[7] = 8)));
    assert!(decrypt(edited(|e| e[12] ^= 0x80))); // salt
    assert!(decrypt(edited(|e| e[50] ^= 0x01))); // nonce prefix
    assert!(decrypt(edited(|e| e.push(0)))); // a byte after the final segment
    assert!(decrypt(edited(|e| e.extend_from_slice(&[0; SEALED])))); // a segment after it
}

#[test]
fn wrong_keyring_is_refused_at_the_data_key() {
    let (_, envelope) = fixture();
    let stranger = keyring(KeyType::Aes256Gcm96);
    let opts = Options::new().associated_data(ASSOCIATED_DATA);
    let result = open(&stranger, &opts, envelope);
    assert_eq!(
        result,
        Err(Error::Decrypt {
            key_type: KeyType::Aes256Gcm96
        })
    );
}

#[test]
fn reordered_repeated_or_dropped_segments_are_refused() {
    let keyring = keyring(KeyType::Aes256Gcm96);
    let envelope = seal(&keyring, &Options::new(), &payload(3 * SEGMENT + 10));
    let (header, segments) = split(&envelope);
    assert_eq!(segments.len(), 4);
    for order in [
        [1, 0, 2, 3].as_slice(),
        &[0, 2, 1, 3],
        &[0, 0, 1, 2, 3],
        &[0, 1, 1, 2, 3],
        &[0, 2, 3],
        &[1, 2, 3],
        &[0, 1, 3, 2],
        &[0, 1, 2, 3, 3],
    ] {
        let shuffled = assemble(header, order.iter().map(|&i| segments[i]));
        let result = open(&keyring, &Options::new(), &shuffled);
        assert!(
            matches!(result, Err(Error::Decrypt { .. })),
            "{order:?}: {result:?}"
        );
    }
    assert_eq!(assemble(header, segments.iter().copied()), envelope);
}

#[test]
fn segments_and_headers_of_another_envelope_are_refused() {
    let keyring = keyring(KeyType::Chacha20Poly1305);
    let plaintext = payload(2 * SEGMENT + 10);
    let first = seal(&keyring, &Options::new(), &plaintext);
    let second = seal(&keyring, &Options::new(), &plaintext);
    let (header_a, segments_a) = split(&first);
    let (header_b, segments_b) = split(&second);
    for swapped in 0..segments_a.len() {
        let mut mixed = segments_a.clone();
        mixed[swapped] = segments_b[swapped];
        let result = open(&keyring, &Options::new(), &assemble(header_a, mixed));
        assert!(
            matches!(result, Err(Error::Decrypt { .. })),
            "segment {swapped}"
        );
    }
    let result = open(
        &keyring,
        &Options::new(),
        &assemble(header_b, segments_a.iter().copied()),
    );
    assert!(matches!(result, Err(Error::Decrypt { .. })));
    // The wrapped data key alone: same length, other envelope's.
    let mut spliced = first.clone();
    let wrapped = 53..header_a.len();
    spliced[wrapped.clone()].copy_from_slice(&second[wrapped]);
    assert!(matches!(
        open(&keyring, &Options::new(), &spliced),
        Err(Error::Decrypt { .. })
    ));
}
