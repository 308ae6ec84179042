//! The promise of an anonymous report, checked byte by byte: after a resident files one with a
//! photo (and later a follow-up), nothing the server keeps for it, nothing that crossed the
//! network to send it, and nothing the other members' devices keep of it contains anything of the
//! reporter's: device id, public key, actor id, session token, or the hash of any change the
//! reporter ever wrote. The coordinator can still read it and see the photo; nobody else can.

use crate::common;

use std::path::Path;

use common::{CREATION_TOKEN, Device, Server, Tap, alert, contains, device_with, join_as};
use porchlight_core::{Config, Core, CoreError};
use porchlight_model::{
    Category, DeviceId, DocId, LocationPrecision, NewReport, Point, Role, Timestamp, TriageStatus,
    hex,
};
use porchlight_sync::seal::{SealError, open, sealing_secret};
use porchlight_sync::{SigningKey, check_change};

/// No waiting in tests: the random delay is a setting.
fn quick() -> Config {
    Config {
        drop_delay_max_secs: 0,
        ..Config::default()
    }
}

/// Sends every queued envelope (one leaves per call; with no delays set, none waits).
async fn send_all(core: &Core) -> usize {
    let mut sent = 0;
    while core.send_due_drops().await.unwrap() > 0 {
        sent += 1;
    }
    sent
}

/// A JPEG that carries a comment naming its camera and place, the kind of metadata a phone adds.
fn photo_with_metadata() -> Vec<u8> {
    let img = image::RgbImage::from_fn(64, 48, |x, y| image::Rgb([x as u8 * 4, y as u8 * 5, 90]));
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 90)
        .encode_image(&img)
        .unwrap();
    let comment = b"Camera serial RITA-CAM-4471 at 40.41234,-3.70123";
    let mut segment = vec![0xFF, 0xFE];
    segment.extend_from_slice(&u16::try_from(comment.len() + 2).unwrap().to_be_bytes());
    segment.extend_from_slice(comment);
    jpeg.splice(2..2, segment);
    jpeg
}

/// Everything that would identify the reporter, in every spelling it could be stored in.
struct Traces(Vec<(String, Vec<u8>)>);

impl Traces {
    fn of(reporter: &Device, tokens: &[String]) -> Self {
        let me = reporter.core.whoami().unwrap();
        let device: DeviceId = me.device_id;
        let key = reporter_key(reporter);
        let public = key.verifying_key().to_bytes();
        let mut t = vec![
            ("device id".into(), device.as_bytes().to_vec()),
            ("device id (hex)".into(), device.to_hex().into_bytes()),
            ("device id (text)".into(), device.to_string().into_bytes()),
            ("public key".into(), public.to_vec()),
            ("public key (hex)".into(), hex(&public).into_bytes()),
            ("actor id (hex)".into(), me.actor_id.into_bytes()),
        ];
        for token in tokens {
            t.push(("a session token".into(), token.clone().into_bytes()));
        }
        // Every change this device ever wrote under its own name.
        let mut own = 0;
        for doc in reporter.core.all_changes().unwrap() {
            for change in &doc.changes {
                let c = check_change(change, None, usize::MAX).unwrap();
                if c.actor == device.as_bytes() {
                    own += 1;
                    t.push(("an own change hash".into(), c.hash.to_vec()));
                    t.push(("an own change hash (hex)".into(), hex(&c.hash).into_bytes()));
                }
            }
        }
        assert!(
            own > 0,
            "the reporter must have written something of its own"
        );
        Self(t)
    }

    /// Fails naming what was found where.
    fn assert_absent(&self, place: &str, bytes: &[u8]) {
        for (what, needle) in &self.0 {
            assert!(!contains(bytes, needle), "{what} found in {place}");
        }
    }

    fn found_in(&self, bytes: &[u8]) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(_, needle)| contains(bytes, needle))
            .map(|(what, _)| what.as_str())
            .collect()
    }
}

fn reporter_key(d: &Device) -> SigningKey {
    let secret: [u8; 32] = std::fs::read(d.dir.path().join("device.key"))
        .unwrap()
        .try_into()
        .unwrap();
    SigningKey::from_bytes(&secret)
}

