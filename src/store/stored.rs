//! [`StoredKeyring`]: a keyring of a [`Store`], with the in-memory [`crate::Keyring`]'s API.
//! Reads and encryption use an in-memory copy; every change is a locked read-modify-write
//! of the keyring's file. Changes are in `store/configure.rs`, the copy in `store/state.rs`.

use core::fmt;
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Instant;

use super::Store;
use super::clock::{FRESHNESS, Tick, coarse_wall_now, rotation_due_at, wall_now};
use super::record::Record;
use super::state::State;
use super::usage::Lease;
use crate::error::{Error, Result};
use crate::keyring::Keyring;
use crate::options::Options;
use crate::secret::Plaintext;

/// A keyring kept in a [`Store`]. Cheap to clone; clones share one in-memory copy and one
/// set of usage reservations, and may be used from many threads.
///
/// Encryption counts against the version's usage limit (one atomic add; a durable
/// reservation per block) and rotates the keyring first when the latest version has
/// reached its limit or its `auto_rotate_period`. Other processes' changes are seen by
/// this handle's next change, within a second by its encryptions, decryptions and
/// [`StoredKeyring::metadata`], and at once after [`StoredKeyring::reload`].
///
/// ```
/// # use transit_keyring::{Error, KeyType, RootKey, Store};
/// # let dir = tempfile::tempdir().map_err(|_| Error::Entropy)?;
/// let store = Store::open(dir.path(), RootKey::generate()?)?;
/// let keyring = store.create("ci-env", KeyType::Aes256Gcm96)?;
/// let old = keyring.encrypt(b"hunter2")?;
/// assert_eq!(keyring.rotate()?, 2); // durable before it returns
/// assert!(keyring.rewrap(&old)?.starts_with("vault:v2:"));
/// # Ok::<(), transit_keyring::Error>(())
/// ```
#[derive(Clone)]
pub struct StoredKeyring {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    name: String,
    state: RwLock<State>,
}

impl StoredKeyring {
    pub(super) fn new(store: Store, generation: u64, record: Record) -> Self {
        Self {
            inner: Arc::new(Inner {
                store,
                name: record.keyring.name.clone(),
                state: RwLock::new(State::new(generation, record)),
            }),
        }
    }

    /// The keyring's name.
    ///
    /// ```
    /// # use transit_keyring::{Error, KeyType, RootKey, Store};
    /// # let dir = tempfile::tempdir().map_err(|_| Error::Entropy)?;
    /// # let store = Store::open(dir.path(), RootKey::generate()?)?;
    /// assert_eq!(store.create("ci-env", KeyType::Aes256Gcm96)?.name(), "ci-env");
    /// # Ok::<(), transit_keyring::Error>(())
    /// ```
    #[must_use]
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// The newest version this handle knows of.
    ///
    /// ```
    /// # use transit_keyring::{Error, KeyType, RootKey, Store};
    /// # let dir = tempfile::tempdir().map_err(|_| Error::Entropy)?;
    /// # let store = Store::open(dir.path(), RootKey::generate()?)?;
    /// assert_eq!(store.create("ci-env", KeyType::Aes256Gcm96)?.latest_version(), 1);
    /// # Ok::<(), transit_keyring::Error>(())
    /// ```
    #[must_use]
    pub fn latest_version(&self) -> u32 {
        self.read_state().record.keyring.latest_version
    }

    /// As [`crate::Keyring::encrypt`], counted against the version's usage limit.
    ///
    /// # Errors
    /// As [`crate::Keyring::encrypt`]; store errors if a rotation or reservation cannot be
    /// written (then nothing was encrypted).
    ///
    /// ```
    /// # use transit_keyring::{Error, KeyType, RootKey, Store};
    /// # let dir = tempfile::tempdir().map_err(|_| Error::Entropy)?;
    /// # let store = Store::open(dir.path(), RootKey::generate()?)?;
    /// let keyring = store.create("ci-env", KeyType::Aes256Gcm96)?;
    /// assert!(keyring.encrypt(b"hunter2")?.starts_with("vault:v1:"));
    /// # Ok::<(), transit_keyring::Error>(())
    /// ```
    pub fn encrypt(&self, plaintext: &[u8]) -> Result<String> {
        self.encrypt_with(plaintext, &Options::new())
    }

