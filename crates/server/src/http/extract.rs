//! Request plumbing: CBOR bodies in and out, the bearer-token check, the body-size gate.

use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::header::{AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE};
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use porchlight_protocol::wire::{self, CBOR, GroupId, Member};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::Shared;
use crate::Error;
use crate::storage::Storage;

/// Refuses a request whose declared Content-Length is over `limit` before its body is read, so
/// a client cannot make the server buffer (or even receive) an oversized upload.
pub(crate) async fn refuse_oversized(
    State(limit): State<usize>,
    request: Request,
    next: Next,
) -> Response {
    let declared = request
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > limit as u64) {
        return Error::TooLarge { limit }.into_response();
    }
    next.run(request).await
}

/// Reads a body whose route caps it at `limit` (see `http::with_body_limit`): a body over it is
/// cut off while streaming and refused as [`Error::TooLarge`].
pub(crate) async fn body_within(request: Request, limit: usize) -> Result<Bytes, Error> {
    Bytes::from_request(request, &())
        .await
        .map_err(|rejection| {
            if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                Error::TooLarge { limit }
            } else {
                Error::BadRequest(format!(
                    "could not read the request body: {}",
                    rejection.body_text()
                ))
            }
        })
}

/// A CBOR request or response body.
pub(crate) struct Cbor<T>(pub T);

impl<T: DeserializeOwned, S: Storage> FromRequest<Shared<S>> for Cbor<T> {
    type Rejection = Error;

    async fn from_request(req: Request, app: &Shared<S>) -> Result<Self, Error> {
        let bytes = Bytes::from_request(req, app).await.map_err(|rejection| {
            if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                Error::TooLarge {
                    limit: app.settings.body_limit,
                }
            } else {
                Error::Malformed(rejection.body_text())
            }
        })?;
        wire::decode(&bytes)
            .map(Cbor)
            .map_err(|e| Error::Malformed(e.to_string()))
    }
}

impl<T: Serialize> IntoResponse for Cbor<T> {
    fn into_response(self) -> Response {
        match wire::encode(&self.0) {
            Ok(bytes) => ([(CONTENT_TYPE, CBOR)], bytes).into_response(),
            Err(e) => Error::Encode(e).into_response(),
        }
    }
}

/// The device behind a valid bearer token. Read from the database, or from this instance's
/// cache of it (`super::cache`), which a revocation retires at once on this instance and when
/// its NOTIFY arrives on the others (decision 63), so it takes effect then rather than when the
/// token expires. Expiry is checked on every request.
pub(crate) struct Auth {
    pub group: GroupId,
    pub member: Member,
}

impl<S: Storage> FromRequestParts<Shared<S>> for Auth {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, app: &Shared<S>) -> Result<Self, Error> {
        let header = parts
            .headers
            .get(AUTHORIZATION)
            .ok_or(Error::TokenMissing)?;
        let token = header
            .to_str()
            .ok()
            .and_then(|h| h.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or(Error::TokenMissing)?;
        let hash = token_hash(token);
        let now = Instant::now();
        // Taken before the database is read: a revocation landing meanwhile moves it on, and the
        // copy kept below is then never used.
        let stamp = app.storage.wakeups().session_stamp();
        let cached = stamp.and_then(|s| app.caches.session(&hash, s, now));
        let record = if let Some(record) = cached {
            record
        } else {
            // Unknown tokens are not remembered: only sessions that exist take room.
            let record = app
                .storage
                .session(hash)
                .await?
                .ok_or(Error::TokenInvalid)?;
            if let Some(stamp) = stamp {
                app.caches.keep_session(hash, record.clone(), stamp, now);
            }
            record
        };
        if record.member.revoked_at.is_some() {
            return Err(Error::Revoked);
        }
        if app.clock.now() >= record.expires_at {
            return Err(Error::TokenExpired);
        }
        Ok(Auth {
            group: record.group,
            member: record.member,
        })
    }
}

/// Tokens are 256 random bits, so a fast unsalted hash is enough to make a leaked table useless.
pub(crate) fn token_hash(token: &str) -> [u8; 32] {
    *blake3::hash(token.as_bytes()).as_bytes()
}
