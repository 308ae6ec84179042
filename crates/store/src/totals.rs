//! Live totals of the patrol this device is recording: one small row kept up to date with every
//! buffered fix, so showing them never loads the patrol document or decodes its track.
//!
//! They count what this device recorded (every fix, privacy zones included): the volunteer's
//! own time and distance. The shared track, cut by privacy zones, may hold fewer fixes.

use porchlight_crdt::{read_patrol, read_track, track::distance_m};
use porchlight_model::{DocId, DocKind, Fix, Timestamp};
use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};

use crate::Store;
use crate::error::{Result, StoreError};
use crate::local::set_state_in;

/// The `local_state` key of the totals row.
const TOTALS: &str = "patrol.totals";

/// Fix count, distance and duration of the running patrol.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct PatrolTotals {
    pub patrol: DocId,
    pub started_at: Timestamp,
    /// Fixes recorded on this device.
    pub fix_count: u64,
    /// Metres walked between consecutive recorded fixes.
    pub distance_m: f64,
    /// From the start to the latest fix, in milliseconds.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub duration_ms: i64,
    pub last_fix: Option<Fix>,
}

impl PatrolTotals {
    /// Totals of a patrol with no fixes yet.
    #[must_use]
    pub fn empty(patrol: DocId, started_at: Timestamp) -> Self {
        Self {
            patrol,
            started_at,
            fix_count: 0,
            distance_m: 0.0,
            duration_ms: 0,
            last_fix: None,
        }
    }

    fn add(&mut self, fix: Fix) {
        if let Some(last) = self.last_fix {
            self.distance_m += last.point.distance_m(&fix.point);
        }
        self.fix_count += 1;
        self.duration_ms = self
            .duration_ms
            .max(fix.at.millis() - self.started_at.millis());
        self.last_fix = Some(fix);
    }
}

impl Store {
    /// Records one GPS fix durably (it joins the patrol document with the next chunk) and
    /// updates the patrol's live totals, in one transaction. Returns the new totals.
    pub fn buffer_fix(&mut self, patrol: DocId, fix: &Fix) -> Result<PatrolTotals> {
        fix.validate()?;
        let mut totals = self.patrol_totals(patrol)?;
        totals.add(*fix);
        let json = serde_json::to_string(&totals)
            .map_err(|e| StoreError::Corrupt(format!("patrol totals: {e}")))?;
        let tx = self.conn.transaction()?;
        tx.prepare_cached(
            "INSERT INTO track_buffer (patrol, at, lat, lon, accuracy)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )?
        .execute(params![
            patrol.as_bytes(),
            fix.at.millis(),
            fix.point.lat,
            fix.point.lon,
            fix.accuracy_m.map(f64::from),
        ])?;
        set_state_in(&tx, TOTALS, Some(&json))?;
        tx.commit()?;
        Ok(totals)
    }

    /// The totals of `patrol`: from the live row when this device keeps one for it (it is
    /// recording it), else counted from the document and the buffer.
    pub fn patrol_totals(&self, patrol: DocId) -> Result<PatrolTotals> {
        match self.totals_row(patrol)? {
            Some(totals) => Ok(totals),
            None => self.totals_from_documents(patrol),
        }
    }

    fn totals_row(&self, patrol: DocId) -> Result<Option<PatrolTotals>> {
        let text: Option<String> = self
            .conn
            .prepare_cached("SELECT value FROM local_state WHERE key = ?1")?
            .query_row([TOTALS], |r| r.get(0))
            .optional()?;
        let Some(text) = text else { return Ok(None) };
        let totals: PatrolTotals = serde_json::from_str(&text)
            .map_err(|e| StoreError::Corrupt(format!("patrol totals: {e}")))?;
        Ok((totals.patrol == patrol).then_some(totals))
    }

    /// Totals counted the slow way, from the document's track and the buffer: once per patrol,
    /// for one started before this device kept totals.
    fn totals_from_documents(&self, patrol: DocId) -> Result<PatrolTotals> {
        let doc = self.load_kind(patrol, DocKind::Patrol)?;
        let started_at = read_patrol(&doc)?.started_at;
        let mut track = read_track(&doc)?;
        track.extend(self.buffered_fixes(patrol)?.0);
        track.sort_by_key(|f| f.at);
        let mut totals = PatrolTotals::empty(patrol, started_at);
        totals.distance_m = distance_m(&track);
        totals.fix_count = track.len() as u64;
        totals.last_fix = track.last().copied();
        totals.duration_ms = totals
            .last_fix
            .map_or(0, |f| (f.at.millis() - started_at.millis()).max(0));
        Ok(totals)
    }
}

/// Starts the totals of a new patrol; usable inside the transaction that starts it.
pub fn start_totals_in(conn: &rusqlite::Connection, totals: &PatrolTotals) -> rusqlite::Result<()> {
    let json = serde_json::to_string(totals)
        .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
    set_state_in(conn, TOTALS, Some(&json))
}
