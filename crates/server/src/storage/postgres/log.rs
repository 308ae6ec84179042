//! The change log: append with per-group sequence numbers, pull by cursor.

use deadpool_postgres::{GenericClient, Object};
use porchlight_model::{DeviceId, DocId, DocKind};
use porchlight_protocol::wire::GroupId;

use super::{CHANNEL, corrupt, doc_at, kind_at, seq_at, sql_seq};
use crate::Error;
use crate::storage::compact::folded_hashes;
use crate::storage::{PulledChange, PushDoc, PushOutcome, StoredDoc};

fn kind_names(kinds: &[DocKind]) -> Vec<&'static str> {
    kinds.iter().map(|k| k.as_str()).collect()
}

pub(super) async fn latest_seq(c: &impl GenericClient, group: GroupId) -> Result<u64, Error> {
    let row = c
        .query_opt(
            "SELECT next_seq FROM groups WHERE id = $1",
            &[&&group.as_bytes()[..]],
        )
        .await?;
    Ok(match row {
        Some(row) => row
            .try_get::<_, i64>(0)?
            .saturating_sub(1)
            .max(0)
            .unsigned_abs(),
        None => 0,
    })
}

pub(super) async fn latest_seq_of(
    c: &impl GenericClient,
    group: GroupId,
    kinds: &[DocKind],
) -> Result<u64, Error> {
    if kinds.is_empty() {
        return Ok(0);
    }
    // One index probe per kind (newest first on (group, kind, seq)); `kind = ANY(..)` would
    // make PostgreSQL read every change of those kinds. Folded changes count too: a cursor must
    // not go back when its newest changes are folded.
    let stmt = c
        .prepare_cached(
            "SELECT greatest(
                 (SELECT max((SELECT max(seq) FROM changes WHERE group_id = $1 AND kind = k))
                  FROM unnest($2::text[]) AS k),
                 (SELECT max(last_seq) FROM snapshots
                  WHERE group_id = $1 AND kind = ANY($2::text[])))",
        )
        .await?;
    let row = c
        .query_one(&stmt, &[&&group.as_bytes()[..], &kind_names(kinds)])
        .await?;
    Ok(row
        .try_get::<_, Option<i64>>(0)?
        .map_or(0, i64::unsigned_abs))
}

pub(super) async fn changes_after(
    c: &impl GenericClient,
    group: GroupId,
    after: u64,
    kinds: &[DocKind],
    limit: usize,
) -> Result<Vec<PulledChange>, Error> {
    let stmt = c
        .prepare_cached(
            "SELECT seq, doc, kind, bytes, signature FROM changes
             WHERE group_id = $1 AND seq > $2 AND kind = ANY($3::text[])
             ORDER BY seq LIMIT $4",
        )
        .await?;
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let rows = c
        .query(
            &stmt,
            &[
                &&group.as_bytes()[..],
                &sql_seq(after),
                &kind_names(kinds),
                &limit,
            ],
        )
        .await?;
    rows.iter()
        .map(|row| {
            Ok(PulledChange {
                seq: seq_at(row, 0)?,
                doc: doc_at(row, 1)?,
                kind: kind_at(row, 2)?,
                bytes: row.try_get(3)?,
                signature: row
                    .try_get::<_, &[u8]>(4)?
                    .try_into()
                    .map_err(|_| corrupt("signature"))?,
            })
        })
        .collect()
}

/// The kind a document of the group was first pushed with; `None` when it has no such document.
pub(super) async fn doc_kind(
    c: &impl GenericClient,
    group: GroupId,
    doc: DocId,
) -> Result<Option<DocKind>, Error> {
    c.query_opt(
        "SELECT kind FROM docs WHERE group_id = $1 AND doc = $2",
        &[&&group.as_bytes()[..], &&doc.as_bytes()[..]],
    )
    .await?
    .map(|row| kind_at(&row, 0))
    .transpose()
}

