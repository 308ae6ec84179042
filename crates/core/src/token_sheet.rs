//! The printable sheet of report codes a coordinator hands to people who are not members: one
//! inline SVG QR code per code, in plain HTML that any browser prints. Shared by the app's
//! "print report codes" and `porchlight tokens sheet`.

use std::fmt::Write as _;

use qrcode::{Color, QrCode};

use crate::{CoreError, Result};

/// The most codes one sheet holds: it is printed, and every code comes out of the coordinator's
/// daily token allowance.
pub const TOKEN_SHEET_MAX: usize = 200;

/// The page for `codes`.
pub fn token_sheet_html(codes: &[String]) -> Result<String> {
    let mut html = String::from(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>Porchlight report tokens</title>\n<style>\
         body{font-family:sans-serif;margin:1cm}\
         .t{display:inline-block;width:8cm;margin:0 .5cm 1cm 0;vertical-align:top;page-break-inside:avoid}\
         .t svg{width:6cm;height:6cm}\
         .t p{font-size:7pt;word-break:break-all;font-family:monospace}\
         </style></head><body>\n<h1>Report something to the neighbourhood watch</h1>\n\
         <p>Each code below files one anonymous report. Scan it with the Porchlight app, or type \
         <code>porchlight report file --token-code CODE --category ... --text ...</code>. \
         The report is sealed so only the group's coordinators can read it; the code says nothing \
         about who used it. Each code works once.</p>\n",
    );
    for code in codes {
        let qr = QrCode::new(code.as_bytes())
            .map_err(|e| CoreError::Export(format!("a code does not fit a QR code: {e}")))?;
        let _ = writeln!(html, "<div class=\"t\">{}<p>{}</p></div>", svg(&qr), code);
    }
    html.push_str("</body></html>\n");
    Ok(html)
}

/// The code as an SVG, one square per dark module, with the standard four-module quiet zone.
fn svg(qr: &QrCode) -> String {
    let width = qr.width();
    let size = width + 8;
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {size} {size}\" \
         shape-rendering=\"crispEdges\"><rect width=\"{size}\" height=\"{size}\" fill=\"#fff\"/>\
         <path fill=\"#000\" d=\""
    );
    for (i, color) in qr.to_colors().iter().enumerate() {
        if *color == Color::Dark {
            let (x, y) = (i % width + 4, i / width + 4);
            let _ = write!(out, "M{x} {y}h1v1h-1z");
        }
    }
    out.push_str("\"/></svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sheet_has_one_scannable_code_per_token() {
        let codes = vec![
            "porchlight-drop:abc".to_owned(),
            "porchlight-drop:def".to_owned(),
        ];
        let html = token_sheet_html(&codes).unwrap();
        assert_eq!(html.matches("<svg").count(), 2);
        assert!(html.contains("porchlight-drop:def"));
    }
}
