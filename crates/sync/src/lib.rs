//! Porchlight's sync protocol (v1): the CBOR wire types shared by devices and the server, the
//! checks every pushed change must pass, device identity, invite codes, the HTTP client, and a
//! [`Transport`] seam with an in-memory relay for deterministic tests.
//!
//! The protocol is a change log rather than per-peer sync state: a device pushes raw Automerge
//! changes and pulls everything after its cursor, so the server keeps no state per device and any
//! request can be retried. See `docs/SYNC.md`.

mod anonymous;
mod client;
pub mod crypto;
mod error;
mod invite;
mod memory;
pub mod seal;
pub mod tls;
mod transport;
pub mod wire;

// The change checks are shared with the device's own store, so they live in the CRDT crate.
pub use anonymous::AnonymousClient;
pub use client::{HttpClient, Session};
pub use crypto::{device_id_from_public_key, device_id_of, generate_signing_key};
pub use error::Error;
pub use invite::{INVITE_PREFIX, InviteCode};
pub use memory::{MemoryHub, MemoryTransport};
pub use porchlight_crdt::{CHUNK_MAGIC, ChangeProblem, CheckedChange, check_change};
pub use tls::{Fingerprint, format_fingerprint, parse_fingerprint};
pub use transport::{HttpTransport, Transport};
pub use wire::{DocChanges, GroupId, SyncRequest, SyncResponse};

/// Re-exported so callers sign with the same key type this crate verifies.
pub use ed25519_dalek::SigningKey;

/// The protocol version this crate speaks; the server reports its own in `/v1/health`.
pub const PROTOCOL_VERSION: u32 = 1;
