//! `PUT` and `GET /v1/blobs/{hash}`: photos of records that sync in the clear within the group,
//! addressed by the BLAKE3 hash of their bytes. Each blob carries the kind of the documents it
//! belongs to, and the role table for that kind decides who may upload and download it.
//!
//! Chunks of the group's offline map package are the one kind of blob that is not a photo:
//! uploaded with `?kind=map`, stored under the group document's kind (which no photo uses), so
//! the role table lets coordinators write them and every member read them, as with the group
//! document whose map manifest lists them.

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, Request, State};
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use porchlight_model::DocKind;
use porchlight_protocol::wire::{
    BlobStored, MAP_CHUNK_KIND, MAX_BLOB, MAX_MAP_CHUNK, blob_hash, is_blob_hash,
};
use serde::Deserialize;

use super::Shared;
use super::drops::OCTET_STREAM;
use super::extract::{Auth, Cbor, body_within};
use crate::Error;
use crate::storage::{BlobKeeping, BlobOutcome, Storage};

/// The kinds of record that carry photos.
const PHOTO_KINDS: [DocKind; 2] = [DocKind::Patrol, DocKind::Alert];

/// The hash in the path, checked and decoded, with its text.
fn address(path: Result<Path<String>, PathRejection>) -> Result<(String, [u8; 32]), Error> {
    let bad = || {
        Error::BadRequest("a blob address is the 64 lowercase hex digits of its BLAKE3 hash".into())
    };
    let Path(text) = path.map_err(|_| bad())?;
    if !is_blob_hash(&text) {
        return Err(bad());
    }
    let bytes = porchlight_model::unhex(&text)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(bad)?;
    Ok((text, bytes))
}

#[derive(Deserialize)]
pub(crate) struct PutQuery {
    kind: Option<String>,
}

pub(crate) async fn put<S: Storage>(
    State(app): State<Shared<S>>,
    auth: Auth,
    path: Result<Path<String>, PathRejection>,
    query: Result<Query<PutQuery>, QueryRejection>,
    request: Request,
) -> Result<(StatusCode, Cbor<BlobStored>), Error> {
    let (hex, hash) = address(path)?;
    let kind_text = query.ok().and_then(|Query(q)| q.kind).ok_or_else(|| {
        Error::BadRequest(
            "name the kind of document the blob belongs to: ?kind=patrol (for example)".into(),
        )
    })?;
    let map_chunk = kind_text == MAP_CHUNK_KIND;
    let kind: DocKind = if map_chunk {
        DocKind::Group
    } else {
        kind_text.parse().map_err(|e| {
            let kinds: Vec<&str> = DocKind::ALL.iter().map(|k| k.as_str()).collect();
            Error::BadRequest(format!(
                "{e} (the kinds are {} and {MAP_CHUNK_KIND})",
                kinds.join(", ")
            ))
        })?
    };
    if kind == DocKind::Report {
        return Err(Error::BadRequest(
            "reports are never uploaded as blobs: a report and its photos travel sealed \
             through POST /v1/drop, so the server never holds them in the clear"
                .into(),
        ));
    }
    // Only records that carry photos take blobs: a photo filed under acknowledgements (which
    // residents may write) would otherwise be stored for the coordinators to read.
    if !map_chunk && !PHOTO_KINDS.contains(&kind) {
        return Err(Error::BadRequest(format!(
            "{kind} documents have no photos; blobs belong to patrol or alert documents"
        )));
    }
    let role = auth.member.role;
    if !role.can_write(kind) {
        return Err(Error::RoleCannotWrite { role, kind });
    }
    // Only now, with the uploader allowed to write this kind, is the body read.
    let limit = if map_chunk { MAX_MAP_CHUNK } else { MAX_BLOB };
    let limit = limit.min(app.settings.body_limit);
    // The route caps every blob at MAX_BLOB while streaming; a map chunk's smaller cap is
    // checked here, on bytes already bounded by that.
    let body = body_within(request, limit).await?;
    if body.len() > limit {
        return Err(Error::TooLarge { limit });
    }
    if body.is_empty() {
        return Err(Error::BadRequest("a blob must not be empty".into()));
    }
    // A map chunk is a slice of a SQLite file, so there is nothing to sniff; its size limit and
    // the coordinator-only write are what bound it.
    if let (false, Err(e)) = (map_chunk, porchlight_media::sniff_image(&body)) {
        return Err(Error::BadRequest(format!(
            "a blob must be a JPEG, PNG or WebP photo: {e}"
        )));
    }
    let actual = blob_hash(&body);
    if actual != hex {
        return Err(Error::HashMismatch {
            expected: hex,
            actual,
        });
    }
    let keep = BlobKeeping {
        retention: app.retention_of(app.settings.blob_retention_days),
        quota: app.settings.blob_quota_bytes,
    };
    let size = body.len() as u64;
    match app
        .storage
        .put_blob(auth.group, hash, kind, body.to_vec(), keep)
        .await?
    {
        BlobOutcome::Stored { new: true } => {
            Ok((StatusCode::CREATED, Cbor(BlobStored { new: true })))
        }
        BlobOutcome::Stored { new: false } => Ok((StatusCode::OK, Cbor(BlobStored { new: false }))),
        BlobOutcome::KindConflict { existing } => Err(Error::Conflict(format!(
            "this blob is already stored for {existing} documents; it cannot also belong to \
             {kind} documents"
        ))),
        BlobOutcome::OverQuota { used, quota } => Err(Error::OverQuota {
            needed: used + size,
            quota,
        }),
    }
}

pub(crate) async fn get<S: Storage>(
    State(app): State<Shared<S>>,
    auth: Auth,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, Error> {
    let (_, hash) = address(path)?;
    // A blob this role may not read answers exactly like a missing one, so its kind (and that
    // it exists at all) is not revealed.
    let role = auth.member.role;
    let blob = app
        .storage
        .blob(auth.group, hash)
        .await?
        .filter(|blob| role.can_read(blob.kind))
        .ok_or_else(|| Error::NotFound("this group has no blob with that hash".into()))?;
    Ok(([(CONTENT_TYPE, OCTET_STREAM)], blob.bytes).into_response())
}
