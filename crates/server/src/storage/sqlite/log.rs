//! The change log: append with per-group sequence numbers, pull by cursor.

use porchlight_model::{DeviceId, DocId, DocKind};
use porchlight_protocol::wire::GroupId;
use rusqlite::{Connection, OptionalExtension, params};

use super::kind_at;
use crate::Error;
use crate::storage::compact::folded_hashes;
use crate::storage::{PulledChange, PushDoc, PushOutcome, StoredDoc};

pub(super) fn latest_seq(c: &Connection, group: GroupId) -> Result<u64, Error> {
    let next: Option<i64> = c
        .query_row(
            "SELECT next_seq FROM groups WHERE id = ?1",
            [&group.as_bytes()[..]],
            |r| r.get(0),
        )
        .optional()?;
    Ok(next.map_or(0, |n| (n - 1).max(0) as u64))
}

/// Kinds come from our own enum, never from the request, so inlining them is safe.
fn kinds_sql(kinds: &[DocKind]) -> String {
    kinds
        .iter()
        .map(|k| format!("'{}'", k.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(super) fn latest_seq_of(
    c: &Connection,
    group: GroupId,
    kinds: &[DocKind],
) -> Result<u64, Error> {
    if kinds.is_empty() {
        return Ok(0);
    }
    // Folded changes count too: a cursor must not go back when its newest changes are folded.
    let seq: Option<i64> = c.query_row(
        &format!(
            "SELECT max(m) FROM (
                 SELECT max(seq) AS m FROM changes WHERE group_id = ?1 AND kind IN ({0})
                 UNION ALL
                 SELECT max(last_seq) FROM snapshots WHERE group_id = ?1 AND kind IN ({0}))",
            kinds_sql(kinds)
        ),
        [&group.as_bytes()[..]],
        |r| r.get(0),
    )?;
    Ok(seq.map_or(0, i64::unsigned_abs))
}

/// The kind a document of the group was first pushed with; `None` when it has no such document.
pub(super) fn doc_kind(
    c: &Connection,
    group: GroupId,
    doc: DocId,
) -> Result<Option<DocKind>, Error> {
    Ok(c.query_row(
        "SELECT kind FROM docs WHERE group_id = ?1 AND doc = ?2",
        params![&group.as_bytes()[..], &doc.as_bytes()[..]],
        |r| kind_at(r, 0),
    )
    .optional()?)
}

pub(super) fn doc_changes(
    c: &Connection,
    group: GroupId,
    doc: DocId,
) -> Result<Option<StoredDoc>, Error> {
    let (g, d) = (&group.as_bytes()[..], &doc.as_bytes()[..]);
    let Some(kind) = doc_kind(c, group, doc)? else {
        return Ok(None);
    };
    let mut stmt = c.prepare_cached(
        "SELECT bytes FROM changes WHERE group_id = ?1 AND doc = ?2 ORDER BY seq",
    )?;
    let changes = stmt
        .query_map(params![g, d], |r| r.get(0))?
        .collect::<rusqlite::Result<Vec<Vec<u8>>>>()?;
    let snapshot = c
        .query_row(
            "SELECT saved FROM snapshots WHERE group_id = ?1 AND doc = ?2",
            params![g, d],
            |r| r.get(0),
        )
        .optional()?;
    Ok(Some(StoredDoc {
        kind,
        snapshot,
        changes,
    }))
}

pub(super) fn push(
    c: &mut Connection,
    group: GroupId,
    device: DeviceId,
    docs: &[PushDoc],
) -> Result<Vec<PushOutcome>, Error> {
    let g = &group.as_bytes()[..];
    let tx = c.transaction()?;
    // The sequence number comes from the group row inside this transaction, so numbers are
    // handed out in commit order with no gaps (what a cursor needs).
    let mut next: i64 = tx.query_row("SELECT next_seq FROM groups WHERE id = ?1", [g], |r| {
        r.get(0)
    })?;
    let mut outcomes = Vec::with_capacity(docs.len());
    {
        let mut kind_of = tx.prepare("SELECT kind FROM docs WHERE group_id = ?1 AND doc = ?2")?;
        let mut add_doc =
            tx.prepare("INSERT INTO docs (group_id, doc, kind) VALUES (?1, ?2, ?3)")?;
        let mut folded_of =
            tx.prepare("SELECT folded FROM snapshots WHERE group_id = ?1 AND doc = ?2")?;
        let mut add_change = tx.prepare(
            "INSERT OR IGNORE INTO changes (group_id, seq, doc, hash, kind, bytes, device, signature)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?;
        for doc in docs {
            let d = &doc.doc.as_bytes()[..];
            let existing: Option<DocKind> = kind_of
                .query_row(params![g, d], |r| kind_at(r, 0))
                .optional()?;
            let mut folded = std::collections::HashSet::new();
            match existing {
                Some(kind) if kind != doc.kind => {
                    outcomes.push(PushOutcome::KindConflict { existing: kind });
                    continue;
                }
                Some(_) => {
                    let index: Option<Vec<u8>> = folded_of
                        .query_row(params![g, d], |r| r.get(0))
                        .optional()?;
                    folded = folded_hashes(index.as_deref())?;
                }
                None => {
                    add_doc.execute(params![g, d, doc.kind.as_str()])?;
                }
            }
            let mut new = 0u32;
            for change in &doc.changes {
                if folded.contains(&change.hash) {
                    continue;
                }
                let inserted = add_change.execute(params![
                    g,
                    next,
                    d,
                    &change.hash[..],
                    doc.kind.as_str(),
                    change.bytes,
                    &device.as_bytes()[..],
                    &change.signature[..]
                ])?;
                if inserted == 1 {
                    next += 1;
                    new += 1;
                }
            }
            outcomes.push(PushOutcome::Stored { new });
        }
    }
    tx.execute(
        "UPDATE groups SET next_seq = ?2 WHERE id = ?1",
        params![g, next],
    )?;
    tx.commit()?;
    Ok(outcomes)
}

pub(super) fn changes_after(
    c: &Connection,
    group: GroupId,
    after: u64,
    kinds: &[DocKind],
    limit: usize,
) -> Result<Vec<PulledChange>, Error> {
    // The index on (group, kind, seq) skips the changes of other kinds instead of reading them.
    let mut stmt = c.prepare_cached(&format!(
        "SELECT seq, doc, kind, bytes, signature FROM changes
         WHERE group_id = ?1 AND seq > ?2 AND kind IN ({})
         ORDER BY seq LIMIT ?3",
        kinds_sql(kinds)
    ))?;
    let after = i64::try_from(after).unwrap_or(i64::MAX);
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let rows = stmt.query_map(params![&group.as_bytes()[..], after, limit], |row| {
        Ok(PulledChange {
            seq: row.get::<_, i64>(0)?.unsigned_abs(),
            doc: DocId::from_bytes(row.get(1)?),
            kind: kind_at(row, 2)?,
            bytes: row.get(3)?,
            // Rows from before signatures existed read as an all-zero signature, which no
            // device accepts.
            signature: row.get::<_, [u8; 64]>(4).unwrap_or([0; 64]),
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
