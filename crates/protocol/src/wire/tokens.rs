//! Drop tokens on the wire: issuing them to members, spending one with each drop, and the
//! printable token codes a coordinator hands to people who are not members.
//!
//! A token is an RSA blind signature (RFC 9474, see [`crate::tokens`]) by the group's issuing key
//! over 32 random bytes the device chose. The server signs blinded bytes for an authenticated
//! member and later sees only the unblinded pair, so it can check that a drop was paid for
//! without learning by whom.

use serde::{Deserialize, Serialize};
use serde_bytes::ByteBuf;

use super::GroupId;
use crate::Error;

/// The most blinded messages one `POST /v1/tokens` may ask to have signed.
pub const MAX_TOKEN_BATCH: usize = 32;

/// Bytes a device chooses for each token (the message the issuer signs without seeing it).
pub const TOKEN_MESSAGE_LEN: usize = 32;

/// One spendable token: the message, the randomizer RFC 9474 prefixes to it, and the
/// issuer's signature over both.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DropToken {
    #[serde(with = "serde_bytes")]
    pub message: Vec<u8>,
    #[serde(with = "serde_bytes")]
    pub randomizer: Vec<u8>,
    #[serde(with = "serde_bytes")]
    pub signature: Vec<u8>,
}

/// `GET /v1/tokens` (any member): the group's public issuing key and how many tokens this
/// member may still have signed today.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenKeyInfo {
    /// The issuing key, DER (PKCS#1 RSA public key).
    #[serde(with = "serde_bytes")]
    pub key: Vec<u8>,
    pub left_today: u32,
}

/// `POST /v1/tokens` (any member): blinded messages to sign.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssueTokensRequest {
    pub blinded: Vec<ByteBuf>,
}

/// The blind signatures, in the order of the request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuedTokens {
    pub signatures: Vec<ByteBuf>,
    pub left_today: u32,
}

/// What a printed token code carries: everything a person who is not a member needs to file one
/// report: where to send it, for which group, whom to seal it for, and the token that pays for
/// the drop.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenCode {
    pub server: String,
    pub group: GroupId,
    /// The coordinators' X25519 sealing keys when the sheet was printed.
    pub seal_keys: Vec<ByteBuf>,
    pub token: DropToken,
    /// The SHA-256 of the server's certificate when it is self-signed (as in invites): without
    /// it a non-member's device could not reach a default `porchlight serve` at all, and with
    /// an unpinned fallback anyone on the network could read where the drop goes. Codes printed
    /// before pins existed have none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pin: Option<ByteBuf>,
}

/// The text form of a token code starts with this, so it is recognised when pasted.
pub const TOKEN_CODE_PREFIX: &str = "porchlight-drop:";

impl TokenCode {
    /// The pinned certificate fingerprint, if the code carries a well-formed one.
    pub fn fingerprint(&self) -> Result<Option<crate::pin::Fingerprint>, Error> {
        self.pin
            .as_ref()
            .map(|pin| {
                <crate::pin::Fingerprint>::try_from(pin.as_slice()).map_err(|_| {
                    Error::InvalidField {
                        field: "token code",
                        reason: "its certificate pin is not 32 bytes".to_owned(),
                    }
                })
            })
            .transpose()
    }
    /// `porchlight-drop:` followed by the base58 of the CBOR encoding.
    pub fn to_text(&self) -> Result<String, Error> {
        Ok(format!(
            "{TOKEN_CODE_PREFIX}{}",
            bs58::encode(super::encode(self)?).into_string()
        ))
    }

    pub fn parse(text: &str) -> Result<Self, Error> {
        let bad = |reason: &str| Error::InvalidField {
            field: "token code",
            reason: reason.to_owned(),
        };
        let body = text
            .trim()
            .strip_prefix(TOKEN_CODE_PREFIX)
            .ok_or_else(|| bad("it does not start with porchlight-drop:"))?;
        // A code is a few hundred bytes; anything much longer is not one.
        if body.len() > 8192 {
            return Err(bad("it is far too long"));
        }
        let bytes = bs58::decode(body)
            .into_vec()
            .map_err(|_| bad("it is not base58"))?;
        let code: Self = super::decode(&bytes)?;
        if code.seal_keys.is_empty() || code.seal_keys.iter().any(|k| k.len() != 32) {
            return Err(bad("it names no valid coordinator sealing key"));
        }
        code.fingerprint()?;
        Ok(code)
    }
}
