//! Long-poll wake-ups, one [`Notify`] per group. Each backend owns one [`Wakeups`] and calls
//! [`Wakeups::wake`] after a push stored something; PostgreSQL also calls it for pushes that
//! other instances announced with NOTIFY.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use porchlight_protocol::wire::GroupId;
use tokio::sync::Notify;

#[derive(Debug, Default)]
pub(crate) struct Wakeups {
    groups: Mutex<HashMap<GroupId, Arc<Notify>>>,
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
        let groups = self.groups.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(notify) = groups.get(&group) {
            notify.notify_waiters();
        }
    }

    /// Wakes every waiter: used when wake-ups may have been missed (a lost NOTIFY connection), so
    /// each long-poll looks at the log again.
    pub fn wake_all(&self) {
        let groups = self.groups.lock().unwrap_or_else(PoisonError::into_inner);
        for notify in groups.values() {
            notify.notify_waiters();
        }
    }
}
