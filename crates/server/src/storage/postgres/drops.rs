//! Anonymous drops, drop tokens, photo blobs and published replies.

use deadpool_postgres::{GenericClient, Object};
use porchlight_model::{DeviceId, DocKind};
use porchlight_protocol::wire::{GroupId, StoredDrop};

use super::{kind_at, seq_at, sql_seq};
use crate::Error;
use crate::storage::{BlobKeeping, BlobOutcome, Retention, StoredBlob, TokenKeyRecord};

/// Locks the group's row until the transaction ends (so a group's quota, counters and
/// allowances are checked and changed by one instance at a time); [`Error::UnknownGroup`] when
/// there is no such group.
async fn lock_group(
    c: &impl GenericClient,
    g: &[u8],
    columns: &str,
) -> Result<tokio_postgres::Row, Error> {
    c.query_opt(
        &format!("SELECT {columns} FROM groups WHERE id = $1 FOR UPDATE"),
        &[&g],
    )
    .await?
    .ok_or(Error::UnknownGroup)
}

pub(super) async fn count(
    c: &impl GenericClient,
    table: &str,
    group: GroupId,
) -> Result<u64, Error> {
    // `table` is one of our own names, never from a request.
    let n: i64 = c
        .query_one(
            &format!("SELECT count(*) FROM {table} WHERE group_id = $1"),
            &[&&group.as_bytes()[..]],
        )
        .await?
        .try_get(0)?;
    Ok(n.unsigned_abs())
}

pub(super) async fn add_drop(
    c: &mut Object,
    group: GroupId,
    token: &[u8],
    sealed: &[u8],
    retention: Retention,
) -> Result<u64, Error> {
    let g = &group.as_bytes()[..];
    let tx = c.transaction().await?;
    let row = lock_group(&tx, g, "next_drop").await?;
    let seq: i64 = row.try_get(0)?;
    // The spent list and the drop commit together: a token is used up exactly when its drop is
    // kept. A second instance spending the same token at once waits on the key and finds it.
    let spent = tx
        .execute(
            "INSERT INTO spent_tokens (group_id, message) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            &[&g, &token],
        )
        .await?;
    if spent == 0 {
        return Err(Error::DropTokenSpent);
    }
    tx.execute("DELETE FROM drops WHERE day < $1", &[&retention.keep_from])
        .await?;
    tx.execute(
        "UPDATE groups SET next_drop = next_drop + 1 WHERE id = $1",
        &[&g],
    )
    .await?;
    tx.execute(
        "INSERT INTO drops (group_id, seq, day, sealed) VALUES ($1, $2, $3, $4)",
        &[&g, &seq, &retention.today, &sealed],
    )
    .await?;
    tx.commit().await?;
    Ok(seq.unsigned_abs())
}

pub(super) async fn drops_after(
    c: &impl GenericClient,
    group: GroupId,
    after: u64,
    limit: usize,
) -> Result<Vec<StoredDrop>, Error> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let rows = c
        .query(
            "SELECT seq, sealed FROM drops WHERE group_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
            &[&&group.as_bytes()[..], &sql_seq(after), &limit],
        )
        .await?;
    rows.iter()
        .map(|row| {
            Ok(StoredDrop {
                seq: seq_at(row, 0)?,
                sealed: row.try_get(1)?,
            })
        })
        .collect()
}

pub(super) async fn token_key(
    c: &impl GenericClient,
    group: GroupId,
) -> Result<Option<TokenKeyRecord>, Error> {
    let row = c
        .query_opt(
            "SELECT secret_der, public_der FROM token_keys WHERE group_id = $1",
            &[&&group.as_bytes()[..]],
        )
        .await?;
    row.map(|r| {
        Ok(TokenKeyRecord {
            secret_der: r.try_get(0)?,
            public_der: r.try_get(1)?,
        })
    })
    .transpose()
}

pub(super) async fn put_token_key(
    c: &mut Object,
    group: GroupId,
    key: &TokenKeyRecord,
) -> Result<TokenKeyRecord, Error> {
    let g = &group.as_bytes()[..];
    let tx = c.transaction().await?;
    lock_group(&tx, g, "1").await?;
    tx.execute(
        "INSERT INTO token_keys (group_id, secret_der, public_der) VALUES ($1, $2, $3)
         ON CONFLICT DO NOTHING",
        &[&g, &key.secret_der, &key.public_der],
    )
    .await?;
    let stored = token_key(&tx, group).await?.ok_or(Error::UnknownGroup)?;
    tx.commit().await?;
    Ok(stored)
}

