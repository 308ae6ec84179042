//! Hand-made change chunks for tests and fuzz seeds (feature `forge`): hostile bytes that
//! Automerge's own writer would never produce, with a correct checksum so they reach the parser.
//! Not part of the app: nothing here is compiled without the feature or `cfg(test)`.

use sha2::{Digest, Sha256};

use crate::change::CHUNK_MAGIC;

/// Column specs (`id << 4 | type`) of a change's op columns.
pub mod spec {
    pub const OBJ_ACTOR: u32 = 0x01;
    pub const OBJ_CTR: u32 = 0x02;
    pub const KEY_ACTOR: u32 = 0x11;
    pub const KEY_CTR: u32 = 0x13;
    pub const KEY_STR: u32 = 0x15;
    pub const INSERT: u32 = 0x34;
    pub const ACTION: u32 = 0x42;
    pub const VAL_META: u32 = 0x56;
    pub const VAL: u32 = 0x57;
    pub const PRED_GROUP: u32 = 0x70;
    pub const PRED_ACTOR: u32 = 0x71;
    pub const PRED_CTR: u32 = 0x73;
}

/// The fields of a change chunk, written out as they are, however absurd.
#[derive(Clone, Debug)]
pub struct Parts {
    pub deps: Vec<[u8; 32]>,
    pub actor: Vec<u8>,
    pub seq: u64,
    pub start_op: u64,
    pub time: i64,
    pub message: Vec<u8>,
    pub other_actors: Vec<Vec<u8>>,
    /// `(spec, data)` in the order written.
    pub columns: Vec<(u32, Vec<u8>)>,
    pub extra: Vec<u8>,
}

impl Default for Parts {
    fn default() -> Self {
        Self {
            deps: Vec::new(),
            actor: vec![7; 16],
            seq: 1,
            start_op: 1,
            time: 0,
            message: Vec::new(),
            other_actors: Vec::new(),
            columns: Vec::new(),
            extra: Vec::new(),
        }
    }
}

impl Parts {
    /// The body (everything after the chunk length).
    pub fn body(&self) -> Vec<u8> {
        let mut b = Vec::new();
        uleb(&mut b, self.deps.len() as u64);
        for d in &self.deps {
            b.extend_from_slice(d);
        }
        uleb(&mut b, self.actor.len() as u64);
        b.extend_from_slice(&self.actor);
        uleb(&mut b, self.seq);
        uleb(&mut b, self.start_op);
        sleb(&mut b, self.time);
        uleb(&mut b, self.message.len() as u64);
        b.extend_from_slice(&self.message);
        uleb(&mut b, self.other_actors.len() as u64);
        for a in &self.other_actors {
            uleb(&mut b, a.len() as u64);
            b.extend_from_slice(a);
        }
        uleb(&mut b, self.columns.len() as u64);
        for (spec, data) in &self.columns {
            uleb(&mut b, u64::from(*spec));
            uleb(&mut b, data.len() as u64);
        }
        for (_, data) in &self.columns {
            b.extend_from_slice(data);
        }
        b.extend_from_slice(&self.extra);
        b
    }

    /// The whole chunk with a correct checksum.
    pub fn chunk(&self) -> Vec<u8> {
        chunk_from_body(&self.body())
    }
}

/// Wraps a change body in a chunk header whose checksum matches (the first four bytes of the
/// SHA-256 of type, length and body, as Automerge computes it).
pub fn chunk_from_body(body: &[u8]) -> Vec<u8> {
    let mut typed = vec![1u8];
    uleb(&mut typed, body.len() as u64);
    let mut hasher = Sha256::new();
    hasher.update(&typed);
    hasher.update(body);
    let hash = hasher.finalize();
    let mut out = Vec::with_capacity(8 + typed.len() + body.len());
    out.extend_from_slice(&CHUNK_MAGIC);
    out.extend_from_slice(&hash[..4]);
    out.extend_from_slice(&typed);
    out.extend_from_slice(body);
    out
}

