//! Case handling in triage documents: priority, assignee, outcome, merged duplicates, and the
//! case's history read back from the document's own Automerge changes.
//!
//! Every field sits at the root or under a key of its own (`dup/<report>`), like the rest of the
//! triage document, so two coordinators' concurrent edits both survive or one value wins
//! everywhere. The history is not a log kept beside the document: it is what each change did,
//! found by comparing the document as the change's author saw it with the document right after
//! it, so it cannot disagree with the document.

use std::collections::{BTreeMap, BTreeSet};

use automerge::transaction::Transactable;
use automerge::{ChangeHash, ObjType, ROOT, ReadDoc, ScalarValue, Value};
use porchlight_model::{
    CaseChange, CaseEvent, CaseOutcome, DeviceId, DocId, DocKind, Priority, Timestamp,
    TriageStatus, ValidationError, ends_case, hex,
};

use crate::alert::{device, expect_kind};
use crate::doc::{Doc, Written};
use crate::error::CrdtError;
use crate::fields::{opt_bytes, opt_str};

pub(crate) const DUP_PREFIX: &str = "dup/";
pub(crate) const NOTE_PREFIX: &str = "note/";
/// A forwarding to a partner: `fwd/<random>` holding the partner's id and name then.
pub(crate) const FWD_PREFIX: &str = "fwd/";

/// Sets the case's priority.
pub fn set_priority(
    doc: &mut Doc,
    priority: Priority,
    at: Timestamp,
) -> Result<Written, CrdtError> {
    expect_kind(doc, DocKind::Triage)?;
    if read_str(doc, "priority").as_deref() == Some(priority.as_str()) {
        return Err(CrdtError::Unchanged);
    }
    doc.am.put(ROOT, "priority", priority.as_str())?;
    doc.commit(at).ok_or(CrdtError::Unchanged)
}

/// Assigns the case to a member (`None`: to nobody).
pub fn set_assignee(
    doc: &mut Doc,
    assignee: Option<DeviceId>,
    at: Timestamp,
) -> Result<Written, CrdtError> {
    expect_kind(doc, DocKind::Triage)?;
    let now = device(opt_bytes(&doc.am, &ROOT, "assignee"));
    if now == assignee {
        return Err(CrdtError::Unchanged);
    }
    match assignee {
        Some(d) => doc
            .am
            .put(ROOT, "assignee", ScalarValue::Bytes(d.as_bytes().to_vec()))?,
        None => doc.am.delete(ROOT, "assignee")?,
    }
    doc.commit(at).ok_or(CrdtError::Unchanged)
}

/// Writes the outcome that goes with a new status, without committing: an ending status keeps
/// the outcome given (which the caller has checked is there), any other status clears it, so a
/// reopened case carries no stale outcome.
pub(crate) fn put_outcome(
    doc: &mut Doc,
    status: TriageStatus,
    outcome: Option<CaseOutcome>,
) -> Result<(), CrdtError> {
    match outcome {
        Some(o) if ends_case(status) => doc.am.put(ROOT, "outcome", o.as_str())?,
        Some(_) => {
            return Err(ValidationError::Invalid {
                field: "outcome",
                reason: format!("only a closed or dismissed case has an outcome, not {status}"),
            }
            .into());
        }
        None if !ends_case(status) && read_str(doc, "outcome").is_some() => {
            doc.am.delete(ROOT, "outcome")?;
        }
        None => {}
    }
    Ok(())
}

/// Marks this (duplicate) case as merged into the case of report `into`, or takes it out again
/// with `None`.
pub fn set_merged_into(
    doc: &mut Doc,
    into: Option<DocId>,
    at: Timestamp,
) -> Result<Written, CrdtError> {
    expect_kind(doc, DocKind::Triage)?;
    match into {
        Some(id) => doc.am.put(
            ROOT,
            "merged_into",
            ScalarValue::Bytes(id.as_bytes().to_vec()),
        )?,
        None if opt_bytes(&doc.am, &ROOT, "merged_into").is_some() => {
            doc.am.delete(ROOT, "merged_into")?;
        }
        None => return Err(CrdtError::Unchanged),
    }
    doc.commit(at).ok_or(CrdtError::Unchanged)
}

/// Records on the surviving case that `report` was merged into it (`merged`), or taken out.
pub fn set_duplicate(
    doc: &mut Doc,
    report: DocId,
    merged: bool,
    at: Timestamp,
) -> Result<Written, CrdtError> {
    expect_kind(doc, DocKind::Triage)?;
    let key = format!("{DUP_PREFIX}{}", hex(report.as_bytes()));
    if merged {
        doc.am.put(ROOT, key, ScalarValue::Timestamp(at.millis()))?;
    } else if doc.am.get(ROOT, key.as_str())?.is_some() {
        doc.am.delete(ROOT, key)?;
    } else {
        return Err(CrdtError::Unchanged);
    }
    doc.commit(at).ok_or(CrdtError::Unchanged)
}

