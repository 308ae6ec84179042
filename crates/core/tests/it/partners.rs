//! The partner directory and forwarding a case to a partner, on known values: what the packet
//! says is what the report holds as stored (the time kept to 15 minutes, the place, the status
//! once forwarded), and the case's history names who forwarded it to whom.

use porchlight_core::{Core, CoreError, packet_reference};
use porchlight_model::{
    CaseChange, CaseOutcome, Category, ChannelKind, ContactChannel, DetailKind, LocationPrecision,
    NewPartner, NewReport, PartnerKind, PersonDescription, PersonDetail, Point, Timestamp,
    TriageStatus, ValidationError,
};

/// 2026-05-01 09:22 UTC: kept as 09:15.
const AT: i64 = 1_777_627_320_000;

fn liaison() -> NewPartner {
    NewPartner {
        kind: PartnerKind::PoliceLiaison,
        name: "Officer Dana Ruiz".into(),
        organisation: "Eastside Precinct".into(),
        channels: vec![
            ContactChannel {
                kind: ChannelKind::Phone,
                value: "+1 503 555 0100".into(),
            },
            ContactChannel {
                kind: ChannelKind::Email,
                value: "d.ruiz@pd.example.org".into(),
            },
        ],
    }
}

fn png() -> Vec<u8> {
    let img = image::RgbImage::from_fn(80, 60, |x, y| {
        image::Rgb([(x * 3) as u8, (y * 4) as u8, 90])
    });
    let mut out = Vec::new();
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

fn coordinator() -> (tempfile::TempDir, Core) {
    let dir = tempfile::tempdir().unwrap();
    let core = Core::open(dir.path()).unwrap();
    core.init("Carmen").unwrap();
    core.create_group("Elm Street Watch").unwrap();
    (dir, core)
}

#[test]
fn partners_are_added_listed_edited_and_removed() {
    let (_dir, core) = coordinator();
    assert!(core.partners().unwrap().is_empty());
    let dana = core.add_partner(&liaison()).unwrap();
    assert_eq!(dana.entry(), liaison());
    assert_eq!(dana.id.len(), 16);
    let school = core
        .add_partner(&NewPartner {
            kind: PartnerKind::School,
            name: "  Lincoln Elementary ".into(),
            organisation: String::new(),
            channels: vec![],
        })
        .unwrap();
    assert_eq!(school.name, "Lincoln Elementary", "stored trimmed");
    let names: Vec<String> = core
        .partners()
        .unwrap()
        .into_iter()
        .map(|p| p.name)
        .collect();
    assert_eq!(names, ["Lincoln Elementary", "Officer Dana Ruiz"]);

    let mut moved = liaison();
    moved.organisation = "Central Precinct".into();
    moved.channels.truncate(1);
    let edited = core.edit_partner(&dana.id, &moved).unwrap();
    assert_eq!(
        (edited.id.as_str(), edited.entry()),
        (dana.id.as_str(), moved)
    );

    let mut bad = liaison();
    bad.channels[1].value = "not an address".into();
    assert!(matches!(
        core.add_partner(&bad),
        Err(CoreError::Invalid(ValidationError::Invalid {
            field: "contact",
            ..
        }))
    ));
    core.remove_partner(&school.id).unwrap();
    assert_eq!(core.partners().unwrap().len(), 1);
    assert!(matches!(
        core.edit_partner(&school.id, &liaison()),
        Err(CoreError::NoSuchPartner(id)) if id == school.id
    ));
    assert!(matches!(
        core.remove_partner(&school.id),
        Err(CoreError::NoSuchPartner(_))
    ));
}

#[test]
#[allow(clippy::too_many_lines)] // one story with its known values side by side
fn a_forwarded_packet_holds_the_report_as_stored_and_the_history_records_it() {
    let (_dir, core) = coordinator();
    let dana = core.add_partner(&liaison()).unwrap();
    let photo = core.add_photo(&png()).unwrap();
    let report = core
        .file_report(
            &NewReport {
                category: Category::Vandalism,
                description: "Paint on the bus shelter <b>again</b>\nSecond line".into(),
                occurred_at: Timestamp::from_millis(AT),
                location: Some(Point::new(45.5145, -122.6265)),
                precision: LocationPrecision::Exact,
                photos: vec![photo.hash.clone()],
                person: Some(PersonDescription {
                    behaviour: "Spraying the shelter".into(),
                    details: vec![
                        PersonDetail {
                            kind: DetailKind::Clothing,
                            text: "red hoodie".into(),
                        },
                        PersonDetail {
                            kind: DetailKind::Direction,
                            text: "left towards the park".into(),
                        },
                    ],
                }),
            },
            true,
        )
        .unwrap()
        .report;
    core.triage(
        report,
        TriageStatus::InReview,
        Some("Internal: ask Ben"),
        false,
    )
    .unwrap();

    let out = tempfile::tempdir().unwrap();
    let sent = core.forward_report(report, &dana.id, out.path()).unwrap();
    let reference = packet_reference(report);
    assert!(
        reference.starts_with("PL-") && reference.len() == 13,
        "{reference}"
    );
    assert_eq!(sent.reference, reference);
    assert_eq!((sent.photos, sent.photos_missing), (1, 0));
    assert_eq!(
        sent.html,
        out.path()
            .join(format!("porchlight-forward-{reference}.html"))
            .display()
            .to_string()
    );
    let html = std::fs::read_to_string(&sent.html).unwrap();
    for want in [
        format!("Report {reference}"),
        "Forwarded by Elm Street Watch to Officer Dana Ruiz, Eastside Precinct".into(),
        "by Carmen".into(),
        "<dd>Vandalism</dd>".into(),
        "2026-05-01 09:15 UTC (as reported, to the nearest 15 minutes)".into(),
        "45.51450, -122.62650 (kept exact)".into(),
        "<dt>Status</dt><dd>Forwarded</dd>".into(),
        "Paint on the bus shelter &lt;b&gt;again&lt;/b&gt;<br>Second line".into(),
        "Spraying the shelter".into(),
        "<li>Clothing: red hoodie</li>".into(),
        "<li>Direction: left towards the park</li>".into(),
        "<img src=\"data:image/jpeg;base64,".into(),
    ] {
        assert!(html.contains(&want), "the page lacks {want:?}:\n{html}");
    }
    assert!(
        !html.contains("Internal: ask Ben"),
        "triage notes stay inside the group"
    );
    assert!(!html.contains("<b>again"), "the report's text is escaped");
    assert!(
        !html.contains("http://") && !html.contains("src=\"http"),
        "nothing is fetched"
    );

    let geo: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&sent.geojson).unwrap()).unwrap();
    assert_eq!(geo["type"], "FeatureCollection");
    let f = &geo["features"][0];
    assert_eq!(f["id"], reference.as_str());
    assert_eq!(
        f["geometry"],
        serde_json::json!({"type": "Point", "coordinates": [-122.6265, 45.5145]})
    );
    let p = &f["properties"];
    assert_eq!(p["category"], "vandalism");
    assert_eq!(p["occurredAt"], "2026-05-01T09:15:00Z");
    assert_eq!(p["precision"], "exact");
    assert_eq!(p["status"], "forwarded");
    assert_eq!(p["outcome"], serde_json::Value::Null);
    assert_eq!(p["forwardedTo"], "Officer Dana Ruiz");
    assert_eq!(p["person"]["details"][0]["text"], "red hoodie");
    let photos = p["photos"].as_array().unwrap();
    assert_eq!(photos.len(), 1);
    assert!(
        html.contains(photos[0].as_str().unwrap()),
        "the same photo in both files"
    );

    // The case is forwarded, and its history says who forwarded it to whom.
    assert_eq!(
        core.report(report).unwrap().report.status,
        TriageStatus::Forwarded
    );
    let history = core.case_history(report).unwrap();
    let last = history.last().unwrap();
    assert_eq!(last.event.by, core.device());
    assert_eq!(last.by_name.as_deref(), Some("Carmen"));
    assert_eq!(
        last.event.changes,
        vec![
            CaseChange::Status {
                from: Some(TriageStatus::InReview),
                to: TriageStatus::Forwarded
            },
            CaseChange::Forwarded {
                partner: dana.id.clone(),
                name: "Officer Dana Ruiz".into()
            }
        ]
    );

    // A closed case forwarded again keeps its status and shows its outcome; the history keeps
    // the partner's name after the partner is removed.
    core.triage_with_outcome(
        report,
        TriageStatus::Closed,
        Some(CaseOutcome::Referred),
        None,
        false,
    )
    .unwrap();
    let again = core.forward_packet(report, &dana.id).unwrap();
    assert!(
        again
            .html
            .contains("<dt>Status</dt><dd>Closed</dd><dt>Outcome</dt><dd>Referred</dd>")
    );
    core.forward_report(report, &dana.id, out.path()).unwrap();
    assert_eq!(
        core.report(report).unwrap().report.status,
        TriageStatus::Closed
    );
    core.remove_partner(&dana.id).unwrap();
    let forwards = core
        .case_history(report)
        .unwrap()
        .into_iter()
        .flat_map(|e| e.event.changes)
        .filter(|c| matches!(c, CaseChange::Forwarded { name, .. } if name == "Officer Dana Ruiz"))
        .count();
    assert_eq!(forwards, 2);
    assert!(matches!(
        core.forward_report(report, &dana.id, out.path()),
        Err(CoreError::NoSuchPartner(_))
    ));
}
