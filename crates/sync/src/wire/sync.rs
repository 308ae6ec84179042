//! The change-log exchange: one request pushes new changes and pulls what the device has not
//! seen, so a retry after a lost response is always safe.

use porchlight_model::{DocId, DocKind};
use serde::{Deserialize, Serialize};

/// `POST /v1/sync`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncRequest {
    /// The cursor returned by the previous sync (0 the first time): pull starts after it.
    pub cursor: u64,
    /// Changes this device made (or received) that the server may not have yet.
    #[serde(default)]
    pub push: Vec<DocChanges>,
}

/// Raw Automerge changes of one document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocChanges {
    pub doc: DocId,
    pub kind: DocKind,
    /// Each entry is one uncompressed Automerge change chunk (`Change::raw_bytes`).
    pub changes: Vec<serde_bytes::ByteBuf>,
}

impl DocChanges {
    pub fn new(doc: DocId, kind: DocKind, changes: impl IntoIterator<Item = Vec<u8>>) -> Self {
        Self {
            doc,
            kind,
            changes: changes
                .into_iter()
                .map(serde_bytes::ByteBuf::from)
                .collect(),
        }
    }
}

/// The answer to a [`SyncRequest`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncResponse {
    /// Pushed changes the server now holds (new ones and ones it already had).
    pub accepted: u32,
    /// Pushed changes the server refused; it stored none of them.
    #[serde(default)]
    pub rejected: Vec<Rejected>,
    /// Changes after the request's cursor that this device may read, oldest first.
    #[serde(default)]
    pub pull: Vec<DocChanges>,
    /// Pass this as the next request's cursor.
    pub cursor: u64,
    /// More changes are waiting: sync again straight away with the new cursor.
    pub more: bool,
}

/// One refused change. Refusals here are about permission, not about malformed bytes (those
/// refuse the whole request), so the client can drop these from its outbox and carry on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejected {
    pub doc: DocId,
    /// The Automerge change hash (32 bytes).
    pub hash: serde_bytes::ByteBuf,
    pub reason: String,
}

/// `GET /v1/wait?cursor=N&timeout=S`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaitResponse {
    /// The newest cursor the server knows for the group.
    pub cursor: u64,
    /// True when something newer than the asked cursor exists; false when the wait timed out.
    pub changed: bool,
}

/// `GET /v1/health`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    pub status: String,
    /// The protocol version the server speaks (this crate's [`crate::PROTOCOL_VERSION`]).
    pub protocol: u32,
    /// The server's clock, unix seconds; lets a client notice a badly skewed clock.
    pub time: i64,
}
