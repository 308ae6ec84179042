//! The partner directory in the group document, and the record of a case forwarded to a
//! partner in the report's triage document.
//!
//! Partners sit in a map of their own at the group document's root, one entry per partner keyed
//! by a random id and rewritten whole on every edit (like member entries), so two coordinators
//! editing different partners offline both keep their edits, and on the same partner one edit
//! wins everywhere. Contact channels are one JSON string inside the entry: they are always
//! edited together.

use automerge::transaction::Transactable;
use automerge::{ObjType, ROOT, ReadDoc, ScalarValue};
use porchlight_model::{
    ContactChannel, DeviceId, DocKind, MAX_PARTNERS, NewPartner, Partner, Timestamp,
    ValidationError, ends_case, hex, is_partner_id, random_bytes,
};

use crate::alert::expect_kind;
use crate::case::FWD_PREFIX;
use crate::doc::{Doc, Written};
use crate::error::CrdtError;
use crate::fields::{opt_obj, opt_str};
use crate::report::put_status;

const PARTNERS: &str = "partners";

/// A fresh partner id (8 random bytes as hex).
pub fn new_partner_id() -> String {
    hex(&random_bytes::<8>())
}

/// Adds partner `id`, or replaces what the directory holds for it.
pub fn set_partner(
    doc: &mut Doc,
    id: &str,
    partner: &NewPartner,
    at: Timestamp,
) -> Result<Written, CrdtError> {
    expect_kind(doc, DocKind::Group)?;
    if !is_partner_id(id) {
        return Err(invalid("partner", "not a partner id"));
    }
    let p = partner.validate()?;
    let map = match opt_obj(&doc.am, &ROOT, PARTNERS, ObjType::Map) {
        Some(m) => m,
        None => doc.am.put_object(ROOT, PARTNERS, ObjType::Map)?,
    };
    let existing = doc.am.keys(&map).count();
    if existing >= MAX_PARTNERS && doc.am.get(&map, id)?.is_none() {
        return Err(invalid(
            "partner",
            &format!("a group lists at most {MAX_PARTNERS} partners"),
        ));
    }
    if read_partners(doc)
        .iter()
        .any(|old| old.id == id && old.entry() == p)
    {
        return Err(CrdtError::Unchanged);
    }
    let channels = serde_json::to_string(&p.channels)
        .map_err(|e| invalid("contact", &format!("cannot be stored: {e}")))?;
    let am = &mut doc.am;
    let entry = am.put_object(&map, id, ObjType::Map)?;
    am.put(&entry, "kind", p.kind.as_str())?;
    am.put(&entry, "name", p.name.as_str())?;
    am.put(&entry, "organisation", p.organisation.as_str())?;
    am.put(&entry, "channels", channels)?;
    doc.commit(at).ok_or(CrdtError::Unchanged)
}

/// Takes partner `id` out of the directory (cases forwarded to it keep its name).
pub fn remove_partner(doc: &mut Doc, id: &str, at: Timestamp) -> Result<Written, CrdtError> {
    expect_kind(doc, DocKind::Group)?;
    let Some(map) = opt_obj(&doc.am, &ROOT, PARTNERS, ObjType::Map) else {
        return Err(CrdtError::Unchanged);
    };
    if doc.am.get(&map, id)?.is_none() {
        return Err(CrdtError::Unchanged);
    }
    doc.am.delete(&map, id)?;
    doc.commit(at).ok_or(CrdtError::Unchanged)
}

/// One entry as stored, or why it cannot be a partner.
fn read_entry(doc: &Doc, map: &automerge::ObjId, id: &str) -> Result<Partner, &'static str> {
    let am = &doc.am;
    if !is_partner_id(id) {
        return Err("not a partner id");
    }
    let entry = opt_obj(am, map, id, ObjType::Map).ok_or("not an entry")?;
    let channels: Vec<ContactChannel> = match opt_str(am, &entry, "channels") {
        Some(json) => serde_json::from_str(&json).map_err(|_| "unreadable contact channels")?,
        None => Vec::new(),
    };
    Ok(Partner {
        id: id.to_owned(),
        kind: opt_str(am, &entry, "kind")
            .and_then(|k| k.parse().ok())
            .ok_or("unknown partner kind")?,
        name: opt_str(am, &entry, "name").ok_or("no name")?,
        organisation: opt_str(am, &entry, "organisation").unwrap_or_default(),
        channels,
    })
}

/// The group's partners by name. Entries that are not partners are left out (the validator
/// refuses them on arrival; this never fails on a document that got past it).
pub fn read_partners(doc: &Doc) -> Vec<Partner> {
    let Some(map) = opt_obj(&doc.am, &ROOT, PARTNERS, ObjType::Map) else {
        return Vec::new();
    };
    let mut out: Vec<Partner> = doc
        .am
        .keys(&map)
        .filter_map(|id| read_entry(doc, &map, &id).ok())
        .collect();
    out.sort_by(|a, b| (a.name.to_lowercase(), &a.id).cmp(&(b.name.to_lowercase(), &b.id)));
    out
}

/// Refuses a directory no honest device writes: malformed entries, entries breaking the model's
/// rules, more partners than allowed.
pub(crate) fn check_partners(doc: &Doc) -> Result<(), CrdtError> {
    let Some(map) = opt_obj(&doc.am, &ROOT, PARTNERS, ObjType::Map) else {
        return Ok(());
    };
    let mut count = 0;
    for id in doc.am.keys(&map) {
        let p = read_entry(doc, &map, &id).map_err(|why| invalid("partner", why))?;
        if p.entry().validate()? != p.entry() {
            return Err(invalid("partner", "not stored as entered (untrimmed)"));
        }
        count += 1;
    }
    if count > MAX_PARTNERS {
        return Err(invalid("partner", "more partners than a group may list"));
    }
    Ok(())
}

