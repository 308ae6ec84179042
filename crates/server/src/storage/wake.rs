//! Long-poll wake-ups, one [`Notify`] per group, and the stamps the HTTP layer's caches check.
//! Each backend owns one [`Wakeups`] and calls [`Wakeups::wake`] after a push stored something
//! and [`Wakeups::members_changed`] after a membership changed; PostgreSQL also calls them for
//! what other instances announced with NOTIFY, and [`Wakeups::set_deaf`] while it cannot hear.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use porchlight_protocol::wire::GroupId;
use tokio::sync::Notify;

/// What this instance knew when it read something from the database. A cached copy is good only
/// while the stamp is unchanged (see `http::cache`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stamp {
    era: u64,
    count: u64,
}

#[derive(Debug, Default)]
pub struct Wakeups {
    groups: Mutex<HashMap<GroupId, Arc<Notify>>>,
    /// Moves on whenever a change may have gone unheard (a lost notification connection):
    /// every stamp taken before is stale.
    era: AtomicU64,
    /// Moves on with every membership change of any group (rare: revocations).
    members: AtomicU64,
    /// Per group, moves on with every push that stored something. Entries are never removed, so
    /// a count never starts again from a value an old stamp holds.
    pushes: Mutex<HashMap<GroupId, u64>>,
    /// True while PostgreSQL's notification connection is lost: no stamp is given out then.
    deaf: AtomicBool,
}

impl Wakeups {
    pub fn get(&self, group: GroupId) -> Arc<Notify> {
        let mut groups = self.groups.lock().unwrap_or_else(PoisonError::into_inner);
        // Groups nobody waits on any more are forgotten here, so the map stays as small as the
        // number of groups with a long-poll open.
        groups.retain(|_, n| Arc::strong_count(n) > 1);
        groups.entry(group).or_default().clone()
    }

    pub fn wake(&self, group: GroupId) {
        // The count moves before anyone is woken: a woken long-poll or a later poll reads anew.
        *self
            .pushes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(group)
            .or_default() += 1;
        let groups = self.groups.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(notify) = groups.get(&group) {
            notify.notify_waiters();
        }
    }

    /// A member was revoked (or its role changed): every cached session is stale.
    pub fn members_changed(&self) {
        self.members.fetch_add(1, Ordering::SeqCst);
    }

    /// Wakes every waiter: used when wake-ups may have been missed (a lost NOTIFY connection), so
    /// each long-poll looks at the log again. Every stamp taken before is stale too.
    pub fn wake_all(&self) {
        self.era.fetch_add(1, Ordering::SeqCst);
        let groups = self.groups.lock().unwrap_or_else(PoisonError::into_inner);
        for notify in groups.values() {
            notify.notify_waiters();
        }
    }

    /// Nothing announced by other instances can be heard from now on.
    pub fn set_deaf(&self) {
        self.deaf.store(true, Ordering::SeqCst);
        self.era.fetch_add(1, Ordering::SeqCst);
    }

    /// Listening again: what was announced meanwhile is lost, so everyone looks anew.
    pub fn hearing_again(&self) {
        self.deaf.store(false, Ordering::SeqCst);
        self.wake_all();
    }

    fn era(&self) -> Option<u64> {
        // Era first, then deafness: going deaf moves the era after setting the flag, so a stamp
        // taken across that moment carries an era that is already stale.
        let era = self.era.load(Ordering::SeqCst);
        (!self.deaf.load(Ordering::SeqCst)).then_some(era)
    }

    /// The stamp of cached sessions; `None` while nothing may be cached.
    pub fn session_stamp(&self) -> Option<Stamp> {
        let era = self.era()?;
        Some(Stamp {
            era,
            count: self.members.load(Ordering::SeqCst),
        })
    }

    /// The stamp of the group's cached newest numbers; `None` while nothing may be cached.
    pub fn log_stamp(&self, group: GroupId) -> Option<Stamp> {
        let era = self.era()?;
        let pushes = self.pushes.lock().unwrap_or_else(PoisonError::into_inner);
        Some(Stamp {
            era,
            count: pushes.get(&group).copied().unwrap_or(0),
        })
    }
}
