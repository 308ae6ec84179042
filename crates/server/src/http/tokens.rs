//! Drop tokens: members have blinded messages signed here (`GET`/`POST /v1/tokens`), and
//! `POST /v1/drop` checks what they later spend (see [`check_token`]).
//!
//! Issuing is authenticated and limited per member per day; spending is anonymous. The blind
//! signature scheme (RFC 9474, [`porchlight_protocol::tokens`]) is what keeps the two apart: the
//! server never sees a token's message or signature until it is spent, and then cannot tell which
//! of the blinded messages it signed it came from.

use axum::extract::State;
use porchlight_protocol::tokens::{TokenIssuer, TokenKey};
use porchlight_protocol::wire::GroupId;
use porchlight_protocol::wire::{
    DropToken, IssueTokensRequest, IssuedTokens, MAX_TOKEN_BATCH, TokenKeyInfo,
};
use serde_bytes::ByteBuf;

use super::Shared;
use super::extract::{Auth, Cbor};
use crate::Error;
use crate::storage::{Storage, TokenKeyRecord};

fn key_problem(e: &porchlight_protocol::Error) -> Error {
    Error::DropTokenInvalid(e.to_string())
}

/// The group's issuing key, made (once, off the async workers: it takes a moment) on first use.
async fn issuer<S: Storage>(app: &Shared<S>, group: GroupId) -> Result<TokenKeyRecord, Error> {
    if let Some(key) = app.storage.token_key(group).await? {
        return Ok(key);
    }
    let made =
        tokio::task::spawn_blocking(|| -> Result<TokenKeyRecord, porchlight_protocol::Error> {
            let issuer = TokenIssuer::generate()?;
            Ok(TokenKeyRecord {
                secret_der: issuer.to_der()?,
                public_der: issuer.public_key()?.to_der()?,
            })
        })
        .await?
        .map_err(|e| Error::Config(format!("could not make the group's token key: {e}")))?;
    app.storage.put_token_key(group, made).await
}

fn today<S>(app: &Shared<S>) -> i64 {
    app.clock.now().div_euclid(86_400)
}

/// `GET /v1/tokens`: the group's public issuing key and the member's allowance left today.
pub(crate) async fn key<S: Storage>(
    State(app): State<Shared<S>>,
    auth: Auth,
) -> Result<Cbor<TokenKeyInfo>, Error> {
    let key = issuer(&app, auth.group).await?;
    let (_, left) = app
        .storage
        .take_token_allowance(
            auth.group,
            auth.member.device,
            today(&app),
            0,
            app.settings.tokens_per_day,
        )
        .await?;
    Ok(Cbor(TokenKeyInfo {
        key: key.public_der,
        left_today: left,
    }))
}

/// `POST /v1/tokens`: signs up to the member's allowance of the blinded messages, in order.
pub(crate) async fn issue<S: Storage>(
    State(app): State<Shared<S>>,
    auth: Auth,
    Cbor(request): Cbor<IssueTokensRequest>,
) -> Result<Cbor<IssuedTokens>, Error> {
    let asked = request.blinded.len();
    if asked == 0 || asked > MAX_TOKEN_BATCH {
        return Err(Error::BadRequest(format!(
            "ask for 1 to {MAX_TOKEN_BATCH} tokens at a time, not {asked}"
        )));
    }
    let key = issuer(&app, auth.group).await?;
    let per_day = app.settings.tokens_per_day;
    let (granted, left) = app
        .storage
        .take_token_allowance(
            auth.group,
            auth.member.device,
            today(&app),
            asked as u32,
            per_day,
        )
        .await?;
    if granted == 0 {
        return Err(Error::TokensUsedUp { per_day });
    }
    let mut blinded = request.blinded;
    blinded.truncate(granted as usize);
    let signatures = tokio::task::spawn_blocking(move || -> Result<Vec<ByteBuf>, Error> {
        let issuer = TokenIssuer::from_der(&key.secret_der)
            .map_err(|e| Error::Config(format!("the group's token key is damaged: {e}")))?;
        blinded
            .iter()
            .map(|b| {
                issuer
                    .sign_blinded(b)
                    .map(ByteBuf::from)
                    .map_err(|e| Error::BadRequest(e.to_string()))
            })
            .collect()
    })
    .await??;
    Ok(Cbor(IssuedTokens {
        signatures,
        left_today: left,
    }))
}

/// Checks that `token` was issued by `group`'s key; whether it was spent is decided when the drop
/// is stored. A group that never issued a token has no key, and so no valid token.
pub(crate) async fn check_token<S: Storage>(
    app: &Shared<S>,
    group: GroupId,
    token: Option<&DropToken>,
) -> Result<(), Error> {
    let token = token.ok_or(Error::DropTokenMissing)?;
    let Some(key) = app.storage.token_key(group).await? else {
        return Err(Error::DropTokenInvalid(
            "this group has not issued any drop tokens".into(),
        ));
    };
    let key = TokenKey::from_der(&key.public_der).map_err(|e| key_problem(&e))?;
    key.verify(token).map_err(|e| key_problem(&e))
}
