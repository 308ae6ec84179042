//! Keeping the people on patrol safe: a check-in timer and an SOS call, both written into the
//! shared patrol document so every device that can read patrols (coordinators, patrol partners)
//! raises the alarm by itself, through whichever server or hub carries the sync. A missed
//! check-in is worked out from the deadline by the readers' clocks, so it is noticed even when
//! the volunteer's phone has gone silent.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::time::Duration;

use porchlight_crdt::{
    Safety, raise_sos, read_safety, read_track, set_check_in, stop_check_ins, withdraw_sos,
};
use porchlight_model::{DeviceId, DocId, DocKind, Participant, Point, Timestamp, ValidationError};
use porchlight_store::Store;
use serde::Serialize;

use crate::{Core, CoreError, Result};

/// Check-ins between 5 minutes and 4 hours apart: shorter nags, longer is no safety net.
pub const CHECK_IN_MIN: Duration = Duration::from_secs(5 * 60);
pub const CHECK_IN_MAX: Duration = Duration::from_secs(4 * 3600);

/// Newest patrols looked at for alarms (far more than ever walk at once).
const RUNNING_LIMIT: u32 = 500;

/// What the alarms need of one patrol document, with the heads it was read at. Loading the
/// newest 500 patrol documents (tracks and all) on every look took 1.8 s in a 10,000-record
/// group, and the coordinator's overview looks every 30 seconds; a document is loaded again
/// only when its heads moved.
#[derive(Debug)]
pub(crate) struct SafetySeen {
    heads: Vec<[u8; 32]>,
    safety: Safety,
    /// The last fix of the track, read only when there is an SOS or a check-in deadline.
    last_fix: Option<Point>,
}

impl SafetySeen {
    /// `id`'s safety as of its stored heads: from `seen` when they have not moved.
    fn of<'a>(
        store: &Store,
        id: DocId,
        seen: &'a mut HashMap<DocId, SafetySeen>,
    ) -> Result<&'a SafetySeen> {
        let heads = store.heads(id)?;
        match seen.entry(id) {
            Entry::Occupied(e) if e.get().heads == heads => Ok(e.into_mut()),
            Entry::Occupied(mut e) => {
                *e.get_mut() = Self::read(store, id, heads)?;
                Ok(e.into_mut())
            }
            Entry::Vacant(e) => Ok(e.insert(Self::read(store, id, heads)?)),
        }
    }

    fn read(store: &Store, id: DocId, heads: Vec<[u8; 32]>) -> Result<SafetySeen> {
        let doc = store.load_kind(id, DocKind::Patrol)?;
        let safety = read_safety(&doc)?;
        let last_fix = if safety.sos.is_empty() && safety.check_in_due.is_none() {
            None
        } else {
            read_track(&doc)
                .ok()
                .and_then(|t| t.last().map(|f| f.point))
        };
        Ok(SafetySeen {
            heads,
            safety,
            last_fix,
        })
    }
}

/// Why a patrol needs someone's attention.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum AlarmKind {
    /// A participant called for help.
    Sos,
    /// The check-in deadline passed without a check-in.
    MissedCheckIn,
}

/// A patrol whose walkers may need help.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct PatrolAlarm {
    pub patrol: DocId,
    pub title: String,
    pub participants: Vec<Participant>,
    pub kind: AlarmKind,
    /// When the SOS was called, or when the check-in fell due.
    pub since: Timestamp,
    /// Who called (SOS only).
    pub by: Option<DeviceId>,
    /// The SOS position, or the last shared fix of the track.
    pub position: Option<Point>,
}

/// The running patrol's check-in state, for the walker's own screen.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct CheckInState {
    pub every_secs: Option<u64>,
    pub due: Option<Timestamp>,
    /// Whether this device has an SOS call standing.
    pub sos: bool,
}

impl Core {
    /// Asks for a check-in every `every` on the running patrol; the first is due `every` from now.
    pub fn start_check_ins(&self, every: Duration, now: Timestamp) -> Result<CheckInState> {
        if !(CHECK_IN_MIN..=CHECK_IN_MAX).contains(&every) {
            return Err(CoreError::Invalid(ValidationError::Invalid {
                field: "check-in",
                reason: format!(
                    "check in every {} to {} minutes, not {} minutes",
                    CHECK_IN_MIN.as_secs() / 60,
                    CHECK_IN_MAX.as_secs() / 60,
                    every.as_secs() / 60
                ),
            }));
        }
        let millis = i64::try_from(every.as_millis()).unwrap_or(i64::MAX);
        self.update_running(|doc| set_check_in(doc, millis, now))?;
        self.check_in_state()
    }

    /// "I'm OK": the next check-in is due a full interval from now.
    pub fn check_in(&self, now: Timestamp) -> Result<CheckInState> {
        let every = self.running_safety()?.check_in_every_ms.ok_or_else(|| {
            CoreError::Invalid(ValidationError::Invalid {
                field: "check-in",
                reason: "this patrol has no check-in timer".into(),
            })
        })?;
        self.update_running(|doc| set_check_in(doc, every, now))?;
        self.check_in_state()
    }

