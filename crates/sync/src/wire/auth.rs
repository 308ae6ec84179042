//! Groups, invites, joining, sessions and the member list. A device proves who it is only by
//! signing with its Ed25519 key; see [`crate::crypto`] for the exact signed messages.

use porchlight_model::{DeviceId, Role};
use serde::{Deserialize, Serialize};

use super::ids::GroupId;

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

/// `POST /v1/invites` (coordinator).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateInviteRequest {
    pub role: Role,
    /// How many devices may join with it (at least 1).
    pub uses: u32,
    /// How long it stays valid, in seconds from now (at least 1).
    pub valid_for_secs: u64,
}

/// The server's answer to [`CreateInviteRequest`]. The secret is shown here once: the server keeps
/// only its hash.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InviteCreated {
    #[serde(with = "serde_bytes")]
    pub invite: [u8; 16],
    #[serde(with = "serde_bytes")]
    pub secret: [u8; 16],
    pub role: Role,
    pub uses: u32,
    pub expires_at: i64,
}

impl std::fmt::Debug for InviteCreated {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InviteCreated")
            .field("invite", &porchlight_model::hex(&self.invite))
            .field("secret", &"<hidden>")
            .field("role", &self.role)
            .field("uses", &self.uses)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// `POST /v1/join` (no token: the invite secret is the credential).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JoinRequest {
    #[serde(with = "serde_bytes")]
    pub invite: [u8; 16],
    #[serde(with = "serde_bytes")]
    pub secret: [u8; 16],
    #[serde(with = "serde_bytes")]
    pub public_key: [u8; 32],
    pub display_name: String,
    /// Signature over [`crate::crypto::join_message`], so nobody can enrol a key they do not hold.
    #[serde(with = "serde_bytes")]
    pub signature: [u8; 64],
}

impl std::fmt::Debug for JoinRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JoinRequest")
            .field("invite", &porchlight_model::hex(&self.invite))
            .field("secret", &"<hidden>")
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
