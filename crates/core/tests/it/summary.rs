//! The meeting summary: its key numbers equal the hand-computed measures of the generated
//! neighbourhood (tests/it/measures.rs), in English and Spanish, in the HTML and in the PDF read
//! back with lopdf; hotspot cells and hours under k appear nowhere; bad input is refused.

use porchlight_core::{Core, CoreError, HotspotQuery, SummaryFormat, SummaryLang, SummaryQuery};
use porchlight_model::{
    Area, Category, LocationPrecision, NewReport, Point, Timestamp, ValidationError, Zone,
};

use crate::measures::neighbourhood;

fn t(s: &str) -> Timestamp {
    Timestamp::parse("t", s).unwrap()
}

fn query(zone: Option<&str>, lang: SummaryLang) -> SummaryQuery {
    SummaryQuery {
        from: t("2026-06-01T00:00:00Z"),
        to: t("2026-06-15T00:00:00Z"),
        zone: zone.map(str::to_owned),
        lang,
        utc_offset_minutes: 0,
    }
}

/// What one PDF page shows: its strings in order, and per marked-content tag the strings
/// shown inside each marked sequence.
struct PageText {
    strings: Vec<String>,
    marked: Vec<(String, Vec<String>)>,
}

/// WinAnsi bytes to text: the summary's text only uses the Latin-1 part, where a byte is its
/// own code point.
fn latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|b| char::from(*b)).collect()
}

fn read_pdf(bytes: &[u8]) -> Vec<PageText> {
    let doc = lopdf::Document::load_mem(bytes).expect("the PDF parses");
    doc.get_pages()
        .values()
        .map(|id| {
            let content = doc.get_page_content(*id);
            let ops = lopdf::content::Content::decode(&content)
                .unwrap()
                .operations;
            let mut page = PageText {
                strings: Vec::new(),
                marked: Vec::new(),
            };
            let mut open: Option<(String, Vec<String>)> = None;
            for op in ops {
                match op.operator.as_str() {
                    "BMC" => {
                        let tag = op.operands[0].as_name().unwrap();
                        open = Some((latin1(tag), Vec::new()));
                    }
                    "EMC" => page.marked.extend(open.take()),
                    "Tj" => {
                        let s = latin1(op.operands[0].as_str().unwrap());
                        if let Some((_, inside)) = open.as_mut() {
                            inside.push(s.clone());
                        }
                        page.strings.push(s);
                    }
                    _ => {}
                }
            }
            page
        })
        .collect()
}

/// Whether `row` appears as consecutive strings on some page.
fn has_row(pages: &[PageText], row: &[&str]) -> bool {
    pages
        .iter()
        .any(|p| p.strings.windows(row.len()).any(|w| w == row))
}

/// The HTML table row with a label and three values.
fn html_row(cells: [&str; 4]) -> String {
    format!(
        "<tr><th scope=\"row\">{}</th><td>{}</td><td>{}</td><td>{}</td></tr>",
        cells[0], cells[1], cells[2], cells[3]
    )
}

