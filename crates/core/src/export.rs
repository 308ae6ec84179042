//! Export of alerts, patrols and reports as CSV or GeoJSON, for spreadsheets and GIS tools.
//!
//! Files are written to a temporary name and renamed at the end, so a failed export never leaves
//! a half-written file behind.

use std::io::Write;
use std::path::Path;

use porchlight_crdt::read_track;
use porchlight_model::{Area, DocKind, Point, Timestamp, TriageStatus};
use porchlight_store::AlertQuery;
use serde_json::{Value, json};

use crate::{Core, CoreError, Result};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportKind {
    Alerts,
    Patrols,
    Reports,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    GeoJson,
}

fn position(p: Point) -> Value {
    // GeoJSON positions are [longitude, latitude].
    json!([p.lon, p.lat])
}

fn area_geometry(area: &Area) -> Value {
    let ring: Vec<Value> = area.outline(64).into_iter().map(position).collect();
    json!({ "type": "Polygon", "coordinates": [ring] })
}

fn ts(t: Option<Timestamp>) -> String {
    t.map(Timestamp::to_rfc3339).unwrap_or_default()
}

impl Core {
    /// Writes an export file and returns how many records it holds.
    pub fn export(&self, kind: ExportKind, format: ExportFormat, out: &Path) -> Result<usize> {
        let (count, bytes) = match (kind, format) {
            (ExportKind::Alerts, f) => self.export_alerts(f)?,
            (ExportKind::Patrols, f) => self.export_patrols(f)?,
            (ExportKind::Reports, f) => self.export_reports(f)?,
        };
        let io = |source| CoreError::Io {
            path: out.to_owned(),
            source,
        };
        let tmp = out.with_extension("partial");
        let mut file = std::fs::File::create(&tmp).map_err(io)?;
        file.write_all(&bytes).map_err(io)?;
        file.sync_all().map_err(io)?;
        std::fs::rename(&tmp, out).map_err(io)?;
        Ok(count)
    }

    fn export_alerts(&self, format: ExportFormat) -> Result<(usize, Vec<u8>)> {
        let alerts = self.alerts(&AlertQuery::default())?;
        let n = alerts.len();
        match format {
            ExportFormat::GeoJson => {
                let features: Vec<Value> = alerts
                    .iter()
                    .map(|a| {
                        json!({
                            "type": "Feature",
                            "id": a.id.to_string(),
                            "geometry": area_geometry(&a.area),
                            "properties": {
                                "title": a.title, "body": a.body,
                                "category": a.category.as_str(), "severity": a.severity.as_str(),
                                "status": a.status.as_str(),
                                "issuedAt": a.issued_at.to_rfc3339(), "expiresAt": ts(a.expires_at),
                            }
                        })
                    })
                    .collect();
                Ok((n, feature_collection(&features)))
            }
            ExportFormat::Csv => {
                let mut w = csv::Writer::from_writer(Vec::new());
                let header = [
                    "id",
                    "title",
                    "body",
                    "category",
                    "severity",
                    "status",
                    "issued_at",
                    "expires_at",
                    "lat",
                    "lon",
                    "radius_m",
                    "shape",
                ];
                w.write_record(header).map_err(csv_err)?;
                for a in &alerts {
                    let c = a.area.anchor();
                    let (radius, shape) = match &a.area {
                        Area::Circle { radius_m, .. } => (radius_m.to_string(), "circle"),
                        Area::Polygon { .. } => (String::new(), "polygon"),
                    };
                    w.write_record([
                        a.id.to_string(),
                        a.title.clone(),
                        a.body.clone(),
                        a.category.to_string(),
                        a.severity.to_string(),
                        a.status.to_string(),
                        a.issued_at.to_rfc3339(),
                        ts(a.expires_at),
                        c.lat.to_string(),
                        c.lon.to_string(),
                        radius,
                        shape.into(),
                    ])
                    .map_err(csv_err)?;
                }
                Ok((
                    n,
                    w.into_inner()
                        .map_err(|e| CoreError::Export(e.to_string()))?,
                ))
            }
        }
    }

