//! What a hub asks of the coordinator's device it runs on, and how a device moves between the
//! group's servers (the community server and a hub on the local network).
//!
//! A hub's embedded server learns the group's members from this device, never from another
//! server: the members are the roster this device computed from the certificates in the group
//! document, chained to the root key it pinned (see `membership.rs`). For each member the hub's
//! server lacks, the device signs a one-use invite and the join proof that goes with it, so the
//! server records the member with evidence any coordinator's device can check, as if the
//! member had joined there.

use std::sync::Arc;
use std::time::Duration;

use porchlight_model::{DeviceId, Role, Timestamp, random_bytes};
use porchlight_sync::{
    Connect, GroupId, JoinEvidence, Remote, ServerAddr, SignedInvite, format_fingerprint,
};

use super::{STATE_CURSOR, STATE_SERVER, STATE_SERVER_PIN, sync_error};

/// The community server (its URL and pin) while this device syncs with a hub. Joining, the
/// member list, drop tokens, anonymous drops and replies stay with it: the drop tokens are its
/// own, and a coordinator's machine must never see who drops (see `docs/HUB.md`).
pub(crate) const STATE_HOME: &str = "sync.home";
pub(crate) const STATE_HOME_PIN: &str = "sync.home_pin";
/// The group's hub on the local network, when it has one: from the invite code, or set by the
/// coordinator running it.
pub(crate) const STATE_HUB: &str = "hub.url";
pub(crate) const STATE_HUB_PIN: &str = "hub.pin";
use crate::drops::STATE_DROP_CURSOR;
use crate::{Core, CoreError, Result};

/// One member as a hub's server should record it.
#[derive(Clone, Debug)]
pub struct HubMember {
    pub device: DeviceId,
    pub public_key: [u8; 32],
    pub role: Role,
    pub display_name: String,
}

/// The group as a hub's server should know it.
#[derive(Clone, Debug)]
pub struct HubRoster {
    pub group: GroupId,
    pub name: String,
    /// The root key: the founder, the group's first member on every server.
    pub root: [u8; 32],
    pub members: Vec<HubMember>,
    /// Devices a coordinator revoked.
    pub revoked: Vec<DeviceId>,
}

impl HubRoster {
    /// Whether `device` is a member now.
    pub fn contains(&self, device: DeviceId) -> bool {
        self.members.iter().any(|m| m.device == device)
    }

    /// Whether a coordinator revoked `device`.
    pub fn is_revoked(&self, device: DeviceId) -> bool {
        self.revoked.contains(&device)
    }
}

impl Core {
    /// The members a hub run by this (coordinator's) device should admit. Only a coordinator the
    /// roster vouches for can vouch for others ([`Core::vouch_for`]); anyone else gets
    /// [`CoreError::NotAllowed`].
    pub fn hub_roster(&self) -> Result<HubRoster> {
        let roster = self.roster()?.ok_or(CoreError::NotJoined)?;
        let me = roster.member(&self.device()).copied();
        if me.is_none_or(|m| m.role != Role::Coordinator) {
            return Err(CoreError::NotAllowed {
                role: self.role()?,
                action: "run a hub",
            });
        }
        let group = self.group()?.ok_or(CoreError::NotJoined)?;
        let members = roster
            .members()
            .map(|(device, cert)| {
                let display_name = group
                    .members
                    .iter()
                    .find(|m| m.device == *device)
                    .map_or_else(
                        || format!("Device {}", &device.to_hex()[..6]),
                        |m| m.name.clone(),
                    );
                HubMember {
                    device: *device,
                    public_key: cert.public_key,
                    role: cert.role,
                    display_name,
                }
            })
            .collect();
        Ok(HubRoster {
            group: roster.group,
            name: group.name,
            root: roster.root,
            members,
            revoked: roster.revoked().copied().collect(),
        })
    }

    /// Evidence for a hub's server that `member` may join: a one-use invite for the member's
    /// role signed by this device, valid for `valid_for`, and the proof made with its secret
    /// over the member's key and name, as the member's own device would make it.
    pub fn vouch_for(&self, member: &HubMember, valid_for: Duration) -> Result<JoinEvidence> {
        let (group, _) = self.group_anchor()?;
        let expires_at = Timestamp::now().millis() / 1000
            + i64::try_from(valid_for.as_secs()).unwrap_or(i64::MAX / 4);
        let (invite, secret) = (random_bytes::<16>(), random_bytes::<16>());
        let signed = SignedInvite::issue(
            self.identity.signing_key(),
            group,
            invite,
            &secret,
            member.role,
            1,
            expires_at,
        );
        let proof = porchlight_sync::membership::join_proof(
            &secret,
            &group,
            &invite,
            &member.public_key,
            &member.display_name,
        );
        Ok(JoinEvidence {
            invite: signed,
            proof,
            signature: None,
        })
    }

    /// A remote acting as this device in its group on another server (the hub's relay uses
    /// one to each side). The device key stays inside the core.
    pub fn remote_on(&self, server: &ServerAddr, connect: &dyn Connect) -> Result<Arc<dyn Remote>> {
        let (group, _) = self.group_anchor()?;
        connect
            .remote(server, group, self.identity.signing_key())
            .map_err(sync_error)
    }

