// Offline maps in the real app: the coordinator's desktop imports the demo neighbourhood's map
// package (made by the CLI from the street layout the project ships) and shares it through a
// real sync server; a resident's phone joins, downloads it in the background, and both draw
// streets from it. Tiles come from the core over porchlight-tiles://, never from the network.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import {
  CLI,
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
  startServer,
  waitFor,
} from "./harness.js";


let tmp;
let server;
let desk;
let phone;


/** Waits until the map in `scope` draws from the offline package and some of its tiles loaded. */
async function streetsShown(d, scope) {
  await waitFor(
    d,
    `offline map tiles in ${scope}`,
    `const map = document.querySelector(arguments[0] + ' .map[data-tiles="offline"]');
     if (!map) return false;
     const tiles = [...map.querySelectorAll('img.leaflet-tile-loaded')];
     return tiles.length > 0 && tiles.every((t) => !/^https?:\\/\\/(?!porchlight-tiles\\.localhost)/.test(t.src));`,
    scope,
  );
  const src = await d.executeScript(`return document.querySelector(arguments[0] + ' img.leaflet-tile-loaded').src`, scope);
  assert.match(src, /porchlight-tiles/);
}

before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "porchlight-e2e-maps-"));
  server = startServer(tmp);
});

after(async () => {
  await phone?.stop();
  await desk?.stop();
  await server?.stop();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

test("maps: a coordinator imports a map package; a member's phone downloads it; streets show offline", async () => {
  const pkg = path.join(tmp, "sunnyside.mbtiles");
  execFileSync(CLI, ["map", "demo-package", "--out", pkg]);
  const junk = path.join(tmp, "not-a-map.mbtiles");
  fs.writeFileSync(junk, "this is not a map package");

  // The coordinator's desktop creates the group on the server.
  desk = await startApp(DESKTOP);
  let d = desk.driver;
  await createGroupOnServer(d, server, "Carmen", "Elm Street Watch");
  await find(d, '[data-testid="offline-map"]');
  // No map yet: every map is the coordinate grid.
  await find(d, '.map[data-tiles="grid"]');

  // A file that is not a map is refused, saying why, and nothing changes.
  await (await find(d, '[data-testid="import-map"]')).sendKeys(junk);
  await findText(d, '[data-testid="offline-map"] [role="alert"]', "not an MBTiles");
  assert.equal(await invoke(d, "map_status", {}), null);

  // The real package: imported, on this device, and drawn on the overview's map.
  await (await find(d, '[data-testid="import-map"]')).sendKeys(pkg);
  await find(d, '[data-testid="offline-map-status"][data-ready="true"]');
  const status = await invoke(d, "map_status", {});
  assert.equal(status.name, "Sunnyside demo streets");
  assert.equal(status.chunksHeld, status.chunksTotal);
  await streetsShown(d, ".desk");
  await checkA11y(d, "coordinator overview with an offline map");
  await screenshot(d, "coordinator-offline-map");

  // Shared: the chunks go up with the next sync, and an invite for a resident.
  await click(d, '[data-testid="sync-now"]');
  await waitFor(d, "the sync to finish", `
    const b = document.querySelector('[data-testid="sync-now"]');
    return b && !b.disabled;`);
  await click(d, '[data-testid="invite"] button[type=submit]');
  const code = await (await find(d, '[data-testid="invite-code"]')).getAttribute("value");

  // A resident's phone joins; its background sync downloads the map.
  phone = await startApp(PHONE);
  const p = phone.driver;
  await joinWithCode(p, "Victor", code);
  const mine = await p.wait(async () => {
    const s = await invoke(p, "map_status", {});
    return s?.ready ? s : null;
  }, 30_000, "waiting for the phone to download the map");
  assert.equal(mine.id, status.id);
  // Everything is on the phone: the status bar shows no download running.
  assert.equal((await p.findElements({ css: '[data-testid="map-download"]' })).length, 0);

  // The report form's map on the phone draws the same streets, from the phone's own copy.
  await click(p, 'nav a[data-view="report"]');
  await streetsShown(p, "form");
  await checkA11y(p, "report form with an offline map");
  await screenshot(p, "resident-offline-map");
});
