// Two app instances on separate data dirs and one real sync server: a volunteer joins with an
// invite code and logs a patrol (phone size); after both sync it shows in the coordinator's
// patrol logs (desktop size).
import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import {
  DESKTOP,
  PHONE,
  ROOT,
  checkA11y,
  choose,
  click,
  find,
  findText,
  invoke,
  screenshot,
  startApp,
  type,
  waitFor,
  walkNorth,
} from "./harness.js";

const CLI = process.env.PORCHLIGHT_CLI_BIN ?? path.join(ROOT, "target/debug/porchlight");
const TITLE = "Night round on Elm";

let tmp;
let server;
let phone;
let desk;

/** Starts `porchlight serve` on a free port and resolves with its URL (from its first line). */
function startServer(dir) {
  const proc = spawn(CLI, ["serve", "--db", `sqlite://${path.join(dir, "server.db")}`, "--listen", "127.0.0.1:0"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  const log = [];
  proc.stdout.on("data", (d) => log.push(String(d)));
  const url = new Promise((resolve, reject) => {
    let buf = "";
    const timer = setTimeout(() => reject(new Error(`the server never said where it listens:\n${buf}`)), 15_000);
    proc.stderr.on("data", (d) => {
      buf += String(d);
      log.push(String(d));
      const m = buf.match(/porchlight server listening on (http:\/\/127\.0\.0\.1:\d+)/);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    proc.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the server exited with ${code}:\n${buf}`));
    });
  });
  return {
    proc,
    log,
    url,
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const gone = new Promise((r) => proc.once("exit", r));
      proc.kill("SIGTERM");
      await gone;
    },
  };
}

function cli(...args) {
  return execFileSync(CLI, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

/** Waits until the shell's sync status satisfies `ok`, and returns it. */
async function syncStatusUntil(driver, what, ok) {
  let last;
  try {
    return await driver.wait(async () => {
      last = await invoke(driver, "sync_status", {});
      return ok(last) ? last : null;
    }, 30_000);
  } catch (e) {
    throw new Error(`waiting for ${what}: ${e.message}; last status ${JSON.stringify(last)}`);
  }
}

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

test("sync: a patrol logged on one device shows in the coordinator's logs on another", async () => {
  const url = await server.url;

  // The coordinator's device, prepared with the CLI (the UI cannot create a group on a server yet).
  const dirA = path.join(tmp, "coordinator");
  cli("--data-dir", dirA, "init", "--name", "Carmen");
  cli("--data-dir", dirA, "group", "create", "--server", url, "--name", "Elm Street Watch");
  const { code } = JSON.parse(cli("--data-dir", dirA, "--json", "invite", "--role", "volunteer"));
  assert.match(code, /^plj1-/);

  // A volunteer's phone joins with the code.
  phone = await startApp(PHONE);
  let d = phone.driver;
  await type(d, "input[name=name]", "Tomás");
  await click(d, "form button[type=submit]");
  await find(d, "input[name=code]");
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
  await click(d, '[data-testid="sync-now"]');
  await syncStatusUntil(d, "the phone to send everything", (s) => s.lastSuccess && !s.lastError && s.pending === 0);
  await waitFor(d, "the status bar to show nothing pending and online", `
    const pending = document.querySelector('[data-testid="pending"]').textContent.trim();
    const state = document.querySelector('[data-testid="sync-state"]');
    const button = document.querySelector('[data-testid="sync-now"]');
    return /^0\\D/.test(pending) && state.dataset.state === "online" && !button.disabled && pending;`);
  await checkA11y(d, "patrol (synced)");
  await screenshot(d, "sync-volunteer-synced");

  // The coordinator's desktop, on the CLI-prepared data dir.
  desk = await startApp(DESKTOP, { dataDir: dirA });
  d = desk.driver;
  await click(d, '[data-section="patrols"]');
  await find(d, '[data-testid="patrol-logs"]');
  await checkA11y(d, "coordinator patrol logs (before sync)");
  const before = await invoke(d, "sync_status", {});
  await click(d, '[data-testid="sync-now"]');
  await syncStatusUntil(
    d,
    "the coordinator's sync to succeed",
    (s) => s.lastSuccess && s.lastSuccess !== before.lastSuccess && !s.lastError,
  );
  await waitFor(d, "the Sync now button to be ready again", `
    const b = document.querySelector('[data-testid="sync-now"]');
    return b && !b.disabled;`);
  // The patrol logs load when the section opens (they do not follow sync events): reopen them.
  await click(d, '[data-section="overview"]');
  await click(d, '[data-section="patrols"]');
  const row = await findText(d, '[data-testid="patrol-logs"] li', TITLE);
  const text = await row.getText();
  assert.match(text, /Tomás/);
  assert.match(text, /1 observation/);
  await findText(d, ".desk h2", TITLE);
  await checkA11y(d, "coordinator patrol logs (synced)");
  await screenshot(d, "sync-coordinator-patrols");
});
