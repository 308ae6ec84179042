// A volunteer logs a patrol with two observations, one with a photo, on a phone-sized window.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { PHONE, attachPhoto, checkA11y, choose, click, find, findText, invoke, onboard, screenshot, startApp, type, walkNorth, writePng } from "./harness.js";

let app;
before(async () => (app = await startApp(PHONE)));
after(async () => app?.stop());

test("volunteer: a patrol with a route and two observations, one with a photo", async () => {
  const d = app.driver;
  await onboard(d, "Rosa", null);
  await click(d, 'nav a[data-view="patrol"]');
  await type(d, "input[name=title]", "Evening round");
  await checkA11y(d, "patrol (idle)");
  await click(d, '[data-testid="start-patrol"]');
  await find(d, '[data-testid="distance"]');

  await walkNorth(d);

  await choose(d, "select[name=category]", "suspicious_vehicle");
  await type(d, "textarea[name=note]", "Grey van idling by the school");
  // The van's number plate is blurred before the photo is taken in.
  await attachPhoto(d, "form:has(textarea[name=note])", writePng("van"), [[0.2, 0.55, 0.6, 0.8]], "volunteer-blur-plate");
  await click(d, '[data-testid="add-observation"]');
  const van = await findText(d, '[data-testid="observations"] li', "Grey van");
  await van.findElement({ css: 'img[data-testid="photo"]' });
  await choose(d, "select[name=category]", "lighting");
  await type(d, "textarea[name=note]", "Street light out on Elm");
  await click(d, '[data-testid="add-observation"]');
  await findText(d, '[data-testid="observations"] li', "Street light");
  assert.equal((await d.findElements({ css: '[data-testid="observations"] li' })).length, 2);
  await checkA11y(d, "patrol (running)");
  await screenshot(d, "volunteer-patrol-running");
  await d.executeScript("document.querySelector('[data-testid=\"observations\"]').scrollIntoView({ block: 'start' }); window.scrollBy(0, -60)");
  await screenshot(d, "volunteer-observation-photo", { scrolled: true });

  await click(d, '[data-testid="end-patrol"]');
  const done = await findText(d, '[data-testid="history"] li', "Evening round");
  assert.match(await done.getText(), /2 observations/);
  await checkA11y(d, "patrol (history)");
  await screenshot(d, "volunteer-patrol-history");

  const patrols = (await invoke(d, "list_patrols", { filter: {} })).rows;
  assert.equal(patrols[0].observations, 2);
  const detail = await invoke(d, "show_patrol", { id: patrols[0].id });
  assert.equal(detail.observations.filter((o) => o.photos.length === 1).length, 1);
  // 1.3 km walked; at most 250 m at each end are left out of the shared track.
  assert.ok(patrols[0].distanceM > 600, `distance ${patrols[0].distanceM}`);

  // A private place (home): a bad radius is impossible to pick, a missing place is explained,
  // and the saved place stays on this phone.
  const zones = '[data-testid="privacy-zones"]';
  await d.executeScript(`document.querySelector('${zones}').scrollIntoView({ block: 'start' })`);
  await click(d, '[data-testid="add-zone"]');
  await findText(d, `${zones} [role=alert]`, "Enter a latitude and longitude");
  await type(d, "input[name=zone-name]", "Home");
  await type(d, "input[name=zone-lat]", "45.5150");
  await type(d, "input[name=zone-lon]", "-122.6265");
  await choose(d, "select[name=zone-radius]", "250");
  await click(d, '[data-testid="add-zone"]');
  await findText(d, `${zones} [role=status]`, "Private place saved");
  await findText(d, `${zones} li`, "Home");
  const saved = await invoke(d, "privacy_zones", {});
  assert.deepEqual(saved, [{ name: "Home", center: { lat: 45.515, lon: -122.6265 }, radiusM: 250 }]);
  await checkA11y(d, "private places");
  await screenshot(d, "volunteer-privacy-zones", { scrolled: true });

  // In Spanish, on another round: the check-in timer runs, with "I'm OK" and the SOS button.
  await choose(d, '[data-testid="language"]', "es");
  await type(d, "input[name=title]", "Ronda de noche");
  await click(d, '[data-testid="start-patrol"]');
  await click(d, '[data-testid="start-check-ins"]');
  await findText(d, '[data-testid="check-in-due"]', "Próximo aviso");
  await click(d, '[data-testid="check-in"]');
  const state = await invoke(d, "check_in_state", {});
  assert.equal(state.everySecs, 30 * 60);
  await d.executeScript("document.querySelector('[data-testid=\"patrol-safety\"]').scrollIntoView({ block: 'start' })");
  await checkA11y(d, "patrol safety in Spanish");
  await screenshot(d, "volunteer-safety-es", { scrolled: true });
  await findText(d, '[data-testid="privacy-zones"] li', "Home");
  await d.executeScript(`document.querySelector('${zones}').scrollIntoView({ block: 'start' })`);
  await screenshot(d, "volunteer-privacy-zones-es", { scrolled: true });

  // The report form in Spanish at phone size: a person described behaviour first, and a photo
  // whose number plate is blurred before it is taken in.
  await click(d, 'nav a[data-view="report"]');
  await type(d, "textarea[name=description]", "Alguien probaba las puertas de los coches");
  await click(d, '[data-testid="describes-person"]');
  await type(d, "textarea[name=person-did]", "Probó las puertas de coches aparcados");
  const details = await d.findElements({ css: '[data-testid="person-detail"]' });
  await details[0].sendKeys("Chaqueta roja con capucha");
  await details[1].sendKeys("Se fue hacia el parque");
  await d.executeScript("document.querySelector('[data-testid=\"person-fields\"]').scrollIntoView({ block: 'start' })");
  await checkA11y(d, "report with a person in Spanish");
  await screenshot(d, "report-person-es", { scrolled: true });
  await attachPhoto(d, "form:has(textarea[name=description])", writePng("coche"), [[0.25, 0.5, 0.65, 0.8]], "report-blur-es");
  await click(d, '[data-testid="file-report"]');
  await find(d, '[data-testid="report-filed"]');
});
