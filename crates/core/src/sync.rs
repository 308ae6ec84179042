//! Groups on a server, invites, joining, and keeping this device in step with the server's change
//! log: push the outbox, pull after the cursor, apply each pulled page in one transaction together
//! with its new cursor.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use porchlight_crdt::{certify_member, create_group};
use porchlight_model::{DeviceId, DocId, DocKind, Role, Timestamp, hex};
use porchlight_store::{Quarantined, set_state_in};
use porchlight_sync::wire::{Member, SyncRequest};
use porchlight_sync::{
    Fingerprint, GroupId, HttpClient, HttpTransport, InviteCode, Transport, format_fingerprint,
    parse_fingerprint,
};

use crate::membership::STATE_ROOT;
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

pub(crate) fn sync_error(e: impl Into<porchlight_sync::Error>) -> CoreError {
    CoreError::Sync(e.into())
}

impl Core {
    /// Registers a new group on `server` with this device as its coordinator, and creates the
    /// group document here (or keeps the one this device already has). Servers ask for their
    /// operator's `creation_token` unless they let anyone create groups.
    pub async fn create_group_on(
        &self,
        server: &str,
        name: &str,
        creation_token: Option<&str>,
    ) -> Result<WhoAmI> {
        self.create_group_on_pinned(server, None, name, creation_token)
            .await
    }

    /// [`Core::create_group_on`] for a server whose certificate is pinned by its SHA-256
    /// fingerprint (the one `porchlight serve` prints); the pin then goes into every invite.
    pub async fn create_group_on_pinned(
        &self,
        server: &str,
        pin: Option<&Fingerprint>,
        name: &str,
        creation_token: Option<&str>,
    ) -> Result<WhoAmI> {
        if self.store().state(STATE_SERVER_GROUP)?.is_some() {
            return Err(CoreError::AlreadyJoined);
        }
        let client = HttpClient::with_pin(server, pin).map_err(sync_error)?;
        let display = self.display_name()?;
        let membership = client
            .create_group(self.identity.signing_key(), name, &display, creation_token)
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
        // This device founded the group: its key is the root every member pins.
        let cert = self.root_cert(group);
        let root = hex(self.identity.public_key().as_bytes());
        let mut store = self.store();
        let group_doc = store.group()?;
        let group_id = group.to_string();
        let pin = client.pin().map(format_fingerprint);
        let set = |tx: &porchlight_store::Transaction| {
            set_state_in(tx, STATE_SERVER, Some(client.base_url()))?;
            set_state_in(tx, STATE_SERVER_PIN, pin.as_deref())?;
            set_state_in(tx, STATE_SERVER_GROUP, Some(&group_id))?;
            set_state_in(tx, STATE_ROOT, Some(&root))?;
            set_state_in(tx, STATE_ROLE, Some(Role::Coordinator.as_str()))
        };
        if let Some(existing) = group_doc {
            // A group made on this device before it had a server: certify the founder in it.
            let mut doc = store.load_kind(existing.id, DocKind::Group)?;
            store.write(
                &mut doc,
                |d| {
                    certify_member(
                        d,
                        device,
                        display,
                        Role::Coordinator,
                        device,
                        cert,
                        Timestamp::now(),
                    )
                },
                |tx, _| set(tx),
            )?;
        } else {
            // The group document shares the server group's id, so every member finds it.
            let doc_id = DocId::from_bytes(*group.as_bytes());
            store.create(
                |_| create_group(doc_id, name, device, display, Some(cert), Timestamp::now()),
                |tx, doc| {
                    set_state_in(tx, STATE_GROUP, Some(&doc.id().to_string()))?;
                    set(tx)
                },
            )?;
        }
        Ok(())
    }

