//! Membership authenticated end to end, so that the server's member list is a hint and never an
//! authority.
//!
//! The group's founder is its root of trust: every device learns the founder's public key from
//! the invite code it joined with (or made the group itself) and pins it. Every member record a
//! device trusts is a [`MemberCert`] signed by a coordinator whose own certificate chains back to
//! that root; a [`Revocation`] signed by any coordinator the root ever vouched for removes a
//! member. Certificates and revocations travel inside the group document as opaque bytes: whoever
//! writes or serves the document cannot forge one.
//!
//! Invites are signed by the coordinator who issued them ([`SignedInvite`]), over a public key
//! derived from the invite's secret. A joining device proves it held the secret by signing its
//! own key with the invite key; coordinators' devices certify a newcomer only with that proof
//! ([`JoinEvidence::verify`]). The server keeps the invite's public key and never sees the secret,
//! so it can neither mint an invite nor enrol a key of its own with someone else's invite.

use std::collections::{BTreeMap, BTreeSet};

use ed25519_dalek::SigningKey;
use porchlight_model::{DeviceId, Role};
use serde::{Deserialize, Serialize};

use crate::crypto::{
    invite_message, join_proof_message, member_cert_message, revocation_message, sign, verify,
};
use crate::wire::{GroupId, decode, encode};
use crate::{Error, device_id_from_public_key};

/// A coordinator's statement "this key is a member of this group with this role".
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberCert {
    pub group: GroupId,
    #[serde(with = "serde_bytes")]
    pub public_key: [u8; 32],
    pub role: Role,
    /// Unix milliseconds; informational (ordering is the chain, not the clock).
    pub issued_at: i64,
    /// The certifying coordinator's key; the founder's own certificate names itself.
    #[serde(with = "serde_bytes")]
    pub issuer: [u8; 32],
    #[serde(with = "serde_bytes")]
    pub signature: [u8; 64],
}

impl MemberCert {
    /// Certifies `public_key` as a member with `role`, signed by `by`.
    pub fn issue(
        by: &SigningKey,
        group: GroupId,
        public_key: [u8; 32],
        role: Role,
        issued_at: i64,
    ) -> Self {
        let issuer = by.verifying_key().to_bytes();
        let signature = sign(
            by,
            &member_cert_message(&group, &public_key, role, issued_at, &issuer),
        );
        Self {
            group,
            public_key,
            role,
            issued_at,
            issuer,
            signature,
        }
    }

    pub fn device(&self) -> DeviceId {
        device_id_from_public_key(&self.public_key)
    }

    /// Whether the signature is the issuer's over exactly these fields (not whether the issuer
    /// may certify anyone: that is the [`Roster`]'s job).
    pub fn signature_holds(&self) -> bool {
        verify(
            &self.issuer,
            &member_cert_message(
                &self.group,
                &self.public_key,
                self.role,
                self.issued_at,
                &self.issuer,
            ),
            &self.signature,
        )
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        encode(self).unwrap_or_default()
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        decode(bytes)
    }
}

/// A coordinator's statement "this key is no longer a member".
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revocation {
    pub group: GroupId,
    #[serde(with = "serde_bytes")]
    pub public_key: [u8; 32],
    pub revoked_at: i64,
    #[serde(with = "serde_bytes")]
    pub issuer: [u8; 32],
    #[serde(with = "serde_bytes")]
    pub signature: [u8; 64],
}

impl Revocation {
    pub fn issue(by: &SigningKey, group: GroupId, public_key: [u8; 32], revoked_at: i64) -> Self {
        let issuer = by.verifying_key().to_bytes();
        let signature = sign(
            by,
            &revocation_message(&group, &public_key, revoked_at, &issuer),
        );
        Self {
            group,
            public_key,
            revoked_at,
            issuer,
            signature,
        }
    }

    pub fn device(&self) -> DeviceId {
        device_id_from_public_key(&self.public_key)
    }

    pub fn signature_holds(&self) -> bool {
        verify(
            &self.issuer,
            &revocation_message(&self.group, &self.public_key, self.revoked_at, &self.issuer),
            &self.signature,
        )
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        encode(self).unwrap_or_default()
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        decode(bytes)
    }
}

