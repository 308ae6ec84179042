//! Coordinator-only endpoints: invites and the member list.

use axum::extract::State;
use porchlight_model::Role;
use porchlight_protocol::wire::{
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

/// Stores an invite the coordinator's device signed. The server checks what it can (the signer is
/// the calling coordinator, the limits are this server's), but its acceptance is not what makes
/// the invite good: members' devices check the signature themselves.
pub(crate) async fn create_invite<S: Storage>(
    State(app): State<Shared<S>>,
    auth: Auth,
    Cbor(req): Cbor<CreateInviteRequest>,
) -> Result<Cbor<InviteCreated>, Error> {
    require_coordinator(&auth, "create invites")?;
    let invite = req.invite;
    if invite.group != auth.group {
        return Err(Error::BadRequest(
            "the invite names another group than the session's".into(),
        ));
    }
    if invite.issuer != auth.member.public_key || !invite.signature_holds() {
        return Err(Error::BadSignature);
    }
    if !(1..=MAX_INVITE_USES).contains(&invite.uses) {
        return Err(Error::BadRequest(format!(
            "an invite allows 1 to {MAX_INVITE_USES} uses, not {}",
            invite.uses
        )));
    }
    let now = app.clock.now();
    let max = app.settings.max_invite_secs as i64;
    let valid_for = invite.expires_at - now;
    if !(1..=max).contains(&valid_for) {
        return Err(Error::BadRequest(format!(
            "an invite is valid for 1 to {max} seconds on this server, not {valid_for} \
             (is this device's clock right?)"
        )));
    }
    let created = InviteCreated {
        invite: invite.invite,
        expires_at: invite.expires_at,
    };
    app.storage
        .create_invite(NewInvite {
            signed: invite,
            created_by: auth.member.device,
            created_at: now,
        })
        .await?;
    Ok(Cbor(created))
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
