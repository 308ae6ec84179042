//! Coordinator insight: hotspots under the group's k threshold, and the measures of success.

use std::sync::Arc;

use porchlight_core::model::{Alert, Category, DeviceId, DocId, Timestamp};
use porchlight_core::{Core, HotspotQuery, Hotspots, Measures, MeasuresQuery, TrendStep};
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
