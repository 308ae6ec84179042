// Hub mode in real apps: the coordinator's desktop serves the group on the local network, the
// invite it then makes carries the hub's address, and when the community server goes away a
// resident's phone still gets the coordinator's new alert, through the hub; then a volunteer joins
// in the hall with no community server at all, and the patrol they log reaches the coordinator.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  DESKTOP,
  PHONE,
  checkA11y,
  click,
  createGroupOnServer,
  find,
  findText,
  invoke,
  joinWithCode,
  screenshot,
  startApp,
  syncNow,
  syncStatusUntil,
  type,
  serverScenario,
  walkNorth,
} from "./harness.js";

const TITLE = "Bikes taken from the hall rack";

const scenario = serverScenario("hub");


/** Clicks "Sync now" and waits until a sync after `before` succeeded through `url`. */
async function syncThrough(d, who, url) {
  const before = await invoke(d, "sync_status", {});
  await click(d, '[data-testid="sync-now"]');
  return syncStatusUntil(
    d,
    `${who}'s sync through ${url}`,
    (s) => s.lastSuccess && s.lastSuccess !== before.lastSuccess && s.server === url && s.pending === 0,
  );
}

test("hub: phones keep syncing through the coordinator's desktop when the community server is gone", async () => {
  const carmen = scenario.track(await startApp(DESKTOP));
  let d = carmen.driver;
  await createGroupOnServer(d, scenario.server, "Carmen", "Elm Street Watch");
  await click(d, 'nav a[data-view="coordinate"]');

  // Serve on loopback with a free port (a real hall would leave the default: every interface).
  await click(d, '[data-testid="hub"] summary');
  await type(d, "input[name=hub-listen]", "127.0.0.1:0");
  await click(d, '[data-testid="start-hub"]');
  const running = await findText(d, '[data-testid="hub-running"]', "Serving the group at https://127.0.0.1:");
  const hubUrl = (await running.getText()).match(/https:\/\/127\.0\.0\.1:\d+/)[0];
  await checkA11y(d, "hub running");
  await d.executeScript("arguments[0].scrollIntoView({ block: 'center' })", running);
  await screenshot(d, "hub-running", { scrolled: true });

  // The invite made now carries the hub too.
  const code = await invoke(d, "invite", { role: "resident", uses: 1, validDays: 1 });
  assert.match(code, /^plj3-/);

  const rita = scenario.track(await startApp(PHONE));
  await joinWithCode(rita.driver, "Rita", code);
  // While the community server is up, Carmen's device certifies Rita (the hub admits exactly
  // the members the group's certificates vouch for).
  await syncNow(d, "Carmen");
  await syncNow(rita.driver, "Rita");

  // The community server goes away (the hall has no internet).
  await scenario.server.stop();

  await invoke(d, "issue_alert", {
    alert: {
      title: TITLE,
      body: "Lock bikes inside tonight.",
      category: "crime",
      severity: "warning",
      area: { type: "circle", center: { lat: 45.5145, lon: -122.6265 }, radiusM: 400 },
      issuedAt: new Date().toISOString(),
      expiresAt: null,
      meeting: null,
    },
  });
  await syncThrough(d, "Carmen", hubUrl);

  d = rita.driver;
  await syncThrough(d, "Rita", hubUrl);
  await click(d, 'nav a[data-view="alerts"]');
  await findText(d, '[data-testid="inbox"] li', TITLE);
  await screenshot(d, "hub-alert-phone");

  // A volunteer joins in the hall, with the community server still gone: the invite goes to the
  // hub alone, the phone joins there, and the patrol it logs reaches Carmen through the hub.
  d = carmen.driver;
  const hallCode = await invoke(d, "invite", { role: "volunteer", uses: 1, validDays: 1 });
  assert.match(hallCode, /^plj3-/);
  const victor = scenario.track(await startApp(PHONE));
  d = victor.driver;
  await joinWithCode(d, "Victor", hallCode);
  assert.equal((await invoke(d, "sync_status", {})).server, hubUrl, "Victor joined at the hub");
  await click(d, 'nav a[data-view="patrol"]');
  await type(d, "input[name=title]", "Hall car park round");
  await click(d, '[data-testid="start-patrol"]');
  await find(d, '[data-testid="distance"]');
  await walkNorth(d);
  await click(d, '[data-testid="end-patrol"]');
  await findText(d, '[data-testid="history"] li', "Hall car park round");
  await syncThrough(d, "Victor", hubUrl);

  d = carmen.driver;
  // Two syncs: the first certifies Victor (from the hub's member list), which lets his patrol in.
  await syncThrough(d, "Carmen", hubUrl);
  await syncThrough(d, "Carmen", hubUrl);
  await click(d, '[data-section="patrols"]');
  const round = await findText(d, '[data-testid="patrol-logs"] li', "Hall car park round");
  await d.executeScript("arguments[0].scrollIntoView({ block: 'center' })", round);
  await screenshot(d, "hub-patrol-coordinator", { scrolled: true });

  // Stopping the hub is one click, and says so.
  await click(d, 'nav a[data-view="coordinate"]');
  await click(d, '[data-section="overview"]');
  await click(d, '[data-testid="stop-hub"]');
  await find(d, '[data-testid="start-hub"]');
});