    /// Creates an invite code (coordinators).
    pub async fn invite(&self, role: Role, uses: u32, valid_for: Duration) -> Result<InviteCode> {
        self.require(|r| r == Role::Coordinator, "invite members")?;
        self.make_invite(role, uses, valid_for).await
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
            // The code came from a coordinator in person: its root key is what this device
            // trusts from now on, whatever the server says.
            set_state_in(tx, STATE_ROOT, Some(&hex(&code.root)))?;
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
        // Drops keep their distance from authenticated requests (see `departures`).
        self.note_authenticated_request()?;
        // Photos first, so an observation never reaches anyone before its photo can.
        let uploaded = match self.upload_photos(&transport).await {
            Ok(_) => self.upload_map(&transport).await,
            Err(e) => Err(e),
        };
        if let Err(e) = uploaded {
            self.store()
                .set_state(STATE_LAST_ERROR, Some(&e.to_string()))?;
            return Err(e);
        }
        let mut report = self.sync_via(transport.as_ref()).await?;
        let extra = self.sync_extras(&transport, &mut report).await;
        self.note_authenticated_request()?;
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
        self.download_map(transport).await?;
        // A refill that fails (the day's allowance used up, say) must not fail the sync: the
        // status shows the tokens left, and the next sync tries again.
        let _ = self.refill_drop_tokens(transport).await;
        if self.role()? != Role::Coordinator {
            return Ok(());
        }
        // Keep the group document's roster (and the sealing keys) in step with the server.
        if let Ok(members) = self.members().await {
            self.sync_roster(&members)?;
            report.changed.extend(self.retry_held()?);
            if self.pending_changes()? > 0 {
                let more = self.sync_via(transport).await?;
                report.absorb(more);
            }
        }
        let arrived = self.pull_drops(transport).await?;
        report.changed.extend(arrived);
        let replies = self.store().queued_replies()?;
        for (id, sealed) in replies {
            // One the server's size limit would refuse is not sent at all: a server that refuses
            // a body half-way may close the connection before answering, which would look like
            // a network failure and hold up every later reply.
            if sealed.len() > porchlight_sync::wire::MAX_REPLY {
                self.store().remove_reply(&id, &sealed)?;
                continue;
            }
            match transport.put_reply(&id, sealed.clone()).await {
                Ok(()) => {}
                // The server refused this one for good (a 4xx other than a lost session): skip
                // it and publish the rest, rather than let one reply hold up every later one.
                Err(e) if e.status().is_some_and(|s| (400..500).contains(&s)) => {}
                Err(e) => return Err(sync_error(e)),
            }
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
        let (group, _) = self.group_anchor()?;
        loop {
            let outbox = self.store().outbox(PUSH_BATCH)?;
            let request = SyncRequest {
                cursor: report.cursor,
                push: self.sign_outbox(&group, &outbox),
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
            report.pulled += response.pull.iter().map(|d| d.changes.len()).sum::<usize>();
            report.pushed += outbox.len() - response.rejected.len().min(outbox.len());
            let verified = self.verify_pulled(response.pull)?;
            for (doc, hash, why) in &verified.refused {
                report
                    .rejected
                    .push(format!("pulled {doc} {}: {why}", hex(&hash[..8])));
            }
            let group_changed = {
                let mut store = self.store();
                // Held first: if the page is pulled again after a crash, holding is a no-op.
                store.hold_changes(&verified.held)?;
                let cursor = response.cursor.to_string();
                let applied =
                    store.apply_pulled_batch(&verified.accepted, &[(STATE_CURSOR, &cursor)])?;
                store.ack_outbox(&hashes)?;
                report
                    .changed
                    .extend(applied.changed.iter().map(|(id, _)| *id));
                for (doc, why) in applied.failed {
                    report
                        .rejected
                        .push(format!("pulled {doc} (set aside): {why}"));
                }
                applied
                    .changed
                    .iter()
                    .any(|(_, kind)| *kind == DocKind::Group)
            };
            if group_changed {
                // New certificates may vouch for authors whose changes were held.
                report.changed.extend(self.retry_held()?);
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

    fn cursor(&self) -> Result<u64> {
        Ok(self
            .store()
            .state(STATE_CURSOR)?
            .and_then(|c| c.parse().ok())
            .unwrap_or(0))
    }

    /// The HTTP transport to this device's server, made once and kept (it caches the session).
    pub(crate) fn transport(&self) -> Result<Arc<HttpTransport>> {
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
/// authenticated sync, so the two are not seen leaving together; and now and then, at random
/// times, asks for the next published status of one receipt. The timing rules are in
/// [`crate::departures`]; this loop only sleeps until the next moment they name.
async fn drop_loop(core: Arc<Core>, mut stopped: tokio::sync::watch::Receiver<bool>) {
    let mut failures = 0u32;
    let mut not_joined = false;
    let mut no_tokens = false;
    // Unset: the connection is up. Set: when sending failed for want of a connection; the
    // connection counts as back once an authenticated sync succeeds after that moment.
    let mut offline_since: Option<i64> = None;
    // Envelopes that fell due while the app was not running get fresh delays too.
    let _ = core.replan_overdue_drops();
    let mut next_reply_check = Timestamp::now().millis() + reply_check_delay(&core);
    loop {
        if let Some(since) = offline_since {
            let back = core
                .sync_status()
                .ok()
                .and_then(|s| s.last_success)
                .is_some_and(|t| t.millis() > since);
            if back {
                let _ = core.replan_overdue_drops();
                (offline_since, failures) = (None, 0);
            }
        }
        let now = Timestamp::now().millis();
        let drop_wait = if not_joined || no_tokens {
            // Wait for a new envelope or tokens (both notify), or a restart after joining.
            Duration::from_secs(3600)
        } else if failures > 0 {
            backoff(failures)
        } else {
            match core.next_drop_at() {
                Ok(Some(at)) => Duration::from_millis((at.millis() - now).max(0).unsigned_abs()),
                // Nothing queued: sleep until something is.
                _ => Duration::from_secs(3600),
            }
        };
        let reply_wait = Duration::from_millis((next_reply_check - now).max(0).unsigned_abs());
        tokio::select! {
            _ = stopped.changed() => break,
            () = core.drop_queued.notified() => {
                no_tokens = false;
                continue;
            }
            () = tokio::time::sleep(reply_wait), if reply_wait < drop_wait => {
                // One receipt, one id; failures are simply tried at the next random moment.
                let _ = core.check_one_receipt().await;
                next_reply_check = Timestamp::now().millis() + reply_check_delay(&core);
                continue;
            }
            () = tokio::time::sleep(drop_wait) => {}
        }
        if offline_since.is_some() {
            // Still waiting for the connection to come back (an authenticated sync to succeed).
            failures = failures.saturating_add(1);
            continue;
        }
        match core.send_due_drops().await {
            Ok(_) => (failures, not_joined, no_tokens) = (0, false, false),
            Err(CoreError::NotJoined) => (failures, not_joined) = (0, true),
            Err(CoreError::NoDropTokens) => (failures, no_tokens) = (0, true),
            Err(CoreError::Sync(e)) if e.is_offline() => {
                offline_since = Some(Timestamp::now().millis());
                failures = failures.saturating_add(1);
            }
            Err(_) => failures = failures.saturating_add(1),
        }
    }
}

/// Milliseconds until the next receipt check: uniform in [10, 50) minutes, or [1, 5) seconds
/// when delays are turned off (`drop_delay_max_secs = 0`, tests).
fn reply_check_delay(core: &Core) -> i64 {
    let (base, spread) = if core.departure_policy().max_delay_ms == 0 {
        (1_000, 4_000)
    } else {
        (600_000, 2_400_000)
    };
    base + i64::try_from(crate::drop_tokens::random_u64() % spread).unwrap_or(0)
}

/// 1 s, 2 s, 4 s … capped at 5 minutes, each scaled by a random factor in [0.5, 1.5) so that
/// devices coming back online together do not all retry in step.
fn backoff(failures: u32) -> Duration {
    let base = 1u64 << failures.saturating_sub(1).min(8);
    let jitter = 0.5 + f64::from(porchlight_model::random_bytes::<1>()[0]) / 256.0;
    Duration::from_secs_f64((base as f64 * jitter).min(300.0))
}
