//! Patrol safety inside the patrol document: a check-in deadline the volunteer keeps pushing
//! forward, and SOS calls. Both live in the shared document so that every device that can read
//! patrols (coordinators, patrol partners) raises the alarm by itself: a missed check-in is
//! noticed even if the volunteer's phone never speaks again.

use automerge::transaction::Transactable;
use automerge::{ObjType, ROOT, ReadDoc, ScalarValue};
use porchlight_model::{DeviceId, Point, Timestamp};

use crate::alert::expect_kind;
use crate::doc::{Doc, Written};
use crate::error::CrdtError;
use crate::fields::{opt_f64, opt_i64, opt_obj};
use porchlight_model::DocKind;

const EVERY: &str = "checkin_every_ms";
const DUE: &str = "checkin_due";
const SOS: &str = "sos";

/// One participant's call for help.
#[derive(Clone, Debug, PartialEq)]
pub struct SosCall {
    pub by: DeviceId,
    pub at: Timestamp,
    /// Where they were when they called (exact: safety outweighs the privacy cut here).
    pub point: Option<Point>,
}

/// What a patrol document says about its walkers' safety.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Safety {
    pub check_in_every_ms: Option<i64>,
    pub check_in_due: Option<Timestamp>,
    pub sos: Vec<SosCall>,
}

/// Sets (or moves) the check-in deadline: the next check-in is due `every_ms` after `at`.
pub fn set_check_in(doc: &mut Doc, every_ms: i64, at: Timestamp) -> Result<Written, CrdtError> {
    expect_kind(doc, DocKind::Patrol)?;
    doc.am.put(ROOT, EVERY, every_ms)?;
    doc.am.put(
        ROOT,
        DUE,
        ScalarValue::Timestamp(at.millis().saturating_add(every_ms)),
    )?;
    doc.commit(at).ok_or(CrdtError::Unchanged)
}

/// Stops check-ins on this patrol.
pub fn stop_check_ins(doc: &mut Doc, at: Timestamp) -> Result<Written, CrdtError> {
    expect_kind(doc, DocKind::Patrol)?;
    doc.am.delete(ROOT, EVERY)?;
    doc.am.delete(ROOT, DUE)?;
    doc.commit(at).ok_or(CrdtError::Unchanged)
}

/// Records `by`'s call for help at `point`.
pub fn raise_sos(
    doc: &mut Doc,
    by: DeviceId,
    point: Option<Point>,
    at: Timestamp,
) -> Result<Written, CrdtError> {
    expect_kind(doc, DocKind::Patrol)?;
    let calls = match opt_obj(&doc.am, &ROOT, SOS, ObjType::Map) {
        Some(obj) => obj,
        None => doc.am.put_object(ROOT, SOS, ObjType::Map)?,
    };
    let call = doc.am.put_object(&calls, by.to_hex(), ObjType::Map)?;
    doc.am
        .put(&call, "at", ScalarValue::Timestamp(at.millis()))?;
    if let Some(p) = point {
        doc.am.put(&call, "lat", p.lat)?;
        doc.am.put(&call, "lon", p.lon)?;
    }
    doc.commit(at).ok_or(CrdtError::Unchanged)
}

/// Withdraws `by`'s call for help (they are safe, or it was a mistake).
pub fn withdraw_sos(doc: &mut Doc, by: DeviceId, at: Timestamp) -> Result<Written, CrdtError> {
    expect_kind(doc, DocKind::Patrol)?;
    if let Some(calls) = opt_obj(&doc.am, &ROOT, SOS, ObjType::Map) {
        doc.am.delete(&calls, by.to_hex())?;
    }
    doc.commit(at).ok_or(CrdtError::Unchanged)
}

