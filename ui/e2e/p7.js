// P7 (TARGETS.md): the desktop app under Xvfb. `make bench` runs it (`xvfb-run -a node e2e/p7.js`)
// with the release app and CLI; it writes target/bench/P7-desktop.json.
//
// - Cold start on a fresh profile: from the app process's start (its /proc start time) to the
//   web view's first contentful paint, and the resident memory of the app and its WebKit
//   processes once onboarding shows.
// - A coordinator's device holding a demo group of about 10,000 records (`porchlight demo
//   --records`): the same cold start and memory, then what the coordinator does — open each
//   section, scroll the long lists to the end — each timed from the click until two animation
//   frames after the view is there. The group stays interactive when every step is under half a
//   second.
//
// Environment: PORCHLIGHT_APP_BIN (the app), PORCHLIGHT_CLI_BIN (the CLI that fills the demo),
// PORCHLIGHT_BENCH_RECORDS (default 10000), PORCHLIGHT_BENCH_DIR (where the rows go).
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { APP, DESKTOP, ROOT, click, find, startApp } from "./harness.js";

const records = Number.parseInt(process.env.PORCHLIGHT_BENCH_RECORDS ?? "10000", 10);
const CLI = process.env.PORCHLIGHT_CLI_BIN ?? path.join(path.dirname(APP), "porchlight");
const OUT = process.env.PORCHLIGHT_BENCH_DIR ?? path.join(ROOT, "target/bench");
const INTERACTIVE_MS = 500;

const ticksPerSec = 100; // Linux USER_HZ
const bootTime = Number(/btime (\d+)/.exec(fs.readFileSync("/proc/stat", "utf8"))[1]);

/** The app process started for `dataDir` (its environment names the data dir). */
function appPid(dataDir) {
  const real = fs.realpathSync(APP);
  for (const pid of fs.readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    try {
      if (fs.readlinkSync(`/proc/${pid}/exe`) !== real) continue;
      const env = fs.readFileSync(`/proc/${pid}/environ`, "utf8").split("\0");
      if (env.includes(`PORCHLIGHT_DATA_DIR=${dataDir}`)) return Number(pid);
    } catch {
      // gone, or not ours to read
    }
  }
  throw new Error(`no app process for ${dataDir}`);
}

/** Epoch milliseconds at which process `pid` started. */
function startedAt(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (bootTime + Number(fields[19]) / ticksPerSec) * 1000;
}

const rssKib = (pid) => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);

