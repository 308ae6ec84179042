//! The group document: name, member roster and zones. Written by coordinators.

use automerge::transaction::Transactable;
use automerge::{ObjType, ROOT, ReadDoc, ScalarValue};
use porchlight_model::{
    DeviceId, DocId, DocKind, Group, Member, Role, Timestamp, Zone, validate_name,
};

use crate::alert::expect_kind;
use crate::doc::{Doc, Written};
use crate::error::CrdtError;
use crate::fields::{Fields, opt_bytes, opt_i64, opt_obj, opt_str};

/// Coordinators' public sealing keys, by device (hex). Kept apart from the member entries, which
/// are rewritten whole when a name or role changes.
const SEAL_KEYS: &str = "seal_keys";

/// Creates a group whose first member, `by`, is its coordinator, with its sealing key if given.
pub fn create_group(
    id: DocId,
    name: &str,
    by: DeviceId,
    member_name: &str,
    seal_key: Option<[u8; 32]>,
    at: Timestamp,
) -> Result<(Doc, Written), CrdtError> {
    let name = validate_name("group name", name)?;
    let mut doc = Doc::create(id, DocKind::Group, by.as_bytes())?;
    doc.am.put(ROOT, "name", name.as_str())?;
    doc.am.put_object(ROOT, "members", ObjType::Map)?;
    doc.am.put_object(ROOT, "zones", ObjType::Map)?;
    let keys = doc.am.put_object(ROOT, SEAL_KEYS, ObjType::Map)?;
    if let Some(key) = seal_key {
        doc.am
            .put(&keys, by.to_hex(), ScalarValue::Bytes(key.to_vec()))?;
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

/// Removes a member from the roster (after their device was revoked).
pub fn remove_member(doc: &mut Doc, device: DeviceId, at: Timestamp) -> Result<Written, CrdtError> {
    expect_kind(doc, DocKind::Group)?;
    let members = obj(doc, "members")?;
    doc.am.delete(&members, device.to_hex())?;
    if let Some(keys) = opt_obj(&doc.am, &ROOT, SEAL_KEYS, ObjType::Map) {
        doc.am.delete(&keys, device.to_hex())?;
    }
    doc.commit(at).ok_or(CrdtError::Unchanged)
}

/// Publishes a coordinator's public sealing key, so members can seal reports to it.
pub fn set_seal_key(
    doc: &mut Doc,
    device: DeviceId,
    key: [u8; 32],
    at: Timestamp,
) -> Result<Written, CrdtError> {
    expect_kind(doc, DocKind::Group)?;
    // Groups made before sealing existed have no map yet.
    let keys = match opt_obj(&doc.am, &ROOT, SEAL_KEYS, ObjType::Map) {
        Some(keys) => keys,
        None => doc.am.put_object(ROOT, SEAL_KEYS, ObjType::Map)?,
    };
    doc.am
        .put(&keys, device.to_hex(), ScalarValue::Bytes(key.to_vec()))?;
    doc.commit(at).ok_or(CrdtError::Unchanged)
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
    let seal_keys = opt_obj(am, &ROOT, SEAL_KEYS, ObjType::Map);
    let mut members: Vec<Member> = am
        .keys(&members_obj)
        .filter_map(|k| {
            let entry = opt_obj(am, &members_obj, &k, ObjType::Map)?;
            Some(Member {
                device: DeviceId::from_hex(&k).ok()?,
                name: opt_str(am, &entry, "name")?,
                role: opt_str(am, &entry, "role")?.parse().ok()?,
                joined_at: Timestamp::from_millis(opt_i64(am, &entry, "joined_at")?),
                seal_key: seal_keys
                    .as_ref()
                    .and_then(|keys| opt_bytes(am, keys, &k))
                    .filter(|key| key.len() == 32)
                    .map(|key| porchlight_model::hex(&key)),
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
