//! Streaming envelopes: Python-made known answers, the byte table checked from outside,
//! round trips through every API, cuts at and between segment boundaries, wrong keys,
//! rewrap, and the adapters' edge cases. (Altered and mixed envelopes:
//! `tests/envelope_tamper.rs`.)
// Helpers outside #[test] fns unwrap and panic too: a failing test is the point.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
#[path = "support/envelope.rs"]
mod envelope_util;

use std::io::{Read, Write};

use envelope_util::*;
use proptest::prelude::*;
use sha2::{Digest, Sha256};
use transit_keyring::{
    Envelope, EnvelopeReader, EnvelopeWriter, Error, Kdf, KeyType, Keyring, Options, hazmat,
};

#[test]
fn python_made_envelopes_open_or_fail_as_named() {
    let cases = common::read_blocks("tests/data/envelope_vectors.txt");
    assert_eq!(cases.len(), 9);
    for case in cases {
        let keyring = Keyring::from_vault_export(case.get("EXPORT")).unwrap();
        let associated_data = case.hex("ASSOCIATED_DATA");
        let opts = Options::new().associated_data(&associated_data);
        let envelope = b64(case.get("ENVELOPE"));
        let result = open(&keyring, &opts, &envelope);
        let via_reader = open_with_reader(&keyring, &opts, &envelope, 4096);
        assert_eq!(result, via_reader, "{case}");
        match case.get_opt("EXPECT_ERROR") {
            None => {
                let plaintext = result.unwrap_or_else(|e| panic!("{case}: {e}"));
                assert_eq!(
                    plaintext.len(),
                    case.number::<usize>("PLAINTEXT_LEN"),
                    "{case}"
                );
                let digest = hex::encode(Sha256::digest(&plaintext));
                assert_eq!(digest, case.get("PLAINTEXT_SHA256"), "{case}");
                let reader = EnvelopeReader::new(&keyring, &opts, &envelope[..]).unwrap();
                assert_eq!(
                    reader.key_version(),
                    case.number::<u32>("KEY_VERSION"),
                    "{case}"
                );
            }
            Some(expected) => assert_eq!(result.unwrap_err(), named_error(expected), "{case}"),
        }
    }
}

/// An `EXPECT_ERROR` value as the variant it names.
fn named_error(name: &str) -> Error {
    match name {
        "Decrypt" => Error::Decrypt {
            key_type: KeyType::Chacha20Poly1305,
        },
        "EnvelopeTruncated" => Error::EnvelopeTruncated,
        "EnvelopeHeader(wrapped data key is not canonical)" => {
            Error::EnvelopeHeader("wrapped data key is not canonical")
        }
        "EnvelopeHeader(unsupported segment size)" => {
            Error::EnvelopeHeader("unsupported segment size")
        }
        "EnvelopeHeader(data key length)" => Error::EnvelopeHeader("data key length"),
        other => panic!("unknown EXPECT_ERROR {other}"),
    }
}

#[test]
fn sealed_envelope_decodes_by_the_byte_table_alone() {
    for key_type in KeyType::ALL {
        let keyring = keyring(key_type);
        let opts = Options::new().associated_data(b"artifact/7");
        let plaintext = payload(2 * SEGMENT + 5);
        let envelope = seal(&keyring, &opts, &plaintext);
        let (fixed, rest) = envelope.split_at(51);
        assert_eq!(&fixed[..6], b"TKRENV");
        assert_eq!(fixed[6], 1);
        assert_eq!(u32::from(fixed[7]), key_type.vault_type_number());
        assert_eq!(fixed[8..12], 65536u32.to_be_bytes());
        let (salt, prefix) = (&fixed[12..44], &fixed[44..51]);
        let wrapped_len = usize::from(u16::from_be_bytes([rest[0], rest[1]]));
        let wrapped = std::str::from_utf8(&rest[2..2 + wrapped_len]).unwrap();
        assert!(wrapped.starts_with("vault:v1:"));
        let data_key = keyring.decrypt_with(wrapped, &opts).unwrap();
        assert_eq!(data_key.len(), 32);

        // The spec's key, nonce and associated data, applied by hand.
        let mut key = vec![0u8; key_type.key_len()];
        hkdf::Hkdf::<Sha256>::new(Some(salt), &data_key)
            .expand(b"transit-keyring envelope v1 segment key", &mut key)
            .unwrap();
        let segments: Vec<&[u8]> = rest[2 + wrapped_len..].chunks(SEALED).collect();
        assert_eq!(segments.len(), 3);
        let mut opened = Vec::new();
        for (index, segment) in segments.iter().enumerate() {
            let last = index == segments.len() - 1;
            let mut nonce = prefix.to_vec();
            nonce.extend_from_slice(&u32::try_from(index).unwrap().to_be_bytes());
            nonce.push(u8::from(last));
            let open = hazmat::open_with_nonce(key_type, &key, &nonce, fixed, segment).unwrap();
            opened.extend_from_slice(&open);
        }
        assert_eq!(opened, plaintext);
    }
}