/// Every value of every row of `sql`, as bytes.
fn rows(db: &Path, sql: &str) -> Vec<u8> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut stmt = conn.prepare(sql).unwrap();
    let columns = stmt.column_count();
    let mut out = Vec::new();
    let mut rows = stmt.query([]).unwrap();
    while let Some(row) = rows.next().unwrap() {
        for i in 0..columns {
            match row.get_ref(i).unwrap() {
                rusqlite::types::ValueRef::Blob(b) | rusqlite::types::ValueRef::Text(b) => {
                    out.extend_from_slice(b);
                }
                rusqlite::types::ValueRef::Integer(n) => out.extend_from_slice(&n.to_be_bytes()),
                rusqlite::types::ValueRef::Real(f) => out.extend_from_slice(&f.to_be_bytes()),
                rusqlite::types::ValueRef::Null => {}
            }
        }
    }
    out
}

/// What a device keeps about one report: its document, changes, query rows and photos.
fn report_rows(d: &Device, report: DocId, photo: &str) -> Vec<u8> {
    let db = d.dir.path().join("porchlight.db");
    let id = hex(report.as_bytes());
    let mut out = rows(&db, &format!("SELECT * FROM documents WHERE id = x'{id}'"));
    out.extend(rows(
        &db,
        &format!("SELECT * FROM doc_changes WHERE doc = x'{id}'"),
    ));
    out.extend(rows(
        &db,
        &format!("SELECT * FROM p_reports WHERE id = x'{id}'"),
    ));
    out.extend(rows(
        &db,
        &format!("SELECT * FROM p_triage WHERE report = x'{id}'"),
    ));
    out.extend(rows(
        &db,
        &format!("SELECT * FROM blobs WHERE hash = '{photo}'"),
    ));
    out
}

/// All bytes under a directory (database, WAL, keys, anything).
fn all_bytes(dir: &Path) -> Vec<u8> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(all_bytes(&path));
        } else {
            out.extend(std::fs::read(&path).unwrap());
        }
    }
    out
}

/// Session tokens seen in any request through the tap.
fn bearer_tokens(connections: &[Vec<u8>]) -> Vec<String> {
    let mut tokens = Vec::new();
    for c in connections {
        let text = String::from_utf8_lossy(c);
        for line in text.split("\r\n") {
            if let Some(rest) = line
                .strip_prefix("authorization: Bearer ")
                .or_else(|| line.strip_prefix("Authorization: Bearer "))
            {
                tokens.push(rest.trim().to_owned());
            }
        }
    }
    tokens.sort();
    tokens.dedup();
    tokens
}