#[test]
fn summary_numbers_equal_the_hand_computed_measures_in_html_and_pdf() {
    let (dir, core, _) = neighbourhood();
    let summary = core.summary(&query(None, SummaryLang::En)).unwrap();
    let html = summary.to_html();
    let (pdf, pages) = summary.to_pdf();
    let read = read_pdf(&pdf);
    assert_eq!(read.len(), usize::try_from(pages).unwrap());
    assert_eq!(pages, 3, "title page, trend and places, meetings");

    // Worked out by hand in tests/it/measures.rs: this period beside the previous one.
    let rows = [
        ["Patrols", "3", "1", "+200 %"],
        ["Time on patrol", "4 h 45 min", "1 h", "+375 %"],
        ["Distance patrolled", "1.20 km", "100 m", "+1100 %"],
        ["Active volunteers", "2", "1", "+100 %"],
        ["Reports", "5", "1", "+400 %"],
        // first triage [30 min, 1 h, 2 h, 4 h]: median 1 h, p90 4 h; before: 3 h
        ["Report to first triage, median", "1 h", "3 h", "-67 %"],
        [
            "Report to first triage, 90th percentile",
            "4 h",
            "3 h",
            "+33 %",
        ],
        // closed [6 h, 26 h, 72 h]: median 26 h, p90 72 h; none before
        ["Report to closed, median", "1 day 2 h", "-", "-"],
        ["Report to closed, 90th percentile", "3 days", "-", "-"],
        // first acks [10 min, 45 min, 2 h]
        ["Alert to first acknowledgement, median", "45 min", "-", "-"],
        ["Meeting attendance", "23", "0", "new"],
    ];
    for row in rows {
        assert!(html.contains(&html_row(row)), "{row:?} not in the HTML");
        assert!(has_row(&read, &row), "{row:?} not in the PDF");
    }
    assert!(html.contains(&html_row([
        "Alert to first acknowledgement, 90th percentile",
        "2 h",
        "-",
        "-"
    ])));
    assert!(html.contains(&html_row(["Meetings held", "2", "0", "new"])));
    // Coverage: Elm 62.5 %, Oak 60.9 %, each within 0.5 % (tests/it/measures.rs).
    let coverage = |zone: &str| {
        let at = html
            .find(&format!("<th scope=\"row\">{zone}</th><td>"))
            .unwrap();
        let value = &html[at..];
        let start = value.find("<td>").unwrap() + 4;
        let share: f64 = value[start..].split(' ').next().unwrap().parse().unwrap();
        share
    };
    assert!((coverage("Elm") - 62.5).abs() <= 0.5);
    assert!((coverage("Oak") - 60.9).abs() <= 0.5);
    // Trend steps are the ISO weeks; meetings with their attendance.
    assert!(html.contains("Time on patrol per week"));
    assert!(has_row(&read, &["2026-W23"]) && has_row(&read, &["2026-W24"]));
    assert!(html.contains("14 came") && html.contains("9 came"));
    assert!(has_row(
        &read,
        &["Meeting (Library)", "5 June 2026", "14 came"]
    ));
    assert!(html.starts_with("<!DOCTYPE html>") && html.contains("<html lang=\"en\">"));
    // Self-contained: nothing to fetch.
    assert!(!html.contains("src=") && !html.contains("href=") && !html.contains("<script"));

    // Written to files by extension, and the file is what was rendered.
    let out = dir.path().join("summary.pdf");
    let written = core
        .write_summary(&query(None, SummaryLang::En), &out)
        .unwrap();
    assert_eq!(written.format, SummaryFormat::Pdf);
    assert_eq!(written.pages, Some(3));
    let bytes = std::fs::read(&out).unwrap();
    assert!(bytes.starts_with(b"%PDF-"));
    assert_eq!(written.bytes, bytes.len() as u64);
    assert_eq!(read_pdf(&bytes).len(), 3);
}

#[test]
fn spanish_summary_has_spanish_labels_and_decimal_commas() {
    let (_dir, core, _) = neighbourhood();
    let summary = core.summary(&query(None, SummaryLang::Es)).unwrap();
    let html = summary.to_html();
    let read = read_pdf(&summary.to_pdf().0);
    assert!(html.contains("<html lang=\"es\">"));
    for row in [
        ["Tiempo de patrulla", "4 h 45 min", "1 h", "+375 %"],
        ["Distancia patrullada", "1,20 km", "100 m", "+1100 %"],
        ["Del informe al cierre, mediana", "1 día 2 h", "-", "-"],
        ["Del informe al cierre, percentil 90", "3 días", "-", "-"],
        ["Asistencia a reuniones", "23", "0", "nuevo"],
    ] {
        assert!(html.contains(&html_row(row)), "{row:?} not in the HTML");
        assert!(has_row(&read, &row), "{row:?} not in the PDF");
    }
    assert!(has_row(&read, &["Resumen para la reunión · Watch"]));
    assert!(has_row(&read, &["Cifras clave"]));
    assert!(has_row(
        &read,
        &["Meeting (Library)", "5 de junio de 2026", "asistieron 14"]
    ));
    for english in ["Time on patrol", "Key numbers", "Meeting summary", "came"] {
        assert!(!html.contains(english), "{english} in the Spanish HTML");
        assert!(
            read.iter()
                .all(|p| p.strings.iter().all(|s| !s.contains(english))),
            "{english} in the Spanish PDF"
        );
    }
}

