// A resident sets a watch area and sees the alert that touches it first, on a phone.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { PHONE, checkA11y, click, find, findText, invoke, onboard, screenshot, startApp, type } from "./harness.js";

let app;
before(async () => (app = await startApp(PHONE)));
after(async () => app?.stop());

const alert = (title, lat, lon) => ({
  title,
  body: "",
  category: "crime",
  severity: "warning",
  area: { type: "circle", center: { lat, lon }, radiusM: 300 },
  issuedAt: new Date().toISOString(),
  expiresAt: null,
  meeting: null,
});

test("resident: a watch area brings the matching alert to the top", async () => {
  const d = app.driver;
  await onboard(d, "Priya", "Elm Street Watch");
  // Alerts as they would arrive from the group: one near home, one across town (issued later).
  await invoke(d, "issue_alert", { alert: alert("Car break-ins on Elm St", 45.5145, -122.6265) });
  await invoke(d, "issue_alert", { alert: alert("Bike theft at the station", 45.53, -122.7) });

  await click(d, 'nav a[data-view="alerts"]');
  await findText(d, '[data-testid="inbox"] li', "Bike theft");
  await type(d, "input[name=area-name]", "Home");
  await type(d, "input[name=lat]", "45.516");
  await type(d, "input[name=lon]", "-122.626");
  await type(d, "input[name=radius]", "150");
  await click(d, '[data-testid="save-area"]');
  await findText(d, '[data-testid="areas"] li', "Home");

  const first = await find(d, '[data-testid="inbox"] li:first-child[data-mine="true"]');
  assert.match(await first.getText(), /Car break-ins on Elm St/);
  const other = await findText(d, '[data-testid="inbox"] li', "Bike theft");
  assert.equal(await other.getAttribute("data-mine"), "false");
  await checkA11y(d, "alerts");
  await screenshot(d, "resident-alerts");
});
