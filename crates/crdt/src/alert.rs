//! Alert documents: written once by their issuer, then only the status changes (and, later,
//! acknowledgements from residents).

use automerge::transaction::Transactable;
use automerge::{ObjType, ROOT, ReadDoc, ScalarValue, Value};
use porchlight_model::{
    Alert, AlertOutcome, AlertStatus, Attendance, DeviceId, DocId, DocKind, Meeting, NewAlert,
    PersonDescription, Timestamp, hex, unhex,
};

use crate::doc::{Doc, Written};
use crate::error::CrdtError;
use crate::fields::{Fields, opt_bytes, opt_i64, opt_str};

/// Creates the document of a validated alert issued by `by`.
pub fn create_alert(
    id: DocId,
    by: DeviceId,
    alert: &NewAlert,
) -> Result<(Doc, Written), CrdtError> {
    let alert = alert.clone().validate()?;
    let mut doc = Doc::create(id, DocKind::Alert, by.as_bytes())?;
    let am = &mut doc.am;
    am.put(ROOT, "title", alert.title.as_str())?;
    am.put(ROOT, "body", alert.body.as_str())?;
    am.put(ROOT, "category", alert.category.as_str())?;
    am.put(ROOT, "severity", alert.severity.as_str())?;
    // Written once, read whole: one JSON value beats a tree of tiny CRDT objects.
    am.put(
        ROOT,
        "area",
        serde_json::to_string(&alert.area).unwrap_or_default(),
    )?;
    am.put(
        ROOT,
        "issued_at",
        ScalarValue::Timestamp(alert.issued_at.millis()),
    )?;
    if let Some(e) = alert.expires_at {
        am.put(ROOT, "expires_at", ScalarValue::Timestamp(e.millis()))?;
    }
    am.put(ROOT, "status", AlertStatus::Active.as_str())?;
    am.put(
        ROOT,
        "issued_by",
        ScalarValue::Bytes(by.as_bytes().to_vec()),
    )?;
    if let Some(m) = &alert.meeting {
        am.put(
            ROOT,
            "starts_at",
            ScalarValue::Timestamp(m.starts_at.millis()),
        )?;
        am.put(ROOT, "place", m.place.as_str())?;
    }
    if let Some(person) = &alert.person {
        am.put(
            ROOT,
            "person",
            serde_json::to_string(person).unwrap_or_default(),
        )?;
    }
    if alert.person.is_some() {
        // The issuer's own approval, in the same change: the first of the two a person alert
        // needs (it counts only if the issuer is a coordinator).
        put_approval(&mut doc, by)?;
    }
    let written = doc.commit(alert.issued_at).ok_or(CrdtError::Unchanged)?;
    Ok((doc, written))
}

const APPROVALS: &str = "approvals";

/// What an approval vouches for: everything a resident is shown, so an approval of one text
/// never covers another.
pub fn approval_digest(alert: &Alert, status_at: i64) -> [u8; 32] {
    let mut h = blake3::Hasher::new();
    h.update(b"porchlight alert approval v1");
    h.update(alert.id.as_bytes());
    for text in [
        alert.title.as_str(),
        alert.body.as_str(),
        alert.category.as_str(),
        alert.severity.as_str(),
    ] {
        h.update(&(text.len() as u64).to_le_bytes());
        h.update(text.as_bytes());
    }
    let area = serde_json::to_string(&alert.area).unwrap_or_default();
    let person = serde_json::to_string(&alert.person).unwrap_or_default();
    for json in [area, person] {
        h.update(&(json.len() as u64).to_le_bytes());
        h.update(json.as_bytes());
    }
    h.update(&alert.expires_at.map_or(0, Timestamp::millis).to_le_bytes());
    h.update(&alert.issued_at.millis().to_le_bytes());
    h.update(
        alert
            .issued_by
            .map_or([0; 16], |d| *d.as_bytes())
            .as_slice(),
    );
    let meeting = serde_json::to_string(&alert.meeting).unwrap_or_default();
    h.update(&(meeting.len() as u64).to_le_bytes());
    h.update(meeting.as_bytes());
    // Every status change (cancel, re-activate) is stamped, so approvals never carry over to a
    // re-activated alert.
    h.update(&status_at.to_le_bytes());
    *h.finalize().as_bytes()
}