/** The app's resident memory and that of its child processes (WebKit's web and network ones). */
function memory(pid) {
  let children = 0;
  for (const p of fs.readdirSync("/proc").filter((x) => /^\d+$/.test(x))) {
    try {
      const stat = fs.readFileSync(`/proc/${p}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === pid) children += rssKib(Number(p));
    } catch {
      // gone
    }
  }
  return { app: rssKib(pid) / 1024, total: (rssKib(pid) + children) / 1024 };
}

/** Waits two animation frames: what is on screen is then what the DOM says. */
const painted = (d) =>
  d.executeAsyncScript(
    `const done = arguments[arguments.length - 1];
     requestAnimationFrame(() => requestAnimationFrame(() => done()));`,
  );

/** Milliseconds from the process start to the first contentful paint (or first paint). */
async function firstPaint(d, pid) {
  const { origin, paints } = await d.executeScript(
    `return { origin: performance.timeOrigin,
              paints: performance.getEntriesByType("paint").map(e => [e.name, e.startTime]) };`,
  );
  const paint = paints.find(([n]) => n === "first-contentful-paint") ?? paints.find(([n]) => n === "first-paint");
  return paint ? { ms: origin + paint[1] - startedAt(pid), kind: paint[0] } : null;
}

async function coldStart(dataDir, ready) {
  const app = await startApp(DESKTOP, { dataDir });
  await find(app.driver, ready);
  await painted(app.driver);
  const pid = appPid(dataDir);
  const shown = Date.now() - startedAt(pid);
  const paint = await firstPaint(app.driver, pid);
  return { app, pid, shown, paint, mem: memory(pid) };
}

async function timed(d, action) {
  const t = performance.now();
  await action();
  await painted(d);
  return performance.now() - t;
}

const row = (name, value, unit, target, extra = {}) => ({
  id: "P7",
  name,
  value,
  unit,
  reference: null,
  reference_name: null,
  ratio: null,
  target,
  met: null,
  why: "",
  ...extra,
});

const rows = [];
const work = fs.mkdtempSync(path.join(os.tmpdir(), "porchlight-p7-"));
try {
  // A fresh profile: onboarding.
  const fresh = path.join(work, "fresh");
  fs.mkdirSync(fresh);
  const first = await coldStart(fresh, "main");
  await first.app.stop();
  rows.push(
    row("cold start, fresh profile: process start to first paint", first.paint?.ms ?? null, "ms", "reported", {
      why: first.paint ? `${first.paint.kind}; onboarding on screen after ${first.shown.toFixed(0)} ms` : "the web view reported no paint timing",
    }),
    row("memory, fresh profile (app + WebKit processes)", first.mem.total, "MiB", "reported", {
      why: `the app process alone ${first.mem.app.toFixed(0)} MiB`,
    }),
  );

  // A coordinator's device with a large demo group.
  const big = path.join(work, "big");
  const filled = performance.now();
  execFileSync(CLI, ["--data-dir", big, "demo", "--records", String(records)], { stdio: ["ignore", "ignore", "pipe"] });
  console.error(`p7: demo of ${records} records written in ${((performance.now() - filled) / 1000).toFixed(1)} s`);
  const second = await coldStart(big, "nav.tabs");
  const d = second.app.driver;
  const steps = [];
  try {
    for (const section of ["alerts", "patrols", "reports", "map", "hotspots", "overview"]) {
      const ms = await timed(d, async () => {
        await click(d, `[data-section="${section}"]`);
        await find(d, ".leaflet-container");
      });
      steps.push([`open ${section}`, ms]);
      if (section !== "overview" && section !== "map" && section !== "hotspots") {
        const scroll = await timed(d, () => d.executeScript("window.scrollTo(0, document.body.scrollHeight)"));
        steps.push([`scroll ${section} to the end`, scroll]);
      }
    }
    const mem = memory(second.pid);
    const worst = steps.reduce((a, b) => (b[1] > a[1] ? b : a));
    rows.push(
      row(`cold start, ${records}-record group: process start to first paint`, second.paint?.ms ?? null, "ms", "reported", {
        why: second.paint
          ? `${second.paint.kind}; the overview on screen after ${second.shown.toFixed(0)} ms`
          : "the web view reported no paint timing",
      }),
      row(`memory with a ${records}-record group, after every view`, mem.total, "MiB", "reported", {
        why: `the app process alone ${mem.app.toFixed(0)} MiB`,
      }),
      row(`slowest coordinator step, ${records}-record group`, worst[1], "ms", `stays interactive (every step < ${INTERACTIVE_MS} ms)`, {
        met: worst[1] < INTERACTIVE_MS,
        why: steps.map(([n, ms]) => `${n} ${ms.toFixed(0)} ms`).join("; "),
      }),
    );
  } finally {
    await second.app.stop();
  }
} catch (e) {
  console.error(`p7: ${e.stack ?? e}`);
  rows.push(row("desktop app under Xvfb", null, "", "see TARGETS.md", { why: `not run: ${e.message}` }));
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
fs.mkdirSync(OUT, { recursive: true });
fs.writeFileSync(path.join(OUT, "P7-desktop.json"), JSON.stringify(rows, null, 2));
for (const r of rows) console.log(`P7 | ${r.name} | ${r.value === null ? "not run" : r.value.toFixed(1)} ${r.unit} | ${r.why}`);
