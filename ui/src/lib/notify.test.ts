import { describe, expect, it } from "vitest";
import type { Alert, AlertNews, Digest, PatrolAlarm } from "./bindings";
import { translate, type Translate } from "./i18n";
import { alarmTexts, digestText, noticeClock, noticeTexts, type Notice } from "./notify";

const alert = (title: string): Alert => ({
  id: title,
  title,
  body: "",
  category: "crime",
  severity: "warning",
  area: { type: "circle", center: { lat: 45.5, lon: -122.6 }, radiusM: 100 },
  issuedAt: "2026-05-01T10:00:00Z",
  expiresAt: null,
  status: "active",
  issuedBy: null,
  meeting: null,
  person: null,
  approvedBy: [],
  awaitingApproval: false,
  outcome: null,
  attendance: null,
});
const matched = (title: string, notify = true) => ({ alert: alert(title), areas: ["Home"], notify });
const en: Translate = (key, params) => translate("en", key, params);
const es: Translate = (key, params) => translate("es", key, params);

describe("alert notices", () => {
  it("one new alert is one notice with its title; quiet ones make none", () => {
    const news: AlertNews = { matched: [matched("Gate open"), matched("Lost dog", false)], cancelled: [] };
    expect(noticeTexts(news, en)).toEqual([{ title: "New alert near your areas", body: "Gate open" }]);
    expect(noticeTexts({ matched: [matched("Lost dog", false)], cancelled: [] }, en)).toEqual([]);
  });

  it("several become one summary, cancellations their own, in the reader's language", () => {
    const news: AlertNews = {
      matched: [matched("Gate open"), matched("Lost dog"), matched("Smoke")],
      cancelled: [alert("Gate open")],
    };
    expect(noticeTexts(news, es)).toEqual([
      { title: "3 alertas nuevas cerca de tus zonas", body: "Gate open · Lost dog · Smoke" },
      { title: "Alerta cancelada", body: "Gate open" },
    ]);
    // A closed alert says how it ended.
    expect(noticeTexts({ matched: [], cancelled: [{ ...alert("Smoke"), status: "closed", outcome: "all_clear" }] }, en)).toEqual([
      { title: "Alert closed: All clear", body: "Smoke" },
    ]);
    expect(noticeTexts({ matched: [], cancelled: [alert("A"), alert("B")] }, en)).toEqual([
      { title: "2 alerts ended", body: "A · B" },
    ]);
  });
});

describe("daily digest", () => {
  const now = new Date("2026-05-01T18:00:00Z");
  const digest: Digest = {
    alerts: 3,
    categories: [
      { category: "suspicious_activity", count: 2 },
      { category: "lost_and_found", count: 1 },
    ],
    ended: 0,
    since: "2026-05-01T08:00:00Z",
  };

  it("counts the day's alerts per category in the reader's language", () => {
    expect(digestText(digest, now, en)).toEqual({
      title: "3 alerts today",
      body: "2 Suspicious activity, 1 Lost and found",
    });
    expect(digestText({ ...digest, ended: 1 }, now, es)).toEqual({
      title: "3 alertas hoy",
      body: "2 Actividad sospechosa, 1 Objetos perdidos, 1 terminada",
    });
  });

  it("says 'since your last digest' after the app was closed for days, and words ends alone", () => {
    expect(digestText({ ...digest, since: "2026-04-29T08:00:00Z" }, now, en).title).toBe(
      "3 alerts since your last digest",
    );
    expect(digestText({ alerts: 0, categories: [], ended: 2, since: digest.since }, now, en)).toEqual({
      title: "Your daily alert digest",
      body: "2 ended",
    });
  });
});

const patrolAlarm = (kind: PatrolAlarm["kind"], since: string): PatrolAlarm => ({
  patrol: "P1",
  title: "Night round",
  participants: [{ device: "D1", name: "Tomás" }],
  kind,
  since,
  by: kind === "sos" ? "D1" : null,
  position: { lat: 45.51234567, lon: -122.6 },
});

describe("patrol alarm notices", () => {
  it("one notice per alarm, saying who, which patrol and where", () => {
    const alarms = [patrolAlarm("sos", "2026-05-01T21:00:00Z"), patrolAlarm("missed_check_in", "2026-05-01T21:15:00Z")];
    expect(alarmTexts(alarms, en)).toEqual([
      { title: "SOS from Tomás", body: "Night round · last position 45.51235, -122.60000" },
      { title: "Missed check-in: Tomás", body: "Night round · last position 45.51235, -122.60000" },
    ]);
    expect(alarmTexts([{ ...alarms[1]!, position: null }], es)).toEqual([
      { title: "Aviso no recibido: Tomás", body: "Night round · sin posición conocida" },
    ]);
  });

  it("posts each alarm once a session and the digest when one is due, never overlapping", async () => {
    const missed = patrolAlarm("missed_check_in", "2026-05-01T21:15:00Z");
    // A shell that (wrongly) answers the same alarm twice, and a digest once.
    const answers: PatrolAlarm[][] = [[missed], [missed], []];
    const digests: (Digest | null)[] = [null, { alerts: 1, categories: [{ category: "crime", count: 1 }], ended: 0, since: "2026-05-01T20:00:00Z" }, null];
    const posted: Notice[] = [];
    let alarmCalls = 0;
    const tick = noticeClock({
      takeNewAlarms: async () => answers[alarmCalls++] ?? [],
      takeDigest: async () => digests.shift() ?? null,
      post: async (n) => void posted.push(...n),
      t: () => en,
      now: () => new Date("2026-05-01T21:30:00Z"),
    });
    // Two calls at once share one check.
    await Promise.all([tick(), tick()]);
    expect(alarmCalls).toBe(1);
    await tick();
    await tick();
    expect(posted).toEqual([
      { title: "Missed check-in: Tomás", body: "Night round · last position 45.51235, -122.60000" },
      { title: "1 alert today", body: "1 Crime" },
    ]);
  });

  it("keeps checking when the shell refuses (a resident cannot see patrols)", async () => {
    const posted: Notice[] = [];
    const tick = noticeClock({
      takeNewAlarms: () => Promise.reject({ kind: "not_allowed", message: "" }),
      takeDigest: async () => ({ alerts: 2, categories: [{ category: "weather", count: 2 }], ended: 0, since: "2026-05-01T20:00:00Z" }),
      post: async (n) => void posted.push(...n),
      t: () => es,
      now: () => new Date("2026-05-01T21:30:00Z"),
    });
    await tick();
    expect(posted).toEqual([{ title: "2 alertas hoy", body: "2 Meteorología" }]);
  });
});