/// When the status last changed (0 if never).
fn status_at(doc: &Doc) -> i64 {
    opt_i64(&doc.am, &ROOT, "status_at").unwrap_or(0)
}

/// Records `by`'s approval of the alert as it reads now. The change carrying it is signed with
/// `by`'s device key like every change, and readers count it only when its author is `by`.
pub fn approve_alert(doc: &mut Doc, by: DeviceId, at: Timestamp) -> Result<Written, CrdtError> {
    put_approval(doc, by)?;
    doc.commit(at).ok_or(CrdtError::Unchanged)
}

fn put_approval(doc: &mut Doc, by: DeviceId) -> Result<(), CrdtError> {
    let alert = read_alert(doc)?;
    let digest = approval_digest(&alert, status_at(doc));
    let approvals = match doc.am.get(ROOT, APPROVALS)? {
        Some((Value::Object(ObjType::Map), id)) => id,
        _ => doc.am.put_object(ROOT, APPROVALS, ObjType::Map)?,
    };
    doc.am.put(
        &approvals,
        hex(by.as_bytes()),
        ScalarValue::Bytes(digest.to_vec()),
    )?;
    Ok(())
}

/// The devices whose approval of exactly `alert`'s content is in the document, each written by
/// that device itself (an approval one device writes in another's name is ignored).
fn approvers(doc: &Doc, alert: &Alert) -> Vec<DeviceId> {
    let am = &doc.am;
    let Ok(Some((Value::Object(ObjType::Map), obj))) = am.get(ROOT, APPROVALS) else {
        return Vec::new();
    };
    let digest = approval_digest(alert, status_at(doc));
    let mut out = Vec::new();
    for key in am.keys(&obj) {
        let Some(device) = unhex(&key)
            .and_then(|b| <[u8; 16]>::try_from(b).ok())
            .map(DeviceId::from_bytes)
        else {
            continue;
        };
        // Only the one spelling this code writes: "ABC…" or " abc…" beside "abc…" must not let
        // one device count twice.
        if key != hex(device.as_bytes()) || out.contains(&device) {
            continue;
        }
        // Every concurrent value counts on its own: one from the right author with the right
        // digest is enough, whatever else was written beside it.
        let Ok(values) = am.get_all(&obj, key.as_str()) else {
            continue;
        };
        let vouched = values.iter().any(|(value, id)| {
            let author_ok = matches!(id, automerge::ObjId::Id(_, actor, _)
                if actor.to_bytes() == device.as_bytes());
            let digest_ok = matches!(value, Value::Scalar(s)
                if matches!(s.as_ref(), ScalarValue::Bytes(b) if b.as_slice() == digest));
            author_ok && digest_ok
        });
        if vouched {
            out.push(device);
        }
    }
    out
}

/// Closes the alert with how it ended; the residents who heard of it are told.
pub fn close_alert(
    doc: &mut Doc,
    outcome: AlertOutcome,
    at: Timestamp,
) -> Result<Written, CrdtError> {
    expect_kind(doc, DocKind::Alert)?;
    doc.am.put(ROOT, "outcome", outcome.as_str())?;
    set_alert_status(doc, AlertStatus::Closed, at)
}

/// Changes the status (cancel, or re-activate). Concurrent changes converge to one value.
pub fn set_alert_status(
    doc: &mut Doc,
    status: AlertStatus,
    at: Timestamp,
) -> Result<Written, CrdtError> {
    expect_kind(doc, DocKind::Alert)?;
    doc.am.put(ROOT, "status", status.as_str())?;
    doc.am
        .put(ROOT, "status_at", ScalarValue::Timestamp(at.millis()))?;
    doc.commit(at).ok_or(CrdtError::Unchanged)
}

