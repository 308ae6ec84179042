// The photo step at phone size, in Spanish: "Find faces" on a real group photo marks the faces as
// boxes to blur, and the brush paints over what boxes cannot follow; both go through the same
// intake that strips metadata, and the stored photos come back.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { PHONE, checkA11y, choose, click, find, findText, onboard, screenshot, startApp, writePng, By } from "./harness.js";

let app;
before(async () => (app = await startApp(PHONE)));
after(async () => app?.stop());

/**
 * The group photo that ships inside the face detector's crates.io package (the 1927 Solvay
 * conference, 29 people), from Cargo's registry: nothing of it is copied into this repository.
 */
function groupPhoto() {
  const registry = path.join(process.env.CARGO_HOME ?? path.join(os.homedir(), ".cargo"), "registry", "src");
  for (const index of fs.readdirSync(registry)) {
    const file = path.join(registry, index, "rustface-0.1.7", "test.png");
    if (fs.existsSync(file)) return file;
  }
  throw new Error(`rustface-0.1.7/test.png is not in ${registry}: build the workspace first`);
}

const FORM = "form:has(textarea[name=description])";

async function pick(d, file) {
  const input = await find(d, `${FORM} input[type=file]`);
  await d.executeScript("arguments[0].scrollIntoView({ block: 'center' })", input);
  await input.sendKeys(file);
  return find(d, `${FORM} [data-testid="blur-editor"] img`);
}

async function useAndCount(d, before) {
  await click(d, `${FORM} [data-testid="photo-use"]`);
  await d.wait(
    async () => (await d.findElements(By.css(`${FORM} img[data-testid="photo"]`))).length > before,
    60_000,
    "no photo thumbnail",
  );
}

test("blur: faces found on the device, and a brush stroke, at phone size in Spanish", async () => {
  const d = app.driver;
  await onboard(d, "Rosa", "Elm Street Watch");
  await choose(d, '[data-testid="language"]', "es");
  await click(d, 'nav a[data-view="report"]');

  // Faces: detection runs on this device and adds ordinary, removable boxes.
  await pick(d, groupPhoto());
  await click(d, `${FORM} [data-testid="blur-find-faces"]`);
  const status = await findText(d, `${FORM} [data-testid="blur-face-status"]`, "caras encontradas", 60_000);
  const found = Number((await status.getText()).match(/(\d+) caras/)[1]);
  assert.ok(found >= 20, `only ${found} faces found in a photo of 29 people`);
  await findText(d, `${FORM} .boxes li`, "Cara 1");
  await checkA11y(d, "faces found (es)");
  await d.executeScript("arguments[0].scrollIntoView({ block: 'start' })", await find(d, `${FORM} [data-testid="blur-editor"]`));
  await screenshot(d, "report-faces-es", { scrolled: true });
  await useAndCount(d, 0);

  // The brush: paint across the photo, undo, paint again.
  const editor = await pick(d, writePng("furgoneta"));
  await click(d, `${FORM} [data-testid="blur-mode-brush"]`);
  const stroke = async (y) => {
    const r = await editor.getRect();
    const at = (fx) => ({ origin: editor, x: Math.round((fx - 0.5) * r.width), y: Math.round((y - 0.5) * r.height) });
    await d.actions({ async: true }).move(at(0.2)).press().move(at(0.4)).move(at(0.6)).release().perform();
  };
  await stroke(0.3);
  await findText(d, `${FORM} .strokes`, "1 trazo");
  await click(d, `${FORM} [data-testid="blur-undo-stroke"]`);
  await d.wait(async () => (await d.findElements(By.css(`${FORM} .strokes`))).length === 0, 10_000, "the stroke was not undone");
  await stroke(0.7);
  await findText(d, `${FORM} .strokes`, "1 trazo");
  await checkA11y(d, "brush (es)");
  await d.executeScript("arguments[0].scrollIntoView({ block: 'start' })", await find(d, `${FORM} [data-testid="blur-editor"]`));
  await screenshot(d, "report-brush-es", { scrolled: true });
  await useAndCount(d, 1);
});
