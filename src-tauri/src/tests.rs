//! The shell driven through Tauri's mock runtime: commands answer over IPC with the real
//! capabilities, errors arrive as `{kind, message}`, and the UI's TypeScript types match the Rust
//! types.

use serde_json::{Value, json};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{INVOKE_KEY, MockRuntime, mock_builder};
use tauri::webview::InvokeRequest;
use tauri::{App, WebviewWindow, WebviewWindowBuilder};

fn app(dir: &std::path::Path) -> (App<MockRuntime>, WebviewWindow<MockRuntime>) {
    let app = crate::run_app(mock_builder(), Some(dir.to_owned()))
        .build(tauri::generate_context!())
        .expect("the app builds on the mock runtime");
    let window = WebviewWindowBuilder::new(&app, "main", tauri::WebviewUrl::default())
        .build()
        .expect("the main window opens");
    (app, window)
}

fn invoke(window: &WebviewWindow<MockRuntime>, cmd: &str, args: Value) -> Result<Value, Value> {
    tauri::test::get_ipc_response(
        window,
        InvokeRequest {
            cmd: cmd.into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            url: "tauri://localhost".parse().expect("a valid url"),
            body: InvokeBody::Json(args),
            headers: tauri::http::HeaderMap::default(),
            invoke_key: INVOKE_KEY.to_owned(),
        },
    )
    .map(|body| body.deserialize::<Value>().expect("JSON"))
}

#[test]
fn a_patrol_round_trip_over_ipc() {
    let dir = tempfile::tempdir().unwrap();
    let (_app, w) = app(dir.path());

    let me = invoke(&w, "init", json!({ "name": "Rosa" })).unwrap();
    assert_eq!(me["name"], "Rosa");
    assert_eq!(me["role"], "coordinator");
    invoke(&w, "create_group", json!({ "name": "Elm Street Watch" })).unwrap();
    assert_eq!(
        invoke(&w, "whoami", json!({})).unwrap()["group"]["name"],
        "Elm Street Watch"
    );

    invoke(&w, "start_patrol", json!({ "title": "Evening round" })).unwrap();
    for (i, lat) in [45.5145, 45.5155].into_iter().enumerate() {
        let fix = json!({ "at": format!("2026-05-01T18:0{i}:00Z"),
                          "point": { "lat": lat, "lon": -122.6265 }, "accuracyM": 5.0 });
        invoke(&w, "add_fix", json!({ "fix": fix })).unwrap();
    }
    let obs = json!({ "at": "2026-05-01T18:01:30Z", "point": null, "category": "noise",
                      "note": "Loud party", "photos": [] });
    invoke(&w, "add_observation", json!({ "observation": obs })).unwrap();
    let live = invoke(&w, "current_patrol", json!({})).unwrap();
    assert_eq!(live["fixCount"], 2);
    assert!(live["distanceM"].as_f64().unwrap() > 100.0);
    // The same totals from the projection row, without the track.
    let totals = invoke(&w, "patrol_totals", json!({})).unwrap();
    assert_eq!(totals["patrol"], live["id"]);
    assert_eq!(totals["fixCount"], 2);
    assert!(
        (totals["distanceM"].as_f64().unwrap() - live["distanceM"].as_f64().unwrap()).abs() < 1e-6
    );
    invoke(&w, "end_patrol", json!({})).unwrap();
    assert_eq!(
        invoke(&w, "current_patrol", json!({})).unwrap(),
        Value::Null
    );
    assert_eq!(invoke(&w, "patrol_totals", json!({})).unwrap(), Value::Null);
    let page = invoke(&w, "list_patrols", json!({ "filter": { "limit": 50 } })).unwrap();
    assert_eq!(page["rows"][0]["observations"], 1);
    assert_eq!(page["next"], Value::Null);
    assert_eq!(invoke(&w, "stats", json!({})).unwrap()["patrolsTotal"], 1);
}

#[test]
fn errors_arrive_as_kind_and_message() {
    let dir = tempfile::tempdir().unwrap();
    let (_app, w) = app(dir.path());

    let err = invoke(&w, "end_patrol", json!({})).unwrap_err();
    assert_eq!(err["kind"], "no_patrol");
    assert!(err["message"].as_str().unwrap().contains("no patrol"));

    let area = json!({ "name": "Home",
                       "area": { "type": "circle", "center": { "lat": 95.0, "lon": 0.0 }, "radiusM": 100.0 } });
    let err = invoke(&w, "set_watch_area", json!({ "area": area })).unwrap_err();
    assert_eq!(err["kind"], "invalid");
    assert_eq!(invoke(&w, "watch_areas", json!({})).unwrap(), json!([]));
}

