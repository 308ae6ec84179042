//! The server: creating a group on it, invites, joining, syncing and acknowledgements.

use std::sync::Arc;
use std::time::Duration;

use porchlight_core::model::{Alert, DocId, Role, Timestamp};
use porchlight_core::{AckSummary, Core, SyncReport, SyncStatus, WhoAmI};
#[cfg(desktop)]
use tauri::Manager;
use tauri::{AppHandle, Runtime, State};

use super::blocking;
use crate::error::Result;

/// Joins the group an invite points at, then keeps in sync in the background.
#[tauri::command]
pub async fn join<R: Runtime>(
    app: AppHandle<R>,
    core: State<'_, Arc<Core>>,
    code: String,
    name: String,
) -> Result<WhoAmI> {
    let me = core.join(&code, &name).await?;
    crate::sync::start(&app);
    Ok(me)
}

/// Registers a group on `server` with this device as coordinator, then keeps in sync. The
/// server's operator gives out `creation_token` and, for a server with a self-signed
/// certificate, its `fingerprint` (empty: none).
#[tauri::command]
pub async fn create_group_on_server<R: Runtime>(
    app: AppHandle<R>,
    core: State<'_, Arc<Core>>,
    server: String,
    name: String,
    creation_token: Option<String>,
    fingerprint: Option<String>,
) -> Result<WhoAmI> {
    let given = |field: &Option<String>| {
        field
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
    };
    let pin = given(&fingerprint)
        .map(|f| porchlight_core::parse_fingerprint(&f))
        .transpose()
        .map_err(|e| porchlight_core::CoreError::Sync(e.into()))?;
    let token = given(&creation_token);
    let me = core
        .create_group_on_pinned(&server, pin.as_ref(), &name, token.as_deref())
        .await?;
    crate::sync::start(&app);
    Ok(me)
}

/// An invite code (`plj2-…`) for `uses` people, valid for `valid_days` days.
#[tauri::command]
pub async fn invite(
    core: State<'_, Arc<Core>>,
    role: Role,
    uses: u32,
    valid_days: u32,
) -> Result<String> {
    let valid_for = Duration::from_secs(u64::from(valid_days) * 86_400);
    Ok(core.invite(role, uses, valid_for).await?.to_string())
}

#[tauri::command]
pub async fn sync_now(core: State<'_, Arc<Core>>) -> Result<SyncReport> {
    Ok(core.sync_once().await?)
}

#[tauri::command]
pub async fn sync_status(core: State<'_, Arc<Core>>) -> Result<SyncStatus> {
    blocking(&core, |core| Ok(core.sync_status()?)).await
}

#[tauri::command]
pub async fn ack_alert(core: State<'_, Arc<Core>>, id: DocId) -> Result<()> {
    blocking(&core, move |core| Ok(core.ack_alert(id)?)).await
}

#[tauri::command]
pub async fn alert_acks(core: State<'_, Arc<Core>>, id: DocId) -> Result<AckSummary> {
    blocking(&core, move |core| Ok(core.alert_acks(id)?)).await
}

/// The acknowledgements of the listed alerts, in one call.
#[tauri::command]
pub async fn alerts_acks(core: State<'_, Arc<Core>>, ids: Vec<DocId>) -> Result<Vec<AckSummary>> {
    blocking(&core, move |core| Ok(core.alerts_acks(&ids)?)).await
}

#[tauri::command]
pub async fn upcoming_meetings(core: State<'_, Arc<Core>>) -> Result<Vec<Alert>> {
    blocking(&core, |core| Ok(core.upcoming_meetings(Timestamp::now())?)).await
}

/// The upcoming meetings as an iCalendar (`.ics`) file's text; the page offers it as a download.
#[tauri::command]
pub async fn meetings_ics(core: State<'_, Arc<Core>>) -> Result<String> {
    blocking(&core, |core| Ok(core.meetings_ics(Timestamp::now())?)).await
}

/// Which of `ids` this device has acknowledged (the inbox's marks).
#[tauri::command]
pub async fn acknowledged_alerts(
    core: State<'_, Arc<Core>>,
    ids: Vec<DocId>,
) -> Result<Vec<DocId>> {
    blocking(&core, move |core| Ok(core.acknowledged(&ids)?)).await
}

/// Serves the group to phones on this network and relays to the community server (desktop,
/// coordinators). New invites carry the hub's address from then on.
#[tauri::command]
pub async fn start_hub<R: Runtime>(
    app: AppHandle<R>,
    core: State<'_, Arc<Core>>,
    options: crate::hub::HubOptions,
) -> Result<crate::hub::HubStatus> {
    #[cfg(desktop)]
    {
        let running = app.state::<crate::hub::Running>();
        crate::hub::start(core.inner().clone(), &running, options).await
    }
    #[cfg(mobile)]
    {
        let _ = (app, core, options);
        Err(crate::hub::desktop_only())
    }
}

/// Stops serving the group on this network. For a group started on this computer, phones
/// cannot sync until it is started again.
#[tauri::command]
pub async fn stop_hub<R: Runtime>(
    app: AppHandle<R>,
    core: State<'_, Arc<Core>>,
) -> Result<crate::hub::HubStatus> {
    #[cfg(desktop)]
    {
        crate::hub::stop(&core, &app.state::<crate::hub::Running>()).await
    }
    #[cfg(mobile)]
    {
        let _ = (app, core);
        Ok(crate::hub::HubStatus::default())
    }
}

#[tauri::command]
pub async fn hub_status<R: Runtime>(
    app: AppHandle<R>,
    core: State<'_, Arc<Core>>,
) -> Result<crate::hub::HubStatus> {
    #[cfg(desktop)]
    {
        Ok(crate::hub::status(&core, &app.state::<crate::hub::Running>()).await)
    }
    #[cfg(mobile)]
    {
        let _ = (app, core);
        Ok(crate::hub::HubStatus::default())
    }
}

/// Starts a group named `group` on this computer (desktop): this device is its coordinator and
/// this computer its server, for phones on the same network; then keeps in sync.
#[tauri::command]
pub async fn start_group_here<R: Runtime>(
    app: AppHandle<R>,
    core: State<'_, Arc<Core>>,
    group: String,
    options: crate::hub::HubOptions,
) -> Result<WhoAmI> {
    #[cfg(desktop)]
    {
        let running = app.state::<crate::hub::Running>();
        crate::hub::found(core.inner().clone(), &running, &group, options).await?;
        crate::sync::start(&app);
        Ok(core.whoami()?)
    }
    #[cfg(mobile)]
    {
        let _ = (app, core, group, options);
        Err(crate::hub::desktop_only())
    }
}
