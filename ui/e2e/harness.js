// Drives the real desktop app: tauri-driver (on a free port) in front of WebKitWebDriver, each
// test on its own temporary data directory. Run under a display (`xvfb-run -a`).
import { spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import { fileURLToPath } from "node:url";
import { after, before } from "node:test";
import { Builder, By, until } from "selenium-webdriver";

const here = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(here, "../..");
/** Where cargo put the builds: `CARGO_TARGET_DIR` when set, as cargo itself reads it. */
const TARGET = process.env.CARGO_TARGET_DIR ? path.resolve(ROOT, process.env.CARGO_TARGET_DIR) : path.join(ROOT, "target");
export const APP = process.env.PORCHLIGHT_APP_BIN ?? path.join(TARGET, "debug/porchlight-app");
const cargoBin = path.join(process.env.CARGO_HOME ?? path.join(os.homedir(), ".cargo"), "bin", "tauri-driver");
const TAURI_DRIVER = process.env.TAURI_DRIVER ?? (fs.existsSync(cargoBin) ? cargoBin : "tauri-driver");
const NATIVE_DRIVER = process.env.WEBKIT_WEBDRIVER ?? "/usr/bin/WebKitWebDriver";
/** Where screenshots go; `make e2e` sets it, else a fresh temp dir. */
export const ARTIFACTS =
  process.env.PORCHLIGHT_E2E_ARTIFACTS ?? fs.mkdtempSync(path.join(os.tmpdir(), "porchlight-e2e-"));
fs.mkdirSync(ARTIFACTS, { recursive: true });

const TIMEOUT = 20_000;
export const PHONE = { width: 390, height: 844 };
export const DESKTOP = { width: 1280, height: 860 };

/** A loopback port nothing listens on (for the moment). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Resolves once something accepts connections on `port`, or rejects after `ms`. */
function listening(port, ms, proc) {
  const deadline = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      if (proc.exitCode !== null) return reject(new Error(`tauri-driver exited with ${proc.exitCode}`));
      const sock = net.connect(port, "127.0.0.1");
      sock.once("connect", () => {
        sock.destroy();
        resolve();
      });
      sock.once("error", () => {
        sock.destroy();
        if (Date.now() > deadline) reject(new Error(`nothing listens on ${port}`));
        else setTimeout(attempt, 100);
      });
    };
    attempt();
  });
}

/**
 * Starts the app on a fresh data dir and returns a session. `stop()` quits it and removes
 * every process and file it made.
 */
