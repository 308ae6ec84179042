//! The group document: name, member roster and zones. Written by coordinators.

use automerge::transaction::Transactable;
use automerge::{ObjType, ROOT, ReadDoc, ScalarValue};
use porchlight_model::{
    DeviceId, DocId, DocKind, DueHours, Group, Member, Priority, Role, Timestamp, Zone,
    validate_name,
};

use crate::alert::expect_kind;
use crate::doc::{Doc, Written};
use crate::error::CrdtError;
use crate::fields::{Fields, opt_bytes, opt_i64, opt_obj, opt_str};

/// Signed member certificates as opaque bytes: what they say is checked by the protocol crate
/// against the group's root key, never taken from whoever wrote them here. Keyed by
/// `device:issuer` (hex), so two coordinators certifying one member concurrently, or anyone
/// writing a certificate that does not count, never overwrite a certificate that does. Kept apart
/// from the member entries, which are rewritten whole when a name or role changes.
const CERTS: &str = "certs";
/// Signed revocations, keyed like certificates. A map of their own, so a revocation and a
/// concurrent re-certification never overwrite each other.
const REVOCATIONS: &str = "revocations";

fn slot(device: DeviceId, issuer: DeviceId) -> String {
    format!("{}:{}", device.to_hex(), issuer.to_hex())
}

/// Creates a group whose first member, `by`, is its coordinator, with its own (root) certificate
/// when the group already has an id on a server.
pub fn create_group(
    id: DocId,
    name: &str,
    by: DeviceId,
    member_name: &str,
    root_cert: Option<Vec<u8>>,
    at: Timestamp,
) -> Result<(Doc, Written), CrdtError> {
    let name = validate_name("group name", name)?;
    let mut doc = Doc::create(id, DocKind::Group, by.as_bytes())?;
    doc.am.put(ROOT, "name", name.as_str())?;
    doc.am.put_object(ROOT, "members", ObjType::Map)?;
    doc.am.put_object(ROOT, "zones", ObjType::Map)?;
    let certs = doc.am.put_object(ROOT, CERTS, ObjType::Map)?;
    doc.am.put_object(ROOT, REVOCATIONS, ObjType::Map)?;
    if let Some(cert) = root_cert {
        doc.am.put(&certs, slot(by, by), ScalarValue::Bytes(cert))?;
    }
    put_member(&mut doc, by, member_name, Role::Coordinator, at)?;
    let written = doc.commit(at).ok_or(CrdtError::Unchanged)?;
    Ok((doc, written))
}

/// Adds or updates a member.
pub fn set_member(
    doc: &mut Doc,
    device: DeviceId,
    name: &str,
    role: Role,
    at: Timestamp,
) -> Result<Written, CrdtError> {
    expect_kind(doc, DocKind::Group)?;
    put_member(doc, device, name, role, at)?;
    doc.commit(at).ok_or(CrdtError::Unchanged)
}

/// Removes a member from the roster and records the signed revocation (after their device was
/// revoked on the server).
pub fn remove_member(
    doc: &mut Doc,
    device: DeviceId,
    by: DeviceId,
    revocation: Vec<u8>,
    at: Timestamp,
) -> Result<Written, CrdtError> {
    expect_kind(doc, DocKind::Group)?;
    let members = obj(doc, "members")?;
    doc.am.delete(&members, device.to_hex())?;
    let revocations = map_at_root(doc, REVOCATIONS)?;
    doc.am.put(
        &revocations,
        slot(device, by),
        ScalarValue::Bytes(revocation),
    )?;
    doc.commit(at).ok_or(CrdtError::Unchanged)
}

/// Adds or updates a member together with the certificate coordinator `by` signed for it.
pub fn certify_member(
    doc: &mut Doc,
    device: DeviceId,
    name: &str,
    role: Role,
    by: DeviceId,
    cert: Vec<u8>,
    at: Timestamp,
) -> Result<Written, CrdtError> {
    expect_kind(doc, DocKind::Group)?;
    put_member(doc, device, name, role, at)?;
    let certs = map_at_root(doc, CERTS)?;
    doc.am
        .put(&certs, slot(device, by), ScalarValue::Bytes(cert))?;
    doc.commit(at).ok_or(CrdtError::Unchanged)
}

/// The raw certificates and revocations the group document holds (checked by the caller).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MembershipRecords {
    pub certs: Vec<Vec<u8>>,
    pub revocations: Vec<Vec<u8>>,
}

pub fn read_membership(doc: &Doc) -> Result<MembershipRecords, CrdtError> {
    expect_kind(doc, DocKind::Group)?;
    let am = &doc.am;
    let all = |key: &str| -> Vec<Vec<u8>> {
        opt_obj(am, &ROOT, key, ObjType::Map)
            .map(|m| am.keys(&m).filter_map(|k| opt_bytes(am, &m, &k)).collect())
            .unwrap_or_default()
    };
    Ok(MembershipRecords {
        certs: all(CERTS),
        revocations: all(REVOCATIONS),
    })
}

/// The map under `key` at the root, made if this document predates it.
fn map_at_root(doc: &mut Doc, key: &'static str) -> Result<automerge::ObjId, CrdtError> {
    match opt_obj(&doc.am, &ROOT, key, ObjType::Map) {
        Some(map) => Ok(map),
        None => Ok(doc.am.put_object(ROOT, key, ObjType::Map)?),
    }
}