/// Records (or corrects) who came to a meeting: one JSON value, so concurrent records from two
/// coordinators converge to one of them whole, never a mix of two counts and two lists.
pub fn record_attendance(
    doc: &mut Doc,
    attendance: &Attendance,
    at: Timestamp,
) -> Result<Written, CrdtError> {
    expect_kind(doc, DocKind::Alert)?;
    attendance.validate()?;
    if opt_i64(&doc.am, &ROOT, "starts_at").is_none() {
        return Err(porchlight_model::ValidationError::Invalid {
            field: "attendance",
            reason: "only a meeting has attendance".into(),
        }
        .into());
    }
    doc.am.put(
        ROOT,
        ATTENDANCE,
        serde_json::to_string(attendance).unwrap_or_default(),
    )?;
    doc.commit(at).ok_or(CrdtError::Unchanged)
}

const ATTENDANCE: &str = "attendance";

/// The attendance as written, checked: `Ok(None)` when none was recorded, an error when what
/// another device wrote breaks the rules (the validator refuses such a document).
pub fn read_attendance(doc: &Doc) -> Result<Option<Attendance>, CrdtError> {
    let Some(json) = opt_str(&doc.am, &ROOT, ATTENDANCE) else {
        return Ok(None);
    };
    let bad = |reason: String| porchlight_model::ValidationError::Invalid {
        field: "attendance",
        reason,
    };
    let a: Attendance = serde_json::from_str(&json).map_err(|e| bad(e.to_string()))?;
    a.validate()?;
    if opt_i64(&doc.am, &ROOT, "starts_at").is_none() {
        return Err(bad("only a meeting has attendance".into()).into());
    }
    Ok(Some(a))
}

pub fn read_alert(doc: &Doc) -> Result<Alert, CrdtError> {
    expect_kind(doc, DocKind::Alert)?;
    let f = Fields {
        doc: &doc.am,
        kind: DocKind::Alert,
    };
    let area: porchlight_model::Area = f.json(&ROOT, "area")?;
    area.validate("area")?;
    let mut alert = Alert {
        id: doc.id(),
        title: f.str(&ROOT, "title")?,
        body: f.str(&ROOT, "body")?,
        category: f.parsed(&ROOT, "category")?,
        severity: f.parsed(&ROOT, "severity")?,
        area,
        issued_at: Timestamp::from_millis(f.i64(&ROOT, "issued_at")?),
        expires_at: opt_i64(&doc.am, &ROOT, "expires_at").map(Timestamp::from_millis),
        status: f.parsed(&ROOT, "status")?,
        issued_by: device(opt_bytes(&doc.am, &ROOT, "issued_by")),
        meeting: match (
            opt_i64(&doc.am, &ROOT, "starts_at"),
            opt_str(&doc.am, &ROOT, "place"),
        ) {
            (Some(t), Some(place)) => Some(Meeting {
                starts_at: Timestamp::from_millis(t),
                place,
            }),
            _ => None,
        },
        // A description another device wrote that breaks the rules is not shown, but the alert
        // still waits for approvals: garbling it must not release a held alert.
        person: opt_str(&doc.am, &ROOT, "person").map(|j| {
            serde_json::from_str::<PersonDescription>(&j)
                .ok()
                .and_then(|p| p.validate().ok())
                .unwrap_or(PersonDescription {
                    behaviour: String::new(),
                    details: Vec::new(),
                })
        }),
        approved_by: Vec::new(),
        awaiting_approval: false,
        outcome: opt_str(&doc.am, &ROOT, "outcome").and_then(|o| o.parse().ok()),
        // Broken attendance is not shown (the validator keeps such documents out).
        attendance: read_attendance(doc).ok().flatten(),
    };
    if alert.person.is_some() {
        alert.approved_by = approvers(doc, &alert);
    }
    Ok(alert)
}

/// The id of `device`'s acknowledgement of `alert`: the same wherever it is computed, so
/// acknowledging twice is one document.
pub fn ack_id(alert: DocId, device: DeviceId) -> DocId {
    let mut h = blake3::Hasher::new();
    h.update(b"porchlight ack v1");
    h.update(alert.as_bytes());
    h.update(device.as_bytes());
    let mut id = [0u8; 16];
    id.copy_from_slice(&h.finalize().as_bytes()[..16]);
    DocId::from_bytes(id)
}

