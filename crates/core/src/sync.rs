//! Groups on a server, invites, joining, and keeping this device in step with the server's change
//! log: push the outbox, pull after the cursor, apply each pulled page in one transaction together
//! with its new cursor.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use porchlight_crdt::{create_group, read_group, remove_member, set_member, set_seal_key};
use porchlight_model::{DeviceId, DocId, DocKind, Role, Timestamp, hex};
use porchlight_store::{DocChanges, OutboxEntry, set_state_in};
use porchlight_sync::seal::sealing_public;
use porchlight_sync::wire::{self, Member, SyncRequest};
use porchlight_sync::{
    Fingerprint, GroupId, HttpClient, HttpTransport, InviteCode, Transport, format_fingerprint,
    parse_fingerprint,
};
use serde::Serialize;

use crate::{Core, CoreError, Result, STATE_GROUP, WhoAmI};

pub(crate) const STATE_SERVER: &str = "sync.server";
pub(crate) const STATE_SERVER_GROUP: &str = "sync.group";
pub(crate) const STATE_ROLE: &str = "sync.role";
/// The server certificate's SHA-256 (hex) when it is pinned: from the invite, or given when the
/// group was created. Every client this device makes for the server uses it.
pub(crate) const STATE_SERVER_PIN: &str = "sync.server_pin";
const STATE_CURSOR: &str = "sync.cursor";
const STATE_LAST_OK: &str = "sync.last_ok";
const STATE_LAST_ERROR: &str = "sync.last_error";

/// Changes pushed per request. Large enough that a week offline pushes in a few round trips,
/// small enough that one request stays well under the server's body limit.
const PUSH_BATCH: u32 = 400;
/// Round trips one sync may take before it stops and lets the caller decide (a safety net
/// against a server that always says `more`).
const MAX_ROUND_TRIPS: usize = 10_000;
/// How long one long-poll waits for news before the task asks again.
const LONG_POLL: Duration = Duration::from_secs(25);

/// Where this device stands with its server.
#[derive(Clone, Debug, Serialize)]
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
}

