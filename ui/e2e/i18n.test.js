// Switching to Spanish changes what is on screen, and the page says it is Spanish.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { PHONE, checkA11y, choose, click, find, findText, onboard, screenshot, startApp, waitFor } from "./harness.js";

let app;
before(async () => (app = await startApp(PHONE)));
after(async () => app?.stop());

test("language: Spanish replaces the visible texts", async () => {
  const d = app.driver;
  await onboard(d, "Lena", null);
  await click(d, 'nav a[data-view="patrol"]');
  await findText(d, "h1", "Patrol");
  await choose(d, '[data-testid="language"]', "es");
  await findText(d, "h1", "Patrulla");
  await findText(d, 'nav a[data-view="report"]', "Informar");
  await findText(d, '[data-testid="start-patrol"]', "Empezar patrulla");
  await findText(d, '[data-testid="pending"]', "pendiente");
  assert.equal(await waitFor(d, "lang=es", "return document.documentElement.lang === 'es' && 'es'"), "es");
  await checkA11y(d, "patrol in Spanish");
  await screenshot(d, "spanish-patrol");
  await click(d, 'nav a[data-view="report"]');
  await find(d, "textarea[name=description]");
  await findText(d, "h1", "Informar de algo");
  await checkA11y(d, "report in Spanish");
  await screenshot(d, "spanish-report");
});
