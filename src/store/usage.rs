//! Usage limits: every key version counts its encryptions. Counts are reserved durably in
//! blocks (a sealed write per block, never per encryption), and encryptions then draw from
//! the in-memory block with one atomic add. A crash loses the unused rest of a block, so
//! the durable count can only exceed the true one, never fall short of it.
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use serde::{Deserialize, Serialize};

use super::clock::Tick;
use crate::error::{Error, Result};

/// The default and highest usage limit: 2^32 encryptions per key version, NIST SP 800-38D's
/// bound for AES-GCM with random 96-bit nonces.
pub const MAX_USAGE_LIMIT: u64 = 1 << 32;
/// The first block a handle reserves, and the smallest.
const MIN_BLOCK: u64 = 4096;
/// The largest block: at most this many counts (1/1024 of the default limit) are lost per
/// crash. At about a microsecond per encryption a block lasts seconds, so the two fsynced
/// writes of a reservation cost well under one percent.
const MAX_BLOCK: u64 = 1 << 22;
/// A block is at most this fraction of the usage limit.
const BLOCKS_PER_LIMIT: u64 = 64;
/// Blocks grow while a handle uses one up faster than this.
const FAST_RENEWAL: Duration = Duration::from_secs(10);

/// Store-only state of a keyring: the limit, each version's durable reservation, and when
/// `min_encryption_version` was last raised (trim waits a grace period after that).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Usage {
    pub(crate) usage_limit: u64,
    /// Version → encryptions reserved so far (an upper bound of those performed).
    pub(crate) reserved: BTreeMap<u32, u64>,
    /// Identifies the last raise of `min_encryption_version`; 0 if never raised. It is the
    /// wall-clock time of the raise in milliseconds since the Unix epoch, forced above the
    /// previous value so that every raise gets a new one even if the clock stepped back.
    /// Only ever compared for equality: a trim measures its grace period from when its
    /// own process first saw this value, on the monotonic clock (see [`RaiseSeen`]).
    #[serde(default)]
    pub(crate) min_encryption_raised_ms: u64,
    /// 16 random bytes in hex, drawn when the keyring was stored ([`crate::Store::create`],
    /// [`crate::Store::insert`]). A keyring deleted and stored again under its name gets a
    /// new one even if it holds the same keys, so handles of the old one drop their
    /// reservations: those were counted in the deleted file, not in this one. Empty in
    /// files written before it existed.
    #[serde(default)]
    pub(crate) instance: String,
}

impl Default for Usage {
    fn default() -> Self {
        Self {
            usage_limit: MAX_USAGE_LIMIT,
            reserved: BTreeMap::new(),
            min_encryption_raised_ms: 0,
            instance: String::new(),
        }
    }
}

impl Usage {
    /// The state of a keyring being stored: no counts, the default limit, a new instance.
    pub(crate) fn generate() -> Result<Self> {
        let mut id = [0u8; 16];
        crate::cipher::fill_random(&mut id)?;
        Ok(Self {
            instance: id.iter().map(|b| format!("{b:02x}")).collect(),
            ..Self::default()
        })
    }

    /// Checks a new limit: 1 ..= 2^32.
    pub(crate) fn check_limit(limit: u64) -> Result<u64> {
        if (1..=MAX_USAGE_LIMIT).contains(&limit) {
            Ok(limit)
        } else {
            Err(Error::UsageLimit)
        }
    }

    /// Encryptions reserved for `version` so far.
    pub(crate) fn reserved(&self, version: u32) -> u64 {
        self.reserved.get(&version).copied().unwrap_or(0)
    }

    /// Encryptions `version` may still reserve.
    pub(crate) fn remaining(&self, version: u32) -> u64 {
        self.usage_limit.saturating_sub(self.reserved(version))
    }

