//! Porchlight's protocol, without I/O: the CBOR wire types, the exact bytes devices sign, signed
//! change envelopes, membership certificates, invite codes, drop and reply formats and sealing.
//!
//! Devices and the server both build and check every format here, so they cannot drift apart, and
//! the server links no HTTP client. Functions take bytes and return bytes or a verdict; callers
//! do the network and storage work.

pub mod crypto;
mod error;
mod invite;
pub mod membership;
pub mod pin;
pub mod seal;
pub mod tokens;
pub mod wire;

pub use crypto::{device_id_from_public_key, device_id_of, generate_signing_key};
pub use error::Error;
pub use invite::{HubAddress, INVITE_PREFIX, INVITE_PREFIX_HUB, InviteCode, check_server_url};
pub use membership::{
    Certified, JoinEvidence, MemberCert, Revocation, Roster, SignedInvite, invite_key, join_proof,
};
pub use pin::{Fingerprint, format_fingerprint, parse_fingerprint};
pub use porchlight_crdt::{CHUNK_MAGIC, ChangeProblem, CheckedChange, check_change};
pub use wire::{DocChanges, GroupId, SignedChange, SyncRequest, SyncResponse};

/// Re-exported so callers sign with the same key type this crate verifies.
pub use ed25519_dalek::SigningKey;

/// The protocol version this crate speaks; the server reports its own in `/v1/health`.
pub const PROTOCOL_VERSION: u32 = 2;
