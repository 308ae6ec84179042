//! `porchlight tokens sheet`: a printable page of drop-token codes for people who are not
//! members. Each code is one report: it names the server and group, the coordinators' sealing
//! keys and one single-use token. The page is plain HTML with one inline SVG QR code per token.

use std::fmt::Write as _;
use std::path::Path;

use porchlight_core::Core;
use qrcode::{Color, QrCode};

use crate::run::{Failure, Out, render};

/// The most codes one sheet holds (it is printed, and comes out of the day's token allowance).
const MAX_SHEET: usize = 200;

pub fn sheet(core: &Core, json: bool, count: usize, out: &Path) -> Out {
    if !(1..=MAX_SHEET).contains(&count) {
        return Err(Failure {
            kind: "invalid",
            message: format!("a sheet holds 1 to {MAX_SHEET} tokens, not {count}"),
        });
    }
    let codes = crate::network::block_on(core.token_sheet(count))??;
    let html = page(&codes)?;
    std::fs::write(out, html).map_err(|e| Failure {
        kind: "io",
        message: format!("{}: {e}", out.display()),
    })?;
    let value = serde_json::json!({ "tokens": codes.len(), "file": out });
    render(json, &value, |_| {
        let short = if codes.len() < count {
            format!(" (only {} were left in today's allowance)", codes.len())
        } else {
            String::new()
        };
        format!(
            "wrote {} token code(s) to {}{short}\neach lets one person who is not a member file one anonymous report:\n  porchlight report file --token-code CODE --category ... --text ...",
            codes.len(),
            out.display()
        )
    })
}

fn page(codes: &[String]) -> Result<String, Failure> {
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
        let qr = QrCode::new(code.as_bytes()).map_err(|e| Failure {
            kind: "qr",
            message: e.to_string(),
        })?;
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
        let html = page(&codes).unwrap();
        assert_eq!(html.matches("<svg").count(), 2);
        assert!(html.contains("porchlight-drop:def"));
    }
}