#[test]
fn detect_faces_answers_over_ipc_and_refuses_what_is_not_a_photo() {
    let dir = tempfile::tempdir().unwrap();
    let (_app, w) = app(dir.path());
    invoke(&w, "init", json!({ "name": "Rosa" })).unwrap();

    // A 1 × 1 PNG as the file picker's data URL: a photo, too small to hold a face.
    let pixel = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";
    assert_eq!(
        invoke(&w, "detect_faces", json!({ "data": pixel })).unwrap(),
        json!([])
    );
    for bad in [
        "data:image/png;base64,bm90IGEgcGhvdG8=",
        "not base64 at all!",
    ] {
        let err = invoke(&w, "detect_faces", json!({ "data": bad })).unwrap_err();
        assert_eq!(err["kind"], "photo", "{err}");
    }
}

#[test]
fn a_resident_area_matches_an_alert() {
    let dir = tempfile::tempdir().unwrap();
    let (_app, w) = app(dir.path());
    let alert = json!({ "title": "Car break-ins", "body": "", "category": "crime",
        "severity": "warning", "issuedAt": now(), "expiresAt": null,
        "area": { "type": "circle", "center": { "lat": 45.5145, "lon": -122.6265 }, "radiusM": 300.0 } });
    invoke(&w, "issue_alert", json!({ "alert": alert })).unwrap();
    let area = json!({ "name": "Home",
        "area": { "type": "circle", "center": { "lat": 45.516, "lon": -122.626 }, "radiusM": 150.0 } });
    invoke(&w, "set_watch_area", json!({ "area": area })).unwrap();
    let mine = invoke(&w, "alerts_for_my_areas", json!({})).unwrap();
    assert_eq!(mine[0]["title"], "Car break-ins");
}

fn now() -> String {
    porchlight_core::model::Timestamp::now().to_rfc3339()
}