/// An invite as its coordinator signed it. The server stores it and hands it to coordinators
/// with each member who joined through it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedInvite {
    pub group: GroupId,
    #[serde(with = "serde_bytes")]
    pub invite: [u8; 16],
    pub role: Role,
    pub uses: u32,
    pub expires_at: i64,
    /// The public half of [`invite_key`] of the invite's secret.
    #[serde(with = "serde_bytes")]
    pub invite_key: [u8; 32],
    #[serde(with = "serde_bytes")]
    pub issuer: [u8; 32],
    #[serde(with = "serde_bytes")]
    pub signature: [u8; 64],
}

impl SignedInvite {
    #[allow(clippy::too_many_arguments)]
    pub fn issue(
        by: &SigningKey,
        group: GroupId,
        invite: [u8; 16],
        secret: &[u8; 16],
        role: Role,
        uses: u32,
        expires_at: i64,
    ) -> Self {
        let invite_key = invite_key(secret).verifying_key().to_bytes();
        let issuer = by.verifying_key().to_bytes();
        let signature = sign(
            by,
            &invite_message(&group, &invite, role, uses, expires_at, &invite_key),
        );
        Self {
            group,
            invite,
            role,
            uses,
            expires_at,
            invite_key,
            issuer,
            signature,
        }
    }

    pub fn signature_holds(&self) -> bool {
        verify(
            &self.issuer,
            &invite_message(
                &self.group,
                &self.invite,
                self.role,
                self.uses,
                self.expires_at,
                &self.invite_key,
            ),
            &self.signature,
        )
    }

    /// Checks a joining device's proof that it held this invite's secret.
    pub fn proof_holds(&self, public_key: &[u8; 32], display_name: &str, proof: &[u8; 64]) -> bool {
        verify(
            &self.invite_key,
            &join_proof_message(&self.group, &self.invite, public_key, display_name),
            proof,
        )
    }
}

/// The Ed25519 key an invite's secret stands for. Derived, so the code carries 16 bytes only.
pub fn invite_key(secret: &[u8; 16]) -> SigningKey {
    SigningKey::from_bytes(&blake3::derive_key("porchlight 2026 invite key v1", secret))
}

/// The joining device's proof, made with the invite's secret.
pub fn join_proof(
    secret: &[u8; 16],
    group: &GroupId,
    invite: &[u8; 16],
    public_key: &[u8; 32],
    display_name: &str,
) -> [u8; 64] {
    sign(
        &invite_key(secret),
        &join_proof_message(group, invite, public_key, display_name),
    )
}

/// How a member got in, as the server recorded it: the invite and the joining device's proof.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JoinEvidence {
    pub invite: SignedInvite,
    #[serde(with = "serde_bytes")]
    pub proof: [u8; 64],
    /// The joining device's own signature of its join request (see
    /// [`crate::crypto::join_message`]), kept by servers since hubs relay joins: with it, a
    /// hub's relay can bring a member who joined in the hall to the community server exactly
    /// as the device asked, and nobody else can. `None` for members a coordinator's device
    /// vouched for itself, and in evidence recorded before it was kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<serde_bytes::ByteBuf>,
}

impl JoinEvidence {
    /// The role the evidence entitles `public_key` to, when the invite is genuine, signed by a
    /// coordinator of `roster`, for `group`, and the proof is the invite key's over this key and
    /// name. `None` means: do not certify (the server's word alone is never enough).
    pub fn verify(
        &self,
        roster: &Roster,
        public_key: &[u8; 32],
        display_name: &str,
    ) -> Option<Role> {
        let issuer = device_id_from_public_key(&self.invite.issuer);
        let issuer_ok = roster
            .member(&issuer)
            .is_some_and(|m| m.role == Role::Coordinator && m.public_key == self.invite.issuer);
        (self.invite.group == roster.group
            && issuer_ok
            && self.invite.signature_holds()
            && self
                .invite
                .proof_holds(public_key, display_name, &self.proof))
        .then_some(self.invite.role)
    }

    /// The join request the member's device sent, rebuilt from this evidence, when it holds
    /// the device's signature: what a hub's relay forwards to the community server.
    pub fn join_request(
        &self,
        public_key: [u8; 32],
        display_name: &str,
    ) -> Option<crate::wire::JoinRequest> {
        let signature = <[u8; 64]>::try_from(self.signature.as_ref()?.as_slice()).ok()?;
        Some(crate::wire::JoinRequest {
            invite: self.invite.invite,
            public_key,
            display_name: display_name.to_owned(),
            proof: self.proof,
            signature,
        })
    }
}

