// A coordinator creates the group, issues an alert on the map, files an anonymous report with a
// photo (phone size), sees it with its photo in the inbox and triages it telling the reporter, on
// a desktop-sized window; then loads the demo neighbourhood for the overview screenshots and
// handles its cases (assignee, outcome on close, history, duplicates merged), keeps a partner
// directory and forwards a case to a partner.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import {
  ARTIFACTS,
  DESKTOP,
  PHONE,
  attachPhoto,
  checkA11y,
  choose,
  click,
  clickText,
  find,
  findText,
  invoke,
  onboard,
  screenshot,
  startApp,
  type,
  waitFor,
  writePng,
} from "./harness.js";

/** Picks `value` in the select `selectCss` inside `scope`, brought into view first (WebKit does
 * not scroll to an option by itself). */
async function pick(d, scope, selectCss, value) {
  const select = await scope.findElement({ css: selectCss });
  await d.executeScript("arguments[0].scrollIntoView({ block: 'center' })", select);
  await (await select.findElement({ css: `option[value="${value}"]` })).click();
}

let app;
before(async () => (app = await startApp(DESKTOP)));
after(async () => app?.stop());

test("coordinator: group, alert, an anonymous report with a photo, triage", async () => {
  const d = app.driver;
  await onboard(d, "Marcus", "Sunnyside Watch");
  await findText(d, '[data-testid="members"] td', "Marcus");
  await checkA11y(d, "coordinator overview");

  await click(d, '[data-section="alerts"]');
  await type(d, "input[name=title]", "Car break-ins overnight");
  await type(d, "textarea[name=body]", "Lock your cars and report anything odd.");
  // Place the circle by clicking the map, as a coordinator would.
  await (await find(d, ".leaflet-container")).click();
  await waitFor(d, "the map click to set the centre", "return document.querySelector('input[name=lat]').value");
  await type(d, "input[name=radius]", "400");
  await click(d, '[data-testid="issue-alert"]');
  await findText(d, '[data-testid="alert-list"] li', "Car break-ins overnight");
  await checkA11y(d, "coordinator alerts");
  await screenshot(d, "coordinator-alert");

  // An anonymous report with a photo comes in, filed here through the report form on a
  // phone-sized window (the form every member has).
  await d.manage().window().setRect(PHONE);
  await click(d, 'nav a[data-view="report"]');
  await choose(d, "select[name=category]", "theft");
  await type(d, "textarea[name=description]", "Parcel taken from a porch on Elm");
  await attachPhoto(d, "form", writePng("porch"));
  assert.equal(await (await find(d, '[data-testid="anonymous"]')).isSelected(), true, "anonymous by default");
  await d.executeScript("document.querySelector('form .picker').scrollIntoView({ block: 'start' }); window.scrollBy(0, -12)");
  await screenshot(d, "report-anonymous", { scrolled: true });
  await click(d, "details.privacy summary");
  await checkA11y(d, "report form");
  await click(d, '[data-testid="file-report"]');
  await findText(d, '[data-testid="report-filed"]', "random delay");
  const receipt = await findText(d, '[data-testid="receipt-list"] li', "Parcel taken");
  assert.match(await receipt.getText(), /Sent anonymously/);
  // No server here: checking for updates says so gently and keeps the list.
  await click(d, '[data-testid="check-receipts"]');
  await findText(d, '[data-testid="receipts"] [role="status"]', "Your reports are listed below");
  await type(d, '[data-testid="followup-text"]', "It was a brown box, taken around noon");
  await click(d, '[data-testid="followup-send"]');
  await findText(d, '[data-testid="receipts"] p.ok', "Added to your report");
  await checkA11y(d, "my reports");
  await d.executeScript("document.querySelector('[data-testid=\"receipts\"]').scrollIntoView({ block: 'start' }); window.scrollBy(0, -12)");
  await screenshot(d, "report-receipts", { scrolled: true });
  await d.manage().window().setRect(DESKTOP);

  await click(d, 'nav a[data-view="coordinate"]');
  await click(d, '[data-section="reports"]');
  const item = await findText(d, '[data-testid="reports"] li', "Parcel taken");
  await item.findElement({ css: '[data-testid="report-photos"] img[data-testid="photo"]' });
  assert.equal(await (await item.findElement({ css: '[data-testid="filed-by"]' })).getText(), "Anonymous");
  await pick(d, item, '[data-testid="status"]', "forwarded");
  await item.findElement({ css: '[data-testid="triage-note"]' }).sendKeys("Passed to the police non-emergency line");
  await item.findElement({ css: '[data-testid="publish"]' }).click();
  await checkA11y(d, "coordinator report with photo");
  await d.executeScript("arguments[0].scrollIntoView({ block: 'start' }); window.scrollBy(0, -80)", item);
  await screenshot(d, "coordinator-report-photo", { scrolled: true });
  await item.findElement({ css: '[data-testid="triage"]' }).click();
  await findText(d, "p.ok", "the reporter will see it");
  await choose(d, "select[name=filter]", "forwarded");
  await findText(d, '[data-testid="reports"] li', "Passed to the police");
  await checkA11y(d, "coordinator reports");
  await screenshot(d, "coordinator-triage");

  const reports = await invoke(d, "list_reports", { status: "forwarded" });
  assert.equal(reports.length, 1);

  // "Delete my reports from this device" asks first, and asks again because an envelope has not
  // left (there is no server here); the group's copy stays with the coordinators.
  await click(d, 'nav a[data-view="report"]');
  await click(d, '[data-testid="forget-start"]');
  await findText(d, '[data-testid="forget"] [role="status"]', "cannot be undone");
  await click(d, '[data-testid="forget-confirm"]');
  await findText(d, '[data-testid="forget"] [role="status"]', "have not been sent yet");
  await checkA11y(d, "delete my reports");
  await click(d, '[data-testid="forget-confirm"]');
  await findText(d, '[data-testid="receipts"] p.ok', "deleted from this device");
  assert.deepEqual(await invoke(d, "my_receipts", {}), []);
  assert.equal((await invoke(d, "list_reports", {})).length, 1);
  await click(d, 'nav a[data-view="coordinate"]');
});

