//! Key version numbers: parsing with Go's `strconv.Atoi` rules, so that we accept and refuse
//! exactly the version fields Vault does, and checked arithmetic for the next version.
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use crate::error::{Error, Result};

/// Parses a version field as Go's `strconv.Atoi` does on a 64-bit machine: an optional `+` or
/// `-`, then one or more ASCII digits (leading zeros allowed), no spaces, no overflow.
pub(crate) fn parse_go_int(field: &str) -> Option<i64> {
    let (negative, digits) = match field.as_bytes().first() {
        Some(b'-') => (true, field.get(1..)?),
        Some(b'+') => (false, field.get(1..)?),
        _ => (false, field),
    };
    if digits.is_empty() {
        return None;
    }
    let mut value: i64 = 0;
    for byte in digits.bytes() {
        if !byte.is_ascii_digit() {
            return None;
        }
        let digit = i64::from(byte.wrapping_sub(b'0'));
        // Accumulate negatively so that i64::MIN parses, as in Go.
        value = value.checked_mul(10)?.checked_sub(digit)?;
    }
    if negative {
        Some(value)
    } else {
        value.checked_neg()
    }
}

/// The version after `version`, refusing to wrap past `u32::MAX`.
pub(crate) fn next(version: u32) -> Result<u32> {
    version.checked_add(1).ok_or(Error::VersionOverflow)
}

#[cfg(test)]
mod tests {
    use super::parse_go_int;

    #[test]
    fn go_atoi_accepts_signs_and_leading_zeros() {
        assert_eq!(parse_go_int("1"), Some(1));
        assert_eq!(parse_go_int("+7"), Some(7));
        assert_eq!(parse_go_int("-3"), Some(-3));
        assert_eq!(parse_go_int("007"), Some(7));
        assert_eq!(parse_go_int("-9223372036854775808"), Some(i64::MIN));
        assert_eq!(parse_go_int("9223372036854775807"), Some(i64::MAX));
    }

    #[test]
    fn go_atoi_refuses_what_go_refuses() {
        for bad in [
            "",
            "+",
            "-",
            " 1",
            "1 ",
            "1a",
            "0x1",
            "9223372036854775808",
            "١",
        ] {
            assert_eq!(parse_go_int(bad), None, "{bad:?}");
        }
    }
}
