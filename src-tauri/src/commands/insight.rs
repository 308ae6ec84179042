//! Coordinator insight: hotspots under the group's k threshold, and the measures of success.

use std::sync::Arc;

use porchlight_core::model::{Alert, Category, DeviceId, DocId, Timestamp};
use porchlight_core::{
    Core, HotspotQuery, Hotspots, Measures, MeasuresQuery, SummaryLang, SummaryQuery,
    SummaryWritten, TrendStep,
};
use tauri::State;

use super::blocking;
use crate::error::Result;

/// Hotspots over a period; `utc_offset_minutes` puts the week heat map in the viewer's time.
#[tauri::command]
pub async fn hotspots(
    core: State<'_, Arc<Core>>,
    from: Option<Timestamp>,
    to: Option<Timestamp>,
    category: Option<Category>,
    utc_offset_minutes: i32,
) -> Result<Hotspots> {
    blocking(&core, move |core| {
        Ok(core.hotspots(&HotspotQuery {
            from,
            to,
            category,
            cell_m: None,
            k: None,
            utc_offset_minutes,
            zone: None,
        })?)
    })
    .await
}

#[tauri::command]
pub async fn hotspot_k(core: State<'_, Arc<Core>>) -> Result<u32> {
    blocking(&core, move |core| Ok(core.hotspot_k()?)).await
}

#[tauri::command]
pub async fn set_hotspot_k(core: State<'_, Arc<Core>>, k: u32) -> Result<u32> {
    blocking(&core, move |core| Ok(core.set_hotspot_k(k)?)).await
}

/// The measures of success of `[from, to)`, optionally for one named zone; weeks and months
/// begin at the viewer's midnight.
#[tauri::command]
pub async fn measures(
    core: State<'_, Arc<Core>>,
    from: Timestamp,
    to: Timestamp,
    zone: Option<String>,
    step: TrendStep,
    utc_offset_minutes: i32,
) -> Result<Measures> {
    blocking(&core, move |core| {
        Ok(core.measures(&MeasuresQuery {
            from,
            to,
            zone,
            step,
            utc_offset_minutes,
        })?)
    })
    .await
}

/// Records how many came to a past meeting (and which members, if given).
#[tauri::command]
pub async fn record_attendance(
    core: State<'_, Arc<Core>>,
    alert: DocId,
    count: u32,
    members: Vec<DeviceId>,
) -> Result<Alert> {
    blocking(&core, move |core| {
        Ok(core.record_attendance(alert, count, members)?)
    })
    .await
}

/// The meeting summary's two files, saved beside the exports.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct MeetingSummary {
    pub pdf: SummaryWritten,
    pub html: SummaryWritten,
}

/// Writes the meeting summary of `[from, to)` (optionally one zone) as a printable PDF and a
/// self-contained HTML page into the export folder, in `lang` (the UI's language). Made on
/// this device; nothing is sent anywhere.
#[tauri::command]
pub async fn meeting_summary(
    core: State<'_, Arc<Core>>,
    dir: State<'_, super::overview::ExportDir>,
    from: Timestamp,
    to: Timestamp,
    zone: Option<String>,
    lang: SummaryLang,
    utc_offset_minutes: i32,
) -> Result<MeetingSummary> {
    let dir = dir.0.clone();
    blocking(&core, move |core| {
        let q = SummaryQuery {
            from,
            to,
            zone,
            lang,
            utc_offset_minutes,
        };
        let pdf = super::overview::export_path(&dir, "summary", "pdf")?;
        let html = pdf.with_extension("html");
        Ok(MeetingSummary {
            pdf: core.write_summary(&q, &pdf)?,
            html: core.write_summary(&q, &html)?,
        })
    })
    .await
}
