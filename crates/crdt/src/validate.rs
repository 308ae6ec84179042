//! Whether a whole document, as merged from every change anyone sent, holds what its kind
//! promises. The server runs this before it stores pushed changes, and devices before they project
//! a pulled document: both sides use the same typed readers and model rules, so a document the
//! server took is one every device can show, and one a device cannot show is set aside rather than
//! blocking its sync.

use porchlight_model::{
    BODY_MAX, DocKind, NewAlert, NewObservation, ValidationError, validate_name, validate_note,
    validate_title,
};

use crate::alert::{ack_id, read_ack, read_alert, read_attendance};
use crate::doc::Doc;
use crate::error::CrdtError;
use crate::group::read_group;
use crate::patrol::read_patrol;
use crate::report::{read_report, read_triage};

/// What [`validate_document`] concluded about a document that passed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Every rule of its kind holds.
    Valid,
    /// Its first change (the one with the kind marker) depends on changes not seen yet, so there
    /// is nothing to judge; whatever arrives later is judged together with it.
    Waiting,
}

/// Checks `doc` against the schema of its kind and the model's validation (coordinates, areas,
/// expiry after issue, text limits, enums), and for acknowledgements that every change was
/// written by the device the acknowledgement names.
pub fn validate_document(doc: &mut Doc) -> Result<Verdict, CrdtError> {
    if !doc.is_readable() {
        if doc.waits_for_changes() {
            return Ok(Verdict::Waiting);
        }
        // Reports the missing or wrong kind marker.
        doc.check_kind()?;
    }
    match doc.kind() {
        DocKind::Group => {
            let g = read_group(doc)?;
            validate_name("name", &g.name)?;
            for m in &g.members {
                validate_name("member name", &m.name)?;
            }
            for z in &g.zones {
                validate_name("zone name", &z.name)?;
                z.area.validate("zone")?;
            }
            // A group's map manifest must be whole and sane, or the change is refused.
            crate::map::read_map(doc)?;
            crate::partner::check_partners(doc)?;
        }
        DocKind::Alert => {
            let a = read_alert(doc)?;
            NewAlert {
                title: a.title,
                body: a.body,
                category: a.category,
                severity: a.severity,
                area: a.area,
                issued_at: a.issued_at,
                expires_at: a.expires_at,
                meeting: a.meeting,
                person: None,
            }
            .validate()?;
            read_attendance(doc)?;
        }
        DocKind::Patrol => {
            let p = read_patrol(doc)?;
            validate_title(&p.title)?;
            for who in &p.participants {
                validate_name("participant", &who.name)?;
            }
            for o in p.observations {
                NewObservation {
                    at: o.at,
                    point: o.point,
                    category: o.category,
                    note: o.note,
                    photos: o.photos,
                }
                .validate()?;
            }
        }
        DocKind::Report => {
            let r = read_report(doc)?;
            at_most("description", &r.description, BODY_MAX)?;
            for f in &r.followups {
                at_most("follow-up", &f.text, BODY_MAX)?;
            }
        }
        DocKind::Triage => {
            let t = read_triage(doc)?;
            for n in &t.notes {
                validate_note(&n.text)?;
            }
            crate::case::check_case(doc, t.report)?;
        }
        DocKind::Ack => {
            let ack = read_ack(doc)?;
            // One acknowledgement per device and alert, written by that device only: otherwise
            // one member could add acknowledgements in other members' names.
            if doc.id() != ack_id(ack.alert, ack.device) {
                return Err(CrdtError::Impersonation {
                    kind: DocKind::Ack,
                    why: "its id is not the one of this device's acknowledgement of this alert",
                });
            }
            if doc
                .actors()
                .iter()
                .any(|a| a.as_slice() != ack.device.as_bytes())
            {
                return Err(CrdtError::Impersonation {
                    kind: DocKind::Ack,
                    why: "it was written by another device than the one it names",
                });
            }
        }
    }
    Ok(Verdict::Valid)
}

