//! Coordinator-only endpoints: invites and the member list.

use axum::extract::State;
use porchlight_model::{Role, random_bytes};
use porchlight_sync::wire::{
    CreateInviteRequest, InviteCreated, Member, MemberList, RevokeRequest,
};

use super::Shared;
use super::extract::{Auth, Cbor};
use crate::Error;
use crate::storage::{NewInvite, Storage};

const MAX_INVITE_USES: u32 = 10_000;

pub(super) fn require_coordinator(auth: &Auth, action: &'static str) -> Result<(), Error> {
    if auth.member.role == Role::Coordinator {
        Ok(())
    } else {
        Err(Error::NotCoordinator { action })
    }
}

pub(crate) async fn create_invite<S: Storage>(
    State(app): State<Shared<S>>,
    auth: Auth,
    Cbor(req): Cbor<CreateInviteRequest>,
) -> Result<Cbor<InviteCreated>, Error> {
    require_coordinator(&auth, "create invites")?;
    if !(1..=MAX_INVITE_USES).contains(&req.uses) {
        return Err(Error::BadRequest(format!(
            "an invite allows 1 to {MAX_INVITE_USES} uses, not {}",
            req.uses
        )));
    }
    let max = app.settings.max_invite_secs;
    if !(1..=max).contains(&req.valid_for_secs) {
        return Err(Error::BadRequest(format!(
            "an invite is valid for 1 to {max} seconds on this server, not {}",
            req.valid_for_secs
        )));
    }
    let (id, secret) = (random_bytes::<16>(), random_bytes::<16>());
    let now = app.clock.now();
    let expires_at = now + req.valid_for_secs as i64;
    app.storage
        .create_invite(NewInvite {
            id,
            group: auth.group,
            secret_hash: *blake3::hash(&secret).as_bytes(),
            role: req.role,
            uses: req.uses,
            expires_at,
            created_by: auth.member.device,
            created_at: now,
        })
        .await?;
    Ok(Cbor(InviteCreated {
        invite: id,
        secret,
        role: req.role,
        uses: req.uses,
        expires_at,
    }))
}

pub(crate) async fn list<S: Storage>(
    State(app): State<Shared<S>>,
    auth: Auth,
) -> Result<Cbor<MemberList>, Error> {
    require_coordinator(&auth, "list members")?;
    Ok(Cbor(MemberList {
        members: app.storage.members(auth.group).await?,
    }))
}

pub(crate) async fn revoke<S: Storage>(
    State(app): State<Shared<S>>,
    auth: Auth,
    Cbor(req): Cbor<RevokeRequest>,
) -> Result<Cbor<Member>, Error> {
    require_coordinator(&auth, "remove members")?;
    let member = app
        .storage
        .revoke(auth.group, req.device, app.clock.now())
        .await?;
    Ok(Cbor(member))
}
