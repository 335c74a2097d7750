//! Time in the store, on two clocks.
//!
//! - The **monotonic** clock ([`Tick`]) measures every interval within a process: how long
//!   a handle trusts its copy of a keyring, and how long a trim has waited. It never steps,
//!   so setting the wall clock back cannot keep a stale copy "fresh", nor can setting it
//!   forward end a trim's grace period early.
//! - The **wall** clock ([`wall_now`]) gives the times that are persisted and compared
//!   across processes and restarts: versions' creation times and the `auto_rotate_period`
//!   schedule built on them. A step of the wall clock moves rotations earlier or later by
//!   the size of the step, as it would on a Vault server.

use std::time::{Duration, SystemTime};

use crate::keyring::Keyring;

/// A reading of the coarse monotonic clock: a memory read through the vDSO on Linux (a few
/// milliseconds behind the precise clock at most), [`std::time::Instant`] elsewhere. Only
/// differences of two readings in one process mean anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Tick(Duration);

impl Tick {
    /// The monotonic clock now.
    pub(crate) fn now() -> Self {
        #[cfg(any(target_os = "linux", target_os = "android"))]
        {
            use rustix::time::{ClockId, clock_gettime};
            let now = clock_gettime(ClockId::MonotonicCoarse);
            // The kernel's monotonic clock is never negative and its nanoseconds stay below
            // one second, so neither fallback is ever taken.
            let secs = u64::try_from(now.tv_sec).unwrap_or(0);
            let nanos = u32::try_from(now.tv_nsec).unwrap_or(0);
            Self(Duration::new(secs, nanos))
        }
        #[cfg(not(any(target_os = "linux", target_os = "android")))]
        {
            use std::sync::OnceLock;
            use std::time::Instant;
            static ORIGIN: OnceLock<Instant> = OnceLock::new();
            let origin = *ORIGIN.get_or_init(Instant::now);
            Self(Instant::now().saturating_duration_since(origin))
        }
    }

    /// The reading `interval` after this one.
    pub(crate) fn after(self, interval: Duration) -> Self {
        Self(self.0.saturating_add(interval))
    }

    /// How long after `earlier` this reading is (zero if it is not later).
    pub(crate) fn since(self, earlier: Self) -> Duration {
        self.0.saturating_sub(earlier.0)
    }
}

/// The wall-clock time, for times that are stored or compared across processes.
pub(crate) fn wall_now() -> SystemTime {
    stepped(SystemTime::now())
}

/// The wall-clock time, read cheaply: on Linux the coarse real-time clock (a memory read
/// through the vDSO, a few milliseconds behind at most, so a rotation is at most that
/// late), elsewhere [`wall_now`]. Never ahead of [`wall_now`], so what it finds due, the
/// slow path finds due too.
pub(crate) fn coarse_wall_now() -> SystemTime {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        use rustix::time::{ClockId, clock_gettime};
        let now = clock_gettime(ClockId::RealtimeCoarse);
        if let (Ok(secs), Ok(nanos)) = (u64::try_from(now.tv_sec), u32::try_from(now.tv_nsec)) {
            if let Some(now) = SystemTime::UNIX_EPOCH.checked_add(Duration::new(secs, nanos)) {
                return stepped(now);
            }
        }
    }
    wall_now()
}

/// How long a handle uses its copy of the keyring before checking the file for changes
/// (on the monotonic clock). Any change made by another process is seen within this time
/// by a handle that encrypts, which is what lets [`crate::StoredKeyring::trim`] wait until
/// no process can still be encrypting with a version it removes.
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

/// `now` as the wall clock reads it; in unit tests, moved by [`tests::step_wall_clock`].
fn stepped(now: SystemTime) -> SystemTime {
    #[cfg(test)]
    {
        let step = tests::WALL_STEP.get();
        let moved = if step >= 0 {
            now.checked_add(Duration::from_secs(step.unsigned_abs()))
        } else {
            now.checked_sub(Duration::from_secs(step.unsigned_abs()))
        };
        if let Some(moved) = moved {
            return moved;
        }
    }
    now
}