test("coordinator: the demo neighbourhood on the overview and patrol logs", async () => {
  const d = app.driver;
  await click(d, '[data-section="overview"]');
  await clickText(d, "button", "demo neighbourhood");
  await findText(d, "p.ok", "demo neighbourhood is loaded", 120_000);
  await findText(d, '[data-testid="members"] td', "Rosa Delgado");
  await checkA11y(d, "coordinator overview (demo)");
  await screenshot(d, "coordinator-overview");
  await click(d, '[data-section="patrols"]');
  await find(d, '[data-testid="patrol-logs"] li');
  await find(d, ".leaflet-overlay-pane path");
  await checkA11y(d, "coordinator patrol logs");
  await screenshot(d, "coordinator-patrols");
});

test("coordinator: cases of the demo neighbourhood: assign, history, outcome, duplicates", async () => {
  const d = app.driver;
  // Two reports of one incident, a few steps and fifteen minutes apart.
  const at = new Date(Date.now() - 30 * 60_000).toISOString();
  const file = (description, lon) =>
    invoke(d, "file_report", {
      report: {
        category: "vandalism",
        description,
        occurredAt: at,
        location: { lat: 45.5301, lon },
        precision: "exact",
        photos: [],
        person: null,
      },
      anonymous: false,
    });
  const first = await file("Bus shelter glass smashed", -122.6301);
  const second = await file("Someone broke the bus shelter", -122.6302);
  const pairs = await invoke(d, "duplicate_suggestions", {});
  assert.ok(pairs.some((p) => [p.first, p.second].includes(first.report) && [p.first, p.second].includes(second.report)));

  await click(d, '[data-section="reports"]');
  await choose(d, "select[name=filter]", "new");
  // Merge the second into the first from the suggestion under the first.
  const mine = `[data-testid="reports"] li[data-report="${first.report}"]`;
  const item = await find(d, mine);
  await (await item.findElement({ css: '[data-testid="duplicates"] [data-testid="merge"]' })).click();
  await findText(d, "p.ok", "Merged into this case");
  const open = (await invoke(d, "list_cases", { filter: { status: "new" } })).rows;
  assert.ok(!open.some((r) => r.id === second.report), "the merged report left the open list");
  assert.deepEqual(open.find((r) => r.id === first.report).merged, [second.report]);

  // Assign it, make it urgent, then try to close it without an outcome: refused.
  const merged = await find(d, mine);
  const members = (await invoke(d, "group", {})).members.filter((m) => m.role === "volunteer");
  await pick(d, merged, '[data-testid="assignee"]', members[0].device);
  await findText(d, "p.ok", "Saved");
  const again = await find(d, mine);
  await pick(d, again, '[data-testid="priority"]', "urgent");
  await findText(d, `${mine} [data-testid="priority-badge"]`, "Urgent");
  const closing = await find(d, mine);
  await pick(d, closing, '[data-testid="status"]', "closed");
  await (await closing.findElement({ css: '[data-testid="triage"]' })).click();
  await findText(d, "p.error", "Choose how the case ended");
  assert.equal((await invoke(d, "show_report", { id: first.report })).status, "new", "nothing was closed");
  await pick(d, closing, '[data-testid="outcome"]', "referred");
  await (await closing.findElement({ css: '[data-testid="triage"]' })).click();
  await findText(d, "p.ok", "Marked as");
  const closed = await invoke(d, "show_report", { id: first.report });
  assert.equal(closed.status, "closed");
  assert.equal(closed.outcome, "referred");

  // Its history, from the triage document's own changes, names the coordinator each time.
  await choose(d, "select[name=filter]", "closed");
  const done = await find(d, mine);
  await (await done.findElement({ css: '[data-testid="history-toggle"]' })).click();
  await findText(d, '[data-testid="case-history"] li', "merged in");
  await findText(d, '[data-testid="case-history"] li', members[0].name);
  await findText(d, '[data-testid="case-history"] li', "Referred to others");
  const history = await invoke(d, "case_history", { report: first.report });
  assert.equal(history.length, 4);
  assert.ok(history.every((e) => e.byName === history[0].byName && e.byName));

  // The demo's old open cases are overdue.
  await choose(d, "select[name=filter]", "");
  await click(d, "input[name=overdue-only]");
  await find(d, '[data-testid="reports"] li [data-testid="overdue"]');
  const overdue = (await invoke(d, "list_cases", { filter: { overdueOnly: true } })).rows;
  assert.ok(overdue.length > 0 && overdue.every((r) => r.overdue && !["closed", "dismissed"].includes(r.status)));
  await click(d, "input[name=overdue-only]");

  await choose(d, "select[name=filter]", "closed");
  const shown = await find(d, mine);
  await find(d, '[data-testid="case-history"] li');
  await checkA11y(d, "case history");
  await d.executeScript("arguments[0].scrollIntoView({ block: 'start' }); window.scrollBy(0, -80)", shown);
  await screenshot(d, "coordinator-case-history", { scrolled: true });
});

