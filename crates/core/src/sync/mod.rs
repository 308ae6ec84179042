//! Groups on a server, invites, joining, and keeping this device in step with the server's change
//! log: push the outbox, pull after the cursor, apply each pulled page in one transaction together
//! with its new cursor.

mod discover;
mod exchange;
mod groups;
mod hub;
mod standalone;
mod task;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use porchlight_model::{DocId, DocKind, Timestamp, hex};
use porchlight_store::Quarantined;
use porchlight_sync::{Fingerprint, GroupId, Remote, ServerAddr, parse_fingerprint};
use serde::Serialize;

use crate::{Core, CoreError, Result};

pub use discover::HUB_SERVICE_TYPE;
pub use hub::{HubMember, HubRoster};
pub use standalone::StandaloneServer;
pub use task::SyncTask;

pub(crate) const STATE_SERVER: &str = "sync.server";
pub(crate) const STATE_SERVER_GROUP: &str = "sync.group";
pub(crate) const STATE_ROLE: &str = "sync.role";
/// The server certificate's SHA-256 (hex) when it is pinned: from the invite, or given when the
/// group was created. Every client this device makes for the server uses it.
pub(crate) const STATE_SERVER_PIN: &str = "sync.server_pin";
pub(crate) const STATE_CURSOR: &str = "sync.cursor";
pub(crate) const STATE_LAST_OK: &str = "sync.last_ok";
pub(crate) const STATE_LAST_ERROR: &str = "sync.last_error";

/// Changes pushed per request. Large enough that a week offline pushes in a few round trips,
/// small enough that one request stays well under the server's body limit.
pub(crate) const PUSH_BATCH: u32 = 400;
/// Round trips one sync may take before it stops and lets the caller decide (a safety net
/// against a server that always says `more`).
pub(crate) const MAX_ROUND_TRIPS: usize = 10_000;
/// How long one long-poll waits for news before the task asks again.
pub(crate) const LONG_POLL: Duration = Duration::from_secs(25);

/// Where this device stands with its server.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct SyncStatus {
    pub server: Option<String>,
    pub group: Option<String>,
    pub cursor: u64,
    /// Local changes not yet acknowledged by the server.
    pub pending: u64,
    pub last_success: Option<Timestamp>,
    pub last_error: Option<String>,
    /// Sealed reports (and their photos) waiting for their moment to leave this device.
    pub queued_reports: u64,
    /// Pulled changes waiting for a coordinator to certify their author (see `roster`).
    pub held_changes: u64,
    /// Received documents this device cannot show, with the reason; syncing goes on without
    /// them, and a later change that makes one valid takes it out of this list.
    pub quarantined: Vec<Quarantined>,
    /// Unspent anonymous drop tokens. When it is 0 and reports are queued, they wait for the next
    /// sync to fetch more.
    pub drop_tokens: u64,
}

/// What one sync did.
#[derive(Clone, Debug, Default, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct SyncReport {
    pub pushed: usize,
    /// Changes the server refused, with its reasons; they are dropped from the outbox.
    pub rejected: Vec<String>,
    pub pulled: usize,
    pub round_trips: usize,
    pub cursor: u64,
    /// Documents that gained changes from elsewhere.
    pub changed: Vec<DocId>,
}

impl SyncReport {
    /// Adds what a follow-up sync did to this report.
    pub(crate) fn absorb(&mut self, later: SyncReport) {
        self.pushed += later.pushed;
        self.rejected.extend(later.rejected);
        self.pulled += later.pulled;
        self.round_trips += later.round_trips;
        self.cursor = later.cursor;
        self.changed.extend(later.changed);
        self.changed.sort();
        self.changed.dedup();
    }
}

/// A digest of everything this device may read, that two devices holding the same changes show
/// identically, with the fields where concurrent edits conflicted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncReceipt {
    /// One digest per document kind this device's role may read.
    pub kinds: BTreeMap<DocKind, String>,
    pub documents: u64,
    /// `kind/doc: field` for every conflicted field.
    pub conflicts: Vec<String>,
}

