// A local notification when an alert touching my areas appears. Best effort: a desktop without
// a notification service simply shows nothing.
import type { Alert } from "./bindings";

export async function notifyAlert(alert: Alert, title: string): Promise<void> {
  try {
    const n = await import("@tauri-apps/plugin-notification");
    let granted = await n.isPermissionGranted();
    if (!granted) granted = (await n.requestPermission()) === "granted";
    if (granted) n.sendNotification({ title, body: alert.title });
  } catch {
    // No notification service: the inbox still shows the alert first.
  }
}
