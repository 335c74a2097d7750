#!/usr/bin/env python3
"""Streaming envelopes (src/envelope/format.md, format version 1): known answers made
independently of transit-keyring, from the byte table of the format alone.

Rerun from the crate root after changing this script:

    python3 tests/data/gen_envelope_vectors.py          # rewrite envelope_vectors.txt
    python3 tests/data/gen_envelope_vectors.py --check  # exit 1 if it is stale (CI)

Each block of envelope_vectors.txt holds a keyring as a Vault export document (EXPORT), the
ASSOCIATED_DATA the data key was wrapped with (hex), and ENVELOPE (standard base64). Opening
it with that keyring and associated data must give PLAINTEXT_LEN bytes whose SHA-256 is
PLAINTEXT_SHA256, and report KEY_VERSION; or fail with EXPECT_ERROR (a variant name of
`transit_keyring::Error`, with its field for EnvelopeHeader). The failing envelopes are ones
a correct writer never makes, so only an independent tool can make them.

Construction (all through Python's `cryptography`):
  wrapped   = "vault:v" + N + ":" + base64(nonce || AEAD(keyring key N, data key, AD))
  header    = "TKRENV" || 01 || type number || u32 65536 || salt (32) || prefix (7)
              || u16 len(wrapped) || wrapped
  seg key   = HKDF-SHA256(salt = salt, IKM = data key,
                          info = "transit-keyring envelope v1 segment key", L = key length)
  segment i = AEAD(seg key, nonce = prefix || u32 i || last flag, plaintext_i,
                   associated data = header[0:51])

Nothing is random: keys, salts, nonces and plaintexts are SHA-256 of fixed labels, so every
run writes the same bytes. Uses only `cryptography` and the standard library.
"""

import base64
import hashlib
import json
import sys
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

HERE = Path(__file__).resolve().parent
OUTPUT = "envelope_vectors.txt"
SEGMENT = 65536
INFO = b"transit-keyring envelope v1 segment key"

# Vault type name -> (type number, key length, AEAD class).
KEY_TYPES = {
    "aes256-gcm96": (0, 32, AESGCM),
    "aes128-gcm96": (8, 16, AESGCM),
    "chacha20-poly1305": (5, 32, ChaCha20Poly1305),
}


def stream(label: str, length: int) -> bytes:
    """`length` deterministic bytes: SHA-256(label/counter) blocks."""
    out = bytearray()
    counter = 0
    while len(out) < length:
        out += hashlib.sha256(f"transit-keyring/envelope/{label}/{counter}".encode()).digest()
        counter += 1
    return bytes(out[:length])


def keyring(name: str, key_type: str, versions: int):
    """A Vault export document and the keys of its versions 1..=versions."""
    key_len = KEY_TYPES[key_type][1]
    keys = {v: stream(f"{name}/key/{v}", key_len) for v in range(1, versions + 1)}
    export = {
        "name": name,
        "type": key_type,
        "keys": {str(v): base64.b64encode(k).decode() for v, k in keys.items()},
    }
    return json.dumps(export, separators=(",", ":")), keys


def envelope(label, key_type, keys, version, plaintext, ad=b"", *, version_field=None,
             segment_field=SEGMENT, data_key_len=32, last_flag=True):
    """The envelope bytes, with knobs that make the malformed ones."""
    number, key_len, aead = KEY_TYPES[key_type]
    data_key = stream(f"{label}/data-key", data_key_len)
    wrap_nonce = stream(f"{label}/wrap-nonce", 12)
    body = wrap_nonce + aead(keys[version]).encrypt(wrap_nonce, data_key, ad or None)
    shown = version if version_field is None else version_field
    wrapped = f"vault:v{shown}:{base64.b64encode(body).decode()}".encode()
    salt = stream(f"{label}/salt", 32)
    prefix = stream(f"{label}/prefix", 7)
    fixed = b"TKRENV" + bytes([1, number]) + segment_field.to_bytes(4, "big") + salt + prefix
    assert len(fixed) == 51
    out = bytearray(fixed + len(wrapped).to_bytes(2, "big") + wrapped)
    seg_key = HKDF(hashes.SHA256(), key_len, salt, INFO).derive(data_key)
    chunks = [plaintext[i:i + SEGMENT] for i in range(0, len(plaintext), SEGMENT)] or [b""]
    for index, chunk in enumerate(chunks):
        last = last_flag and index == len(chunks) - 1
        nonce = prefix + index.to_bytes(4, "big") + bytes([1 if last else 0])
        out += aead(seg_key).encrypt(nonce, chunk, fixed)
    return bytes(out)


