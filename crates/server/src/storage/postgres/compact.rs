//! Snapshot rows of the change log (compaction, `storage::compact`).

use deadpool_postgres::{GenericClient, Object};
use porchlight_model::{DocId, DocKind};
use porchlight_protocol::wire::GroupId;
use tokio_postgres::Row;

use super::{array_at, doc_at, group_at, kind_at, seq_at, sql_seq};
use crate::Error;
use crate::storage::{CompactionLock, FoldInput, Folded, LogRow, Snapshot};

/// The advisory lock key of compaction passes: one instance at a time folds.
const COMPACTION_LOCK: i64 = 0x706f_7263_6802;

/// Columns: doc, kind, saved, folded.
fn snapshot_from(row: &Row) -> Result<Snapshot, Error> {
    Ok(Snapshot {
        doc: doc_at(row, 0)?,
        kind: kind_at(row, 1)?,
        saved: row.try_get(2)?,
        folded: Folded::decode_all(row.try_get(3)?)?,
    })
}

fn kind_names(kinds: &[DocKind]) -> Vec<&'static str> {
    kinds.iter().map(|k| k.as_str()).collect()
}

pub(super) async fn snapshots_in(
    c: &impl GenericClient,
    group: GroupId,
    after: u64,
    upto: u64,
    kinds: &[DocKind],
) -> Result<Vec<Snapshot>, Error> {
    let stmt = c
        .prepare_cached(
            "SELECT doc, kind, saved, folded FROM snapshots
             WHERE group_id = $1 AND last_seq > $2 AND first_seq <= $3
               AND kind = ANY($4::text[])",
        )
        .await?;
    let rows = c
        .query(
            &stmt,
            &[
                &&group.as_bytes()[..],
                &sql_seq(after),
                &sql_seq(upto),
                &kind_names(kinds),
            ],
        )
        .await?;
    let mut snapshots = Vec::new();
    for row in &rows {
        let snapshot = snapshot_from(row)?;
        if snapshot.folds_between(after, upto) {
            snapshots.push(snapshot);
        }
    }
    Ok(snapshots)
}

pub(super) async fn candidates(
    c: &impl GenericClient,
    keep: u64,
    min: u64,
    limit: usize,
) -> Result<Vec<(GroupId, DocId, u64)>, Error> {
    let rows = c
        .query(
            "SELECT c.group_id, c.doc, g.next_seq - 1 - $1 AS upto
             FROM changes c JOIN groups g ON g.id = c.group_id
             WHERE c.seq <= g.next_seq - 1 - $1
             GROUP BY c.group_id, c.doc, g.next_seq
             HAVING count(*) >= $2
             LIMIT $3",
            &[
                &sql_seq(keep),
                &sql_seq(min.max(1)),
                &i64::try_from(limit).unwrap_or(i64::MAX),
            ],
        )
        .await?;
    rows.iter()
        .map(|r| Ok((group_at(r, 0)?, doc_at(r, 1)?, seq_at(r, 2)?)))
        .collect()
}

pub(super) async fn fold_input(
    c: &mut Object,
    group: GroupId,
    doc: DocId,
    upto: u64,
) -> Result<Option<FoldInput>, Error> {
    let (g, d) = (&group.as_bytes()[..], &doc.as_bytes()[..]);
    // One snapshot of the database for the rows and the snapshot row.
    let tx = c
        .build_transaction()
        .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .await?;
    let Some(kind) = super::log::doc_kind(&tx, group, doc).await? else {
        return Ok(None);
    };
    let previous = tx
        .query_opt(
            "SELECT doc, kind, saved, folded FROM snapshots WHERE group_id = $1 AND doc = $2",
            &[&g, &d],
        )
        .await?
        .map(|r| snapshot_from(&r))
        .transpose()?;
    let rows = tx
        .query(
            "SELECT seq, hash, bytes, signature FROM changes
             WHERE group_id = $1 AND doc = $2 AND seq <= $3 ORDER BY seq",
            &[&g, &d, &sql_seq(upto)],
        )
        .await?
        .iter()
        .map(|r| {
            Ok(LogRow {
                seq: seq_at(r, 0)?,
                hash: array_at(r, 1, "change hash")?,
                bytes: r.try_get(2)?,
                signature: array_at(r, 3, "signature")?,
            })
        })
        .collect::<Result<Vec<_>, Error>>()?;
    tx.commit().await?;
    Ok(Some(FoldInput {
        kind,
        previous,
        rows,
    }))
}

pub(super) async fn replace(
    c: &mut Object,
    group: GroupId,
    snapshot: &Snapshot,
    rows: &[u64],
    previous_last: Option<u64>,
) -> Result<bool, Error> {
    let (g, d) = (&group.as_bytes()[..], &snapshot.doc.as_bytes()[..]);
    let tx = c.transaction().await?;
    // The group's row, as a push takes it: a push that read this document's snapshot before the
    // fold must not insert a folded change again after the fold deleted its row.
    tx.execute("SELECT 1 FROM groups WHERE id = $1 FOR UPDATE", &[&g])
        .await?;
    let current = tx
        .query_opt(
            "SELECT last_seq FROM snapshots WHERE group_id = $1 AND doc = $2",
            &[&g, &d],
        )
        .await?
        .map(|r| seq_at(&r, 0))
        .transpose()?;
    if current != previous_last {
        return Ok(false);
    }
    let seqs: Vec<i64> = rows.iter().map(|&n| sql_seq(n)).collect();
    let deleted = tx
        .execute(
            "DELETE FROM changes WHERE group_id = $1 AND doc = $2 AND seq = ANY($3::bigint[])",
            &[&g, &d, &seqs],
        )
        .await?;
    if usize::try_from(deleted).ok() != Some(rows.len()) {
        // Dropping the transaction rolls the delete back.
        return Ok(false);
    }
    tx.execute(
        "INSERT INTO snapshots (group_id, doc, kind, first_seq, last_seq, n_changes, saved, folded)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (group_id, doc) DO UPDATE SET
             kind = EXCLUDED.kind, first_seq = EXCLUDED.first_seq,
             last_seq = EXCLUDED.last_seq, n_changes = EXCLUDED.n_changes,
             saved = EXCLUDED.saved, folded = EXCLUDED.folded",
        &[
            &g,
            &d,
            &snapshot.kind.as_str(),
            &sql_seq(snapshot.first_seq()),
            &sql_seq(snapshot.last_seq()),
            &sql_seq(snapshot.folded.len() as u64),
            &snapshot.saved,
            &Folded::encode_all(&snapshot.folded),
        ],
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// Takes the compaction lock, a session-level advisory lock, on a connection taken out of the
/// pool: releasing unlocks it, and a lock never released ends with that connection's session
/// (when the lock is dropped, or this instance dies).
pub(super) async fn lock(c: Object) -> Result<Option<CompactionLock>, Error> {
    let got: bool = c
        .query_one("SELECT pg_try_advisory_lock($1)", &[&COMPACTION_LOCK])
        .await?
        .try_get(0)?;
    if !got {
        return Ok(None);
    }
    let session = Object::take(c);
    Ok(Some(CompactionLock::new(async move {
        // Failing here only means the session ends, which unlocks too.
        let _ = session
            .execute("SELECT pg_advisory_unlock($1)", &[&COMPACTION_LOCK])
            .await;
    })))
}
