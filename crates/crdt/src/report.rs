//! Report documents (one per report, written once by the reporter) and triage documents (one per
//! report, written by coordinators).
//!
//! Triage documents get an id derived from the report's, so two coordinators triaging the same
//! report at once write to the same document and converge; every field sits at the root or under a
//! unique key, so neither side's first write can shadow the other's.

use automerge::transaction::Transactable;
use automerge::{ObjType, ROOT, ReadDoc, ScalarValue};
use porchlight_model::{
    CaseOutcome, DeviceId, DocId, DocKind, FollowUp, NewReport, PersonDescription, Point,
    REPORT_TIME_STEP_MS, Report, Timestamp, Triage, TriageNote, TriageStatus, hex, random_bytes,
    validate_note,
};

use crate::alert::{device, expect_kind};
use crate::case::{NOTE_PREFIX, put_outcome, read_case};
use crate::doc::{Doc, Written};
use crate::error::CrdtError;
use crate::fields::{Fields, list_strings, opt_bytes, opt_f64, opt_i64, opt_obj, opt_str};

const FOLLOWUPS: &str = "followups";

/// The Automerge actor of a report's changes: derived from the reporter's one-off receipt secret,
/// so it is new for every report and ties the report to nothing else the reporter wrote.
pub fn report_actor(secret: &[u8; 32]) -> [u8; 16] {
    let mut actor = [0u8; 16];
    actor.copy_from_slice(&blake3::derive_key("porchlight report actor v1", secret)[..16]);
    actor
}

/// Where a coordinator publishes a report's status back to its reporter: an id to post it under
/// and a key to encrypt it with. Both come from the receipt secret, so the reporter can compute
/// them again and nobody else can; they travel to coordinators inside the sealed report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReplyKeys {
    pub id: [u8; 16],
    pub key: [u8; 32],
}

impl ReplyKeys {
    pub fn from_secret(secret: &[u8; 32]) -> Self {
        let mut id = [0u8; 16];
        id.copy_from_slice(&blake3::derive_key("porchlight report reply id v1", secret)[..16]);
        Self {
            id,
            key: blake3::derive_key("porchlight report reply key v1", secret),
        }
    }

    /// The id as the server's URLs spell it.
    pub fn id_hex(&self) -> String {
        hex(&self.id)
    }
}

/// Creates a report. `filed_by` is `None` for an anonymous report; the change's time is then
/// zero so it carries no clock either. `actor` should be [`report_actor`] of the receipt secret.
pub fn create_report(
    id: DocId,
    actor: &[u8],
    filed_by: Option<DeviceId>,
    report: &NewReport,
    reply: &ReplyKeys,
) -> Result<(Doc, Written), CrdtError> {
    let r = report.clone().validate()?;
    let mut doc = Doc::create(id, DocKind::Report, actor)?;
    let am = &mut doc.am;
    let reply_obj = am.put_object(ROOT, "reply", ObjType::Map)?;
    am.put(&reply_obj, "id", ScalarValue::Bytes(reply.id.to_vec()))?;
    am.put(&reply_obj, "key", ScalarValue::Bytes(reply.key.to_vec()))?;
    am.put_object(ROOT, FOLLOWUPS, ObjType::List)?;
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
    if let Some(person) = &r.person {
        am.put(
            ROOT,
            "person",
            serde_json::to_string(person).unwrap_or_default(),
        )?;
    }
    let at = if filed_by.is_some() {
        r.occurred_at
    } else {
        Timestamp::from_millis(0)
    };
    let written = doc.commit(at).ok_or(CrdtError::Unchanged)?;
    Ok((doc, written))
}

/// Adds the reporter's follow-up note, its time rounded down like the report's. An anonymous
/// follow-up, like the report, is committed with a zero timestamp.
pub fn add_followup(
    doc: &mut Doc,
    text: &str,
    at: Timestamp,
    anonymous: bool,
) -> Result<Written, CrdtError> {
    expect_kind(doc, DocKind::Report)?;
    let text = validate_note(text)?;
    let at = at.floor_to(REPORT_TIME_STEP_MS);
    let am = &mut doc.am;
    let list = match opt_obj(am, &ROOT, FOLLOWUPS, ObjType::List) {
        Some(list) => list,
        None => am.put_object(ROOT, FOLLOWUPS, ObjType::List)?,
    };
    let entry = am.insert_object(&list, am.length(&list), ObjType::Map)?;
    am.put(&entry, "at", ScalarValue::Timestamp(at.millis()))?;
    am.put(&entry, "text", text.as_str())?;
    let commit_at = if anonymous {
        Timestamp::from_millis(0)
    } else {
        at
    };
    doc.commit(commit_at).ok_or(CrdtError::Unchanged)
}

