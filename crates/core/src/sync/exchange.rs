//! One sync: photos and map up, the change log both ways (each pulled page applied in one
//! transaction with its cursor), then photos, map, drop tokens, roster, drops and replies.

use std::time::Duration;

use porchlight_model::{DocKind, Role, Timestamp, hex};
use porchlight_store::set_state_in;
use porchlight_sync::Remote;
use porchlight_sync::wire::SyncRequest;

use super::{
    MAX_ROUND_TRIPS, PUSH_BATCH, STATE_CURSOR, STATE_LAST_ERROR, STATE_LAST_OK, SyncReport,
    sync_error,
};
use crate::{Core, CoreError, Result};
use porchlight_sync::ServerAddr;

impl Core {
    /// One full sync with this device's server: photos up, changes both ways, photos down; for
    /// coordinators also the roster, the drop box and the statuses published to reporters.
    ///
    /// When the server is out of reach and the group has a hub (see `sync/hub.rs`), the device
    /// moves to the other one (the hub from the community server, or back) and tries there, so
    /// it syncs with whichever it can reach and stays with it while it works.
    pub async fn sync_once(&self) -> Result<SyncReport> {
        match self.sync_current().await {
            Err(CoreError::Sync(e)) if e.is_unreachable() => {
                let Some(other) = self.other_server()? else {
                    // A group whose server is a coordinator's computer (its hub is its
                    // server): that computer may have a new address on this network.
                    if let Some(found) = self.sync_with_rediscovered_hub().await? {
                        return Ok(found);
                    }
                    return Err(CoreError::Sync(e));
                };
                let from = self.store().state(super::STATE_SERVER)?;
                self.switch_server(&other)?;
                let retried = self.sync_current().await;
                if retried.is_err() {
                    // Neither answers: stay where the device was, which the user expects.
                    if let Some(url) = from {
                        let back = ServerAddr {
                            pin: self.server_pin_for(&url)?,
                            url,
                        };
                        self.switch_server(&back)?;
                    }
                    // The hub's machine may have a new address on this network.
                    if let Some(found) = self.sync_with_rediscovered_hub().await? {
                        return Ok(found);
                    }
                }
                retried
            }
            other => other,
        }
    }

    /// The addresses where a hub announces itself on the local network with the certificate
    /// this device pinned for its group's hub (mDNS, a few seconds); empty without a pinned hub.
    /// Candidates only: anyone can announce a fingerprint (see `sync/discover.rs`).
    pub async fn announced_hubs(&self) -> Result<Vec<String>> {
        Ok(match self.group_hub()?.and_then(|h| h.pin) {
            Some(pin) => listen_for_hub(pin).await,
            None => Vec::new(),
        })
    }

    /// Listens for the group's hub announcing itself with the certificate this device pinned
    /// (see `sync/discover.rs`), and syncs there. The new address is kept only if that sync
    /// succeeds; otherwise everything stays as it was.
    ///
    /// A device that was syncing with the hub itself when it lost it (or whose group's server
    /// is the hub: a group started on a coordinator's computer) moves its server with the hub:
    /// the same certificate is the same server, so it keeps its cursors
    /// ([`Core::relocate_server`]). The coordinator's device serving the group reaches it over
    /// loopback and never needs this.
    async fn sync_with_rediscovered_hub(&self) -> Result<Option<SyncReport>> {
        if self.serves_group()? {
            return Ok(None);
        }
        let Some(hub) = self.group_hub()? else {
            return Ok(None);
        };
        let Some(pin) = hub.pin else {
            return Ok(None);
        };
        let found = listen_for_hub(pin).await;
        let Some(from) = self.store().state(super::STATE_SERVER)? else {
            return Ok(None);
        };
        let back = ServerAddr {
            pin: self.server_pin_for(&from)?,
            url: from,
        };
        let on_hub = back.url == hub.url;
        for url in found.into_iter().filter(|u| *u != hub.url) {
            let candidate = ServerAddr {
                url,
                pin: Some(pin),
            };
            self.set_group_hub(Some(&candidate))?;
            if on_hub {
                self.relocate_server(&candidate)?;
            } else {
                self.switch_server(&candidate)?;
            }
            if let Ok(report) = self.sync_current().await {
                return Ok(Some(report));
            }
            if on_hub {
                self.relocate_server(&back)?;
            } else {
                self.switch_server(&back)?;
            }
            self.set_group_hub(Some(&hub))?;
        }
        Ok(None)
    }