/// The UI's `src/lib/bindings.ts`, generated from the Rust types. `cargo test` fails when it
/// is stale; `PORCHLIGHT_WRITE_BINDINGS=1 cargo test -p porchlight-app bindings` rewrites it.
#[test]
fn typescript_bindings_are_current() {
    use std::fmt::Write as _;

    use porchlight_core::model as m;
    use ts_rs::{Config, TS};

    let cfg = Config::new().with_large_int("number");
    let decls = [
        m::DocId::decl(&cfg),
        m::DeviceId::decl(&cfg),
        m::Timestamp::decl(&cfg),
        m::Point::decl(&cfg),
        m::Area::decl(&cfg),
        m::Role::decl(&cfg),
        m::DocKind::decl(&cfg),
        m::Severity::decl(&cfg),
        m::AlertCategory::decl(&cfg),
        m::AlertStatus::decl(&cfg),
        m::AlertOutcome::decl(&cfg),
        m::Category::decl(&cfg),
        m::TriageStatus::decl(&cfg),
        m::LocationPrecision::decl(&cfg),
        m::Member::decl(&cfg),
        m::Zone::decl(&cfg),
        m::Group::decl(&cfg),
        m::Meeting::decl(&cfg),
        m::DetailKind::decl(&cfg),
        m::PersonDetail::decl(&cfg),
        m::PersonDescription::decl(&cfg),
        m::NewAlert::decl(&cfg),
        m::Alert::decl(&cfg),
        m::Fix::decl(&cfg),
        m::NewObservation::decl(&cfg),
        m::Observation::decl(&cfg),
        m::Participant::decl(&cfg),
        m::Patrol::decl(&cfg),
        m::NewReport::decl(&cfg),
        m::Report::decl(&cfg),
        m::FollowUp::decl(&cfg),
        m::TriageNote::decl(&cfg),
        m::Triage::decl(&cfg),
        m::WatchArea::decl(&cfg),
        m::BlurRegion::decl(&cfg),
        m::Attendance::decl(&cfg),
        m::Priority::decl(&cfg),
        m::CaseOutcome::decl(&cfg),
        m::DueHours::decl(&cfg),
        m::CaseChange::decl(&cfg),
        m::CaseEvent::decl(&cfg),
        m::PartnerKind::decl(&cfg),
        m::ChannelKind::decl(&cfg),
        m::ContactChannel::decl(&cfg),
        m::NewPartner::decl(&cfg),
        m::Partner::decl(&cfg),
        porchlight_core::PatrolSummary::decl(&cfg),
        porchlight_core::ReportEntry::decl(&cfg),
        porchlight_core::CaseFilter::decl(&cfg),
        porchlight_core::PatrolFilter::decl(&cfg),
        porchlight_core::PageCursor::decl(&cfg),
        porchlight_core::ReportPage::decl(&cfg),
        porchlight_core::PatrolPage::decl(&cfg),
        porchlight_core::IncidentQuery::decl(&cfg),
        porchlight_core::IncidentMap::decl(&cfg),
        porchlight_core::MapSize::decl(&cfg),
        porchlight_core::Cluster::decl(&cfg),
        porchlight_core::AlertMarker::decl(&cfg),
        porchlight_core::ReportPoint::decl(&cfg),
        porchlight_core::PatrolTrack::decl(&cfg),
        porchlight_core::CaseHistoryEntry::decl(&cfg),
        porchlight_core::DuplicatePair::decl(&cfg),
        porchlight_core::Forwarded::decl(&cfg),
        porchlight_core::Receipt::decl(&cfg),
        porchlight_core::PhotoInfo::decl(&cfg),
        porchlight_core::Stats::decl(&cfg),
        porchlight_core::WhoAmI::decl(&cfg),
        porchlight_core::GroupInfo::decl(&cfg),
        porchlight_core::PatrolDetail::decl(&cfg),
        porchlight_core::PrivacyZone::decl(&cfg),
        porchlight_core::AlarmKind::decl(&cfg),
        porchlight_core::PatrolAlarm::decl(&cfg),
        porchlight_core::CheckInState::decl(&cfg),
        porchlight_core::HotspotCell::decl(&cfg),
        porchlight_core::HeatCell::decl(&cfg),
        porchlight_core::Hotspots::decl(&cfg),
        porchlight_core::TrendStep::decl(&cfg),
        porchlight_core::Spread::decl(&cfg),
        porchlight_core::Totals::decl(&cfg),
        porchlight_core::VolunteerWeek::decl(&cfg),
        porchlight_core::VolunteerMeasures::decl(&cfg),
        porchlight_core::TrendPoint::decl(&cfg),
        porchlight_core::MeetingAttendance::decl(&cfg),
        porchlight_core::ZoneCoverage::decl(&cfg),
        porchlight_core::Measures::decl(&cfg),
        porchlight_core::SummaryLang::decl(&cfg),
        porchlight_core::SummaryFormat::decl(&cfg),
        porchlight_core::SummaryWritten::decl(&cfg),
        porchlight_core::Forgotten::decl(&cfg),
        porchlight_core::DemoSummary::decl(&cfg),
        porchlight_core::MapStatus::decl(&cfg),
        porchlight_core::PatrolTotals::decl(&cfg),
        porchlight_core::Quarantined::decl(&cfg),
        porchlight_core::SyncStatus::decl(&cfg),
        porchlight_core::SyncReport::decl(&cfg),
        porchlight_core::AckSummary::decl(&cfg),
        porchlight_core::MatchedAlert::decl(&cfg),
        porchlight_core::AlertNews::decl(&cfg),
        porchlight_core::DigestSetting::decl(&cfg),
        porchlight_core::CategoryCount::decl(&cfg),
        porchlight_core::Digest::decl(&cfg),
        porchlight_core::Event::decl(&cfg),
        crate::Error::decl(&cfg),
        crate::commands::identity::AppConfig::decl(&cfg),
        crate::commands::overview::SearchHit::decl(&cfg),
        crate::commands::overview::What::decl(&cfg),
        crate::commands::overview::As::decl(&cfg),
        crate::commands::overview::Exported::decl(&cfg),
        crate::commands::reports::TokenSheet::decl(&cfg),
        crate::commands::insight::MeetingSummary::decl(&cfg),
        crate::hub::HubStatus::decl(&cfg),
        crate::hub::HubOptions::decl(&cfg),
    ];
    let mut text = String::from(
        "// Generated from the Rust types by src-tauri's `typescript_bindings_are_current` test.\n\
         // Do not edit: run `make ui-types` after changing a type.\n\n",
    );
    for decl in decls {
        text.push_str("export ");
        text.push_str(&decl);
        text.push('\n');
    }
    // The limits the core enforces, so the UI's own checks never drift from them.
    writeln!(
        text,
        "export const LIMITS = {{ titleMax: {}, bodyMax: {}, nameMax: {}, placeMax: {}, \
         minRadiusM: {}, maxRadiusM: {} }} as const;",
        m::TITLE_MAX,
        m::BODY_MAX,
        m::NAME_MAX,
        m::PLACE_MAX,
        m::MIN_RADIUS_M,
        m::MAX_RADIUS_M,
    )
    .unwrap();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/src/lib/bindings.ts");
    if std::env::var_os("PORCHLIGHT_WRITE_BINDINGS").is_some() {
        std::fs::write(&path, &text).unwrap();
    }
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        current == text,
        "ui/src/lib/bindings.ts is stale: run `make ui-types`"
    );
}

