//! The coordinator's overview: counts, search, the demo neighbourhood and exports.

use std::path::PathBuf;
use std::sync::Arc;

use porchlight_core::model::{DocId, DocKind, Timestamp};
use porchlight_core::{Core, DemoSummary, ExportFormat, ExportKind, Stats};
use serde::{Deserialize, Serialize};
use tauri::State;

use super::blocking;
use crate::error::{Error, Result};

/// Where exports are written (the user's downloads folder, or `exports/` in the data dir).
#[derive(Debug, Clone)]
pub struct ExportDir(pub PathBuf);

#[tauri::command]
pub async fn stats(core: State<'_, Arc<Core>>) -> Result<Stats> {
    blocking(&core, |core| Ok(core.stats()?)).await
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct SearchHit {
    pub id: DocId,
    pub kind: DocKind,
    pub text: String,
}

#[tauri::command]
pub async fn search(core: State<'_, Arc<Core>>, text: String) -> Result<Vec<SearchHit>> {
    blocking(&core, move |core| {
        Ok(core
            .search(&text)?
            .into_iter()
            .map(|(id, kind, text)| SearchHit { id, kind, text })
            .collect())
    })
    .await
}

/// Fills this device with the demo neighbourhood (a few seconds).
#[tauri::command]
pub async fn demo(core: State<'_, Arc<Core>>) -> Result<DemoSummary> {
    blocking(&core, |core| Ok(core.demo(&mut |_, _, _| {})?)).await
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(test, derive(ts_rs::TS), ts(rename = "ExportWhat"))]
pub enum What {
    Alerts,
    Patrols,
    Reports,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(test, derive(ts_rs::TS), ts(rename = "ExportAs"))]
pub enum As {
    Csv,
    Geojson,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Exported {
    pub path: String,
    pub count: usize,
}

#[tauri::command]
pub async fn export(
    core: State<'_, Arc<Core>>,
    dir: State<'_, ExportDir>,
    what: What,
    format: As,
) -> Result<Exported> {
    let (kind, name) = match what {
        What::Alerts => (ExportKind::Alerts, "alerts"),
        What::Patrols => (ExportKind::Patrols, "patrols"),
        What::Reports => (ExportKind::Reports, "reports"),
    };
    let (format, ext) = match format {
        As::Csv => (ExportFormat::Csv, "csv"),
        As::Geojson => (ExportFormat::GeoJson, "geojson"),
    };
    let dir = dir.0.clone();
    blocking(&core, move |core| {
        let path = export_path(&dir, name, ext)?;
        let count = core.export(kind, format, &path)?;
        Ok(Exported {
            path: path.display().to_string(),
            count,
        })
    })
    .await
}

/// A new file `porchlight-NAME-TIME.EXT` in the export folder (made if missing). The time keeps
/// names sortable and unique enough for a person clicking a button.
pub fn export_path(dir: &std::path::Path, name: &str, ext: &str) -> Result<std::path::PathBuf> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, &e))?;
    let stamp = Timestamp::now().to_rfc3339().replace([':', '.'], "-");
    Ok(dir.join(format!("porchlight-{name}-{stamp}.{ext}")))
}