test("coordinator: a partner directory, and a case forwarded to a partner", async () => {
  const d = app.driver;
  await click(d, '[data-section="partners"]');
  const add = async (kind, name, organisation, contacts) => {
    await choose(d, "select[name=partner-kind]", kind);
    await type(d, "input[name=partner-name]", name);
    if (organisation) await type(d, "input[name=partner-organisation]", organisation);
    for (const [i, [channel, value]] of contacts.entries()) {
      if (i > 0) await clickText(d, '[data-testid="partner-form"] button', "Add a contact");
      await choose(d, `select[name=contact-kind-${i}]`, channel);
      await type(d, `input[name=contact-value-${i}]`, value);
    }
    await click(d, '[data-testid="partner-save"]');
    await findText(d, '[data-testid="partners"] p.ok', `${name} added`);
  };
  await add("police_liaison", "Officer Dana Ruiz", "Eastside Precinct", [
    ["phone", "+1 503 555 0100"],
    ["email", "d.ruiz@pd.example.org"],
  ]);
  await add("school", "Lincoln Elementary", "", [["address", "1200 NE Lincoln St"]]);
  await add("business", "Corner Market", "", [["note", "Ask for the manager"]]);
  // A bad e-mail address is refused with the reason, and nothing is added.
  await choose(d, "select[name=partner-kind]", "other");
  await type(d, "input[name=partner-name]", "Someone");
  await choose(d, "select[name=contact-kind-0]", "email");
  await type(d, "input[name=contact-value-0]", "not an address");
  await click(d, '[data-testid="partner-save"]');
  await findText(d, '[data-testid="partners"] p.error', "e-mail");
  assert.equal((await invoke(d, "list_partners", {})).length, 3);
  // Edit the school (an organisation added), remove the market.
  const school = (await invoke(d, "list_partners", {})).find((p) => p.name === "Lincoln Elementary");
  const schoolItem = await find(d, `[data-partner="${school.id}"]`);
  await (await schoolItem.findElement({ css: '[data-testid="partner-edit"]' })).click();
  await type(d, "input[name=partner-organisation]", "Portland Public Schools");
  await click(d, '[data-testid="partner-save"]');
  await findText(d, '[data-testid="partners"] p.ok', "Lincoln Elementary saved");
  await findText(d, `[data-partner="${school.id}"]`, "Portland Public Schools");
  const market = (await invoke(d, "list_partners", {})).find((p) => p.name === "Corner Market");
  await d.executeScript("window.confirm = () => true");
  await (await (await find(d, `[data-partner="${market.id}"]`)).findElement({ css: '[data-testid="partner-remove"]' })).click();
  await findText(d, '[data-testid="partners"] p.ok', "Corner Market removed");
  const partners = await invoke(d, "list_partners", {});
  assert.deepEqual(
    partners.map((p) => p.name),
    ["Lincoln Elementary", "Officer Dana Ruiz"],
  );
  await checkA11y(d, "partners");
  await screenshot(d, "coordinator-partners");

  // A report with a photo, forwarded to the police liaison from the inbox.
  const png = fs.readFileSync(writePng("forward-photo")).toString("base64");
  const photo = await invoke(d, "add_photo", { data: png, blur: [] });
  const filed = await invoke(d, "file_report", {
    report: {
      category: "theft",
      description: "Catalytic converter sawn off a parked van",
      occurredAt: new Date(Date.now() - 20 * 60_000).toISOString(),
      location: { lat: 45.5312, lon: -122.6288 },
      precision: "100m",
      photos: [photo.hash],
      person: null,
    },
    anonymous: false,
  });
  const dana = partners.find((p) => p.name === "Officer Dana Ruiz");
  await click(d, '[data-section="reports"]');
  await choose(d, "select[name=filter]", "");
  const mine = `[data-testid="reports"] li[data-report="${filed.report}"]`;
  const item = await find(d, mine);
  await pick(d, item, '[data-testid="forward-partner"]', dana.id);
  await (await item.findElement({ css: '[data-testid="forward-send"]' })).click();
  const ok = await findText(d, "p.ok", "Forwarded to Officer Dana Ruiz");
  await findText(d, `${mine} [data-testid="case-history"] li`, "forwarded to Officer Dana Ruiz");
  assert.equal((await invoke(d, "show_report", { id: filed.report })).status, "forwarded");
  const history = await invoke(d, "case_history", { report: filed.report });
  assert.deepEqual(history.at(-1).changes.at(-1), { field: "forwarded", partner: dana.id, name: "Officer Dana Ruiz" });

  // The saved packet: the report and its photo, not who filed it.
  const [, htmlPath, geoPath] = (await ok.getText()).match(/Saved (.+\.html) and (.+\.geojson)\./);
  const html = fs.readFileSync(htmlPath, "utf8");
  const geo = JSON.parse(fs.readFileSync(geoPath, "utf8"));
  assert.ok(html.includes("Catalytic converter sawn off a parked van"));
  assert.ok(html.includes('<img src="data:image/jpeg;base64,'));
  assert.equal(geo.features[0].properties.photos.length, 1);
  const me = await invoke(d, "whoami", {});
  for (const text of [html, JSON.stringify(geo)]) {
    assert.ok(!text.includes(me.deviceId), "the packet names the reporter's device");
    assert.ok(!text.includes(me.publicKey), "the packet holds the reporter's key");
    assert.ok(!text.includes(filed.report), "the packet holds the report id");
  }
  await checkA11y(d, "forwarded case");
  const shown = await find(d, mine);
  await d.executeScript("arguments[0].scrollIntoView({ block: 'start' }); window.scrollBy(0, -80)", shown);
  await screenshot(d, "coordinator-forward", { scrolled: true });
});

