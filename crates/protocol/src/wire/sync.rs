//! The change-log exchange: one request pushes new changes and pulls what the device has not
//! seen, so a retry after a lost response is always safe.

use porchlight_model::{DocId, DocKind};
use serde::{Deserialize, Serialize};

use super::GroupId;
use crate::crypto::{change_message, sign, verify};

/// `POST /v1/sync`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncRequest {
    /// The cursor returned by the previous sync (0 the first time): pull starts after it.
    pub cursor: u64,
    /// Changes this device made (or received) that the server may not have yet.
    #[serde(default)]
    pub push: Vec<DocChanges>,
}

/// Signed Automerge changes of one document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocChanges {
    pub doc: DocId,
    pub kind: DocKind,
    pub changes: Vec<SignedChange>,
}

impl DocChanges {
    pub fn new(doc: DocId, kind: DocKind, changes: impl IntoIterator<Item = SignedChange>) -> Self {
        Self {
            doc,
            kind,
            changes: changes.into_iter().collect(),
        }
    }
}

/// One uncompressed Automerge change chunk (`Change::raw_bytes`) with its author's signature
/// over [`crate::crypto::change_message`]. The author is the change's actor: a device whose key
/// the group's certificates vouch for. Whoever stores or relays the change cannot alter it, move
/// it to another document, or write one in someone else's name.
///
/// On the wire it is a two-element array, to keep the per-change overhead at the signature's
/// 64 bytes plus a few bytes of framing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedChange(serde_bytes::ByteBuf, serde_bytes::ByteArray<64>);

impl SignedChange {
    /// Signs `bytes` (whose Automerge hash is `hash`) as a change of `doc` in `group`.
    pub fn sign(
        key: &ed25519_dalek::SigningKey,
        group: &GroupId,
        doc: DocId,
        kind: DocKind,
        hash: &[u8; 32],
        bytes: Vec<u8>,
    ) -> Self {
        let signature = sign(key, &change_message(group, &doc, kind, hash));
        Self::from_parts(bytes, signature)
    }

    pub fn from_parts(bytes: Vec<u8>, signature: [u8; 64]) -> Self {
        Self(
            serde_bytes::ByteBuf::from(bytes),
            serde_bytes::ByteArray::new(signature),
        )
    }

    pub fn bytes(&self) -> &[u8] {
        &self.0
    }

    pub fn signature(&self) -> &[u8; 64] {
        &self.1
    }

    pub fn into_parts(self) -> (Vec<u8>, [u8; 64]) {
        (self.0.into_vec(), self.1.into_array())
    }

    /// Whether `author_key` signed this change, whose hash (from `check_change`) is `hash`, for
    /// `doc` of `kind` in `group`.
    pub fn verify(
        &self,
        author_key: &[u8; 32],
        group: &GroupId,
        doc: DocId,
        kind: DocKind,
        hash: &[u8; 32],
    ) -> bool {
        verify(
            author_key,
            &change_message(group, &doc, kind, hash),
            self.signature(),
        )
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