    pub fn stop_check_ins(&self, now: Timestamp) -> Result<CheckInState> {
        self.update_running(|doc| stop_check_ins(doc, now))?;
        self.check_in_state()
    }

    /// Calls for help from the running patrol (starting one if none runs, so an SOS always goes
    /// out), with the exact position if known. It syncs at the next chance, like every change.
    pub fn sos(&self, point: Option<Point>, now: Timestamp) -> Result<CheckInState> {
        if let Some(p) = &point {
            p.validate("sos")?;
        }
        if self.current_patrol()?.is_none() {
            self.start_patrol("SOS", now)?;
        }
        // Without a position from the caller, the latest fix this device has: its buffer holds
        // the newest ones, not yet shared because of the privacy cut at the patrol's end.
        let point = match point {
            Some(p) => Some(p),
            None => self.latest_fix()?,
        };
        let me = self.device();
        self.update_running(|doc| raise_sos(doc, me, point, now))?;
        self.check_in_state()
    }

    /// Withdraws this device's SOS call.
    pub fn withdraw_sos(&self, now: Timestamp) -> Result<CheckInState> {
        let me = self.device();
        self.update_running(|doc| withdraw_sos(doc, me, now))?;
        self.check_in_state()
    }

    /// The running patrol's check-in timer and this device's SOS, for its own screen.
    pub fn check_in_state(&self) -> Result<CheckInState> {
        let safety = self.running_safety()?;
        let me = self.device();
        Ok(CheckInState {
            every_secs: safety
                .check_in_every_ms
                .and_then(|ms| u64::try_from(ms / 1000).ok()),
            due: safety.check_in_due,
            sos: safety.sos.iter().any(|c| c.by == me),
        })
    }

    /// Running patrols whose walkers may need help at `now`: SOS calls first, then missed
    /// check-ins, oldest first within each.
    pub fn patrol_alarms(&self, now: Timestamp) -> Result<Vec<PatrolAlarm>> {
        self.require(|r| r.can_read(DocKind::Patrol), "see patrols")?;
        let store = self.reader();
        let mut alarms = Vec::new();
        let mut seen = self
            .safety_seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let summaries = store.patrols(RUNNING_LIMIT, 0)?;
        // Only the patrols still among the newest are kept: the cache stays that size.
        let newest: HashSet<DocId> = summaries.iter().map(|s| s.id).collect();
        seen.retain(|id, _| newest.contains(id));
        for summary in summaries {
            // A standing SOS counts even on an ended patrol (a partner may end it while the
            // other calls for help); a check-in deadline only while the patrol runs.
            let read = SafetySeen::of(&store, summary.id, &mut seen)?;
            let alarm = |kind, since, by, position| PatrolAlarm {
                patrol: summary.id,
                title: summary.title.clone(),
                participants: summary.participants.clone(),
                kind,
                since,
                by,
                position,
            };
            for call in &read.safety.sos {
                alarms.push(alarm(
                    AlarmKind::Sos,
                    call.at,
                    Some(call.by),
                    call.point.or(read.last_fix),
                ));
            }
            if let Some(due) = read.safety.check_in_due
                && summary.ended_at.is_none()
                && due < now
            {
                alarms.push(alarm(AlarmKind::MissedCheckIn, due, None, read.last_fix));
            }
        }
        alarms.sort_by_key(|a| (a.kind == AlarmKind::MissedCheckIn, a.since));
        Ok(alarms)
    }

    fn latest_fix(&self) -> Result<Option<Point>> {
        let id = self.current_patrol()?.ok_or(CoreError::NoPatrol)?;
        let store = self.reader();
        let (buffered, _) = store.buffered_fixes(id)?;
        if let Some(f) = buffered.iter().max_by_key(|f| f.at) {
            return Ok(Some(f.point));
        }
        let doc = store.load_kind(id, DocKind::Patrol)?;
        Ok(read_track(&doc)?.last().map(|f| f.point))
    }

    fn running_safety(&self) -> Result<porchlight_crdt::Safety> {
        let id = self.current_patrol()?.ok_or(CoreError::NoPatrol)?;
        let doc = self.reader().load_kind(id, DocKind::Patrol)?;
        Ok(read_safety(&doc)?)
    }

    fn update_running(
        &self,
        change: impl FnOnce(
            &mut porchlight_crdt::Doc,
        )
            -> std::result::Result<porchlight_crdt::Written, porchlight_crdt::CrdtError>,
    ) -> Result<()> {
        let id = self.current_patrol()?.ok_or(CoreError::NoPatrol)?;
        self.store()
            .update(id, DocKind::Patrol, change, |_, _| Ok(()))?;
        self.changed_locally();
        Ok(())
    }
}
