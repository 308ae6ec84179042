//! Background sync and what it tells the user: the core's events are forwarded to the web view
//! as `porchlight://event`, and alerts that touch the user's areas become desktop notifications.

use std::sync::{Arc, Mutex};

use porchlight_core::{AlertNews, Core, Event, SyncTask};
use tauri::{AppHandle, Emitter, Manager, Runtime};
use tauri_plugin_notification::NotificationExt;
use tokio::sync::broadcast::error::RecvError;

/// The Tauri event every core [`Event`] is forwarded as (the serialized event, `type`-tagged).
pub const EVENT: &str = "porchlight://event";

/// The running sync task, once the device has a server.
#[derive(Default)]
pub struct Running(Mutex<Option<SyncTask>>);

/// The UI's language (`en`, `es`), which picks the notification texts.
#[derive(Default)]
pub struct Locale(Mutex<String>);

impl Locale {
    pub fn set(&self, code: &str) {
        let mut current = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        code.clone_into(&mut current);
    }

    fn spanish(&self) -> bool {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .starts_with("es")
    }
}

/// Forwards every core event to the web view (and alerts to notifications) for as long as the
/// app runs.
pub fn forward<R: Runtime>(app: &AppHandle<R>, core: &Core) {
    let mut events = core.subscribe();
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        loop {
            match events.recv().await {
                Ok(event) => {
                    let _ = app.emit(EVENT, &event);
                    if let Event::Alerts(news) = &event {
                        notify(&app, news);
                    }
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

/// The notification texts for some alert news: one per single alert, one summary for several,
/// one for cancellations. Only alerts marked `notify` (not quiet hours) count.
pub fn texts(news: &AlertNews, spanish: bool) -> Vec<(String, String)> {
    let loud: Vec<_> = news.matched.iter().filter(|m| m.notify).collect();
    let mut out = Vec::new();
    match loud.as_slice() {
        [] => {}
        [one] => {
            let title = if spanish {
                "Nueva alerta cerca de tus zonas"
            } else {
                "New alert near your areas"
            };
            out.push((title.to_owned(), one.alert.title.clone()));
        }
        many => {
            let n = many.len();
            let title = if spanish {
                format!("{n} alertas nuevas cerca de tus zonas")
            } else {
                format!("{n} new alerts near your areas")
            };
            let body = many
                .iter()
                .map(|m| m.alert.title.as_str())
                .collect::<Vec<_>>()
                .join(" · ");
            out.push((title, body));
        }
    }
    match news.cancelled.as_slice() {
        [] => {}
        [one] => {
            let title = if spanish {
                "Alerta cancelada"
            } else {
                "Alert cancelled"
            };
            out.push((title.to_owned(), one.title.clone()));
        }
        many => {
            let n = many.len();
            let title = if spanish {
                format!("{n} alertas canceladas")
            } else {
                format!("{n} alerts cancelled")
            };
            let body = many
                .iter()
                .map(|a| a.title.as_str())
                .collect::<Vec<_>>()
                .join(" · ");
            out.push((title, body));
        }
    }
    out
}

fn notify<R: Runtime>(app: &AppHandle<R>, news: &AlertNews) {
    let spanish = app.try_state::<Locale>().is_some_and(|l| l.spanish());
    for (title, body) in texts(news, spanish) {
        // Best effort: a desktop without a notification service still has the inbox.
        let _ = app.notification().builder().title(title).body(body).show();
    }
}
