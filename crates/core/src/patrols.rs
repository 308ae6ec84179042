//! Patrols: start, record fixes, add observations, end.
//!
//! Fixes go to a durable buffer first (one small insert each); every ~30 s of track they are
//! packed into one chunk of the patrol document. Writing each fix into the document would keep
//! every intermediate chunk in its history.

use porchlight_crdt::{
    add_observation, append_track, end_patrol, read_patrol, read_track, start_patrol,
};
use porchlight_model::{DocId, DocKind, Fix, NewObservation, Observation, Patrol, Timestamp};
use porchlight_store::{PatrolSummary, clear_buffer_in, set_state_in};
use serde::Serialize;

use crate::{Core, CoreError, Result, STATE_PATROL};

/// Track time a chunk covers before it is packed into the document.
const CHUNK_MILLIS: i64 = 30_000;

/// A patrol with its whole track (including fixes not yet packed into the document).
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct PatrolDetail {
    #[serde(flatten)]
    pub patrol: Patrol,
    pub track: Vec<Fix>,
}

impl Core {
    pub fn start_patrol(&self, title: &str, at: Timestamp) -> Result<Patrol> {
        self.require(|r| r.can_write(DocKind::Patrol), "log patrols")?;
        if let Some(running) = self.current_patrol()? {
            return Err(CoreError::PatrolRunning(running.to_string()));
        }
        let (device, name) = (self.device(), self.display_name()?);
        let doc = self.store().create(
            |_| start_patrol(DocId::random(), device, &name, title, at),
            |tx, doc| set_state_in(tx, STATE_PATROL, Some(&doc.id().to_string())),
        )?;
        self.changed_locally();
        Ok(read_patrol(&doc)?)
    }

    /// The patrol this device is recording, if any.
    pub fn current_patrol(&self) -> Result<Option<DocId>> {
        match self.store().state(STATE_PATROL)? {
            Some(id) => Ok(Some(id.parse()?)),
            None => Ok(None),
        }
    }

    fn running(&self) -> Result<DocId> {
        self.current_patrol()?.ok_or(CoreError::NoPatrol)
    }

    /// Records a GPS fix on the running patrol. Once this returns, the fix survives a crash.
    pub fn add_fix(&self, fix: Fix) -> Result<()> {
        let patrol = self.running()?;
        let mut store = self.store();
        store.buffer_fix(patrol, &fix)?;
        let (fixes, last) = store.buffered_fixes(patrol)?;
        let span = match (fixes.first(), fixes.last()) {
            (Some(a), Some(b)) => b.at.millis() - a.at.millis(),
            _ => 0,
        };
        if span >= CHUNK_MILLIS {
            store.update(
                patrol,
                DocKind::Patrol,
                |doc| append_track(doc, &fixes, Timestamp::now()),
                |tx, _| clear_buffer_in(tx, patrol, last),
            )?;
            drop(store);
            self.changed_locally();
        }
        Ok(())
    }

    pub fn add_observation(&self, observation: &NewObservation) -> Result<Observation> {
        let patrol = self.running()?;
        let device = self.device();
        // Photos must have been taken in first; refuse before writing anything.
        self.require_photos(&observation.photos)?;
        let mut id = String::new();
        let doc = self.store().update(
            patrol,
            DocKind::Patrol,
            |doc| {
                let (new_id, written) = add_observation(doc, device, observation)?;
                id = new_id;
                Ok(written)
            },
            |tx, _| {
                porchlight_store::attach_blobs_in(tx, &observation.photos, DocKind::Patrol)?;
                Ok(())
            },
        )?;
        self.changed_locally();
        read_patrol(&doc)?
            .observations
            .into_iter()
            .find(|o| o.id == id)
            .ok_or_else(|| CoreError::Export("observation vanished".into()))
    }

    /// Ends the running patrol, packing any buffered fixes first — all in one transaction.
    pub fn end_patrol(&self, at: Timestamp) -> Result<Patrol> {
        let patrol = self.running()?;
        let mut store = self.store();
        let (fixes, last) = store.buffered_fixes(patrol)?;
        let doc = store.update(
            patrol,
            DocKind::Patrol,
            |doc| {
                if !fixes.is_empty() {
                    append_track(doc, &fixes, at)?;
                }
                end_patrol(doc, at)
            },
            |tx, _| {
                clear_buffer_in(tx, patrol, last)?;
                set_state_in(tx, STATE_PATROL, None)
            },
        )?;
        drop(store);
        self.changed_locally();
        Ok(read_patrol(&doc)?)
    }

    pub fn patrols(&self, limit: u32, offset: u32) -> Result<Vec<PatrolSummary>> {
        self.require(|r| r.can_read(DocKind::Patrol), "see patrols")?;
        Ok(self.store().patrols(limit, offset)?)
    }

    pub fn patrol(&self, id: DocId) -> Result<PatrolDetail> {
        self.require(|r| r.can_read(DocKind::Patrol), "see patrols")?;
        let store = self.store();
        let doc = store.load_kind(id, DocKind::Patrol)?;
        let mut patrol = read_patrol(&doc)?;
        let mut track = read_track(&doc)?;
        let (buffered, _) = store.buffered_fixes(id)?;
        if !buffered.is_empty() {
            track.extend(buffered);
            track.sort_by_key(|f| f.at);
            patrol.fix_count = track.len();
            patrol.distance_m = porchlight_crdt::track::distance_m(&track);
        }
        Ok(PatrolDetail { patrol, track })
    }
}
