//! What this device keeps for itself around reports and photos: photo blobs, the reporter's
//! receipts, and the queues of sealed envelopes and replies waiting for the network. Nothing here
//! is ever synced as a document.

use porchlight_model::{Category, DocId, DocKind, Timestamp};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use crate::Store;
use crate::error::{Result, StoreError};

/// A report this device filed, as its reporter sees it.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Receipt {
    pub report: DocId,
    pub anonymous: bool,
    /// When it happened, rounded down to 15 minutes.
    pub filed_at: Timestamp,
    pub category: Category,
    pub description: String,
    /// The status a coordinator chose to publish back, if any was seen yet.
    pub status: Option<String>,
    pub status_note: Option<String>,
    pub status_at: Option<Timestamp>,
    /// When this device last asked the server for a published status.
    pub checked_at: Option<Timestamp>,
    /// The one-off key everything about this report derives from. Never leaves the device.
    #[serde(skip)]
    #[cfg_attr(feature = "ts", ts(skip))]
    pub secret: [u8; 32],
    /// The saved report document, to add follow-ups to.
    #[serde(skip)]
    #[cfg_attr(feature = "ts", ts(skip))]
    pub doc: Vec<u8>,
}

const RECEIPT_COLUMNS: &str = "report, secret, anonymous, filed_at, category, description, doc,
    status, status_note, status_at, checked_at";

/// Reads every receipt `rows` yields, refusing damaged ones rather than guessing.
fn read_receipts(mut rows: rusqlite::Rows<'_>) -> Result<Vec<Receipt>> {
    let corrupt = |what: &str| StoreError::Corrupt(format!("a receipt has a bad {what}"));
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        out.push(Receipt {
            report: DocId::from_slice(&r.get::<_, Vec<u8>>(0)?)?,
            secret: r
                .get::<_, Vec<u8>>(1)?
                .try_into()
                .map_err(|_| corrupt("secret"))?,
            anonymous: r.get(2)?,
            filed_at: Timestamp::from_millis(r.get(3)?),
            category: r.get::<_, String>(4)?.parse()?,
            description: r.get(5)?,
            doc: r.get(6)?,
            status: r.get(7)?,
            status_note: r.get(8)?,
            status_at: r.get::<_, Option<i64>>(9)?.map(Timestamp::from_millis),
            checked_at: r.get::<_, Option<i64>>(10)?.map(Timestamp::from_millis),
        });
    }
    Ok(out)
}

/// Stores a new receipt (inside the transaction that files the report).
pub fn insert_receipt_in(conn: &Connection, r: &Receipt) -> rusqlite::Result<()> {
    conn.execute(
        &format!("INSERT INTO receipts ({RECEIPT_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"),
        params![
            r.report.as_bytes(),
            r.secret,
            r.anonymous,
            r.filed_at.millis(),
            r.category.as_str(),
            r.description,
            r.doc,
            r.status,
            r.status_note,
            r.status_at.map(Timestamp::millis),
            r.checked_at.map(Timestamp::millis),
        ],
    )?;
    Ok(())
}

/// Queues a sealed envelope to be dropped at `not_before` or later.
pub fn queue_drop_in(
    conn: &Connection,
    sealed: &[u8],
    not_before: Timestamp,
) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO drop_queue (sealed, not_before) VALUES (?1, ?2)",
        params![sealed, not_before.millis()],
    )?;
    Ok(())
}

/// Queues (or replaces) a status to publish to a reporter, inside a caller's transaction.
pub fn queue_reply_in(conn: &Connection, reply_id: &str, sealed: &[u8]) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO reply_queue (reply_id, sealed) VALUES (?1, ?2)
         ON CONFLICT (reply_id) DO UPDATE SET sealed = excluded.sealed",
        params![reply_id, sealed],
    )?;
    Ok(())
}

