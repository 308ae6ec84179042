// The P8 reference (TARGETS.md): automerge-repo on Porchlight's join workload, in this run, on
// this machine. Its WebSocket sync server keeps documents on disk; N records are written (half
// alerts of one change, half patrols of five: start, two track chunks, an observation, the end,
// as crates/bench/src/workload.rs writes them) and a fresh client then fetches one document per
// record, 64 at a time, through a byte-counting TCP relay.
//
// The records are written straight into the server's own repo, not pushed by a client: the join
// is what P8 compares, and pushing 10,000 records through a client took 221 s here (TARGETS.md),
// more than `make bench` can afford. `populate_secs` is therefore the local write only.
//
// Usage: node p8.mjs N  -> one JSON line on stdout:
//   {"records", "populate_secs", "join_secs", "join_bytes", "saved_bytes", "version"}

import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { once } from "node:events";

import * as A from "@automerge/automerge";
import { Repo } from "@automerge/automerge-repo";
import {
  NodeWSServerAdapter,
  WebSocketClientAdapter,
} from "@automerge/automerge-repo-network-websocket";
import { NodeFSStorageAdapter } from "@automerge/automerge-repo-storage-nodefs";
import { WebSocketServer } from "ws";

const records = Number.parseInt(process.argv[2] ?? "2000", 10);
const WINDOW = 64;
const log = (...m) => console.error("[automerge-repo]", ...m);

// Deterministic spread of places, like the Rust workload's.
let seed = 0x2545f4914f6cdd1dn;
function unit() {
  seed ^= seed >> 12n;
  seed ^= (seed << 25n) & 0xffffffffffffffffn;
  seed ^= seed >> 27n;
  const x = (seed * 0x2545f4914f6cdd1dn) & 0xffffffffffffffffn;
  return Number(x >> 11n) / 2 ** 53;
}
const point = () => ({ lat: 45.5 + (unit() - 0.5) * 0.3, lon: -122.6 + (unit() - 0.5) * 0.4 });

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "am-repo-bench-"));
const wss = new WebSocketServer({ host: "127.0.0.1", port: 0 });
await once(wss, "listening");
const port = wss.address().port;
const server = new Repo({
  network: [new NodeWSServerAdapter(wss)],
  storage: new NodeFSStorageAdapter(dir),
  peerId: "sync-server",
  sharePolicy: async () => false,
});

// Counts what the server sends the joining client.
let down = 0;
const relay = net.createServer((client) => {
  const upstream = net.connect(port, "127.0.0.1");
  upstream.on("data", (d) => {
    down += d.length;
  });
  client.pipe(upstream);
  upstream.pipe(client);
  client.on("error", () => upstream.destroy());
  upstream.on("error", () => client.destroy());
});
relay.listen(0, "127.0.0.1");
await once(relay, "listening");
const relayPort = relay.address().port;

async function client(name, to) {
  const repo = new Repo({
    network: [new WebSocketClientAdapter(`ws://127.0.0.1:${to}`)],
    peerId: name,
    sharePolicy: async () => true,
  });
  await repo.networkSubsystem.whenReady();
  return repo;
}

// Populate, in the server's own repo (see the top), with the changes a client would make.
const started = performance.now();
const handles = [];
const now = Date.now();
for (let i = 0; i < records; i++) {
  if (i % 2 === 0) {
    handles.push(
      server.create({
        kind: "alert",
        title: `Bench alert ${i}: car break-ins on the block`,
        body: "Several cars were broken into overnight; please keep valuables out of sight.",
        category: "crime",
        severity: "warning",
        area: JSON.stringify({ type: "circle", center: point(), radiusM: 200 + unit() * 800 }),
        issued_at: now,
        expires_at: now + 30 * 86_400_000,
        status: "active",
      }),
    );
  } else {
    const h = server.create({ kind: "patrol", title: `Bench patrol ${i}`, started_at: now, track: [] });
    for (const chunk of [0, 1]) {
      const start = point();
      h.change((d) => {
        for (let s = 0; s < 30; s++) {
          d.track.push({ at: now + (chunk * 30 + s) * 1000, lat: start.lat + s * 1e-5, lon: start.lon });
        }
      });
    }
    h.change((d) => {
      d.observations = [{ at: now, category: "all_clear", note: "Quiet street" }];
    });
    h.change((d) => {
      d.ended_at = now + 75_000;
    });
    handles.push(h);
  }
  if ((i + 1) % Math.max(1, Math.floor(records / 5)) === 0) log(`created ${i + 1}`);
}
await server.flush();
const populateSecs = (performance.now() - started) / 1000;
const savedBytes = handles.reduce((n, h) => n + A.save(h.doc()).length, 0);
log(`populated ${records} in ${populateSecs.toFixed(1)} s`);

// A fresh client fetches every record.
const reader = await client("reader", relayPort);
down = 0;
const joinStarted = performance.now();
const urls = handles.map((h) => h.url);
let next = 0;
async function fetcher() {
  while (next < urls.length) {
    const url = urls[next++];
    const h = await reader.find(url);
    if (!h.doc()?.kind) throw new Error(`${url} arrived without its content`);
  }
}
await Promise.all(Array.from({ length: WINDOW }, fetcher));
const joinSecs = (performance.now() - joinStarted) / 1000;
log(`joined ${records} in ${joinSecs.toFixed(1)} s, ${down} bytes`);

console.log(
  JSON.stringify({
    records,
    populate_secs: populateSecs,
    join_secs: joinSecs,
    join_bytes: down,
    saved_bytes: savedBytes,
    version: JSON.parse(
      fs.readFileSync(new URL("./node_modules/@automerge/automerge-repo/package.json", import.meta.url)),
    ).version,
  }),
);
await reader.shutdown();
await server.shutdown();
relay.close();
wss.close();
fs.rmSync(dir, { recursive: true, force: true });
process.exit(0);