export async function startApp(size = PHONE, { dataDir: given } = {}) {
  if (!fs.existsSync(APP)) throw new Error(`${APP} is missing: build it with cargo build --workspace`);
  const dataDir = given ?? fs.mkdtempSync(path.join(os.tmpdir(), "porchlight-e2e-data-"));
  const port = await freePort();
  const nativePort = await freePort();
  const log = [];
  const proc = spawn(
    TAURI_DRIVER,
    ["--port", String(port), "--native-port", String(nativePort), "--native-driver", NATIVE_DRIVER],
    {
      env: { ...process.env, PORCHLIGHT_DATA_DIR: dataDir },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    },
  );
  proc.stdout.on("data", (d) => log.push(String(d)));
  proc.stderr.on("data", (d) => log.push(String(d)));
  const kill = () => {
    try {
      process.kill(-proc.pid, "SIGTERM");
    } catch {
      // already gone
    }
  };
  let driver;
  try {
    await listening(port, 15_000, proc);
    driver = await new Builder()
      .usingServer(`http://127.0.0.1:${port}/`)
      .withCapabilities({ browserName: "wry", "tauri:options": { application: APP } })
      .build();
    await driver.manage().window().setRect(size);
    await driver.wait(until.elementLocated(By.css("main")), TIMEOUT);
  } catch (e) {
    kill();
    throw new Error(`${e.message}\n--- tauri-driver ---\n${log.join("")}`);
  }
  return {
    driver,
    dataDir,
    log,
    async stop() {
      try {
        await driver.quit();
      } catch {
        // the session may already be gone
      }
      kill();
      await new Promise((r) => (proc.exitCode !== null ? r() : proc.once("exit", r)));
      if (!given) fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function find(driver, css) {
  const el = await driver.wait(until.elementLocated(By.css(css)), TIMEOUT, `no ${css}`);
  await driver.wait(until.elementIsVisible(el), TIMEOUT, `${css} stays hidden`);
  return el;
}

/** Finds the element matching `css` whose text contains `text`. */
export async function findText(driver, css, text, timeout = TIMEOUT) {
  return driver.wait(
    async () => {
      for (const el of await driver.findElements(By.css(css))) {
        if ((await el.getText()).includes(text)) return el;
      }
      return null;
    },
    timeout,
    `no ${css} containing ${JSON.stringify(text)}`,
  );
}

export async function click(driver, css) {
  const el = await find(driver, css);
  await driver.wait(until.elementIsEnabled(el), TIMEOUT, `${css} stays disabled`);
  try {
    await scrollAndClick(driver, el);
  } catch (e) {
    const shot = await screenshot(driver, `failed-click-${Date.now()}`, { scrolled: true }).catch(() => "none");
    throw new Error(`clicking ${css}: ${e.name} ${e.message} (screenshot: ${shot})`);
  }
  return el;
}

/**
 * Scrolls `el` to the middle, as a person would, clear of the fixed status bar, and clicks it.
 * A view that refreshes after a background sync can move the element between the scroll and the
 * click; then, like a person, look again once the page has painted and click again (3 tries).
 */
async function scrollAndClick(driver, el) {
  for (let attempt = 1; ; attempt++) {
    await driver.executeScript("arguments[0].scrollIntoView({ block: 'center' })", el);
    try {
      await el.click();
      return;
    } catch (e) {
      if (e.name !== "ElementClickInterceptedError" || attempt >= 3) throw e;
      await driver.executeAsyncScript(
        "const done = arguments[arguments.length - 1]; requestAnimationFrame(() => requestAnimationFrame(done));",
      );
    }
  }
}

/** Clicks the `css` element whose text contains `text`. */
export async function clickText(driver, css, text, timeout = TIMEOUT) {
  const el = await findText(driver, css, text, timeout);
  try {
    await scrollAndClick(driver, el);
  } catch (e) {
    const shot = await screenshot(driver, `failed-click-${Date.now()}`, { scrolled: true }).catch(() => "none");
    throw new Error(`clicking ${css} "${text}": ${e.name} ${e.message} (screenshot: ${shot})`);
  }
  return el;
}

/**
 * Types `text` into the field `css`, replacing what it held. A view that re-renders just as the
 * field appears (onboarding swaps its forms when the name is saved) can leave WebKitWebDriver
 * holding an element that is being replaced, which it reports as a bare WebDriverError: then,
 * like a person, look again once the page has painted and type again (3 tries).
 */
export async function type(driver, css, text) {
  for (let attempt = 1; ; attempt++) {
    const el = await find(driver, css);
    try {
      await el.clear();
      await el.sendKeys(text);
      return;
    } catch (e) {
      const transient = e.name === "WebDriverError" || e.name === "StaleElementReferenceError";
      if (!transient || attempt >= 3) throw e;
      await driver.executeAsyncScript(
        `const done = arguments[arguments.length - 1];
         requestAnimationFrame(() => requestAnimationFrame(() => done()));`,
      );
    }
  }
}

export async function choose(driver, selectCss, value) {
  // WebKit does not scroll to an <option> (it has no box of its own): bring the list itself
  // into view first, as a person would before opening it.
  const select = await find(driver, selectCss);
  await driver.executeScript("arguments[0].scrollIntoView({ block: 'center' })", select);
  await click(driver, `${selectCss} option[value="${value}"]`);
}

/** Waits until `fn` (run in the page) returns truthy, and returns that value. */
export async function waitFor(driver, what, script, ...args) {
  return driver.wait(() => driver.executeScript(script, ...args), TIMEOUT, `waiting for ${what}`);
}

/** Calls a shell command the way the UI does (used to stand in for GPS and synced data). */
export async function invoke(driver, cmd, args = {}) {
  const res = await driver.executeAsyncScript(
    `const done = arguments[arguments.length - 1];
     window.__TAURI_INTERNALS__.invoke(arguments[0], arguments[1])
       .then((v) => done({ ok: v }), (e) => done({ err: e }));`,
    cmd,
    args,
  );
  if (res.err !== undefined) throw new Error(`${cmd}: ${JSON.stringify(res.err)}`);
  return res.ok;
}

/** Saves a screenshot (from the top of the page, unless `scrolled`) after two animation frames,
 * so it shows the page as it is now. */
export async function screenshot(driver, name, { scrolled = false } = {}) {
  if (!scrolled) await driver.executeScript("window.scrollTo(0, 0)");
  await driver.executeAsyncScript(
    `const done = arguments[arguments.length - 1];
     requestAnimationFrame(() => requestAnimationFrame(() => done()));`,
  );
  const file = path.join(ARTIFACTS, `${name}.png`);
  fs.writeFileSync(file, Buffer.from(await driver.takeScreenshot(), "base64"));
  return file;
}

const AXE = fs.readFileSync(path.join(here, "../node_modules/axe-core/axe.min.js"), "utf8");

/** Runs axe-core on the page and fails on any serious or critical violation. */
export async function checkA11y(driver, view) {
  const present = await driver.executeScript("return typeof window.axe !== 'undefined'");
  if (!present) await driver.executeScript(AXE);
  const violations = await driver.executeAsyncScript(
    `const done = arguments[arguments.length - 1];
     window.axe.run(document, { resultTypes: ["violations"] })
       .then((r) => done(r.violations
         .filter((v) => v.impact === "serious" || v.impact === "critical")
         .map((v) => ({ id: v.id, impact: v.impact, help: v.help,
                        nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ")) }))))
       .catch((e) => done([{ id: "axe-error", impact: "critical", help: String(e), nodes: [] }]));`,
  );
  if (violations.length > 0) {
    throw new Error(`accessibility problems on ${view}:\n${JSON.stringify(violations, null, 2)}`);
  }
}

/** Onboarding: name this device, then create a group (or continue without one). */
export async function onboard(driver, name, group) {
  await type(driver, "input[name=name]", name);
  await click(driver, "form button[type=submit]");
  await find(driver, "input[name=group]");
  await checkA11y(driver, "onboarding");
  if (group) {
    await type(driver, "input[name=group]", group);
    await click(driver, "form:has(input[name=group]) button[type=submit]");
  } else {
    await clickText(driver, "button", "without a group");
  }
  await find(driver, "nav.tabs");
}

/**
 * Stands in for the phone's GPS: nine fixes a minute apart walking 1.3 km north on the running
 * patrol, then waits until the patrol view shows the distance walked. (The shared track leaves
 * out 100–250 m at each end, so a shorter walk would share nothing.)
 */
export async function walkNorth(driver) {
  const t0 = Date.now();
  const lats = Array.from({ length: 9 }, (_, i) => 45.5145 + i * 0.0015);
  for (const [i, lat] of lats.entries()) {
    const at = new Date(t0 + i * 60_000).toISOString();
    await invoke(driver, "add_fix", { fix: { at, point: { lat, lon: -122.6265 }, accuracyM: 5 } });
  }
  await waitFor(driver, "the distance to update", `
    const t = document.querySelector('[data-testid="distance"]').textContent;
    return !/^0\\s?m$/.test(t.trim()) && t;`);
}

/**
 * Writes a small PNG (a few hundred bytes: a sky-and-street picture, 96×64) into a temp file
 * and returns its path, for a file input to take.
 */
export function writePng(name = "photo") {
  const w = 96;
  const h = 64;
  const rows = [];
  for (let y = 0; y < h; y++) {
    const row = [0]; // filter: none
    for (let x = 0; x < w; x++) {
      if (y < 36) row.push(120 + y, 170 + y, 230); // sky
      else if (x > 30 && x < 60 && y < 50) row.push(180, 60, 40); // a red car
      else row.push(90, 90, 95); // street
    }
    rows.push(Buffer.from(row));
  }
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(zlib.crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  const png = Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", zlib.deflateSync(Buffer.concat(rows))),
    chunk("IEND", Buffer.alloc(0)),
  ]);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "porchlight-e2e-photo-"));
  process.once("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, `${name}.png`);
  fs.writeFileSync(file, png);
  return file;
}

/**
 * Picks `file` in the photo input inside `scopeCss` (as a person choosing a picture would) and
 * waits until the cleaned photo's thumbnail shows there.
 */
export async function attachPhoto(driver, scopeCss, file, blur = [], shot = null) {
  const input = await find(driver, `${scopeCss} input[type=file]`);
  await driver.executeScript("arguments[0].scrollIntoView({ block: 'center' })", input);
  const before = (await driver.findElements(By.css(`${scopeCss} img[data-testid="photo"]`))).length;
  await input.sendKeys(file);
  // The blur step comes first; `blur` boxes are dragged as fractions of the preview.
  const editor = await find(driver, `${scopeCss} [data-testid="blur-editor"] img`);
  for (const [x0, y0, x1, y1] of blur) {
    const r = await editor.getRect();
    const at = (fx, fy) => ({ origin: editor, x: Math.round((fx - 0.5) * r.width), y: Math.round((fy - 0.5) * r.height) });
    await driver.actions({ async: true }).move(at(x0, y0)).press().move(at(x1, y1)).release().perform();
  }
  if (shot) {
    await checkA11y(driver, "blur step");
    await screenshot(driver, shot, { scrolled: true });
  }
  await click(driver, `${scopeCss} [data-testid="photo-use"]`);
  await driver.wait(
    async () => (await driver.findElements(By.css(`${scopeCss} img[data-testid="photo"]`))).length > before,
    TIMEOUT,
    `no photo thumbnail in ${scopeCss}`,
  );
}

/**
 * Onboards `driver` as `name` creating `group` on the test `server` (its URL, pinned
 * certificate and creation token), and waits for the app's tabs.
 */
export async function createGroupOnServer(driver, server, name, group) {
  const { url, fingerprint } = await server.said;
  await type(driver, "input[name=name]", name);
  await click(driver, "form button[type=submit]");
  await type(driver, "input[name=group]", group);
  await type(driver, "input[name=server]", url);
  await type(driver, "input[name=fingerprint]", fingerprint);
  await type(driver, "input[name=creation-token]", CREATION_TOKEN);
  await click(driver, "form:has(input[name=server]) button[type=submit]");
  await find(driver, "nav.tabs");
}

/** Onboards `driver` as `name` joining a group with the invite `code`, and waits for the tabs. */
export async function joinWithCode(driver, name, code) {
  await type(driver, "input[name=name]", name);
  await click(driver, "form button[type=submit]");
  await type(driver, "input[name=code]", code);
  await click(driver, "form:has(input[name=code]) button[type=submit]");
  await find(driver, "nav.tabs");
}

/** Presses the pointer on `css` for `ms` milliseconds and lets go (a long press). */
export async function hold(driver, css, ms) {
  const el = await find(driver, css);
  await driver.executeScript("arguments[0].scrollIntoView({ block: 'center' })", el);
  await driver.actions({ async: true }).move({ origin: el }).press().pause(ms).release().perform();
}

/** The CLI binary, which also runs the sync server. */
export const CLI = process.env.PORCHLIGHT_CLI_BIN ?? path.join(TARGET, "debug/porchlight");

/** The operator's group creation token of the test server (servers refuse groups without one). */
export const CREATION_TOKEN = "e2e-creation-token";

/**
 * Starts `porchlight serve` on a free port, with its default self-signed certificate, and
 * resolves `url` and `fingerprint` with what it prints on its first lines.
 */
export function startServer(dir) {
  const proc = spawn(CLI, ["serve", "--db", `sqlite://${path.join(dir, "server.db")}`, "--listen", "127.0.0.1:0"], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, PORCHLIGHT_GROUP_CREATION_TOKEN: CREATION_TOKEN },
  });
  const log = [];
  proc.stdout.on("data", (d) => log.push(String(d)));
  const said = new Promise((resolve, reject) => {
    let buf = "";
    const timer = setTimeout(() => reject(new Error(`the server never said where it listens:\n${buf}`)), 15_000);
    proc.stderr.on("data", (d) => {
      buf += String(d);
      log.push(String(d));
      const url = buf.match(/porchlight server listening on (https:\/\/127\.0\.0\.1:\d+)/);
      const pin = buf.match(/TLS certificate SHA-256 fingerprint: ([0-9a-f]{64})/);
      if (url && pin) {
        clearTimeout(timer);
        resolve({ url: url[1], fingerprint: pin[1] });
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
    said,
    url: said.then((s) => s.url),
    fingerprint: said.then((s) => s.fingerprint),
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const gone = new Promise((r) => proc.once("exit", r));
      proc.kill("SIGTERM");
      await gone;
    },
  };
}

/**
 * The set-up every multi-device scenario shares: a temporary directory and a real server in it
 * before the tests, and after them every app the scenario `track`ed stopped (last first), the
 * server stopped and the directory removed.
 */
export function serverScenario(name) {
  const apps = [];
  const scenario = {
    tmp: null,
    server: null,
    /** Registers `app` to be stopped after the scenario, and returns it. */
    track(app) {
      apps.push(app);
      return app;
    },
  };
  before(() => {
    scenario.tmp = fs.mkdtempSync(path.join(os.tmpdir(), `porchlight-e2e-${name}-`));
    scenario.server = startServer(scenario.tmp);
  });
  after(async () => {
    for (const app of apps.reverse()) await app.stop();
    await scenario.server?.stop();
    if (scenario.tmp) fs.rmSync(scenario.tmp, { recursive: true, force: true });
  });
  return scenario;
}

/** Waits until the shell's sync status satisfies `ok`, and returns it. */
export async function syncStatusUntil(driver, what, ok) {
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

/** Clicks "Sync now" and waits until the sync it started is recorded and nothing is pending. */
export async function syncNow(d, who) {
  const before = await invoke(d, "sync_status", {});
  await click(d, '[data-testid="sync-now"]');
  await syncStatusUntil(
    d,
    `${who}'s sync to succeed`,
    (s) => s.lastSuccess && s.lastSuccess !== before.lastSuccess && !s.lastError && s.pending === 0,
  );
  await waitFor(d, "the Sync now button to be ready again", `
    const b = document.querySelector('[data-testid="sync-now"]');
    return b && !b.disabled;`);
}

export { By, until };