/// Says which record kind refers to these photos; photos nobody referred to yet take the kind.
/// Returns the hashes that are not on this device.
pub fn attach_blobs_in(
    conn: &Connection,
    hashes: &[String],
    kind: DocKind,
) -> rusqlite::Result<Vec<String>> {
    let mut missing = Vec::new();
    for hash in hashes {
        let found = conn.execute(
            "UPDATE blobs SET kind = COALESCE(kind, ?2) WHERE hash = ?1",
            params![hash, kind.as_str()],
        )?;
        if found == 0 {
            missing.push(hash.clone());
        }
    }
    Ok(missing)
}

impl Store {
    /// Keeps a photo (stored once per hash). `kind` is the kind of the record referring to it,
    /// if one already does.
    pub fn put_blob(&mut self, hash: &str, bytes: &[u8], kind: Option<DocKind>) -> Result<()> {
        self.conn.execute(
            "INSERT INTO blobs (hash, kind, bytes, uploaded) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (hash) DO UPDATE SET kind = COALESCE(blobs.kind, excluded.kind)",
            params![hash, kind.map(DocKind::as_str), bytes, kind.is_some()],
        )?;
        Ok(())
    }

    pub fn blob(&self, hash: &str) -> Result<Option<Vec<u8>>> {
        Ok(self
            .conn
            .query_row("SELECT bytes FROM blobs WHERE hash = ?1", [hash], |r| {
                r.get(0)
            })
            .optional()?)
    }

    /// Which of `hashes` this device does not have.
    pub fn missing_blobs(&self, hashes: &[String]) -> Result<Vec<String>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT 1 FROM blobs WHERE hash = ?1")?;
        let mut missing = Vec::new();
        for hash in hashes {
            if !stmt.exists([hash])? {
                missing.push(hash.clone());
            }
        }
        Ok(missing)
    }

    /// Photos of `kind` taken on this device that the server does not have yet.
    pub fn blobs_to_upload(&self, kind: DocKind) -> Result<Vec<String>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT hash FROM blobs WHERE kind = ?1 AND uploaded = 0 ORDER BY hash",
        )?;
        let rows = stmt.query_map([kind.as_str()], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn mark_uploaded(&mut self, hash: &str) -> Result<()> {
        self.conn
            .execute("UPDATE blobs SET uploaded = 1 WHERE hash = ?1", [hash])?;
        Ok(())
    }

    /// Photos that observations on this device refer to but this device does not have.
    /// Every photo hash an observation refers to, held here or not.
    pub fn observation_photos(&self) -> Result<Vec<String>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT DISTINCT j.value FROM p_observations o, json_each(o.photos) j ORDER BY 1",
        )?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn missing_observation_photos(&self) -> Result<Vec<String>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT DISTINCT j.value FROM p_observations o, json_each(o.photos) j
             WHERE NOT EXISTS (SELECT 1 FROM blobs b WHERE b.hash = j.value)
             ORDER BY 1",
        )?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn receipts(&self) -> Result<Vec<Receipt>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {RECEIPT_COLUMNS} FROM receipts ORDER BY filed_at DESC, report"
        ))?;
        read_receipts(stmt.query([])?)
    }

    pub fn receipt(&self, report: DocId) -> Result<Receipt> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {RECEIPT_COLUMNS} FROM receipts WHERE report = ?1"
        ))?;
        read_receipts(stmt.query([report.as_bytes()])?)?
            .pop()
            .ok_or(StoreError::NotFound {
                kind: DocKind::Report,
                id: report,
            })
    }

    /// Saves the report document after a follow-up and queues its sealed envelope, together.
    pub fn follow_up(
        &mut self,
        report: DocId,
        doc: &[u8],
        sealed: &[u8],
        not_before: Timestamp,
    ) -> Result<()> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "UPDATE receipts SET doc = ?2 WHERE report = ?1",
            params![report.as_bytes(), doc],
        )?;
        queue_drop_in(&tx, sealed, not_before)?;
        tx.commit()?;
        Ok(())
    }

    /// Records what the server had published for a receipt (`status` `None`: nothing yet).
    pub fn set_receipt_status(
        &mut self,
        report: DocId,
        published: Option<(&str, Option<&str>, Timestamp)>,
        checked_at: Timestamp,
    ) -> Result<()> {
        match published {
            Some((status, note, at)) => self.conn.execute(
                "UPDATE receipts SET status = ?2, status_note = ?3, status_at = ?4, checked_at = ?5
                 WHERE report = ?1",
                params![
                    report.as_bytes(),
                    status,
                    note,
                    at.millis(),
                    checked_at.millis()
                ],
            )?,
            None => self.conn.execute(
                "UPDATE receipts SET checked_at = ?2 WHERE report = ?1",
                params![report.as_bytes(), checked_at.millis()],
            )?,
        };
        Ok(())
    }

    /// Envelopes whose delay has passed, oldest first.
    pub fn due_drops(&self, now: Timestamp) -> Result<Vec<(i64, Vec<u8>)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, sealed FROM drop_queue WHERE not_before <= ?1 ORDER BY not_before, id",
        )?;
        let rows = stmt.query_map([now.millis()], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// When the next queued envelope may leave, if any is queued.
    pub fn next_drop_at(&self) -> Result<Option<Timestamp>> {
        let at: Option<i64> =
            self.conn
                .query_row("SELECT MIN(not_before) FROM drop_queue", [], |r| r.get(0))?;
        Ok(at.map(Timestamp::from_millis))
    }

    pub fn queued_drops(&self) -> Result<u64> {
        let n: i64 = self
            .conn
            .query_row("SELECT COUNT(*) FROM drop_queue", [], |r| r.get(0))?;
        Ok(n.unsigned_abs())
    }

    pub fn remove_drop(&mut self, id: i64) -> Result<()> {
        self.conn
            .execute("DELETE FROM drop_queue WHERE id = ?1", [id])?;
        Ok(())
    }

    /// Queues (or replaces) a status to publish to a reporter.
    pub fn queue_reply(&mut self, reply_id: &str, sealed: &[u8]) -> Result<()> {
        queue_reply_in(&self.conn, reply_id, sealed)?;
        Ok(())
    }

    pub fn queued_replies(&self) -> Result<Vec<(String, Vec<u8>)>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT reply_id, sealed FROM reply_queue ORDER BY reply_id")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Drops a queued reply once uploaded, unless a newer one replaced it meanwhile.
    pub fn remove_reply(&mut self, reply_id: &str, sealed: &[u8]) -> Result<()> {
        self.conn.execute(
            "DELETE FROM reply_queue WHERE reply_id = ?1 AND sealed = ?2",
            params![reply_id, sealed],
        )?;
        Ok(())
    }
}

