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
//   Each step is also timed until it has settled: every command the view asked for answered
//   (ui/src/lib/api.ts counts those in flight) and painted. The row lists, per step, the
//   commands it waited for and how long each took to answer as the page saw it.
//
// Environment: PORCHLIGHT_APP_BIN (the app), PORCHLIGHT_CLI_BIN (the CLI that fills the demo),
// PORCHLIGHT_BENCH_RECORDS (default 10000), PORCHLIGHT_BENCH_DIR (where the rows go). When
// working on it: PORCHLIGHT_BENCH_DEMO names a data dir to keep the demo group in (filled on
// the first run, reused after), and PORCHLIGHT_BENCH_COORD_ONLY=1 skips the fresh-profile start.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { APP, DESKTOP, ROOT, click, find, startApp } from "./harness.js";

const records = Number.parseInt(process.env.PORCHLIGHT_BENCH_RECORDS ?? "10000", 10);
const CLI = process.env.PORCHLIGHT_CLI_BIN ?? path.join(path.dirname(APP), "porchlight");
const OUT = process.env.PORCHLIGHT_BENCH_DIR ?? path.join(ROOT, "target/bench");
const INTERACTIVE_MS = 500;
const KEPT_DEMO = process.env.PORCHLIGHT_BENCH_DEMO ? path.resolve(process.env.PORCHLIGHT_BENCH_DEMO) : null;
const COORD_ONLY = process.env.PORCHLIGHT_BENCH_COORD_ONLY === "1";

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

/** The page's clock, to pick out the commands a step asked for. */
const pageNow = (d) => d.executeScript("return performance.now();");

/**
 * Waits until no command is in flight over two painted frames in a row (the view has every
 * answer it asked for, drawn), then returns the commands asked for since `since`.
 */
const settled = (d, since) =>
  d.executeAsyncScript(
    `const since = arguments[0];
     const done = arguments[arguments.length - 1];
     const calls = window.__porchlightCalls;
     let quiet = 0;
     const frame = () => {
       quiet = !calls || calls.pending === 0 ? quiet + 1 : 0;
       if (quiet >= 2) done((calls?.done ?? []).filter((c) => c.at >= since));
       else requestAnimationFrame(frame);
     };
     requestAnimationFrame(frame);`,
    since,
  );

/** A step: timed to the first sign of the view (`shown`), then on until it has settled. */
async function step(d, action) {
  // Every frame's time from here on, to find the long ones.
  await d.executeScript(
    `window.__frames = [];
     const tick = (t) => { window.__frames.push(t); if (window.__frames.length < 2000) requestAnimationFrame(tick); };
     requestAnimationFrame(tick);`,
  );
  const since = await pageNow(d);
  const t = performance.now();
  await action();
  await painted(d);
  const shown = performance.now() - t;
  const asked = await settled(d, since);
  const settledMs = performance.now() - t;
  // The maps' own timings (Map.svelte): how long each drawing took, and when it began.
  const draws = await d.executeScript(
    `return performance.getEntriesByName("map: draw")
       .filter((e) => e.startTime >= arguments[0])
       .map((e) => ({ at: e.startTime - arguments[0], ms: e.duration, drawn: e.detail }));`,
    since,
  );
  // Frames that took over 50 ms: the page was busy (scripts, layout or painting) that long.
  const longFrames = await d.executeScript(
    `const f = window.__frames; const out = [];
     for (let i = 1; i < f.length; i++) if (f[i] - f[i - 1] > 50) out.push([f[i - 1] - arguments[0], f[i] - f[i - 1]]);
     return out;`,
    since,
  );
  return { shown, settled: settledMs, asked, draws, longFrames };
}

const drawsText = (draws) =>
  draws.length ? `; map drawn ${draws.map((x) => `at ${x.at.toFixed(0)} ms in ${x.ms.toFixed(0)} ms (${x.drawn})`).join(", ")}` : "";

const askedText = (asked) => asked.map((c) => `${c.cmd} ${c.ms.toFixed(0)}`).join(", ");

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
  const first = COORD_ONLY ? null : await coldStart(fresh, "main");
  await first?.app.stop();
  if (first) rows.push(
    row("cold start, fresh profile: process start to first paint", first.paint?.ms ?? null, "ms", "reported", {
      why: first.paint ? `${first.paint.kind}; onboarding on screen after ${first.shown.toFixed(0)} ms` : "the web view reported no paint timing",
    }),
    row("memory, fresh profile (app + WebKit processes)", first.mem.total, "MiB", "reported", {
      why: `the app process alone ${first.mem.app.toFixed(0)} MiB`,
    }),
  );

  // A coordinator's device with a large demo group.
  const big = KEPT_DEMO ?? path.join(work, "big");
  if (!KEPT_DEMO || !fs.existsSync(big)) {
    const filled = performance.now();
    execFileSync(CLI, ["--data-dir", big, "demo", "--records", String(records)], { stdio: ["ignore", "ignore", "pipe"] });
    console.error(`p7: demo of ${records} records written in ${((performance.now() - filled) / 1000).toFixed(1)} s`);
  }
  const second = await coldStart(big, "nav.tabs");
  const d = second.app.driver;
  const steps = [];
  const settledSteps = [];
  try {
    // The overview is on screen already; let its first loads finish before the clock starts.
    await settled(d, 0);
    for (const section of ["alerts", "patrols", "reports", "map", "hotspots", "overview"]) {
      const open = await step(d, async () => {
        await click(d, `[data-section="${section}"]`);
        await find(d, ".leaflet-container");
      });
      steps.push([`open ${section}`, open.shown]);
      settledSteps.push([`open ${section}`, open.settled, open.asked]);
      console.error(`p7: open ${section}: shown ${open.shown.toFixed(0)} ms, settled ${open.settled.toFixed(0)} ms (${askedText(open.asked)}${drawsText(open.draws)}${open.longFrames.length ? `; long frames ${open.longFrames.map(([at, ms]) => `${ms.toFixed(0)} ms at ${at.toFixed(0)}`).join(", ")}` : ""})`);
      if (section !== "overview" && section !== "map" && section !== "hotspots") {
        const scroll = await step(d, () => d.executeScript("window.scrollTo(0, document.body.scrollHeight)"));
        steps.push([`scroll ${section} to the end`, scroll.shown]);
        settledSteps.push([`scroll ${section} to the end`, scroll.settled, scroll.asked]);
        console.error(`p7: scroll ${section}: shown ${scroll.shown.toFixed(0)} ms, settled ${scroll.settled.toFixed(0)} ms`);
      }
    }
    const mem = memory(second.pid);
    const worst = steps.reduce((a, b) => (b[1] > a[1] ? b : a));
    const worstSettled = settledSteps.reduce((a, b) => (b[1] > a[1] ? b : a));
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
        why: `${path.relative(ROOT, APP)}: ${steps.map(([n, ms]) => `${n} ${ms.toFixed(0)} ms`).join("; ")}`,
      }),
      row(`slowest coordinator step until settled, ${records}-record group`, worstSettled[1], "ms", `every answer painted < ${INTERACTIVE_MS} ms`, {
        met: worstSettled[1] < INTERACTIVE_MS,
        why: settledSteps.map(([n, ms, asked]) => `${n} ${ms.toFixed(0)} ms${asked.length ? ` (${askedText(asked)})` : ""}`).join("; "),
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
