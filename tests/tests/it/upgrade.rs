//! Data the previous release wrote (tests/fixtures/previous-release, made by an older build of
//! the CLI: see its README) opens in this build with nothing lost: both devices' stores and the
//! server's database migrate in place, and the devices still sign in and sync through the
//! upgraded server. A store from a newer release is refused and left byte for byte.

use std::path::{Path, PathBuf};

use porchlight_core::{AlertQuery, Core, CoreError, ServerAddr};
use porchlight_model::Role;
use porchlight_server::{Secret, Settings, TlsMode, tls_fingerprint};
use porchlight_store::{SCHEMA_VERSION, StoreError};

use crate::common;

/// What the coordinator's device held when the fixture was made (`porchlight stats` of the old
/// build, in the fixture's README).
const ALERTS: u64 = 301;
const PATROLS: u64 = 41;
const REPORTS: u64 = 121;

/// The device's store in its data directory (the core's own name for it).
const DB_FILE: &str = "porchlight.db";

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/previous-release")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Every file under `dir` with its bytes, sorted by path.
fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(d) = pending.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let entry = entry.unwrap();
            if entry.file_type().unwrap().is_dir() {
                pending.push(entry.path());
            } else {
                files.push((entry.path(), std::fs::read(entry.path()).unwrap()));
            }
        }
    }
    files.sort();
    files
}

fn schema_version(db: &Path) -> i64 {
    rusqlite::Connection::open(db)
        .unwrap()
        .query_row("SELECT MAX(version) FROM schema_version", [], |r| r.get(0))
        .unwrap()
}

fn alert_titles(core: &Core) -> Vec<String> {
    core.alerts(&AlertQuery::default())
        .unwrap()
        .into_iter()
        .map(|a| a.title)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_previous_release_data_opens_with_nothing_lost_and_still_syncs() {
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(&fixtures(), tmp.path());
    let store = |who: &str| tmp.path().join(who).join(DB_FILE);
    let old_store_version = schema_version(&store("coordinator"));
    assert!(
        old_store_version < SCHEMA_VERSION,
        "the fixture is older than this build's store"
    );

    // The devices: every record the old build wrote is still there, read through the new code.
    let coord = Core::open(&tmp.path().join("coordinator")).unwrap();
    assert_eq!(schema_version(&store("coordinator")), SCHEMA_VERSION);
    let group = coord.group().unwrap().expect("the group survived");
    assert_eq!(group.name, "Fixture Street Watch");
    let roles: Vec<(String, Role)> = group
        .members
        .iter()
        .map(|m| (m.name.clone(), m.role))
        .collect();
    // (The old build's demo renamed Carmen's member record "Demo Coordinator".)
    assert!(
        group
            .members
            .iter()
            .any(|m| m.device == coord.device() && m.role == Role::Coordinator),
        "{roles:?}"
    );
    assert!(
        roles.contains(&("Victor".to_owned(), Role::Volunteer)),
        "{roles:?}"
    );
    let stats = coord.stats().unwrap();
    assert_eq!(
        (stats.alerts_total, stats.patrols_total, stats.reports_total),
        (ALERTS, PATROLS, REPORTS)
    );
    assert!(alert_titles(&coord).contains(&"Fixture: car break-ins on Elm St".to_owned()));
    let patrols = coord.patrols(1000, 0).unwrap();
    let round = patrols
        .iter()
        .find(|p| p.title == "Fixture: evening round")
        .expect("the volunteer's synced patrol");
    // (Its two fixes were given within one second and the old build kept none: its own list
    // showed 0, so there is no track to compare.)
    assert_eq!(round.observations, 1);
    assert!(round.ended_at.is_some());
    let reports = coord.reports(None).unwrap();
    assert!(
        reports
            .iter()
            .any(|r| r.report.description == "Fixture: parcel taken"),
        "the volunteer's sealed report, opened by the coordinator"
    );
    let volunteer = Core::open(&tmp.path().join("volunteer")).unwrap();
    let walked = volunteer.patrols(10, 0).unwrap();
    assert!(
        walked
            .iter()
            .any(|p| p.title == "Fixture: evening round" && p.observations == 1),
        "{walked:?}"
    );
    assert!(alert_titles(&volunteer).contains(&"Fixture: car break-ins on Elm St".to_owned()));

    // The server: the new build migrates the old database on start and serves the old group,
    // with the certificate the devices pinned.
    let settings = Settings {
        database: format!("sqlite://{}", tmp.path().join("server.db").display()),
        tls: TlsMode::SelfSigned,
        group_creation_token: Some(Secret::new(common::CREATION_TOKEN)),
        ..Settings::default()
    };
    let pin = tls_fingerprint(&settings).unwrap().unwrap();
    assert_eq!(
        coord.home_server().unwrap().pin,
        Some(pin),
        "the same certificate"
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    // The old server ran on another port: the devices move to this one (as to a hub), keeping
    // their keys, membership and unsent changes.
    let here = ServerAddr {
        url: format!("https://{}", listener.local_addr().unwrap()),
        pin: Some(pin),
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(porchlight_server::launch_with_listener(
        settings,
        listener,
        async {
            let _ = stopped.await;
        },
    ));

    volunteer.switch_server(&here).unwrap();
    volunteer
        .issue_alert(common::alert("After the upgrade", 45.5))
        .unwrap();
    let pushed = volunteer.sync_once().await.unwrap();
    assert_eq!(pushed.pushed, 1, "{pushed:?}");
    coord.switch_server(&here).unwrap();
    coord.sync_once().await.unwrap();
    let titles = alert_titles(&coord);
    assert!(titles.contains(&"After the upgrade".to_owned()));
    assert!(titles.contains(&"Fixture: car break-ins on Elm St".to_owned()));
    assert_eq!(
        coord.stats().unwrap().reports_total,
        REPORTS,
        "nothing lost in the sync"
    );

    let _ = stop.send(());
    server.await.unwrap().unwrap();
    coord.shutdown();
    volunteer.shutdown();
}

#[test]
fn a_store_from_a_newer_release_is_refused_and_left_byte_for_byte() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("coordinator");
    copy_dir(&fixtures().join("coordinator"), &dir);
    // This build migrates it, then a (pretend) newer release moves it on.
    Core::open(&dir).unwrap().shutdown();
    {
        let conn = rusqlite::Connection::open(dir.join(DB_FILE)).unwrap();
        conn.execute(
            "INSERT INTO schema_version (version, applied_at) VALUES (?1, 'future')",
            [SCHEMA_VERSION + 1],
        )
        .unwrap();
    }
    let before = snapshot(&dir);

    let refused = Core::open(&dir);
    assert!(
        matches!(
            refused,
            Err(CoreError::Store(StoreError::Downgrade { found, supported }))
                if found == supported + 1
        ),
        "{:?}",
        refused.err()
    );
    let after = snapshot(&dir);
    assert_eq!(
        before.iter().map(|(p, _)| p).collect::<Vec<_>>(),
        after.iter().map(|(p, _)| p).collect::<Vec<_>>(),
        "no file made or removed"
    );
    assert!(before == after, "every file byte for byte as it was");
}
