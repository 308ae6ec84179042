// Two app instances on separate data dirs and one real sync server: the coordinator creates the
// group on the server from onboarding and invites a volunteer (desktop size); the volunteer
// joins with the code and logs a patrol (phone size). After a sync it shows in the
// coordinator's patrol logs, and the coordinator's patrol and meeting show on the phone, each
// view refreshing on its own.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import {
  CREATION_TOKEN,
  DESKTOP,
  PHONE,
  checkA11y,
  By,
  choose,
  click,
  find,
  findText,
  freePort,
  hold,
  invoke,
  screenshot,
  startApp,
  startServer,
  syncNow,
  type,
  waitFor,
  walkNorth,
} from "./harness.js";

const TITLE = "Night round on Elm";
const COORD_TITLE = "Morning check on Oak";
const MEETING = "Block meeting about the street lights";

let tmp;
let server;
let phone;
let desk;



before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "porchlight-e2e-sync-"));
  server = startServer(tmp);
});

after(async () => {
  await desk?.stop();
  await phone?.stop();
  await server?.stop();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});


test("sync: a group created on a server from onboarding; patrols and meetings reach the other device", async () => {
  const url = await server.url;

  // The coordinator's desktop creates the group on the server from onboarding.
  desk = await startApp(DESKTOP);
  let d = desk.driver;
  await type(d, "input[name=name]", "Carmen");
  await click(d, "form button[type=submit]");
  await type(d, "input[name=group]", "Elm Street Watch");
  const create = "form:has(input[name=server]) button[type=submit]";
  // A mistyped address is caught before anything is sent ...
  await type(d, "input[name=server]", "elm-watch.local:8470");
  await click(d, create);
  await findText(d, '[data-testid="onboarding-error"]', "must start with http:// or https://");
  // ... and an address where no server answers says so, next to the form.
  const nobody = `http://127.0.0.1:${await freePort()}`;
  await type(d, "input[name=server]", nobody);
  await click(d, create);
  await findText(d, `form:has(input[name=server]) [data-testid="onboarding-error"]`, `Could not reach a server at ${nobody}`);
  assert.equal((await invoke(d, "whoami", {})).group, null);
  await checkA11y(d, "onboarding (server unreachable)");
  await screenshot(d, "sync-onboarding-unreachable");
  // A server with a self-signed certificate is not trusted without its fingerprint ...
  await type(d, "input[name=server]", url);
  await click(d, create);
  await findText(d, `form:has(input[name=server]) [data-testid="onboarding-error"]`, "does not trust the certificate");
  await screenshot(d, "sync-onboarding-certificate");
  // ... and with it, the server asks for its operator's creation token, and says so when it is missing.
  await type(d, "input[name=fingerprint]", await server.fingerprint);
  await click(d, create);
  await findText(d, `form:has(input[name=server]) [data-testid="onboarding-error"]`, "creation token");
  await type(d, "input[name=creation-token]", CREATION_TOKEN);
  await click(d, create);
  await find(d, "nav.tabs");
  const carmen = await invoke(d, "whoami", {});
  assert.equal(carmen.role, "coordinator");
  assert.equal(carmen.group.name, "Elm Street Watch");
  assert.equal((await invoke(d, "sync_status", {})).server, url);
  await find(d, '[data-testid="sync-now"]');

  // An invite for a volunteer, from the overview.
  await choose(d, '[data-testid="invite"] select[name=role]', "volunteer");
  await click(d, '[data-testid="invite"] button[type=submit]');
  const code = await (await find(d, '[data-testid="invite-code"]')).getAttribute("value");
  assert.match(code, /^plj2-/);

  // A community meeting for the group.
  const startsAt = new Date();
  startsAt.setDate(startsAt.getDate() + 5);
  startsAt.setHours(18, 30, 0, 0);
  await invoke(d, "issue_alert", {
    alert: {
      title: MEETING,
      body: "",
      category: "meeting",
      severity: "info",
      area: { type: "circle", center: { lat: 45.5145, lon: -122.6265 }, radiusM: 500 },
      issuedAt: new Date().toISOString(),
      expiresAt: null,
      meeting: { startsAt: startsAt.toISOString(), place: "Elm St Library" },
    },
  });
  await syncNow(d, "the coordinator");
  // The patrol logs stay open from here on: what the volunteer logs must appear by itself.
  await click(d, '[data-section="patrols"]');
  await find(d, '[data-testid="patrol-logs"]');
  await checkA11y(d, "coordinator patrol logs (before sync)");

  // A volunteer's phone joins with the code (typed: a desktop window has no QR scanner).
  phone = await startApp(PHONE);
  d = phone.driver;
  await type(d, "input[name=name]", "Tomás");
  await click(d, "form button[type=submit]");
  await find(d, "input[name=code]");
  assert.equal((await d.findElements(By.css('[data-testid="scan-invite"]'))).length, 0, "no scan button on a desktop");
  await checkA11y(d, "onboarding (join)");
  await type(d, "input[name=code]", code);
  await click(d, "form:has(input[name=code]) button[type=submit]");
  await find(d, "nav.tabs");
  assert.equal((await invoke(d, "whoami", {})).role, "volunteer");
  await find(d, '[data-testid="sync-now"]');

  // ... and logs a patrol with a route and an observation.
  await click(d, 'nav a[data-view="patrol"]');
  await type(d, "input[name=title]", TITLE);
  await checkA11y(d, "patrol (idle, joined)");
  await click(d, '[data-testid="start-patrol"]');
  await find(d, '[data-testid="distance"]');
  await walkNorth(d);
  await choose(d, "select[name=category]", "lighting");
  await type(d, "textarea[name=note]", "Street light out on Elm");
  await click(d, '[data-testid="add-observation"]');
  await findText(d, '[data-testid="observations"] li', "Street light");
  await click(d, '[data-testid="end-patrol"]');
  await findText(d, '[data-testid="history"] li', TITLE);

  // Sync now, and wait until nothing is left to send.
  await syncNow(d, "the phone");
  await waitFor(d, "the status bar to show nothing pending and online", `
    const pending = document.querySelector('[data-testid="pending"]').textContent.trim();
    const state = document.querySelector('[data-testid="sync-state"]');
    return /^0\\D/.test(pending) && state.dataset.state === "online" && pending;`);
  await checkA11y(d, "patrol (synced)");
  await screenshot(d, "sync-volunteer-synced");

  // The coordinator's patrol logs, open all along, show the patrol once a sync brought it (the
  // background sync, or this one).
  d = desk.driver;
  await syncNow(d, "the coordinator");
  const row = await findText(d, '[data-testid="patrol-logs"] li', TITLE);
  const text = await row.getText();
  assert.match(text, /Tomás/);
  assert.match(text, /1 observation/);
  await findText(d, ".desk h2", TITLE);
  await checkA11y(d, "coordinator patrol logs (synced)");
  await screenshot(d, "sync-coordinator-patrols");

  // The coordinator walks a round too ...
  await invoke(d, "start_patrol", { title: COORD_TITLE });
  const t0 = Date.now();
  for (const [i, lat] of [45.52, 45.5208].entries()) {
    const at = new Date(t0 + i * 60_000).toISOString();
    await invoke(d, "add_fix", { fix: { at, point: { lat, lon: -122.63 }, accuracyM: 5 } });
  }
  await invoke(d, "end_patrol", {});
  await findText(d, '[data-testid="patrol-logs"] li', COORD_TITLE);
  await syncNow(d, "the coordinator");

  // ... which the volunteer's patrol history, left open, shows after the phone's next sync.
  d = phone.driver;
  await syncNow(d, "the phone");
  const theirs = await findText(d, '[data-testid="history"] li', COORD_TITLE);
  assert.match(await theirs.getText(), /0 observations/);
  await checkA11y(d, "patrol history (synced)");
  await screenshot(d, "sync-volunteer-history");

  // The meeting reached the phone too, with the alerts.
  await click(d, 'nav a[data-view="alerts"]');
  const meeting = await findText(d, '[data-testid="meetings"] li', MEETING);
  assert.match(await meeting.getText(), /Where: Elm St Library/);
  await find(d, '[data-testid="add-to-calendar"]');
  await checkA11y(d, "alerts with a meeting (volunteer)");
  await screenshot(d, "sync-volunteer-meetings");

  // Out on another round, the volunteer holds SOS (a tap is not enough) ...
  await click(d, 'nav a[data-view="patrol"]');
  await invoke(d, "start_patrol", { title: "Evening round" });
  await invoke(d, "add_fix", { fix: { at: new Date().toISOString(), point: { lat: 45.531, lon: -122.641 }, accuracyM: 5 } });
  await find(d, '[data-testid="start-check-ins"]');
  await hold(d, '[data-testid="sos"]', 300);
  assert.equal((await d.findElements(By.css('[data-testid="sos-sent"]'))).length, 0, "a short tap sends no SOS");
  await hold(d, '[data-testid="sos"]', 2600);
  await find(d, '[data-testid="sos-sent"]');
  await checkA11y(d, "patrol with an SOS sent");
  await screenshot(d, "sync-volunteer-sos");
  await syncNow(d, "the phone");

  // ... and the coordinator's overview raises the alarm with the volunteer's name and position.
  d = desk.driver;
  await click(d, '[data-section="overview"]');
  await syncNow(d, "the coordinator");
  const alarm = await findText(d, '[data-testid="patrol-alarms"] li', "SOS");
  assert.match(await alarm.getText(), /Tomás/);
  assert.match(await alarm.getText(), /last position 45\.53100, -122\.64100/);
  await checkA11y(d, "overview with a patrol alarm");
  await screenshot(d, "sync-coordinator-sos");
});
