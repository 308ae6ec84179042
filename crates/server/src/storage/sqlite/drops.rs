//! Anonymous drops, photo blobs and published replies.

use porchlight_model::DocKind;
use porchlight_protocol::wire::{GroupId, StoredDrop};
use rusqlite::{Connection, OptionalExtension, params};

use super::kind_at;
use crate::Error;
use crate::storage::{BlobKeeping, BlobOutcome, Retention, StoredBlob};

pub(super) fn add_drop(
    c: &mut Connection,
    group: GroupId,
    token: &[u8],
    sealed: &[u8],
    retention: Retention,
) -> Result<u64, Error> {
    let g = &group.as_bytes()[..];
    let tx = c.transaction()?;
    let known: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM groups WHERE id = ?1)",
        [g],
        |r| r.get(0),
    )?;
    if !known {
        return Err(Error::UnknownGroup);
    }
    // The spent list and the drop commit together: a token is used up exactly when its drop is
    // kept.
    let spent = tx.execute(
        "INSERT INTO spent_tokens (group_id, message) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
        params![g, token],
    )?;
    if spent == 0 {
        return Err(Error::DropTokenSpent);
    }
    tx.execute("DELETE FROM drops WHERE day < ?1", [retention.keep_from])?;
    // Taking the number and bumping the counter in one statement also tells whether the group
    // exists.
    let seq: Option<i64> = tx
        .query_row(
            "UPDATE groups SET next_drop = next_drop + 1 WHERE id = ?1 RETURNING next_drop - 1",
            [g],
            |r| r.get(0),
        )
        .optional()?;
    let Some(seq) = seq else {
        // Dropping the transaction rolls back the deletion too: an unknown group changes nothing.
        return Err(Error::UnknownGroup);
    };
    tx.execute(
        "INSERT INTO drops (group_id, seq, day, sealed) VALUES (?1, ?2, ?3, ?4)",
        params![g, seq, retention.today, sealed],
    )?;
    tx.commit()?;
    Ok(seq as u64)
}

pub(super) fn drops_after(
    c: &Connection,
    group: GroupId,
    after: u64,
    limit: usize,
) -> Result<Vec<StoredDrop>, Error> {
    let mut stmt = c.prepare_cached(
        "SELECT seq, sealed FROM drops WHERE group_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
    )?;
    let after = i64::try_from(after).unwrap_or(i64::MAX);
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let rows = stmt.query_map(params![&group.as_bytes()[..], after, limit], |row| {
        Ok(StoredDrop {
            seq: row.get::<_, i64>(0)?.unsigned_abs(),
            sealed: row.get(1)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub(super) fn drop_count(c: &Connection, group: GroupId) -> Result<u64, Error> {
    count(c, "drops", group)
}

pub(super) fn blob_count(c: &Connection, group: GroupId) -> Result<u64, Error> {
    count(c, "blobs", group)
}

fn count(c: &Connection, table: &str, group: GroupId) -> Result<u64, Error> {
    // `table` is one of our own names, never from a request.
    let n: i64 = c.query_row(
        &format!("SELECT count(*) FROM {table} WHERE group_id = ?1"),
        [&group.as_bytes()[..]],
        |r| r.get(0),
    )?;
    Ok(n as u64)
}

pub(super) fn put_blob(
    c: &mut Connection,
    group: GroupId,
    hash: [u8; 32],
    kind: DocKind,
    bytes: &[u8],
    keep: BlobKeeping,
) -> Result<BlobOutcome, Error> {
    let g = &group.as_bytes()[..];
    let tx = c.transaction()?;
    tx.execute(
        "DELETE FROM blobs WHERE day < ?1",
        [keep.retention.keep_from],
    )?;
    let existing: Option<DocKind> = tx
        .query_row(
            "SELECT kind FROM blobs WHERE group_id = ?1 AND hash = ?2",
            params![g, &hash[..]],
            |r| kind_at(r, 0),
        )
        .optional()?;
    let outcome = match existing {
        Some(existing) if existing != kind => BlobOutcome::KindConflict { existing },
        Some(_) => {
            // Uploading again keeps a photo that is still in use for another retention period.
            tx.execute(
                "UPDATE blobs SET day = ?3 WHERE group_id = ?1 AND hash = ?2",
                params![g, &hash[..], keep.retention.today],
            )?;
            BlobOutcome::Stored { new: false }
        }
        None => {
            let used: i64 = tx.query_row(
                "SELECT COALESCE(sum(length(bytes)), 0) FROM blobs WHERE group_id = ?1",
                [g],
                |r| r.get(0),
            )?;
            let used = used.unsigned_abs();
            if used + bytes.len() as u64 > keep.quota {
                BlobOutcome::OverQuota {
                    used,
                    quota: keep.quota,
                }
            } else {
                tx.execute(
                    "INSERT INTO blobs (group_id, hash, kind, bytes, day)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![g, &hash[..], kind.as_str(), bytes, keep.retention.today],
                )?;
                BlobOutcome::Stored { new: true }
            }
        }
    };
    tx.commit()?;
    Ok(outcome)
}

pub(super) fn blob(
    c: &Connection,
    group: GroupId,
    hash: [u8; 32],
) -> Result<Option<StoredBlob>, Error> {
    Ok(c.query_row(
        "SELECT kind, bytes FROM blobs WHERE group_id = ?1 AND hash = ?2",
        params![&group.as_bytes()[..], &hash[..]],
        |r| {
            Ok(StoredBlob {
                kind: kind_at(r, 0)?,
                bytes: r.get(1)?,
            })
        },
    )
    .optional()?)
}

pub(super) fn put_reply(
    c: &mut Connection,
    id: [u8; 16],
    group: GroupId,
    bytes: &[u8],
    retention: Retention,
) -> Result<(), Error> {
    let g = &group.as_bytes()[..];
    let tx = c.transaction()?;
    let known: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM groups WHERE id = ?1)",
        [g],
        |r| r.get(0),
    )?;
    if !known {
        return Err(Error::UnknownGroup);
    }
    tx.execute("DELETE FROM replies WHERE day < ?1", [retention.keep_from])?;
    // The latest version wins. Ids are per group, so no other group can take this one.
    tx.execute(
        "INSERT INTO replies (group_id, id, day, bytes) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (group_id, id) DO UPDATE SET day = excluded.day, bytes = excluded.bytes",
        params![g, &id[..], retention.today, bytes],
    )?;
    tx.commit()?;
    Ok(())
}

pub(super) fn reply(
    c: &Connection,
    group: GroupId,
    id: [u8; 16],
) -> Result<Option<Vec<u8>>, Error> {
    Ok(c.query_row(
        "SELECT bytes FROM replies WHERE group_id = ?1 AND id = ?2",
        params![&group.as_bytes()[..], &id[..]],
        |r| r.get(0),
    )
    .optional()?)
}
