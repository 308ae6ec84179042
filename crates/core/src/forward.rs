//! Forwarding a case to a partner: a packet of two files (docs/CASES.md, "Partners and
//! forwarding") — a printable, self-contained HTML page and a GeoJSON file with the photos as
//! `data:` URLs — and a record in the case's history of who forwarded it to whom and when.
//!
//! The packet holds what the report says (category, text, the stored time and place, status,
//! outcome, the person description, follow-ups, photos), never who sent it: no device id, key,
//! receipt or reply secret, not even the report's id (the reporter's receipt holds that), only
//! a reference derived from it one way. Every photo is decoded and encoded again on the way
//! out, so whatever metadata a reporter's device left in it stays behind.

use std::fmt::Write as _;
use std::io::Write;
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use porchlight_crdt::{new_triage, record_forward, triage_id};
use porchlight_media::Limits;
use porchlight_model::{DocId, DocKind, Partner, Role, Timestamp, TriageStatus, ends_case};
use porchlight_store::ReportEntry;

use crate::html::escape;
use serde::Serialize;
use serde_json::{Value, json};

use crate::{Core, CoreError, Result};

/// The packet for one partner, in memory.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct ForwardPacket {
    /// Names the case in the packet; derived one way from the report's id.
    pub reference: String,
    pub partner: Partner,
    pub html: String,
    pub geojson: String,
    /// Photos in the packet.
    pub photos: usize,
    /// Photos of the report not on this device yet (or unreadable), left out.
    pub photos_missing: usize,
}

/// A packet written to a folder and recorded in the case's history.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Forwarded {
    pub reference: String,
    pub partner: String,
    pub partner_name: String,
    pub html: String,
    pub geojson: String,
    pub photos: usize,
    pub photos_missing: usize,
}

/// A short reference for the packet: the first 10 hex digits of a keyed BLAKE3 hash of the
/// report's id. A coordinator can match it to the case; the reporter's receipt (which holds the
/// id) cannot be matched to the packet by anyone who only sees the packet.
pub fn packet_reference(report: DocId) -> String {
    let key = blake3::derive_key("porchlight forward reference v1", report.as_bytes());
    let hash = blake3::keyed_hash(&key, b"reference");
    format!("PL-{}", hash.to_hex()[..10].to_uppercase())
}

impl Core {
    /// The packet forwarding `report` to `partner` would send, without recording anything.
    pub fn forward_packet(&self, report: DocId, partner: &str) -> Result<ForwardPacket> {
        self.require(|r| r == Role::Coordinator, "forward reports")?;
        let partner = self.partner(partner)?;
        let entry = self.report(report)?;
        let mut photos = Vec::new();
        let mut missing = 0;
        for hash in &entry.report.photos {
            // Decoded and encoded again: a reporter's device may have left metadata in it.
            match self
                .local_blob(hash)?
                .and_then(|b| porchlight_media::intake(&b, &Limits::default()).ok())
            {
                Some(p) => photos.push(format!(
                    "data:image/jpeg;base64,{}",
                    STANDARD.encode(&p.jpeg)
                )),
                None => missing += 1,
            }
        }
        let group = self.group()?.map_or_else(String::new, |g| g.name);
        let facts = Facts {
            reference: packet_reference(report),
            group,
            by: self.display_name()?,
            at: Timestamp::now(),
            status: packet_status(entry.report.status),
        };
        let html = html_page(&facts, &partner, &entry, &photos, missing);
        let geojson = geojson_of(&facts, &partner, &entry, &photos)?;
        Ok(ForwardPacket {
            reference: facts.reference,
            partner,
            html,
            geojson,
            photos: photos.len(),
            photos_missing: missing,
        })
    }

