//! `POST /v1/sync` and `GET /v1/wait`.
//!
//! Policy for pushed changes: anything malformed or forged (not a plain change chunk, bad
//! checksum, too big, another actor's change) refuses the whole request with 400 and stores
//! nothing, because an honest client never sends it and half-applying a broken batch would hide
//! the bug. Permission refusals (the role may not write that kind, or the document already has
//! another kind) refuse only that document's changes and are listed in `rejected`: they can
//! happen to an honest client whose role just changed, and the rest of its outbox must still go.

use std::time::{Duration, Instant};

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use std::collections::HashMap;

use porchlight_model::{DeviceId, DocKind, Role};
use porchlight_protocol::check_change;
use porchlight_protocol::wire::{
    DocChanges, GroupId, Member, Rejected, SignedChange, SyncRequest, SyncResponse, WaitResponse,
};
use serde::Deserialize;
use serde_bytes::ByteBuf;

use super::Shared;
use super::extract::{Auth, Cbor};
use crate::Error;
use crate::storage::{
    PageLimits, PulledChange, PushChange, PushDoc, PushOutcome, Storage, pull_after,
};

/// Checks every pushed change; the first bad one refuses the request. Each change must be a plain
/// change chunk written (as its actor) and signed by a current member of the group: the server
/// verifies authorship from the signature, not from who uploaded it, so a relay can pass on
/// other members' changes but nobody can write in another member's name.
fn validate(
    push: Vec<DocChanges>,
    group: GroupId,
    authors: &HashMap<DeviceId, Member>,
    max_len: usize,
) -> Result<Vec<(PushDoc, Role)>, Error> {
    let mut docs = Vec::with_capacity(push.len());
    for doc in push {
        let mut changes = Vec::with_capacity(doc.changes.len());
        let mut author_role = None;
        for (index, change) in doc.changes.into_iter().enumerate() {
            let checked = check_change(change.bytes(), None, max_len).map_err(|problem| {
                Error::BadChange {
                    doc: doc.doc,
                    index,
                    problem,
                }
            })?;
            let author = DeviceId::from_slice(&checked.actor)
                .ok()
                .and_then(|d| authors.get(&d))
                .filter(|m| m.revoked_at.is_none())
                .ok_or(Error::UnknownAuthor {
                    doc: doc.doc,
                    index,
                })?;
            if !change.verify(&author.public_key, &group, doc.doc, doc.kind, &checked.hash) {
                return Err(Error::UnsignedChange {
                    doc: doc.doc,
                    index,
                });
            }
            // A document's changes are judged by the weakest role among their authors.
            author_role = Some(author_role.map_or(author.role, |r: Role| r.min(author.role)));
            let (bytes, signature) = change.into_parts();
            changes.push(PushChange {
                hash: checked.hash,
                bytes,
                signature,
            });
        }
        if let Some(role) = author_role {
            docs.push((
                PushDoc {
                    doc: doc.doc,
                    kind: doc.kind,
                    changes,
                },
                role,
            ));
        }
    }
    Ok(docs)
}

pub(crate) fn reject_all(doc: &PushDoc, reason: &str, into: &mut Vec<Rejected>) {
    into.extend(doc.changes.iter().map(|change| Rejected {
        doc: doc.doc,
        hash: ByteBuf::from(change.hash.to_vec()),
        reason: reason.to_owned(),
    }));
}

/// Groups consecutive changes of the same document, keeping log order.
fn group_by_doc(changes: Vec<PulledChange>) -> Vec<DocChanges> {
    let mut out: Vec<DocChanges> = Vec::new();
    for change in changes {
        match out.last_mut() {
            Some(last) if last.doc == change.doc => last
                .changes
                .push(SignedChange::from_parts(change.bytes, change.signature)),
            _ => out.push(DocChanges::new(
                change.doc,
                change.kind,
                [SignedChange::from_parts(change.bytes, change.signature)],
            )),
        }
    }
    out
}