/// A resident's acknowledgement of an alert.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ack {
    pub alert: DocId,
    pub device: DeviceId,
    pub at: Timestamp,
}

pub fn create_ack(alert: DocId, by: DeviceId, at: Timestamp) -> Result<(Doc, Written), CrdtError> {
    let mut doc = Doc::create(ack_id(alert, by), DocKind::Ack, by.as_bytes())?;
    doc.am
        .put(ROOT, "alert", ScalarValue::Bytes(alert.as_bytes().to_vec()))?;
    doc.am
        .put(ROOT, "by", ScalarValue::Bytes(by.as_bytes().to_vec()))?;
    doc.am
        .put(ROOT, "at", ScalarValue::Timestamp(at.millis()))?;
    let written = doc.commit(at).ok_or(CrdtError::Unchanged)?;
    Ok((doc, written))
}

pub fn read_ack(doc: &Doc) -> Result<Ack, CrdtError> {
    expect_kind(doc, DocKind::Ack)?;
    let f = Fields {
        doc: &doc.am,
        kind: DocKind::Ack,
    };
    Ok(Ack {
        alert: opt_bytes(&doc.am, &ROOT, "alert")
            .and_then(|b| DocId::from_slice(&b).ok())
            .ok_or(f.missing("alert"))?,
        device: device(opt_bytes(&doc.am, &ROOT, "by")).ok_or(f.missing("by"))?,
        at: Timestamp::from_millis(f.i64(&ROOT, "at")?),
    })
}

pub(crate) fn expect_kind(doc: &Doc, kind: DocKind) -> Result<(), CrdtError> {
    if doc.kind() == kind {
        Ok(())
    } else {
        Err(CrdtError::WrongKind {
            expected: kind,
            found: doc.kind().to_string(),
        })
    }
}

pub(crate) fn device(bytes: Option<Vec<u8>>) -> Option<DeviceId> {
    let arr: [u8; 16] = bytes?.try_into().ok()?;
    Some(DeviceId::from_bytes(arr))
}

#[cfg(test)]
mod tests {
    use porchlight_model::{
        AlertCategory, Area, DetailKind, PersonDetail, Point, Severity, random_bytes,
    };

    use super::*;

    fn person_alert() -> NewAlert {
        NewAlert {
            title: "Someone trying car doors".into(),
            body: String::new(),
            category: AlertCategory::SuspiciousActivity,
            severity: Severity::Warning,
            area: Area::circle(Point::new(40.0, -3.0), 300.0),
            issued_at: Timestamp::from_millis(1_000_000),
            expires_at: Some(Timestamp::from_millis(9_000_000)),
            meeting: None,
            person: Some(PersonDescription {
                behaviour: "Tried the doors of parked cars".into(),
                details: vec![
                    PersonDetail {
                        kind: DetailKind::Clothing,
                        text: "red hooded jacket".into(),
                    },
                    PersonDetail {
                        kind: DetailKind::Direction,
                        text: "walked towards the park".into(),
                    },
                ],
            }),
        }
    }

    fn device() -> DeviceId {
        DeviceId::from_bytes(random_bytes())
    }

    /// `doc` as another device holds it after sync, writing as `actor`.
    fn as_seen_by(doc: &mut Doc, actor: DeviceId) -> Doc {
        let mut theirs = Doc::empty(doc.id(), DocKind::Alert, actor.as_bytes());
        theirs.apply_remote(&doc.all_changes()).unwrap();
        theirs
    }

    #[test]
    fn the_issuer_approves_in_the_same_change_and_a_second_device_adds_its_own() {
        let (carmen, diego) = (device(), device());
        let (mut doc, _) = create_alert(DocId::random(), carmen, &person_alert()).unwrap();
        assert_eq!(
            doc.all_changes().len(),
            1,
            "one change carries alert and approval"
        );
        assert_eq!(read_alert(&doc).unwrap().approved_by, vec![carmen]);
        let mut theirs = as_seen_by(&mut doc, diego);
        approve_alert(&mut theirs, diego, Timestamp::from_millis(2_000_000)).unwrap();
        let mut approvers = read_alert(&theirs).unwrap().approved_by;
        approvers.sort();
        let mut want = vec![carmen, diego];
        want.sort();
        assert_eq!(approvers, want);
    }

