//! Export of alerts, patrols and reports as CSV or GeoJSON, for spreadsheets and GIS tools.
//!
//! Files are written to a temporary name and renamed at the end, so a failed export never leaves
//! a half-written file behind.

use std::io::Write;
use std::path::Path;

use geojson::{Feature, FeatureCollection, Geometry, JsonObject, feature::Id};
use porchlight_crdt::read_track;
use porchlight_model::{Area, DocKind, Point, Timestamp, TriageStatus};
use porchlight_store::AlertQuery;
use serde::Serialize;

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

/// A GeoJSON position: [longitude, latitude].
fn position(p: Point) -> Vec<f64> {
    vec![p.lon, p.lat]
}

fn point(p: Point) -> Geometry {
    Geometry::new(geojson::Value::Point(position(p)))
}

/// Circles become 64-sided polygons (GeoJSON has no circle).
fn area_geometry(area: &Area) -> Geometry {
    let ring = area.outline(64).into_iter().map(position).collect();
    Geometry::new(geojson::Value::Polygon(vec![ring]))
}

fn ts(t: Option<Timestamp>) -> String {
    t.map(Timestamp::to_rfc3339).unwrap_or_default()
}

/// A feature with `properties` serialised from a row struct (camelCase keys).
fn feature(id: String, geometry: Option<Geometry>, properties: &impl Serialize) -> Result<Feature> {
    let properties = match serde_json::to_value(properties).map_err(json_err)? {
        serde_json::Value::Object(map) => map,
        _ => JsonObject::new(),
    };
    Ok(Feature {
        id: Some(Id::String(id)),
        geometry,
        properties: Some(properties),
        ..Feature::default()
    })
}

fn feature_collection(features: Vec<Feature>) -> Result<Vec<u8>> {
    let fc = FeatureCollection {
        features,
        bbox: None,
        foreign_members: None,
    };
    serde_json::to_vec_pretty(&fc).map_err(json_err)
}

/// A CSV file with one row per item, the header from the row struct's field names.
fn csv_of<R: Serialize>(rows: impl IntoIterator<Item = R>) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    for row in rows {
        w.serialize(row).map_err(csv_err)?;
    }
    w.into_inner().map_err(|e| CoreError::Export(e.to_string()))
}

#[derive(Serialize)]
struct AlertRow<'a> {
    id: String,
    title: &'a str,
    body: &'a str,
    category: &'a str,
    severity: &'a str,
    status: &'a str,
    issued_at: String,
    expires_at: String,
    lat: f64,
    lon: f64,
    /// Empty for polygons.
    radius_m: Option<f64>,
    shape: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AlertProperties<'a> {
    title: &'a str,
    body: &'a str,
    category: &'a str,
    severity: &'a str,
    status: &'a str,
    issued_at: String,
    expires_at: String,
}

#[derive(Serialize)]
struct PatrolRow<'a> {
    id: String,
    title: &'a str,
    started_at: String,
    ended_at: String,
    /// Empty while the patrol runs.
    minutes: Option<i64>,
    distance_m: String,
    fixes: u64,
    observations: u64,
    participants: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PatrolProperties<'a> {
    title: &'a str,
    started_at: String,
    ended_at: String,
    distance_m: f64,
    fixes: u64,
    observations: u64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ObservationProperties<'a> {
    patrol: String,
    at: String,
    category: &'a str,
    note: &'a str,
}