impl SyncReceipt {
    /// The digests of the kinds both receipts cover: what two devices of different roles can
    /// compare.
    pub fn common(&self, other: &SyncReceipt) -> BTreeMap<DocKind, (String, String)> {
        self.kinds
            .iter()
            .filter_map(|(k, v)| other.kinds.get(k).map(|w| (*k, (v.clone(), w.clone()))))
            .collect()
    }
}

pub(crate) fn sync_error(e: impl Into<porchlight_sync::Error>) -> CoreError {
    CoreError::Sync(e.into())
}
impl Core {
    pub fn sync_status(&self) -> Result<SyncStatus> {
        let store = self.reader();
        Ok(SyncStatus {
            server: store.state(STATE_SERVER)?,
            group: store.state(STATE_SERVER_GROUP)?,
            cursor: store
                .state(STATE_CURSOR)?
                .and_then(|c| c.parse().ok())
                .unwrap_or(0),
            pending: store.outbox_len()?,
            last_success: store
                .state(STATE_LAST_OK)?
                .and_then(|t| t.parse().ok())
                .map(Timestamp::from_millis),
            last_error: store.state(STATE_LAST_ERROR)?,
            queued_reports: store.queued_drops()?,
            held_changes: store.held_count()?,
            quarantined: store.quarantined()?,
            drop_tokens: store.drop_tokens_left()?,
        })
    }

    /// The receipt of everything this device may read (see [`SyncReceipt`]).
    pub fn sync_receipt(&self) -> Result<SyncReceipt> {
        let role = self.role()?;
        let store = self.store();
        let mut hashers: BTreeMap<DocKind, blake3::Hasher> = BTreeMap::new();
        let mut documents = 0;
        for (id, kind, heads) in store.all_heads()? {
            if !role.can_read(kind) {
                continue;
            }
            documents += 1;
            let h = hashers.entry(kind).or_default();
            h.update(id.as_bytes());
            for head in heads {
                h.update(&head);
            }
        }
        let kinds = DocKind::ALL
            .into_iter()
            .filter(|k| role.can_read(*k))
            .map(|k| {
                let digest = hashers.remove(&k).unwrap_or_default().finalize();
                (k, hex(&digest.as_bytes()[..16]))
            })
            .collect();
        let conflicts = store
            .conflicts()?
            .into_iter()
            .filter(|(_, kind, _)| role.can_read(*kind))
            .map(|(doc, kind, field)| format!("{kind}/{doc}: {field}"))
            .collect();
        Ok(SyncReceipt {
            kinds,
            documents,
            conflicts,
        })
    }

    /// The pinned certificate of this device's server, if any.
    pub(crate) fn server_pin(&self) -> Result<Option<Fingerprint>> {
        let stored = self.store().state(STATE_SERVER_PIN)?;
        stored
            .map(|hex| parse_fingerprint(&hex).map_err(sync_error))
            .transpose()
    }

    pub(crate) fn cursor(&self) -> Result<u64> {
        Ok(self
            .store()
            .state(STATE_CURSOR)?
            .and_then(|c| c.parse().ok())
            .unwrap_or(0))
    }

    /// The remote for this device's server, made once through the core's [`Connect`] and kept
    /// (it caches the session).
    ///
    /// [`Connect`]: porchlight_sync::Connect
    pub(crate) fn remote(&self) -> Result<Arc<dyn Remote>> {
        let mut slot = self
            .remote
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (server, group) = {
            let store = self.store();
            (store.state(STATE_SERVER)?, store.state(STATE_SERVER_GROUP)?)
        };
        let (Some(url), Some(group)) = (server, group) else {
            return Err(CoreError::NotJoined);
        };
        if let Some((cached, r)) = slot.as_ref()
            && *cached == url
        {
            return Ok(r.clone());
        }
        let group: GroupId = group.parse()?;
        let server = ServerAddr {
            url,
            pin: self.server_pin()?,
        };
        let r = self
            .connect
            .remote(&server, group, self.identity.signing_key())
            .map_err(sync_error)?;
        *slot = Some((server.url, r.clone()));
        Ok(r)
    }
}
