//! Patrol documents: title and times, participants, the GPS track as byte chunks, and observations
//! keyed by a random id so two devices adding at once both keep theirs.

use automerge::transaction::Transactable;
use automerge::{ObjId, ObjType, ROOT, ReadDoc, ScalarValue};
use porchlight_model::{
    DeviceId, DocId, DocKind, Fix, NewObservation, Observation, Participant, Patrol, Point,
    Timestamp, hex, random_bytes, validate_name, validate_title,
};

use crate::alert::{device, expect_kind};
use crate::doc::{Doc, Written};
use crate::error::CrdtError;
use crate::fields::{
    Fields, list_bytes, list_strings, opt_bytes, opt_f64, opt_i64, opt_obj, opt_str,
};
use crate::track;

/// Starts a patrol led by `by` (shown as `name`).
pub fn start_patrol(
    id: DocId,
    by: DeviceId,
    name: &str,
    title: &str,
    at: Timestamp,
) -> Result<(Doc, Written), CrdtError> {
    let title = validate_title(title)?;
    let name = validate_name("name", name)?;
    let mut doc = Doc::create(id, DocKind::Patrol, by.as_bytes())?;
    let am = &mut doc.am;
    am.put(ROOT, "title", title.as_str())?;
    am.put(ROOT, "started_at", ScalarValue::Timestamp(at.millis()))?;
    am.put(
        ROOT,
        "created_by",
        ScalarValue::Bytes(by.as_bytes().to_vec()),
    )?;
    let participants = am.put_object(ROOT, "participants", ObjType::Map)?;
    am.put(&participants, by.to_hex(), name.as_str())?;
    am.put_object(ROOT, "track", ObjType::List)?;
    am.put_object(ROOT, "observations", ObjType::Map)?;
    // Made now, so two partners calling SOS at once offline add to one map rather than each
    // making one of which only one would survive the merge.
    am.put_object(ROOT, "sos", ObjType::Map)?;
    let written = doc.commit(at).ok_or(CrdtError::Unchanged)?;
    Ok((doc, written))
}

/// Adds a participant (someone walking along on their own phone).
pub fn join_patrol(
    doc: &mut Doc,
    device: DeviceId,
    name: &str,
    at: Timestamp,
) -> Result<Written, CrdtError> {
    expect_kind(doc, DocKind::Patrol)?;
    let name = validate_name("name", name)?;
    let participants = obj(doc, "participants", ObjType::Map)?;
    doc.am.put(&participants, device.to_hex(), name.as_str())?;
    doc.commit(at).ok_or(CrdtError::Unchanged)
}

/// Appends one packed chunk of fixes to the track.
pub fn append_track(doc: &mut Doc, fixes: &[Fix], at: Timestamp) -> Result<Written, CrdtError> {
    expect_kind(doc, DocKind::Patrol)?;
    for f in fixes {
        f.validate()?;
    }
    let list = obj(doc, "track", ObjType::List)?;
    let len = doc.am.length(&list);
    doc.am
        .insert(&list, len, ScalarValue::Bytes(track::encode(fixes)))?;
    doc.commit(at).ok_or(CrdtError::Unchanged)
}

/// Adds an observation; returns its id.
pub fn add_observation(
    doc: &mut Doc,
    by: DeviceId,
    observation: &NewObservation,
) -> Result<(String, Written), CrdtError> {
    expect_kind(doc, DocKind::Patrol)?;
    let o = observation.clone().validate()?;
    let observations = obj(doc, "observations", ObjType::Map)?;
    let id = hex(&random_bytes::<8>());
    let am = &mut doc.am;
    let entry = am.put_object(&observations, id.as_str(), ObjType::Map)?;
    am.put(&entry, "at", ScalarValue::Timestamp(o.at.millis()))?;
    if let Some(p) = o.point {
        am.put(&entry, "lat", p.lat)?;
        am.put(&entry, "lon", p.lon)?;
    }
    am.put(&entry, "category", o.category.as_str())?;
    am.put(&entry, "note", o.note.as_str())?;
    am.put(&entry, "by", ScalarValue::Bytes(by.as_bytes().to_vec()))?;
    let photos = am.put_object(&entry, "photos", ObjType::List)?;
    for (i, p) in o.photos.iter().enumerate() {
        am.insert(&photos, i, p.as_str())?;
    }
    let written = doc.commit(o.at).ok_or(CrdtError::Unchanged)?;
    Ok((id, written))
}

