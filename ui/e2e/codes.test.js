// Report codes for people who are not members, in two real apps on one real server (TLS with its
// self-signed certificate): the coordinator prints a sheet of codes, a neighbour who never joined
// opens a fresh app, files one anonymous report with a code (at phone size, in Spanish), and the
// report reaches the coordinator's inbox. The same code does not work twice.
import fs from "node:fs";
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  DESKTOP,
  PHONE,
  checkA11y,
  choose,
  click,
  createGroupOnServer,
  find,
  findText,
  screenshot,
  startApp,
  syncNow,
  type,
  waitFor,
  serverScenario,
} from "./harness.js";

const WHAT = "Two people loading bikes from the rack into a white van";

const scenario = serverScenario("codes");


test("report codes: a neighbour who is not a member files one anonymous report with a printed code", async () => {
  const carmen = scenario.track(await startApp(DESKTOP));
  let d = carmen.driver;
  await createGroupOnServer(d, scenario.server, "Carmen", "Elm Street Watch");
  await click(d, 'nav a[data-view="coordinate"]');

  await type(d, "input[name=code-count]", "2");
  await click(d, '[data-testid="report-codes"] button[type=submit]');
  await findText(d, '[data-testid="report-codes"] .ok', "Saved 2 codes");
  const codes = await waitFor(
    d,
    "the codes on the sheet",
    `const items = [...document.querySelectorAll('[data-testid="token-codes"] li')];
     return items.length === 2 ? items.map((li) => li.textContent.trim()) : null;`,
  );
  assert.ok(codes.every((c) => c.startsWith("porchlight-drop:")), codes.join(" "));
  const sheet = await waitFor(
    d,
    "the sheet's path",
    `const p = document.querySelector('[data-testid="report-codes"] .ok');
     const m = p && p.textContent.match(/(\\/\\S+\\.html)/);
     return m ? m[1] : null;`,
  );
  const html = fs.readFileSync(sheet, "utf8");
  assert.equal((html.match(/<svg/g) ?? []).length, 2, "one QR code per code on the printed page");
  await checkA11y(d, "report codes");

  // Nadia has never joined: a fresh app, in Spanish, at phone size.
  const nadia = scenario.track(await startApp(PHONE));
  d = nadia.driver;
  await choose(d, '[data-testid="language"]', "es");
  await click(d, '[data-testid="code-report"]');
  await type(d, "input[name=token-code]", codes[0]);
  await type(d, "textarea[name=description]", WHAT);
  await find(d, '[data-testid="code-anonymous"]');
  await checkA11y(d, "report with a code (es)");
  await screenshot(d, "code-report-phone-es");
  await click(d, '[data-testid="file-report"]');
  await findText(d, '[data-testid="report-filed"]', "el código ya está gastado");

  // The same code again: refused with a reason, and what she typed stays in the form.
  await type(d, "input[name=token-code]", codes[0]);
  await type(d, "textarea[name=description]", "Again");
  await click(d, '[data-testid="file-report"]');
  await find(d, 'section [role="alert"]');
  const kept = await d.executeScript(`return document.querySelector("textarea[name=description]").value`);
  assert.equal(kept, "Again");

  // The report reaches the coordinator's inbox, with no name on it.
  d = carmen.driver;
  await syncNow(d, "Carmen");
  await click(d, '[data-section="reports"]');
  const item = await findText(d, '[data-testid="reports"] li', "white van");
  assert.doesNotMatch(await item.getText(), /Nadia/);
});
