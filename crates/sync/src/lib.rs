//! Porchlight's sync protocol (v1): the CBOR wire types shared by devices and the server, the
//! checks every pushed change must pass, device identity, invite codes, the HTTP client, and the
//! [`Remote`] seam that core's sync talks to (HTTP in production, an in-process server in tests).
//!
//! The protocol is a change log rather than per-peer sync state: a device pushes raw Automerge
//! changes and pulls everything after its cursor, so the server keeps no state per device and any
//! request can be retried. See `docs/SYNC.md`.

mod anonymous;
mod client;
mod error;
mod remote;
mod requests;
pub mod tls;
pub mod tokens;
mod transport;

// The formats live in the protocol crate (no I/O), shared with the server; they are re-exported
// here so a device needs one import path for everything sync.
pub use porchlight_protocol::{
    HubAddress, INVITE_PREFIX, INVITE_PREFIX_HUB, InviteCode, JoinEvidence, MemberCert,
    PROTOCOL_VERSION, Revocation, Roster, SignedInvite, check_server_url, crypto, membership, seal,
    wire,
};

// The change checks are shared with the device's own store, so they live in the CRDT crate.
pub use anonymous::AnonymousClient;
pub use client::{HttpClient, Session};
pub use error::Error;
pub use porchlight_crdt::{CHUNK_MAGIC, ChangeProblem, CheckedChange, check_change};
pub use porchlight_protocol::{device_id_from_public_key, device_id_of, generate_signing_key};
pub use remote::{Call, Connect, Enrolled, HttpConnect, Remote, ServerAddr, fetch_tokens};
pub use requests::{create_group_request, join_request, session_request};
pub use tls::{Fingerprint, format_fingerprint, parse_fingerprint};
pub use transport::HttpTransport;
pub use wire::{DocChanges, GroupId, SignedChange, SyncRequest, SyncResponse};

/// Re-exported so callers sign with the same key type this crate verifies.
pub use ed25519_dalek::SigningKey;
