//! The `porchlight` binary as a user runs it, on a temporary data directory.

use std::path::Path;
use std::process::{Command, Output};

pub(crate) fn porchlight(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_porchlight"))
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .env_remove("PORCHLIGHT_DATA_DIR")
        .output()
        .unwrap()
}

pub(crate) fn ok(dir: &Path, args: &[&str]) -> String {
    let out = porchlight(dir, args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

pub(crate) fn json(dir: &Path, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    serde_json::from_str(&ok(dir, &all)).unwrap()
}

/// Everything the device stores, as seen from outside: all alerts, patrols, reports, areas, stats.
fn snapshot(dir: &Path) -> String {
    [
        &["alert", "list", "--all"][..],
        &["patrol", "list"],
        &["report", "list"],
        &["area", "list"],
    ]
    .iter()
    .map(|args| ok(dir, &[&["--json"], *args].concat()))
    .collect::<Vec<_>>()
    .join("\n")
}

#[test]
fn a_cli_tour_works_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let me = json(d, &["init", "--name", "Ana"]);
    assert_eq!(me["name"], "Ana");
    assert_eq!(me["deviceId"].as_str().unwrap().len(), 32);
    assert_eq!(me["actorId"], me["deviceId"]);
    assert_eq!(me["publicKey"].as_str().unwrap().len(), 64);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(d.join("device.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "the key is private");
    }
    let alert = json(
        d,
        &[
            "alert",
            "issue",
            "--title",
            "Car break-ins",
            "--at",
            "45.5145,-122.6265",
            "--radius",
            "300",
            "--severity",
            "urgent",
            "--category",
            "crime",
            "--expires",
            "2h",
        ],
    );
    let alert_id = alert["id"].as_str().unwrap().to_owned();
    json(
        d,
        &[
            "area",
            "set",
            "Home",
            "--at",
            "45.516,-122.626",
            "--radius",
            "150",
        ],
    );
    let mine = json(d, &["alert", "list", "--mine"]);
    assert_eq!(mine.as_array().unwrap().len(), 1);
    let near = json(d, &["alert", "list", "--near", "10,10", "--within", "1000"]);
    assert!(near.as_array().unwrap().is_empty());

    json(d, &["patrol", "start", "--title", "Evening round"]);
    // Ten fixes 222 m apart: the shared track leaves out 100-250 m at each end (one or two fixes).
    for i in 0..10 {
        let lat = format!("{:.3},-122.6265", 45.51 + f64::from(i) * 0.002);
        let at = format!("2026-11-23T20:0{}:{:02}Z", i / 6, (i % 6) * 10);
        ok(d, &["patrol", "fix", &lat, "--at", &at, "--accuracy", "4"]);
    }
    json(
        d,
        &[
            "patrol",
            "note",
            "van idling",
            "--category",
            "suspicious_vehicle",
        ],
    );
    let ended = json(d, &["patrol", "end"]);
    let shared = ended["fixCount"].as_u64().unwrap();
    assert!((6..=8).contains(&shared), "{shared} fixes shared");
    let patrol_id = ended["id"].as_str().unwrap().to_owned();
    let shown = json(d, &["patrol", "show", &patrol_id]);
    assert_eq!(shown["track"].as_array().unwrap().len() as u64, shared);

    let photo = d.join("porch.png");
    image::RgbImage::from_fn(32, 24, |x, y| image::Rgb([x as u8 * 8, y as u8 * 10, 60]))
        .save(&photo)
        .unwrap();
    let report = json(
        d,
        &[
            "report",
            "file",
            "--category",
            "theft",
            "--text",
            "Bike taken",
            "--at",
            "45.5145,-122.6265",
            "--precision",
            "1km",
            "--photo",
            photo.to_str().unwrap(),
            "--anonymous",
        ],
    );
    assert_eq!(report["anonymous"], true);
    let report_id = report["report"].as_str().unwrap().to_owned();
    // This device coordinates its own data, so it reads its report at once, photo included.
    let saved_dir = d.join("saved");
    let shown = json(
        d,
        &[
            "report",
            "show",
            &report_id,
            "--save-photos",
            saved_dir.to_str().unwrap(),
        ],
    );
    assert_eq!(shown["report"]["filedBy"], serde_json::Value::Null);
    let saved = shown["saved"][0].as_str().unwrap();
    assert!(
        std::fs::read(saved)
            .unwrap()
            .starts_with(&[0xFF, 0xD8, 0xFF]),
        "a JPEG"
    );
    let receipts = json(d, &["report", "receipts", "--offline"]);
    assert_eq!(receipts[0]["report"], report_id.as_str());
    ok(
        d,
        &["report", "followup", &report_id, "--text", "Seen again"],
    );
    let shown = json(d, &["report", "show", &report_id]);
    assert_eq!(shown["report"]["followups"][0]["text"], "Seen again");
    let triaged = json(
        d,
        &[
            "triage",
            &report_id,
            "--status",
            "in_review",
            "--note",
            "checking",
        ],
    );
    assert_eq!(triaged["status"], "in_review");
    let list = json(d, &["report", "list", "--status", "in_review"]);
    assert_eq!(list.as_array().unwrap().len(), 1);

    ok(d, &["alert", "cancel", &alert_id]);
    assert!(json(d, &["alert", "list"]).as_array().unwrap().is_empty());
    let out = d.join("alerts.geojson");
    let exported = json(
        d,
        &[
            "export",
            "--kind",
            "alerts",
            "--format",
            "geojson",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(exported["records"], 1);
    let stats = json(d, &["stats"]);
    assert_eq!(stats["patrolsTotal"], 1);
    assert!(ok(d, &["default-config"]).contains("sync_interval_secs"));
    let text = ok(d, &["whoami"]);
    assert!(text.contains("actor id:"));
}

#[test]
fn bad_input_exits_non_zero_with_one_line_and_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(d, &["init", "--name", "Ana"]);
    ok(
        d,
        &[
            "area",
            "set",
            "Home",
            "--at",
            "45.5,-122.6",
            "--radius",
            "200",
        ],
    );
    ok(
        d,
        &[
            "alert",
            "issue",
            "--title",
            "Real",
            "--at",
            "45.5,-122.6",
            "--radius",
            "200",
        ],
    );
    let before = snapshot(d);
    let long_title = "x".repeat(121);
    let long_body = "y".repeat(4001);
    let bad: Vec<Vec<&str>> = vec![
        vec![
            "alert", "issue", "--title", "t", "--at", "91,0", "--radius", "100",
        ],
        vec![
            "alert", "issue", "--title", "t", "--at", "0,181", "--radius", "100",
        ],
        vec![
            "alert", "issue", "--title", "t", "--at", "NaN,0", "--radius", "100",
        ],
        vec![
            "alert", "issue", "--title", "t", "--at", "north", "--radius", "100",
        ],
        vec![
            "alert", "issue", "--title", "t", "--at", "45,0", "--radius", "5",
        ],
        vec![
            "alert", "issue", "--title", "t", "--at", "45,0", "--radius", "60000",
        ],
        vec![
            "alert", "issue", "--title", "", "--at", "45,0", "--radius", "100",
        ],
        vec![
            "alert",
            "issue",
            "--title",
            &long_title,
            "--at",
            "45,0",
            "--radius",
            "100",
        ],
        vec![
            "alert", "issue", "--title", "t", "--body", &long_body, "--at", "45,0", "--radius",
            "100",
        ],
        vec![
            "alert",
            "issue",
            "--title",
            "t",
            "--at",
            "45,0",
            "--radius",
            "100",
            "--expires",
            "2001-01-01T00:00:00Z",
        ],
        vec![
            "alert",
            "issue",
            "--title",
            "t",
            "--at",
            "45,0",
            "--radius",
            "100",
            "--expires",
            "someday",
        ],
        vec![
            "alert",
            "issue",
            "--title",
            "t",
            "--at",
            "45,0",
            "--radius",
            "100",
            "--severity",
            "meh",
        ],
        vec![
            "alert",
            "issue",
            "--title",
            "t",
            "--polygon",
            "0,0 1,1 1,0 0,1",
        ],
        vec!["alert", "issue", "--title", "t", "--polygon", "0,0 1,1"],
        vec!["alert", "issue", "--title", "t"],
        vec!["alert", "cancel", "not-an-id"],
        vec!["alert", "cancel", "11111111111111111111111"],
        vec!["area", "set", "Far", "--at", "45,0", "--radius", "1"],
        vec!["area", "set", "", "--at", "45,0", "--radius", "100"],
        vec!["area", "remove", "Nowhere"],
        vec!["patrol", "fix", "45,0"],
        vec!["patrol", "note", "hello"],
        vec!["patrol", "end"],
        vec!["patrol", "start", "--title", ""],
        vec!["patrol", "show", "zzz"],
        vec!["report", "file", "--category", "aliens", "--text", "x"],
        vec!["report", "file", "--category", "theft", "--text", ""],
        vec![
            "report",
            "file",
            "--category",
            "theft",
            "--text",
            "x",
            "--at",
            "45,0",
            "--precision",
            "10km",
        ],
        vec!["triage", "11111111111111111111111", "--status", "closed"],
        vec!["triage", "11111111111111111111111", "--status", "solved"],
        vec!["report", "list", "--status", "solved"],
    ];
    for args in &bad {
        let out = porchlight(d, args);
        assert!(!out.status.success(), "{args:?} was accepted");
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
        assert!(err.starts_with("porchlight: "), "{args:?}: {err}");
        let json_err = porchlight(d, &[&["--json"], args.as_slice()].concat());
        let v: serde_json::Value = serde_json::from_slice(&json_err.stderr).unwrap();
        assert!(
            v["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{args:?}"
        );
    }
    // Usage errors (caught by the argument parser) also fail without touching anything.
    let out = porchlight(
        d,
        &[
            "alert", "issue", "--title", "t", "--at", "45,0", "--radius", "lots",
        ],
    );
    assert!(!out.status.success());
    assert_eq!(snapshot(d), before, "bad input changed what is stored");
}

#[test]
fn acknowledgements_and_meetings_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(d, &["init", "--name", "Ana"]);
    let starts = "2099-05-01T18:30:00Z";
    let m = json(
        d,
        &[
            "alert",
            "issue",
            "--title",
            "Watch meeting",
            "--category",
            "meeting",
            "--at",
            "45.5,-122.6",
            "--radius",
            "500",
            "--starts",
            starts,
            "--place",
            "Community hall",
        ],
    );
    assert_eq!(m["meeting"]["place"], "Community hall");
    let id = m["id"].as_str().unwrap().to_owned();
    // A meeting without its time is refused; so is a place on an ordinary alert.
    assert!(
        !porchlight(
            d,
            &[
                "alert",
                "issue",
                "--title",
                "M",
                "--category",
                "meeting",
                "--at",
                "45,0",
                "--radius",
                "100"
            ]
        )
        .status
        .success()
    );
    let ics = d.join("meetings.ics");
    let listed = json(d, &["alert", "meetings", "--ics", ics.to_str().unwrap()]);
    assert_eq!(listed.as_array().unwrap().len(), 1);
    let text = std::fs::read_to_string(&ics).unwrap();
    assert!(text.contains("DTSTART:20990501T183000Z"), "{text}");
    json(d, &["alert", "ack", &id]);
    json(d, &["alert", "ack", &id]);
    let acks = json(d, &["alert", "acks", &id]);
    assert_eq!(acks["count"], 1);
    assert!(
        !porchlight(d, &["alert", "ack", "11111111111111111111111"])
            .status
            .success()
    );
}

#[test]
fn measures_and_meeting_attendance_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(d, &["init", "--name", "Ana", "--group", "Elm Street Watch"]);
    let m = json(
        d,
        &[
            "alert",
            "issue",
            "--title",
            "June meeting",
            "--category",
            "meeting",
            "--at",
            "45.5,-122.6",
            "--radius",
            "500",
            "--starts",
            "2026-06-05T19:00:00Z",
            "--place",
            "Library",
        ],
    );
    let id = m["id"].as_str().unwrap().to_owned();
    // More names than people, and a name nobody has, are refused and store nothing.
    for bad in [
        &[
            "alert",
            "attendance",
            &id,
            "--count",
            "0",
            "--member",
            "Ana",
        ][..],
        &[
            "alert",
            "attendance",
            &id,
            "--count",
            "5",
            "--member",
            "Zed",
        ],
    ] {
        assert!(!porchlight(d, bad).status.success(), "{bad:?}");
    }
    let recorded = json(
        d,
        &[
            "alert",
            "attendance",
            &id,
            "--count",
            "14",
            "--member",
            "Ana",
        ],
    );
    assert_eq!(recorded["attendance"]["count"], 14);
    let period = ["stats", "--from", "2026-06-01", "--to", "2026-06-15"];
    let j = json(d, &period);
    assert_eq!(j["totals"]["attendance"], 14);
    assert_eq!(j["trend"].as_array().unwrap().len(), 2);
    let text = ok(d, &period);
    assert!(text.contains("June meeting — 14 came"), "{text}");
    assert!(text.contains("2026-W23"), "{text}");
    // The plain overview still works without a period; a zone the group lacks is refused.
    assert!(json(d, &["stats"])["alertsTotal"].as_u64().is_some());
    let mut zone = period.to_vec();
    zone.extend(["--zone", "Nowhere"]);
    assert!(!porchlight(d, &zone).status.success());
}

#[test]
fn case_handling_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let me = json(d, &["init", "--name", "Ana", "--group", "Watch"]);
    let file = |text: &str| {
        json(
            d,
            &[
                "report",
                "file",
                "--category",
                "theft",
                "--text",
                text,
                "--at",
                "45.5145,-122.6265",
                "--precision",
                "exact",
            ],
        )["report"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let (a, b) = (file("Parcel taken"), file("Parcel gone from porch"));

    // Same category, same place, same quarter hour: suggested as duplicates.
    let dups = json(d, &["report", "duplicates", &a]);
    assert_eq!(dups.as_array().unwrap().len(), 1, "{dups}");
    assert_eq!(dups[0]["distanceM"], 0.0);

    assert_eq!(
        json(d, &["report", "priority", &a, "urgent"])["priority"],
        "urgent"
    );
    assert_eq!(
        json(d, &["report", "assign", &a, "--to", "ana"])["assignee"],
        me["deviceId"]
    );
    let merged = json(d, &["report", "merge", &b, "--into", &a]);
    assert_eq!(merged["merged"][0], b.as_str());
    assert_eq!(json(d, &["report", "list"]).as_array().unwrap().len(), 1);
    assert_eq!(
        json(d, &["report", "list", "--include-merged"])
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // Closing without an outcome is refused with its own kind, and changes nothing.
    let refused = porchlight(d, &["--json", "report", "close", &a]);
    assert!(!refused.status.success());
    let err: serde_json::Value = serde_json::from_slice(&refused.stderr).unwrap();
    assert_eq!(err["error"]["kind"], "outcome_required");
    let closed = json(d, &["report", "close", &a, "--outcome", "resolved"]);
    assert_eq!(
        (&closed["status"], &closed["outcome"]),
        (&"closed".into(), &"resolved".into())
    );

    // The history names Ana for each change, oldest first.
    let history = json(d, &["report", "history", &a]);
    let fields: Vec<Vec<&str>> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            assert_eq!(e["byName"], "Ana");
            e["changes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["field"].as_str().unwrap())
                .collect()
        })
        .collect();
    assert_eq!(
        fields,
        vec![
            vec!["priority"],
            vec!["assignee"],
            vec!["duplicate"],
            vec!["status", "outcome"]
        ]
    );
    let text = ok(d, &["report", "history", &a]);
    assert!(text.contains("Ana: priority none → urgent"), "{text}");

    let due = json(
        d,
        &["report", "due", "--priority", "urgent", "--hours", "12"],
    );
    assert_eq!((&due["urgent"], &due["normal"]), (&12.into(), &168.into()));
    assert!(
        json(d, &["report", "list", "--overdue"])
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert!(
        !porchlight(d, &["report", "priority", &a, "soonish"])
            .status
            .success()
    );
}