#[cfg(test)]
pub(crate) mod tests {
    use std::cell::Cell;
    use std::time::Instant;

    use super::*;
    use crate::{KeyType, RootKey, Store};

    thread_local! {
        /// Seconds this thread's wall clock is stepped by (negative: back).
        pub(super) static WALL_STEP: Cell<i64> = const { Cell::new(0) };
    }

    /// A step of this thread's wall clock, as an NTP correction or an operator would step
    /// the system's, leaving the monotonic clock alone; undone when dropped.
    pub(crate) struct WallStep(i64);

    impl Drop for WallStep {
        fn drop(&mut self) {
            WALL_STEP.set(WALL_STEP.get().saturating_sub(self.0));
        }
    }

    /// Steps this thread's wall clock by `seconds` (negative: back) until the guard drops.
    pub(crate) fn step_wall_clock(seconds: i64) -> WallStep {
        WALL_STEP.set(WALL_STEP.get().saturating_add(seconds));
        WallStep(seconds)
    }

    fn store(dir: &tempfile::TempDir) -> Store {
        Store::open(dir.path(), RootKey::from_bytes(&[9; 32]).unwrap()).unwrap()
    }

    #[test]
    fn a_wall_clock_step_moves_the_wall_clock_only() {
        let (wall, tick) = (wall_now(), Tick::now());
        let step = step_wall_clock(-3600);
        assert!(wall_now() <= wall - Duration::from_secs(3599));
        assert!(coarse_wall_now() <= wall_now());
        assert!(Tick::now() >= tick);
        drop(step);
        assert!(wall_now() >= wall);
    }

    #[test]
    fn a_wall_clock_set_back_does_not_keep_a_stale_copy_fresh() {
        let dir = tempfile::tempdir().unwrap();
        let a = store(&dir).create("ci-env", KeyType::Aes256Gcm96).unwrap();
        assert!(a.encrypt(b"x").unwrap().starts_with("vault:v1:"));
        store(&dir).load("ci-env").unwrap().rotate().unwrap(); // "another process"
        let _back = step_wall_clock(-3600);
        std::thread::sleep(FRESHNESS + Duration::from_millis(100));
        assert!(a.encrypt(b"x").unwrap().starts_with("vault:v2:"));
    }

    #[test]
    fn a_wall_clock_set_forward_does_not_shorten_the_trim_grace() {
        let dir = tempfile::tempdir().unwrap();
        let a = store(&dir).create("ci-env", KeyType::Aes256Gcm96).unwrap();
        assert!(a.encrypt(b"x").unwrap().starts_with("vault:v1:")); // a holds a v1 lease
        let b = store(&dir).load("ci-env").unwrap();
        let v2 = b.rotate().unwrap();
        b.set_min_decryption_version(v2).unwrap();
        b.set_min_encryption_version(v2).unwrap();
        let raised = Instant::now();
        let _forward = step_wall_clock(3600);
        b.trim(v2).unwrap();
        assert!(
            raised.elapsed() >= Duration::from_millis(2900),
            "trim did not wait"
        );
        // a's copy went stale during the wait, so it has moved on to v2.
        let ciphertext = a.encrypt(b"x").unwrap();
        assert_eq!(&*b.decrypt(&ciphertext).unwrap(), b"x");
    }

    #[test]
    fn a_wall_clock_set_back_does_not_lengthen_the_trim_grace() {
        let dir = tempfile::tempdir().unwrap();
        let b = store(&dir).create("ci-env", KeyType::Aes256Gcm96).unwrap();
        let v2 = b.rotate().unwrap();
        b.set_min_decryption_version(v2).unwrap();
        b.set_min_encryption_version(v2).unwrap();
        let raised = Instant::now();
        let _back = step_wall_clock(-3600);
        b.trim(v2).unwrap();
        let waited = raised.elapsed();
        assert!(waited >= Duration::from_millis(2900) && waited < Duration::from_secs(20));
    }
}
