// App lock and quick exit on a phone: with a PIN set, the ✕ in the header (or Escape twice)
// hides everything behind the lock screen at once, and only the PIN brings it back.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { By, PHONE, checkA11y, choose, click, find, findText, onboard, screenshot, startApp, type } from "./harness.js";

let app;
before(async () => (app = await startApp(PHONE)));
after(async () => app?.stop());

test("app lock: quick exit hides the app until the PIN is given", async () => {
  const d = app.driver;
  await onboard(d, "Rita", "Elm Street Watch");
  await click(d, 'nav a[data-view="report"]');
  await type(d, "input[name=new-pin]", "2468");
  await type(d, "input[name=new-pin-again]", "2468");
  await click(d, '[data-testid="set-app-lock"]');
  await findText(d, '[data-testid="app-lock-settings"] [role="status"]', "App lock is on");
  await checkA11y(d, "report with app-lock settings");

  // Quick exit: nothing of the app remains on screen.
  await click(d, '[data-testid="quick-exit"]');
  await find(d, '[data-testid="lock-screen"]');
  assert.equal((await d.findElements(By.css("nav.tabs"))).length, 0, "navigation hidden");
  const text = await (await find(d, "body")).getText();
  assert.doesNotMatch(text, /Elm Street Watch/, "group name hidden");
  await checkA11y(d, "lock screen");
  await screenshot(d, "lock-screen");

  // A wrong PIN is refused; the right one opens the app again.
  await type(d, "input[name=pin]", "1111");
  await click(d, '[data-testid="unlock"]');
  await findText(d, '[data-testid="lock-error"]', "not right");
  await type(d, "input[name=pin]", "2468");
  await click(d, '[data-testid="unlock"]');
  await find(d, "nav.tabs");

  // Escape twice is the keyboard's quick exit; the lock screen is in Spanish too.
  await choose(d, '[data-testid="language"]', "es");
  const body = await find(d, "body");
  await body.sendKeys("\uE00C");
  await body.sendKeys("\uE00C");
  await findText(d, '[data-testid="lock-screen"] h1', "bloqueado");
  await screenshot(d, "lock-screen-es");
});