    /// Reserves up to `want` encryptions of `version`, and at most 1/64 of the limit, so a
    /// process that exits or crashes strands at most that much of a version's budget;
    /// returns how many (0 when used up).
    pub(crate) fn reserve(&mut self, version: u32, want: u64) -> u64 {
        let cap = (self.usage_limit / BLOCKS_PER_LIMIT).max(1);
        let granted = want.min(cap).min(self.remaining(version));
        if granted > 0 {
            let total = self.reserved(version).saturating_add(granted);
            self.reserved.insert(version, total);
        }
        granted
    }

    /// Records that `min_encryption_version` went up at wall-clock time `now`, as a new
    /// raise id (see `min_encryption_raised_ms`).
    pub(crate) fn note_min_encryption_raised(&mut self, now: SystemTime) {
        let ms = now
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis());
        let ms = u64::try_from(ms).unwrap_or(u64::MAX);
        self.min_encryption_raised_ms = ms.max(self.min_encryption_raised_ms.saturating_add(1));
    }

    /// Forgets the counts of versions below `min_available_version` (trimmed away).
    pub(crate) fn forget_below(&mut self, min_available_version: u32) {
        self.reserved = self.reserved.split_off(&min_available_version);
    }
}

/// When this process first saw the keyring's latest raise of `min_encryption_version`.
///
/// A trim must not remove a version while another process may still encrypt with it, that
/// is until every handle has re-read the keyring since the raise (each does within
/// [`super::clock::FRESHNESS`]). The raise was durable before this process first saw it, so
/// waiting the grace period on this process's monotonic clock from that sighting waits at
/// least as long after the raise itself, whatever the wall clocks do. The price: a process
/// that first sees an old raise just before trimming waits the whole grace period once.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RaiseSeen {
    id: u64,
    at: Tick,
}

impl RaiseSeen {
    /// The raise recorded in `usage`, first seen at `now`.
    pub(crate) fn new(usage: &Usage, now: Tick) -> Self {
        Self {
            id: usage.min_encryption_raised_ms,
            at: now,
        }
    }

    /// Notes the raise recorded in `usage`, seen at `now`: an earlier sighting of the same
    /// raise is kept; a new raise starts the wait again.
    pub(crate) fn note(&mut self, usage: &Usage, now: Tick) {
        if usage.min_encryption_raised_ms != self.id {
            *self = Self::new(usage, now);
        }
    }

    /// How long a trim must still wait at `now` so that `grace` has passed since this
    /// process first saw the raise recorded in `usage` (all of `grace` if it has not seen
    /// that raise yet; nothing if `min_encryption_version` was never raised).
    pub(crate) fn trim_wait(&self, usage: &Usage, now: Tick, grace: Duration) -> Duration {
        match usage.min_encryption_raised_ms {
            0 => Duration::ZERO,
            id if id == self.id => grace.saturating_sub(now.since(self.at)),
            _ => grace,
        }
    }
}

/// Encryptions of one version that this handle reserved and may perform without I/O.
#[derive(Debug)]
pub(crate) struct Lease {
    granted: u64,
    taken: AtomicU64,
}

impl Lease {
    pub(crate) fn new(granted: u64) -> Self {
        Self {
            granted,
            taken: AtomicU64::new(0),
        }
    }

    /// Takes one encryption from the lease: the hot path's only cost, one atomic add.
    pub(crate) fn try_take(&self) -> bool {
        self.taken.fetch_add(1, Ordering::Relaxed) < self.granted
    }

    /// Reserved but not (yet) used.
    pub(crate) fn unused(&self) -> u64 {
        self.granted
            .saturating_sub(self.taken.load(Ordering::Relaxed))
    }
}

/// Sizes blocks: start small (a short-lived process wastes little on exit), grow while the
/// handle renews often, shrink when it does not.
#[derive(Debug)]
pub(crate) struct BlockSizer {
    next: u64,
    last_renewal: Option<Instant>,
}

impl BlockSizer {
    pub(crate) fn new() -> Self {
        Self {
            next: MIN_BLOCK,
            last_renewal: None,
        }
    }

