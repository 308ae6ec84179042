//! Coordinator insight: hotspots under the group's k threshold.

use std::sync::Arc;

use porchlight_core::model::{Category, Timestamp};
use porchlight_core::{Core, HotspotQuery, Hotspots};
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
