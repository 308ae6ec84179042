//! Alert documents: written once by their issuer, then only the status changes (and, later,
//! acknowledgements from residents).

use automerge::transaction::Transactable;
use automerge::{ROOT, ScalarValue};
use porchlight_model::{
    Alert, AlertStatus, DeviceId, DocId, DocKind, Meeting, NewAlert, Timestamp,
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
    let written = doc.commit(alert.issued_at).ok_or(CrdtError::Unchanged)?;
    Ok((doc, written))
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

pub fn read_alert(doc: &Doc) -> Result<Alert, CrdtError> {
    expect_kind(doc, DocKind::Alert)?;
    let f = Fields {
        doc: &doc.am,
        kind: DocKind::Alert,
    };
    let area: porchlight_model::Area = f.json(&ROOT, "area")?;
    area.validate("area")?;
    Ok(Alert {
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
    })
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