    /// Moves this device to another server of its group: the community server, or a hub that
    /// relays to it. Each server has its own log, so the cursors (changes and drops) are kept
    /// per server and restored when the device comes back. The outbox stays: whatever was not
    /// pushed yet goes to the new server.
    pub fn switch_server(&self, server: &ServerAddr) -> Result<()> {
        self.group_anchor()?;
        let mut store = self.store();
        let old = store.state(STATE_SERVER)?.ok_or(CoreError::NotJoined)?;
        if old == server.url {
            return Ok(());
        }
        let old_pin = store.state(STATE_SERVER_PIN)?;
        // The first move away from the server the device joined on makes that one home; moving
        // back home forgets it.
        let home = match store.state(STATE_HOME)? {
            Some(h) if h == server.url => None,
            Some(h) => Some((h, store.state(STATE_HOME_PIN)?)),
            None => Some((old.clone(), old_pin)),
        };
        let keys = [STATE_CURSOR, STATE_DROP_CURSOR];
        let saved: Vec<Option<String>> = keys
            .iter()
            .map(|k| store.state(k))
            .collect::<std::result::Result<_, _>>()?;
        let restored: Vec<Option<String>> = keys
            .iter()
            .map(|k| store.state(&per_server(k, &server.url)))
            .collect::<std::result::Result<_, _>>()?;
        let pin = server.pin.as_ref().map(format_fingerprint);
        store.with_transaction(|tx| {
            for ((key, saved), restored) in keys.iter().zip(&saved).zip(&restored) {
                porchlight_store::set_state_in(tx, &per_server(key, &old), saved.as_deref())?;
                porchlight_store::set_state_in(tx, key, restored.as_deref())?;
            }
            let (home, home_pin) = home
                .as_ref()
                .map_or((None, None), |(h, p)| (Some(h.as_str()), p.as_deref()));
            porchlight_store::set_state_in(tx, STATE_HOME, home)?;
            porchlight_store::set_state_in(tx, STATE_HOME_PIN, home_pin)?;
            porchlight_store::set_state_in(tx, STATE_SERVER, Some(&server.url))?;
            porchlight_store::set_state_in(tx, STATE_SERVER_PIN, pin.as_deref())
        })?;
        drop(store);
        // The next calls make remotes for the new servers.
        *self
            .remote
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = None;
        *self
            .home
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = None;
        self.changed_locally();
        Ok(())
    }
}

impl Core {
    /// The group's hub on the local network, if this device knows one.
    pub fn group_hub(&self) -> Result<Option<ServerAddr>> {
        let store = self.store();
        let Some(url) = store.state(STATE_HUB)? else {
            return Ok(None);
        };
        let pin = store
            .state(STATE_HUB_PIN)?
            .map(|hex| porchlight_sync::parse_fingerprint(&hex).map_err(sync_error))
            .transpose()?;
        Ok(Some(ServerAddr { url, pin }))
    }

    /// Records the group's hub (the coordinator running it does, with the address devices on
    /// the local network use); invites made here carry it from now on. `None` forgets it.
    pub fn set_group_hub(&self, hub: Option<&ServerAddr>) -> Result<()> {
        let pin = hub.and_then(|h| h.pin.as_ref()).map(format_fingerprint);
        self.store().with_transaction(|tx| {
            porchlight_store::set_state_in(tx, STATE_HUB, hub.map(|h| h.url.as_str()))?;
            porchlight_store::set_state_in(tx, STATE_HUB_PIN, pin.as_deref())
        })?;
        Ok(())
    }

    /// The server to try when the current one is out of reach: the hub when the device is on
    /// the community server, the community server when it is on the hub.
    /// A group served from this computer has one server only (its hub address reaches the
    /// same one).
    pub(crate) fn other_server(&self) -> Result<Option<ServerAddr>> {
        if self.serves_group()? {
            return Ok(None);
        }
        if self.store().state(STATE_HOME)?.is_some() {
            return self.home_server().map(Some);
        }
        let current = self.store().state(STATE_SERVER)?;
        Ok(self
            .group_hub()?
            .filter(|hub| Some(&hub.url) != current.as_ref()))
    }

    /// The pin recorded for `url`: the hub's, the community server's or the current one's.
    pub(crate) fn server_pin_for(&self, url: &str) -> Result<Option<porchlight_sync::Fingerprint>> {
        if let Some(hub) = self.group_hub()?.filter(|h| h.url == url) {
            return Ok(hub.pin);
        }
        let home = self.home_server()?;
        Ok(if home.url == url {
            home.pin
        } else {
            self.server_pin()?
        })
    }

    /// The community server's address: where this device joined, even while it syncs with a
    /// hub (a hub relays to it).
    pub fn home_server(&self) -> Result<ServerAddr> {
        let store = self.store();
        let (url, pin) = match store.state(STATE_HOME)? {
            Some(home) => (home, store.state(STATE_HOME_PIN)?),
            None => (
                store.state(STATE_SERVER)?.ok_or(CoreError::NotJoined)?,
                store.state(STATE_SERVER_PIN)?,
            ),
        };
        let pin = pin
            .map(|hex| porchlight_sync::parse_fingerprint(&hex).map_err(sync_error))
            .transpose()?;
        Ok(ServerAddr { url, pin })
    }

    /// The remote for the community server (see [`STATE_HOME`]); the same as
    /// [`Core::remote`] while the device syncs with it directly.
    pub(crate) fn home_remote(&self) -> Result<Arc<dyn Remote>> {
        if self.store().state(STATE_HOME)?.is_none() {
            return self.remote();
        }
        let mut slot = self
            .home
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(r) = slot.as_ref() {
            return Ok(r.clone());
        }
        let (group, _) = self.group_anchor()?;
        let r = self
            .connect
            .remote(&self.home_server()?, group, self.identity.signing_key())
            .map_err(sync_error)?;
        *slot = Some(r.clone());
        Ok(r)
    }
}

/// The state key under which `key` is kept for `server` while the device uses another one.
fn per_server(key: &str, server: &str) -> String {
    format!("{key}@{server}")
}