#[test]
fn sync_commands_answer_without_a_server() {
    let dir = tempfile::tempdir().unwrap();
    let (_app, w) = app(dir.path());

    invoke(&w, "init", json!({ "name": "Rosa" })).unwrap();
    let status = invoke(&w, "sync_status", json!({})).unwrap();
    assert_eq!(status["server"], Value::Null);
    assert_eq!(status["pending"].as_u64(), Some(0));
    assert!(invoke(&w, "sync_now", json!({})).is_err());
    assert_eq!(
        invoke(&w, "upcoming_meetings", json!({})).unwrap(),
        json!([])
    );
    let ics = invoke(&w, "meetings_ics", json!({})).unwrap();
    assert!(
        ics.as_str().unwrap().starts_with("BEGIN:VCALENDAR"),
        "{ics}"
    );
    assert!(!ics.as_str().unwrap().contains("VEVENT"), "{ics}");
}

#[test]
fn a_meeting_is_upcoming_and_in_the_calendar_file() {
    let dir = tempfile::tempdir().unwrap();
    let (_app, w) = app(dir.path());
    invoke(&w, "init", json!({ "name": "Rosa" })).unwrap();
    let starts = porchlight_core::model::Timestamp::now()
        .plus_millis(2 * 86_400_000)
        .to_rfc3339();
    let meeting = json!({ "title": "Block meeting", "body": "Bring a chair", "category": "meeting",
        "severity": "info", "issuedAt": now(), "expiresAt": null,
        "area": { "type": "circle", "center": { "lat": 45.5145, "lon": -122.6265 }, "radiusM": 300.0 },
        "meeting": { "startsAt": starts, "place": "Library, room 2" } });
    invoke(&w, "issue_alert", json!({ "alert": meeting })).unwrap();

    let upcoming = invoke(&w, "upcoming_meetings", json!({})).unwrap();
    assert_eq!(upcoming[0]["title"], "Block meeting");
    assert_eq!(upcoming[0]["meeting"]["place"], "Library, room 2");
    let ics = invoke(&w, "meetings_ics", json!({})).unwrap();
    let ics = ics.as_str().unwrap();
    assert!(ics.contains("SUMMARY:Block meeting"), "{ics}");
    assert!(ics.contains("LOCATION:Library\\, room 2"), "{ics}");
}

#[test]
fn downloads_never_replace_an_earlier_file() {
    let dir = tempfile::tempdir().unwrap();
    let name = std::ffi::OsStr::new("meetings.ics");
    assert_eq!(
        crate::free_path(dir.path(), name),
        dir.path().join("meetings.ics")
    );
    std::fs::write(dir.path().join("meetings.ics"), "x").unwrap();
    assert_eq!(
        crate::free_path(dir.path(), name),
        dir.path().join("meetings (2).ics")
    );
    std::fs::write(dir.path().join("meetings (2).ics"), "x").unwrap();
    assert_eq!(
        crate::free_path(dir.path(), name),
        dir.path().join("meetings (3).ics")
    );
}

/// A real server on loopback, run on Tauri's async runtime; its URL.
fn server(dir: &std::path::Path) -> String {
    let settings = porchlight_server::Settings {
        database: format!("sqlite://{}", dir.join("server.db").display()),
        group_creation_token: Some(porchlight_server::Secret::new("tauri-test-token")),
        // Plain HTTP on loopback; the server's own tests cover TLS.
        tls: porchlight_server::TlsMode::Off,
        ..porchlight_server::Settings::default()
    };
    let listener = tauri::async_runtime::block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("a loopback port");
    let url = format!("http://{}", listener.local_addr().unwrap());
    tauri::async_runtime::spawn(porchlight_server::launch_with_listener(
        settings,
        listener,
        std::future::pending(),
    ));
    url
}

