//! Go's `time.Time` JSON text (RFC 3339 with up to nine fraction digits, trailing zeros
//! dropped) to and from `SystemTime`.

use std::time::{Duration, SystemTime};

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::error::{Error, Result};

/// Go's zero `time.Time`, as Vault writes it for the archive's dummy slot.
pub(crate) const GO_ZERO_TIME: &str = "0001-01-01T00:00:00Z";

/// The times Go's JSON encoder can write: years 0000 to 9999 (it refuses others), so the
/// only times a keyring may hold.
pub(crate) fn check(at: SystemTime) -> Result<OffsetDateTime> {
    // `OffsetDateTime::from(SystemTime)` panics out of its range; go through checked math.
    let (secs, nanos) = match at.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(after) => (i64::try_from(after.as_secs()).ok(), after.subsec_nanos()),
        Err(before) => {
            let before = before.duration();
            let borrow = before.subsec_nanos() > 0;
            let secs = i64::try_from(before.as_secs())
                .ok()
                .and_then(|s| s.checked_neg())
                .and_then(|s| s.checked_sub(i64::from(borrow)));
            let nanos = if borrow {
                1_000_000_000 - before.subsec_nanos()
            } else {
                0
            };
            (secs, nanos)
        }
    };
    secs.and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok())
        .and_then(|t| t.replace_nanosecond(nanos).ok())
        .filter(|t| (0..=9999).contains(&t.year()))
        .ok_or(Error::InvalidTime)
}

/// RFC 3339 in UTC with Go's `RFC3339Nano` fraction rules.
pub(crate) fn format(at: SystemTime) -> Result<String> {
    let utc = check(at)?;
    let base = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        utc.year(),
        u8::from(utc.month()),
        utc.day(),
        utc.hour(),
        utc.minute(),
        utc.second()
    );
    let nanos = utc.nanosecond();
    if nanos == 0 {
        return Ok(format!("{base}Z"));
    }
    let fraction = format!("{nanos:09}");
    Ok(format!("{base}.{}Z", fraction.trim_end_matches('0')))
}

/// Parses RFC 3339 with any offset.
pub(crate) fn parse(text: &str) -> Result<SystemTime> {
    let parsed = OffsetDateTime::parse(text, &Rfc3339)
        .map_err(|_| Error::InvalidDocument(format!("bad time {text:?}")))?;
    Ok(SystemTime::from(parsed))
}

/// Whole seconds since the Unix epoch (negative before it), as Go's `Unix()`.
pub(crate) fn unix_seconds(at: SystemTime) -> i64 {
    match at.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_secs()).unwrap_or(i64::MAX),
        Err(before) => {
            let before: Duration = before.duration();
            // Floor, as Go does for times before the epoch with a fraction.
            let secs = i64::try_from(before.as_secs()).unwrap_or(i64::MAX);
            if before.subsec_nanos() > 0 {
                -secs - 1
            } else {
                -secs
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_rfc3339nano_trims_fraction_zeros() {
        let t = SystemTime::UNIX_EPOCH + Duration::new(1_700_000_000, 120_000_000);
        assert_eq!(format(t).unwrap(), "2023-11-14T22:13:20.12Z");
        assert_eq!(parse("2023-11-14T22:13:20.12Z").unwrap(), t);
        assert_eq!(parse("2023-11-14T23:13:20.12+01:00").unwrap(), t);
        let whole = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(format(whole).unwrap(), "2023-11-14T22:13:20Z");
        let before = SystemTime::UNIX_EPOCH - Duration::new(1, 250_000_000);
        assert_eq!(format(before).unwrap(), "1969-12-31T23:59:58.75Z");
        let far = SystemTime::UNIX_EPOCH + Duration::from_secs(400_000_000_000);
        assert_eq!(format(far), Err(Error::InvalidTime));
        let past = SystemTime::UNIX_EPOCH - Duration::from_secs(70_000_000_000);
        assert_eq!(format(past), Err(Error::InvalidTime));
        assert_eq!(unix_seconds(whole), 1_700_000_000);
        assert!(parse(GO_ZERO_TIME).is_ok());
    }
}
