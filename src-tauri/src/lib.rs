//! Porchlight's desktop and mobile app: a thin Tauri shell over [`porchlight_core::Core`].
//!
//! Everything the app does is a command in [`commands`] that calls one `Core` method; the UI in
//! `ui/` is the only other half.

mod commands;
mod error;
mod hub;
mod sync;
pub mod tiles;

use std::path::PathBuf;
use std::sync::Arc;

use porchlight_core::Core;
use tauri::{Manager, Runtime};

pub use error::Error;

/// Environment variable that overrides where the app keeps its data (tests, `make run`).
pub const DATA_DIR_ENV: &str = "PORCHLIGHT_DATA_DIR";

/// Starts the app. On phones this is the entry point the native project calls.
///
/// # Panics
/// If the window system cannot start; there is nothing useful left to do then.
#[cfg_attr(mobile, tauri::mobile_entry_point)]
pub fn run() {
    let data_dir = std::env::var_os(DATA_DIR_ENV).map(PathBuf::from);
    run_app(tauri::Builder::default(), data_dir)
        .build(tauri::generate_context!())
        .expect("Porchlight could not start its window")
        .run(|app, event| {
            if let tauri::RunEvent::Exit = event {
                sync::stop(app);
                #[cfg(desktop)]
                tauri::async_runtime::block_on(async {
                    let _ = hub::shutdown(&app.state::<hub::Running>()).await;
                });
            }
        });
}

/// Registers plugins, commands and the core on `builder`. `data_dir` of `None` means the
/// platform's app data directory.
pub fn run_app<R: Runtime>(
    builder: tauri::Builder<R>,
    data_dir: Option<PathBuf>,
) -> tauri::Builder<R> {
    let builder = tiles::register(builder.plugin(tauri_plugin_notification::init()));
    #[cfg(mobile)]
    let builder = builder
        .plugin(tauri_plugin_geolocation::init())
        .plugin(tauri_plugin_barcode_scanner::init())
        .plugin(tauri_plugin_biometric::init());
    // With an explicit data dir the core opens right here, so it is managed before anything
    // runs (the mock runtime used by the tests never calls `setup`). Otherwise `setup` opens it
    // in the platform's app data dir, which only the running app knows.
    let webview_dir = data_dir.as_ref().map(|dir| dir.join("webview"));
    let (builder, failed) = match data_dir.map(|dir| Core::open(&dir).map(|core| (dir, core))) {
        Some(Ok((dir, core))) => (
            builder
                .manage(Arc::new(core))
                .manage(commands::overview::ExportDir(
                    std::path::absolute(&dir).unwrap_or(dir).join("exports"),
                )),
            None,
        ),
        Some(Err(e)) => (builder, Some(e)),
        None => (builder, None),
    };
    #[cfg(desktop)]
    let builder = builder.manage(hub::Running::default());
    builder
        .manage(sync::Running::default())
        .setup(move |app| {
            if let Some(e) = failed {
                return Err(e.into());
            }
            if app.try_state::<Arc<Core>>().is_none() {
                let dir = app.path().app_data_dir()?;
                app.manage(Arc::new(Core::open(&dir)?));
                let exports = app
                    .path()
                    .download_dir()
                    .unwrap_or_else(|_| dir.join("exports"));
                app.manage(commands::overview::ExportDir(exports));
            }
            open_window(app, webview_dir)?;
            sync::forward(app.handle(), &app.state::<Arc<Core>>());
            start_serving_then_sync(app.handle());
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::identity::app_config,
            commands::identity::init,
            commands::identity::whoami,
            commands::identity::create_group,
            commands::identity::group,
            commands::alerts::issue_alert,
            commands::alerts::cancel_alert,
            commands::alerts::approve_alert,
            commands::alerts::close_alert,
            commands::alerts::followed_categories,
            commands::alerts::set_followed_categories,
            commands::alerts::digest_setting,
            commands::alerts::set_digest_setting,
            commands::alerts::take_digest,
            commands::safety::start_check_ins,
            commands::safety::check_in,
            commands::safety::stop_check_ins,
            commands::safety::check_in_state,
            commands::safety::sos,
            commands::safety::withdraw_sos,
            commands::safety::patrol_alarms,
            commands::safety::take_new_alarms,
            commands::incidents::incident_map,
            commands::insight::hotspots,
            commands::insight::hotspot_k,
            commands::insight::set_hotspot_k,
            commands::insight::measures,
            commands::insight::record_attendance,
            commands::insight::meeting_summary,
            commands::safety::app_lock_enabled,
            commands::safety::set_app_lock,
            commands::safety::unlock,
            commands::alerts::list_alerts,
            commands::alerts::alerts_for_my_areas,
            commands::alerts::set_watch_area,
            commands::alerts::watch_areas,
            commands::alerts::remove_watch_area,
            commands::patrols::start_patrol,
            commands::patrols::add_fix,
            commands::patrols::add_observation,
            commands::patrols::end_patrol,
            commands::patrols::current_patrol,
            commands::patrols::patrol_totals,
            commands::patrols::list_patrols,
            commands::patrols::show_patrol,
            commands::patrols::privacy_zones,
            commands::patrols::set_privacy_zones,
            commands::reports::file_report,
            commands::reports::file_with_token_code,
            commands::reports::print_token_sheet,
            commands::reports::list_reports,
            commands::reports::triage,
            commands::cases::list_cases,
            commands::cases::assign_case,
            commands::cases::set_case_priority,
            commands::cases::case_history,
            commands::cases::duplicate_suggestions,
            commands::cases::merge_case,
            commands::cases::unmerge_case,
            commands::cases::due_hours,
            commands::cases::set_due_hours,
            commands::partners::list_partners,
            commands::partners::add_partner,
            commands::partners::edit_partner,
            commands::partners::remove_partner,
            commands::partners::forward_report,
            commands::reports::show_report,
            commands::reports::my_receipts,
            commands::reports::forget_my_reports,
            commands::reports::refresh_receipts,
            commands::reports::follow_up,
            commands::photos::add_photo,
            commands::photos::detect_faces,
            commands::photos::photo,
            commands::maps::import_map,
            commands::maps::map_status,
            commands::overview::stats,
            commands::overview::search,
            commands::overview::demo,
            commands::overview::export,
            commands::sync::join,
            commands::sync::create_group_on_server,
            commands::sync::invite,
            commands::sync::sync_now,
            commands::sync::sync_status,
            commands::sync::ack_alert,
            commands::sync::alert_acks,
            commands::sync::alerts_acks,
            commands::sync::upcoming_meetings,
            commands::sync::meetings_ics,
            commands::sync::acknowledged_alerts,
            commands::sync::start_hub,
            commands::sync::stop_hub,
            commands::sync::hub_status,
            commands::sync::start_group_here,
        ])
}

