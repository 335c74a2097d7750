//! Shared helpers of the integration tests: ring-style `NAME = value` blocks, NIST CAVP
//! `.rsp` files, Wycheproof JSON, and the known-answer keyrings of `tests/data/`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, dead_code)]

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
use transit_keyring::Keyring;

/// One block of a vector file: its `NAME = value` lines, in order, and where it starts.
#[derive(Debug, Clone)]
pub struct Case {
    file: String,
    line: usize,
    /// Section parameters of `.rsp` files (`[Keylen = 128]`), empty for other files.
    section: BTreeMap<String, String>,
    entries: Vec<(String, String)>,
}

impl Case {
    /// The value of `name`; panics naming this block if there is none.
    pub fn get(&self, name: &str) -> &str {
        self.get_opt(name)
            .unwrap_or_else(|| panic!("{self}: no {name} line"))
    }

    /// The value of `name`, if the block has that line.
    pub fn get_opt(&self, name: &str) -> Option<&str> {
        self.entries
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Whether the block has a line `name` (with or without a value), e.g. `FAIL`.
    pub fn has(&self, name: &str) -> bool {
        self.get_opt(name).is_some()
    }

    /// The value of `name` decoded from hex (an empty value is an empty vector).
    pub fn hex(&self, name: &str) -> Vec<u8> {
        hex::decode(self.get(name)).unwrap_or_else(|e| panic!("{self}: {name} is not hex: {e}"))
    }

    /// The value of `name` as a number.
    pub fn number<T: std::str::FromStr>(&self, name: &str) -> T {
        self.get(name)
            .parse()
            .unwrap_or_else(|_| panic!("{self}: {name} is not a number"))
    }

    /// A section parameter of an `.rsp` file, e.g. `Keylen`.
    pub fn section(&self, name: &str) -> &str {
        self.section
            .get(name)
            .map(String::as_str)
            .unwrap_or_else(|| panic!("{self}: no [{name} = ...] section line"))
    }
}

impl fmt::Display for Case {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// Absolute path of a file under the crate root.
pub fn crate_path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

/// The shared vector directory `../shared/vectors/`. Missing vectors are a failure, never a
/// skip: a suite that silently runs nothing proves nothing.
pub fn vectors_dir() -> PathBuf {
    let dir = crate_path("../shared/vectors");
    assert!(
        dir.is_dir(),
        "test vectors missing: {} must exist (see vault-transit.md and vectors/README.md)",
        dir.display()
    );
    dir
}

/// A file under `../shared/vectors/`, which must exist.
pub fn vector_file(relative: &str) -> PathBuf {
    let path = vectors_dir().join(relative);
    assert!(
        path.is_file(),
        "test vector file missing: {}",
        path.display()
    );
    path
}

/// Reads blocks of `NAME = value` lines (`NAME =` for an empty value, a bare `NAME` for a flag
/// such as NIST's `FAIL`). `#` starts a comment line, blank lines separate blocks, `[X = Y]`
/// lines set section parameters for the blocks after them, and `\r` is ignored (NIST files
/// are CRLF). `path` is relative to the crate root unless absolute.
pub fn read_blocks(path: impl AsRef<Path>) -> Vec<Case> {
    let path = path.as_ref();
    let full = if path.is_absolute() {
        path.to_path_buf()
    } else {
        crate_path(&path.to_string_lossy())
    };
    let text = std::fs::read_to_string(&full)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", full.display()));
    let file = path.display().to_string();
    let mut cases = Vec::new();
    let mut section = BTreeMap::new();
    let mut current: Option<Case> = None;
    for (index, raw) in text.lines().enumerate() {
        let line = raw.trim_end_matches('\r').trim();
        if line.is_empty() {
            cases.extend(current.take());
            continue;
        }
        if line.starts_with('#') {
            continue;
        }
        if let Some(inner) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            let (name, value) = split_entry(inner);
            section.insert(name, value);
            continue;
        }
        let (name, value) = split_entry(line);
        let case = current.get_or_insert_with(|| Case {
            file: file.clone(),
            line: index + 1,
            section: section.clone(),
            entries: Vec::new(),
        });
        assert!(
            !case.has(&name),
            "{file}:{}: {name} given twice in one block",
            index + 1
        );
        case.entries.push((name, value));
    }
    cases.extend(current);
    cases
}

fn split_entry(line: &str) -> (String, String) {
    match line.split_once('=') {
        Some((name, value)) => (name.trim().to_owned(), value.trim().to_owned()),
        None => (line.to_owned(), String::new()),
    }
}

/// The blocks of a NIST CAVP `.rsp` file under `../shared/vectors/nist-cavp/`.
pub fn read_rsp(name: &str) -> Vec<Case> {
    let cases = read_blocks(vector_file(&format!("nist-cavp/{name}")));
    cases.into_iter().filter(|c| c.has("Count")).collect()
}

/// One Wycheproof AEAD test with its group's sizes, printed as `file tcId N`.
#[derive(Debug, Clone)]
pub struct WycheproofCase {
    pub file: String,
    pub tc_id: u64,
    pub comment: String,
    pub flags: Vec<String>,
    pub key_size: u64,
    pub iv_size: u64,
    pub tag_size: u64,
    pub key: Vec<u8>,
    pub iv: Vec<u8>,
    pub aad: Vec<u8>,
    pub msg: Vec<u8>,
    pub ct: Vec<u8>,
    pub tag: Vec<u8>,
    /// `valid`, `invalid` or `acceptable`.
    pub result: String,
}

impl WycheproofCase {
    /// `ct ‖ tag`, what a Go-style `Seal` returns.
    pub fn ct_and_tag(&self) -> Vec<u8> {
        [self.ct.as_slice(), self.tag.as_slice()].concat()
    }
}

impl fmt::Display for WycheproofCase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} tcId {} ({})", self.file, self.tc_id, self.comment)
    }
}