    /// As [`crate::Keyring::encrypt_with`], counted against the version's usage limit.
    ///
    /// # Errors
    /// As [`crate::Keyring::encrypt_with`]; [`Error::UsageLimitReached`] if `key_version` names a
    /// version that has used up its limit; store errors.
    ///
    /// ```
    /// # use transit_keyring::{Error, KeyType, Options, RootKey, Store};
    /// # let dir = tempfile::tempdir().map_err(|_| Error::Entropy)?;
    /// # let store = Store::open(dir.path(), RootKey::generate()?)?;
    /// let keyring = store.create("ci-env", KeyType::Aes256Gcm96)?;
    /// keyring.set_usage_limit(1)?;
    /// keyring.encrypt(b"a")?;
    /// assert!(keyring.encrypt(b"b")?.starts_with("vault:v2:")); // v1 was used up
    /// let err = keyring.encrypt_with(b"c", &Options::new().key_version(1)).unwrap_err();
    /// assert_eq!(err, Error::UsageLimitReached { version: 1 });
    /// # Ok::<(), transit_keyring::Error>(())
    /// ```
    pub fn encrypt_with(&self, plaintext: &[u8], opts: &Options<'_>) -> Result<String> {
        self.encrypting(opts.key_version, |keyring| {
            keyring.encrypt_with(plaintext, opts)
        })
    }

    /// Runs `encrypt`, which must encrypt exactly once with the version that
    /// `key_version` selects, counted against that version's usage limit: every
    /// encrypting operation of a handle goes through here.
    pub(super) fn encrypting<T>(
        &self,
        key_version: u32,
        encrypt: impl Fn(&Keyring) -> Result<T>,
    ) -> Result<T> {
        loop {
            if let Some(value) = self.try_encrypt(key_version, &encrypt)? {
                return Ok(value);
            }
            self.renew(key_version)?;
        }
    }

    /// As [`crate::Keyring::decrypt`]. A version newer than this handle knows makes it reload once.
    ///
    /// # Errors
    /// As [`crate::Keyring::decrypt`].
    ///
    /// ```
    /// # use transit_keyring::{Error, KeyType, RootKey, Store};
    /// # let dir = tempfile::tempdir().map_err(|_| Error::Entropy)?;
    /// # let store = Store::open(dir.path(), RootKey::generate()?)?;
    /// let keyring = store.create("ci-env", KeyType::Aes256Gcm96)?;
    /// let plaintext = keyring.decrypt(&keyring.encrypt(b"hunter2")?)?;
    /// assert_eq!(&*plaintext, b"hunter2");
    /// # Ok::<(), transit_keyring::Error>(())
    /// ```
    pub fn decrypt(&self, ciphertext: &str) -> Result<Plaintext> {
        self.decrypt_with(ciphertext, &Options::new())
    }

    /// As [`crate::Keyring::decrypt_with`]. A version newer than this handle knows makes it reload
    /// once.
    ///
    /// # Errors
    /// As [`crate::Keyring::decrypt_with`].
    ///
    /// ```
    /// # use transit_keyring::{Error, KeyType, Options, RootKey, Store};
    /// # let dir = tempfile::tempdir().map_err(|_| Error::Entropy)?;
    /// # let store = Store::open(dir.path(), RootKey::generate()?)?;
    /// let keyring = store.create("ci-env", KeyType::Aes256Gcm96)?;
    /// let opts = Options::new().associated_data(b"project/42");
    /// let ciphertext = keyring.encrypt_with(b"x", &opts)?;
    /// assert_eq!(&*keyring.decrypt_with(&ciphertext, &opts)?, b"x");
    /// # Ok::<(), transit_keyring::Error>(())
    /// ```
    pub fn decrypt_with(&self, ciphertext: &str, opts: &Options<'_>) -> Result<Plaintext> {
        self.ensure_fresh()?; // another process may have raised min_decryption_version
        let first = self
            .read_state()
            .record
            .keyring
            .decrypt_with(ciphertext, opts);
        match first {
            Err(Error::VersionTooNew) => {
                self.reload()?;
                self.read_state()
                    .record
                    .keyring
                    .decrypt_with(ciphertext, opts)
            }
            other => other,
        }
    }