/// Starts background sync; first, on a desktop whose group was started on this computer, that
/// group's server (until the coordinator stops it), so the first sync finds it running.
fn start_serving_then_sync<R: Runtime>(app: &tauri::AppHandle<R>) {
    #[cfg(desktop)]
    {
        let app = app.clone();
        tauri::async_runtime::spawn(async move {
            let core = app.state::<Arc<Core>>().inner().clone();
            // A failure (the port taken by another program) shows on the hub card, which
            // offers to start it again.
            let _ = hub::resume(core, &app.state::<hub::Running>()).await;
            sync::start(&app);
        });
    }
    #[cfg(mobile)]
    sync::start(app);
}

/// The main window. With an explicit data dir, the web view keeps its storage (the UI's saved
/// language, say) there too, so each data dir is a whole separate device.
fn open_window<R: Runtime>(app: &tauri::App<R>, webview_dir: Option<PathBuf>) -> tauri::Result<()> {
    // What the page downloads (the meetings' calendar file) goes where exports go. Without a
    // handler, some web views drop downloads and others use a folder the tests cannot choose.
    let downloads = app.state::<commands::overview::ExportDir>().0.clone();
    let window = tauri::WebviewWindowBuilder::new(app, "main", tauri::WebviewUrl::default())
        .on_download(move |_, event| {
            if let tauri::webview::DownloadEvent::Requested { destination, .. } = event {
                let name = destination
                    .file_name()
                    .map_or_else(|| "download".into(), ToOwned::to_owned);
                if std::fs::create_dir_all(&downloads).is_err() {
                    return false;
                }
                *destination = free_path(&downloads, &name);
            }
            true
        });
    #[cfg(desktop)]
    let window = window
        .title("Porchlight")
        .inner_size(1200.0, 800.0)
        .min_inner_size(360.0, 560.0);
    let window = match webview_dir {
        Some(dir) => window.data_directory(dir),
        None => window,
    };
    window.build()?;
    Ok(())
}

/// `dir/name`, or `dir/stem (2).ext` and so on when that file exists: a download never
/// replaces an earlier one.
fn free_path(dir: &std::path::Path, name: &std::ffi::OsStr) -> PathBuf {
    let first = dir.join(name);
    if !first.exists() {
        return first;
    }
    let name = std::path::Path::new(name);
    let stem = name.file_stem().unwrap_or_default().to_string_lossy();
    let ext = name
        .extension()
        .map(|e| format!(".{}", e.to_string_lossy()))
        .unwrap_or_default();
    let mut n = 2_u32;
    loop {
        let next = dir.join(format!("{stem} ({n}){ext}"));
        if !next.exists() {
            return next;
        }
        n += 1;
    }
}

#[cfg(test)]
mod tests;