#[test]
fn a_zone_summary_counts_only_the_zone() {
    let (_dir, core, _) = neighbourhood();
    let html = core
        .summary(&query(Some("Elm"), SummaryLang::En))
        .unwrap()
        .to_html();
    // Elm (tests/it/measures.rs): P1 and P2, 3.75 h, 600 m; R1, R2, R4, R5; one meeting, 14.
    assert!(html.contains("Zone: Elm"));
    assert!(html.contains(&html_row(["Patrols", "2", "1", "+100 %"])));
    assert!(html.contains(&html_row(["Time on patrol", "3 h 45 min", "1 h", "+275 %"])));
    assert!(html.contains(&html_row(["Reports", "4", "1", "+300 %"])));
    assert!(html.contains(&html_row(["Report to closed, median", "6 h", "-", "-"])));
    assert!(html.contains(&html_row(["Meeting attendance", "14", "0", "new"])));
    assert!(!html.contains("<th scope=\"row\">Oak</th>"));
}

#[test]
fn bad_periods_zones_and_file_names_are_rejected_not_panicking() {
    let (dir, core, _) = neighbourhood();
    let mut q = query(None, SummaryLang::En);
    q.to = q.from;
    assert!(matches!(
        core.summary(&q),
        Err(CoreError::Invalid(ValidationError::NotAfter {
            field: "to",
            ..
        }))
    ));
    let unknown = core.summary(&query(Some("Nowhere"), SummaryLang::En));
    assert!(matches!(
        unknown,
        Err(CoreError::Invalid(ValidationError::Invalid {
            field: "zone",
            ..
        }))
    ));
    let wrong = dir.path().join("summary.docx");
    assert!(matches!(
        core.write_summary(&query(None, SummaryLang::En), &wrong),
        Err(CoreError::Invalid(ValidationError::Invalid {
            field: "out",
            ..
        }))
    ));
    assert!(!wrong.exists());
    assert!("de".parse::<SummaryLang>().is_err());
}

const M_PER_DEG: f64 = 111_320.0;

/// A point `north` and `east` metres from a corner well inside one 250 m grid cell (as in
/// tests/it/hotspots.rs).
fn spot(north: f64, east: f64) -> Point {
    let base = Point::new(45.0 + 10.3 * 250.0 / M_PER_DEG, -122.0);
    Point::new(
        base.lat + north / M_PER_DEG,
        base.lon + east / (M_PER_DEG * base.lat.to_radians().cos()),
    )
}

fn file(core: &Core, when: &str, p: Point) {
    core.file_report(
        &NewReport {
            category: Category::Theft,
            description: "seen".into(),
            occurred_at: t(when),
            location: Some(p),
            precision: LocationPrecision::Exact,
            photos: vec![],
            person: None,
        },
        false,
    )
    .unwrap();
}

