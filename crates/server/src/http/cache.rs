//! The two in-memory caches that let an up-to-date poll answer without the database: who a
//! session token belongs to, and the newest change number each role's kinds reached in a group.
//!
//! They are only caches (docs/DECISIONS.md, decision 63). An entry is used only while both hold:
//! - it is younger than `cache_secs` (2 s by default), the hard bound on staleness if a wake-up
//!   is ever lost;
//! - nothing that could make it stale happened since it was read: each entry carries the
//!   [`Stamp`] this instance's [`Wakeups`](crate::storage::Wakeups) had *before* the database was
//!   read, and a membership change, a push into the group or a lost notification connection moves
//!   that stamp on (on this instance at once, on the others when the NOTIFY arrives).
//!
//! Reading the stamp before the database is what closes the race with a revocation landing
//! meanwhile: the entry is then born with an old stamp and never used.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use porchlight_model::DocKind;
use porchlight_protocol::wire::GroupId;

use crate::storage::{SessionRecord, Stamp};

/// Entries kept at most per cache; past it, old entries go (and if all are fresh, all go), so
/// many sessions cannot grow the server's memory without bound.
const MAX_ENTRIES: usize = 50_000;

#[derive(Debug)]
pub(crate) struct Caches {
    /// How long an entry may be used at most, whatever the wake-ups say.
    ttl: Duration,
    sessions: Mutex<HashMap<[u8; 32], Entry<SessionRecord>>>,
    newest: Mutex<HashMap<(GroupId, u16), Entry<u64>>>,
}

#[derive(Debug)]
struct Entry<T> {
    value: T,
    stamp: Stamp,
    at: Instant,
}

impl<T: Clone> Entry<T> {
    fn fresh(&self, stamp: Stamp, now: Instant, ttl: Duration) -> Option<T> {
        (self.stamp == stamp && now.saturating_duration_since(self.at) < ttl)
            .then(|| self.value.clone())
    }
}

fn get<K: Eq + std::hash::Hash, T: Clone>(
    map: &Mutex<HashMap<K, Entry<T>>>,
    key: &K,
    stamp: Stamp,
    now: Instant,
    ttl: Duration,
) -> Option<T> {
    let map = map.lock().unwrap_or_else(PoisonError::into_inner);
    map.get(key).and_then(|e| e.fresh(stamp, now, ttl))
}

fn put<K: Eq + std::hash::Hash, T>(
    map: &Mutex<HashMap<K, Entry<T>>>,
    key: K,
    value: T,
    stamp: Stamp,
    now: Instant,
    ttl: Duration,
) {
    if ttl.is_zero() {
        return;
    }
    let mut map = map.lock().unwrap_or_else(PoisonError::into_inner);
    if map.len() >= MAX_ENTRIES {
        map.retain(|_, e| now.saturating_duration_since(e.at) < ttl);
        if map.len() >= MAX_ENTRIES {
            map.clear();
        }
    }
    map.insert(
        key,
        Entry {
            value,
            stamp,
            at: now,
        },
    );
}

/// The kinds a role reads, as a key: one bit per kind.
fn kinds_key(kinds: &[DocKind]) -> u16 {
    kinds.iter().fold(0, |key, kind| {
        let bit = DocKind::ALL.iter().position(|k| k == kind).unwrap_or(15);
        key | (1 << bit)
    })
}

