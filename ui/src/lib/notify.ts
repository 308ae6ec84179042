// Desktop/phone notifications for the alert news the core sends. The core alone decides what is
// news (each alert once, cancellations to those who heard of it, quiet hours); this only words
// it from the catalogs and posts it. Best effort: without a notification service the inbox still
// shows everything.
import type { AlertNews } from "./bindings";
import type { Translate } from "./i18n";
import { outcomeKey } from "./i18n/labels";

export type Notice = { title: string; body: string };

/**
 * One notice for a single new alert, one summary for several, and the same for cancellations.
 * Alerts the core marked quiet (`notify: false`) make no notice.
 */
export function noticeTexts(news: AlertNews, t: Translate): Notice[] {
  const out: Notice[] = [];
  const loud = news.matched.filter((m) => m.notify);
  const [first] = loud;
  if (loud.length === 1 && first) {
    out.push({ title: t("notice.newAlert"), body: first.alert.title });
  } else if (loud.length > 1) {
    out.push({
      title: t("notice.newAlerts", { count: loud.length }),
      body: loud.map((m) => m.alert.title).join(" · "),
    });
  }
  const [cancelled] = news.cancelled;
  if (news.cancelled.length === 1 && cancelled) {
    // A closed alert says how it ended ("All clear"); a cancelled one that it was cancelled.
    const title = cancelled.outcome
      ? t("notice.closed", { outcome: t(outcomeKey(cancelled.outcome)) })
      : t("notice.cancelled");
    out.push({ title, body: cancelled.title });
  } else if (news.cancelled.length > 1) {
    out.push({
      title: t("notice.cancelledMany", { count: news.cancelled.length }),
      body: news.cancelled.map((a) => a.title).join(" · "),
    });
  }
  return out;
}

/** The notification plugin when the system lets this app post, asking once if needed. */
async function notifier() {
  const n = await import("@tauri-apps/plugin-notification");
  let granted = await n.isPermissionGranted();
  if (!granted) granted = (await n.requestPermission()) === "granted";
  return granted ? n : null;
}

/**
 * Posts one notification that says it is a test, on this device only: proof that alerts can
 * reach this phone, without asking anyone (or sending any area) anything. False when the system
 * refuses notifications.
 */
export async function announceTest(t: Translate): Promise<boolean> {
  try {
    const n = await notifier();
    n?.sendNotification({ title: t("notice.testTitle"), body: t("notice.testBody") });
    return n !== null;
  } catch {
    return false;
  }
}

/** Posts the notices for `news`. */
export async function announce(news: AlertNews, t: Translate): Promise<void> {
  const notices = noticeTexts(news, t);
  if (notices.length === 0) return;
  try {
    const n = await notifier();
    if (n) for (const notice of notices) n.sendNotification(notice);
  } catch {
    // No notification service: the inbox still shows the alert first.
  }
}
