//! Snapshot rows of the change log (compaction, `storage::compact`).

use porchlight_model::{DocId, DocKind};
use porchlight_protocol::wire::GroupId;
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::{group_at, kind_at};
use crate::Error;
use crate::storage::{FoldInput, Folded, LogRow, Snapshot};

fn seq(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Columns: doc, kind, saved, folded.
fn snapshot_from(row: &Row<'_>) -> rusqlite::Result<(DocId, DocKind, Vec<u8>, Vec<u8>)> {
    Ok((
        DocId::from_bytes(row.get(0)?),
        kind_at(row, 1)?,
        row.get(2)?,
        row.get(3)?,
    ))
}

fn decode(raw: (DocId, DocKind, Vec<u8>, Vec<u8>)) -> Result<Snapshot, Error> {
    let (doc, kind, saved, folded) = raw;
    Ok(Snapshot {
        doc,
        kind,
        saved,
        folded: Folded::decode_all(&folded)?,
    })
}

pub(super) fn snapshots_in(
    c: &Connection,
    group: GroupId,
    after: u64,
    upto: u64,
    kinds: &[DocKind],
) -> Result<Vec<Snapshot>, Error> {
    let mut stmt = c.prepare_cached(
        "SELECT doc, kind, saved, folded FROM snapshots
         WHERE group_id = ?1 AND last_seq > ?2 AND first_seq <= ?3",
    )?;
    let rows = stmt
        .query_map(
            params![&group.as_bytes()[..], seq(after), seq(upto)],
            snapshot_from,
        )?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut snapshots = Vec::new();
    for raw in rows {
        if !kinds.contains(&raw.1) {
            continue;
        }
        let snapshot = decode(raw)?;
        if snapshot.folds_between(after, upto) {
            snapshots.push(snapshot);
        }
    }
    Ok(snapshots)
}

pub(super) fn candidates(
    c: &Connection,
    keep: u64,
    min: u64,
    limit: usize,
) -> Result<Vec<(GroupId, DocId, u64)>, Error> {
    let mut stmt = c.prepare_cached(
        "SELECT c.group_id, c.doc, g.next_seq - 1 - ?1 AS upto
         FROM changes c JOIN groups g ON g.id = c.group_id
         WHERE c.seq <= g.next_seq - 1 - ?1
         GROUP BY c.group_id, c.doc
         HAVING count(*) >= ?2
         LIMIT ?3",
    )?;
    let rows = stmt.query_map(
        params![
            seq(keep),
            seq(min.max(1)),
            i64::try_from(limit).unwrap_or(i64::MAX)
        ],
        |r| {
            Ok((
                group_at(r, 0)?,
                DocId::from_bytes(r.get(1)?),
                r.get::<_, i64>(2)?.unsigned_abs(),
            ))
        },
    )?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub(super) fn fold_input(
    c: &mut Connection,
    group: GroupId,
    doc: DocId,
    upto: u64,
) -> Result<Option<FoldInput>, Error> {
    let (g, d) = (&group.as_bytes()[..], &doc.as_bytes()[..]);
    // One read transaction: the rows and the snapshot as one state of the database.
    let tx = c.transaction()?;
    let Some(kind) = super::log::doc_kind(&tx, group, doc)? else {
        return Ok(None);
    };
    let previous = tx
        .query_row(
            "SELECT doc, kind, saved, folded FROM snapshots WHERE group_id = ?1 AND doc = ?2",
            params![g, d],
            snapshot_from,
        )
        .optional()?
        .map(decode)
        .transpose()?;
    let rows = {
        let mut stmt = tx.prepare_cached(
            "SELECT seq, hash, bytes, signature FROM changes
             WHERE group_id = ?1 AND doc = ?2 AND seq <= ?3 ORDER BY seq",
        )?;
        stmt.query_map(params![g, d, seq(upto)], |r| {
            Ok(LogRow {
                seq: r.get::<_, i64>(0)?.unsigned_abs(),
                hash: r.get(1)?,
                bytes: r.get(2)?,
                signature: r.get::<_, [u8; 64]>(3).unwrap_or([0; 64]),
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?
    };
    tx.commit()?;
    Ok(Some(FoldInput {
        kind,
        previous,
        rows,
    }))
}

pub(super) fn replace(
    c: &mut Connection,
    group: GroupId,
    snapshot: &Snapshot,
    rows: &[u64],
    previous_last: Option<u64>,
) -> Result<bool, Error> {
    let (g, d) = (&group.as_bytes()[..], &snapshot.doc.as_bytes()[..]);
    let tx = c.transaction()?;
    let current: Option<i64> = tx
        .query_row(
            "SELECT last_seq FROM snapshots WHERE group_id = ?1 AND doc = ?2",
            params![g, d],
            |r| r.get(0),
        )
        .optional()?;
    if current.map(i64::unsigned_abs) != previous_last {
        return Ok(false);
    }
    let mut deleted = 0;
    {
        let mut delete =
            tx.prepare_cached("DELETE FROM changes WHERE group_id = ?1 AND seq = ?2 AND doc = ?3")?;
        for &n in rows {
            deleted += delete.execute(params![g, seq(n), d])?;
        }
    }
    if deleted != rows.len() {
        // Dropping the transaction rolls the deletes back.
        return Ok(false);
    }
    tx.execute(
        "INSERT OR REPLACE INTO snapshots
         (group_id, doc, kind, first_seq, last_seq, n_changes, saved, folded)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            g,
            d,
            snapshot.kind.as_str(),
            seq(snapshot.first_seq()),
            seq(snapshot.last_seq()),
            seq(snapshot.folded.len() as u64),
            snapshot.saved,
            Folded::encode_all(&snapshot.folded),
        ],
    )?;
    tx.commit()?;
    Ok(true)
}