pub(super) async fn doc_changes(
    c: &impl GenericClient,
    group: GroupId,
    doc: DocId,
) -> Result<Option<StoredDoc>, Error> {
    let (g, d) = (&group.as_bytes()[..], &doc.as_bytes()[..]);
    let Some(kind) = doc_kind(c, group, doc).await? else {
        return Ok(None);
    };
    let rows = c
        .query(
            "SELECT bytes FROM changes WHERE group_id = $1 AND doc = $2 ORDER BY seq",
            &[&g, &d],
        )
        .await?;
    let changes = rows
        .iter()
        .map(|r| r.try_get::<_, Vec<u8>>(0))
        .collect::<Result<_, _>>()?;
    let snapshot = c
        .query_opt(
            "SELECT saved FROM snapshots WHERE group_id = $1 AND doc = $2",
            &[&g, &d],
        )
        .await?
        .map(|r| r.try_get::<_, Vec<u8>>(0))
        .transpose()?;
    Ok(Some(StoredDoc {
        kind,
        snapshot,
        changes,
    }))
}

pub(super) async fn push(
    c: &mut Object,
    group: GroupId,
    device: DeviceId,
    docs: &[PushDoc],
) -> Result<Vec<PushOutcome>, Error> {
    let g = &group.as_bytes()[..];
    let dev = &device.as_bytes()[..];
    let tx = c.transaction().await?;
    // The group's row is locked until commit: pushes to one group take their numbers one after
    // the other and commit in that order, so a reader never sees number n+1 before n.
    let Some(row) = tx
        .query_opt(
            "SELECT next_seq FROM groups WHERE id = $1 FOR UPDATE",
            &[&g],
        )
        .await?
    else {
        return Err(Error::UnknownGroup);
    };
    let mut next: i64 = row.try_get(0)?;
    let kind_of = tx
        .prepare_cached("SELECT kind FROM docs WHERE group_id = $1 AND doc = $2")
        .await?;
    let add_doc = tx
        .prepare_cached("INSERT INTO docs (group_id, doc, kind) VALUES ($1, $2, $3)")
        .await?;
    let folded_of = tx
        .prepare_cached("SELECT folded FROM snapshots WHERE group_id = $1 AND doc = $2")
        .await?;
    let add_change = tx
        .prepare_cached(
            "INSERT INTO changes (group_id, seq, doc, hash, kind, bytes, device, signature)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
        )
        .await?;
    let mut outcomes = Vec::with_capacity(docs.len());
    for doc in docs {
        let d = &doc.doc.as_bytes()[..];
        let mut folded = std::collections::HashSet::new();
        match tx.query_opt(&kind_of, &[&g, &d]).await? {
            Some(row) => {
                let kind = kind_at(&row, 0)?;
                if kind != doc.kind {
                    outcomes.push(PushOutcome::KindConflict { existing: kind });
                    continue;
                }
                let index: Option<Vec<u8>> = tx
                    .query_opt(&folded_of, &[&g, &d])
                    .await?
                    .map(|r| r.try_get(0))
                    .transpose()?;
                folded = folded_hashes(index.as_deref())?;
            }
            None => {
                tx.execute(&add_doc, &[&g, &d, &doc.kind.as_str()]).await?;
            }
        }
        let mut new = 0u32;
        for change in &doc.changes {
            if folded.contains(&change.hash) {
                continue;
            }
            let inserted = tx
                .execute(
                    &add_change,
                    &[
                        &g,
                        &next,
                        &d,
                        &&change.hash[..],
                        &doc.kind.as_str(),
                        &change.bytes,
                        &dev,
                        &&change.signature[..],
                    ],
                )
                .await?;
            if inserted == 1 {
                next += 1;
                new += 1;
            }
        }
        outcomes.push(PushOutcome::Stored { new });
    }
    tx.execute(
        "UPDATE groups SET next_seq = $2 WHERE id = $1",
        &[&g, &next],
    )
    .await?;
    if outcomes
        .iter()
        .any(|o| matches!(o, PushOutcome::Stored { new } if *new > 0))
    {
        // Delivered to every listening instance when (and only if) this transaction commits.
        tx.execute("SELECT pg_notify($1, $2)", &[&CHANNEL, &group.to_string()])
            .await?;
    }
    tx.commit().await?;
    Ok(outcomes)
}