test("coordinator: hotspots of the demo neighbourhood, nothing under k", async () => {
  const d = app.driver;
  await click(d, '[data-section="hotspots"]');
  await find(d, '[data-testid="week-heat"]');
  await choose(d, "select[name=hotspot-period]", "0");
  const h = await invoke(d, "hotspots", { from: null, to: null, category: null, utcOffsetMinutes: 0 });
  assert.ok(h.total > 0, "the demo has reports");
  assert.ok(h.cells.every((c) => c.count >= h.k), "a cell under k was returned");
  assert.ok(h.week.every((c) => c.count >= h.k), "an hour under k was returned");
  if (h.cells.length > 0) await find(d, '[data-testid="hotspot-cells"] li');
  await checkA11y(d, "hotspots");
  await screenshot(d, "coordinator-hotspots");
});

test("coordinator: the incident map of the demo neighbourhood, filtered and clustered; the inbox pages", async () => {
  const d = app.driver;
  await click(d, '[data-section="map"]');
  await find(d, '[data-testid="incident-legend"]');
  // What the core gathers at a neighbourhood-wide zoom: every report and alert in a cluster or
  // alone, and the legend's counts are the core's.
  const whole = await invoke(d, "incident_map", { query: { zoom: 13 } });
  assert.ok(whole.reportCount > 0 && whole.alertCount > 0, "the demo has reports and alerts");
  const gathered = whole.clusters.reduce((n, c) => n + c.reports + c.alerts, 0);
  assert.equal(gathered + whole.reports.length + whole.alerts.length, whole.reportCount + whole.alertCount);
  assert.ok(whole.clusters.length > 0, "nothing clustered at zoom 13");
  // One zone (which also leaves out the alert the first story issued far away): the legend
  // follows the core's count for it, and close markers are drawn as clusters.
  await waitFor(
    d,
    "the group's zones in the filter",
    "return !!document.querySelector('select[name=incidents-zone] option[value=\"Park beat\"]')",
  );
  await choose(d, "select[name=incidents-zone]", "Park beat");
  await waitFor(d, "clusters on the map", "return document.querySelectorAll('.map-cluster').length > 0");
  const from = await d.executeScript("return document.querySelector('input[name=incidents-from]').value");
  const to = await d.executeScript("return document.querySelector('input[name=incidents-to]').value");
  const [fy, fm, fd] = from.split("-").map(Number);
  const [ty, tm, td] = to.split("-").map(Number);
  const park = await invoke(d, "incident_map", {
    query: {
      zone: "Park beat",
      from: new Date(fy, fm - 1, fd).toISOString(),
      to: new Date(ty, tm - 1, td + 1).toISOString(),
      zoom: 15,
    },
  });
  assert.ok(park.reportCount < whole.reportCount, "a zone holds fewer reports than the whole map");
  await findText(d, '[data-testid="incident-legend"] li', `Reports: ${park.reportCount}`);
  await findText(d, '[data-testid="incident-legend"] li', `Patrols: ${park.patrolCount}`);
  // Settled once the view has been fitted to the zone and the clusters of that zoom drawn: the
  // tracks and single markers are then there too. They are drawn on one canvas, so the map says
  // how many it drew, and the canvas must show them: pixels in the tracks' and reports' colours
  // (the grid lines are grey).
  await waitFor(
    d,
    "the zone's markers and tracks on the map's canvas",
    `const map = document.querySelector('[data-testid=incident-map] .map');
     const [, tracks, points] = (map?.dataset.drawn ?? "0 0 0 0").split(" ").map(Number);
     const canvas = map?.querySelector('.leaflet-overlay-pane canvas');
     if (!canvas || tracks + points <= 5) return false;
     const px = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
     let coloured = 0;
     for (let i = 0; i < px.length; i += 4) {
       if (px[i + 3] > 0 && Math.abs(px[i] - px[i + 1]) + Math.abs(px[i + 1] - px[i + 2]) > 60) coloured += 1;
     }
     return coloured > 200;`,
  );
  await checkA11y(d, "incident map");
  await screenshot(d, "coordinator-incident-map");
  await choose(d, "select[name=incidents-zone]", "");

  // The inbox shows 50 cases at a time and the next 50 on request.
  await click(d, '[data-section="reports"]');
  await choose(d, "select[name=filter]", "");
  const all = await invoke(d, "list_cases", { filter: { limit: 50 } });
  assert.equal(all.rows.length, 50);
  assert.ok(all.next, "the demo has more than 50 cases");
  await waitFor(
    d,
    "50 cases and a way to the next ones",
    "return document.querySelectorAll('[data-testid=reports] > li').length === 50 && !!document.querySelector('[data-testid=reports-more]')",
  );
  await click(d, '[data-testid="reports-more"]');
  await waitFor(d, "more cases", "return document.querySelectorAll('[data-testid=reports] > li').length > 50");

  // The overdue times are set in the app, per priority, and the core keeps them.
  await click(d, '[data-testid="due-times"] button[aria-expanded]');
  await type(d, "input[name=due-urgent]", "12");
  await click(d, '[data-testid="due-times"] button[type=submit]');
  await findText(d, '[data-testid="due-times"] [role="status"]', "Saved");
  assert.equal((await invoke(d, "due_hours", {})).urgent, 12);
});

