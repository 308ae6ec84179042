//! Who this device is, its group and the settings the UI needs.

use std::sync::Arc;

use porchlight_core::model::Group;
use porchlight_core::{Core, WhoAmI};
use serde::Serialize;
use tauri::State;

use super::blocking;
use crate::error::Result;

/// Settings the UI reads at start.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct AppConfig {
    /// Map tile URL template; `None` means the offline grid map.
    pub map_tiles: Option<String>,
    pub data_dir: String,
}

#[tauri::command]
pub async fn app_config(core: State<'_, Arc<Core>>) -> Result<AppConfig> {
    Ok(AppConfig {
        map_tiles: core.config().map_tiles.clone(),
        data_dir: core.data_dir().display().to_string(),
    })
}

#[tauri::command]
pub async fn init(core: State<'_, Arc<Core>>, name: String) -> Result<WhoAmI> {
    blocking(&core, move |core| Ok(core.init(&name)?)).await
}

#[tauri::command]
pub async fn whoami(core: State<'_, Arc<Core>>) -> Result<WhoAmI> {
    blocking(&core, |core| Ok(core.whoami()?)).await
}

#[tauri::command]
pub async fn create_group(core: State<'_, Arc<Core>>, name: String) -> Result<Group> {
    blocking(&core, move |core| Ok(core.create_group(&name)?)).await
}

#[tauri::command]
pub async fn group(core: State<'_, Arc<Core>>) -> Result<Option<Group>> {
    blocking(&core, |core| Ok(core.group()?)).await
}
