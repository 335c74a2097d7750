//! A [`crate::StoredKeyring`] handle's in-memory copy of its keyring, and what replacing
//! that copy keeps: the reservations still counted in the file, and when this process
//! first saw the latest raise of `min_encryption_version`.

use std::collections::BTreeMap;
use std::time::SystemTime;

use super::clock::{FRESHNESS, Tick, rotation_due_at};
use super::record::Record;
use super::usage::{BlockSizer, Lease, RaiseSeen};

/// The in-memory copy and this handle's unused reservations.
pub(super) struct State {
    pub(super) record: Record,
    /// Version → encryptions reserved durably by this handle and not yet used.
    pub(super) leases: BTreeMap<u32, Lease>,
    /// When the latest version is due for time-based rotation (wall clock: it is built on
    /// stored creation times).
    pub(super) rotate_after: Option<SystemTime>,
    /// When this process first saw the latest raise of `min_encryption_version`.
    pub(super) raise_seen: RaiseSeen,
    /// The generation of the keyring file this copy was read from.
    pub(super) generation: u64,
    /// Until when this copy may be used without checking the file for changes (monotonic:
    /// a wall clock set back must not keep a stale copy in use).
    pub(super) fresh_until: Tick,
    pub(super) sizer: BlockSizer,
}

impl State {
    /// A copy of `record`, read from a file at `generation`, with no reservations yet.
    pub(super) fn new(generation: u64, record: Record) -> Self {
        let now = Tick::now();
        Self {
            raise_seen: RaiseSeen::new(&record.usage, now),
            rotate_after: rotation_due_at(&record.keyring),
            record,
            leases: BTreeMap::new(),
            generation,
            fresh_until: now.after(FRESHNESS),
            sizer: BlockSizer::new(),
        }
    }

    /// Replaces the in-memory copy. This handle's reservations stay valid (they are counted
    /// in the file), unless the keyring was deleted and stored anew (another instance,
    /// whose counts do not include them, even if it holds the same keys), the version was
    /// trimmed, or a lowered usage limit leaves them no room.
    pub(super) fn install(&mut self, generation: u64, record: Record) {
        let usage = &record.usage;
        let same_instance = usage.instance == self.record.usage.instance;
        self.leases.retain(|v, _| {
            same_instance
                && record.keyring.keys.contains_key(v)
                && usage.reserved(*v) <= usage.usage_limit
        });
        self.rotate_after = rotation_due_at(&record.keyring);
        self.generation = generation;
        let now = Tick::now();
        self.raise_seen.note(&record.usage, now);
        self.fresh_until = now.after(FRESHNESS);
        self.record = record;
    }
}
