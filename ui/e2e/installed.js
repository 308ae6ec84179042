// `make package-test`: the app as the Debian package installed it (PORCHLIGHT_APP_BIN), on a
// fresh profile (PORCHLIGHT_DATA_DIR and HOME in a temporary directory). A first start shows
// onboarding; after the name, the three ways in: start a group, join with a code, try the demo.
// Saves installed-onboarding.png in PORCHLIGHT_E2E_ARTIFACTS. Not a *.test.js: `make e2e` drives
// the build tree's app, this one only the installed app.
import { ARTIFACTS, checkA11y, click, find, findText, screenshot, startApp, type } from "./harness.js";

// Tall enough to show the three ways in and the report code card in one picture.
const app = await startApp({ width: 1100, height: 1350 });
try {
  const d = app.driver;
  await findText(d, "h1", "Welcome to Porchlight");
  await type(d, "input[name=name]", "Carmen");
  await click(d, "form button[type=submit]");
  await find(d, "input[name=group]");
  await find(d, "input[name=code]");
  await findText(d, "button", "Try a demo neighbourhood");
  await checkA11y(d, "onboarding (installed app)");
  const file = await screenshot(d, "installed-onboarding");
  console.log(`installed app: onboarding shown; screenshot ${file} (${ARTIFACTS})`);
} finally {
  await app.stop();
}
