//! Patrol safety: the check-in timer, SOS, and the alarms coordinators and partners see.

use std::sync::Arc;
use std::time::Duration;

use porchlight_core::model::{Point, Timestamp};
use porchlight_core::{CheckInState, Core, PatrolAlarm};
use tauri::State;

use super::blocking;
use crate::error::Result;

#[tauri::command]
pub async fn start_check_ins(
    core: State<'_, Arc<Core>>,
    every_minutes: u32,
) -> Result<CheckInState> {
    let every = Duration::from_secs(u64::from(every_minutes) * 60);
    blocking(&core, move |core| {
        Ok(core.start_check_ins(every, Timestamp::now())?)
    })
    .await
}

#[tauri::command]
pub async fn check_in(core: State<'_, Arc<Core>>) -> Result<CheckInState> {
    blocking(&core, move |core| Ok(core.check_in(Timestamp::now())?)).await
}

#[tauri::command]
pub async fn stop_check_ins(core: State<'_, Arc<Core>>) -> Result<CheckInState> {
    blocking(
        &core,
        move |core| Ok(core.stop_check_ins(Timestamp::now())?),
    )
    .await
}

#[tauri::command]
pub async fn check_in_state(core: State<'_, Arc<Core>>) -> Result<CheckInState> {
    blocking(&core, move |core| Ok(core.check_in_state()?)).await
}

/// The SOS button (held down in the UI, so a pocket cannot press it).
#[tauri::command]
pub async fn sos(core: State<'_, Arc<Core>>, point: Option<Point>) -> Result<CheckInState> {
    blocking(&core, move |core| Ok(core.sos(point, Timestamp::now())?)).await
}

#[tauri::command]
pub async fn withdraw_sos(core: State<'_, Arc<Core>>) -> Result<CheckInState> {
    blocking(&core, move |core| Ok(core.withdraw_sos(Timestamp::now())?)).await
}

#[tauri::command]
pub async fn patrol_alarms(core: State<'_, Arc<Core>>) -> Result<Vec<PatrolAlarm>> {
    blocking(&core, move |core| Ok(core.patrol_alarms(Timestamp::now())?)).await
}

/// The alarms this device has not notified yet, each given once (the UI posts them).
#[tauri::command]
pub async fn take_new_alarms(core: State<'_, Arc<Core>>) -> Result<Vec<PatrolAlarm>> {
    blocking(&core, move |core| {
        Ok(core.take_new_alarms(Timestamp::now())?)
    })
    .await
}

/// Whether the app asks for a PIN.
#[tauri::command]
pub async fn app_lock_enabled(core: State<'_, Arc<Core>>) -> Result<bool> {
    blocking(&core, move |core| Ok(core.app_lock_enabled()?)).await
}

/// Sets the app-lock PIN, or removes it with `None`.
#[tauri::command]
pub async fn set_app_lock(core: State<'_, Arc<Core>>, pin: Option<String>) -> Result<()> {
    blocking(&core, move |core| Ok(core.set_app_lock(pin.as_deref())?)).await
}

#[tauri::command]
pub async fn unlock(core: State<'_, Arc<Core>>, pin: String) -> Result<()> {
    blocking(&core, move |core| Ok(core.unlock(&pin, Timestamp::now())?)).await
}
