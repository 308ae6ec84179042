// A group with no server anywhere: onboarding's "Start a group on this computer" makes the
// coordinator's desktop the group's only server. The coordinator lands on the overview with the
// server's address and fingerprint, makes an invite there, a second app joins with the code, and
// a patrol and an alert travel both ways through the desktop. Closing and reopening the app
// starts the server again by itself; stopping it says phones can no longer sync.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import {
  DESKTOP,
  PHONE,
  checkA11y,
  choose,
  click,
  find,
  findText,
  invoke,
  joinWithCode,
  screenshot,
  startApp,
  syncNow,
  type,
  walkNorth,
} from "./harness.js";

const ALERT = "Bikes taken from the hall rack";
const ROUND = "Evening round by the school";

/** Resolves once nothing accepts connections on `port` (the closed app has let it go). */
function portFreed(port, ms = 15_000) {
  const deadline = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const sock = net.connect(port, "127.0.0.1");
      sock.once("error", () => {
        sock.destroy();
        resolve();
      });
      sock.once("connect", () => {
        sock.destroy();
        if (Date.now() > deadline) reject(new Error(`port ${port} stays taken`));
        else setTimeout(attempt, 100);
      });
    };
    attempt();
  });
}

const apps = [];
const carmenDir = fs.mkdtempSync(path.join(os.tmpdir(), "porchlight-e2e-standalone-"));
after(async () => {
  for (const app of apps.reverse()) await app.stop();
  fs.rmSync(carmenDir, { recursive: true, force: true });
});
const track = (app) => {
  apps.push(app);
  return app;
};

test("standalone: a group started on this computer serves a second app through it", async () => {
  let carmen = track(await startApp(DESKTOP, { dataDir: carmenDir }));
  let d = carmen.driver;
  await type(d, "input[name=name]", "Carmen");
  await click(d, "form button[type=submit]");
  await type(d, "input[name=here-group]", "Elm Street Watch");
  await checkA11y(d, "onboarding with start a group on this computer");
  const card = await find(d, '[data-testid="start-here"]');
  await d.executeScript("arguments[0].scrollIntoView({ block: 'center' })", card);
  await screenshot(d, "onboarding-start-group", { scrolled: true });

  // On loopback with a free port (a real hall leaves the default: every interface, 8471).
  await click(d, '[data-testid="start-here"] summary');
  await type(d, "input[name=here-listen]", "127.0.0.1:0");
  await click(d, '[data-testid="start-here-submit"]');
  await find(d, "nav.tabs");

  // Landed on the overview: this computer is the group's server, and the invite is right there.
  const running = await findText(d, '[data-testid="hub-running"]', "Serving the group at https://127.0.0.1:");
  const url = (await running.getText()).match(/https:\/\/127\.0\.0\.1:\d+/)[0];
  const fingerprint = await (await find(d, '[data-testid="hub-running"] code')).getText();
  assert.match(fingerprint, /^[0-9a-f]{64}$/);
  assert.equal((await invoke(d, "sync_status", {})).server, url, "Carmen syncs with her own computer");
  await checkA11y(d, "this computer is the group's server");
  await d.executeScript("arguments[0].scrollIntoView({ block: 'center' })", running);
  await screenshot(d, "hub-standalone", { scrolled: true });

  await choose(d, '[data-testid="invite"] select[name=role]', "volunteer");
  await click(d, '[data-testid="invite"] button[type=submit]');
  const code = await (await find(d, '[data-testid="invite-code"]')).getAttribute("value");
  assert.match(code, /^plj3-/);

  const victor = track(await startApp(PHONE));
  let p = victor.driver;
  await joinWithCode(p, "Victor", code);
  assert.equal((await invoke(p, "sync_status", {})).server, url, "Victor syncs with Carmen's computer");

  // Victor's patrol reaches Carmen (her first sync certifies him, the next lets it in).
  await click(p, 'nav a[data-view="patrol"]');
  await type(p, "input[name=title]", ROUND);
  await click(p, '[data-testid="start-patrol"]');
  await find(p, '[data-testid="distance"]');
  await walkNorth(p);
  await click(p, '[data-testid="end-patrol"]');
  await findText(p, '[data-testid="history"] li', ROUND);
  await syncNow(p, "Victor");
  await syncNow(d, "Carmen");
  await syncNow(p, "Victor");
  await syncNow(d, "Carmen");
  await click(d, '[data-section="patrols"]');
  await findText(d, '[data-testid="patrol-logs"] li', ROUND);

  // Carmen's alert reaches Victor.
  await invoke(d, "issue_alert", {
    alert: {
      title: ALERT,
      body: "Lock bikes inside tonight.",
      category: "crime",
      severity: "warning",
      area: { type: "circle", center: { lat: 45.5145, lon: -122.6265 }, radiusM: 400 },
      issuedAt: new Date().toISOString(),
      expiresAt: null,
      meeting: null,
    },
  });
  await syncNow(d, "Carmen");
  await syncNow(p, "Victor");
  await click(p, 'nav a[data-view="alerts"]');
  await findText(p, '[data-testid="inbox"] li', ALERT);

  // Carmen closes the app and opens it again: the server is back by itself, same address and
  // certificate, and Victor still syncs through it.
  await carmen.stop();
  apps.splice(apps.indexOf(carmen), 1);
  await portFreed(Number(url.split(":").pop()));
  carmen = track(await startApp(DESKTOP, { dataDir: carmenDir }));
  d = carmen.driver;
  await click(d, 'nav a[data-view="coordinate"]');
  await findText(d, '[data-testid="hub-running"]', url);
  assert.equal(await (await find(d, '[data-testid="hub-running"] code')).getText(), fingerprint);
  await syncNow(p, "Victor");

  // Stopping it is one click, and says what it means for phones.
  await click(d, '[data-testid="stop-hub"]');
  await findText(d, '[data-testid="hub-stopped"]', "phones cannot sync");
  await find(d, '[data-testid="start-hub"]');
});