#[test]
fn cells_and_hours_under_k_never_appear_in_the_html_the_pdf_or_the_map() {
    let dir = tempfile::tempdir().unwrap();
    let core = Core::open(dir.path()).unwrap();
    core.init("Carmen").unwrap();
    core.create_group("Watch").unwrap();
    // Cell A: 5 reports on Tuesdays at 10:xx; cell B, 1 km north: 3 on Wednesday at 22:xx;
    // cell C: 2 and cell D: 1, each at hours of their own. k = 3 (the group's default).
    for (i, day) in (0u32..).zip(["02", "02", "09", "09", "09"]) {
        file(
            &core,
            &format!("2026-06-{day}T10:{:02}:00Z", i * 10),
            spot(10.0 + f64::from(i), 10.0),
        );
    }
    for i in 0..3 {
        file(
            &core,
            &format!("2026-06-03T22:{:02}:00Z", i * 15),
            spot(1_000.0 + f64::from(i), 10.0),
        );
    }
    file(&core, "2026-06-04T03:00:00Z", spot(2_000.0, 10.0));
    file(&core, "2026-06-04T03:30:00Z", spot(2_001.0, 10.0));
    file(&core, "2026-06-05T05:00:00Z", spot(3_000.0, 10.0));

    let summary = core.summary(&query(None, SummaryLang::En)).unwrap();
    // The map is drawn from these cells only, and its frame from them and the zones.
    let counts: Vec<u32> = summary.hotspots.cells.iter().map(|c| c.count).collect();
    assert_eq!(counts, [5, 3]);
    let reference = core
        .hotspots(&HotspotQuery {
            from: Some(t("2026-06-01T00:00:00Z")),
            to: Some(t("2026-06-15T00:00:00Z")),
            ..HotspotQuery::default()
        })
        .unwrap();
    assert_eq!(summary.hotspots, reference);

    let html = summary.to_html();
    let marked = |class: &str| -> Vec<String> {
        html.match_indices(&format!("<g class=\"{class}\" data-count=\""))
            .map(|(at, m)| html[at + m.len()..].split('"').next().unwrap().to_owned())
            .collect()
    };
    assert_eq!(marked("cell"), ["5", "3"]);
    assert_eq!(marked("hour"), ["5", "3"]);
    assert_eq!(html.matches("data-count=").count(), 4);
    assert!(html.contains("Reports in places with fewer than 3, not shown: 3."));
    let (pdf, _) = summary.to_pdf();
    let read = read_pdf(&pdf);
    let in_pdf = |tag: &str| -> Vec<Vec<String>> {
        read.iter()
            .flat_map(|p| p.marked.iter())
            .filter(|(t, _)| t == tag)
            .map(|(_, inside)| inside.clone())
            .collect()
    };
    assert_eq!(
        in_pdf("HotspotCell"),
        [vec!["5".to_owned()], vec!["3".to_owned()]]
    );
    assert_eq!(
        in_pdf("HeatHour"),
        [vec!["5".to_owned()], vec!["3".to_owned()]]
    );
    assert!(has_row(
        &read,
        &["Reports in places with fewer than 3, not shown: 3."]
    ));

    // For one zone (around cell B only), only its reports are counted, and k applies to them.
    core.set_zone(&Zone {
        name: "North".into(),
        area: Area::circle(spot(1_000.0, 10.0), 100.0),
    })
    .unwrap();
    let north = core
        .summary(&query(Some("North"), SummaryLang::En))
        .unwrap();
    let cells: Vec<u32> = north.hotspots.cells.iter().map(|c| c.count).collect();
    assert_eq!((cells, north.hotspots.in_hidden_cells), (vec![3], 0));
    let hours: Vec<(u8, u8, u32)> = north
        .hotspots
        .week
        .iter()
        .map(|h| (h.weekday, h.hour, h.count))
        .collect();
    assert_eq!(hours, [(2, 22, 3)]);
    assert_eq!(north.to_html().matches("data-count=").count(), 2);

    // With a stricter group k the 3-report cell and hour go too.
    core.set_hotspot_k(4).unwrap();
    let strict = core.summary(&query(None, SummaryLang::En)).unwrap();
    let html = strict.to_html();
    assert_eq!(html.matches("data-count=").count(), 2);
    assert!(!html.contains("data-count=\"3\""));
    let read = read_pdf(&strict.to_pdf().0);
    let cells: Vec<&(String, Vec<String>)> = read.iter().flat_map(|p| p.marked.iter()).collect();
    assert_eq!(cells.len(), 2);
    assert!(cells.iter().all(|(_, inside)| inside == &["5"]));
}
