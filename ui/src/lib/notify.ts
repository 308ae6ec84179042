// Desktop/phone notifications for the alert news the core sends, the daily digest and patrol
// alarms. The core alone decides what is news (each alert once, cancellations to those who heard
// of it, quiet hours, what waits for the digest, which alarms are new); this only words it from
// the catalogs and posts it. Best effort: without a notification service the inbox and the
// alarm list still show everything.
import type { AlertNews, Digest, PatrolAlarm } from "./bindings";
import type { Translate } from "./i18n";
import { alertCategoryKey, outcomeKey } from "./i18n/labels";

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

/** Posts `notices`; quietly nothing without a notification service. */
export async function post(notices: Notice[]): Promise<void> {
  if (notices.length === 0) return;
  try {
    const n = await notifier();
    if (n) for (const notice of notices) n.sendNotification(notice);
  } catch {
    // No notification service: the inbox and the alarm list still show it all.
  }
}

/** Posts the notices for `news`. */
export async function announce(news: AlertNews, t: Translate): Promise<void> {
  await post(noticeTexts(news, t));
}

const DAY_MS = 24 * 3600 * 1000;

/**
 * The one notification of a daily digest: "3 alerts today" over "2 Suspicious activity,
 * 1 Lost and found", plus how many ended. After the app was closed for more than a day it says
 * "since your last digest" instead of "today".
 */
export function digestText(digest: Digest, now: Date, t: Translate): Notice {
  const parts = digest.categories.map((c) => `${c.count} ${t(alertCategoryKey(c.category))}`);
  if (digest.ended > 0) parts.push(t("digest.ended", { count: digest.ended }));
  const long = now.getTime() - Date.parse(digest.since) > DAY_MS;
  const title =
    digest.alerts === 0
      ? t("digest.titleEnded")
      : t(long ? "digest.titleSince" : "digest.title", { count: digest.alerts });
  return { title, body: parts.join(", ") };
}

/** The name an alarm goes by in this session: patrol, kind, caller and time (as in the core). */
export function alarmKey(a: PatrolAlarm): string {
  return `${a.patrol}:${a.kind}:${a.by ?? ""}:${a.since}`;
}

/**
 * One urgent notice per patrol alarm: who may need help, on which patrol, and where they were
 * last seen. Every alarm matters on its own, so they are never folded into a summary.
 */
export function alarmTexts(alarms: PatrolAlarm[], t: Translate): Notice[] {
  return alarms.map((a) => {
    const names = a.participants.map((p) => p.name).join(", ") || a.title;
    const where = a.position
      ? t("safety.lastSeen", { lat: a.position.lat.toFixed(5), lon: a.position.lon.toFixed(5) })
      : t("safety.noPosition");
    return {
      title: t(a.kind === "sos" ? "alarmNotice.sos" : "alarmNotice.missed", { names }),
      body: `${a.title} · ${where}`,
    };
  });
}

export type NoticeSources = {
  takeDigest: () => Promise<Digest | null>;
  takeNewAlarms: () => Promise<PatrolAlarm[]>;
  post: (notices: Notice[]) => Promise<void>;
  t: () => Translate;
  now: () => Date;
};

/**
 * What the app checks on start, after each sync and on a timer: a digest that fell due (also
 * while the app was closed) and patrol alarms not yet notified. The core gives each once and
 * remembers it across restarts; here a tick never overlaps the one before, and an alarm is
 * posted at most once per session even if the shell answered it twice. Alarms go out whatever
 * the quiet hours: someone may need help.
 */
export function noticeClock(src: NoticeSources): () => Promise<void> {
  const posted = new Set<string>();
  let running: Promise<void> | null = null;
  async function once() {
    const t = src.t();
    const alarms = await src.takeNewAlarms().catch(() => [] as PatrolAlarm[]);
    const fresh = alarms.filter((a) => !posted.has(alarmKey(a)));
    for (const a of fresh) posted.add(alarmKey(a));
    await src.post(alarmTexts(fresh, t));
    const digest = await src.takeDigest().catch(() => null);
    if (digest) await src.post([digestText(digest, src.now(), t)]);
  }
  return () => {
    running ??= once().finally(() => (running = null));
    return running;
  };
}