pub(super) async fn take_allowance(
    c: &mut Object,
    group: GroupId,
    device: DeviceId,
    day: i64,
    want: u32,
    per_day: u32,
) -> Result<(u32, u32), Error> {
    let (g, d) = (&group.as_bytes()[..], &device.as_bytes()[..]);
    let tx = c.transaction().await?;
    // Without the lock, two requests on two instances could both see the same count and each
    // grant the rest of the day's allowance.
    lock_group(&tx, g, "1").await?;
    // Yesterday's counts are of no use any more.
    tx.execute("DELETE FROM token_issues WHERE day < $1", &[&day])
        .await?;
    let issued: i64 = tx
        .query_opt(
            "SELECT issued FROM token_issues WHERE group_id = $1 AND device = $2 AND day = $3",
            &[&g, &d, &day],
        )
        .await?
        .map(|r| r.try_get(0))
        .transpose()?
        .unwrap_or(0);
    let issued = u32::try_from(issued.max(0)).unwrap_or(u32::MAX);
    let left = per_day.saturating_sub(issued);
    let granted = want.min(left);
    if granted > 0 {
        tx.execute(
            "INSERT INTO token_issues (group_id, device, day, issued) VALUES ($1, $2, $3, $4)
             ON CONFLICT (group_id, device, day)
             DO UPDATE SET issued = token_issues.issued + excluded.issued",
            &[&g, &d, &day, &i64::from(granted)],
        )
        .await?;
    }
    tx.commit().await?;
    Ok((granted, left - granted))
}

pub(super) async fn put_blob(
    c: &mut Object,
    group: GroupId,
    hash: [u8; 32],
    kind: DocKind,
    bytes: &[u8],
    keep: BlobKeeping,
) -> Result<BlobOutcome, Error> {
    let (g, h) = (&group.as_bytes()[..], &hash[..]);
    let tx = c.transaction().await?;
    // The quota is checked and used under the group's lock, so two uploads on two instances
    // cannot both fit into the last free bytes.
    lock_group(&tx, g, "1").await?;
    tx.execute(
        "DELETE FROM blobs WHERE day < $1",
        &[&keep.retention.keep_from],
    )
    .await?;
    let existing = tx
        .query_opt(
            "SELECT kind FROM blobs WHERE group_id = $1 AND hash = $2",
            &[&g, &h],
        )
        .await?
        .map(|r| kind_at(&r, 0))
        .transpose()?;
    let outcome = match existing {
        Some(existing) if existing != kind => BlobOutcome::KindConflict { existing },
        Some(_) => {
            // Uploading again keeps a photo that is still in use for another retention period.
            tx.execute(
                "UPDATE blobs SET day = $3 WHERE group_id = $1 AND hash = $2",
                &[&g, &h, &keep.retention.today],
            )
            .await?;
            BlobOutcome::Stored { new: false }
        }
        None => {
            let used: i64 = tx
                .query_one(
                    "SELECT COALESCE(sum(octet_length(bytes)), 0)::BIGINT FROM blobs
                     WHERE group_id = $1",
                    &[&g],
                )
                .await?
                .try_get(0)?;
            let used = used.unsigned_abs();
            if used + bytes.len() as u64 > keep.quota {
                BlobOutcome::OverQuota {
                    used,
                    quota: keep.quota,
                }
            } else {
                tx.execute(
                    "INSERT INTO blobs (group_id, hash, kind, bytes, day) VALUES ($1, $2, $3, $4, $5)",
                    &[&g, &h, &kind.as_str(), &bytes, &keep.retention.today],
                )
                .await?;
                BlobOutcome::Stored { new: true }
            }
        }
    };
    tx.commit().await?;
    Ok(outcome)
}

pub(super) async fn blob(
    c: &impl GenericClient,
    group: GroupId,
    hash: [u8; 32],
) -> Result<Option<StoredBlob>, Error> {
    let row = c
        .query_opt(
            "SELECT kind, bytes FROM blobs WHERE group_id = $1 AND hash = $2",
            &[&&group.as_bytes()[..], &&hash[..]],
        )
        .await?;
    row.map(|r| {
        Ok(StoredBlob {
            kind: kind_at(&r, 0)?,
            bytes: r.try_get(1)?,
        })
    })
    .transpose()
}

pub(super) async fn put_reply(
    c: &mut Object,
    id: [u8; 16],
    group: GroupId,
    bytes: &[u8],
    retention: Retention,
) -> Result<(), Error> {
    let g = &group.as_bytes()[..];
    let tx = c.transaction().await?;
    if tx
        .query_opt("SELECT 1 FROM groups WHERE id = $1", &[&g])
        .await?
        .is_none()
    {
        return Err(Error::UnknownGroup);
    }
    tx.execute(
        "DELETE FROM replies WHERE day < $1",
        &[&retention.keep_from],
    )
    .await?;
    // The latest version wins. Ids are per group, so no other group can take this one.
    tx.execute(
        "INSERT INTO replies (group_id, id, day, bytes) VALUES ($1, $2, $3, $4)
         ON CONFLICT (group_id, id) DO UPDATE SET day = excluded.day, bytes = excluded.bytes",
        &[&g, &&id[..], &retention.today, &bytes],
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub(super) async fn reply(
    c: &impl GenericClient,
    group: GroupId,
    id: [u8; 16],
) -> Result<Option<Vec<u8>>, Error> {
    let row = c
        .query_opt(
            "SELECT bytes FROM replies WHERE group_id = $1 AND id = $2",
            &[&&group.as_bytes()[..], &&id[..]],
        )
        .await?;
    Ok(row.map(|r| r.try_get(0)).transpose()?)
}