fn read_str(doc: &Doc, key: &str) -> Option<String> {
    opt_str(&doc.am, &ROOT, key)
}

/// The case fields of a triage document, read leniently (unknown values read as absent; the
/// validator refuses them on arrival).
pub(crate) struct CaseFields {
    pub assignee: Option<DeviceId>,
    pub priority: Priority,
    pub outcome: Option<CaseOutcome>,
    pub merged_into: Option<DocId>,
    pub duplicates: Vec<DocId>,
}

pub(crate) fn read_case(doc: &Doc) -> CaseFields {
    let am = &doc.am;
    CaseFields {
        assignee: device(opt_bytes(am, &ROOT, "assignee")),
        priority: read_str(doc, "priority")
            .and_then(|p| p.parse().ok())
            .unwrap_or_default(),
        outcome: read_str(doc, "outcome").and_then(|o| o.parse().ok()),
        merged_into: opt_bytes(am, &ROOT, "merged_into").and_then(|b| DocId::from_slice(&b).ok()),
        duplicates: am.keys(ROOT).filter_map(|k| dup_key(&k)).collect(),
    }
}

fn dup_key(key: &str) -> Option<DocId> {
    let hex = key.strip_prefix(DUP_PREFIX)?;
    DocId::from_slice(&porchlight_model::unhex(hex)?).ok()
}

/// Refuses case fields that no honest device writes: an unknown priority or outcome, an
/// assignee or merge target that is no id, a case merged into itself.
pub(crate) fn check_case(doc: &Doc, report: DocId) -> Result<(), CrdtError> {
    let am = &doc.am;
    let bad = |field: &'static str, reason: &str| {
        Err(CrdtError::Invalid(ValidationError::Invalid {
            field,
            reason: reason.into(),
        }))
    };
    let present = |key: &str| matches!(am.get(ROOT, key), Ok(Some(_)));
    if present("priority")
        && read_str(doc, "priority")
            .and_then(|p| p.parse::<Priority>().ok())
            .is_none()
    {
        return bad("priority", "not a known priority");
    }
    if present("outcome")
        && read_str(doc, "outcome")
            .and_then(|o| o.parse::<CaseOutcome>().ok())
            .is_none()
    {
        return bad("outcome", "not a known outcome");
    }
    if present("assignee") && device(opt_bytes(am, &ROOT, "assignee")).is_none() {
        return bad("assignee", "not a device id");
    }
    if present("merged_into") {
        match opt_bytes(am, &ROOT, "merged_into").and_then(|b| DocId::from_slice(&b).ok()) {
            None => return bad("merged_into", "not a report id"),
            Some(id) if id == report => {
                return bad("merged_into", "a case cannot merge into itself");
            }
            Some(_) => {}
        }
    }
    for key in am.keys(ROOT).filter(|k| k.starts_with(DUP_PREFIX)) {
        if dup_key(&key).is_none() {
            return bad("duplicate", "not a report id");
        }
    }
    for key in am.keys(ROOT).filter(|k| k.starts_with(FWD_PREFIX)) {
        let Some(entry) = crate::fields::opt_obj(am, &ROOT, &key, ObjType::Map) else {
            return bad("forwarded", "not an entry");
        };
        let partner = opt_str(am, &entry, "partner");
        if !partner
            .as_deref()
            .is_some_and(porchlight_model::is_partner_id)
        {
            return bad("forwarded", "not a partner id");
        }
        let name = opt_str(am, &entry, "name").unwrap_or_default();
        porchlight_model::validate_name("partner name", &name)?;
    }
    Ok(())
}

/// What a triage document held at one point of its history.
#[derive(Default, PartialEq)]
struct State {
    status: Option<TriageStatus>,
    priority: Option<Priority>,
    assignee: Option<DeviceId>,
    outcome: Option<CaseOutcome>,
    merged_into: Option<DocId>,
    notes: BTreeMap<String, String>,
    duplicates: BTreeSet<DocId>,
    /// Forwardings by key: (partner id, partner name).
    forwards: BTreeMap<String, (String, String)>,
}

fn scalar_at(doc: &Doc, key: &str, heads: &[ChangeHash]) -> Option<ScalarValue> {
    match doc.am.get_at(ROOT, key, heads) {
        Ok(Some((Value::Scalar(s), _))) => Some(s.into_owned()),
        _ => None,
    }
}

fn str_at(doc: &Doc, key: &str, heads: &[ChangeHash]) -> Option<String> {
    match scalar_at(doc, key, heads)? {
        ScalarValue::Str(s) => Some(s.to_string()),
        _ => None,
    }
}