    /// Writes the packet forwarding `report` to `partner` into `dir` (made if missing) as
    /// `porchlight-forward-REF.html` and `.geojson`, then records the forwarding in the case
    /// (an open case becomes `forwarded`). A packet that cannot be written records nothing.
    pub fn forward_report(&self, report: DocId, partner: &str, dir: &Path) -> Result<Forwarded> {
        let packet = self.forward_packet(report, partner)?;
        std::fs::create_dir_all(dir).map_err(|source| CoreError::Io {
            path: dir.to_owned(),
            source,
        })?;
        let stem = format!("porchlight-forward-{}", packet.reference);
        let html = dir.join(format!("{stem}.html"));
        let geojson = dir.join(format!("{stem}.geojson"));
        write_whole(&html, packet.html.as_bytes())?;
        write_whole(&geojson, packet.geojson.as_bytes())?;

        let me = self.device();
        let now = Timestamp::now();
        let mut store = self.store();
        store.load_kind(report, DocKind::Report)?;
        let mut doc = match store.load(triage_id(report))? {
            Some(doc) => doc,
            None => new_triage(report, me)?,
        };
        store.write(
            &mut doc,
            |d| record_forward(d, me, &packet.partner, now),
            |_, _| Ok(()),
        )?;
        drop(store);
        self.changed_locally();
        Ok(Forwarded {
            reference: packet.reference,
            partner: packet.partner.id,
            partner_name: packet.partner.name,
            html: html.display().to_string(),
            geojson: geojson.display().to_string(),
            photos: packet.photos,
            photos_missing: packet.photos_missing,
        })
    }
}

/// What the packet says beside the report itself.
struct Facts {
    reference: String,
    group: String,
    by: String,
    at: Timestamp,
    /// The case's status once forwarded.
    status: TriageStatus,
}

/// An open case is `forwarded` once the packet is sent; a closed one keeps its status.
fn packet_status(now: TriageStatus) -> TriageStatus {
    if ends_case(now) {
        now
    } else {
        TriageStatus::Forwarded
    }
}

/// "suspicious_person" → "Suspicious person".
fn label(code: &str) -> String {
    let text = code.replace('_', " ");
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |c| {
        c.to_uppercase().collect::<String>() + chars.as_str()
    })
}

/// A time as "2026-05-01 09:15 UTC".
fn when(t: Timestamp) -> String {
    let s = t.to_rfc3339();
    match (s.get(..10), s.get(11..16)) {
        (Some(day), Some(hm)) => format!("{day} {hm} UTC"),
        _ => s,
    }
}

/// Text with its line breaks kept.
fn paragraphs(s: &str) -> String {
    escape(s).replace('\n', "<br>")
}

const STYLE: &str = "body{font:16px/1.5 system-ui,sans-serif;max-width:46rem;margin:2rem auto;\
padding:0 1rem;color:#111}h1{font-size:1.5rem;margin-bottom:.25rem}h2{font-size:1.15rem;\
margin-top:1.5rem;border-bottom:1px solid #ccc}dl{display:grid;grid-template-columns:max-content 1fr;\
gap:.25rem 1rem}dt{font-weight:600}dd{margin:0}figure{margin:1rem 0;break-inside:avoid}\
img{max-width:100%;height:auto;border:1px solid #ccc}footer{margin-top:2rem;font-size:.85rem;\
color:#444;border-top:1px solid #ccc;padding-top:.5rem}@media print{body{margin:0}}";

