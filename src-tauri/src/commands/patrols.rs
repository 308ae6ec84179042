//! Patrols: start, GPS fixes, observations, end, and the logs.

use std::sync::Arc;

use porchlight_core::model::{DocId, Fix, NewObservation, Observation, Patrol, Timestamp};
use porchlight_core::{Core, PatrolDetail, PatrolFilter, PatrolPage, PatrolTotals, PrivacyZone};
use tauri::State;

use super::blocking;
use crate::error::Result;

#[tauri::command]
pub async fn start_patrol(core: State<'_, Arc<Core>>, title: String) -> Result<Patrol> {
    blocking(&core, move |core| {
        Ok(core.start_patrol(&title, Timestamp::now())?)
    })
    .await
}

/// One fix from the phone's location service (the UI forwards each as it arrives). The new
/// totals follow as a `patrolTotals` event.
#[tauri::command]
pub async fn add_fix(core: State<'_, Arc<Core>>, fix: Fix) -> Result<()> {
    fix.validate().map_err(porchlight_core::CoreError::from)?;
    blocking(&core, move |core| Ok(core.add_fix(fix)?)).await
}

#[tauri::command]
pub async fn add_observation(
    core: State<'_, Arc<Core>>,
    observation: NewObservation,
) -> Result<Observation> {
    blocking(&core, move |core| Ok(core.add_observation(&observation)?)).await
}

#[tauri::command]
pub async fn end_patrol(core: State<'_, Arc<Core>>) -> Result<Patrol> {
    blocking(&core, |core| Ok(core.end_patrol(Timestamp::now())?)).await
}

/// The patrol this device is recording, with its track so far.
#[tauri::command]
pub async fn current_patrol(core: State<'_, Arc<Core>>) -> Result<Option<PatrolDetail>> {
    blocking(&core, |core| {
        Ok(core
            .current_patrol()?
            .map(|id| core.patrol(id))
            .transpose()?)
    })
    .await
}

/// The running patrol's fix count, distance and duration, without its track (cheap; the
/// same arrive as `patrolTotals` events while it records).
#[tauri::command]
pub async fn patrol_totals(core: State<'_, Arc<Core>>) -> Result<Option<PatrolTotals>> {
    blocking(&core, |core| Ok(core.patrol_totals()?)).await
}

#[tauri::command]
pub async fn list_patrols(core: State<'_, Arc<Core>>, filter: PatrolFilter) -> Result<PatrolPage> {
    blocking(&core, move |core| Ok(core.patrols_page(&filter)?)).await
}

#[tauri::command]
pub async fn show_patrol(core: State<'_, Arc<Core>>, id: DocId) -> Result<PatrolDetail> {
    blocking(&core, move |core| Ok(core.patrol(id)?)).await
}

/// This device's privacy zones: where shared patrol tracks never go (kept on this device only).
#[tauri::command]
pub async fn privacy_zones(core: State<'_, Arc<Core>>) -> Result<Vec<PrivacyZone>> {
    blocking(&core, |core| Ok(core.privacy_zones()?)).await
}

/// Replaces this device's privacy zones.
#[tauri::command]
pub async fn set_privacy_zones(core: State<'_, Arc<Core>>, zones: Vec<PrivacyZone>) -> Result<()> {
    blocking(&core, move |core| Ok(core.set_privacy_zones(&zones)?)).await
}
