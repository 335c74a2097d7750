//! The `vault:vN:<base64>` string: split, version field and body decoding in Vault's order
//! (spec §1.3), and formatting. No crypto here: keys and ciphertexts meet in `keyring`.
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use base64::Engine;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

use crate::error::{Error, Result};
use crate::secret::KeyMaterial;
use crate::version::parse_go_int;

/// Go's `base64.StdEncoding`: padded output; padding required on input, trailing bits not
/// checked (Go's non-strict mode).
pub(crate) const GO_STD: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_encode_padding(true)
        .with_decode_padding_mode(DecodePaddingMode::RequireCanonical)
        .with_decode_allow_trailing_bits(true),
);

/// A version template split around `{{version}}`, e.g. `("vault:v", ":")`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Template {
    prefix: String,
    suffix: String,
}

impl Default for Template {
    fn default() -> Self {
        Self {
            prefix: "vault:v".to_owned(),
            suffix: ":".to_owned(),
        }
    }
}

impl Template {
    /// Splits a template; an empty one is Vault's default.
    pub(crate) fn parse(template: &str) -> Result<Self> {
        if template.is_empty() {
            return Ok(Self::default());
        }
        let mut parts = template.split("{{version}}");
        match (parts.next(), parts.next(), parts.next()) {
            (Some(prefix), Some(suffix), None) if !suffix.is_empty() => Ok(Self {
                prefix: prefix.to_owned(),
                suffix: suffix.to_owned(),
            }),
            _ => Err(Error::InvalidDocument(
                "error parsing version template".to_owned(),
            )),
        }
    }

    /// The template as Vault stores it, or `""` for the default.
    pub(crate) fn to_template_string(&self) -> String {
        if *self == Self::default() {
            String::new()
        } else {
            format!("{}{{{{version}}}}{}", self.prefix, self.suffix)
        }
    }

    /// Steps 2–4 of §1.3: the prefix, the first separator, then the version as Go's `Atoi`.
    /// Returns the raw signed version (0 and negatives are the caller's business) and the
    /// still-encoded body.
    pub(crate) fn split<'a>(&self, ciphertext: &'a str) -> Result<(i64, &'a str)> {
        let rest = ciphertext
            .strip_prefix(self.prefix.as_str())
            .ok_or(Error::NoPrefix)?;
        let (field, body) = rest
            .split_once(self.suffix.as_str())
            .ok_or(Error::WrongNumberOfFields)?;
        let version = parse_go_int(field).ok_or(Error::VersionUndecodable)?;
        Ok((version, body))
    }

    /// Writes `prefix ‖ version ‖ suffix ‖ base64(body)`.
    pub(crate) fn format(&self, version: u32, body: &[u8]) -> String {
        let mut out = String::with_capacity(
            self.prefix
                .len()
                .saturating_add(self.suffix.len())
                .saturating_add(10)
                .saturating_add(base64_len(body.len())),
        );
        out.push_str(&self.prefix);
        out.push_str(itoa_u32(version, &mut [0; 10]));
        out.push_str(&self.suffix);
        // SIMD encoder: same padded standard alphabet as Go, several times faster.
        base64_simd::STANDARD.encode_append(body, &mut out);
        out
    }
}

/// Step 9 of §1.3: padded standard base64, where Go skips `\r` and `\n` anywhere.
pub(crate) fn decode_body(body: &str) -> Result<Vec<u8>> {
    // Fast path: the SIMD decoder accepts only canonical padded base64, a strict subset of
    // what Go accepts, and decodes it identically; anything else takes Go's rules below.
    if let Ok(bytes) = base64_simd::STANDARD.decode_to_vec(body) {
        return Ok(bytes);
    }
    let decoded = if body.contains(['\r', '\n']) {
        // Sized up front and zeroized: for key fields this copy is key text.
        let mut cleaned = zeroize::Zeroizing::new(String::with_capacity(body.len()));
        cleaned.extend(body.chars().filter(|c| !matches!(c, '\r' | '\n')));
        GO_STD.decode(cleaned.as_bytes())
    } else {
        GO_STD.decode(body)
    };
    decoded.map_err(|_| Error::InvalidBase64)
}

/// Key bytes from Go-style base64 text (as Vault writes `[]byte` fields), with no stray copy.
pub(crate) fn decode_key(text: &str) -> Result<KeyMaterial> {
    let bytes = zeroize::Zeroizing::new(decode_body(text)?);
    Ok(KeyMaterial::from_slice(&bytes))
}

/// Padded base64 length of `n` bytes (saturating: only a capacity hint).
fn base64_len(n: usize) -> usize {
    n.div_ceil(3).saturating_mul(4)
}

/// Decimal digits of `v` without allocating.
fn itoa_u32(mut v: u32, buf: &mut [u8; 10]) -> &str {
    let mut i = buf.len();
    loop {
        i = i.saturating_sub(1);
        if let Some(slot) = buf.get_mut(i) {
            // v % 10 < 10, so the cast cannot truncate.
            *slot = b'0'.saturating_add(u8::try_from(v % 10).unwrap_or(0));
        }
        v /= 10;
        if v == 0 || i == 0 {
            break;
        }
    }
    core::str::from_utf8(buf.get(i..).unwrap_or_default()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_then_split_gives_version_and_body() {
        let t = Template::default();
        for v in [1, 9, 10, 4_294_967_295] {
            let s = t.format(v, b"abc");
            let (version, body) = t.split(&s).unwrap();
            assert_eq!(version, i64::from(v));
            assert_eq!(decode_body(body).unwrap(), b"abc");
        }
    }

    #[test]
    fn decode_skips_newlines_and_requires_padding() {
        assert_eq!(decode_body("YW\r\nJj").unwrap(), b"abc");
        assert_eq!(decode_body("YQ==").unwrap(), b"a");
        assert_eq!(decode_body("YQ"), Err(Error::InvalidBase64));
        assert_eq!(decode_body("YR==").unwrap(), b"a"); // non-zero trailing bits, as Go
    }

    /// Go's rules alone, without the SIMD fast path.
    fn go_decode(body: &str) -> Result<Vec<u8>> {
        let cleaned: String = body.chars().filter(|c| !matches!(c, '\r' | '\n')).collect();
        GO_STD.decode(cleaned).map_err(|_| Error::InvalidBase64)
    }

    proptest::proptest! {
        #[test]
        fn fast_path_agrees_with_go_rules_on_any_text(s in "[A-Za-z0-9+/=\r\n]{0,40}|.{0,20}") {
            proptest::prop_assert_eq!(decode_body(&s), go_decode(&s));
        }

        #[test]
        fn fast_path_agrees_with_go_rules_on_encoded_bytes(
            bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300),
        ) {
            let encoded = GO_STD.encode(&bytes);
            proptest::prop_assert_eq!(decode_body(&encoded), Ok(bytes.clone()));
            proptest::prop_assert_eq!(Template::default().format(1, &bytes), format!("vault:v1:{encoded}"));
        }
    }

    #[test]
    fn custom_template_round_trips() {
        let t = Template::parse("{{version}}:").unwrap();
        assert_eq!(t.to_template_string(), "{{version}}:");
        assert_eq!(t.split(&t.format(3, b"")).unwrap().0, 3);
        assert!(Template::parse("no-placeholder").is_err());
        assert_eq!(Template::parse("").unwrap(), Template::default());
    }
}
