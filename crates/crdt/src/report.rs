//! Report documents (one per report, written once by the reporter) and triage documents (one per
//! report, written by coordinators).
//!
//! Triage documents get an id derived from the report's, so two coordinators triaging the same
//! report at once write to the same document and converge; every field sits at the root or under a
//! unique key, so neither side's first write can shadow the other's.

use automerge::transaction::Transactable;
use automerge::{ObjType, ROOT, ReadDoc, ScalarValue};
use porchlight_model::{
    DeviceId, DocId, DocKind, NewReport, Point, Report, Timestamp, Triage, TriageNote,
    TriageStatus, hex, random_bytes, validate_note,
};

use crate::alert::{device, expect_kind};
use crate::doc::{Doc, Written};
use crate::error::CrdtError;
use crate::fields::{Fields, list_strings, opt_bytes, opt_f64, opt_i64, opt_obj, opt_str};

const NOTE_PREFIX: &str = "note/";

/// Creates a report. `filed_by` is `None` for an anonymous report, whose `actor` must then be a
/// fresh one-off id; the change's time is then zero so it carries no clock either.
pub fn create_report(
    id: DocId,
    actor: &[u8],
    filed_by: Option<DeviceId>,
    report: &NewReport,
) -> Result<(Doc, Written), CrdtError> {
    let r = report.clone().validate()?;
    let mut doc = Doc::create(id, DocKind::Report, actor)?;
    let am = &mut doc.am;
    am.put(ROOT, "category", r.category.as_str())?;
    am.put(ROOT, "description", r.description.as_str())?;
    am.put(
        ROOT,
        "occurred_at",
        ScalarValue::Timestamp(r.occurred_at.millis()),
    )?;
    am.put(ROOT, "precision", r.precision.as_str())?;
    if let Some(p) = r.location {
        am.put(ROOT, "lat", p.lat)?;
        am.put(ROOT, "lon", p.lon)?;
    }
    let photos = am.put_object(ROOT, "photos", ObjType::List)?;
    for (i, p) in r.photos.iter().enumerate() {
        am.insert(&photos, i, p.as_str())?;
    }
    if let Some(by) = filed_by {
        am.put(ROOT, "filed_by", ScalarValue::Bytes(by.as_bytes().to_vec()))?;
    }
    let at = if filed_by.is_some() {
        r.occurred_at
    } else {
        Timestamp::from_millis(0)
    };
    let written = doc.commit(at).ok_or(CrdtError::Unchanged)?;
    Ok((doc, written))
}

pub fn read_report(doc: &Doc) -> Result<Report, CrdtError> {
    expect_kind(doc, DocKind::Report)?;
    let am = &doc.am;
    let f = Fields {
        doc: am,
        kind: DocKind::Report,
    };
    let location = match (opt_f64(am, &ROOT, "lat"), opt_f64(am, &ROOT, "lon")) {
        (Some(lat), Some(lon)) => Some(Point::new(lat, lon)).filter(|p| p.validate("at").is_ok()),
        _ => None,
    };
    let photos = opt_obj(am, &ROOT, "photos", ObjType::List)
        .map(|list| list_strings(am, &list))
        .unwrap_or_default();
    Ok(Report {
        id: doc.id(),
        category: f.parsed(&ROOT, "category")?,
        description: f.str(&ROOT, "description")?,
        occurred_at: Timestamp::from_millis(f.i64(&ROOT, "occurred_at")?),
        location,
        precision: f.parsed(&ROOT, "precision")?,
        photos,
        filed_by: device(opt_bytes(am, &ROOT, "filed_by")),
        status: TriageStatus::New,
    })
}

/// The id of the triage document of `report`: the same on every coordinator's device.
pub fn triage_id(report: DocId) -> DocId {
    let mut h = blake3::Hasher::new();
    h.update(b"porchlight triage v1");
    h.update(report.as_bytes());
    let mut id = [0u8; 16];
    id.copy_from_slice(&h.finalize().as_bytes()[..16]);
    DocId::from_bytes(id)
}

/// A fresh triage document for `report`, to pass to [`set_triage`] (it commits nothing by itself).
pub fn new_triage(report: DocId, by: DeviceId) -> Result<Doc, CrdtError> {
    let mut doc = Doc::create(triage_id(report), DocKind::Triage, by.as_bytes())?;
    doc.am.put(
        ROOT,
        "report",
        ScalarValue::Bytes(report.as_bytes().to_vec()),
    )?;
    Ok(doc)
}

/// Sets the triage status and optionally appends a note, as one change.
pub fn set_triage(
    doc: &mut Doc,
    by: DeviceId,
    status: TriageStatus,
    note: Option<&str>,
    at: Timestamp,
) -> Result<Written, CrdtError> {
    expect_kind(doc, DocKind::Triage)?;
    let note = note.map(validate_note).transpose()?;
    let am = &mut doc.am;
    am.put(ROOT, "status", status.as_str())?;
    am.put(ROOT, "status_at", ScalarValue::Timestamp(at.millis()))?;
    am.put(
        ROOT,
        "status_by",
        ScalarValue::Bytes(by.as_bytes().to_vec()),
    )?;
    if opt_i64(am, &ROOT, "first_at").is_none() {
        am.put(ROOT, "first_at", ScalarValue::Timestamp(at.millis()))?;
    }
    if let Some(text) = note {
        let key = format!("{NOTE_PREFIX}{}", hex(&random_bytes::<8>()));
        let entry = am.put_object(ROOT, key, ObjType::Map)?;
        am.put(&entry, "at", ScalarValue::Timestamp(at.millis()))?;
        am.put(&entry, "by", ScalarValue::Bytes(by.as_bytes().to_vec()))?;
        am.put(&entry, "text", text.as_str())?;
    }
    doc.commit(at).ok_or(CrdtError::Unchanged)
}

pub fn read_triage(doc: &Doc) -> Result<Triage, CrdtError> {
    expect_kind(doc, DocKind::Triage)?;
    let am = &doc.am;
    let f = Fields {
        doc: am,
        kind: DocKind::Triage,
    };
    let report = opt_bytes(am, &ROOT, "report")
        .and_then(|b| DocId::from_slice(&b).ok())
        .ok_or(f.missing("report"))?;
    let mut notes: Vec<TriageNote> = am
        .keys(&ROOT)
        .filter(|k| k.starts_with(NOTE_PREFIX))
        .filter_map(|k| {
            let entry = opt_obj(am, &ROOT, &k, ObjType::Map)?;
            Some(TriageNote {
                at: Timestamp::from_millis(opt_i64(am, &entry, "at")?),
                by: device(opt_bytes(am, &entry, "by")),
                text: opt_str(am, &entry, "text")?,
            })
        })
        .collect();
    notes.sort_by_key(|n| n.at);
    Ok(Triage {
        report,
        status: opt_str(am, &ROOT, "status")
            .and_then(|s| s.parse().ok())
            .unwrap_or(TriageStatus::New),
        updated_at: opt_i64(am, &ROOT, "status_at").map(Timestamp::from_millis),
        notes,
    })
}

/// When a coordinator first acted on the report (for response-time metrics).
pub fn first_triaged_at(doc: &Doc) -> Option<Timestamp> {
    opt_i64(&doc.am, &ROOT, "first_at").map(Timestamp::from_millis)
}