pub fn read_safety(doc: &Doc) -> Result<Safety, CrdtError> {
    expect_kind(doc, DocKind::Patrol)?;
    let am = &doc.am;
    let sos = opt_obj(am, &ROOT, SOS, ObjType::Map)
        .map(|calls| {
            am.keys(&calls)
                .filter_map(|key| {
                    let by = DeviceId::from_hex(&key).ok()?;
                    let call = opt_obj(am, &calls, &key, ObjType::Map)?;
                    // Only a call the caller's own device made counts (each change is signed
                    // by its author's key): nobody raises an SOS in someone else's name.
                    let own = matches!(&call, automerge::ObjId::Id(_, actor, _)
                        if actor.to_bytes() == by.as_bytes());
                    if !own || key != by.to_hex() {
                        return None;
                    }
                    let point = match (opt_f64(am, &call, "lat"), opt_f64(am, &call, "lon")) {
                        (Some(lat), Some(lon)) => {
                            Some(Point::new(lat, lon)).filter(|p| p.validate("sos").is_ok())
                        }
                        _ => None,
                    };
                    Some(SosCall {
                        by,
                        at: Timestamp::from_millis(opt_i64(am, &call, "at")?),
                        point,
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(Safety {
        check_in_every_ms: opt_i64(am, &ROOT, EVERY),
        check_in_due: opt_i64(am, &ROOT, DUE).map(Timestamp::from_millis),
        sos,
    })
}

#[cfg(test)]
mod tests {
    use porchlight_model::{DocId, random_bytes};

    use super::*;
    use crate::patrol::start_patrol;

    fn patrol() -> (Doc, DeviceId) {
        let me = DeviceId::from_bytes(random_bytes());
        let (doc, _) = start_patrol(
            DocId::random(),
            me,
            "Tomás",
            "Night round",
            Timestamp::from_millis(0),
        )
        .unwrap();
        (doc, me)
    }

    #[test]
    fn check_ins_move_the_deadline_and_can_stop() {
        let (mut doc, _) = patrol();
        assert_eq!(read_safety(&doc).unwrap(), Safety::default());
        set_check_in(&mut doc, 600_000, Timestamp::from_millis(1_000)).unwrap();
        let s = read_safety(&doc).unwrap();
        assert_eq!(s.check_in_every_ms, Some(600_000));
        assert_eq!(s.check_in_due, Some(Timestamp::from_millis(601_000)));
        stop_check_ins(&mut doc, Timestamp::from_millis(2_000)).unwrap();
        assert_eq!(read_safety(&doc).unwrap().check_in_due, None);
    }

    #[test]
    fn an_sos_raised_in_someone_elses_name_does_not_count() {
        let (mut doc, tomas) = patrol();
        // Another member's device, holding the same patrol, raises an SOS naming Tomás.
        let hostile = DeviceId::from_bytes(random_bytes());
        let mut theirs = Doc::empty(doc.id(), DocKind::Patrol, hostile.as_bytes());
        theirs.apply_remote(&doc.all_changes()).unwrap();
        raise_sos(
            &mut theirs,
            tomas,
            Some(Point::new(45.0, -122.0)),
            Timestamp::from_millis(9),
        )
        .unwrap();
        assert!(read_safety(&theirs).unwrap().sos.is_empty());
        // Their own call counts.
        raise_sos(&mut theirs, hostile, None, Timestamp::from_millis(10)).unwrap();
        assert_eq!(read_safety(&theirs).unwrap().sos.len(), 1);
    }

    #[test]
    fn an_sos_carries_who_when_and_where_until_withdrawn() {
        let (mut doc, me) = patrol();
        let here = Point::new(45.5, -122.6);
        raise_sos(&mut doc, me, Some(here), Timestamp::from_millis(5_000)).unwrap();
        let calls = read_safety(&doc).unwrap().sos;
        assert_eq!(
            calls,
            vec![SosCall {
                by: me,
                at: Timestamp::from_millis(5_000),
                point: Some(here)
            }]
        );
        withdraw_sos(&mut doc, me, Timestamp::from_millis(6_000)).unwrap();
        assert!(read_safety(&doc).unwrap().sos.is_empty());
    }
}
