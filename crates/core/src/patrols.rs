//! Patrols: start, record fixes, add observations, end.
//!
//! Fixes go to a durable buffer first (one small insert each); every ~30 s of track they are
//! packed into one chunk of the patrol document. Writing each fix into the document would keep
//! every intermediate chunk in its history. Packing is also where the volunteer's privacy zones
//! cut the track (see [`crate::privacy_zones`]): what is cut never enters the document.

use porchlight_crdt::{
    add_observation, append_track, end_patrol, read_patrol, read_track, start_patrol,
};
use porchlight_model::{
    DocId, DocKind, Fix, NewObservation, Observation, Patrol, Point, Timestamp, ValidationError,
};
use porchlight_store::{
    PatrolPage, PatrolQuery, PatrolSummary, PatrolTotals, clear_buffer_in, set_state_in,
    start_totals_in,
};
use serde::Serialize;

use crate::filters::PatrolFilter;
use crate::privacy_zones::{
    MAX_ZONES, PatrolCut, PrivacyZone, STATE_PATROL_CUT, STATE_ZONES, settled_len, shareable,
};
use crate::{Core, CoreError, Event, Result, STATE_PATROL};

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
        let cut = json(&PatrolCut::draw())?;
        let doc = self.store().create(
            |_| start_patrol(DocId::random(), device, &name, title, at),
            |tx, doc| {
                set_state_in(tx, STATE_PATROL_CUT, Some(&cut))?;
                start_totals_in(tx, &PatrolTotals::empty(doc.id(), at))?;
                set_state_in(tx, STATE_PATROL, Some(&doc.id().to_string()))
            },
        )?;
        self.changed_locally();
        Ok(read_patrol(&doc)?)
    }

    /// The patrol this device is recording, if any.
    pub fn current_patrol(&self) -> Result<Option<DocId>> {
        match self.reader().state(STATE_PATROL)? {
            Some(id) => Ok(Some(id.parse()?)),
            None => Ok(None),
        }
    }

    fn running(&self) -> Result<DocId> {
        self.current_patrol()?.ok_or(CoreError::NoPatrol)
    }

    /// Fix count, distance and duration of the running patrol, from one small row (no
    /// document is loaded). Each new fix also sends them as [`Event::PatrolTotals`].
    pub fn patrol_totals(&self) -> Result<Option<PatrolTotals>> {
        match self.current_patrol()? {
            Some(id) => Ok(Some(self.reader().patrol_totals(id)?)),
            None => Ok(None),
        }
    }

    /// Records a GPS fix on the running patrol. Once this returns, the fix survives a crash.
    pub fn add_fix(&self, fix: Fix) -> Result<()> {
        let patrol = self.running()?;
        let totals = self.store().buffer_fix(patrol, &fix)?;
        // Nobody listening is fine: the totals are also there to read.
        let _ = self.events.send(Event::PatrolTotals(totals));
        let rows = self.store().buffered_fixes_numbered(patrol)?;
        let fixes: Vec<Fix> = rows.iter().map(|(_, f)| *f).collect();
        // The start is the patrol's first buffered fix, not this one: if the device died after
        // buffering the first fix but before noting the start, the first fix is still the start.
        let cut = self.patrol_cut(fixes.first().map_or(fix.point, |f| f.point))?;
        // Fixes near the latest one wait: this may be where the patrol ends.
        let settled = settled_len(&fixes, cut.end_m);
        let span = match (fixes.first(), settled.checked_sub(1).map(|i| &fixes[i])) {
            (Some(a), Some(b)) => b.at.millis() - a.at.millis(),
            _ => 0,
        };
        if span >= CHUNK_MILLIS {
            let shared = shareable(&fixes[..settled], &self.privacy_zones()?, &cut);
            self.pack(patrol, &shared, rows[settled - 1].0, Timestamp::now(), None)?;
        }
        Ok(())
    }

    /// Writes `shared` into the patrol's track (when there is anything to write) and clears the
    /// buffer up to `last_seq`, in one transaction; `ending` also ends the patrol.
    fn pack(
        &self,
        patrol: DocId,
        shared: &[Fix],
        last_seq: i64,
        at: Timestamp,
        ending: Option<Timestamp>,
    ) -> Result<Option<Patrol>> {
        let mut store = self.store();
        if shared.is_empty() && ending.is_none() {
            store.with_transaction(|tx| clear_buffer_in(tx, patrol, last_seq))?;
            return Ok(None);
        }
        let doc = store.update(
            patrol,
            DocKind::Patrol,
            |doc| {
                if shared.is_empty() {
                    return end_patrol(doc, at);
                }
                let written = append_track(doc, shared, at)?;
                match ending {
                    Some(end) => end_patrol(doc, end),
                    None => Ok(written),
                }
            },
            |tx, _| {
                clear_buffer_in(tx, patrol, last_seq)?;
                if ending.is_some() {
                    set_state_in(tx, STATE_PATROL_CUT, None)?;
                    set_state_in(tx, STATE_PATROL, None)?;
                }
                Ok(())
            },
        )?;
        drop(store);
        self.changed_locally();
        Ok(Some(read_patrol(&doc)?))
    }

    /// The running patrol's cut radii, with `first` as its start point if none is known yet.
    fn patrol_cut(&self, first: Point) -> Result<PatrolCut> {
        let stored = self.store().state(STATE_PATROL_CUT)?;
        // A patrol started by an older version has no cut yet: draw one now.
        let mut cut = stored
            .as_deref()
            .and_then(|s| serde_json::from_str::<PatrolCut>(s).ok())
            .unwrap_or_else(PatrolCut::draw);
        if cut.start.is_none() {
            cut.start = Some(first);
            self.store()
                .set_state(STATE_PATROL_CUT, Some(&json(&cut)?))?;
        }
        Ok(cut)
    }

    /// This device's privacy zones (never shared).
    pub fn privacy_zones(&self) -> Result<Vec<PrivacyZone>> {
        let Some(text) = self.reader().state(STATE_ZONES)? else {
            return Ok(Vec::new());
        };
        serde_json::from_str(&text).map_err(|e| {
            CoreError::Invalid(ValidationError::Invalid {
                field: "privacy zones",
                reason: format!("the saved zones cannot be read ({e}); set them again"),
            })
        })
    }

    /// Replaces this device's privacy zones. They apply to every fix packed from now on,
    /// the running patrol's included.
    pub fn set_privacy_zones(&self, zones: &[PrivacyZone]) -> Result<()> {
        if zones.len() > MAX_ZONES {
            return Err(CoreError::Invalid(ValidationError::Invalid {
                field: "privacy zones",
                reason: format!("at most {MAX_ZONES} zones, not {}", zones.len()),
            }));
        }
        for zone in zones {
            zone.validate()?;
        }
        let cleaned: Vec<PrivacyZone> = zones
            .iter()
            .map(|z| PrivacyZone {
                name: z.name.trim().to_owned(),
                ..z.clone()
            })
            .collect();
        self.store()
            .set_state(STATE_ZONES, Some(&json(&cleaned)?))?;
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

    /// Ends the running patrol, packing the buffered fixes first (less those near where it
    /// ended and those in privacy zones) — all in one transaction.
    pub fn end_patrol(&self, at: Timestamp) -> Result<Patrol> {
        let patrol = self.running()?;
        let rows = self.store().buffered_fixes_numbered(patrol)?;
        let fixes: Vec<Fix> = rows.iter().map(|(_, f)| *f).collect();
        let (shared, last) = match fixes.first() {
            Some(first) => {
                let cut = self.patrol_cut(first.point)?;
                let settled = settled_len(&fixes, cut.end_m);
                let shared = shareable(&fixes[..settled], &self.privacy_zones()?, &cut);
                (shared, rows.last().map_or(0, |(seq, _)| *seq))
            }
            None => (Vec::new(), 0),
        };
        self.pack(patrol, &shared, last, at, Some(at))?
            .ok_or(CoreError::NoPatrol)
    }

    pub fn patrols(&self, limit: u32, offset: u32) -> Result<Vec<PatrolSummary>> {
        self.require(|r| r.can_read(DocKind::Patrol), "see patrols")?;
        Ok(self.reader().patrols(limit, offset)?)
    }

    /// One page of patrols filtered by period, zone and running or ended; newest first.
    pub fn patrols_page(&self, f: &PatrolFilter) -> Result<PatrolPage> {
        // One snapshot for the role check and the page (see `in_snapshot`).
        self.reader().in_snapshot(|reader| {
            let (_, group) =
                self.require_in(reader, |r| r.can_read(DocKind::Patrol), "see patrols")?;
            crate::filters::check(group.as_deref(), f.from, f.to, f.zone.as_deref())?;
            Ok(reader.patrols_page(&PatrolQuery {
                from: f.from,
                to: f.to,
                zone: f.zone.clone(),
                running: f.running,
                after: f.after,
                limit: f.limit,
            })?)
        })
    }

    pub fn patrol(&self, id: DocId) -> Result<PatrolDetail> {
        self.require(|r| r.can_read(DocKind::Patrol), "see patrols")?;
        let store = self.reader();
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

fn json<T: Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| CoreError::Export(e.to_string()))
}
