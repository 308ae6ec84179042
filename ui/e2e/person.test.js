// Alerts about people, in three real apps on one real server: a coordinator describes a person
// behaviour first (a description by race alone is refused, with the reason), the alert waits for
// a second coordinator, and a resident's phone shows it only once the second coordinator has
// approved it, marked "confirmed by 2 coordinators".
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
  invoke,
  joinWithCode,
  screenshot,
  startApp,
  syncNow,
  type,
  waitFor,
  serverScenario,
} from "./harness.js";

const TITLE = "Someone trying car doors on Elm";
const DID = "Tried the doors of parked cars along Elm St";

const scenario = serverScenario("person");


/** Opens an app, names the device and joins the group with `code`. */
async function joinWith(size, name, code) {
  const app = scenario.track(await startApp(size));
  await joinWithCode(app.driver, name, code);
  return app;
}

/** Fills the "describes a person" fields of the form in view. */
async function describePerson(d, details) {
  await click(d, '[data-testid="describes-person"]');
  await type(d, "textarea[name=person-did]", DID);
  const inputs = await d.findElements({ css: '[data-testid="person-detail"]' });
  for (const [i, text] of details.entries()) {
    await inputs[i].clear();
    await inputs[i].sendKeys(text);
  }
}

/** Whether the resident's inbox lists the alert. */
async function inboxHas(d) {
  return d.executeScript(
    `return [...document.querySelectorAll('[data-testid="inbox"] li')].some((li) => li.textContent.includes(arguments[0]))`,
    TITLE,
  );
}

test("person alerts: behaviour first, and residents see them only after two coordinators approve", async () => {
  // Carmen creates the group on the server and invites a second coordinator and a resident.
  const carmen = scenario.track(await startApp(DESKTOP));
  let d = carmen.driver;
  await createGroupOnServer(d, scenario.server, "Carmen", "Elm Street Watch");
  const coordCode = await invoke(d, "invite", { role: "coordinator", uses: 1, validDays: 1 });
  const residentCode = await invoke(d, "invite", { role: "resident", uses: 1, validDays: 1 });

  const diego = await joinWith(DESKTOP, "Diego", coordCode);
  const rita = await joinWith(PHONE, "Rita", residentCode);
  await invoke(rita.driver, "set_watch_area", {
    area: { name: "Home", area: { type: "circle", center: { lat: 45.5145, lon: -122.6265 }, radiusM: 800 } },
  });
  // Everyone's certificates reach everyone before the alert goes out.
  for (const [app, who] of [[carmen, "Carmen"], [diego, "Diego"], [rita, "Rita"], [carmen, "Carmen"], [diego, "Diego"]]) {
    await syncNow(app.driver, who);
  }

  // Carmen describes a person by race alone: refused, with the reason, and nothing is issued.
  await click(d, '[data-section="alerts"]');
  await type(d, "input[name=title]", TITLE);
  await type(d, "input[name=lat]", "45.5145");
  await type(d, "input[name=lon]", "-122.6265");
  await describePerson(d, ["Black man", "young"]);
  await click(d, '[data-testid="issue-alert"]');
  await findText(d, "form .error", "at least two details other than race");
  await checkA11y(d, "alert form (person refused)");
  await screenshot(d, "person-refused", { scrolled: true });
  assert.equal((await invoke(d, "list_alerts", { live: false, limit: 10 })).length, 0);

  // With two real details it is issued, and waits for a second coordinator.
  const inputs = await d.findElements({ css: '[data-testid="person-detail"]' });
  await inputs[0].clear();
  await inputs[0].sendKeys("Red hooded jacket, white trainers");
  await inputs[1].clear();
  await inputs[1].sendKeys("Left north on a grey scooter");
  await click(d, '[data-testid="issue-alert"]');
  await findText(d, '[data-testid="alert-list"] li', TITLE);
  await find(d, '[data-testid="awaiting-approval"]');
  await syncNow(d, "Carmen");

  // Rita's phone has synced it, yet neither lists nor announces it.
  d = rita.driver;
  await syncNow(d, "Rita");
  await click(d, 'nav a[data-view="alerts"]');
  await find(d, "#inbox-h");
  assert.equal(await inboxHas(d), false, "held alert shown to a resident");
  assert.equal((await invoke(d, "list_alerts", { live: true, limit: 10 })).length, 0);

  // Diego sees it held, with the description behaviour first, and approves it.
  d = diego.driver;
  await syncNow(d, "Diego");
  await click(d, '[data-section="alerts"]');
  const held = await findText(d, '[data-testid="alert-list"] li', TITLE);
  assert.match(await held.getText(), /What they did: Tried the doors/);
  await checkA11y(d, "alerts awaiting approval");
  await screenshot(d, "person-awaiting-approval", { scrolled: true });
  await click(d, '[data-testid="approve-alert"]');
  await find(d, '[data-testid="confirmed"]');
  await syncNow(d, "Diego");

  // Now Rita's phone shows it, confirmed by two coordinators, behaviour first.
  d = rita.driver;
  await syncNow(d, "Rita");
  await waitFor(d, "the confirmed alert in the inbox", `
    return [...document.querySelectorAll('[data-testid="inbox"] li')]
      .some((li) => li.textContent.includes(arguments[0]) && li.querySelector('[data-testid="confirmed"]'));`, TITLE);
  const shown = await findText(d, '[data-testid="inbox"] li', TITLE);
  assert.match(await shown.getText(), /Confirmed by 2 coordinators/);
  assert.match(await shown.getText(), /Red hooded jacket/);
  await checkA11y(d, "resident inbox with a confirmed person alert");
  await screenshot(d, "person-confirmed-phone");
  // ... and in Spanish.
  await choose(d, '[data-testid="language"]', "es");
  await findText(d, '[data-testid="inbox"] li', "Confirmada por 2 coordinadores");
  await checkA11y(d, "resident inbox in Spanish");
  await screenshot(d, "person-confirmed-phone-es");
});
