//! The group's offline map: importing a package (coordinators) and how far this device has it.

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use porchlight_core::{Core, MapStatus};
use tauri::State;

use super::blocking;
use crate::error::{Error, Result};

/// Imports an MBTiles package the UI read from a file picker, sent as base64 (a data URL's
/// payload), with the file's name for a package that names nothing itself.
#[tauri::command]
pub async fn import_map(
    core: State<'_, Arc<Core>>,
    data: String,
    name: Option<String>,
) -> Result<MapStatus> {
    blocking(&core, move |core| {
        let payload = data.split_once(',').map_or(data.as_str(), |(_, b64)| b64);
        let bytes = STANDARD.decode(payload.trim()).map_err(|e| Error {
            kind: "bad_map".into(),
            message: format!("the file could not be read: {e}"),
        })?;
        Ok(core.import_map_bytes(bytes, name.as_deref())?)
    })
    .await
}

/// The group's map and how much of it is on this device; `None` without a map.
#[tauri::command]
pub async fn map_status(core: State<'_, Arc<Core>>) -> Result<Option<MapStatus>> {
    blocking(&core, |core| Ok(core.map_status()?)).await
}