#[test]
fn empty_payload_is_one_empty_final_segment() {
    let keyring = keyring(KeyType::Aes256Gcm96);
    let mut envelope = Vec::new();
    let info = Envelope::seal(&keyring, &Options::new(), &b""[..], &mut envelope).unwrap();
    assert_eq!((info.segments, info.plaintext_len), (1, 0));
    assert_eq!(envelope.len(), header_len(&envelope) + 16);
    assert_eq!(info.envelope_len, u64::try_from(envelope.len()).unwrap());
    assert_eq!(open(&keyring, &Options::new(), &envelope).unwrap(), b"");
}

#[test]
fn info_counts_segments_and_bytes_on_both_sides() {
    let keyring = keyring(KeyType::Chacha20Poly1305);
    for (len, segments) in [(1, 1), (SEGMENT, 1), (SEGMENT + 1, 2), (3 * SEGMENT, 3)] {
        let mut envelope = Vec::new();
        let info =
            Envelope::seal(&keyring, &Options::new(), &payload(len)[..], &mut envelope).unwrap();
        assert_eq!(info.segments, segments, "{len}");
        assert_eq!(info.plaintext_len, u64::try_from(len).unwrap());
        assert_eq!(info.envelope_len, u64::try_from(envelope.len()).unwrap());
        assert_eq!(
            (info.key_version, info.key_type),
            (1, KeyType::Chacha20Poly1305)
        );
        let read = Envelope::open(&keyring, &Options::new(), &envelope[..], Vec::new()).unwrap();
        assert_eq!(read, info);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Every pair of sealing and opening APIs inverts, at sizes around segment boundaries.
    #[test]
    fn every_api_pair_round_trips(
        key_type in prop::sample::select(KeyType::ALL.to_vec()),
        len in prop_oneof![
            (0usize..=4, 0usize..=6).prop_map(|(k, d)| (k * SEGMENT + d).saturating_sub(3)),
            0usize..=300 * 1024,
        ],
        associated_data in prop::collection::vec(any::<u8>(), 0..=32),
        write_chunk in 1usize..=100_000,
        read_buf in 1usize..=100_000,
        trickle in 1usize..=70_000,
    ) {
        let keyring = keyring(key_type);
        let opts = Options::new().associated_data(&associated_data);
        let plaintext = payload(len);
        let one_shot = seal(&keyring, &opts, &plaintext);
        let streamed = seal_with_writer(&keyring, &opts, &plaintext, write_chunk);
        prop_assert_eq!(one_shot.len(), streamed.len());
        prop_assert_eq!(one_shot.len(), header_len(&one_shot) + len + 16 * len.div_ceil(SEGMENT).max(1));
        for envelope in [&one_shot, &streamed] {
            prop_assert_eq!(&open(&keyring, &opts, envelope).unwrap(), &plaintext);
            prop_assert_eq!(&open_with_reader(&keyring, &opts, envelope, read_buf).unwrap(), &plaintext);
            // A source that yields few bytes per call and is sometimes interrupted.
            let source = Trickle::new(envelope, trickle);
            let mut out = Vec::new();
            Envelope::open(&keyring, &opts, source, &mut out).unwrap();
            prop_assert_eq!(&out, &plaintext);
        }
        let mut streamed_in = Vec::new();
        Envelope::seal(&keyring, &opts, Trickle::new(&plaintext, trickle), &mut streamed_in).unwrap();
        prop_assert_eq!(&open(&keyring, &opts, &streamed_in).unwrap(), &plaintext);
    }
}

#[test]
fn cut_at_every_segment_boundary_is_truncated() {
    let keyring = keyring(KeyType::Aes256Gcm96);
    // A short final segment, and a full one (where only the stream's end marks it final).
    for len in [3 * SEGMENT + 100, 3 * SEGMENT] {
        let envelope = seal(&keyring, &Options::new(), &payload(len));
        let header = header_len(&envelope);
        let full_segments = len / SEGMENT - usize::from(len % SEGMENT == 0);
        for kept in 0..=full_segments {
            let cut = &envelope[..header + kept * SEALED];
            assert_eq!(
                open(&keyring, &Options::new(), cut),
                Err(Error::EnvelopeTruncated),
                "{len} {kept}"
            );
            let err = read_all(&keyring, &Options::new(), cut, 8192).unwrap_err();
            assert_eq!(err.kind(), std::io::ErrorKind::UnexpectedEof);
            assert_eq!(ours(&err), Some(&Error::EnvelopeTruncated));
        }
    }
}

#[test]
fn cut_inside_a_segment_is_refused() {
    let keyring = keyring(KeyType::Aes128Gcm96);
    let envelope = seal(&keyring, &Options::new(), &payload(2 * SEGMENT + 100));
    let header = header_len(&envelope);
    for cut in [
        header + 1,
        header + 16,
        header + SEALED - 1,
        header + SEALED + 1,
        envelope.len() - 1,
    ] {
        let result = open(&keyring, &Options::new(), &envelope[..cut]);
        assert!(matches!(result, Err(Error::Decrypt { .. })), "{cut}");
        assert!(
            read_all(&keyring, &Options::new(), &envelope[..cut], 100).is_err(),
            "{cut}"
        );
    }
}

#[test]
fn cut_inside_the_header_is_truncated() {
    let keyring = keyring(KeyType::Chacha20Poly1305);
    let envelope = seal(&keyring, &Options::new(), b"x");
    for cut in 0..header_len(&envelope) {
        assert_eq!(
            open(&keyring, &Options::new(), &envelope[..cut]),
            Err(Error::EnvelopeTruncated),
            "{cut}"
        );
    }
}

#[test]
fn wrong_keyring_associated_data_or_context_is_refused() {
    let keyring = keyring(KeyType::Aes256Gcm96);
    let bound = Options::new().associated_data(b"project/42");
    let envelope = seal(&keyring, &bound, b"payload");
    let other = self::keyring(KeyType::Aes256Gcm96);
    assert!(matches!(
        open(&other, &bound, &envelope),
        Err(Error::Decrypt { .. })
    ));
    assert!(matches!(
        open(&keyring, &Options::new(), &envelope),
        Err(Error::Decrypt { .. })
    ));
    let wrong = Options::new().associated_data(b"project/43");
    assert!(matches!(
        open(&keyring, &wrong, &envelope),
        Err(Error::Decrypt { .. })
    ));
    assert_eq!(open(&keyring, &bound, &envelope).unwrap(), b"payload");

    let derived = Keyring::builder("derived")
        .derived(Kdf::HkdfSha256)
        .generate()
        .unwrap();
    let mut out = Vec::new();
    let err = Envelope::seal(&derived, &Options::new(), &b"x"[..], &mut out).unwrap_err();
    assert_eq!(err, Error::MissingContext);
    let context = Options::new().context(b"tenant-a");
    let envelope = seal(&derived, &context, b"tenant data");
    assert_eq!(open(&derived, &context, &envelope).unwrap(), b"tenant data");
    let result = open(&derived, &Options::new().context(b"tenant-b"), &envelope);
    assert!(matches!(result, Err(Error::Decrypt { .. })));
}

#[test]
fn rewrapped_header_opens_under_the_new_version_with_segments_unchanged() {
    let mut keyring = keyring(KeyType::Aes128Gcm96);
    let opts = Options::new().associated_data(b"cache");
    let plaintext = payload(SEGMENT + 777);
    let envelope = seal(&keyring, &opts, &plaintext);
    assert_eq!(keyring.rotate().unwrap(), 2);
    let mut rewrapped = Vec::new();
    assert_eq!(
        Envelope::rewrap_header(&keyring, &opts, &envelope[..], &mut rewrapped).unwrap(),
        2
    );
    let (old_header, old_segments) = split(&envelope);
    let (new_header, new_segments) = split(&rewrapped);
    assert_eq!(old_header[..51], new_header[..51]);
    assert_eq!(old_segments, new_segments);
    assert!(
        std::str::from_utf8(&new_header[53..])
            .unwrap()
            .starts_with("vault:v2:")
    );

    keyring.set_min_decryption_version(2).unwrap();
    assert_eq!(open(&keyring, &opts, &envelope), Err(Error::VersionTooOld));
    assert_eq!(open(&keyring, &opts, &rewrapped).unwrap(), plaintext);
    let info = Envelope::open(&keyring, &opts, &rewrapped[..], Vec::new()).unwrap();
    assert_eq!(info.key_version, 2);

    // Back to a chosen version, and a tampered envelope is still caught after rewrap.
    keyring.rotate().unwrap();
    let mut pinned = Vec::new();
    let v = Envelope::rewrap_header(&keyring, &opts.key_version(2), &rewrapped[..], &mut pinned)
        .unwrap();
    assert_eq!(v, 2);
    let last = pinned.len() - 1;
    pinned[last] ^= 1;
    assert!(matches!(
        open(&keyring, &opts, &pinned),
        Err(Error::Decrypt { .. })
    ));
}

#[test]
fn writer_dropped_without_finish_leaves_a_truncated_envelope() {
    let keyring = keyring(KeyType::Aes256Gcm96);
    for len in [0, 10, SEGMENT, 2 * SEGMENT + 1] {
        let mut out = Vec::new();
        {
            let mut writer = EnvelopeWriter::new(&keyring, &Options::new(), &mut out).unwrap();
            writer.write_all(&payload(len)).unwrap();
        }
        assert_eq!(
            open(&keyring, &Options::new(), &out),
            Err(Error::EnvelopeTruncated),
            "{len}"
        );
    }
}

#[test]
fn reader_repeats_its_error_and_never_reports_eof_early() {
    let keyring = keyring(KeyType::Aes256Gcm96);
    let envelope = seal(&keyring, &Options::new(), &payload(2 * SEGMENT));
    let cut = &envelope[..header_len(&envelope) + SEALED];
    let mut reader = EnvelopeReader::new(&keyring, &Options::new(), cut).unwrap();
    let mut buf = vec![0u8; 2 * SEGMENT];
    let mut got = 0;
    let err = loop {
        match reader.read(&mut buf[got..]) {
            Ok(0) => panic!("EOF before the final segment"),
            Ok(n) => got += n,
            Err(err) => break err,
        }
    };
    assert_eq!(
        got, 0,
        "the only segment left is not authentic as a final one"
    );
    assert_eq!(ours(&err), Some(&Error::EnvelopeTruncated));
    let again = reader.read(&mut buf).unwrap_err();
    assert_eq!(ours(&again), Some(&Error::EnvelopeTruncated));
}

#[test]
fn writer_failure_is_sticky_and_reported_by_finish() {
    let keyring = keyring(KeyType::Aes256Gcm96);
    let sink = FailingSink {
        accept: 100 + SEALED,
    };
    let mut writer = EnvelopeWriter::new(&keyring, &Options::new(), sink).unwrap();
    let err = writer.write_all(&payload(3 * SEGMENT)).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::StorageFull);
    assert!(writer.write(b"more").is_err());
    assert_eq!(
        writer.finish().unwrap_err(),
        Error::Io {
            kind: std::io::ErrorKind::StorageFull
        }
    );
}

#[test]
fn envelope_debug_shows_versions_only() {
    let keyring = keyring(KeyType::Aes256Gcm96);
    let writer = EnvelopeWriter::new(&keyring, &Options::new(), Vec::new()).unwrap();
    assert_eq!(
        format!("{writer:?}"),
        "EnvelopeWriter { key_version: 1, segment: 0, .. }"
    );
    let envelope = writer.finish().unwrap();
    let reader = EnvelopeReader::new(&keyring, &Options::new(), &envelope[..]).unwrap();
    assert_eq!(
        format!("{reader:?}"),
        "EnvelopeReader { key_version: 1, segment: 0, .. }"
    );
}
