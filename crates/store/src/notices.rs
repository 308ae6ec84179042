//! What this device has told its user, and what it holds back to tell later: alert news kept for
//! the daily digest, and the patrol alarms it has raised a notification for. Local only.

use std::collections::BTreeSet;

use porchlight_model::{AlertCategory, DocId, Timestamp};
use rusqlite::params;

use crate::Store;
use crate::error::{Result, StoreError};

/// Whether held news is an alert that arrived or one that ended (cancelled or closed).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum HeldKind {
    New,
    Ended,
}

impl HeldKind {
    fn as_str(self) -> &'static str {
        match self {
            HeldKind::New => "new",
            HeldKind::Ended => "ended",
        }
    }
}

/// One piece of alert news waiting for the daily digest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeldNews {
    pub alert: DocId,
    pub kind: HeldKind,
    pub category: AlertCategory,
    /// When the news reached this device.
    pub at: Timestamp,
}

/// Records that `notified` alerts and the cancellation of `cancelled` ones were dealt with, and
/// holds `held` news for the digest, in one transaction (a crash keeps all or none of it).
pub(crate) fn record_in(
    tx: &rusqlite::Transaction,
    notified: &[DocId],
    cancelled: &[DocId],
    held: &[HeldNews],
    at: Timestamp,
) -> rusqlite::Result<()> {
    for id in notified {
        tx.execute(
            "INSERT OR IGNORE INTO alert_notices (alert, notified_at) VALUES (?1, ?2)",
            params![id.as_bytes(), at.millis()],
        )?;
    }
    for id in cancelled {
        tx.execute(
            "UPDATE alert_notices SET cancelled_at = ?2 WHERE alert = ?1",
            params![id.as_bytes(), at.millis()],
        )?;
    }
    for h in held {
        tx.execute(
            "INSERT OR IGNORE INTO digest_held (alert, kind, category, at) VALUES (?1, ?2, ?3, ?4)",
            params![
                h.alert.as_bytes(),
                h.kind.as_str(),
                h.category.as_str(),
                h.at.millis()
            ],
        )?;
    }
    Ok(())
}

impl Store {
    /// The news held for the digest, oldest first.
    pub fn held_news(&self) -> Result<Vec<HeldNews>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT alert, kind, category, at FROM digest_held ORDER BY at, alert",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, Vec<u8>>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, i64>(3)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (alert, kind, category, at) = row?;
            let corrupt = |what: &str| StoreError::Corrupt(format!("digest_held {what}"));
            out.push(HeldNews {
                alert: DocId::from_slice(&alert).map_err(|_| corrupt("alert id"))?,
                kind: match kind.as_str() {
                    "new" => HeldKind::New,
                    "ended" => HeldKind::Ended,
                    _ => return Err(corrupt("kind")),
                },
                category: category.parse().map_err(|_| corrupt("category"))?,
                at: Timestamp::from_millis(at),
            });
        }
        Ok(out)
    }

    /// Lets go of held news once a digest has counted it.
    pub fn release_news(&mut self, released: &[(DocId, HeldKind)]) -> Result<()> {
        let tx = self.conn.transaction()?;
        for (alert, kind) in released {
            tx.execute(
                "DELETE FROM digest_held WHERE alert = ?1 AND kind = ?2",
                params![alert.as_bytes(), kind.as_str()],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// The keys of the patrol alarms this device has notified.
    pub fn alarm_notices(&self) -> Result<BTreeSet<String>> {
        let mut stmt = self.conn.prepare_cached("SELECT key FROM alarm_notices")?;
        let keys = stmt.query_map([], |r| r.get(0))?;
        Ok(keys.collect::<rusqlite::Result<_>>()?)
    }

    /// Records the alarms just notified, and forgets those no longer standing (`current`) once
    /// notified more than `forget_before`: an alarm's key holds its time, so a gone alarm cannot
    /// come back under it, and the margin covers a clock that steps back for a while.
    pub fn record_alarm_notices(
        &mut self,
        notified: &[String],
        current: &BTreeSet<String>,
        at: Timestamp,
        forget_before: Timestamp,
    ) -> Result<()> {
        let tx = self.conn.transaction()?;
        for key in notified {
            tx.execute(
                "INSERT OR IGNORE INTO alarm_notices (key, notified_at) VALUES (?1, ?2)",
                params![key, at.millis()],
            )?;
        }
        let old: Vec<String> = tx
            .prepare("SELECT key FROM alarm_notices WHERE notified_at < ?1")?
            .query_map([forget_before.millis()], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        for key in old.iter().filter(|k| !current.contains(*k)) {
            tx.execute("DELETE FROM alarm_notices WHERE key = ?1", [key])?;
        }
        tx.commit()?;
        Ok(())
    }
}