/// What one sync did.
#[derive(Clone, Debug, Default, Serialize)]
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
    fn absorb(&mut self, later: SyncReport) {
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

pub(crate) fn sync_error(e: porchlight_sync::Error) -> CoreError {
    CoreError::Sync(e)
}

impl Core {
    /// Registers a new group on `server` with this device as its coordinator, and creates the
    /// group document here (or keeps the one this device already has).
    pub async fn create_group_on(&self, server: &str, name: &str) -> Result<WhoAmI> {
        self.create_group_on_pinned(server, None, name).await
    }

    /// [`Core::create_group_on`] for a server whose certificate is pinned by its SHA-256
    /// fingerprint (the one `porchlight serve` prints); the pin then goes into every invite.
    pub async fn create_group_on_pinned(
        &self,
        server: &str,
        pin: Option<&Fingerprint>,
        name: &str,
    ) -> Result<WhoAmI> {
        if self.store().state(STATE_SERVER_GROUP)?.is_some() {
            return Err(CoreError::AlreadyJoined);
        }
        let client = HttpClient::with_pin(server, pin).map_err(sync_error)?;
        let display = self.display_name()?;
        let membership = client
            .create_group(self.identity.signing_key(), name, &display, None)
            .await
            .map_err(sync_error)?;
        self.adopt_server_group(&client, membership.group, name, &display)?;
        self.sync_once().await?;
        self.whoami()
    }

    /// Records the server group and makes sure the group document exists.
    fn adopt_server_group(
        &self,
        client: &HttpClient,
        group: GroupId,
        name: &str,
        display: &str,
    ) -> Result<()> {
        let device = self.device();
        let mut store = self.store();
        let group_doc = store.group()?;
        let group_id = group.to_string();
        let pin = client.pin().map(format_fingerprint);
        let set = |tx: &porchlight_store::Transaction| {
            set_state_in(tx, STATE_SERVER, Some(client.base_url()))?;
            set_state_in(tx, STATE_SERVER_PIN, pin.as_deref())?;
            set_state_in(tx, STATE_SERVER_GROUP, Some(&group_id))?;
            set_state_in(tx, STATE_ROLE, Some(Role::Coordinator.as_str()))
        };
        if group_doc.is_none() {
            // The group document shares the server group's id, so every member finds it.
            let doc_id = DocId::from_bytes(*group.as_bytes());
            let seal_key = self.own_seal_key();
            store.create(
                |_| create_group(doc_id, name, device, display, seal_key, Timestamp::now()),
                |tx, doc| {
                    set_state_in(tx, STATE_GROUP, Some(&doc.id().to_string()))?;
                    set(tx)
                },
            )?;
        } else {
            store.with_transaction(|tx| set(tx))?;
        }
        Ok(())
    }

    /// Creates an invite code (coordinators).
    pub async fn invite(&self, role: Role, uses: u32, valid_for: Duration) -> Result<InviteCode> {
        self.require(|r| r == Role::Coordinator, "invite members")?;
        let transport = self.transport()?;
        let session = transport.session().await.map_err(sync_error)?;
        transport
            .client()
            .create_invite(&session, role, uses, valid_for)
            .await
            .map_err(sync_error)
    }

    /// Joins the group an invite code points at, then pulls what this device may read.
    pub async fn join(&self, code: &str, name: &str) -> Result<WhoAmI> {
        if self.store().state(STATE_SERVER_GROUP)?.is_some() {
            return Err(CoreError::AlreadyJoined);
        }
        let code: InviteCode = code.parse().map_err(sync_error)?;
        let name = porchlight_model::validate_name("name", name)?;
        let client = HttpClient::for_invite(&code).map_err(sync_error)?;
        let membership = client
            .join(&code, self.identity.signing_key(), &name)
            .await
            .map_err(sync_error)?;
        let pin = client.pin().map(format_fingerprint);
        self.store().with_transaction(|tx| {
            set_state_in(tx, crate::STATE_NAME, Some(&name))?;
            set_state_in(tx, STATE_SERVER, Some(client.base_url()))?;
            set_state_in(tx, STATE_SERVER_PIN, pin.as_deref())?;
            set_state_in(tx, STATE_SERVER_GROUP, Some(&membership.group.to_string()))?;
            set_state_in(tx, STATE_ROLE, Some(membership.role.as_str()))
        })?;
        self.sync_once().await?;
        self.whoami()
    }

    /// Every device that ever joined the group (coordinators).
    pub async fn members(&self) -> Result<Vec<Member>> {
        self.require(|r| r == Role::Coordinator, "list members")?;
        let transport = self.transport()?;
        let session = transport.session().await.map_err(sync_error)?;
        transport
            .client()
            .members(&session)
            .await
            .map_err(sync_error)
    }

    /// Revokes a device: the server refuses it from now on and it leaves the roster.
    pub async fn revoke(&self, device: DeviceId) -> Result<Member> {
        self.require(|r| r == Role::Coordinator, "revoke members")?;
        let transport = self.transport()?;
        let session = transport.session().await.map_err(sync_error)?;
        let member = transport
            .client()
            .revoke(&session, device)
            .await
            .map_err(sync_error)?;
        self.sync_roster(std::slice::from_ref(&member))?;
        Ok(member)
    }

    /// One full sync with this device's server: photos up, changes both ways, photos down; for
    /// coordinators also the roster, the drop box and the statuses published to reporters.
    pub async fn sync_once(&self) -> Result<SyncReport> {
        let transport = self.transport()?;
        // Photos first, so an observation never reaches anyone before its photo can.
        if let Err(e) = self.upload_photos(&transport).await {
            self.store()
                .set_state(STATE_LAST_ERROR, Some(&e.to_string()))?;
            return Err(e);
        }
        let mut report = self.sync_via(transport.as_ref()).await?;
        let extra = self.sync_extras(&transport, &mut report).await;
        if let Err(e) = &extra {
            self.store()
                .set_state(STATE_LAST_ERROR, Some(&e.to_string()))?;
        }
        if extra.is_err() || !report.changed.is_empty() {
            let _ = self
                .events
                .send(crate::Event::SyncStatus(self.sync_status()?));
        }
        extra.map(|()| report)
    }

    /// What a sync does beyond the change log.
    async fn sync_extras(&self, transport: &HttpTransport, report: &mut SyncReport) -> Result<()> {
        self.download_photos(transport).await?;
        if self.role()? != Role::Coordinator {
            return Ok(());
        }
        // Keep the group document's roster (and the sealing keys) in step with the server.
        if let Ok(members) = self.members().await {
            self.sync_roster(&members)?;
            if self.pending_changes()? > 0 {
                let more = self.sync_via(transport).await?;
                report.absorb(more);
            }
        }
        let arrived = self.pull_drops(transport).await?;
        report.changed.extend(arrived);
        let replies = self.store().queued_replies()?;
        for (id, sealed) in replies {
            transport
                .put_reply(&id, sealed.clone())
                .await
                .map_err(sync_error)?;
            self.store().remove_reply(&id, &sealed)?;
        }
        Ok(())
    }

    /// Pushes the outbox and pulls until the server has nothing more, over any transport.
    pub async fn sync_via<T: Transport>(&self, transport: &T) -> Result<SyncReport> {
        let result = self.exchange(transport).await;
        if let Ok(report) = &result {
            // Match what arrived against the watch areas (on this device only).
            self.match_alerts(&report.changed, Timestamp::now())?;
        }
        let now = Timestamp::now().millis().to_string();
        let mut store = self.store();
        match &result {
            Ok(_) => store.with_transaction(|tx| {
                set_state_in(tx, STATE_LAST_OK, Some(&now))?;
                set_state_in(tx, STATE_LAST_ERROR, None)
            })?,
            Err(e) => store.set_state(STATE_LAST_ERROR, Some(&e.to_string()))?,
        }
        drop(store);
        let _ = self
            .events
            .send(crate::Event::SyncStatus(self.sync_status()?));
        result
    }

    async fn exchange<T: Transport>(&self, transport: &T) -> Result<SyncReport> {
        let mut report = SyncReport {
            cursor: self.cursor()?,
            ..SyncReport::default()
        };
        loop {
            let outbox = self.store().outbox(PUSH_BATCH)?;
            let request = SyncRequest {
                cursor: report.cursor,
                push: group_by_doc(&outbox),
            };
            let response = transport.sync(&request).await.map_err(sync_error)?;
            report.round_trips += 1;
            // Every pushed change is settled now: accepted, or refused for good.
            let hashes: Vec<[u8; 32]> = outbox.iter().map(|e| e.hash).collect();
            for r in &response.rejected {
                report
                    .rejected
                    .push(format!("{} {}: {}", r.doc, hex(&r.hash), r.reason));
            }
            let pulled: Vec<DocChanges> = response
                .pull
                .iter()
                .map(|d| DocChanges {
                    doc: d.doc,
                    kind: d.kind,
                    changes: d.changes.iter().map(|c| c.to_vec()).collect(),
                })
                .collect();
            report.pulled += pulled.iter().map(|d| d.changes.len()).sum::<usize>();
            report.pushed += outbox.len() - response.rejected.len().min(outbox.len());
            {
                let mut store = self.store();
                let cursor = response.cursor.to_string();
                let applied = store.apply_remote_batch(&pulled, &[(STATE_CURSOR, &cursor)])?;
                store.ack_outbox(&hashes)?;
                report
                    .changed
                    .extend(applied.changed.iter().map(|(id, _)| *id));
                for (doc, why) in applied.failed {
                    report.rejected.push(format!("pulled {doc}: {why}"));
                }
            }
            report.cursor = response.cursor;
            let more_to_push = self.pending_changes()? > 0;
            if !(response.more || more_to_push) || report.round_trips >= MAX_ROUND_TRIPS {
                break;
            }
        }
        report.changed.sort();
        report.changed.dedup();
        Ok(report)
    }

    /// Waits (long-poll) until the server has something newer than this device's cursor.
    pub async fn wait_for_changes(&self, timeout: Duration) -> Result<bool> {
        let transport = self.transport()?;
        let cursor = self.cursor()?;
        let response = transport.wait(cursor, timeout).await.map_err(sync_error)?;
        Ok(response.changed)
    }

    pub fn sync_status(&self) -> Result<SyncStatus> {
        let store = self.store();
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

    fn cursor(&self) -> Result<u64> {
        Ok(self
            .store()
            .state(STATE_CURSOR)?
            .and_then(|c| c.parse().ok())
            .unwrap_or(0))
    }

    /// The HTTP transport to this device's server, made once and kept (it caches the session).
    fn transport(&self) -> Result<Arc<HttpTransport>> {
        let mut slot = self
            .transport
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(t) = slot.as_ref() {
            return Ok(t.clone());
        }
        let (server, group) = {
            let store = self.store();
            (store.state(STATE_SERVER)?, store.state(STATE_SERVER_GROUP)?)
        };
        let (Some(server), Some(group)) = (server, group) else {
            return Err(CoreError::NotJoined);
        };
        let group: GroupId = group.parse()?;
        let client =
            HttpClient::with_pin(&server, self.server_pin()?.as_ref()).map_err(sync_error)?;
        let t = Arc::new(HttpTransport::new(
            client,
            group,
            self.identity.signing_key().clone(),
        ));
        *slot = Some(t.clone());
        Ok(t)
    }

    /// Writes members who joined on the server into the group document, and takes revoked ones
    /// out.
    fn sync_roster(&self, members: &[Member]) -> Result<()> {
        let mut store = self.store();
        let Some(group) = store.group()? else {
            return Ok(());
        };
        let now = Timestamp::now();
        let mut doc = store.load_kind(group.id, DocKind::Group)?;
        let roster = read_group(&doc)?.members;
        for m in members {
            let listed = roster.iter().find(|r| r.device == m.device);
            let write = match (m.revoked_at, listed) {
                (Some(_), Some(_)) => Some(true),
                (None, None) => Some(false),
                (None, Some(r)) if r.role != m.role || r.name != m.display_name => Some(false),
                _ => None,
            };
            match write {
                Some(true) => {
                    store.write(&mut doc, |d| remove_member(d, m.device, now), |_, _| Ok(()))?;
                }
                Some(false) => store.write(
                    &mut doc,
                    |d| set_member(d, m.device, &m.display_name, m.role, now),
                    |_, _| Ok(()),
                )?,
                None => {}
            }
            // Seal keys live apart from member entries, so rewriting an entry above keeps them.
            let seal_key = (m.role == Role::Coordinator && m.revoked_at.is_none())
                .then(|| sealing_public(&m.public_key))
                .flatten();
            if let Some(key) = seal_key
                && listed.and_then(|r| r.seal_key.as_deref()) != Some(hex(&key).as_str())
            {
                store.write(
                    &mut doc,
                    |d| set_seal_key(d, m.device, key, now),
                    |_, _| Ok(()),
                )?;
            }
        }
        Ok(())
    }
}

/// Groups outbox entries by document, keeping their order.
fn group_by_doc(entries: &[OutboxEntry]) -> Vec<wire::DocChanges> {
    let mut runs: Vec<(DocId, DocKind, Vec<Vec<u8>>)> = Vec::new();
    for e in entries {
        match runs.last_mut() {
            Some((doc, _, changes)) if *doc == e.doc => changes.push(e.bytes.clone()),
            _ => runs.push((e.doc, e.kind, vec![e.bytes.clone()])),
        }
    }
    runs.into_iter()
        .map(|(doc, kind, changes)| wire::DocChanges::new(doc, kind, changes))
        .collect()
}

/// Keeps a core in sync in the background until stopped: syncs, then waits for the server
/// (long-poll) or a local change; when offline, retries with exponential backoff and jitter.
#[derive(Debug)]
pub struct SyncTask {
    stop: tokio::sync::watch::Sender<bool>,
    handle: tokio::task::JoinHandle<()>,
}

impl SyncTask {
    /// Starts the task on the current tokio runtime.
    pub fn spawn(core: Arc<Core>) -> Self {
        let (stop, mut stopped) = tokio::sync::watch::channel(false);
        let drops = tokio::spawn(drop_loop(core.clone(), stopped.clone()));
        let handle = tokio::spawn(async move {
            let mut failures = 0u32;
            loop {
                let outcome = core.sync_once().await;
                let pause = if outcome.is_ok() {
                    failures = 0;
                    None
                } else {
                    failures = failures.saturating_add(1);
                    Some(backoff(failures))
                };
                tokio::select! {
                    _ = stopped.changed() => break,
                    () = core.local_change.notified() => {}
                    () = async {
                        if let Some(d) = pause {
                            tokio::time::sleep(d).await;
                        } else if core.wait_for_changes(LONG_POLL).await.is_err() {
                            tokio::time::sleep(backoff(1)).await;
                        }
                    } => {}
                }
            }
            let _ = drops.await;
        });
        Self { stop, handle }
    }

    /// Stops the task and waits for it to finish its current step.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.handle.await;
    }
}

/// Sends each queued report envelope when its time comes, on its own timer rather than with the
/// authenticated sync, so the two are not seen leaving together.
async fn drop_loop(core: Arc<Core>, mut stopped: tokio::sync::watch::Receiver<bool>) {
    let mut failures = 0u32;
    let mut not_joined = false;
    loop {
        let wait = if not_joined {
            // No server to send to yet: wait for a new envelope (or a restart after joining).
            Duration::from_secs(3600)
        } else if failures > 0 {
            backoff(failures)
        } else {
            match core.next_drop_at() {
                Ok(Some(at)) => Duration::from_millis(
                    (at.millis() - Timestamp::now().millis())
                        .max(0)
                        .unsigned_abs(),
                ),
                // Nothing queued: sleep until something is.
                _ => Duration::from_secs(3600),
            }
        };
        tokio::select! {
            _ = stopped.changed() => break,
            () = core.drop_queued.notified() => continue,
            () = tokio::time::sleep(wait) => {}
        }
        match core.send_due_drops().await {
            Ok(_) => (failures, not_joined) = (0, false),
            Err(CoreError::NotJoined) => (failures, not_joined) = (0, true),
            Err(_) => failures = failures.saturating_add(1),
        }
    }
}

/// 1 s, 2 s, 4 s … capped at 5 minutes, each scaled by a random factor in [0.5, 1.5) so that
/// devices coming back online together do not all retry in step.
fn backoff(failures: u32) -> Duration {
    let base = 1u64 << failures.saturating_sub(1).min(8);
    let jitter = 0.5 + f64::from(porchlight_model::random_bytes::<1>()[0]) / 256.0;
    Duration::from_secs_f64((base as f64 * jitter).min(300.0))
}
