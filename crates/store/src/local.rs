//! State that never leaves the device: watch areas, settings, and the GPS fix buffer.

use porchlight_model::{DocId, Fix, Point, Timestamp, WatchArea};
use rusqlite::{OptionalExtension, Transaction, params};

use crate::Store;
use crate::error::{Result, StoreError};

impl Store {
    /// Adds or replaces a watch area (by name).
    pub fn set_watch_area(&mut self, area: WatchArea) -> Result<WatchArea> {
        let area = area.validate()?;
        let json = serde_json::to_string(&area.area)
            .map_err(|e| StoreError::Corrupt(format!("area JSON: {e}")))?;
        self.conn.execute(
            "INSERT INTO watch_areas (name, area, created_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (name) DO UPDATE SET area = excluded.area",
            params![area.name, json, Timestamp::now().millis()],
        )?;
        Ok(area)
    }

    pub fn remove_watch_area(&mut self, name: &str) -> Result<bool> {
        Ok(self
            .conn
            .execute("DELETE FROM watch_areas WHERE name = ?1", [name])?
            > 0)
    }

    pub fn watch_areas(&self) -> Result<Vec<WatchArea>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT name, area FROM watch_areas ORDER BY created_at, name")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        let mut out = Vec::new();
        for row in rows {
            let (name, area) = row?;
            let area = serde_json::from_str(&area)
                .map_err(|e| StoreError::Corrupt(format!("watch area {name:?}: {e}")))?;
            out.push(WatchArea { name, area });
        }
        Ok(out)
    }

    pub fn state(&self, key: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .prepare_cached("SELECT value FROM local_state WHERE key = ?1")?
            .query_row([key], |r| r.get(0))
            .optional()?)
    }

    pub fn set_state(&mut self, key: &str, value: Option<&str>) -> Result<()> {
        set_state_in(&self.conn, key, value)?;
        Ok(())
    }

    /// When this device announced `alert`, and when it announced its cancellation.
    pub fn notice(&self, alert: DocId) -> Result<Option<(Timestamp, Option<Timestamp>)>> {
        Ok(self
            .conn
            .query_row(
                "SELECT notified_at, cancelled_at FROM alert_notices WHERE alert = ?1",
                [alert.as_bytes()],
                |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Option<i64>>(1)?)),
            )
            .optional()?
            .map(|(n, c)| (Timestamp::from_millis(n), c.map(Timestamp::from_millis))))
    }

    /// Records that `notified` alerts and the cancellation of `cancelled` ones were announced,
    /// and holds `held` news for the daily digest, in one transaction.
    pub fn record_notices(
        &mut self,
        notified: &[DocId],
        cancelled: &[DocId],
        held: &[crate::HeldNews],
        at: Timestamp,
    ) -> Result<()> {
        let tx = self.conn.transaction()?;
        crate::notices::record_in(&tx, notified, cancelled, held, at)?;
        tx.commit()?;
        Ok(())
    }

    /// Runs `f` in one transaction (for several local settings that must change together).
    pub fn with_transaction(
        &mut self,
        f: impl FnOnce(&Transaction) -> rusqlite::Result<()>,
    ) -> Result<()> {
        let tx = self.conn.transaction()?;
        f(&tx)?;
        tx.commit()?;
        Ok(())
    }

    /// The fixes of `patrol` not yet packed into its document, oldest first, each with its
    /// buffer row's sequence number (to clear a leading run of them later).
    pub fn buffered_fixes_numbered(&self, patrol: DocId) -> Result<Vec<(i64, Fix)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT seq, at, lat, lon, accuracy FROM track_buffer WHERE patrol = ?1 ORDER BY seq",
        )?;
        let rows = stmt.query_map([patrol.as_bytes()], |r| {
            Ok((
                r.get(0)?,
                Fix {
                    at: Timestamp::from_millis(r.get(1)?),
                    point: Point::new(r.get(2)?, r.get(3)?),
                    accuracy_m: r.get::<_, Option<f64>>(4)?.map(|a| a as f32),
                },
            ))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The fixes of `patrol` not yet packed into its document, oldest first, with the last
    /// buffer row's sequence number (to clear exactly these later).
    pub fn buffered_fixes(&self, patrol: DocId) -> Result<(Vec<Fix>, i64)> {
        let rows = self.buffered_fixes_numbered(patrol)?;
        let last = rows.last().map_or(0, |(seq, _)| *seq);
        Ok((rows.into_iter().map(|(_, f)| f).collect(), last))
    }
}

/// Sets (or with `None`, clears) a local setting; usable inside another write's transaction.
pub fn set_state_in(
    conn: &rusqlite::Connection,
    key: &str,
    value: Option<&str>,
) -> rusqlite::Result<()> {
    match value {
        Some(v) => conn.execute(
            "INSERT INTO local_state (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![key, v],
        )?,
        None => conn.execute("DELETE FROM local_state WHERE key = ?1", [key])?,
    };
    Ok(())
}

/// Removes the buffered fixes of `patrol` up to `last_seq` (they are now in a track chunk).
pub fn clear_buffer_in(tx: &Transaction, patrol: DocId, last_seq: i64) -> rusqlite::Result<()> {
    tx.execute(
        "DELETE FROM track_buffer WHERE patrol = ?1 AND seq <= ?2",
        params![patrol.as_bytes(), last_seq],
    )?;
    Ok(())
}
