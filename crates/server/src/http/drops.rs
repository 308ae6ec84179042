//! The anonymous drop box and published replies.
//!
//! `POST /v1/drop` and `GET /v1/replies/{group}/{id}` are the only endpoints that take no session.
//! A drop pays with a single-use drop token instead (see [`super::tokens`]): without a valid,
//! unspent one nothing is stored, and nothing is limited per network address (a per-address limit
//! would shut the drop box for everyone behind one proxy). Reply reads are still limited per
//! address, generously, in memory only (see [`crate::rate`]). Both handlers answer errors without
//! writing to the log ([`Unlogged`]), so nothing records when a drop was attempted. What a drop
//! stores is the group, a number, the UTC day and the sealed bytes; the spent token's message goes
//! to a separate list with nothing that ties it to the drop.

use std::net::SocketAddr;

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{ConnectInfo, Path, Query, Request, State};
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use porchlight_protocol::wire::{
    self, DROP_SIZE_CLASSES, DropAccepted, DropPage, DropRequest, GroupId, MAX_DROP_BODY,
    MAX_DROP_SEALED, MAX_REPLY, is_reply_id,
};
use serde::Deserialize;

use super::Shared;
use super::extract::{Auth, Cbor, body_within};
use super::members::require_coordinator;
use super::tokens::check_token;
use crate::error::Unlogged;
use crate::rate::RateLimiter;
use crate::storage::{PageLimits, Storage};
use crate::{Clock, Error};

pub(crate) const OCTET_STREAM: &str = "application/octet-stream";

fn within_rate(limiter: &RateLimiter, peer: SocketAddr, clock: &Clock) -> Result<(), Error> {
    limiter
        .check(peer.ip(), clock.now())
        .map_err(|retry_after| Error::RateLimited { retry_after })
}

fn check_sealed_len(len: usize) -> Result<(), Error> {
    let smallest = DROP_SIZE_CLASSES[0];
    if len < smallest {
        return Err(Error::BadRequest(format!(
            "the sealed envelope is {len} bytes; envelopes are padded to at least {smallest} bytes \
             (the smallest size class)"
        )));
    }
    if len > MAX_DROP_SEALED {
        return Err(Error::BadRequest(format!(
            "the sealed envelope is {len} bytes; the most a drop may carry is {MAX_DROP_SEALED}"
        )));
    }
    Ok(())
}

pub(crate) async fn post_drop<S: Storage>(
    State(app): State<Shared<S>>,
    request: Request,
) -> Result<(StatusCode, Cbor<DropAccepted>), Unlogged> {
    let limit = MAX_DROP_BODY.min(app.settings.body_limit);
    let body = body_within(request, limit).await?;
    let drop: DropRequest =
        wire::decode(&body).map_err(|e| Error::Malformed(format!("not a drop request: {e}")))?;
    // One RSA verification decides whether anything is kept: junk costs the server that and no
    // storage.
    check_token(&app, drop.group, drop.token.as_ref()).await?;
    check_sealed_len(drop.sealed.len())?;
    let spent = drop.token.map(|t| t.message).unwrap_or_default();
    app.storage
        .add_drop(drop.group, spent, drop.sealed, app.retention())
        .await?;
    Ok((StatusCode::ACCEPTED, Cbor(DropAccepted { accepted: true })))
}

#[derive(Deserialize)]
pub(crate) struct DropsQuery {
    after: Option<u64>,
    limit: Option<usize>,
}

pub(crate) async fn list<S: Storage>(
    State(app): State<Shared<S>>,
    auth: Auth,
    query: Result<Query<DropsQuery>, QueryRejection>,
) -> Result<Cbor<DropPage>, Error> {
    require_coordinator(&auth, "read the drop box")?;
    let Query(q) = query.map_err(|e| {
        Error::BadRequest(format!("drops takes ?after=N&limit=M ({})", e.body_text()))
    })?;
    let max = app.settings.page_drops;
    let limit = q.limit.unwrap_or(max);
    if limit == 0 {
        return Err(Error::BadRequest("limit must be at least 1".into()));
    }
    let limits = PageLimits {
        max_changes: limit.min(max),
        max_bytes: app.settings.page_bytes,
    };
    let page = app
        .storage
        .drops(auth.group, q.after.unwrap_or(0), limits)
        .await?;
    Ok(Cbor(page))
}

fn reply_id(path: Result<Path<String>, PathRejection>) -> Result<[u8; 16], Error> {
    let bad = || Error::BadRequest("a reply id is 32 lowercase hex digits".into());
    let Path(id) = path.map_err(|_| bad())?;
    parse_reply_id(&id)
}

fn parse_reply_id(id: &str) -> Result<[u8; 16], Error> {
    let bad = || Error::BadRequest("a reply id is 32 lowercase hex digits".into());
    if !is_reply_id(id) {
        return Err(bad());
    }
    porchlight_model::unhex(id)
        .and_then(|bytes| bytes.try_into().ok())
        .ok_or_else(bad)
}

pub(crate) async fn put_reply<S: Storage>(
    State(app): State<Shared<S>>,
    auth: Auth,
    path: Result<Path<String>, PathRejection>,
    request: Request,
) -> Result<StatusCode, Error> {
    require_coordinator(&auth, "publish replies")?;
    let id = reply_id(path)?;
    let body = body_within(request, MAX_REPLY.min(app.settings.body_limit)).await?;
    if body.is_empty() {
        return Err(Error::BadRequest("a reply must not be empty".into()));
    }
    app.storage
        .put_reply(id, auth.group, body.to_vec(), app.retention())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

pub(crate) async fn get_reply<S: Storage>(
    State(app): State<Shared<S>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    path: Result<Path<(String, String)>, PathRejection>,
) -> Result<Response, Unlogged> {
    // Counted before anything else, so guessing ids costs the same as reading them.
    within_rate(&app.reply_limiter, peer, &app.clock)?;
    let bad_path =
        || Error::BadRequest("replies are read at /v1/replies/GROUP/ID (ID: 32 hex digits)".into());
    let Path((group, id)) = path.map_err(|_| bad_path())?;
    let group: GroupId = group.parse().map_err(|_| bad_path())?;
    let id = parse_reply_id(&id)?;
    match app.storage.reply(group, id).await? {
        Some(bytes) => Ok(([(CONTENT_TYPE, OCTET_STREAM)], bytes).into_response()),
        None => Err(Error::NotFound("no reply has been published under this id".into()).into()),
    }
}