fn at_most(field: &'static str, value: &str, max: usize) -> Result<(), ValidationError> {
    let len = value.chars().count();
    if len > max {
        return Err(ValidationError::TooLong { field, len, max });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use automerge::transaction::Transactable;
    use automerge::{ActorId, AutoCommit, ROOT, ScalarValue};
    use porchlight_model::{DeviceId, DocId, Timestamp};

    use super::*;
    use crate::alert::create_ack;

    const ME: DeviceId = DeviceId::from_bytes([1; 16]);
    const YOU: DeviceId = DeviceId::from_bytes([2; 16]);

    #[test]
    fn an_honest_ack_is_valid() {
        let (mut doc, _) = create_ack(DocId::random(), ME, Timestamp::from_millis(1)).unwrap();
        assert_eq!(validate_document(&mut doc).unwrap(), Verdict::Valid);
    }

    #[test]
    fn an_ack_in_another_devices_name_is_rejected_not_panicking() {
        let alert = DocId::random();
        let mut am = AutoCommit::new().with_actor(ActorId::from(ME.as_bytes().as_slice()));
        am.put(ROOT, "kind", "ack").unwrap();
        am.put(ROOT, "alert", ScalarValue::Bytes(alert.as_bytes().to_vec()))
            .unwrap();
        am.put(ROOT, "by", ScalarValue::Bytes(YOU.as_bytes().to_vec()))
            .unwrap();
        am.put(ROOT, "at", ScalarValue::Timestamp(1)).unwrap();
        am.commit();
        let changes: Vec<Vec<u8>> = am
            .get_changes(&[])
            .iter()
            .map(|c| c.raw_bytes().to_vec())
            .collect();
        let mut doc = Doc::empty(ack_id(alert, YOU), DocKind::Ack, &[0; 16]);
        doc.apply_remote(&changes).unwrap();
        assert!(matches!(
            validate_document(&mut doc),
            Err(CrdtError::Impersonation {
                kind: DocKind::Ack,
                ..
            })
        ));
    }

    #[test]
    fn a_document_waiting_for_its_first_change_is_not_judged_yet() {
        let (mut whole, _) = create_ack(DocId::random(), ME, Timestamp::from_millis(1)).unwrap();
        let first = whole.all_changes();
        let mut am = AutoCommit::new();
        am.load_incremental(&first[0]).unwrap();
        let mut am = am.with_actor(ActorId::from(ME.as_bytes().as_slice()));
        am.put(ROOT, "at", ScalarValue::Timestamp(2)).unwrap();
        am.commit();
        let heads: Vec<_> = am
            .get_changes(&[])
            .iter()
            .take(1)
            .map(automerge::Change::hash)
            .collect();
        let later: Vec<Vec<u8>> = am
            .get_changes(&heads)
            .iter()
            .map(|c| c.raw_bytes().to_vec())
            .collect();
        let mut doc = Doc::empty(whole.id(), DocKind::Ack, &[0; 16]);
        doc.apply_remote(&later).unwrap();
        assert_eq!(validate_document(&mut doc).unwrap(), Verdict::Waiting);
        let mut empty = Doc::empty(whole.id(), DocKind::Ack, &[0; 16]);
        assert!(matches!(
            validate_document(&mut empty),
            Err(CrdtError::WrongKind { .. })
        ));
    }

    fn meeting() -> Doc {
        use porchlight_model::{AlertCategory, Area, Meeting, NewAlert, Point, Severity};
        let (doc, _) = crate::alert::create_alert(
            DocId::random(),
            ME,
            &NewAlert {
                title: "Monthly meeting".into(),
                body: String::new(),
                category: AlertCategory::Meeting,
                severity: Severity::Info,
                area: Area::circle(Point::new(45.5, -122.6), 300.0),
                issued_at: Timestamp::from_millis(1_000),
                expires_at: None,
                meeting: Some(Meeting {
                    starts_at: Timestamp::from_millis(2_000),
                    place: "Library".into(),
                }),
                person: None,
            },
        )
        .unwrap();
        doc
    }

    #[test]
    fn recorded_attendance_is_valid_and_read_back() {
        let mut doc = meeting();
        let a = porchlight_model::Attendance {
            count: 12,
            members: vec![ME, YOU],
            recorded_at: Timestamp::from_millis(3_000),
            recorded_by: Some(ME),
        };
        crate::alert::record_attendance(&mut doc, &a, Timestamp::from_millis(3_000)).unwrap();
        assert_eq!(validate_document(&mut doc).unwrap(), Verdict::Valid);
        assert_eq!(read_alert(&doc).unwrap().attendance, Some(a));
    }

    #[test]
    fn forged_attendance_with_more_names_than_people_is_rejected_not_panicking() {
        let mut doc = meeting();
        // Written raw, as a hostile member's device could, past record_attendance's own check.
        doc.am
            .put(
                ROOT,
                "attendance",
                r#"{"count":1,"members":["01010101010101010101010101010101","02020202020202020202020202020202"],"recordedAt":3000}"#,
            )
            .unwrap();
        doc.commit(Timestamp::from_millis(3_000)).unwrap();
        assert!(matches!(
            validate_document(&mut doc),
            Err(CrdtError::Invalid(ValidationError::Invalid {
                field: "attendance",
                ..
            }))
        ));
        assert_eq!(read_alert(&doc).unwrap().attendance, None);
    }

    #[test]
    fn attendance_on_an_alert_that_is_no_meeting_is_rejected_not_panicking() {
        use porchlight_model::{AlertCategory, Area, NewAlert, Point, Severity};
        let (mut doc, _) = crate::alert::create_alert(
            DocId::random(),
            ME,
            &NewAlert {
                title: "Break-ins".into(),
                body: String::new(),
                category: AlertCategory::Crime,
                severity: Severity::Warning,
                area: Area::circle(Point::new(45.5, -122.6), 300.0),
                issued_at: Timestamp::from_millis(1_000),
                expires_at: None,
                meeting: None,
                person: None,
            },
        )
        .unwrap();
        let a = porchlight_model::Attendance {
            count: 3,
            members: vec![],
            recorded_at: Timestamp::from_millis(3_000),
            recorded_by: None,
        };
        assert!(matches!(
            crate::alert::record_attendance(&mut doc, &a, Timestamp::from_millis(3_000)),
            Err(CrdtError::Invalid(ValidationError::Invalid { .. }))
        ));
    }
}
