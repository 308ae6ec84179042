//! Asking the server for drop tokens over an authenticated session. The tokens themselves (blind
//! RSA) are in the protocol crate, shared with the server.

use reqwest::Method;
use serde_bytes::ByteBuf;

pub use porchlight_protocol::tokens::*;

use crate::Error;
use crate::wire::{DropToken, IssueTokensRequest, IssuedTokens, MAX_TOKEN_BATCH, TokenKeyInfo};

impl crate::HttpClient {
    /// The group's issuing key and this member's allowance left today.
    pub async fn token_key(&self, session: &crate::Session) -> Result<TokenKeyInfo, Error> {
        self.call(Method::GET, "/v1/tokens", Some(session), None::<&()>)
            .await
    }

    /// Has blinded messages signed.
    pub async fn issue_tokens(
        &self,
        session: &crate::Session,
        request: &IssueTokensRequest,
    ) -> Result<IssuedTokens, Error> {
        self.call(Method::POST, "/v1/tokens", Some(session), Some(request))
            .await
    }
}

impl crate::HttpTransport {
    /// [`crate::HttpClient::token_key`] with this transport's session.
    pub async fn token_key(&self) -> Result<TokenKeyInfo, Error> {
        self.with_session(|s| async move { self.client().token_key(&s).await })
            .await
    }

    /// Blinds `count` fresh messages for `key`, has them signed and returns the tokens. The
    /// caller checks `key` against the one it pinned first.
    pub async fn fetch_tokens(
        &self,
        key: &TokenKey,
        count: usize,
    ) -> Result<Vec<DropToken>, Error> {
        let pending = (0..count.min(MAX_TOKEN_BATCH))
            .map(|_| key.blind())
            .collect::<Result<Vec<_>, _>>()?;
        let request = IssueTokensRequest {
            blinded: pending
                .iter()
                .map(|p| ByteBuf::from(p.blinded().to_vec()))
                .collect(),
        };
        let request = &request;
        let issued = self
            .with_session(|s| async move { self.client().issue_tokens(&s, request).await })
            .await?;
        if issued.signatures.len() > pending.len() {
            return Err(Error::InvalidField {
                field: "drop token",
                reason: "the server sent more signatures than asked for".into(),
            });
        }
        pending
            .iter()
            .zip(&issued.signatures)
            .map(|(p, sig)| key.finish(p, sig).map_err(Error::from))
            .collect()
    }
}