    /// The size of the block to reserve now.
    pub(crate) fn next_block(&mut self, now: Instant) -> u64 {
        if let Some(last) = self.last_renewal {
            self.next = if now.saturating_duration_since(last) < FAST_RENEWAL {
                self.next.saturating_mul(4).min(MAX_BLOCK)
            } else {
                (self.next / 2).max(MIN_BLOCK)
            };
        }
        self.last_renewal = Some(now);
        self.next
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]
mod tests {
    use super::*;

    #[test]
    fn reservations_stop_at_the_limit() {
        let mut usage = Usage {
            usage_limit: 640,
            ..Usage::default()
        };
        assert_eq!(usage.reserve(1, 4), 4);
        assert_eq!(usage.reserve(1, 4096), 10); // 1/64 of the limit
        while usage.remaining(1) > 6 {
            assert_eq!(usage.reserve(1, 4096), 10);
        }
        assert_eq!(usage.reserve(1, 4096), 6);
        assert_eq!(usage.reserve(1, 1), 0);
        assert_eq!(
            (usage.reserved(1), usage.remaining(1), usage.remaining(2)),
            (640, 0, 640)
        );
    }

    #[test]
    fn lease_grants_exactly_its_size() {
        let lease = Lease::new(3);
        assert_eq!((0..5).filter(|_| lease.try_take()).count(), 3);
        assert_eq!(lease.unused(), 0);
    }

    #[test]
    fn blocks_grow_when_renewed_fast_and_shrink_when_slow() {
        let mut sizer = BlockSizer::new();
        let t0 = Instant::now();
        assert_eq!(sizer.next_block(t0), MIN_BLOCK);
        assert_eq!(sizer.next_block(t0), 4 * MIN_BLOCK);
        assert_eq!(
            sizer.next_block(t0 + Duration::from_secs(20)),
            2 * MIN_BLOCK
        );
    }

    #[test]
    fn every_raise_gets_a_new_id_even_when_the_clock_steps_back() {
        let mut usage = Usage::default();
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        usage.note_min_encryption_raised(t);
        let first = usage.min_encryption_raised_ms;
        usage.note_min_encryption_raised(t - Duration::from_secs(3600));
        assert_eq!(usage.min_encryption_raised_ms, first + 1);
    }

    #[test]
    fn trim_waits_the_grace_from_its_own_first_sighting_of_a_raise() {
        let grace = Duration::from_secs(3);
        let t0 = Tick::now();
        let mut usage = Usage::default();
        let mut seen = RaiseSeen::new(&usage, t0);
        assert_eq!(seen.trim_wait(&usage, t0, grace), Duration::ZERO); // never raised
        usage.note_min_encryption_raised(SystemTime::now());
        assert_eq!(seen.trim_wait(&usage, t0, grace), grace); // not seen yet
        seen.note(&usage, t0);
        let t1 = t0.after(Duration::from_secs(1));
        seen.note(&usage, t1); // the same raise again: the first sighting counts
        assert_eq!(seen.trim_wait(&usage, t1, grace), Duration::from_secs(2));
        assert_eq!(
            seen.trim_wait(&usage, t0.after(grace), grace),
            Duration::ZERO
        );
        usage.note_min_encryption_raised(SystemTime::UNIX_EPOCH); // a clock stepped far back
        seen.note(&usage, t1);
        assert_eq!(seen.trim_wait(&usage, t1, grace), grace);
    }

    #[test]
    fn limits_outside_one_to_two_pow_32_are_refused() {
        assert_eq!(Usage::check_limit(0), Err(Error::UsageLimit));
        assert_eq!(
            Usage::check_limit(MAX_USAGE_LIMIT + 1),
            Err(Error::UsageLimit)
        );
        assert_eq!(Usage::check_limit(MAX_USAGE_LIMIT), Ok(MAX_USAGE_LIMIT));
    }
}
