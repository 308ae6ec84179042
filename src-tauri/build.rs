// Declaring the app's own commands makes each one a permission (`allow-<command>`), so the
// capability files in capabilities/ say exactly what the window may call.
const COMMANDS: &[&str] = &[
    "app_config",
    "init",
    "whoami",
    "create_group",
    "group",
    "issue_alert",
    "cancel_alert",
    "list_alerts",
    "alerts_for_my_areas",
    "set_watch_area",
    "watch_areas",
    "remove_watch_area",
    "start_patrol",
    "add_fix",
    "add_observation",
    "end_patrol",
    "current_patrol",
    "list_patrols",
    "show_patrol",
    "privacy_zones",
    "set_privacy_zones",
    "file_report",
    "list_reports",
    "triage",
    "show_report",
    "my_receipts",
    "forget_my_reports",
    "import_map",
    "map_status",
    "refresh_receipts",
    "follow_up",
    "add_photo",
    "photo",
    "stats",
    "search",
    "demo",
    "export",
    "join",
    "create_group_on_server",
    "invite",
    "sync_now",
    "sync_status",
    "ack_alert",
    "alert_acks",
    "upcoming_meetings",
    "meetings_ics",
    "set_locale",
];

fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("tauri build step failed");
}