#[derive(Serialize)]
struct ReportRow<'a> {
    id: String,
    occurred_at: String,
    category: &'a str,
    status: &'a str,
    description: &'a str,
    lat: Option<f64>,
    lon: Option<f64>,
    precision: &'a str,
    photos: usize,
    first_triaged_at: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ReportProperties<'a> {
    category: &'a str,
    description: &'a str,
    occurred_at: String,
    precision: &'a str,
    status: &'a str,
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
        let bytes = match format {
            ExportFormat::GeoJson => feature_collection(
                alerts
                    .iter()
                    .map(|a| {
                        let properties = AlertProperties {
                            title: &a.title,
                            body: &a.body,
                            category: a.category.as_str(),
                            severity: a.severity.as_str(),
                            status: a.status.as_str(),
                            issued_at: a.issued_at.to_rfc3339(),
                            expires_at: ts(a.expires_at),
                        };
                        feature(a.id.to_string(), Some(area_geometry(&a.area)), &properties)
                    })
                    .collect::<Result<_>>()?,
            )?,
            ExportFormat::Csv => csv_of(alerts.iter().map(|a| {
                let c = a.area.anchor();
                let (radius_m, shape) = match &a.area {
                    Area::Circle { radius_m, .. } => (Some(*radius_m), "circle"),
                    Area::Polygon { .. } => (None, "polygon"),
                };
                AlertRow {
                    id: a.id.to_string(),
                    title: &a.title,
                    body: &a.body,
                    category: a.category.as_str(),
                    severity: a.severity.as_str(),
                    status: a.status.as_str(),
                    issued_at: a.issued_at.to_rfc3339(),
                    expires_at: ts(a.expires_at),
                    lat: c.lat,
                    lon: c.lon,
                    radius_m,
                    shape,
                }
            }))?,
        };
        Ok((alerts.len(), bytes))
    }

    fn export_patrols(&self, format: ExportFormat) -> Result<(usize, Vec<u8>)> {
        let patrols = self.patrols(u32::MAX, 0)?;
        let bytes = match format {
            ExportFormat::GeoJson => {
                let mut features = Vec::new();
                for p in &patrols {
                    let track = {
                        let store = self.store();
                        read_track(&store.load_kind(p.id, DocKind::Patrol)?)?
                    };
                    // A LineString needs two positions; a patrol without a track has no geometry.
                    let geometry = (track.len() >= 2).then(|| {
                        let line = track.iter().map(|f| position(f.point)).collect();
                        Geometry::new(geojson::Value::LineString(line))
                    });
                    let properties = PatrolProperties {
                        title: &p.title,
                        started_at: p.started_at.to_rfc3339(),
                        ended_at: ts(p.ended_at),
                        distance_m: p.distance_m,
                        fixes: p.fix_count,
                        observations: p.observations,
                    };
                    features.push(feature(p.id.to_string(), geometry, &properties)?);
                }
                for (patrol, o) in self.store().observations()? {
                    let Some(at) = o.point else { continue };
                    let properties = ObservationProperties {
                        patrol: patrol.to_string(),
                        at: o.at.to_rfc3339(),
                        category: o.category.as_str(),
                        note: &o.note,
                    };
                    let id = format!("{patrol}/{}", o.id);
                    features.push(feature(id, Some(point(at)), &properties)?);
                }
                feature_collection(features)?
            }
            ExportFormat::Csv => csv_of(patrols.iter().map(|p| {
                PatrolRow {
                    id: p.id.to_string(),
                    title: &p.title,
                    started_at: p.started_at.to_rfc3339(),
                    ended_at: ts(p.ended_at),
                    minutes: p
                        .ended_at
                        .map(|e| (e.millis() - p.started_at.millis()) / 60_000),
                    distance_m: format!("{:.1}", p.distance_m),
                    fixes: p.fix_count,
                    observations: p.observations,
                    participants: p
                        .participants
                        .iter()
                        .map(|x| x.name.as_str())
                        .collect::<Vec<_>>()
                        .join("; "),
                }
            }))?,
        };
        Ok((patrols.len(), bytes))
    }

    fn export_reports(&self, format: ExportFormat) -> Result<(usize, Vec<u8>)> {
        let reports = self.reports(None::<TriageStatus>)?;
        let bytes = match format {
            ExportFormat::GeoJson => feature_collection(
                reports
                    .iter()
                    .map(|e| {
                        let r = &e.report;
                        let properties = ReportProperties {
                            category: r.category.as_str(),
                            description: &r.description,
                            occurred_at: r.occurred_at.to_rfc3339(),
                            precision: r.precision.as_str(),
                            status: r.status.as_str(),
                        };
                        feature(r.id.to_string(), r.location.map(point), &properties)
                    })
                    .collect::<Result<_>>()?,
            )?,
            ExportFormat::Csv => csv_of(reports.iter().map(|e| {
                let r = &e.report;
                ReportRow {
                    id: r.id.to_string(),
                    occurred_at: r.occurred_at.to_rfc3339(),
                    category: r.category.as_str(),
                    status: r.status.as_str(),
                    description: &r.description,
                    lat: r.location.map(|p| p.lat),
                    lon: r.location.map(|p| p.lon),
                    precision: r.precision.as_str(),
                    photos: r.photos.len(),
                    first_triaged_at: ts(e.first_triaged_at),
                }
            }))?,
        };
        Ok((reports.len(), bytes))
    }
}

#[allow(clippy::needless_pass_by_value)] // shaped for `map_err`
fn json_err(e: serde_json::Error) -> CoreError {
    CoreError::Export(e.to_string())
}

#[allow(clippy::needless_pass_by_value)] // shaped for `map_err`
fn csv_err(e: csv::Error) -> CoreError {
    CoreError::Export(e.to_string())
}
