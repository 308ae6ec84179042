//! The partner directory and forwarding a case, as a coordinator runs them from the terminal.

use crate::network::{json, porchlight};

#[test]
fn partners_and_forwarding_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let me = json(d, &["init", "--name", "Ana", "--group", "Watch"]);
    let added = json(
        d,
        &[
            "partner",
            "add",
            "--kind",
            "police_liaison",
            "--name",
            "Officer Dana Ruiz",
            "--organisation",
            "Eastside Precinct",
            "--phone",
            "+1 503 555 0100",
            "--email",
            "d.ruiz@pd.example.org",
        ],
    );
    assert_eq!(added["kind"], "police_liaison");
    assert_eq!(added["channels"].as_array().unwrap().len(), 2);
    let school = json(
        d,
        &[
            "partner",
            "add",
            "--kind",
            "school",
            "--name",
            "Lincoln Elementary",
        ],
    );
    let list = json(d, &["partner", "list"]);
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Lincoln Elementary", "Officer Dana Ruiz"]);

    // Edit by name: a new e-mail replaces every contact; the rest stays.
    let edited = json(
        d,
        &[
            "partner",
            "edit",
            "officer dana ruiz",
            "--email",
            "liaison@pd.example.org",
        ],
    );
    assert_eq!(edited["organisation"], "Eastside Precinct");
    assert_eq!(
        edited["channels"],
        serde_json::json!([{"kind": "email", "value": "liaison@pd.example.org"}])
    );
    let bad = porchlight(
        d,
        &[
            "partner", "add", "--kind", "school", "--name", "X", "--email", "nope",
        ],
    );
    assert!(!bad.status.success());
    json(d, &["partner", "remove", school["id"].as_str().unwrap()]);
    assert_eq!(json(d, &["partner", "list"]).as_array().unwrap().len(), 1);

    let report = json(
        d,
        &[
            "report",
            "file",
            "--category",
            "vandalism",
            "--text",
            "Paint on the bus shelter",
            "--at",
            "45.5145,-122.6265",
            "--precision",
            "exact",
        ],
    )["report"]
        .as_str()
        .unwrap()
        .to_owned();
    let out = tempfile::tempdir().unwrap();
    let sent = json(
        d,
        &[
            "report",
            "forward",
            &report,
            "--partner",
            "Officer Dana Ruiz",
            "--out",
            out.path().to_str().unwrap(),
        ],
    );
    let html = std::fs::read_to_string(sent["html"].as_str().unwrap()).unwrap();
    assert!(html.contains("Paint on the bus shelter") && html.contains("Vandalism"));
    let geo: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(sent["geojson"].as_str().unwrap()).unwrap())
            .unwrap();
    assert_eq!(
        geo["features"][0]["geometry"]["coordinates"],
        serde_json::json!([-122.6265, 45.5145])
    );
    for file in [&html, &geo.to_string()] {
        assert!(!file.contains(me["deviceId"].as_str().unwrap()));
        assert!(!file.contains(me["publicKey"].as_str().unwrap()));
        assert!(!file.contains(&report));
    }
    let history = json(d, &["report", "history", &report]);
    let last = history.as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["byName"], "Ana");
    assert!(
        last["changes"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!({"field": "forwarded", "partner": edited["id"], "name": "Officer Dana Ruiz"})),
        "{last}"
    );
    assert_eq!(
        json(d, &["report", "show", &report])["report"]["status"],
        "forwarded"
    );
    let text = String::from_utf8(porchlight(d, &["report", "history", &report]).stdout).unwrap();
    assert!(text.contains("forwarded to Officer Dana Ruiz"), "{text}");
}