pub fn end_patrol(doc: &mut Doc, at: Timestamp) -> Result<Written, CrdtError> {
    expect_kind(doc, DocKind::Patrol)?;
    doc.am
        .put(ROOT, "ended_at", ScalarValue::Timestamp(at.millis()))?;
    doc.commit(at).ok_or(CrdtError::Unchanged)
}

/// Every fix of the track, in time order. Corrupt chunks from elsewhere are skipped, not fatal.
pub fn read_track(doc: &Doc) -> Result<Vec<Fix>, CrdtError> {
    expect_kind(doc, DocKind::Patrol)?;
    let Some(list) = opt_obj(&doc.am, &ROOT, "track", ObjType::List) else {
        return Ok(Vec::new());
    };
    let mut fixes = Vec::new();
    for chunk in list_bytes(&doc.am, &list) {
        if let Ok(mut decoded) = track::decode(&chunk) {
            fixes.append(&mut decoded);
        }
    }
    fixes.sort_by_key(|f| f.at);
    Ok(fixes)
}

pub fn read_patrol(doc: &Doc) -> Result<Patrol, CrdtError> {
    read_patrol_and_track(doc).map(|(patrol, _)| patrol)
}

/// The patrol and its track, decoding the track once.
pub fn read_patrol_and_track(doc: &Doc) -> Result<(Patrol, Vec<Fix>), CrdtError> {
    expect_kind(doc, DocKind::Patrol)?;
    let f = Fields {
        doc: &doc.am,
        kind: DocKind::Patrol,
    };
    let fixes = read_track(doc)?;
    let patrol = Patrol {
        id: doc.id(),
        title: f.str(&ROOT, "title")?,
        participants: read_participants(doc),
        started_at: Timestamp::from_millis(f.i64(&ROOT, "started_at")?),
        ended_at: opt_i64(&doc.am, &ROOT, "ended_at").map(Timestamp::from_millis),
        observations: read_observations(doc),
        fix_count: fixes.len(),
        distance_m: track::distance_m(&fixes),
    };
    Ok((patrol, fixes))
}

fn read_participants(doc: &Doc) -> Vec<Participant> {
    let Some(map) = opt_obj(&doc.am, &ROOT, "participants", ObjType::Map) else {
        return Vec::new();
    };
    doc.am
        .keys(&map)
        .filter_map(|key| {
            let device = DeviceId::from_hex(&key).ok()?;
            let name = opt_str(&doc.am, &map, &key)?;
            Some(Participant { device, name })
        })
        .collect()
}

fn read_observations(doc: &Doc) -> Vec<Observation> {
    let Some(map) = opt_obj(&doc.am, &ROOT, "observations", ObjType::Map) else {
        return Vec::new();
    };
    let mut out: Vec<Observation> = doc
        .am
        .keys(&map)
        .filter_map(|key| {
            let entry = opt_obj(&doc.am, &map, &key, ObjType::Map)?;
            read_observation(doc, key, &entry)
        })
        .collect();
    out.sort_by(|a, b| a.at.cmp(&b.at).then_with(|| a.id.cmp(&b.id)));
    out
}

fn read_observation(doc: &Doc, id: String, entry: &ObjId) -> Option<Observation> {
    let am = &doc.am;
    let point = match (opt_f64(am, entry, "lat"), opt_f64(am, entry, "lon")) {
        (Some(lat), Some(lon)) => Some(Point::new(lat, lon)).filter(|p| p.validate("at").is_ok()),
        _ => None,
    };
    let photos = opt_obj(am, entry, "photos", ObjType::List)
        .map(|list| list_strings(am, &list))
        .unwrap_or_default();
    Some(Observation {
        id,
        at: Timestamp::from_millis(opt_i64(am, entry, "at")?),
        point,
        category: opt_str(am, entry, "category")?.parse().ok()?,
        note: opt_str(am, entry, "note").unwrap_or_default(),
        photos,
        by: device(opt_bytes(am, entry, "by")),
    })
}

fn obj(doc: &Doc, key: &'static str, ty: ObjType) -> Result<ObjId, CrdtError> {
    opt_obj(&doc.am, &ROOT, key, ty).ok_or(CrdtError::Schema {
        kind: DocKind::Patrol,
        field: key,
    })
}