    /// As [`crate::Keyring::rewrap`]; the new ciphertext counts against the usage limit.
    ///
    /// # Errors
    /// As [`StoredKeyring::decrypt`] and [`StoredKeyring::encrypt`].
    ///
    /// ```
    /// # use transit_keyring::{Error, KeyType, RootKey, Store};
    /// # let dir = tempfile::tempdir().map_err(|_| Error::Entropy)?;
    /// # let store = Store::open(dir.path(), RootKey::generate()?)?;
    /// let keyring = store.create("ci-env", KeyType::Aes256Gcm96)?;
    /// let old = keyring.encrypt(b"x")?;
    /// keyring.rotate()?;
    /// assert!(keyring.rewrap(&old)?.starts_with("vault:v2:"));
    /// # Ok::<(), transit_keyring::Error>(())
    /// ```
    pub fn rewrap(&self, ciphertext: &str) -> Result<String> {
        self.rewrap_with(ciphertext, &Options::new())
    }

    /// As [`crate::Keyring::rewrap_with`]; the new ciphertext counts against the usage limit.
    ///
    /// # Errors
    /// As [`StoredKeyring::rewrap`].
    ///
    /// ```
    /// # use transit_keyring::{Error, KeyType, Options, RootKey, Store};
    /// # let dir = tempfile::tempdir().map_err(|_| Error::Entropy)?;
    /// # let store = Store::open(dir.path(), RootKey::generate()?)?;
    /// let keyring = store.create("ci-env", KeyType::Aes256Gcm96)?;
    /// keyring.rotate()?;
    /// let ciphertext = keyring.encrypt(b"x")?;
    /// let back = keyring.rewrap_with(&ciphertext, &Options::new().key_version(1))?;
    /// assert!(back.starts_with("vault:v1:"));
    /// # Ok::<(), transit_keyring::Error>(())
    /// ```
    pub fn rewrap_with(&self, ciphertext: &str, opts: &Options<'_>) -> Result<String> {
        let plaintext = self.decrypt_with(ciphertext, opts)?;
        self.encrypt_with(&plaintext, opts)
    }

    /// Re-reads the keyring from the store, to see other processes' changes now.
    ///
    /// # Errors
    /// Store errors naming the file, as [`Store::load`].
    ///
    /// ```
    /// # use transit_keyring::{Error, KeyType, RootKey, Store};
    /// # let dir = tempfile::tempdir().map_err(|_| Error::Entropy)?;
    /// # let store = Store::open(dir.path(), RootKey::generate()?)?;
    /// let mine = store.create("ci-env", KeyType::Aes256Gcm96)?;
    /// store.load("ci-env")?.rotate()?; // another handle, as another process would
    /// assert_eq!(mine.latest_version(), 1);
    /// mine.reload()?;
    /// assert_eq!(mine.latest_version(), 2);
    /// # Ok::<(), transit_keyring::Error>(())
    /// ```
    pub fn reload(&self) -> Result<()> {
        let mut state = self.write_state();
        let (generation, record) = self.inner.store.read(&self.inner.name)?;
        state.install(generation, record);
        Ok(())
    }