    #[test]
    fn an_approval_written_in_another_devices_name_does_not_count() {
        let (carmen, diego) = (device(), device());
        let (mut doc, _) = create_alert(DocId::random(), carmen, &person_alert()).unwrap();
        // Carmen's device writes an approval under Diego's key.
        approve_alert(&mut doc, diego, Timestamp::from_millis(2_000_000)).unwrap();
        assert_eq!(read_alert(&doc).unwrap().approved_by, vec![carmen]);
    }

    #[test]
    fn an_approval_covers_only_the_content_it_saw() {
        let (carmen, diego) = (device(), device());
        let (mut doc, _) = create_alert(DocId::random(), carmen, &person_alert()).unwrap();
        let mut theirs = as_seen_by(&mut doc, diego);
        approve_alert(&mut theirs, diego, Timestamp::from_millis(2_000_000)).unwrap();
        // The issuer then rewrites the description: both approvals stop counting.
        theirs
            .am
            .put(ROOT, "title", "A different person entirely")
            .unwrap();
        theirs.commit(Timestamp::from_millis(3_000_000)).unwrap();
        assert!(read_alert(&theirs).unwrap().approved_by.is_empty());
    }

    #[test]
    fn one_device_counts_once_however_its_key_is_spelt() {
        let carmen = device();
        let (mut doc, _) = create_alert(DocId::random(), carmen, &person_alert()).unwrap();
        // Carmen's own device writes a second approval under an upper-case spelling of its id.
        let digest = approval_digest(&read_alert(&doc).unwrap(), status_at(&doc));
        let approvals = match doc.am.get(ROOT, APPROVALS).unwrap() {
            Some((Value::Object(ObjType::Map), id)) => id,
            other => panic!("no approvals map: {other:?}"),
        };
        doc.am
            .put(
                &approvals,
                hex(carmen.as_bytes()).to_uppercase(),
                ScalarValue::Bytes(digest.to_vec()),
            )
            .unwrap();
        doc.commit(Timestamp::from_millis(2_000_000)).unwrap();
        assert_eq!(read_alert(&doc).unwrap().approved_by, vec![carmen]);
    }

    #[test]
    fn a_garbled_description_still_holds_the_alert() {
        let (carmen, volunteer) = (device(), device());
        let (mut doc, _) = create_alert(DocId::random(), carmen, &person_alert()).unwrap();
        let mut theirs = as_seen_by(&mut doc, volunteer);
        theirs.am.put(ROOT, "person", "{not json").unwrap();
        theirs.commit(Timestamp::from_millis(2_000_000)).unwrap();
        let read = read_alert(&theirs).unwrap();
        assert!(read.person.is_some(), "still a person alert, so still held");
        assert!(read.approved_by.is_empty(), "the edit voided the approval");
    }

    #[test]
    fn a_cancelled_alert_set_active_again_needs_new_approvals() {
        let (carmen, diego) = (device(), device());
        let (mut doc, _) = create_alert(DocId::random(), carmen, &person_alert()).unwrap();
        let mut theirs = as_seen_by(&mut doc, diego);
        approve_alert(&mut theirs, diego, Timestamp::from_millis(2_000_000)).unwrap();
        assert_eq!(read_alert(&theirs).unwrap().approved_by.len(), 2);
        set_alert_status(
            &mut theirs,
            AlertStatus::Cancelled,
            Timestamp::from_millis(3_000_000),
        )
        .unwrap();
        set_alert_status(
            &mut theirs,
            AlertStatus::Active,
            Timestamp::from_millis(4_000_000),
        )
        .unwrap();
        assert!(read_alert(&theirs).unwrap().approved_by.is_empty());
    }

    #[test]
    fn alerts_without_a_person_carry_no_approvals() {
        let mut plain = person_alert();
        plain.person = None;
        let (doc, _) = create_alert(DocId::random(), device(), &plain).unwrap();
        let a = read_alert(&doc).unwrap();
        assert!(a.person.is_none() && a.approved_by.is_empty());
    }
}
