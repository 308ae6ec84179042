//! `porchlight tokens sheet`: a printable page of drop-token codes for people who are not
//! members. Each code is one report: it names the server and group, the coordinators' sealing
//! keys and one single-use token. The page is plain HTML with one inline SVG QR code per token.

use std::path::Path;

use porchlight_core::{Core, TOKEN_SHEET_MAX, token_sheet_html};

use crate::run::{Failure, Out, render};

pub fn sheet(core: &Core, json: bool, count: usize, out: &Path) -> Out {
    if !(1..=TOKEN_SHEET_MAX).contains(&count) {
        return Err(Failure {
            kind: "invalid",
            message: format!("a sheet holds 1 to {TOKEN_SHEET_MAX} tokens, not {count}"),
        });
    }
    let codes = crate::network::block_on(core.token_sheet(count))??;
    let html = token_sheet_html(&codes)?;
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