    async fn sync_current(&self) -> Result<SyncReport> {
        let remote = self.remote()?;
        // Drops keep their distance from authenticated requests (see `departures`).
        self.note_authenticated_request()?;
        // Photos first, so an observation never reaches anyone before its photo can.
        let uploaded = match self.upload_photos(remote.as_ref()).await {
            Ok(_) => self.upload_map(remote.as_ref()).await,
            Err(e) => Err(e),
        };
        if let Err(e) = uploaded {
            self.store()
                .set_state(STATE_LAST_ERROR, Some(&e.to_string()))?;
            return Err(e);
        }
        let mut report = self.sync_via(remote.as_ref()).await?;
        let extra = self.sync_extras(remote.as_ref(), &mut report).await;
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
    async fn sync_extras(&self, remote: &dyn Remote, report: &mut SyncReport) -> Result<()> {
        self.download_photos(remote).await?;
        self.download_map(remote).await?;
        // A refill that fails (the day's allowance used up, say) must not fail the sync: the
        // status shows the tokens left, and the next sync tries again.
        // Tokens, drops, replies and the member list belong to the community server, also while
        // this device syncs with a hub (see `sync/hub.rs`).
        let home = self.home_remote()?;
        let _ = self.refill_drop_tokens(home.as_ref()).await;
        if self.role()? != Role::Coordinator {
            return Ok(());
        }
        // Keep the group document's roster (and the sealing keys) in step with the server. On
        // a hub, newcomers who joined there (a hall without internet) are on its list alone.
        let mut members = self.members().await.ok();
        if members.is_some() {
            // The community server answers: invites made while it did not are registered now.
            self.register_remembered_invites(home.as_ref()).await?;
        }
        // The hub withdraws a hall join the community server refused (a single-use code
        // redeemed outside too, docs/HUB.md): its list is the one revocation a device still
        // signs on a server's word. The community server's `revoked_at` never counts
        // (DECISIONS 65).
        let mut hub_revoked = Vec::new();
        if self.store().state(super::hub::STATE_HOME)?.is_some()
            && let Ok(here) = remote.members().await
        {
            hub_revoked.extend(
                here.iter()
                    .filter(|m| m.revoked_at.is_some())
                    .map(|m| m.device),
            );
            members.get_or_insert_with(Vec::new).extend(here);
        }
        for device in hub_revoked {
            self.sign_revocation(device)?;
        }
        if let Some(members) = members {
            self.sync_roster(&members)?;
            report.changed.extend(self.retry_held()?);
            if self.pending_changes()? > 0 {
                let more = self.sync_via(remote).await?;
                report.absorb(more);
            }
        }
        let drops_and_replies = self.home_extras(home.as_ref(), report).await;
        // Through a hub, the community server may well be out of reach (that is why there is a
        // hub): its drops and replies wait for the next sync, and the hub's sync still counts.
        if self.store().state(super::hub::STATE_HOME)?.is_some() {
            return Ok(());
        }
        drops_and_replies
    }

    /// The coordinator's part with the community server: the drop box, and the statuses to
    /// publish to reporters.
    async fn home_extras(&self, home: &dyn Remote, report: &mut SyncReport) -> Result<()> {
        let arrived = self.pull_drops(home).await?;
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
            match home.put_reply(&id, sealed.clone()).await {
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

    /// Pushes the outbox and pulls until the server has nothing more, over any [`Remote`].
    pub async fn sync_via(&self, remote: &dyn Remote) -> Result<SyncReport> {
        let result = self.exchange(remote).await;
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

    async fn exchange(&self, remote: &dyn Remote) -> Result<SyncReport> {
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
            let response = remote.sync(&request).await.map_err(sync_error)?;
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
        let remote = self.remote()?;
        let cursor = self.cursor()?;
        let response = remote.wait(cursor, timeout).await.map_err(sync_error)?;
        Ok(response.changed)
    }
}

/// The addresses announcing a hub with certificate `pin` (see `sync/discover.rs`), listened
/// for off the async threads.
async fn listen_for_hub(pin: porchlight_sync::Fingerprint) -> Vec<String> {
    tokio::task::spawn_blocking(move || {
        super::discover::hub_urls(&pin, super::discover::LISTEN_FOR)
    })
    .await
    .unwrap_or_default()
}
