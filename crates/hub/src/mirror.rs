//! Keeps a hub server's member table equal to the roster of the coordinator's device that runs
//! the hub (see `docs/HUB.md`): the group is created there under the same id with its founder,
//! each certified member missing there is admitted with an invite this device signs, and members
//! the roster no longer lists are revoked there (newcomers who joined at the hub itself stay until
//! a coordinator certifies or revokes them).

use std::collections::HashMap;
use std::time::Duration;

use porchlight_core::Core;
use porchlight_model::{DeviceId, Timestamp};
use porchlight_server::{NewInvite, NewMember, Storage};
use porchlight_sync::{device_id_from_public_key, wire};

use crate::HubError;

/// How long the invites a hub makes for itself stay valid: they are redeemed at once.
const VOUCH_VALIDITY: Duration = Duration::from_secs(3600);

/// What one mirroring pass changed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Mirrored {
    pub added: usize,
    pub revoked: usize,
}

/// One pass: makes `storage`'s members of the core's group those of its roster.
pub async fn mirror_members<S: Storage>(storage: &S, core: &Core) -> Result<Mirrored, HubError> {
    let roster = core.hub_roster()?;
    let now = Timestamp::now().millis() / 1000;
    let new_member = |m: &porchlight_core::HubMember| NewMember {
        device: m.device,
        public_key: m.public_key,
        display_name: m.display_name.clone(),
        joined_at: now,
    };
    let mut known: HashMap<DeviceId, wire::Member> = storage
        .members(roster.group)
        .await?
        .into_iter()
        .map(|m| (m.device, m))
        .collect();
    if known.is_empty() {
        let founder = roster
            .members
            .iter()
            .find(|m| m.public_key == roster.root)
            .ok_or(HubError::NoFounder)?;
        storage
            .create_group(roster.group, roster.name.clone(), new_member(founder))
            .await?;
        known = storage
            .members(roster.group)
            .await?
            .into_iter()
            .map(|m| (m.device, m))
            .collect();
    }
    let mut done = Mirrored::default();
    for member in &roster.members {
        // Present (or revoked there for good): nothing to add.
        if known.contains_key(&member.device) {
            continue;
        }
        let evidence = core.vouch_for(member, VOUCH_VALIDITY)?;
        let invite = evidence.invite.invite;
        storage
            .create_invite(NewInvite {
                signed: evidence.invite.clone(),
                created_by: device_id_from_public_key(&evidence.invite.issuer),
                created_at: now,
            })
            .await?;
        let evidence = wire::encode(&evidence).map_err(porchlight_sync::Error::from)?;
        storage
            .redeem_invite(invite, now, new_member(member), evidence)
            .await?;
        done.added += 1;
    }
    for m in known.values() {
        // A newcomer who joined at the hub itself (their own signed request is in the
        // evidence) stays until a coordinator certifies or revokes them; anyone else the
        // roster no longer lists goes.
        let joined_here = m.evidence.as_ref().is_some_and(|e| e.signature.is_some());
        let unlisted = !roster.contains(m.device) && !joined_here;
        if m.revoked_at.is_none() && (roster.is_revoked(m.device) || unlisted) {
            storage.revoke(roster.group, m.device, now).await?;
            done.revoked += 1;
        }
    }
    Ok(done)
}