/// Every test of a Wycheproof AEAD file under `../shared/vectors/wycheproof/`.
pub fn read_wycheproof(name: &str) -> Vec<WycheproofCase> {
    let path = vector_file(&format!("wycheproof/{name}"));
    let text = std::fs::read_to_string(&path).unwrap();
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    let number = |v: &serde_json::Value, field: &str| {
        v[field]
            .as_u64()
            .unwrap_or_else(|| panic!("{name}: {field} is not a number"))
    };
    let string = |v: &serde_json::Value, field: &str| {
        v[field]
            .as_str()
            .unwrap_or_else(|| panic!("{name}: {field} is not a string"))
            .to_owned()
    };
    let bytes = |v: &serde_json::Value, field: &str| hex::decode(string(v, field)).unwrap();
    let mut out = Vec::new();
    for group in doc["testGroups"].as_array().unwrap() {
        for test in group["tests"].as_array().unwrap() {
            out.push(WycheproofCase {
                file: name.to_owned(),
                tc_id: number(test, "tcId"),
                comment: string(test, "comment"),
                flags: test["flags"]
                    .as_array()
                    .map(|a| a.iter().map(|f| f.as_str().unwrap().to_owned()).collect())
                    .unwrap_or_default(),
                key_size: number(group, "keySize"),
                iv_size: number(group, "ivSize"),
                tag_size: number(group, "tagSize"),
                key: bytes(test, "key"),
                iv: bytes(test, "iv"),
                aad: bytes(test, "aad"),
                msg: bytes(test, "msg"),
                ct: bytes(test, "ct"),
                tag: bytes(test, "tag"),
                result: string(test, "result"),
            });
        }
    }
    assert_eq!(
        out.len(),
        usize::try_from(number(&doc, "numberOfTests")).unwrap(),
        "{name}"
    );
    out
}

/// The known-answer keyrings of `tests/data/vault_keyrings.txt`, by name, each imported from
/// its Vault export document.
pub fn vault_keyrings() -> BTreeMap<String, Keyring> {
    read_blocks("tests/data/vault_keyrings.txt")
        .into_iter()
        .map(|case| {
            let keyring = Keyring::from_vault_export(case.get("EXPORT"))
                .unwrap_or_else(|e| panic!("{case}: export does not import: {e}"));
            (case.get("KEYRING").to_owned(), keyring)
        })
        .collect()
}

/// The vectors of `tests/data/vault_ciphertexts.txt`.
pub fn vault_ciphertexts() -> Vec<Case> {
    read_blocks("tests/data/vault_ciphertexts.txt")
}

/// Every way a formatter could spell `secret`, whole and by its first 12 bytes.
pub fn spellings(secret: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for (part, bytes) in [
        ("whole", secret),
        ("prefix", &secret[..12.min(secret.len())]),
    ] {
        out.push((format!("{part} raw"), bytes.to_vec()));
        out.push((format!("{part} hex"), hex::encode(bytes).into_bytes()));
        out.push((format!("{part} HEX"), hex::encode_upper(bytes).into_bytes()));
        out.push((
            format!("{part} base64"),
            STANDARD_NO_PAD.encode(bytes).into_bytes(),
        ));
        out.push((
            format!("{part} base64url"),
            URL_SAFE_NO_PAD.encode(bytes).into_bytes(),
        ));
        // `{:?}` of a byte slice, without the closing bracket so a prefix matches too.
        let list = format!("{bytes:?}");
        out.push((
            format!("{part} byte list"),
            list.trim_end_matches(']').as_bytes().to_vec(),
        ));
    }
    out
}

/// Panics if `output` contains any spelling of any secret.
pub fn assert_no_secret(what: &str, output: &str, secrets: &[(&str, &[u8])]) {
    for (name, secret) in secrets {
        for (spelling, needle) in spellings(secret) {
            let found = output
                .as_bytes()
                .windows(needle.len())
                .any(|w| w == needle.as_slice());
            assert!(!found, "{what} shows {name} ({spelling}): {output}");
        }
    }
}

/// The version number of a `vault:vN:` string.
pub fn version_of(ciphertext: &str) -> u32 {
    ciphertext
        .split(':')
        .nth(1)
        .unwrap()
        .trim_start_matches('v')
        .parse()
        .unwrap()
}

/// The distinct base64 keys of a Vault export document (one per version when none repeats).
pub fn distinct_exported_keys(export: &str) -> std::collections::BTreeSet<String> {
    let doc: serde_json::Value = serde_json::from_str(export).unwrap();
    let keys = doc["keys"].as_object().unwrap();
    keys.values()
        .map(|k| k.as_str().unwrap().to_owned())
        .collect()
}
