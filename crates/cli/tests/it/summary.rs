//! `porchlight summary`: writes the meeting summary as PDF or HTML by the extension, says what it
//! wrote with --json, and refuses a bad period, an unknown zone or another extension.

use crate::cli::{json, ok, porchlight};

#[test]
fn the_meeting_summary_is_written_as_pdf_or_html_and_bad_input_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(d, &["init", "--name", "Ana", "--group", "Elm Street Watch"]);
    ok(
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
    let pdf = d.join("june.pdf");
    let period = ["summary", "--from", "2026-06-01", "--to", "2026-06-15"];
    let mut args = period.to_vec();
    args.extend(["--out", pdf.to_str().unwrap()]);
    let wrote = json(d, &args);
    assert_eq!(wrote["format"], "pdf");
    assert_eq!(wrote["lang"], "en");
    assert_eq!(wrote["path"], pdf.display().to_string());
    assert_eq!(wrote["k"], 3);
    assert!(wrote["pages"].as_u64().unwrap() >= 1);
    let bytes = std::fs::read(&pdf).unwrap();
    assert_eq!(wrote["bytes"].as_u64().unwrap(), bytes.len() as u64);
    assert!(bytes.starts_with(b"%PDF-"));

    let html = d.join("junio.html");
    let mut args = period.to_vec();
    args.extend(["--lang", "es", "--out", html.to_str().unwrap()]);
    let text = ok(d, &args);
    assert!(text.contains("HTML"), "{text}");
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("<html lang=\"es\">") && page.contains("Resumen para la reunión"));
    assert!(page.contains("June meeting (Library)"));

    // A period that ends before it starts, a zone the group lacks, a .txt file, a language
    // the summary is not written in: each refused with one line, and no file written.
    let out = d.join("bad.pdf");
    let out = out.to_str().unwrap();
    let txt = d.join("bad.txt");
    let txt = txt.to_str().unwrap();
    for (bad, says) in [
        (
            vec![
                "summary",
                "--from",
                "2026-06-15",
                "--to",
                "2026-06-01",
                "--out",
                out,
            ],
            "to",
        ),
        (
            vec![
                "summary",
                "--from",
                "2026-06-01",
                "--to",
                "2026-06-15",
                "--zone",
                "Nowhere",
                "--out",
                out,
            ],
            "Nowhere",
        ),
        (
            vec![
                "summary",
                "--from",
                "2026-06-01",
                "--to",
                "2026-06-15",
                "--out",
                txt,
            ],
            ".pdf or .html",
        ),
        (
            vec![
                "summary",
                "--from",
                "June",
                "--to",
                "2026-06-15",
                "--out",
                out,
            ],
            "from",
        ),
        (
            vec![
                "summary",
                "--from",
                "2026-06-01",
                "--to",
                "2026-06-15",
                "--lang",
                "de",
                "--out",
                out,
            ],
            "de",
        ),
    ] {
        let o = porchlight(d, &bad);
        assert!(!o.status.success(), "{bad:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(says), "{bad:?}: {err}");
    }
    assert!(!d.join("bad.pdf").exists() && !d.join("bad.txt").exists());
}
