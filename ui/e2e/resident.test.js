// A resident sets a watch area and sees the alert that touches it first, and the upcoming
// community meeting with its calendar file, on a phone.
import fs from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { PHONE, checkA11y, choose, click, find, findText, invoke, onboard, screenshot, startApp, type, waitFor } from "./harness.js";

let app;
before(async () => (app = await startApp(PHONE)));
after(async () => app?.stop());

const alert = (title, lat, lon, extra = {}) => ({
  title,
  body: "",
  category: "crime",
  severity: "warning",
  area: { type: "circle", center: { lat, lon }, radiusM: 300 },
  issuedAt: new Date().toISOString(),
  expiresAt: null,
  meeting: null,
  ...extra,
});

// In three days at 7 in the evening, local time.
const meetingStart = new Date();
meetingStart.setDate(meetingStart.getDate() + 3);
meetingStart.setHours(19, 0, 0, 0);
/** `meetingStart` as Intl writes it, with plain spaces (ICU puts narrow ones in places). */
const plain = (s) => s.replace(/[\u00a0\u202f]/g, " ");
const part = (locale, options) => plain(new Intl.DateTimeFormat(locale, options).format(meetingStart));

test("resident: a watch area brings the matching alert to the top", async () => {
  const d = app.driver;
  await onboard(d, "Priya", "Elm Street Watch");
  // Alerts as they would arrive from the group: a community meeting (an hour ago), one near home,
  // one across town (issued last).
  await invoke(d, "issue_alert", {
    alert: alert("Block meeting about break-ins", 45.5145, -122.6265, {
      body: "Bring your questions for the police liaison.",
      category: "meeting",
      severity: "info",
      issuedAt: new Date(Date.now() - 3_600_000).toISOString(),
      meeting: { startsAt: meetingStart.toISOString(), place: "Elm St Library, room 2" },
    }),
  });
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
  const meetingItem = await findText(d, '[data-testid="inbox"] li', "Block meeting");
  assert.match(await meetingItem.getText(), /Meeting: .*Elm St Library, room 2/);
  await checkA11y(d, "alerts");
  await screenshot(d, "resident-alerts");
});

test("resident: the upcoming meeting, its time in the reader's language, and a calendar file", async () => {
  const d = app.driver;
  const card = await findText(d, '[data-testid="meetings"] li', "Block meeting about break-ins");
  const text = await card.getText();
  assert.match(text, /Where: Elm St Library, room 2/);
  assert.match(text, /in \d days/);
  // The time as the page's Intl writes it for English (weekday, day, month, time).
  const shown = plain(await (await find(d, '[data-testid="meeting-time"]')).getText());
  const weekday = part("en", { weekday: "long" });
  assert.ok(shown.startsWith(weekday), `${shown} starts with ${weekday}`);
  assert.ok(shown.includes(part("en", { month: "long", day: "numeric" })), shown);
  assert.ok(shown.endsWith(part("en", { hour: "numeric", minute: "2-digit" })), shown);
  const datetime = await (await find(d, '[data-testid="meeting-time"]')).getAttribute("datetime");
  assert.equal(new Date(datetime).getTime(), meetingStart.getTime());

  // "Add to calendar" downloads the .ics file; the shell puts downloads with the exports.
  await click(d, '[data-testid="add-to-calendar"]');
  await findText(d, '[data-testid="meetings"] p.ok', "porchlight-meetings.ics");
  const file = path.join(app.dataDir, "exports", "porchlight-meetings.ics");
  await d.wait(async () => fs.existsSync(file) && fs.readFileSync(file, "utf8").includes("END:VCALENDAR"), 20_000, `no ${file}`);
  const ics = fs.readFileSync(file, "utf8");
  assert.match(ics, /BEGIN:VEVENT/);
  assert.match(ics, /SUMMARY:Block meeting about break-ins/);
  assert.match(ics, /LOCATION:Elm St Library\\, room 2/);
  // The page is still the app (a download never replaces it).
  await waitFor(d, "the alerts view to stay", "return !!document.querySelector('[data-testid=\"inbox\"]')");

  await checkA11y(d, "alerts with a meeting");
  await screenshot(d, "resident-meetings");

  // In Spanish the same meeting reads as Spanish dates do.
  await click(d, '[data-testid="language"] option[value="es"]');
  await findText(d, '[data-testid="meetings"] h2', "Próximas reuniones");
  await findText(d, '[data-testid="meeting-time"]', part("es", { weekday: "long" }));
  await findText(d, '[data-testid="meeting-time"]', part("es", { hour: "numeric", minute: "2-digit" }));
  await findText(d, '[data-testid="meetings"] li', "Lugar: Elm St Library, room 2");
  await findText(d, '[data-testid="meetings"] li', "dentro de ");
  await checkA11y(d, "meetings in Spanish");
  await click(d, '[data-testid="language"] option[value="en"]');
  await findText(d, '[data-testid="meetings"] h2', "Upcoming meetings");
});

test("resident: following only some categories, and a test notification", async () => {
  const d = app.driver;
  await click(d, 'nav a[data-view="alerts"]');
  await find(d, '[data-testid="inbox"] li[data-mine="true"]');
  // Unfollow crime: the break-in alert no longer counts as touching my areas (it is still listed).
  await click(d, '[data-testid="follow-categories"] input[data-category="crime"]');
  await findText(d, '[data-testid="follow-status"]', "Saved on this phone");
  assert.deepEqual((await invoke(d, "followed_categories", {})).includes("crime"), false);
  await d.navigate().refresh();
  const breakIns = await findText(d, '[data-testid="inbox"] li', "Car break-ins");
  assert.equal(await breakIns.getAttribute("data-mine"), "false");
  // The meeting (still followed) at the same place does.
  const meeting = await findText(d, '[data-testid="inbox"] li', "Block meeting");
  assert.equal(await meeting.getAttribute("data-mine"), "true");
  // The test notification says what happened on this device (sent, or notifications are off).
  await click(d, '[data-testid="test-notice"]');
  await findText(d, '[data-testid="follow-status"]', "notification");
  await d.executeScript("document.querySelector('[data-testid=\"follow-categories\"]').scrollIntoView({ block: 'start' })");
  await checkA11y(d, "alert categories");
  await screenshot(d, "resident-follow", { scrolled: true });

  // A daily digest instead of each alert, at 18:00, chosen on the phone and kept on it (in Spanish).
  await choose(d, '[data-testid="language"]', "es");
  await click(d, '[data-testid="delivery-digest"]');
  await choose(d, '[data-testid="delivery-hour"]', "18");
  await d.wait(async () => (await invoke(d, "digest_setting", {})).hour === 18, 10_000, "the digest hour was not saved");
  await d.executeScript("document.querySelector('[data-testid=\"alert-delivery\"]').scrollIntoView({ block: 'start' })");
  await checkA11y(d, "alert delivery (es)");
  await screenshot(d, "resident-digest-es", { scrolled: true });
  await click(d, '[data-testid="delivery-each"]');
  await d.wait(async () => (await invoke(d, "digest_setting", {})).hour === null, 10_000, "the digest was not turned off");
  await choose(d, '[data-testid="language"]', "en");
});
