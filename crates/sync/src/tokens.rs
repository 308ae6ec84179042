//! Asking the server for drop tokens over an authenticated session. The tokens themselves (blind
//! RSA) are in the protocol crate, shared with the server.

use reqwest::Method;

pub use porchlight_protocol::tokens::*;

use crate::Error;
use crate::wire::{IssueTokensRequest, IssuedTokens, TokenKeyInfo};

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
