//! Patrols: start, GPS fixes, observations, end, and the logs.

use std::sync::Arc;

use porchlight_core::model::{DocId, Fix, NewObservation, Observation, Patrol, Timestamp};
use porchlight_core::{Core, PatrolDetail, PatrolSummary, PrivacyZone};
use tauri::State;

use crate::error::Result;

#[tauri::command]
pub fn start_patrol(core: State<'_, Arc<Core>>, title: String) -> Result<Patrol> {
    Ok(core.start_patrol(&title, Timestamp::now())?)
}

/// One fix from the phone's location service (the UI forwards each as it arrives).
#[tauri::command]
pub fn add_fix(core: State<'_, Arc<Core>>, fix: Fix) -> Result<()> {
    fix.validate().map_err(porchlight_core::CoreError::from)?;
    Ok(core.add_fix(fix)?)
}

#[tauri::command]
pub fn add_observation(
    core: State<'_, Arc<Core>>,
    observation: NewObservation,
) -> Result<Observation> {
    Ok(core.add_observation(&observation)?)
}

#[tauri::command]
pub fn end_patrol(core: State<'_, Arc<Core>>) -> Result<Patrol> {
    Ok(core.end_patrol(Timestamp::now())?)
}

/// The patrol this device is recording, with its track so far.
#[tauri::command]
pub fn current_patrol(core: State<'_, Arc<Core>>) -> Result<Option<PatrolDetail>> {
    Ok(core
        .current_patrol()?
        .map(|id| core.patrol(id))
        .transpose()?)
}

#[tauri::command]
pub fn list_patrols(
    core: State<'_, Arc<Core>>,
    limit: Option<u32>,
    offset: Option<u32>,
) -> Result<Vec<PatrolSummary>> {
    Ok(core.patrols(limit.unwrap_or(50), offset.unwrap_or(0))?)
}

#[tauri::command]
pub fn show_patrol(core: State<'_, Arc<Core>>, id: DocId) -> Result<PatrolDetail> {
    Ok(core.patrol(id)?)
}

/// This device's privacy zones: where shared patrol tracks never go (kept on this device only).
#[tauri::command]
pub fn privacy_zones(core: State<'_, Arc<Core>>) -> Result<Vec<PrivacyZone>> {
    Ok(core.privacy_zones()?)
}

/// Replaces this device's privacy zones.
#[tauri::command]
pub fn set_privacy_zones(core: State<'_, Arc<Core>>, zones: Vec<PrivacyZone>) -> Result<()> {
    Ok(core.set_privacy_zones(&zones)?)
}
