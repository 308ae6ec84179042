import { describe, expect, it } from "vitest";
import type { Alert, AlertNews } from "./bindings";
import { translate, type Translate } from "./i18n";
import { noticeTexts } from "./notify";

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
