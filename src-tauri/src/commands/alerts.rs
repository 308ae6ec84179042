//! Alerts and the resident's private watch areas.

use std::sync::Arc;

use porchlight_core::model::{Alert, AlertOutcome, DocId, NewAlert, Timestamp, WatchArea};
use porchlight_core::{AlertQuery, Core};
use tauri::State;

use crate::error::Result;

#[tauri::command]
pub fn issue_alert(core: State<'_, Arc<Core>>, alert: NewAlert) -> Result<Alert> {
    Ok(core.issue_alert(alert)?)
}

#[tauri::command]
pub fn cancel_alert(core: State<'_, Arc<Core>>, id: DocId) -> Result<Alert> {
    Ok(core.cancel_alert(id)?)
}

/// Closes an alert with how it ended (all clear, resolved, false alarm).
#[tauri::command]
pub fn close_alert(core: State<'_, Arc<Core>>, id: DocId, outcome: AlertOutcome) -> Result<Alert> {
    Ok(core.close_alert(id, outcome)?)
}

/// A coordinator's approval of an alert that describes a person.
#[tauri::command]
pub fn approve_alert(core: State<'_, Arc<Core>>, id: DocId) -> Result<Alert> {
    Ok(core.approve_alert(id)?)
}

/// Alerts, newest first; `live` keeps only those active and unexpired now.
#[tauri::command]
pub fn list_alerts(
    core: State<'_, Arc<Core>>,
    live: bool,
    limit: Option<u32>,
) -> Result<Vec<Alert>> {
    let query = AlertQuery {
        touching: None,
        live_at: live.then(Timestamp::now),
        limit,
    };
    Ok(core.alerts(&query)?)
}

#[tauri::command]
pub fn alerts_for_my_areas(core: State<'_, Arc<Core>>) -> Result<Vec<Alert>> {
    Ok(core.alerts_for_my_areas(Timestamp::now())?)
}

#[tauri::command]
pub fn set_watch_area(core: State<'_, Arc<Core>>, area: WatchArea) -> Result<WatchArea> {
    Ok(core.set_watch_area(area)?)
}

#[tauri::command]
pub fn watch_areas(core: State<'_, Arc<Core>>) -> Result<Vec<WatchArea>> {
    Ok(core.watch_areas()?)
}

#[tauri::command]
pub fn remove_watch_area(core: State<'_, Arc<Core>>, name: String) -> Result<bool> {
    Ok(core.remove_watch_area(&name)?)
}