fn html_page(
    facts: &Facts,
    partner: &Partner,
    entry: &ReportEntry,
    photos: &[String],
    missing: usize,
) -> String {
    let report = &entry.report;
    let mut out = String::new();
    let to = if partner.organisation.is_empty() {
        escape(&partner.name)
    } else {
        format!(
            "{}, {}",
            escape(&partner.name),
            escape(&partner.organisation)
        )
    };
    let _ = writeln!(
        out,
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width\"><title>Report {reference} for {to}</title>\
<style>{STYLE}</style></head><body>\n<header><h1>Report {reference}</h1>\
<p>Forwarded by {group} to {to}<br>on {at} by {by}</p></header>",
        reference = escape(&facts.reference),
        group = escape(&facts.group),
        at = when(facts.at),
        by = escape(&facts.by),
    );
    let place = match report.location {
        Some(point) => format!(
            "{:.5}, {:.5} (kept {}) — <a href=\"https://www.openstreetmap.org/?mlat={:.5}&amp;mlon={:.5}#map=17/{:.5}/{:.5}\">map</a>",
            point.lat,
            point.lon,
            escape(&report.precision.as_str().replace('_', " ")),
            point.lat,
            point.lon,
            point.lat,
            point.lon
        ),
        None => "not given".into(),
    };
    let _ = writeln!(
        out,
        "<dl><dt>Category</dt><dd>{}</dd><dt>When</dt><dd>{} (as reported, to the nearest 15 minutes)</dd>\
<dt>Where</dt><dd>{place}</dd><dt>Status</dt><dd>{}</dd>{}</dl>",
        escape(&label(report.category.as_str())),
        when(report.occurred_at),
        escape(&label(facts.status.as_str())),
        entry.outcome.map_or_else(String::new, |o| format!(
            "<dt>Outcome</dt><dd>{}</dd>",
            escape(&label(o.as_str()))
        )),
    );
    let _ = writeln!(
        out,
        "<h2>What was reported</h2>\n<p>{}</p>",
        paragraphs(&report.description)
    );
    if let Some(person) = &report.person {
        let _ = write!(
            out,
            "<h2>Person described</h2>\n<p>{}</p>\n<ul>",
            paragraphs(&person.behaviour)
        );
        for detail in &person.details {
            let _ = write!(
                out,
                "<li>{}: {}</li>",
                escape(&label(detail.kind.as_str())),
                escape(&detail.text)
            );
        }
        out.push_str("</ul>\n");
    }
    if !report.followups.is_empty() {
        out.push_str("<h2>Added later by the reporter</h2>\n<ul>");
        for later in &report.followups {
            let _ = write!(
                out,
                "<li>{}: {}</li>",
                when(later.at),
                paragraphs(&later.text)
            );
        }
        out.push_str("</ul>\n");
    }
    if !photos.is_empty() || missing > 0 {
        out.push_str("<h2>Photos</h2>\n");
        for (i, src) in photos.iter().enumerate() {
            let _ = writeln!(
                out,
                "<figure><img src=\"{src}\" alt=\"Photo {} of {}\"></figure>",
                i + 1,
                photos.len()
            );
        }
        if missing > 0 {
            let _ = writeln!(
                out,
                "<p>{missing} more photo(s) were not available on the forwarding device.</p>"
            );
        }
    }
    out.push_str(
        "<footer>Who made this report is not part of this packet: Porchlight does not pass it on, \
and for an anonymous report nobody knows it. Please do not try to find out. A GeoJSON file \
with the same report and photos comes with this page.</footer>\n</body></html>\n",
    );
    out
}

fn geojson_of(f: &Facts, partner: &Partner, e: &ReportEntry, photos: &[String]) -> Result<String> {
    let r = &e.report;
    let geometry = r.location.map_or(
        Value::Null,
        |p| json!({ "type": "Point", "coordinates": [p.lon, p.lat] }),
    );
    let properties = json!({
        "reference": f.reference,
        "group": f.group,
        "forwardedTo": partner.name,
        "forwardedAt": f.at.to_rfc3339(),
        "category": r.category.as_str(),
        "description": r.description,
        "occurredAt": r.occurred_at.to_rfc3339(),
        "precision": r.precision.as_str(),
        "status": f.status.as_str(),
        "outcome": e.outcome.map(porchlight_model::CaseOutcome::as_str),
        "person": r.person.as_ref().map(|p| json!({
            "behaviour": p.behaviour,
            "details": p.details.iter().map(|d| json!({"kind": d.kind.as_str(), "text": d.text})).collect::<Vec<_>>(),
        })),
        "followups": r.followups.iter().map(|u| json!({"at": u.at.to_rfc3339(), "text": u.text})).collect::<Vec<_>>(),
        "photos": photos,
    });
    let fc = json!({
        "type": "FeatureCollection",
        "features": [{ "type": "Feature", "id": f.reference, "geometry": geometry, "properties": properties }],
    });
    serde_json::to_string_pretty(&fc).map_err(|e| CoreError::Export(e.to_string()))
}

/// Written to a temporary name and renamed, so a failure never leaves half a file.
fn write_whole(path: &PathBuf, bytes: &[u8]) -> Result<()> {
    let io = |source| CoreError::Io {
        path: path.clone(),
        source,
    };
    let tmp = path.with_extension("partial");
    let mut file = std::fs::File::create(&tmp).map_err(io)?;
    file.write_all(bytes).map_err(io)?;
    file.sync_all().map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)
}

#[cfg(test)]
#[path = "forward_tests.rs"]
mod tests;