    /// The hot path: encrypt if this handle holds a reservation for the version and no
    /// rotation is due; `None` sends the caller to [`StoredKeyring::renew`].
    fn try_encrypt<T>(
        &self,
        key_version: u32,
        encrypt: impl Fn(&Keyring) -> Result<T>,
    ) -> Result<Option<T>> {
        let state = self.read_state();
        // Cheap clocks: is this copy still fresh, and (if scheduled) is no rotation due?
        if Tick::now() >= state.fresh_until
            || state
                .rotate_after
                .is_some_and(|due| coarse_wall_now() >= due)
        {
            return Ok(None);
        }
        let keyring = &state.record.keyring;
        let version = match keyring.encryption_version(key_version) {
            Ok(version) => version,
            Err(Error::EncryptVersionTooNew) => return Ok(None), // maybe only new to us
            Err(e) => return Err(e),
        };
        match state.leases.get(&version) {
            Some(lease) if lease.try_take() => encrypt(keyring).map(Some),
            _ => Ok(None),
        }
    }

    /// The slow path: check the file for changes, rotate if the latest version is used up
    /// or due, and reserve a block of encryptions durably.
    fn renew(&self, requested: u32) -> Result<()> {
        let mut state = self.write_state();
        if Tick::now() >= state.fresh_until {
            self.refresh(&mut state)?;
        }
        let now = wall_now();
        let due = state.rotate_after.is_some_and(|t| now >= t);
        if let Ok(version) = state.record.keyring.encryption_version(requested) {
            if !due && state.leases.get(&version).is_some_and(|l| l.unused() > 0) {
                return Ok(()); // another thread renewed while this one waited
            }
        }
        let block = state.sizer.next_block(Instant::now());
        let ((version, granted), generation, record) =
            self.inner.store.modify(&self.inner.name, |r| {
                let latest = r.keyring.latest_version;
                if rotation_due_at(&r.keyring).is_some_and(|t| now >= t)
                    || r.usage.remaining(latest) == 0
                {
                    r.keyring.rotate_at(now)?;
                }
                let version = r.keyring.encryption_version(requested)?;
                match r.usage.reserve(version, block) {
                    0 => Err(Error::UsageLimitReached { version }),
                    granted => Ok((version, granted)),
                }
            })?;
        state.install(generation, record);
        state.leases.insert(version, Lease::new(granted));
        Ok(())
    }

    /// Refreshes the copy if it is older than [`FRESHNESS`].
    pub(super) fn ensure_fresh(&self) -> Result<()> {
        if Tick::now() < self.read_state().fresh_until {
            return Ok(());
        }
        let mut state = self.write_state();
        if Tick::now() >= state.fresh_until {
            self.refresh(&mut state)?;
        }
        Ok(())
    }

    /// Re-reads the keyring if its file changed since this copy was read; either way the
    /// copy is fresh for another [`FRESHNESS`]. Checking costs one small file read.
    fn refresh(&self, state: &mut State) -> Result<()> {
        if self.inner.store.peek_generation(&self.inner.name) == Some(state.generation) {
            state.fresh_until = Tick::now().after(FRESHNESS);
            return Ok(());
        }
        let (generation, record) = self.inner.store.read(&self.inner.name)?;
        state.install(generation, record);
        Ok(())
    }

    /// Applies `f` to the keyring as stored now (re-read under the lock) and writes it.
    pub(super) fn update<T>(&self, f: impl FnOnce(&mut Record) -> Result<T>) -> Result<T> {
        let mut state = self.write_state();
        let (value, generation, record) = self.inner.store.modify(&self.inner.name, f)?;
        state.install(generation, record);
        Ok(value)
    }

    pub(super) fn read_state(&self) -> RwLockReadGuard<'_, State> {
        self.inner
            .state
            .read()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn write_state(&self) -> RwLockWriteGuard<'_, State> {
        self.inner
            .state
            .write()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

impl fmt::Debug for StoredKeyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredKeyring")
            .field("name", &self.inner.name)
            .field("latest_version", &self.latest_version())
            .finish_non_exhaustive()
    }
}