fn is_drop_connection(c: &[u8]) -> bool {
    contains(c, b"POST /v1/drop") || contains(c, b"GET /v1/replies/")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_anonymous_report_cannot_be_traced_to_its_reporter() {
    let server = Server::start().await;
    // Every device talks to the server through the tap, so the test sees all of the traffic.
    let tap = Tap::start(&server.url).await;
    let carmen = device_with("Carmen", quick());
    carmen
        .core
        .create_group_on(&tap.url, "Elm Street Watch", Some(CREATION_TOKEN))
        .await
        .unwrap();
    let victor = join_as(
        &tap.url,
        &carmen.core,
        Role::Volunteer,
        device_with("Victor", quick()),
    )
    .await;
    let rosa = join_as(
        &tap.url,
        &carmen.core,
        Role::Resident,
        device_with("Rosa", quick()),
    )
    .await;
    let rita = join_as(
        &tap.url,
        &carmen.core,
        Role::Resident,
        device_with("Rita", quick()),
    )
    .await;

    // Rita has a history under her own name: she acknowledges an alert.
    let issued = carmen
        .core
        .issue_alert(alert("Car break-ins", 40.0))
        .unwrap();
    carmen.core.sync_once().await.unwrap();
    rita.core.sync_once().await.unwrap();
    rita.core.ack_alert(issued.id).unwrap();
    rita.core.sync_once().await.unwrap();

    // The anonymous report, with a photo full of metadata.
    let photo = rita.core.add_photo(&photo_with_metadata()).unwrap();
    let receipt = rita
        .core
        .file_report(
            &NewReport {
                category: Category::Theft,
                description: "Someone tried every car door on Elm Street".into(),
                occurred_at: Timestamp::now(),
                location: Some(Point::new(40.412_34, -3.701_23)),
                precision: LocationPrecision::Within100m,
                photos: vec![photo.hash.clone()],
                person: None,
            },
            true,
        )
        .unwrap();
    assert!(receipt.anonymous);
    let report = receipt.report;
    // Two envelopes (photo, report) wait; the drop box takes them without a session, each paid
    // with one of the anonymous drop tokens Rita's syncs fetched.
    assert_eq!(rita.core.queued_drops().unwrap(), 2);
    let tokens = rita.core.drop_tokens_left().unwrap();
    assert!(tokens >= 2, "{tokens}");
    assert_eq!(send_all(&rita.core).await, 2);
    assert_eq!(rita.core.drop_tokens_left().unwrap(), tokens - 2);
    assert_eq!(rita.core.queued_drops().unwrap(), 0);

    // The coordinator reads it, with its photo.
    carmen.core.sync_once().await.unwrap();
    let entry = carmen.core.report(report).unwrap();
    assert_eq!(entry.report.filed_by, None);
    assert_eq!(
        entry.report.description,
        "Someone tried every car door on Elm Street"
    );
    assert_eq!(entry.report.photos, vec![photo.hash.clone()]);
    let jpeg = carmen
        .core
        .photo(&photo.hash)
        .unwrap()
        .expect("the photo arrived");
    assert_eq!(jpeg, rita.core.photo(&photo.hash).unwrap().unwrap());
    assert!(
        !contains(&jpeg, b"RITA-CAM-4471"),
        "the photo's metadata is gone"
    );
    // The time is rounded down to 15 minutes; the place to the chosen precision.
    assert_eq!(entry.report.occurred_at.millis() % (15 * 60 * 1000), 0);
    let at = entry.report.location.unwrap();
    assert!(
        (at.lat - 40.4125).abs() < 1e-9 && (at.lon - -3.7015).abs() < 1e-9,
        "{at:?}"
    );

    // The report's own change: a one-off actor and a zero timestamp.
    let doc = carmen
        .core
        .all_changes()
        .unwrap()
        .into_iter()
        .find(|d| d.doc == report)
        .unwrap();
    for change in &doc.changes {
        let parsed = porchlight_crdt::parse_change(change).unwrap();
        assert_eq!(parsed.timestamp(), 0);
        assert_ne!(parsed.actor_id().to_bytes(), rita.core.device().as_bytes());
    }

    // The coordinator publishes a status; Rita sees it through her receipt and adds a follow-up.
    carmen
        .core
        .triage(
            report,
            TriageStatus::InReview,
            Some("We have asked for camera footage"),
            true,
        )
        .unwrap();
    carmen.core.sync_once().await.unwrap();
    assert_eq!(rita.core.refresh_receipts().await.unwrap(), 1);
    let seen = &rita.core.receipts().unwrap()[0];
    assert_eq!(seen.status.as_deref(), Some("in_review"));
    assert_eq!(
        seen.status_note.as_deref(),
        Some("We have asked for camera footage")
    );
    rita.core
        .follow_up(report, "It happened again the next night")
        .unwrap();
    assert_eq!(send_all(&rita.core).await, 1);
    carmen.core.sync_once().await.unwrap();
    let entry = carmen.core.report(report).unwrap();
    assert_eq!(entry.report.followups.len(), 1);
    assert_eq!(
        entry.report.followups[0].text,
        "It happened again the next night"
    );
    for d in [&victor, &rosa, &rita] {
        d.core.sync_once().await.unwrap();
    }

    // --- The scans. ---
    let connections = tap.connections();
    let tokens = bearer_tokens(&connections);
    assert!(
        tokens.len() >= 4,
        "every member opened a session: {}",
        tokens.len()
    );
    let traces = Traces::of(&rita, &tokens);

    // The positive control: the scan does find Rita where she is supposed to be, in the
    // coordinator's roster and in her own acknowledgement, so an absence below means something.
    let everything_carmen_has = all_bytes(carmen.dir.path());
    let found = traces.found_in(&everything_carmen_has);
    assert!(found.contains(&"device id (hex)"), "{found:?}");
    assert!(found.contains(&"an own change hash"), "{found:?}");

    // 1. The requests that carried the report (drops and status checks) as they crossed the
    // network: none carries anything of Rita's, and none shares a connection with a request
    // that does (no token, no cookie, no reused connection).
    let drops: Vec<&Vec<u8>> = connections
        .iter()
        .filter(|c| is_drop_connection(c))
        .collect();
    assert!(
        drops.len() >= 4,
        "photo, report, follow-up and status check: {}",
        drops.len()
    );
    for c in &drops {
        traces.assert_absent("a drop request", c);
        assert!(!contains(c, b"/v1/sync") && !contains(c, b"/v1/auth"));
        assert!(!contains(c, b"uthorization") && !contains(c, b"ookie"));
    }

    // 2. What the server keeps for the report: the drop records and the published reply (the
    // report's photo only exists inside a drop). The server has no log files at all.
    let server_db = server.dir.path().join("server.db");
    let kept = [
        rows(&server_db, "SELECT * FROM drops"),
        rows(&server_db, "SELECT * FROM replies"),
        rows(&server_db, "SELECT * FROM blobs"),
    ]
    .concat();
    assert!(kept.len() > 3 * 4096, "the drops are stored");
    traces.assert_absent("the server's drop records", &kept);
    for entry in std::fs::read_dir(server.dir.path()).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        assert!(
            name.starts_with("server.db"),
            "unexpected file {name} next to the database"
        );
    }
    // The operator, reading the whole database, finds neither the text nor the photo.
    let server_bytes = all_bytes(server.dir.path());
    assert!(!contains(&server_bytes, b"tried every car door"));
    assert!(!contains(&server_bytes, &jpeg[200..264]));
    assert!(!contains(&server_bytes, b"happened again the next night"));

    // 3. What the other members' devices keep of the report.
    traces.assert_absent(
        "the coordinator's copy of the report",
        &report_rows(&carmen, report, &photo.hash),
    );
    for d in [&victor, &rosa] {
        let name = d.core.display_name().unwrap();
        let theirs = all_bytes(d.dir.path());
        traces.assert_absent(
            &format!("{name}'s copy of the report"),
            &report_rows(d, report, &photo.hash),
        );
        // They hold nothing of it at all: not its id, its text or its photo.
        assert!(
            !contains(&theirs, report.as_bytes()),
            "{name} has the report id"
        );
        assert!(
            !contains(&theirs, b"tried every car door"),
            "{name} has the text"
        );
        assert!(
            !contains(&theirs, photo.hash.as_bytes()),
            "{name} has the photo"
        );
        assert!(matches!(
            d.core.reports(None),
            Err(CoreError::NotAllowed { .. })
        ));
    }

    // 4. Nobody but a coordinator can open the sealed drops, even holding their bytes.
    let conn = rusqlite::Connection::open(&server_db).unwrap();
    let sealed: Vec<Vec<u8>> = conn
        .prepare("SELECT sealed FROM drops")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(sealed.len(), 3);
    for bytes in &sealed {
        for d in [&victor, &rosa, &rita] {
            let secret = sealing_secret(&reporter_key(d));
            assert_eq!(open(bytes, &secret), Err(SealError::NotForMe));
        }
        assert!(open(bytes, &sealing_secret(&reporter_key(&carmen))).is_ok());
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_named_report_is_sealed_and_signed() {
    let server = Server::start().await;
    let carmen = device_with("Carmen", quick());
    carmen
        .core
        .create_group_on(&server.url, "Watch", Some(CREATION_TOKEN))
        .await
        .unwrap();
    let rita = join_as(
        &server.url,
        &carmen.core,
        Role::Resident,
        device_with("Rita", quick()),
    )
    .await;
    // A sync fetches the drop tokens a report spends.
    rita.core.sync_once().await.unwrap();
    let receipt = rita
        .core
        .file_report(
            &NewReport {
                category: Category::Vandalism,
                description: "Graffiti on the school wall".into(),
                occurred_at: Timestamp::now(),
                location: None,
                precision: LocationPrecision::Exact,
                photos: vec![],
                person: None,
            },
            false,
        )
        .unwrap();
    assert!(!receipt.anonymous);
    assert_eq!(send_all(&rita.core).await, 1);
    carmen.core.sync_once().await.unwrap();
    let entry = carmen.core.report(receipt.report).unwrap();
    assert_eq!(entry.report.filed_by, Some(rita.core.device()));
    // Still sealed on the server.
    let server_bytes = all_bytes(server.dir.path());
    assert!(!contains(&server_bytes, b"Graffiti on the school wall"));
    server.stop().await;
}

/// A report naming a photo that was never taken in is refused before anything is kept.
#[test]
fn a_report_with_an_unknown_photo_is_refused_and_nothing_kept() {
    let dir = tempfile::tempdir().unwrap();
    let core = Core::open(dir.path()).unwrap();
    core.init("Rita").unwrap();
    // A device with no group coordinates its own data and seals for itself.
    let r = core.file_report(
        &NewReport {
            category: Category::Other,
            description: "test".into(),
            occurred_at: Timestamp::now(),
            location: None,
            precision: LocationPrecision::Exact,
            photos: vec!["0".repeat(64)],
            person: None,
        },
        true,
    );
    assert!(
        matches!(&r, Err(CoreError::Invalid(_))),
        "a photo that was never taken in is refused: {r:?}"
    );
    assert!(core.receipts().unwrap().is_empty(), "nothing was kept");
}
