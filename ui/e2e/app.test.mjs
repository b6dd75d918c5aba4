// End-to-end test of the real desktop app in a real webview, driven through
// tauri-driver and WebKitWebDriver: first run, the resident registry, a
// dictated visit from the bundled recording, a correction, three ledgers,
// a PDF, the record's history; a screenshot of every screen.
//
// Needs: VOICE_LEDGER_APP (the built app), VOICE_LEDGER_TEST_MODEL (a ggml
// model to import), tauri-driver on PATH, and a display (xvfb-run).

import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { captureDisplay } from "./screen.mjs";
import { WebDriver } from "./webdriver.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const app = process.env.VOICE_LEDGER_APP;
const model = process.env.VOICE_LEDGER_TEST_MODEL;
const shots = process.env.VOICE_LEDGER_SCREENSHOTS ?? join(root, "target", "e2e-screenshots");
const port = 20000 + 2 * Math.floor(Math.random() * 5000);
const home = mkdtempSync(join(tmpdir(), "voice-ledger-e2e-"));
const driver = new WebDriver(`http://127.0.0.1:${port}`);
let tauriDriver;

function today() {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}

async function screenshot(name) {
  mkdirSync(shots, { recursive: true });
  // Let the screen settle after the last change before capturing it.
  await new Promise((r) => setTimeout(r, 300));
  writeFileSync(join(shots, `${name}.png`), captureDisplay());
}

async function goTo(screen) {
  await driver.click(`[data-nav="${screen}"]`);
  await driver.until(`the ${screen} screen`, () => driver.exists(`[data-screen="${screen}"]`));
}

async function noticeText() {
  return (await driver.exists('[data-test="notice"]')) ? driver.text('[data-test="notice"]') : "";
}

before(async () => {
  assert.ok(app && existsSync(app), `VOICE_LEDGER_APP must name the built app, got ${app}`);
  assert.ok(model && existsSync(model), `VOICE_LEDGER_TEST_MODEL must name a ggml model, got ${model}`);
  tauriDriver = spawn("tauri-driver", ["--port", String(port), "--native-port", String(port + 1)], {
    stdio: ["ignore", "inherit", "inherit"],
    env: {
      ...process.env,
      VOICE_LEDGER_HOME: home,
      VOICE_LEDGER_CACHE: join(home, "cache"),
      VOICE_LEDGER_PASSPHRASE: "e2e test passphrase",
      VOICE_LEDGER_NO_KEYRING: "1",
      WEBKIT_DISABLE_COMPOSITING_MODE: "1",
      WEBKIT_DISABLE_DMABUF_RENDERER: "1",
    },
  });
  await driver.until("tauri-driver", () => fetch(`http://127.0.0.1:${port}/status`).then((r) => r.ok), 30);
  await driver.start({ browserName: "wry", "tauri:options": { application: app } });
});

after(async () => {
  await driver.stop();
  tauriDriver?.kill();
  rmSync(home, { recursive: true, force: true });
});

test("first run imports a model, then a dictated visit reaches three ledgers and a PDF", async () => {
  try {
    await dictateCorrectPrint();
  } catch (e) {
    await screenshot("failure").catch(() => {});
    throw e;
  }
});