impl Caches {
    /// Caches whose entries live at most `ttl` (zero: nothing is cached).
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            sessions: Mutex::default(),
            newest: Mutex::default(),
        }
    }

    /// The session behind `token_hash`, if read from the database under `stamp` lately.
    pub fn session(
        &self,
        token_hash: &[u8; 32],
        stamp: Stamp,
        now: Instant,
    ) -> Option<SessionRecord> {
        get(&self.sessions, token_hash, stamp, now, self.ttl)
    }

    /// Keeps `record`, read from the database after `stamp` was taken.
    pub fn keep_session(
        &self,
        token_hash: [u8; 32],
        record: SessionRecord,
        stamp: Stamp,
        now: Instant,
    ) {
        put(&self.sessions, token_hash, record, stamp, now, self.ttl);
    }

    /// The newest number of `kinds` in `group`, if read from the database under `stamp` lately.
    pub fn newest(
        &self,
        group: GroupId,
        kinds: &[DocKind],
        stamp: Stamp,
        now: Instant,
    ) -> Option<u64> {
        get(
            &self.newest,
            &(group, kinds_key(kinds)),
            stamp,
            now,
            self.ttl,
        )
    }

    /// Keeps `seq`, read from the database after `stamp` was taken.
    pub fn keep_newest(
        &self,
        group: GroupId,
        kinds: &[DocKind],
        seq: u64,
        stamp: Stamp,
        now: Instant,
    ) {
        put(
            &self.newest,
            (group, kinds_key(kinds)),
            seq,
            stamp,
            now,
            self.ttl,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::Wakeups;

    const TTL: Duration = Duration::from_secs(2);

    fn group(n: u8) -> GroupId {
        GroupId::from_bytes([n; 16])
    }

    #[test]
    fn an_entry_is_not_used_past_the_ttl_even_without_any_wake() {
        let (caches, wakeups) = (Caches::new(TTL), Wakeups::default());
        let stamp = wakeups.log_stamp(group(1)).unwrap();
        let then = Instant::now();
        caches.keep_newest(group(1), &DocKind::ALL, 7, stamp, then);
        assert_eq!(caches.newest(group(1), &DocKind::ALL, stamp, then), Some(7));
        let later = then + TTL;
        assert_eq!(caches.newest(group(1), &DocKind::ALL, stamp, later), None);
    }

    #[test]
    fn a_zero_ttl_caches_nothing() {
        let (caches, wakeups) = (Caches::new(Duration::ZERO), Wakeups::default());
        let (now, stamp) = (Instant::now(), wakeups.log_stamp(group(1)).unwrap());
        caches.keep_newest(group(1), &DocKind::ALL, 7, stamp, now);
        assert_eq!(caches.newest(group(1), &DocKind::ALL, stamp, now), None);
    }

    #[test]
    fn a_push_into_the_group_retires_its_newest_numbers_only() {
        let (caches, wakeups) = (Caches::new(TTL), Wakeups::default());
        let now = Instant::now();
        let stamp = wakeups.log_stamp(group(1)).unwrap();
        let sessions = wakeups.session_stamp().unwrap();
        caches.keep_newest(group(1), &DocKind::ALL, 7, stamp, now);
        // Another group's push changes nothing here.
        wakeups.wake(group(2));
        assert_eq!(wakeups.log_stamp(group(1)), Some(stamp));
        wakeups.wake(group(1));
        let after_push = wakeups.log_stamp(group(1)).unwrap();
        assert_eq!(
            caches.newest(group(1), &DocKind::ALL, after_push, now),
            None
        );
        assert_eq!(wakeups.session_stamp(), Some(sessions));
    }

    #[test]
    fn a_membership_change_retires_every_cached_session() {
        let wakeups = Wakeups::default();
        let before = wakeups.session_stamp().unwrap();
        wakeups.members_changed();
        assert_ne!(wakeups.session_stamp(), Some(before));
    }

    #[test]
    fn kinds_a_role_cannot_read_have_their_own_entry() {
        let (caches, wakeups) = (Caches::new(TTL), Wakeups::default());
        let (now, stamp) = (Instant::now(), wakeups.log_stamp(group(1)).unwrap());
        caches.keep_newest(group(1), &DocKind::ALL, 9, stamp, now);
        assert_eq!(caches.newest(group(1), &[DocKind::Alert], stamp, now), None);
    }

    #[test]
    fn nothing_is_trusted_while_deaf_and_everything_older_is_retired_after() {
        let wakeups = Wakeups::default();
        let (log, sessions) = (
            wakeups.log_stamp(group(1)).unwrap(),
            wakeups.session_stamp().unwrap(),
        );
        wakeups.set_deaf();
        assert_eq!(wakeups.log_stamp(group(1)), None);
        assert_eq!(wakeups.session_stamp(), None);
        wakeups.hearing_again();
        assert_ne!(wakeups.log_stamp(group(1)), Some(log));
        assert_ne!(wakeups.session_stamp(), Some(sessions));
    }
}