pub fn uleb(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

pub fn sleb(out: &mut Vec<u8>, mut v: i64) {
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        let done = (v == 0 && byte & 0x40 == 0) || (v == -1 && byte & 0x40 != 0);
        if done {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// One RLE run: `count` copies of the uLEB `value`.
pub fn run_u(count: i64, value: u64) -> Vec<u8> {
    let mut out = Vec::new();
    sleb(&mut out, count);
    uleb(&mut out, value);
    out
}

/// One RLE run: `count` copies of the sLEB `value`.
pub fn run_i(count: i64, value: i64) -> Vec<u8> {
    let mut out = Vec::new();
    sleb(&mut out, count);
    sleb(&mut out, value);
    out
}

/// One RLE run: `count` copies of the string `s`.
pub fn run_str(count: i64, s: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    sleb(&mut out, count);
    uleb(&mut out, s.len() as u64);
    out.extend_from_slice(s);
    out
}

/// One op (`put root.a = null`) that lists `preds` predecessors, all encoded as runs: 74 bytes.
/// Automerge 0.12 pushes every predecessor into one vector; 2^31 of them is gigabytes.
/// The predecessors are ops 1..=preds of the change's own actor and the op is op 1, so it also
/// lists itself (see [`forged_preds`] for a valid one).
pub fn bomb_preds(preds: u64) -> Vec<u8> {
    forged_preds(preds, 1)
}

/// [`bomb_preds`] with the change's first op at `start_op`: a valid change when `start_op` is
/// greater than `preds`.
pub fn forged_preds(preds: u64, start_op: u64) -> Vec<u8> {
    let n = preds as i64;
    Parts {
        start_op,
        columns: vec![
            (spec::KEY_STR, run_str(1, b"a")),
            (spec::INSERT, {
                let mut v = Vec::new();
                uleb(&mut v, 1);
                v
            }),
            (spec::ACTION, run_u(1, 1)),
            (spec::VAL_META, run_u(1, 0)),
            (spec::PRED_GROUP, run_u(1, preds)),
            (spec::PRED_ACTOR, run_u(n, 0)),
            (spec::PRED_CTR, run_i(n, 1)),
        ],
        ..Parts::default()
    }
    .chunk()
}

/// `ops` copies of `put root.a = null`, all encoded as runs: 79 bytes for 2^40 ops, which
/// Automerge 0.12 decodes one by one for many hours.
pub fn bomb_ops(ops: u64) -> Vec<u8> {
    let n = ops as i64;
    Parts {
        columns: vec![
            (spec::KEY_STR, run_str(n, b"a")),
            (spec::INSERT, {
                let mut v = Vec::new();
                uleb(&mut v, ops);
                v
            }),
            (spec::ACTION, run_u(n, 1)),
            (spec::VAL_META, run_u(n, 0)),
            (spec::PRED_GROUP, run_u(n, 0)),
        ],
        ..Parts::default()
    }
    .chunk()
}

/// A single op whose key string declares `len` bytes but holds one: Automerge 0.12 allocates
/// the declared length (up to 1 GB) before it finds the bytes missing.
pub fn bomb_string(len: u64) -> Vec<u8> {
    let mut key = Vec::new();
    sleb(&mut key, 1);
    uleb(&mut key, len);
    key.push(b'a');
    Parts {
        columns: vec![
            (spec::KEY_STR, key),
            (spec::INSERT, vec![1]),
            (spec::ACTION, run_u(1, 1)),
            (spec::VAL_META, run_u(1, 0)),
            (spec::PRED_GROUP, run_u(1, 0)),
        ],
        ..Parts::default()
    }
    .chunk()
}

/// One honest change of every kind Porchlight's writers make, named, as a peer would send them:
/// the measure for [`crate::Bounds`], the bench's workload and the fuzz seeds.
pub fn honest_changes() -> Vec<(String, Vec<u8>)> {
    honest().unwrap_or_else(|e| unreachable!("the sample records are valid: {e}"))
}

fn honest() -> Result<Vec<(String, Vec<u8>)>, crate::CrdtError> {
    use porchlight_model::{
        AlertCategory, AlertStatus, Area, Category, DeviceId, DocId, Fix, LocationPrecision,
        NewAlert, NewObservation, NewReport, Point, Role, Severity, Timestamp, TriageStatus, Zone,
    };

    use crate::{
        ReplyKeys, add_followup, add_observation, append_track, certify_member, create_ack,
        create_alert, create_group, create_report, end_patrol, join_patrol, new_triage,
        remove_member, report_actor, set_alert_status, set_member, set_triage, set_zone,
        start_patrol,
    };

    let t = |s: i64| Timestamp::from_millis(1_780_000_000_000 + s * 1000);
    let me = DeviceId::from_bytes([1; 16]);
    let other = DeviceId::from_bytes([2; 16]);
    let mut out = Vec::new();
    let mut keep = |name: &str, bytes: Vec<u8>| out.push((name.to_owned(), bytes));

    let (mut group, w) = create_group(
        DocId::random(),
        "Elm Street",
        me,
        "Ana",
        // A membership certificate is about 200 bytes of CBOR.
        Some(vec![3; 200]),
        t(0),
    )?;
    keep("group-create", w.bytes);
    keep(
        "group-member",
        set_member(&mut group, other, "Ben", Role::Volunteer, t(1))?.bytes,
    );
    keep(
        "group-certify",
        certify_member(
            &mut group,
            other,
            "Ben",
            Role::Volunteer,
            me,
            vec![4; 200],
            t(2),
        )?
        .bytes,
    );
    let ring: Vec<Point> = (0..=40)
        .map(|i| {
            let a = f64::from(i % 40) / 40.0 * std::f64::consts::TAU;
            Point::new(40.0 + a.sin() * 0.01, -3.0 + a.cos() * 0.01)
        })
        .collect();
    let zone = Zone {
        name: "North block".into(),
        area: Area::Polygon { ring },
    };
    keep("group-zone", set_zone(&mut group, &zone, t(3))?.bytes);
    keep(
        "group-remove",
        remove_member(&mut group, other, me, vec![5; 160], t(4))?.bytes,
    );

    let alert = NewAlert {
        title: "Loose dog".into(),
        body: "Brown, friendly, answers to Max. ".repeat(10),
        category: AlertCategory::Safety,
        severity: Severity::Info,
        area: Area::circle(Point::new(40.0, -3.0), 250.0),
        issued_at: t(10),
        expires_at: Some(t(3600)),
        meeting: None,
        person: None,
    };
    let alert_id = DocId::random();
    let (mut alert_doc, w) = create_alert(alert_id, me, &alert)?;
    keep("alert-create", w.bytes);
    keep(
        "alert-status",
        set_alert_status(&mut alert_doc, AlertStatus::Cancelled, t(11))?.bytes,
    );
    keep("ack", create_ack(alert_id, other, t(12))?.1.bytes);

    let (mut patrol, w) = start_patrol(DocId::random(), me, "Ana", "Evening round", t(20))?;
    keep("patrol-start", w.bytes);
    keep(
        "patrol-join",
        join_patrol(&mut patrol, other, "Ben", t(21))?.bytes,
    );
    // A full chunk of fixes (about 30 s at one a second) and the longest one allowed.
    for (name, n) in [("patrol-track", 30_i32), ("patrol-track-long", 4_096)] {
        let fixes: Vec<Fix> = (0..n)
            .map(|i| {
                let f = f64::from(i);
                Fix {
                    at: t(30 + i64::from(i)),
                    point: Point::new(40.0 + (f / 300.0).sin() * 0.004, -3.0 + f * 0.000_012),
                    accuracy_m: Some(5.0),
                }
            })
            .collect();
        keep(name, append_track(&mut patrol, &fixes, t(60))?.bytes);
    }
    let observation = NewObservation {
        at: t(70),
        point: Some(Point::new(40.001, -3.001)),
        category: Category::SuspiciousVehicle,
        note: "White van idling by the school gate, engine running.".into(),
        photos: vec!["ab".repeat(32), "cd".repeat(32)],
    };
    keep(
        "patrol-observation",
        add_observation(&mut patrol, me, &observation)?.1.bytes,
    );
    keep("patrol-end", end_patrol(&mut patrol, t(80))?.bytes);

    let secret = [9; 32];
    let report = NewReport {
        category: Category::SuspiciousVehicle,
        description: "A car has been parked with its lights on every night this week. ".repeat(8),
        occurred_at: t(100),
        location: Some(Point::new(40.002, -3.002)),
        precision: LocationPrecision::Exact,
        photos: vec!["ef".repeat(32)],
        person: None,
    };
    let report_id = DocId::random();
    let (mut report_doc, w) = create_report(
        report_id,
        &report_actor(&secret),
        None,
        &report,
        &ReplyKeys::from_secret(&secret),
    )?;
    keep("report-create", w.bytes);
    keep(
        "report-followup",
        add_followup(&mut report_doc, "It was there again tonight.", t(200), true)?.bytes,
    );
    let mut triage = new_triage(report_id, me)?;
    keep(
        "triage",
        set_triage(
            &mut triage,
            me,
            TriageStatus::InReview,
            Some("Calling the council."),
            t(300),
        )?
        .bytes,
    );
    Ok(out)
}