test("coordinator: measures of success of the demo neighbourhood, attendance recorded", async () => {
  const d = app.driver;
  // A meeting held yesterday, to record who came.
  const held = new Date(Date.now() - 86_400_000);
  const meeting = await invoke(d, "issue_alert", {
    alert: {
      title: "Spring safety meeting",
      body: "",
      category: "meeting",
      severity: "info",
      area: { type: "circle", center: { lat: 45.5145, lon: -122.6265 }, radiusM: 500 },
      issuedAt: new Date(held.getTime() - 3 * 86_400_000).toISOString(),
      expiresAt: null,
      meeting: { startsAt: held.toISOString(), place: "Sunnyside Library" },
      person: null,
    },
  });
  await click(d, '[data-section="measures"]');
  await find(d, '[data-testid="measures-totals"]');
  const from = new Date(Date.now() - 27 * 86_400_000).toISOString();
  const to = new Date(Date.now() + 86_400_000).toISOString();
  const m = await invoke(d, "measures", { from, to, zone: null, step: "week", utcOffsetMinutes: 0 });
  assert.ok(m.totals.patrols > 0 && m.totals.patrolHours > 0, "the demo has patrols in the last 4 weeks");
  assert.ok(m.trend.length >= 4, "one trend row per week");
  assert.ok(m.coverage.every((c) => c.share >= 0 && c.share <= 1));
  await find(d, '[data-testid="measures-trend"] tbody tr');
  await find(d, '[data-testid="measures-chart"] rect');
  // Durations read in human units, never a pile of minutes.
  const times = await (await find(d, '[data-testid="measures-times"]')).getText();
  assert.doesNotMatch(times, /\d{3,}\s?min/, times);
  // Record the attendance of yesterday's meeting from the view.
  const item = `[data-meeting="${meeting.id}"]`;
  await findText(d, item, "Spring safety meeting");
  await type(d, `${item} input[name=attendance-count]`, "23");
  await click(d, `${item} button[type=submit]`);
  await findText(d, item, "23 people came");
  const again = await invoke(d, "measures", { from, to, zone: null, step: "week", utcOffsetMinutes: 0 });
  assert.equal(again.meetings.find((x) => x.alert === meeting.id).attendance.count, 23);
  await checkA11y(d, "measures");
  await screenshot(d, "coordinator-measures");
});

