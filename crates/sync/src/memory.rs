//! An in-process change-log relay for deterministic tests of client sync logic. It behaves like
//! the server's log (dedupe by change, a monotonic cursor, paging with `more`, long-poll) but has
//! no auth and no validation, and a test can cut any device off and reconnect it.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use porchlight_model::{DeviceId, DocId, DocKind};
use tokio::sync::Notify;
use tokio::time::Instant;

use crate::Error;
use crate::transport::Transport;
use crate::wire::{DocChanges, SignedChange, SyncRequest, SyncResponse, WaitResponse};

#[derive(Debug)]
struct Entry {
    doc: DocId,
    kind: DocKind,
    change: SignedChange,
}

#[derive(Debug)]
struct State {
    log: Vec<Entry>,
    seen: HashSet<(DocId, [u8; 32])>,
    cut: HashSet<DeviceId>,
    page_size: usize,
}

#[derive(Debug)]
struct Inner {
    state: Mutex<State>,
    changed: Notify,
}

/// The relay. Cloning shares it.
#[derive(Clone, Debug)]
pub struct MemoryHub {
    inner: Arc<Inner>,
}

impl Default for MemoryHub {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryHub {
    pub fn new() -> Self {
        Self::with_page_size(1000)
    }

    /// A hub that returns at most `page_size` changes per sync, to exercise paging.
    pub fn with_page_size(page_size: usize) -> Self {
        let state = State {
            log: Vec::new(),
            seen: HashSet::new(),
            cut: HashSet::new(),
            page_size: page_size.max(1),
        };
        Self {
            inner: Arc::new(Inner {
                state: Mutex::new(state),
                changed: Notify::new(),
            }),
        }
    }

    /// The transport `device` uses.
    pub fn transport(&self, device: DeviceId) -> MemoryTransport {
        MemoryTransport {
            hub: self.clone(),
            device,
        }
    }

    /// From now on every call by `device` fails with [`Error::Disconnected`], and a wait it has
    /// in progress ends with that error.
    pub fn cut_off(&self, device: DeviceId) {
        self.lock().cut.insert(device);
        self.inner.changed.notify_waiters();
    }

    pub fn reconnect(&self, device: DeviceId) {
        self.lock().cut.remove(&device);
    }

    /// How many distinct changes the hub holds.
    pub fn len(&self) -> usize {
        self.lock().log.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panicking test thread must not hide the real failure behind a poison error.
        self.inner
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// One device's view of a [`MemoryHub`].
#[derive(Clone, Debug)]
pub struct MemoryTransport {
    hub: MemoryHub,
    device: DeviceId,
}

impl MemoryTransport {
    pub fn device(&self) -> DeviceId {
        self.device
    }

    fn sync_now(&self, request: &SyncRequest) -> Result<SyncResponse, Error> {
        let mut state = self.hub.lock();
        if state.cut.contains(&self.device) {
            return Err(Error::Disconnected);
        }
        let mut accepted = 0u32;
        let before = state.log.len();
        for doc in &request.push {
            for change in &doc.changes {
                accepted += 1;
                let hash = *blake3::hash(change.bytes()).as_bytes();
                if state.seen.insert((doc.doc, hash)) {
                    state.log.push(Entry {
                        doc: doc.doc,
                        kind: doc.kind,
                        change: change.clone(),
                    });
                }
            }
        }
        let grew = state.log.len() > before;

        let start = usize::try_from(request.cursor)
            .unwrap_or(usize::MAX)
            .min(state.log.len());
        let end = start.saturating_add(state.page_size).min(state.log.len());
        let mut pull: Vec<DocChanges> = Vec::new();
        for entry in &state.log[start..end] {
            match pull.last_mut() {
                Some(last) if last.doc == entry.doc => {
                    last.changes.push(entry.change.clone());
                }
                _ => pull.push(DocChanges::new(
                    entry.doc,
                    entry.kind,
                    [entry.change.clone()],
                )),
            }
        }
        let response = SyncResponse {
            accepted,
            rejected: Vec::new(),
            pull,
            cursor: end as u64,
            more: end < state.log.len(),
        };
        drop(state);
        if grew {
            self.hub.inner.changed.notify_waiters();
        }
        Ok(response)
    }
}

impl Transport for MemoryTransport {
    async fn sync(&self, request: &SyncRequest) -> Result<SyncResponse, Error> {
        self.sync_now(request)
    }

    async fn wait(&self, cursor: u64, timeout: Duration) -> Result<WaitResponse, Error> {
        let deadline = Instant::now() + timeout;
        loop {
            // Register for the wake-up before looking, so a push between the look and the
            // await is not missed.
            let notified = self.hub.inner.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            {
                let state = self.hub.lock();
                if state.cut.contains(&self.device) {
                    return Err(Error::Disconnected);
                }
                let latest = state.log.len() as u64;
                if latest > cursor {
                    return Ok(WaitResponse {
                        cursor: latest,
                        changed: true,
                    });
                }
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                let latest = self.hub.lock().log.len() as u64;
                return Ok(WaitResponse {
                    cursor: latest,
                    changed: latest > cursor,
                });
            }
        }
    }
}
