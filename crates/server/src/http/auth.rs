//! Challenges, sessions, group creation and joining: everything a device does before it has a
//! token.

use axum::extract::State;
use porchlight_model::{Role, random_bytes};
use porchlight_protocol::crypto::{create_group_message, join_message, session_message, verify};
use porchlight_protocol::wire::{
    Challenge, CreateGroupRequest, GroupId, JoinRequest, Membership, SessionRequest,
    SessionResponse,
};
use porchlight_protocol::{JoinEvidence, device_id_from_public_key};

use super::Shared;
use super::extract::{Cbor, token_hash};
use crate::Error;
use crate::storage::{NewMember, Storage};

const MAX_GROUP_NAME: usize = 100;
const MAX_DISPLAY_NAME: usize = 60;

pub(crate) async fn challenge<S: Storage>(
    State(app): State<Shared<S>>,
) -> Result<Cbor<Challenge>, Error> {
    let nonce = random_bytes::<32>();
    let time = app.clock.now();
    let expires_at = time + app.settings.challenge_lifetime_secs as i64;
    app.storage.put_challenge(nonce, time, expires_at).await?;
    Ok(Cbor(Challenge {
        nonce,
        time,
        expires_at,
    }))
}

/// Uses up the challenge and returns the time it was issued at. The caller verifies the signature
/// over the *stored* time, so a client cannot stretch a challenge by claiming another time.
async fn redeem_challenge<S: Storage>(app: &Shared<S>, nonce: [u8; 32]) -> Result<i64, Error> {
    let (time, expires_at) = app
        .storage
        .take_challenge(nonce)
        .await?
        .ok_or(Error::ChallengeUnknown)?;
    if app.clock.now() > expires_at {
        return Err(Error::ChallengeExpired);
    }
    Ok(time)
}

fn check_name(field: &str, value: &str, max: usize) -> Result<String, Error> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(Error::BadRequest(format!("{field} must not be empty")));
    }
    let len = trimmed.chars().count();
    if len > max {
        return Err(Error::BadRequest(format!(
            "{field} is {len} characters; at most {max} are allowed"
        )));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(Error::BadRequest(format!(
            "{field} must not contain control characters"
        )));
    }
    Ok(trimmed.to_owned())
}

pub(crate) async fn create_group<S: Storage>(
    State(app): State<Shared<S>>,
    Cbor(req): Cbor<CreateGroupRequest>,
) -> Result<Cbor<Membership>, Error> {
    match &app.settings.group_creation_token {
        Some(required) => {
            // Compare hashes so the comparison takes the same time however much matches.
            let given = req.creation_token.as_deref().unwrap_or_default();
            if blake3::hash(given.as_bytes()) != blake3::hash(required.expose().as_bytes()) {
                return Err(Error::GroupCreationClosed);
            }
        }
        None if app.settings.open_group_creation => {}
        None => return Err(Error::GroupCreationOff),
    }
    // Names are checked as sent: the signature covers the exact bytes.
    check_name("group name", &req.name, MAX_GROUP_NAME)?;
    check_name("display name", &req.display_name, MAX_DISPLAY_NAME)?;
    let time = redeem_challenge(&app, req.nonce).await?;
    let message = create_group_message(&req.name, &req.display_name, &req.nonce, time);
    if !verify(&req.public_key, &message, &req.signature) {
        return Err(Error::BadSignature);
    }
    let group = GroupId::random();
    let device = device_id_from_public_key(&req.public_key);
    let first = NewMember {
        device,
        public_key: req.public_key,
        display_name: req.display_name.trim().to_owned(),
        joined_at: app.clock.now(),
    };
    app.storage
        .create_group(group, req.name.trim().to_owned(), first)
        .await?;
    Ok(Cbor(Membership {
        group,
        device,
        role: Role::Coordinator,
    }))
}

pub(crate) async fn session<S: Storage>(
    State(app): State<Shared<S>>,
    Cbor(req): Cbor<SessionRequest>,
) -> Result<Cbor<SessionResponse>, Error> {
    let time = redeem_challenge(&app, req.nonce).await?;
    if !verify(
        &req.public_key,
        &session_message(&req.group, &req.nonce, time),
        &req.signature,
    ) {
        return Err(Error::BadSignature);
    }
    let device = device_id_from_public_key(&req.public_key);
    let member = app
        .storage
        .member(req.group, device)
        .await?
        .ok_or(Error::NotMember)?;
    if member.revoked_at.is_some() {
        return Err(Error::Revoked);
    }
    if member.public_key != req.public_key {
        return Err(Error::NotMember);
    }
    let token = bs58::encode(random_bytes::<32>()).into_string();
    let now = app.clock.now();
    let expires_at = now + app.settings.token_lifetime_secs as i64;
    app.storage
        .create_session(token_hash(&token), req.group, device, now, expires_at)
        .await?;
    Ok(Cbor(SessionResponse {
        token,
        expires_at,
        membership: Membership {
            group: req.group,
            device,
            role: member.role,
        },
    }))
}

/// Enrols a device with an invite. The proof made with the invite's secret is checked against the
/// invite key the coordinator signed, and kept as the member's evidence for coordinators' devices,
/// which certify the member only if they can check it themselves.
pub(crate) async fn join<S: Storage>(
    State(app): State<Shared<S>>,
    Cbor(req): Cbor<JoinRequest>,
) -> Result<Cbor<Membership>, Error> {
    check_name("display name", &req.display_name, MAX_DISPLAY_NAME)?;
    let message = join_message(&req.invite, &req.public_key, &req.display_name);
    if !verify(&req.public_key, &message, &req.signature) {
        return Err(Error::BadSignature);
    }
    let invite = app
        .storage
        .invite(req.invite)
        .await?
        .ok_or(Error::InviteInvalid)?;
    if !invite.proof_holds(&req.public_key, &req.display_name, &req.proof) {
        return Err(Error::InviteInvalid);
    }
    let evidence = JoinEvidence {
        invite,
        proof: req.proof,
        // Kept so that a hub's relay can bring this member to the community server.
        signature: Some(serde_bytes::ByteBuf::from(req.signature.to_vec())),
    };
    let evidence = porchlight_protocol::wire::encode(&evidence).map_err(Error::Encode)?;
    let member = NewMember {
        device: device_id_from_public_key(&req.public_key),
        public_key: req.public_key,
        // Kept exactly as signed: coordinators' devices check the proof over this name.
        display_name: req.display_name,
        joined_at: app.clock.now(),
    };
    let (group, member) = app
        .storage
        .redeem_invite(req.invite, app.clock.now(), member, evidence)
        .await?;
    Ok(Cbor(Membership {
        group,
        device: member.device,
        role: member.role,
    }))
}