/// The reply id and key of a report, for publishing its status to the reporter.
pub fn report_reply(doc: &Doc) -> Option<ReplyKeys> {
    let am = &doc.am;
    let obj = opt_obj(am, &ROOT, "reply", ObjType::Map)?;
    Some(ReplyKeys {
        id: opt_bytes(am, &obj, "id")?.try_into().ok()?,
        key: opt_bytes(am, &obj, "key")?.try_into().ok()?,
    })
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
        followups: read_followups(doc),
        person: opt_str(am, &ROOT, "person")
            .and_then(|j| serde_json::from_str::<PersonDescription>(&j).ok())
            .and_then(|p| p.validate().ok()),
    })
}

fn read_followups(doc: &Doc) -> Vec<FollowUp> {
    let am = &doc.am;
    let Some(list) = opt_obj(am, &ROOT, FOLLOWUPS, ObjType::List) else {
        return Vec::new();
    };
    let mut out: Vec<FollowUp> = (0..am.length(&list))
        .filter_map(|i| {
            let (value, entry) = am.get(&list, i).ok()??;
            if !matches!(value, automerge::Value::Object(ObjType::Map)) {
                return None;
            }
            Some(FollowUp {
                at: Timestamp::from_millis(opt_i64(am, &entry, "at")?),
                text: opt_str(am, &entry, "text")?,
            })
        })
        .collect();
    out.sort_by_key(|f| f.at);
    out
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
    set_case_status(doc, by, status, None, note, at)
}

/// Like [`set_triage`], with the outcome of a case that ends (closed or dismissed). Any other
/// status clears an earlier outcome. Whether an ending status must have one is the caller's
/// rule (documents from before outcomes existed have none).
pub fn set_case_status(
    doc: &mut Doc,
    by: DeviceId,
    status: TriageStatus,
    outcome: Option<CaseOutcome>,
    note: Option<&str>,
    at: Timestamp,
) -> Result<Written, CrdtError> {
    expect_kind(doc, DocKind::Triage)?;
    let note = note.map(validate_note).transpose()?;
    put_outcome(doc, status, outcome)?;
    put_status(doc, by, status, at)?;
    let am = &mut doc.am;
    if let Some(text) = note {
        let key = format!("{NOTE_PREFIX}{}", hex(&random_bytes::<8>()));
        let entry = am.put_object(ROOT, key, ObjType::Map)?;
        am.put(&entry, "at", ScalarValue::Timestamp(at.millis()))?;
        am.put(&entry, "by", ScalarValue::Bytes(by.as_bytes().to_vec()))?;
        am.put(&entry, "text", text.as_str())?;
    }
    doc.commit(at).ok_or(CrdtError::Unchanged)
}

/// Writes a new status with who set it and when (and the first triage time), without
/// committing. Shared by status changes and forwarding.
pub(crate) fn put_status(
    doc: &mut Doc,
    by: DeviceId,
    status: TriageStatus,
    at: Timestamp,
) -> Result<(), CrdtError> {
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
    Ok(())
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
    let case = read_case(doc);
    Ok(Triage {
        report,
        status: opt_str(am, &ROOT, "status")
            .and_then(|s| s.parse().ok())
            .unwrap_or(TriageStatus::New),
        updated_at: opt_i64(am, &ROOT, "status_at").map(Timestamp::from_millis),
        notes,
        assignee: case.assignee,
        priority: case.priority,
        outcome: case.outcome,
        merged_into: case.merged_into,
        duplicates: case.duplicates,
    })
}

/// When a coordinator first acted on the report (for response-time metrics).
pub fn first_triaged_at(doc: &Doc) -> Option<Timestamp> {
    opt_i64(&doc.am, &ROOT, "first_at").map(Timestamp::from_millis)
}