    fn export_patrols(&self, format: ExportFormat) -> Result<(usize, Vec<u8>)> {
        let patrols = self.patrols(u32::MAX, 0)?;
        let n = patrols.len();
        match format {
            ExportFormat::GeoJson => {
                let mut features = Vec::new();
                for p in &patrols {
                    let track = {
                        let store = self.store();
                        read_track(&store.load_kind(p.id, DocKind::Patrol)?)?
                    };
                    // A LineString needs two positions; a patrol without a track has no geometry.
                    let geometry = if track.len() >= 2 {
                        let line: Vec<Value> = track.iter().map(|f| position(f.point)).collect();
                        json!({ "type": "LineString", "coordinates": line })
                    } else {
                        Value::Null
                    };
                    features.push(json!({
                        "type": "Feature", "id": p.id.to_string(), "geometry": geometry,
                        "properties": {
                            "title": p.title, "startedAt": p.started_at.to_rfc3339(),
                            "endedAt": ts(p.ended_at), "distanceM": p.distance_m,
                            "fixes": p.fix_count, "observations": p.observations,
                        }
                    }));
                }
                for (patrol, o) in self.store().observations()? {
                    let Some(point) = o.point else { continue };
                    features.push(json!({
                        "type": "Feature", "id": format!("{patrol}/{}", o.id),
                        "geometry": { "type": "Point", "coordinates": position(point) },
                        "properties": {
                            "patrol": patrol.to_string(), "at": o.at.to_rfc3339(),
                            "category": o.category.as_str(), "note": o.note,
                        }
                    }));
                }
                Ok((n, feature_collection(&features)))
            }
            ExportFormat::Csv => {
                let mut w = csv::Writer::from_writer(Vec::new());
                w.write_record([
                    "id",
                    "title",
                    "started_at",
                    "ended_at",
                    "minutes",
                    "distance_m",
                    "fixes",
                    "observations",
                    "participants",
                ])
                .map_err(csv_err)?;
                for p in &patrols {
                    let minutes = p
                        .ended_at
                        .map(|e| ((e.millis() - p.started_at.millis()) / 60_000).to_string())
                        .unwrap_or_default();
                    let names: Vec<&str> = p.participants.iter().map(|x| x.name.as_str()).collect();
                    w.write_record([
                        p.id.to_string(),
                        p.title.clone(),
                        p.started_at.to_rfc3339(),
                        ts(p.ended_at),
                        minutes,
                        format!("{:.1}", p.distance_m),
                        p.fix_count.to_string(),
                        p.observations.to_string(),
                        names.join("; "),
                    ])
                    .map_err(csv_err)?;
                }
                Ok((
                    n,
                    w.into_inner()
                        .map_err(|e| CoreError::Export(e.to_string()))?,
                ))
            }
        }
    }

    fn export_reports(&self, format: ExportFormat) -> Result<(usize, Vec<u8>)> {
        let reports = self.reports(None::<TriageStatus>)?;
        let n = reports.len();
        match format {
            ExportFormat::GeoJson => {
                let features: Vec<Value> = reports
                    .iter()
                    .map(|e| {
                        let r = &e.report;
                        json!({
                            "type": "Feature", "id": r.id.to_string(),
                            "geometry": r.location.map_or(Value::Null, |p| json!({
                                "type": "Point", "coordinates": position(p)
                            })),
                            "properties": {
                                "category": r.category.as_str(), "description": r.description,
                                "occurredAt": r.occurred_at.to_rfc3339(),
                                "precision": r.precision.as_str(), "status": r.status.as_str(),
                            }
                        })
                    })
                    .collect();
                Ok((n, feature_collection(&features)))
            }
            ExportFormat::Csv => {
                let mut w = csv::Writer::from_writer(Vec::new());
                w.write_record([
                    "id",
                    "occurred_at",
                    "category",
                    "status",
                    "description",
                    "lat",
                    "lon",
                    "precision",
                    "photos",
                    "first_triaged_at",
                ])
                .map_err(csv_err)?;
                for e in &reports {
                    let r = &e.report;
                    w.write_record([
                        r.id.to_string(),
                        r.occurred_at.to_rfc3339(),
                        r.category.to_string(),
                        r.status.to_string(),
                        r.description.clone(),
                        r.location.map(|p| p.lat.to_string()).unwrap_or_default(),
                        r.location.map(|p| p.lon.to_string()).unwrap_or_default(),
                        r.precision.to_string(),
                        r.photos.len().to_string(),
                        ts(e.first_triaged_at),
                    ])
                    .map_err(csv_err)?;
                }
                Ok((
                    n,
                    w.into_inner()
                        .map_err(|e| CoreError::Export(e.to_string()))?,
                ))
            }
        }
    }
}

fn feature_collection(features: &[Value]) -> Vec<u8> {
    let fc = json!({ "type": "FeatureCollection", "features": features });
    serde_json::to_vec_pretty(&fc).unwrap_or_default()
}

#[allow(clippy::needless_pass_by_value)] // shaped for `map_err`
fn csv_err(e: csv::Error) -> CoreError {
    CoreError::Export(e.to_string())
}