/// Records in a triage document that `by` forwarded the case to `partner`. An open case's status
/// becomes `forwarded` in the same change; a closed or dismissed one keeps its status.
pub fn record_forward(
    doc: &mut Doc,
    by: DeviceId,
    partner: &Partner,
    at: Timestamp,
) -> Result<Written, CrdtError> {
    expect_kind(doc, DocKind::Triage)?;
    if !is_partner_id(&partner.id) {
        return Err(invalid("partner", "not a partner id"));
    }
    let status = opt_str(&doc.am, &ROOT, "status").and_then(|s| s.parse().ok());
    if !status.is_some_and(ends_case) {
        put_status(doc, by, porchlight_model::TriageStatus::Forwarded, at)?;
    }
    let key = format!("{FWD_PREFIX}{}", hex(&random_bytes::<8>()));
    let am = &mut doc.am;
    let entry = am.put_object(ROOT, key, ObjType::Map)?;
    am.put(&entry, "partner", partner.id.as_str())?;
    am.put(&entry, "name", partner.name.as_str())?;
    am.put(&entry, "at", ScalarValue::Timestamp(at.millis()))?;
    doc.commit(at).ok_or(CrdtError::Unchanged)
}

fn invalid(field: &'static str, reason: &str) -> CrdtError {
    CrdtError::Invalid(ValidationError::Invalid {
        field,
        reason: reason.into(),
    })
}

#[cfg(test)]
mod tests {
    use porchlight_model::{ChannelKind, DocId, PartnerKind, TriageStatus};

    use super::*;
    use crate::case::case_history;
    use crate::group::create_group;
    use crate::report::{new_triage, read_triage};
    use crate::validate::validate_document;

    const ANA: DeviceId = DeviceId::from_bytes([1; 16]);

    fn t(secs: i64) -> Timestamp {
        Timestamp::from_millis(secs * 1000)
    }

    fn liaison() -> NewPartner {
        NewPartner {
            kind: PartnerKind::PoliceLiaison,
            name: "Officer Dana Ruiz".into(),
            organisation: "Eastside Precinct".into(),
            channels: vec![ContactChannel {
                kind: ChannelKind::Email,
                value: "d.ruiz@pd.example.org".into(),
            }],
        }
    }

    fn group() -> Doc {
        create_group(DocId::random(), "Elm Street", ANA, "Ana", None, t(1))
            .unwrap()
            .0
    }

    #[test]
    fn partners_are_added_edited_and_removed() {
        let mut doc = group();
        let id = new_partner_id();
        set_partner(&mut doc, &id, &liaison(), t(2)).unwrap();
        assert_eq!(read_partners(&doc)[0].entry(), liaison());
        assert!(matches!(
            set_partner(&mut doc, &id, &liaison(), t(3)),
            Err(CrdtError::Unchanged)
        ));
        let mut edited = liaison();
        edited.channels.clear();
        set_partner(&mut doc, &id, &edited, t(3)).unwrap();
        assert_eq!(read_partners(&doc)[0].channels, vec![]);
        assert_eq!(validate_document(&mut doc).unwrap(), crate::Verdict::Valid);
        remove_partner(&mut doc, &id, t(4)).unwrap();
        assert!(read_partners(&doc).is_empty());
        assert!(matches!(
            remove_partner(&mut doc, &id, t(5)),
            Err(CrdtError::Unchanged)
        ));
    }

    #[test]
    fn a_malformed_partner_entry_is_rejected_not_panicking() {
        let mut doc = group();
        set_partner(&mut doc, &new_partner_id(), &liaison(), t(2)).unwrap();
        // Written raw, past set_partner's checks, as a hostile device could.
        let map = opt_obj(&doc.am, &ROOT, PARTNERS, ObjType::Map).unwrap();
        let entry = doc
            .am
            .put_object(&map, "00000000000000ff", ObjType::Map)
            .unwrap();
        doc.am.put(&entry, "kind", "school").unwrap();
        doc.am.put(&entry, "name", "Lincoln").unwrap();
        doc.am
            .put(&entry, "channels", r#"[{"kind":"email","value":"nope"}]"#)
            .unwrap();
        doc.commit(t(3)).unwrap();
        assert!(matches!(
            validate_document(&mut doc),
            Err(CrdtError::Invalid(ValidationError::Invalid {
                field: "contact",
                ..
            }))
        ));
    }

    #[test]
    fn forwarding_is_in_the_case_history_and_moves_an_open_case_to_forwarded() {
        let mut doc = new_triage(DocId::random(), ANA).unwrap();
        let partner = Partner {
            id: new_partner_id(),
            kind: PartnerKind::School,
            name: "Lincoln Elementary".into(),
            organisation: String::new(),
            channels: vec![],
        };
        record_forward(&mut doc, ANA, &partner, t(10)).unwrap();
        assert_eq!(read_triage(&doc).unwrap().status, TriageStatus::Forwarded);
        assert_eq!(validate_document(&mut doc).unwrap(), crate::Verdict::Valid);
        let h = case_history(&mut doc).unwrap();
        assert_eq!(h.len(), 1);
        assert_eq!(h[0].by, ANA);
        assert_eq!(h[0].at, t(10));
        assert!(
            h[0].changes
                .contains(&porchlight_model::CaseChange::Forwarded {
                    partner: partner.id.clone(),
                    name: "Lincoln Elementary".into(),
                })
        );
    }
}
