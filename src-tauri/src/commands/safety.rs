//! Patrol safety: the check-in timer, SOS, and the alarms coordinators and partners see.

use std::sync::Arc;
use std::time::Duration;

use porchlight_core::model::{Point, Timestamp};
use porchlight_core::{CheckInState, Core, PatrolAlarm};
use tauri::State;

use crate::error::Result;

#[tauri::command]
pub fn start_check_ins(core: State<'_, Arc<Core>>, every_minutes: u32) -> Result<CheckInState> {
    let every = Duration::from_secs(u64::from(every_minutes) * 60);
    Ok(core.start_check_ins(every, Timestamp::now())?)
}

#[tauri::command]
pub fn check_in(core: State<'_, Arc<Core>>) -> Result<CheckInState> {
    Ok(core.check_in(Timestamp::now())?)
}

#[tauri::command]
pub fn stop_check_ins(core: State<'_, Arc<Core>>) -> Result<CheckInState> {
    Ok(core.stop_check_ins(Timestamp::now())?)
}

#[tauri::command]
pub fn check_in_state(core: State<'_, Arc<Core>>) -> Result<CheckInState> {
    Ok(core.check_in_state()?)
}

/// The SOS button (held down in the UI, so a pocket cannot press it).
#[tauri::command]
pub fn sos(core: State<'_, Arc<Core>>, point: Option<Point>) -> Result<CheckInState> {
    Ok(core.sos(point, Timestamp::now())?)
}

#[tauri::command]
pub fn withdraw_sos(core: State<'_, Arc<Core>>) -> Result<CheckInState> {
    Ok(core.withdraw_sos(Timestamp::now())?)
}

#[tauri::command]
pub fn patrol_alarms(core: State<'_, Arc<Core>>) -> Result<Vec<PatrolAlarm>> {
    Ok(core.patrol_alarms(Timestamp::now())?)
}

/// Whether the app asks for a PIN.
#[tauri::command]
pub fn app_lock_enabled(core: State<'_, Arc<Core>>) -> Result<bool> {
    Ok(core.app_lock_enabled()?)
}

/// Sets the app-lock PIN, or removes it with `None`.
#[tauri::command]
pub fn set_app_lock(core: State<'_, Arc<Core>>, pin: Option<String>) -> Result<()> {
    Ok(core.set_app_lock(pin.as_deref())?)
}

#[tauri::command]
pub fn unlock(core: State<'_, Arc<Core>>, pin: String) -> Result<()> {
    Ok(core.unlock(&pin, Timestamp::now())?)
}
