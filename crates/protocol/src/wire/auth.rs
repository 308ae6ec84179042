//! Groups, invites, joining, sessions and the member list. A device proves who it is only by
//! signing with its Ed25519 key; see [`crate::crypto`] for the exact signed messages.

use porchlight_model::{DeviceId, Role};
use serde::{Deserialize, Serialize};

use super::ids::GroupId;
use crate::membership::{JoinEvidence, SignedInvite};

/// `POST /v1/auth/challenge` (no body): a single-use nonce to sign.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Challenge {
    #[serde(with = "serde_bytes")]
    pub nonce: [u8; 32],
    /// Server time when issued, unix seconds; part of the signed message.
    pub time: i64,
    /// After this (unix seconds) the server no longer accepts the nonce.
    pub expires_at: i64,
}

/// `POST /v1/groups`: make a group; the signing device becomes its first coordinator.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateGroupRequest {
    pub name: String,
    pub display_name: String,
    #[serde(with = "serde_bytes")]
    pub public_key: [u8; 32],
    #[serde(with = "serde_bytes")]
    pub nonce: [u8; 32],
    pub time: i64,
    /// Signature over [`crate::crypto::create_group_message`].
    #[serde(with = "serde_bytes")]
    pub signature: [u8; 64],
    /// Required when the server operator restricts who may create groups.
    #[serde(default)]
    pub creation_token: Option<String>,
}

/// The answer to [`CreateGroupRequest`] and [`JoinRequest`]: the device's membership.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Membership {
    pub group: GroupId,
    pub device: DeviceId,
    pub role: Role,
}

/// `POST /v1/auth/session`: trade a signed challenge for a bearer token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionRequest {
    pub group: GroupId,
    #[serde(with = "serde_bytes")]
    pub public_key: [u8; 32],
    #[serde(with = "serde_bytes")]
    pub nonce: [u8; 32],
    pub time: i64,
    /// Signature over [`crate::crypto::session_message`].
    #[serde(with = "serde_bytes")]
    pub signature: [u8; 64],
}

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionResponse {
    pub token: String,
    pub expires_at: i64,
    pub membership: Membership,
}

impl std::fmt::Debug for SessionResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionResponse")
            .field("token", &"<hidden>")
            .field("expires_at", &self.expires_at)
            .field("membership", &self.membership)
            .finish()
    }
}

/// `POST /v1/invites` (coordinator): an invite the coordinator's device made and signed. The
/// device keeps the secret (it goes into the invite code); the server learns only the invite's
/// public key, so it can check joins but cannot mint or use invites itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateInviteRequest {
    pub invite: SignedInvite,
}

/// The server's answer to [`CreateInviteRequest`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InviteCreated {
    #[serde(with = "serde_bytes")]
    pub invite: [u8; 16],
    pub expires_at: i64,
}

/// `POST /v1/join` (no token: the proof made with the invite's secret is the credential).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JoinRequest {
    #[serde(with = "serde_bytes")]
    pub invite: [u8; 16],
    #[serde(with = "serde_bytes")]
    pub public_key: [u8; 32],
    pub display_name: String,
    /// The invite key's signature over [`crate::crypto::join_proof_message`]: proof that the
    /// device held the invite's secret, which coordinators' devices check before they certify it.
    #[serde(with = "serde_bytes")]
    pub proof: [u8; 64],
    /// Signature over [`crate::crypto::join_message`], so nobody can enrol a key they do not hold.
    #[serde(with = "serde_bytes")]
    pub signature: [u8; 64],
}

impl std::fmt::Debug for JoinRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JoinRequest")
            .field("invite", &porchlight_model::hex(&self.invite))
            .field("display_name", &self.display_name)
            .finish_non_exhaustive()
    }
}

/// One row of `GET /v1/members` (coordinator).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub device: DeviceId,
    #[serde(with = "serde_bytes")]
    pub public_key: [u8; 32],
    pub display_name: String,
    pub role: Role,
    pub joined_at: i64,
    /// When the device was removed; `None` while it is a member.
    pub revoked_at: Option<i64>,
    /// The invite and proof the device joined with (`None` for the group's founder). Devices
    /// certify a member only when this verifies against the group's certificates.
    #[serde(default)]
    pub evidence: Option<JoinEvidence>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberList {
    pub members: Vec<Member>,
}

/// `POST /v1/members/revoke` (coordinator).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevokeRequest {
    pub device: DeviceId,
}
