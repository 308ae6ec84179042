//! Creating a group on a server, inviting, joining, and the member list: what a device does to
//! get a [`Remote`](porchlight_sync::Remote) at all, and what coordinators ask of it about members.

use std::time::Duration;

use porchlight_crdt::{certify_member, create_group};
use porchlight_model::{DeviceId, DocId, DocKind, Role, Timestamp, hex};
use porchlight_store::set_state_in;
use porchlight_sync::wire::Member;
use porchlight_sync::{Fingerprint, GroupId, InviteCode, ServerAddr, format_fingerprint};

use super::{STATE_ROLE, STATE_SERVER, STATE_SERVER_GROUP, STATE_SERVER_PIN, sync_error};
use crate::membership::STATE_ROOT;
use crate::{Core, CoreError, Result, STATE_GROUP, WhoAmI};

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
        let display = self.display_name()?;
        let server = ServerAddr {
            url: server.to_owned(),
            pin: pin.copied(),
        };
        let enrolled = self
            .connect
            .create_group(
                &server,
                self.identity.signing_key(),
                name,
                &display,
                creation_token,
            )
            .await
            .map_err(sync_error)?;
        self.adopt_server_group(&enrolled.server, enrolled.membership.group, name, &display)?;
        self.sync_once().await?;
        self.whoami()
    }

    /// Records the server group and makes sure the group document exists.
    fn adopt_server_group(
        &self,
        server: &ServerAddr,
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
        let pin = server.pin.as_ref().map(format_fingerprint);
        let set = |tx: &porchlight_store::Transaction| {
            set_state_in(tx, STATE_SERVER, Some(&server.url))?;
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
        let key = self.identity.signing_key();
        let hub = code.hub.as_ref().map(|h| ServerAddr {
            url: h.url.clone(),
            pin: h.tls_fingerprint,
        });
        let (enrolled, at_hub) = match (self.connect.join(&code, key, &name).await, &hub) {
            // A hall without internet: join at the hub the code names. It forwards the join,
            // as this device signed it, to the community server when it can (docs/HUB.md).
            // (A group served from a coordinator's computer names it twice: no second try.)
            (Err(e), Some(h)) if e.is_unreachable() && h.url != code.server => {
                let mut at_hub = code.clone();
                at_hub.server.clone_from(&h.url);
                at_hub.tls_fingerprint = h.pin;
                let enrolled = self.connect.join(&at_hub, key, &name).await;
                (enrolled.map_err(sync_error)?, Some(h))
            }
            (joined, _) => (joined.map_err(sync_error)?, None),
        };
        let membership = enrolled.membership;
        // The community server stays this device's home even when it joined at the hub.
        let server = match at_hub {
            Some(_) => ServerAddr {
                url: code.server.clone(),
                pin: code.tls_fingerprint,
            },
            None => enrolled.server,
        };
        let pin = server.pin.as_ref().map(format_fingerprint);
        let hub_pin = hub
            .as_ref()
            .and_then(|h| h.pin.as_ref())
            .map(format_fingerprint);
        self.store().with_transaction(|tx| {
            set_state_in(tx, crate::STATE_NAME, Some(&name))?;
            set_state_in(tx, STATE_SERVER, Some(&server.url))?;
            set_state_in(tx, STATE_SERVER_PIN, pin.as_deref())?;
            set_state_in(tx, STATE_SERVER_GROUP, Some(&membership.group.to_string()))?;
            // The code came from a coordinator in person: its root key is what this device
            // trusts from now on, whatever the server says.
            set_state_in(tx, STATE_ROOT, Some(&hex(&code.root)))?;
            // The group's hub, if the code names one: tried when the server is out of reach.
            set_state_in(
                tx,
                super::hub::STATE_HUB,
                hub.as_ref().map(|h| h.url.as_str()),
            )?;
            set_state_in(tx, super::hub::STATE_HUB_PIN, hub_pin.as_deref())?;
            set_state_in(tx, STATE_ROLE, Some(membership.role.as_str()))
        })?;
        if let Some(hub) = at_hub {
            self.switch_server(hub)?;
        }
        self.sync_once().await?;
        self.whoami()
    }

    /// Every device that ever joined the group (coordinators).
    pub async fn members(&self) -> Result<Vec<Member>> {
        self.require(|r| r == Role::Coordinator, "list members")?;
        self.home_remote()?.members().await.map_err(sync_error)
    }

    /// Revokes a device: the server refuses it from now on and it leaves the roster.
    pub async fn revoke(&self, device: DeviceId) -> Result<Member> {
        self.require(|r| r == Role::Coordinator, "revoke members")?;
        let member = self
            .home_remote()?
            .revoke(device)
            .await
            .map_err(sync_error)?;
        self.sign_revocation(device)?;
        Ok(member)
    }
}