async function dictateCorrectPrint() {
  // First run: no model, so the app asks for one; import the local file.
  await driver.until("the first-run screen", () => driver.exists('[data-screen="first-run"]'));
  await screenshot("first-run");
  await driver.type('[data-test="model-path"]', model);
  await driver.click('[data-test="import-model"]');
  await driver.until("the dictation screen after the import", () => driver.exists('[data-screen="dictate"]'), 180);

  // Names printed on the ledgers and written into records.
  await goTo("settings");
  await driver.type('[data-test="committee"]', "彭浦新村居委会");
  await driver.type('[data-test="staff"]', "李敏");
  await driver.type('[data-test="sub-district"]', "彭浦镇");
  await driver.click('[data-test="save-profile"]');
  await driver.until("the profile saved", async () => (await noticeText()).includes("已保存"));
  await screenshot("settings");

  // The resident registry, so the visit links to 王秀英.
  await goTo("residents");
  await driver.type('[data-test="registry-path"]', join(root, "tests/fixtures/registry/residents.csv"));
  await driver.click('[data-test="import-registry"]');
  await driver.until("the registry imported", async () => (await noticeText()).includes("已导入"));
  assert.match(await driver.text('[data-test="residents-table"]'), /王秀英/);

  // Dictate the bundled recording through the file import.
  await goTo("dictate");
  await driver.type('[data-test="audio-path"]', join(root, "tests/fixtures/speech/dictation/hv01.wav"));
  await driver.choose('[data-test="record-type"]', "home-visit");
  await driver.choose('[data-test="date"]', today());
  await driver.click('[data-test="recognise"]');
  await driver.until("the fields read from the recording", () => driver.exists('[data-test="review"]'), 300);
  const value = (key) => driver.script(`return document.querySelector('[data-input="${key}"]').value`);
  assert.equal(await value("resident"), "王秀英");
  assert.equal(await value("bp_systolic"), "135");
  assert.equal(await value("bp_diastolic"), "85");
  assert.equal(await value("visit_date"), today());
  assert.match(await driver.text('[data-test="transcript"]'), /王秀英/);

  // Clicking a field marks the words it came from.
  await driver.click('[data-input="resident"]');
  assert.match(await driver.text('[data-test="span"]'), /王秀英/);
  await screenshot("dictate");

  // Correct the systolic pressure, with a reason, and save as final.
  await driver.type('[data-input="bp_systolic"]', "138");
  await driver.type('[data-test="reason"]', "复测更正");
  await driver.click('[data-test="save-final"]');
  const saved = await driver.until("the saved record", async () =>
    (await driver.exists('[data-test="saved"]')) ? driver.text('[data-test="saved"]') : null,
  );
  for (const ledger of ["入户走访情况台账", "高龄老人走访记录台账", "居民血压测量登记表"]) {
    assert.match(saved, new RegExp(ledger), `saved record should appear in ${ledger}`);
  }

  // The same visit as a row of three ledgers, with the corrected value.
  await goTo("ledgers");
  for (const ledger of ["visit-general", "elderly-visit", "bp-register"]) {
    await driver.choose('[data-test="ledger"]', ledger);
    const table = await driver.until(`rows of ${ledger}`, async () =>
      (await driver.exists('[data-test="ledger-table"]')) ? driver.text('[data-test="ledger-table"]') : null,
    );
    assert.match(table, /王秀英/, `${ledger} shows the visit`);
    if (ledger === "bp-register") assert.match(table, /138/);
  }
  await screenshot("ledgers");

  // The printable PDF of the blood-pressure register.
  await driver.click('[data-test="export-pdf"]');
  const pdf = await driver.until("the exported PDF", async () => {
    if (!(await driver.exists('[data-test="exported"] [data-path]'))) return null;
    return driver.script(`return document.querySelector('[data-test="exported"] [data-path]').dataset.path`);
  }, 120);
  assert.ok(pdf.endsWith(".pdf"), pdf);
  assert.equal(readFileSync(pdf).subarray(0, 5).toString(), "%PDF-");

  // The record's history: dictated, then corrected with the reason.
  await driver.clickRow('[data-test="ledger-table"] tbody tr');
  await driver.until("the record", () => driver.exists('[data-test="record-detail"]'));
  const detail = await driver.text('[data-test="record-detail"]');
  assert.match(detail, /第 2 版/);
  assert.match(detail, /口述录入/);
  assert.match(detail, /复测更正/);
  assert.match(detail, /135 → 138/);
  await screenshot("records");

  // An edit with a reason adds a third revision.
  await driver.click('[data-test="edit"]');
  await driver.type('[data-edit="concerns"]', "楼道灯已修好");
  await driver.type('[data-test="edit-reason"]', "回访补记");
  await driver.click('[data-test="save-edit"]');
  await driver.until("revision 3", async () => /回访补记/.test(await driver.text('[data-test="record-detail"]')));

  // The remaining screens.
  await goTo("residents");
  await driver.clickRow('[data-resident="王秀英"]');
  await driver.until("王秀英's visits", async () =>
    /入户走访/.test(await driver.text('[data-test="resident-visits"]')),
  );
  assert.match(await driver.text('[data-test="coverage"]'), /已走访 1 \/ \d+ 户/);
  await screenshot("residents");
  await goTo("catalogue");
  assert.match(await driver.text('[data-test="ledgers-catalogue"]'), /居民血压测量登记表/);
  await screenshot("catalogue");
}