test("coordinator: the meeting summary of the period shown, as a PDF and a web page", async () => {
  const d = app.driver;
  await click(d, '[data-section="measures"]');
  await find(d, '[data-testid="measures-totals"]');
  await click(d, '[data-testid="meeting-summary"]');
  const saved = await (await findText(d, '[data-testid="meeting-summary-saved"]', ".pdf", 60_000)).getText();
  const pdf = saved.match(/(\S+\.pdf)\b/)?.[1];
  const html = saved.match(/(\S+\.html)\b/)?.[1];
  assert.ok(pdf && html, saved);
  assert.equal(fs.readFileSync(pdf).subarray(0, 5).toString(), "%PDF-");
  const page = fs.readFileSync(html, "utf8");
  assert.match(page, /<html lang="en">/);
  assert.match(page, /Meeting summary/);
  // Whatever the demo's reports, every hotspot drawn has at least k of them.
  const k = await invoke(d, "hotspot_k");
  for (const [, n] of page.matchAll(/data-count="(\d+)"/g)) assert.ok(Number(n) >= k, `a cell of ${n} under k = ${k}`);
  // The PDF's first page as a picture for the docs (pdftoppm from poppler-utils, in
  // scripts/apt-packages.txt).
  const out = spawnSync("pdftoppm", ["-png", "-r", "70", "-f", "1", "-l", "1", "-singlefile", pdf, path.join(ARTIFACTS, "summary-pdf")]);
  assert.equal(out.status, 0, `pdftoppm: ${out.error ?? out.stderr}`);
  assert.ok(fs.statSync(path.join(ARTIFACTS, "summary-pdf.png")).size > 10_000);
});