/// A member whose certificate chains back to the root.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Certified {
    pub public_key: [u8; 32],
    pub role: Role,
}

/// The members a device may trust: computed from the root key it pinned and the certificates and
/// revocations found in the group document, whoever wrote them there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Roster {
    pub group: GroupId,
    pub root: [u8; 32],
    members: BTreeMap<DeviceId, Certified>,
    revoked: BTreeSet<DeviceId>,
}

impl Roster {
    /// Works out who is a member.
    ///
    /// - Anyone the root vouched for as coordinator, directly or through other coordinators,
    ///   counts as an *ever-coordinator*, ignoring revocations. A revocation counts when an
    ///   ever-coordinator signed it, so revoking a coordinator never un-does the revocations it
    ///   made earlier. The root itself cannot be revoked.
    /// - Members are then the root plus every certificate whose issuer is a member coordinator
    ///   and whose key is not revoked, repeated until nothing changes. A coordinator's removal
    ///   thus also removes the certificates it issued; other coordinators re-certify those
    ///   members from their join evidence.
    ///
    /// Certificates for another group, with a bad signature, or that contradict the one already
    /// trusted for a device, are ignored.
    pub fn verify(
        group: GroupId,
        root: [u8; 32],
        certs: &[MemberCert],
        revocations: &[Revocation],
    ) -> Self {
        let certs: Vec<&MemberCert> = certs
            .iter()
            .filter(|c| c.group == group && c.signature_holds())
            .collect();
        let ever = chain(root, &certs, &BTreeSet::new());
        let root_device = device_id_from_public_key(&root);
        let revoked: BTreeSet<DeviceId> = revocations
            .iter()
            .filter(|r| r.group == group && r.signature_holds())
            .filter(|r| {
                ever.get(&device_id_from_public_key(&r.issuer))
                    .is_some_and(|m| m.role == Role::Coordinator && m.public_key == r.issuer)
            })
            .map(Revocation::device)
            .filter(|d| *d != root_device)
            .collect();
        let members = chain(root, &certs, &revoked);
        Self {
            group,
            root,
            members,
            revoked,
        }
    }

    pub fn member(&self, device: &DeviceId) -> Option<&Certified> {
        self.members.get(device)
    }

    pub fn is_revoked(&self, device: &DeviceId) -> bool {
        self.revoked.contains(device)
    }

    /// Every device a valid revocation names.
    pub fn revoked(&self) -> impl Iterator<Item = &DeviceId> {
        self.revoked.iter()
    }

    pub fn members(&self) -> impl Iterator<Item = (&DeviceId, &Certified)> {
        self.members.iter()
    }

    /// The public sealing keys (X25519) of every certified coordinator: the only keys a report
    /// is ever sealed to.
    pub fn seal_keys(&self) -> Vec<[u8; 32]> {
        self.members
            .values()
            .filter(|m| m.role == Role::Coordinator)
            .filter_map(|m| crate::seal::sealing_public(&m.public_key))
            .collect()
    }
}

/// The fixpoint of "the root, plus certificates issued by a coordinator already in the set".
fn chain(
    root: [u8; 32],
    certs: &[&MemberCert],
    revoked: &BTreeSet<DeviceId>,
) -> BTreeMap<DeviceId, Certified> {
    let mut members = BTreeMap::new();
    members.insert(
        device_id_from_public_key(&root),
        Certified {
            public_key: root,
            role: Role::Coordinator,
        },
    );
    loop {
        let mut grew = false;
        for cert in certs {
            let device = cert.device();
            if members.contains_key(&device) || revoked.contains(&device) {
                continue;
            }
            let issuer = device_id_from_public_key(&cert.issuer);
            let vouched = members
                .get(&issuer)
                .is_some_and(|m| m.role == Role::Coordinator && m.public_key == cert.issuer);
            if vouched {
                members.insert(
                    device,
                    Certified {
                        public_key: cert.public_key,
                        role: cert.role,
                    },
                );
                grew = true;
            }
        }
        if !grew {
            return members;
        }
    }
}

#[cfg(test)]
mod tests;
