//! Alerts and the resident's private watch areas.

use std::sync::Arc;

use porchlight_core::model::{
    Alert, AlertCategory, AlertOutcome, DocId, NewAlert, Timestamp, WatchArea,
};
use porchlight_core::{AlertQuery, Core, Digest, DigestSetting};
use tauri::State;

use super::blocking;
use crate::error::Result;

#[tauri::command]
pub async fn issue_alert(core: State<'_, Arc<Core>>, alert: NewAlert) -> Result<Alert> {
    blocking(&core, move |core| Ok(core.issue_alert(alert)?)).await
}

#[tauri::command]
pub async fn cancel_alert(core: State<'_, Arc<Core>>, id: DocId) -> Result<Alert> {
    blocking(&core, move |core| Ok(core.cancel_alert(id)?)).await
}

/// Closes an alert with how it ended (all clear, resolved, false alarm).
#[tauri::command]
pub async fn close_alert(
    core: State<'_, Arc<Core>>,
    id: DocId,
    outcome: AlertOutcome,
) -> Result<Alert> {
    blocking(&core, move |core| Ok(core.close_alert(id, outcome)?)).await
}

/// A coordinator's approval of an alert that describes a person.
#[tauri::command]
pub async fn approve_alert(core: State<'_, Arc<Core>>, id: DocId) -> Result<Alert> {
    blocking(&core, move |core| Ok(core.approve_alert(id)?)).await
}

/// Alerts, newest first; `live` keeps only those active and unexpired now.
#[tauri::command]
pub async fn list_alerts(
    core: State<'_, Arc<Core>>,
    live: bool,
    limit: Option<u32>,
) -> Result<Vec<Alert>> {
    let query = AlertQuery {
        touching: None,
        live_at: live.then(Timestamp::now),
        limit,
    };
    blocking(&core, move |core| Ok(core.alerts(&query)?)).await
}

#[tauri::command]
pub async fn alerts_for_my_areas(core: State<'_, Arc<Core>>) -> Result<Vec<Alert>> {
    blocking(
        &core,
        |core| Ok(core.alerts_for_my_areas(Timestamp::now())?),
    )
    .await
}

#[tauri::command]
pub async fn set_watch_area(core: State<'_, Arc<Core>>, area: WatchArea) -> Result<WatchArea> {
    blocking(&core, move |core| Ok(core.set_watch_area(area)?)).await
}

#[tauri::command]
pub async fn watch_areas(core: State<'_, Arc<Core>>) -> Result<Vec<WatchArea>> {
    blocking(&core, |core| Ok(core.watch_areas()?)).await
}

#[tauri::command]
pub async fn remove_watch_area(core: State<'_, Arc<Core>>, name: String) -> Result<bool> {
    blocking(&core, move |core| Ok(core.remove_watch_area(&name)?)).await
}

/// The alert categories this device follows (all when none were chosen).
#[tauri::command]
pub async fn followed_categories(core: State<'_, Arc<Core>>) -> Result<Vec<AlertCategory>> {
    blocking(&core, move |core| Ok(core.followed_categories()?)).await
}

#[tauri::command]
pub async fn set_followed_categories(
    core: State<'_, Arc<Core>>,
    categories: Vec<AlertCategory>,
) -> Result<Vec<AlertCategory>> {
    blocking(&core, move |core| {
        Ok(core.set_followed_categories(&categories)?)
    })
    .await
}

/// Each alert at once, or one daily digest (this device only).
#[tauri::command]
pub async fn digest_setting(core: State<'_, Arc<Core>>) -> Result<DigestSetting> {
    blocking(&core, move |core| Ok(core.digest_setting()?)).await
}

/// `hour`: the local hour of the daily digest, or `None` for each alert at once.
#[tauri::command]
pub async fn set_digest_setting(
    core: State<'_, Arc<Core>>,
    hour: Option<u8>,
) -> Result<DigestSetting> {
    blocking(&core, move |core| {
        Ok(core.set_digest_setting(DigestSetting { hour })?)
    })
    .await
}

/// The digest due now, if any (given once: the UI posts it).
#[tauri::command]
pub async fn take_digest(core: State<'_, Arc<Core>>) -> Result<Option<Digest>> {
    blocking(&core, move |core| Ok(core.take_digest(Timestamp::now())?)).await
}