/// Reports a hotspot cell needs before it is shown anywhere, unless the group sets another.
pub const DEFAULT_HOTSPOT_K: u32 = 3;
/// The smallest threshold a group may set: below 2 a single report is located.
pub const MIN_HOTSPOT_K: u32 = 2;

/// Sets the group's hotspot threshold k (coordinators).
pub fn set_hotspot_k(doc: &mut Doc, k: u32, at: Timestamp) -> Result<Written, CrdtError> {
    expect_kind(doc, DocKind::Group)?;
    if !(MIN_HOTSPOT_K..=1000).contains(&k) {
        return Err(CrdtError::Invalid(
            porchlight_model::ValidationError::Invalid {
                field: "k",
                reason: format!(
                    "the hotspot threshold is {MIN_HOTSPOT_K} to 1000 reports, not {k}"
                ),
            },
        ));
    }
    let settings = map_at_root(doc, "settings")?;
    doc.am.put(&settings, "hotspot_k", i64::from(k))?;
    doc.commit(at).ok_or(CrdtError::Unchanged)
}

/// The group's hotspot threshold: what it set, never below the minimum, else the default.
pub fn read_hotspot_k(doc: &Doc) -> u32 {
    opt_obj(&doc.am, &ROOT, "settings", ObjType::Map)
        .and_then(|s| opt_i64(&doc.am, &s, "hotspot_k"))
        .and_then(|k| u32::try_from(k).ok())
        .map_or(DEFAULT_HOTSPOT_K, |k| k.max(MIN_HOTSPOT_K))
}

/// Sets how long an open case of `priority` may wait before it is overdue (coordinators).
pub fn set_due_hours(
    doc: &mut Doc,
    priority: Priority,
    hours: u32,
    at: Timestamp,
) -> Result<Written, CrdtError> {
    expect_kind(doc, DocKind::Group)?;
    let hours = DueHours::validate_hours(hours)?;
    let settings = map_at_root(doc, "settings")?;
    doc.am
        .put(&settings, format!("due_hours_{priority}"), i64::from(hours))?;
    doc.commit(at).ok_or(CrdtError::Unchanged)
}

/// The group's overdue times: what it set (within the allowed range), else the defaults.
pub fn read_due_hours(doc: &Doc) -> DueHours {
    let mut due = DueHours::default();
    let Some(settings) = opt_obj(&doc.am, &ROOT, "settings", ObjType::Map) else {
        return due;
    };
    for p in Priority::ALL {
        if let Some(h) = opt_i64(&doc.am, &settings, &format!("due_hours_{p}"))
            .and_then(|h| u32::try_from(h).ok())
            .and_then(|h| DueHours::validate_hours(h).ok())
        {
            due.set(*p, h);
        }
    }
    due
}

pub fn set_zone(doc: &mut Doc, zone: &Zone, at: Timestamp) -> Result<Written, CrdtError> {
    expect_kind(doc, DocKind::Group)?;
    let name = validate_name("zone name", &zone.name)?;
    zone.area.validate("area")?;
    let zones = obj(doc, "zones")?;
    doc.am.put(
        &zones,
        name.as_str(),
        serde_json::to_string(&zone.area).unwrap_or_default(),
    )?;
    doc.commit(at).ok_or(CrdtError::Unchanged)
}

fn put_member(
    doc: &mut Doc,
    device: DeviceId,
    name: &str,
    role: Role,
    at: Timestamp,
) -> Result<(), CrdtError> {
    let name = validate_name("name", name)?;
    let members = obj(doc, "members")?;
    let am = &mut doc.am;
    let entry = am.put_object(&members, device.to_hex(), ObjType::Map)?;
    am.put(&entry, "name", name.as_str())?;
    am.put(&entry, "role", role.as_str())?;
    am.put(&entry, "joined_at", ScalarValue::Timestamp(at.millis()))?;
    Ok(())
}

pub fn read_group(doc: &Doc) -> Result<Group, CrdtError> {
    expect_kind(doc, DocKind::Group)?;
    let am = &doc.am;
    let f = Fields {
        doc: am,
        kind: DocKind::Group,
    };
    let members_obj = f.obj(&ROOT, "members", ObjType::Map)?;
    let mut members: Vec<Member> = am
        .keys(&members_obj)
        .filter_map(|k| {
            let entry = opt_obj(am, &members_obj, &k, ObjType::Map)?;
            Some(Member {
                device: DeviceId::from_hex(&k).ok()?,
                name: opt_str(am, &entry, "name")?,
                role: opt_str(am, &entry, "role")?.parse().ok()?,
                joined_at: Timestamp::from_millis(opt_i64(am, &entry, "joined_at")?),
            })
        })
        .collect();
    members.sort_by(|a, b| a.name.cmp(&b.name));
    let zones = opt_obj(am, &ROOT, "zones", ObjType::Map)
        .map(|z| {
            am.keys(&z)
                .filter_map(|k| {
                    let area = serde_json::from_str(&opt_str(am, &z, &k)?).ok()?;
                    Some(Zone { name: k, area })
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(Group {
        id: doc.id(),
        name: f.str(&ROOT, "name")?,
        members,
        zones,
    })
}

fn obj(doc: &Doc, key: &'static str) -> Result<automerge::ObjId, CrdtError> {
    opt_obj(&doc.am, &ROOT, key, ObjType::Map).ok_or(CrdtError::Schema {
        kind: DocKind::Group,
        field: key,
    })
}
