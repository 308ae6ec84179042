//! Anonymous drops, photo blobs and published replies.
//!
//! A drop is the only way a report reaches the server. It carries no session and no sender: just
//! the group it is for, one envelope sealed to that group's coordinators (see [`crate::seal`]),
//! padded to a size class and a fixed number of key slots so its length says little about its
//! content or its sender, and one single-use drop token (see [`crate::tokens`]) that shows the
//! drop was paid for by some member without saying which.
//! Coordinators page through their group's drops like a change log and open them on their own
//! devices.
//!
//! Blobs are photos of records that sync in the clear within the group (observations on
//! patrols), addressed by the BLAKE3 hash of their bytes. Replies are short sealed notes a
//! coordinator publishes under an id only the reporter can compute, so the reporter can read a
//! report's status without saying who they are.

use serde::{Deserialize, Serialize};

use crate::wire::{DropToken, GroupId};

/// Padded plaintext sizes of a sealed envelope: every drop is one of these plus a fixed overhead
/// (the same number of key slots in every envelope), so a short note and a long one look the same
/// on the wire.
pub const DROP_SIZE_CLASSES: [usize; 5] = [4 << 10, 16 << 10, 64 << 10, 256 << 10, 1 << 20];

/// The largest sealed envelope the server takes: the largest size class plus room for the
/// per-coordinator key wraps of a large group.
pub const MAX_DROP_SEALED: usize = (1 << 20) + (64 << 10);

/// The largest `POST /v1/drop` body: [`MAX_DROP_SEALED`] plus the CBOR framing around it and the
/// drop token (about 330 bytes).
pub const MAX_DROP_BODY: usize = MAX_DROP_SEALED + 1024;

/// The largest photo blob (`PUT /v1/blobs/{hash}`): photos are re-encoded to at most 400 KB.
pub const MAX_BLOB: usize = 512 << 10;

/// The `?kind=` under which a coordinator uploads a chunk of the group's offline map package
/// (`PUT /v1/blobs/{hash}?kind=map`): any bytes, at most [`MAX_MAP_CHUNK`], written by
/// coordinators only and readable by every member, like the group document that lists them.
pub const MAP_CHUNK_KIND: &str = "map";

/// The largest map chunk: packages are cut into 256 KiB chunks.
pub const MAX_MAP_CHUNK: usize = 256 << 10;

/// The largest published reply (`PUT /v1/replies/{id}`, read at `GET /v1/replies/{group}/{id}`).
pub const MAX_REPLY: usize = 16 << 10;

/// `POST /v1/drop`, sent without a session, cookie or shared connection.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DropRequest {
    pub group: GroupId,
    /// One sealed envelope (see [`crate::seal::seal`]).
    #[serde(with = "serde_bytes")]
    pub sealed: Vec<u8>,
    /// The drop token this drop spends. Optional on the wire only so that a drop without one
    /// gets a clear refusal rather than a decoding error.
    #[serde(default)]
    pub token: Option<DropToken>,
}

/// The answer to a drop. It says only that the envelope was kept: nothing in it may differ
/// between two senders.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DropAccepted {
    pub accepted: bool,
}

/// One stored drop as coordinators pull it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredDrop {
    /// Position in the group's drop log; pull with `after` = the last one seen.
    pub seq: u64,
    #[serde(with = "serde_bytes")]
    pub sealed: Vec<u8>,
}

/// `GET /v1/drops?after=N&limit=M` (coordinators): drops newer than `after`, oldest first.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DropPage {
    pub drops: Vec<StoredDrop>,
    /// The `seq` of the last drop in this page (or `after` when empty).
    pub cursor: u64,
    /// True when more drops are waiting after this page.
    pub more: bool,
}

/// The answer to `PUT /v1/blobs/{hash}?kind=...`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlobStored {
    /// False when the server already had this blob (it is stored once).
    pub new: bool,
}

/// Lowercase hex of the BLAKE3 hash of `bytes`: the address of a blob.
pub fn blob_hash(bytes: &[u8]) -> String {
    blake3::hash(bytes).to_hex().to_string()
}

/// Whether `s` looks like a blob address (64 lowercase hex digits).
pub fn is_blob_hash(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Whether `s` looks like a reply id (32 lowercase hex digits, 16 bytes).
pub fn is_reply_id(s: &str) -> bool {
    s.len() == 32
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}