def block(label, key_type, versions, version, length, ad=b"", expect=None, **knobs):
    export, keys = keyring(f"env-{key_type}-{versions}", key_type, versions)
    plaintext = stream(f"{label}/plaintext", length)
    sealed = envelope(label, key_type, keys, version, plaintext, ad, **knobs)
    lines = [
        f"NAME = {label}",
        f"EXPORT = {export}",
        f"ASSOCIATED_DATA = {ad.hex()}",
        f"ENVELOPE = {base64.b64encode(sealed).decode()}",
    ]
    if expect is None:
        lines += [
            f"KEY_VERSION = {version}",
            f"PLAINTEXT_LEN = {length}",
            f"PLAINTEXT_SHA256 = {hashlib.sha256(plaintext).hexdigest()}",
        ]
    else:
        lines.append(f"EXPECT_ERROR = {expect}")
    return "\n".join(lines) + "\n"


def generate() -> str:
    ad = b"cache/linux-x86_64"
    blocks = [
        # Good envelopes: empty payload, one short segment, one full final segment (the
        # case a reader can only tell by the stream's end), two segments.
        block("empty-aes256", "aes256-gcm96", 1, 1, 0),
        block("short-chacha20", "chacha20-poly1305", 1, 1, 1000, ad),
        block("one-full-segment-aes128", "aes128-gcm96", 2, 2, SEGMENT),
        block("two-segments-aes256", "aes256-gcm96", 3, 2, SEGMENT + 1000, ad),
        # Malformed: each would decrypt if the reader were lax.
        block("wrapped-v0", "aes256-gcm96", 1, 1, 10, version_field="0",
              expect="EnvelopeHeader(wrapped data key is not canonical)"),
        block("wrapped-v01", "aes256-gcm96", 1, 1, 10, version_field="01",
              expect="EnvelopeHeader(wrapped data key is not canonical)"),
        block("segment-size-32k", "aes256-gcm96", 1, 1, 10, segment_field=32768,
              expect="EnvelopeHeader(unsupported segment size)"),
        block("data-key-128-bits", "aes256-gcm96", 1, 1, 10, data_key_len=16,
              expect="EnvelopeHeader(data key length)"),
        # (A full segment without the flag is a cut at a boundary: tests/envelope.rs.)
        block("no-final-flag", "chacha20-poly1305", 1, 1, 10, last_flag=False,
              expect="Decrypt"),
    ]
    head = (
        f"# Generated by tests/data/gen_envelope_vectors.py (Python cryptography); do not edit.\n"
        f"# Rerun: python3 tests/data/gen_envelope_vectors.py   (CI runs it with --check)\n"
        f"# Open ENVELOPE with the EXPORT keyring and ASSOCIATED_DATA: PLAINTEXT_LEN bytes\n"
        f"# hashing to PLAINTEXT_SHA256 under KEY_VERSION, or EXPECT_ERROR.\n"
    )
    return head + "\n" + "\n".join(blocks)


def main(argv) -> int:
    check = argv[1:] == ["--check"]
    if argv[1:] and not check:
        print(f"usage: {argv[0]} [--check]", file=sys.stderr)
        return 2
    text = generate()
    path = HERE / OUTPUT
    if check:
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            print(f"stale, rerun {Path(argv[0]).name}: {OUTPUT}", file=sys.stderr)
            return 1
        return 0
    path.write_text(text, encoding="utf-8")
    print(f"wrote {OUTPUT}: {text.count(chr(10) + chr(10))} blocks")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
