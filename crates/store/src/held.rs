//! Pulled changes held back until their author is certified (see the migration that made the
//! table). Holding is idempotent: a change is keyed by its hash, so a page pulled again after a
//! crash holds nothing twice.

use porchlight_model::{DocId, DocKind, Timestamp};
use rusqlite::params;

use crate::Store;
use crate::error::{Result, StoreError};

/// One held change, with what is needed to verify and apply it later.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeldChange {
    pub hash: [u8; 32],
    pub doc: DocId,
    pub kind: DocKind,
    pub bytes: Vec<u8>,
    pub signature: [u8; 64],
}

impl Store {
    pub fn hold_changes(&mut self, changes: &[HeldChange]) -> Result<()> {
        if changes.is_empty() {
            return Ok(());
        }
        let tx = self.conn.transaction()?;
        {
            let mut stmt = tx.prepare_cached(
                "INSERT OR IGNORE INTO held_changes (hash, doc, kind, bytes, signature, held_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            let now = Timestamp::now().millis();
            for c in changes {
                stmt.execute(params![
                    &c.hash[..],
                    &c.doc.as_bytes()[..],
                    c.kind.as_str(),
                    c.bytes,
                    &c.signature[..],
                    now
                ])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Every held change, oldest first.
    pub fn held_changes(&self) -> Result<Vec<HeldChange>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT hash, doc, kind, bytes, signature FROM held_changes ORDER BY held_at, rowid",
        )?;
        let mut rows = stmt.query([])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let corrupt = |what: &str| StoreError::Corrupt(format!("held change {what}"));
            out.push(HeldChange {
                hash: r
                    .get::<_, Vec<u8>>(0)?
                    .try_into()
                    .map_err(|_| corrupt("hash"))?,
                doc: DocId::from_slice(&r.get::<_, Vec<u8>>(1)?)?,
                kind: r.get::<_, String>(2)?.parse()?,
                bytes: r.get(3)?,
                signature: r
                    .get::<_, Vec<u8>>(4)?
                    .try_into()
                    .map_err(|_| corrupt("signature"))?,
            });
        }
        Ok(out)
    }

    pub fn held_count(&self) -> Result<u64> {
        Ok(self
            .conn
            .query_row("SELECT count(*) FROM held_changes", [], |r| {
                r.get::<_, i64>(0)
            })? as u64)
    }

    /// Forgets held changes (applied or refused for good).
    pub fn release_held(&mut self, hashes: &[[u8; 32]]) -> Result<()> {
        let tx = self.conn.transaction()?;
        {
            let mut stmt = tx.prepare_cached("DELETE FROM held_changes WHERE hash = ?1")?;
            for h in hashes {
                stmt.execute([&h[..]])?;
            }
        }
        tx.commit()?;
        Ok(())
    }
}
