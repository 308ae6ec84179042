// `make screenshot`: opens the app on an existing data dir (PORCHLIGHT_DATA_DIR) under a display
// and saves a picture of each main view into PORCHLIGHT_E2E_ARTIFACTS.
import { ARTIFACTS, DESKTOP, click, find, screenshot, startApp } from "./harness.js";

const dataDir = process.env.PORCHLIGHT_DATA_DIR;
if (!dataDir) throw new Error("set PORCHLIGHT_DATA_DIR to the data dir to show");
const app = await startApp(DESKTOP, { dataDir });
try {
  const d = app.driver;
  await find(d, "nav.tabs");
  for (const section of ["overview", "alerts", "patrols", "reports"]) {
    await click(d, `[data-section="${section}"]`);
    await find(d, ".leaflet-container");
    await screenshot(d, `porchlight-${section}`);
  }
  console.log(`screenshots saved in ${ARTIFACTS}`);
} finally {
  await app.stop();
}
