//! Time in the store: how long a handle trusts its copy of a keyring, when a keyring is due
//! for time-based rotation, and a clock cheap enough for the encryption hot path.

use std::time::{Duration, SystemTime};

use crate::keyring::Keyring;

/// The time, read cheaply: on Linux the coarse real-time clock (a memory read through the
/// vDSO, a few milliseconds behind at most, so a rotation is at most that late), elsewhere
/// [`SystemTime::now`]. Never ahead of `SystemTime::now`, so what it finds due, the
/// precise clock of the slow path finds due too.
pub(crate) fn coarse_now() -> SystemTime {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        use rustix::time::{ClockId, clock_gettime};
        let now = clock_gettime(ClockId::RealtimeCoarse);
        if let (Ok(secs), Ok(nanos)) = (u64::try_from(now.tv_sec), u32::try_from(now.tv_nsec)) {
            if let Some(now) = SystemTime::UNIX_EPOCH.checked_add(Duration::new(secs, nanos)) {
                return now;
            }
        }
    }
    SystemTime::now()
}

/// How long a handle uses its copy of the keyring before checking the file for changes.
/// Any change made by another process is seen within this time by a handle that encrypts,
/// which is what lets [`crate::StoredKeyring::trim`] wait until no process can still be
/// encrypting with a version it removes.
pub(crate) const FRESHNESS: Duration = Duration::from_secs(1);

/// When `keyring`'s latest version is due for time-based rotation (Vault skips imported
/// keys that may not rotate).
pub(crate) fn rotation_due_at(keyring: &Keyring) -> Option<SystemTime> {
    if keyring.auto_rotate_period.is_zero()
        || (keyring.imported && !keyring.allow_imported_key_rotation)
    {
        return None;
    }
    keyring
        .creation_time(keyring.latest_version)?
        .checked_add(keyring.auto_rotate_period)
}
