//! The v1 wire format: CBOR request and response bodies shared by the client and the server.
//! Errors are the exception: they travel as JSON `{kind, message}` so they read well in a terminal.

mod auth;
mod drop;
mod ids;
mod sync;
mod tokens;

use serde::Serialize;
use serde::de::DeserializeOwned;

pub use auth::{
    Challenge, CreateGroupRequest, CreateInviteRequest, InviteCreated, JoinRequest, Member,
    MemberList, Membership, RevokeRequest, SessionRequest, SessionResponse,
};
pub use drop::{
    BlobStored, DROP_SIZE_CLASSES, DropAccepted, DropPage, DropRequest, MAP_CHUNK_KIND, MAX_BLOB,
    MAX_DROP_BODY, MAX_DROP_SEALED, MAX_MAP_CHUNK, MAX_REPLY, StoredDrop, blob_hash, is_blob_hash,
    is_reply_id,
};
pub use ids::GroupId;
pub use sync::{
    DocChanges, Health, Rejected, SignedChange, SyncRequest, SyncResponse, WaitResponse,
};
pub use tokens::{
    DropToken, IssueTokensRequest, IssuedTokens, MAX_TOKEN_BATCH, TOKEN_CODE_PREFIX,
    TOKEN_MESSAGE_LEN, TokenCode, TokenKeyInfo,
};

use crate::Error;

/// The media type of every CBOR body.
pub const CBOR: &str = "application/cbor";

/// The body of every error response.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct ErrorBody {
    /// A short stable word for programs (`too_large`, `bad_change`, `unauthorized`, ...).
    pub kind: String,
    /// A sentence for people saying what was wrong.
    pub message: String,
}

pub fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, Error> {
    let mut out = Vec::new();
    ciborium::into_writer(value, &mut out).map_err(Error::Encode)?;
    Ok(out)
}

/// Decodes a CBOR message. Safe on arbitrary bytes: malformed or hostile input is an error, never a
/// panic, and ciborium bounds nesting depth so deep structures cannot exhaust the stack. Bytes
/// after the first value are refused too: they mean the sender and receiver disagree on the format.
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Error> {
    let mut rest = bytes;
    let value = ciborium::from_reader(&mut rest).map_err(Error::Decode)?;
    if rest.is_empty() {
        Ok(value)
    } else {
        Err(Error::TrailingBytes { count: rest.len() })
    }
}

#[cfg(test)]
mod tests;