/// What [`Store::forget_my_reports`] removed.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Forgotten {
    pub receipts: u64,
    pub photos: u64,
    /// Envelopes that had not left yet and now never will.
    pub unsent: u64,
}

impl Store {
    /// Deletes every receipt on this device, the photos named in `photos`, and (with
    /// `include_unsent`) the envelopes still waiting to leave, in one transaction; then
    /// overwrites what they occupied in the database file and its write-ahead log, so the
    /// words and pictures cannot be read back from the free pages either.
    pub fn forget_my_reports(
        &mut self,
        photos: &[String],
        include_unsent: bool,
    ) -> Result<Forgotten> {
        // With secure_delete, SQLite zeroes the content of every row it deletes.
        self.conn.pragma_update(None, "secure_delete", "ON")?;
        let tx = self.conn.transaction()?;
        let mut gone = Forgotten {
            receipts: tx.execute("DELETE FROM receipts", [])? as u64,
            ..Forgotten::default()
        };
        for hash in photos {
            gone.photos += tx.execute("DELETE FROM blobs WHERE hash = ?1", [hash])? as u64;
        }
        if include_unsent {
            gone.unsent = tx.execute("DELETE FROM drop_queue", [])? as u64;
        }
        tx.commit()?;
        // Earlier versions of those pages may still sit in the WAL: fold it in and empty it.
        self.conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        self.conn.pragma_update(None, "secure_delete", "OFF")?;
        Ok(gone)
    }
}
