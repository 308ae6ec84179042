//! Background sync and what it tells the user: the core's events are forwarded to the web view
//! as `porchlight://event`, and nothing else. The core alone decides which alerts to announce
//! (see `porchlight_core::AlertNews`); the UI words the notifications from its catalogs.

use std::sync::{Arc, Mutex};

use porchlight_core::{Core, SyncTask};
use tauri::{AppHandle, Emitter, Manager, Runtime};
use tokio::sync::broadcast::error::RecvError;

/// The Tauri event every core [`porchlight_core::Event`] is forwarded as (the serialized
/// event, `type`-tagged; `CoreEvent` in the UI's bindings).
pub const EVENT: &str = "porchlight://event";

/// The running sync task, once the device has a server.
#[derive(Default)]
pub struct Running(Mutex<Option<SyncTask>>);

/// Forwards every core event to the web view for as long as the app runs.
pub fn forward<R: Runtime>(app: &AppHandle<R>, core: &Core) {
    let mut events = core.subscribe();
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        loop {
            match events.recv().await {
                Ok(event) => {
                    let _ = app.emit(EVENT, &event);
                }
                Err(RecvError::Lagged(_)) => {}
                Err(RecvError::Closed) => break,
            }
        }
    });
}

/// Starts the background sync if this device has a server and it is not running yet.
pub fn start<R: Runtime>(app: &AppHandle<R>) {
    let core = app.state::<Arc<Core>>().inner().clone();
    if !core.sync_status().is_ok_and(|s| s.server.is_some()) {
        return;
    }
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let running = app.state::<Running>();
        let mut task = running
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if task.is_none() {
            *task = Some(SyncTask::spawn(core));
        }
    });
}

/// Stops the background sync, letting it finish its current step (on exit).
pub fn stop<R: Runtime>(app: &AppHandle<R>) {
    let task = app
        .state::<Running>()
        .0
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .take();
    if let Some(task) = task {
        tauri::async_runtime::block_on(task.stop());
    }
}