#[test]
fn a_resident_joins_by_invite_and_acknowledges_an_alert() {
    let dir = tempfile::tempdir().unwrap();
    let url = server(dir.path());
    let (_coord_app, coord) = app(&dir.path().join("coordinator"));
    let (_res_app, res) = app(&dir.path().join("resident"));

    invoke(&coord, "init", json!({ "name": "Rosa" })).unwrap();
    let me = invoke(
        &coord,
        "create_group_on_server",
        json!({ "server": url, "name": "Elm Street Watch", "creationToken": "tauri-test-token" }),
    )
    .unwrap();
    assert_eq!(me["role"], "coordinator");
    let code = invoke(
        &coord,
        "invite",
        json!({ "role": "resident", "uses": 1, "validDays": 7 }),
    )
    .unwrap();
    let code = code.as_str().unwrap().to_owned();
    assert!(code.starts_with("plj2-"), "{code}");

    let me = invoke(&res, "join", json!({ "code": code, "name": "Sam" })).unwrap();
    assert_eq!(me["role"], "resident");
    assert_eq!(me["group"]["name"], "Elm Street Watch");
    assert!(invoke(&res, "sync_status", json!({})).unwrap()["server"].is_string());

    let alert = json!({ "title": "Car break-ins", "body": "", "category": "crime",
        "severity": "warning", "issuedAt": now(), "expiresAt": null,
        "area": { "type": "circle", "center": { "lat": 45.5145, "lon": -122.6265 }, "radiusM": 300.0 } });
    let id = invoke(&coord, "issue_alert", json!({ "alert": alert })).unwrap()["id"].clone();
    invoke(&coord, "sync_now", json!({})).unwrap();
    invoke(&res, "sync_now", json!({})).unwrap();
    let ids = json!({ "ids": [id] });
    assert_eq!(
        invoke(&res, "acknowledged_alerts", ids.clone()).unwrap(),
        json!([])
    );
    invoke(&res, "ack_alert", json!({ "id": id })).unwrap();
    assert_eq!(
        invoke(&res, "acknowledged_alerts", ids).unwrap(),
        json!([id])
    );
    invoke(&res, "sync_now", json!({})).unwrap();
    invoke(&coord, "sync_now", json!({})).unwrap();
    let acks = invoke(&coord, "alert_acks", json!({ "id": id })).unwrap();
    assert_eq!(acks["count"], 1);
    let status = invoke(&coord, "sync_status", json!({})).unwrap();
    assert_eq!(status["lastError"], Value::Null);
    assert!(status["lastSuccess"].is_string());
}

#[test]
fn the_meeting_summary_is_saved_as_pdf_and_html_in_the_export_folder() {
    let dir = tempfile::tempdir().unwrap();
    let (_app, w) = app(dir.path());
    invoke(&w, "init", json!({ "name": "Rosa" })).unwrap();
    invoke(&w, "create_group", json!({ "name": "Elm Street Watch" })).unwrap();
    let period = |zone: Value, lang: &str| {
        json!({ "from": "2026-06-01T00:00:00Z", "to": "2026-06-15T00:00:00Z", "zone": zone,
                "lang": lang, "utcOffsetMinutes": 120 })
    };
    let out = invoke(&w, "meeting_summary", period(Value::Null, "es")).unwrap();
    let pdf = std::path::PathBuf::from(out["pdf"]["path"].as_str().unwrap());
    let html = std::path::PathBuf::from(out["html"]["path"].as_str().unwrap());
    assert!(
        pdf.starts_with(dir.path().join("exports")),
        "{}",
        pdf.display()
    );
    assert!(std::fs::read(&pdf).unwrap().starts_with(b"%PDF-"));
    assert_eq!(out["pdf"]["format"], "pdf");
    assert_eq!(out["html"]["pages"], Value::Null);
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("<html lang=\"es\">"), "{page}");
    // A zone the group lacks and a language the summary is not written in are refused.
    let err = invoke(&w, "meeting_summary", period(json!("Nowhere"), "en")).unwrap_err();
    assert_eq!(err["kind"], "invalid");
    assert!(
        err["message"].as_str().unwrap().contains("Nowhere"),
        "{err}"
    );
    assert!(invoke(&w, "meeting_summary", period(Value::Null, "de")).is_err());
}