fn bytes_at(doc: &Doc, key: &str, heads: &[ChangeHash]) -> Option<Vec<u8>> {
    match scalar_at(doc, key, heads)? {
        ScalarValue::Bytes(b) => Some(b),
        _ => None,
    }
}

fn state_at(doc: &Doc, heads: &[ChangeHash]) -> State {
    if heads.is_empty() {
        return State::default();
    }
    let am = &doc.am;
    let mut s = State {
        status: str_at(doc, "status", heads).and_then(|v| v.parse().ok()),
        priority: str_at(doc, "priority", heads).and_then(|v| v.parse().ok()),
        assignee: device(bytes_at(doc, "assignee", heads)),
        outcome: str_at(doc, "outcome", heads).and_then(|v| v.parse().ok()),
        merged_into: bytes_at(doc, "merged_into", heads).and_then(|b| DocId::from_slice(&b).ok()),
        ..State::default()
    };
    for key in am.keys_at(ROOT, heads) {
        if let Some(id) = dup_key(&key) {
            s.duplicates.insert(id);
        } else if key.starts_with(FWD_PREFIX)
            && let Ok(Some((Value::Object(ObjType::Map), entry))) =
                am.get_at(ROOT, key.as_str(), heads)
        {
            let field = |name: &str| match am.get_at(&entry, name, heads) {
                Ok(Some((Value::Scalar(v), _))) => match v.into_owned() {
                    ScalarValue::Str(s) => Some(s.to_string()),
                    _ => None,
                },
                _ => None,
            };
            if let (Some(partner), Some(name)) = (field("partner"), field("name")) {
                s.forwards.insert(key, (partner, name));
            }
        } else if key.starts_with(NOTE_PREFIX)
            && let Ok(Some((Value::Object(ObjType::Map), entry))) =
                am.get_at(ROOT, key.as_str(), heads)
            && let Ok(Some((Value::Scalar(text), _))) = am.get_at(&entry, "text", heads)
            && let ScalarValue::Str(text) = text.into_owned()
        {
            s.notes.insert(key, text.to_string());
        }
    }
    s
}

fn diff(before: &State, after: &State) -> Vec<CaseChange> {
    let mut out = Vec::new();
    if let Some(to) = after.status
        && before.status != after.status
    {
        out.push(CaseChange::Status {
            from: before.status,
            to,
        });
    }
    if let Some(to) = after.priority
        && before.priority != after.priority
    {
        out.push(CaseChange::Priority {
            from: before.priority,
            to,
        });
    }
    if before.assignee != after.assignee {
        out.push(CaseChange::Assignee {
            from: before.assignee,
            to: after.assignee,
        });
    }
    if before.outcome != after.outcome {
        out.push(CaseChange::Outcome {
            from: before.outcome,
            to: after.outcome,
        });
    }
    if before.merged_into != after.merged_into {
        out.push(CaseChange::MergedInto {
            into: after.merged_into,
        });
    }
    for (key, text) in &after.notes {
        if !before.notes.contains_key(key) {
            out.push(CaseChange::Note { text: text.clone() });
        }
    }
    for (key, (partner, name)) in &after.forwards {
        if !before.forwards.contains_key(key) {
            out.push(CaseChange::Forwarded {
                partner: partner.clone(),
                name: name.clone(),
            });
        }
    }
    for id in after.duplicates.difference(&before.duplicates) {
        out.push(CaseChange::Duplicate {
            report: *id,
            merged: true,
        });
    }
    for id in before.duplicates.difference(&after.duplicates) {
        out.push(CaseChange::Duplicate {
            report: *id,
            merged: false,
        });
    }
    out
}

/// Who changed what in a case and when, oldest first, from the document's own changes. A change
/// that altered none of the case's fields (only bookkeeping) is left out. A change's author is
/// its Automerge actor, which is the writing device's id.
pub fn case_history(doc: &mut Doc) -> Result<Vec<CaseEvent>, CrdtError> {
    expect_kind(doc, DocKind::Triage)?;
    let changes = doc.am.get_changes(&[]);
    let mut events = Vec::new();
    for change in changes {
        let Ok(by) = DeviceId::from_slice(change.actor_id().to_bytes()) else {
            continue;
        };
        let before = state_at(doc, change.deps());
        let after = state_at(doc, &[change.hash()]);
        let what = diff(&before, &after);
        if what.is_empty() {
            continue;
        }
        events.push(CaseEvent {
            at: Timestamp::from_millis(change.timestamp().saturating_mul(1000)),
            by,
            changes: what,
        });
    }
    // Causal order first; among concurrent changes, their times (a stable sort keeps causality
    // wherever clocks agree with it).
    events.sort_by_key(|e| e.at);
    Ok(events)
}

#[cfg(test)]
#[path = "case_tests.rs"]
mod tests;