pub(crate) async fn sync<S: Storage>(
    State(app): State<Shared<S>>,
    auth: Auth,
    Cbor(req): Cbor<SyncRequest>,
) -> Result<Cbor<SyncResponse>, Error> {
    let (group, device, role) = (auth.group, auth.member.device, auth.member.role);
    let max_change = app.settings.max_change_bytes;
    let authors: HashMap<DeviceId, Member> = if req.push.is_empty() {
        HashMap::new()
    } else {
        app.storage
            .members(group)
            .await?
            .into_iter()
            .map(|m| (m.device, m))
            .collect()
    };
    // Parsing Automerge is CPU work on untrusted bytes: keep it off the async workers. A poll
    // pushes nothing and skips the hop.
    let pushed = if req.push.is_empty() {
        Vec::new()
    } else {
        tokio::task::spawn_blocking(move || validate(req.push, group, &authors, max_change))
            .await??
    };

    let mut rejected = Vec::new();
    let mut allowed = Vec::new();
    for (doc, author_role) in pushed {
        let role = author_role;
        if role.can_write(doc.kind) {
            allowed.push(doc);
        } else {
            let reason = Error::RoleCannotWrite {
                role,
                kind: doc.kind,
            }
            .to_string();
            reject_all(&doc, &reason, &mut rejected);
        }
    }
    let (allowed, refused) = super::content::check(&app.storage, group, allowed).await?;
    rejected.extend(refused);
    // Keep what is needed to report on each document; the bytes move into storage.
    let summary: Vec<PushDoc> = allowed
        .iter()
        .map(|d| PushDoc {
            doc: d.doc,
            kind: d.kind,
            changes: d
                .changes
                .iter()
                .map(|c| PushChange {
                    hash: c.hash,
                    bytes: Vec::new(),
                    signature: c.signature,
                })
                .collect(),
        })
        .collect();
    let mut accepted = 0u32;
    if !allowed.is_empty() {
        let outcomes = app.storage.push(group, device, allowed).await?;
        for (doc, outcome) in summary.iter().zip(outcomes) {
            match outcome {
                PushOutcome::Stored { .. } => {
                    // The storage wakes the group's long-polls itself when `new > 0`.
                    accepted += doc.changes.len() as u32;
                }
                PushOutcome::KindConflict { existing } => {
                    let reason = format!(
                        "document {} is a {existing} document; it cannot take {} changes",
                        doc.doc, doc.kind
                    );
                    reject_all(doc, &reason, &mut rejected);
                }
            }
        }
    }
    let readable = readable_kinds(role);
    let limits = PageLimits {
        max_changes: app.settings.page_changes,
        max_bytes: app.settings.page_bytes,
    };
    let latest = newest(&app, group, req.cursor, &readable).await?;
    let page = pull_after(&app.storage, group, req.cursor, readable, limits, latest).await?;
    Ok(Cbor(SyncResponse {
        accepted,
        rejected,
        pull: group_by_doc(page.changes),
        cursor: page.cursor,
        more: page.more,
    }))
}

/// The newest number of `kinds` in `group`: from this instance's cache when it says the device at
/// `cursor` is up to date, else from the database (and kept). A cached number is only ever
/// trusted to say "nothing new": a device whose cursor differs reads the database, so a stale
/// number never moves a cursor back (which would send changes twice) nor forward.
async fn newest<S: Storage>(
    app: &Shared<S>,
    group: GroupId,
    cursor: u64,
    kinds: &[DocKind],
) -> Result<u64, Error> {
    let now = Instant::now();
    // Taken before the database is read: a push landing meanwhile moves it on.
    let stamp = app.storage.wakeups().log_stamp(group);
    if let Some(stamp) = stamp
        && app.caches.newest(group, kinds, stamp, now) == Some(cursor)
    {
        return Ok(cursor);
    }
    let latest = app.storage.latest_seq_of(group, kinds.to_vec()).await?;
    if let Some(stamp) = stamp {
        app.caches.keep_newest(group, kinds, latest, stamp, now);
    }
    Ok(latest)
}

fn readable_kinds(role: Role) -> Vec<DocKind> {
    DocKind::ALL
        .into_iter()
        .filter(|k| role.can_read(*k))
        .collect()
}

#[derive(Deserialize)]
pub(crate) struct WaitQuery {
    cursor: u64,
    timeout: Option<u64>,
}

pub(crate) async fn wait<S: Storage>(
    State(app): State<Shared<S>>,
    auth: Auth,
    query: Result<Query<WaitQuery>, QueryRejection>,
) -> Result<Cbor<WaitResponse>, Error> {
    let Query(q) = query.map_err(|e| {
        Error::BadRequest(format!(
            "wait takes ?cursor=N&timeout=SECONDS ({})",
            e.body_text()
        ))
    })?;
    let max = app.settings.max_wait_secs;
    let deadline =
        tokio::time::Instant::now() + Duration::from_secs(q.timeout.unwrap_or(max).min(max));
    let notify = app.storage.wakeup(auth.group);
    let mut stopping = app.stopping.clone();
    loop {
        // Register before looking at the log, so a push landing in between still wakes us.
        let notified = notify.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        // Only changes this role may read count: the cursor must not tell a resident when
        // others' patrols ran.
        let latest = app
            .storage
            .latest_seq_of(auth.group, readable_kinds(auth.member.role))
            .await?;
        // A cursor ahead of the log means the server's log was reset: answer at once so the
        // client syncs and learns the real cursor.
        if latest != q.cursor {
            return Ok(Cbor(WaitResponse {
                cursor: latest,
                changed: true,
            }));
        }
        if *stopping.borrow() {
            return Ok(Cbor(WaitResponse {
                cursor: latest,
                changed: false,
            }));
        }
        tokio::select! {
            () = &mut notified => {}
            () = tokio::time::sleep_until(deadline) => {
                return Ok(Cbor(WaitResponse { cursor: latest, changed: false }));
            }
            _ = stopping.changed() => {
                return Ok(Cbor(WaitResponse { cursor: latest, changed: false }));
            }
        }
    }
}
