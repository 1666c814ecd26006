// The staff web app in a real browser (issue 17, docs/ADMIN.md "The staff app"): Debian's
// chromium driven by playwright-core against `passledger serve` on 127.0.0.1, with the real
// SMTP server and the APNs stand-in (tests/web/peers.mjs). A member-services day end to end —
// sign in, upload the sample roster (dry run, import with live progress, the summary), find
// José Núñez, his timeline and his pass (the barcode decoded back to his membership id), e-mail
// him (the message reaches the SMTP server), void a pass (the stand-in gets the push), publish a
// new background colour from the designer (every pass revised and pushed) — then an auditor
// sees no action anywhere and the API refuses a forged one. Every page, at 1280 and 390 px:
// axe-core finds no serious or critical violation, a screenshot that is not blank, no
// horizontal overflow, no token, session id or password in the page, no CSP violation or
// script error.
//
// Usage: node web_ui_test.mjs PASSLEDGER_BINARY SOURCE_DIR [SCREENSHOT_DIR]
// With PASSLEDGER_UPDATE_SCREENSHOTS=1 the README's screenshots (docs/screenshots/) are replaced.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';
import { PNG } from 'pngjs';
import {
  fail, waitFor, freePort, passledger, startApns, startSmtp, writeConfig, startServer, stopAll,
  passJsonOf, apiSignIn,
} from './peers.mjs';

const require = createRequire(import.meta.url);
const zxing = require('@zxing/library');
const axeSource = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

const [bin, src, shotsArg] = process.argv.slice(2);
if (!bin || !src) fail('usage: web_ui_test.mjs PASSLEDGER_BINARY SOURCE_DIR [SCREENSHOT_DIR]');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'passledger-web-ui-test.'));
const shots = shotsArg || path.join(work, 'screenshots');
fs.mkdirSync(shots, { recursive: true });
const roster = path.join(src, 'tests/data/altru-roster.csv');
const NUNEZ = '8-10000005';
const PASSWORDS = { admin: 'greenhouse-lantern-42', auditor: 'herbarium-compass-17' };
const PUSH_TOKEN = 'a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90';
const secrets = new Set(Object.values(PASSWORDS).concat([PUSH_TOKEN]));
const problems = [];  // console errors, CSP violations, page errors
let passed = 0;
let expectRefusal = false;  // while the auditor forges an action

function check(condition, message) {
  if (!condition) fail(message);
  passed += 1;
  console.log(`ok   ${message}`);
}

// Waits until the page marks `name` ready (web/ui.js markReady) after `action`.
async function readyAfter(page, name, action) {
  const before = await page.evaluate(() => Number((document.documentElement.dataset.ready || ' 0').split(' ')[1]));
  await action();
  await page.waitForFunction(([n, count]) => {
    const [got, c] = (document.documentElement.dataset.ready || ' 0').split(' ');
    return got === n && Number(c) > count;
  }, [name, before], { timeout: 30000 });
}

async function go(page, hash, name) {
  await readyAfter(page, name, () => page.evaluate((h) => {
    // The same hash again fires no hashchange: ask the router to draw the page anew.
    if (location.hash === h) window.dispatchEvent(new HashChangeEvent('hashchange'));
    else location.hash = h;
  }, hash));
}

function watch(page, who) {
  page.on('console', (message) => {
    const text = message.text();
    // The shell's first GET /admin/api/session before anyone signs in is a 401 by design.
    // So is the 403 of the auditor's forged action, which the test asks for.
    const expected = /status of 401/.test(text) || (expectRefusal && /status of 403/.test(text));
    if (message.type() === 'error' && !expected) problems.push(`${who}: console: ${text}`);
  });
  page.on('pageerror', (error) => problems.push(`${who}: page error: ${error.message}`));
}

async function signIn(page, username) {
  await page.goto(`${env.base}/admin/`);
  await page.getByLabel('Username').waitFor();
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(PASSWORDS[username]);
  await readyAfter(page, 'dashboard', () => page.getByRole('button', { name: 'Sign in' }).click());
}

// axe-core in the page (evaluated over the DevTools protocol: no script tag, so the app's CSP
// stays as it is). Returns the serious and critical violations.
async function axe(page) {
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(axeSource);
  const result = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
  });
  return result;
}

function distinctColours(png) {
  const seen = new Set();
  for (let i = 0; i < png.data.length && seen.size < 50; i += 4 * 97) {
    seen.add((png.data[i] << 16) | (png.data[i + 1] << 8) | png.data[i + 2]);
  }
  return seen.size;
}

// The secrets (tokens, session ids, passwords) found in the page's markup and text.
async function secretsIn(page) {
  const text = await page.evaluate(() => document.documentElement.outerHTML + document.body.innerText);
  return [...secrets].filter((s) => s && text.includes(s));
}

// The scan sees a secret when one is there: a token put into the page is found, then removed.
async function checkTheScanSees(page, secret) {
  await page.evaluate((s) => {
    const el = document.createElement('span');
    el.id = 'planted-secret';
    el.dataset.value = s;
    document.body.append(el);
  }, secret);
  const found = await secretsIn(page);
  await page.evaluate(() => document.getElementById('planted-secret').remove());
  check(found.includes(secret), 'the page scan finds a token when one is in the page');
}

// The checks every page gets at both widths.
async function inspectPage(page, name, who) {
  for (const width of [1280, 390]) {
    await page.setViewportSize({ width, height: width === 1280 ? 900 : 844 });
    await page.waitForTimeout(100);
    const file = path.join(shots, `${name}-${who}-${width}.png`);
    await page.screenshot({ path: file, fullPage: true });
    const png = PNG.sync.read(fs.readFileSync(file));
    check(distinctColours(png) >= 4, `${name} (${who}, ${width} px): the screenshot is not blank`);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    check(overflow <= 0, `${name} (${who}, ${width} px): no horizontal overflow (${overflow} px)`);
    const violations = await axe(page);
    check(violations.length === 0, `${name} (${who}, ${width} px): axe finds no serious or critical violation ${violations.join('; ')}`);
    const leaked = await secretsIn(page);
    check(leaked.length === 0, `${name} (${who}, ${width} px): no token, session id or password in the page`);
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}

// Decodes a barcode element's screenshot with ZXing.
async function decodeBarcode(locator) {
  const png = PNG.sync.read(await locator.screenshot());
  const luminance = new Uint8ClampedArray(png.width * png.height);
  for (let i = 0; i < luminance.length; i += 1) {
    luminance[i] = (png.data[4 * i] * 299 + png.data[4 * i + 1] * 587 + png.data[4 * i + 2] * 114) / 1000;
  }
  const source = new zxing.RGBLuminanceSource(luminance, png.width, png.height);
  const bitmap = new zxing.BinaryBitmap(new zxing.HybridBinarizer(source));
  const hints = new Map([[zxing.DecodeHintType.TRY_HARDER, true],
    [zxing.DecodeHintType.POSSIBLE_FORMATS, [zxing.BarcodeFormat.PDF_417]]]);  // the template's
  return new zxing.MultiFormatReader().decode(bitmap, hints).getText();
}

const env = { bin, work, data: path.join(work, 'data') };

// The whole app stays small: its JavaScript and CSS, before compression, at most 200 KB.
function checkAppSize() {
  let bytes = 0;
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      else if (/\.(js|css)$/.test(entry.name)) bytes += fs.statSync(file).size;
    }
  };
  walk(path.join(src, 'web'));
  check(bytes > 10000 && bytes <= 200 * 1024, `the app's JavaScript and CSS are ${(bytes / 1024).toFixed(1)} KB (at most 200 KB)`);
}

async function main() {
  checkAppSize();
  const apns = await startApns(src, work);
  const smtp = await startSmtp(work);
  const port = await freePort();
  env.base = `http://127.0.0.1:${port}`;
  env.config = writeConfig(work, { port, apns, smtp });
  passledger(env, ['user', 'add', 'admin', '--role', 'admin', '--password-stdin'], `${PASSWORDS.admin}\n`);
  passledger(env, ['user', 'add', 'auditor', '--role', 'auditor', '--password-stdin'], `${PASSWORDS.auditor}\n`);
  await startServer(env);

  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium' });
  try {
    await adminDay(browser, apns, smtp);
    await auditorDay(browser);
  } finally {
    await browser.close();
  }
  check(problems.length === 0, `no console error, CSP violation or page error ${problems.join(' | ')}`);
  if (process.env.PASSLEDGER_UPDATE_SCREENSHOTS === '1') {
    const docs = path.join(src, 'docs/screenshots');
    fs.mkdirSync(docs, { recursive: true });
    for (const name of ['dashboard-admin-1280', 'upload-preview-admin-1280', 'member-admin-1280', 'member-admin-390', 'designer-admin-1280']) {
      fs.copyFileSync(path.join(shots, `${name}.png`), path.join(docs, `${name}.png`));
    }
    console.log(`screenshots copied to ${docs}`);
  }
  console.log(`web_ui_test: ${passed} checks passed (screenshots in ${shots})`);
}

async function adminDay(browser, apns, smtp) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
  const page = await context.newPage();
  watch(page, 'admin');
  await page.goto(`${env.base}/admin/`);
  await page.getByRole('button', { name: 'Sign in' }).waitFor();
  await inspectPage(page, 'sign-in', 'nobody');
  await signIn(page, 'admin');
  const cookie = (await context.cookies()).find((c) => c.name === 'passledger_session');
  check(cookie && cookie.httpOnly && cookie.sameSite === 'Strict', 'signed in: the session cookie is HttpOnly and SameSite=Strict');
  secrets.add(cookie.value);
  const session = { cookie: `${cookie.name}=${cookie.value}` };

  // Upload: the dry run's preview first, then the import with live progress, then the summary.
  await go(page, '#/upload', 'upload');
  await readyAfter(page, 'upload:preview', () => page.getByLabel('Roster file').setInputFiles(roster));
  const preview = await page.locator('main').innerText();
  check(/Preview/.test(preview) && /\b6\b/.test(preview), 'upload: the dry run previews 6 enrolments');
  const before = await (await fetch(`${env.base}/admin/api/members`, { headers: { Cookie: session.cookie } })).json();
  check(before.members.length === 0, 'upload: the dry run wrote nothing (no member yet)');
  await page.waitForTimeout(200);
  await inspectPage(page, 'upload-preview', 'admin');
  const progressSeen = [];
  await readyAfter(page, 'upload:done', async () => {
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await page.getByLabel('Import progress').waitFor();
    progressSeen.push(await page.getByLabel('Import progress').getAttribute('value'));
  });
  const progress = await page.getByLabel('Import progress').getAttribute('value');
  check(Number(progress) === 100, `upload: the progress bar reached 100 % (${progressSeen.join(', ')} → ${progress})`);
  const summary = await page.locator('main').innerText();
  check(/6 memberships enrolled/.test(summary), 'upload: the summary says 6 memberships enrolled');
  check(/7 passes issued/.test(summary) && /1 voided/.test(summary), 'upload: 7 passes issued, 1 voided (the lapsed member)');
  check(/1 member has no e-mail/.test(summary), 'upload: 1 member flagged for having no e-mail address');
  await inspectPage(page, 'upload-done', 'admin');
  await go(page, '#/imports', 'imports');
  await inspectPage(page, 'imports', 'admin');
  await readyAfter(page, 'import', () => page.getByRole('link', { name: /altru-roster\.csv/ }).first().click());
  await inspectPage(page, 'import', 'admin');

  // Tokens of every pass, so that no page may show one.
  const members = await (await fetch(`${env.base}/admin/api/members?limit=50`, { headers: { Cookie: session.cookie } })).json();
  const serials = [];
  for (const m of members.members) {
    const detail = await (await fetch(`${env.base}/admin/api/members/${m.membershipId}`, { headers: { Cookie: session.cookie } })).json();
    for (const p of detail.passes) serials.push({ serial: p.serial, member: m.membershipId, voided: p.voided });
  }
  const tokens = {};
  for (const { serial } of serials) {
    tokens[serial] = (await passJsonOf(env, session.cookie, serial)).authenticationToken;
    secrets.add(tokens[serial]);
  }
  check(serials.length === 7 && Object.values(tokens).every((t) => t && t.length >= 16), 'the 7 passes have their tokens (collected to look for)');
  await checkTheScanSees(page, Object.values(tokens)[0]);
  // A phone holds José Núñez's pass: registered through the PassKit web service.
  const nunezSerial = serials.find((s) => s.member === NUNEZ).serial;
  const registered = await fetch(`${env.base}/v1/devices/phone-nunez/registrations/pass.org.example.member/${nunezSerial}`, {
    method: 'POST', headers: { Authorization: `ApplePass ${tokens[nunezSerial]}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ pushToken: PUSH_TOKEN }),
  });
  check(registered.status === 201, `a phone registered for ${nunezSerial} (${registered.status})`);

  await go(page, '#/dashboard', 'dashboard');
  const dashboard = await page.locator('main').innerText();
  check(/History (verified|never verified)/.test(dashboard), 'dashboard: the verification line is there');
  await inspectPage(page, 'dashboard', 'admin');

  // Members: search as you type, open José Núñez.
  await go(page, '#/members', 'members');
  await readyAfter(page, 'members:results', () => page.getByLabel('Search members').pressSequentially('Núñez', { delay: 40 }));
  await page.waitForFunction(() => !document.querySelector('main').innerText.includes('Searching'), null, { timeout: 5000 }).catch(() => {});
  const rows = await page.locator('main table tbody tr').count();
  check(rows === 1, `members: "Núñez" finds one member (${rows})`);
  await inspectPage(page, 'members', 'admin');
  await readyAfter(page, 'member', () => page.getByRole('link', { name: /Núñez/ }).first().click());
  const memberText = await page.locator('main').innerText();
  check(/Enrolled/.test(memberText), 'member: the timeline shows the enrolment');
  const barcode = page.locator(`.pass-card[data-serial="${nunezSerial}"] svg`).first();
  check(await barcode.count() === 1, 'member: the pass card has its barcode drawn as SVG');
  const decoded = await decodeBarcode(barcode);
  check(decoded === NUNEZ, `member: the pass's barcode decodes to the membership id (${decoded})`);
  await inspectPage(page, 'member', 'admin');

  // E-mail: the message reaches the SMTP server.
  const mailsBefore = smtp.messages().length;
  const mailButton = page.getByRole('button', { name: /^(E-mail|Re-send)$/ }).first();
  const mailLabel = (await mailButton.innerText()).trim();
  await mailButton.click();
  await page.getByRole('button', { name: mailLabel === 'E-mail' ? 'Send e-mail' : 'Re-send e-mail' }).click();
  await page.getByText(/E-mail queued/).waitFor();
  const mail = await waitFor(() => smtp.messages().slice(mailsBefore).find((m) =>
    JSON.stringify(m).includes('jose.nunez@example.com')), 'the e-mail at the SMTP server', 60);
  check(!!mail, 'E-mail: the message arrived at the SMTP server for jose.nunez@example.com');

  // Void: the dialog says how many devices, the stand-in receives the push.
  const pushesBefore = (await apns.requests()).length;
  await page.locator(`.pass-card[data-serial="${nunezSerial}"]`).waitFor();
  await page.getByRole('button', { name: 'Void', exact: true }).first().click();
  const dialog = page.getByRole('dialog');
  check(/1 device/.test(await dialog.innerText()), 'Void: the confirmation says 1 device will be updated');
  await dialog.getByLabel('Reason').fill('lost card');
  await readyAfter(page, 'member', () => dialog.getByRole('button', { name: 'Void pass' }).click());
  const push = await waitFor(async () => (await apns.requests()).slice(pushesBefore)
    .find((r) => (r.path || '').endsWith(PUSH_TOKEN)), 'the push at the APNs stand-in', 60);
  check(!!push, 'Void: the APNs stand-in received the push for the phone');
  check(/Voided/i.test(await page.locator(`.pass-card[data-serial="${nunezSerial}"]`).innerText()), 'Void: the card shows the pass voided');
  await inspectPage(page, 'member-voided', 'admin');
  await readyAfter(page, 'member', async () => {
    await page.getByRole('button', { name: 'Unvoid', exact: true }).first().click();
    await page.getByRole('dialog').getByRole('button', { name: 'Unvoid pass' }).click();
  });

  // Designer: a new background colour, published to every pass and pushed.
  await go(page, '#/designer', 'designer');
  await inspectPage(page, 'designer', 'admin');
  const pushesBeforePublish = (await apns.requests()).length;
  await readyAfter(page, 'designer:preview', () => page.getByLabel('Background colour').fill('#0a141e'));
  const card = page.locator('.pass-card .pc-front').first();
  const background = await card.evaluate((el) => getComputedStyle(el).backgroundColor);
  check(background === 'rgb(10, 20, 30)', `designer: the preview follows the new colour (${background})`);
  await page.getByRole('button', { name: 'Publish', exact: true }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Publish' }).click();
  await page.getByText(/7 passes revised/).waitFor({ timeout: 30000 });
  check(true, 'designer: publishing revised all 7 passes');
  const publishPush = await waitFor(async () => (await apns.requests()).slice(pushesBeforePublish)
    .find((r) => (r.path || '').endsWith(PUSH_TOKEN)), 'the push after publishing', 60);
  check(!!publishPush, 'designer: the phone was pushed after publishing');
  const revised = await (await fetch(`${env.base}/admin/api/passes/${nunezSerial}`, { headers: { Cookie: session.cookie } })).json();
  check(revised.backgroundColor === 'rgb(10, 20, 30)', 'designer: the pass now has the published colour');

  for (const [hash, name] of [['#/devices', 'devices'], ['#/audit', 'audit'], ['#/verification', 'verification'], ['#/staff', 'staff']]) {
    await go(page, hash, name);
    await inspectPage(page, name, 'admin');
  }
  await go(page, '#/verification', 'verification');
  await readyAfter(page, 'verification:run', () => page.getByRole('button', { name: 'Run verification now' }).click());
  await page.getByText(/verified/i).first().waitFor();
  check(true, 'verification: a run from the page ends verified');
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('button', { name: 'Sign in' }).waitFor();
  const after = await (await fetch(`${env.base}/admin/api/session`, { headers: { Cookie: session.cookie } })).status;
  check(after === 401, 'Sign out ends the session on the server');
  await context.close();
  env.nunezSerial = nunezSerial;
}

const ACTIONS = /^(E-mail|Re-send|Void|Unvoid|Revoke token|Import|Publish|Run verification now|Create account|Disable|Change role)$/;

async function auditorDay(browser) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  watch(page, 'auditor');
  await signIn(page, 'auditor');
  secrets.add((await context.cookies()).find((c) => c.name === 'passledger_session').value);
  const navText = await page.locator('#nav').innerText();
  check(!/Upload|Pass designer|Staff/.test(navText), 'auditor: the menu has no Upload, Pass designer or Staff');
  const pages = [['#/dashboard', 'dashboard'], ['#/imports', 'imports'], ['#/members', 'members'],
    [`#/members/${NUNEZ}`, 'member'], ['#/devices', 'devices'], ['#/audit', 'audit'], ['#/verification', 'verification']];
  for (const [hash, name] of pages) {
    await go(page, hash, name);
    const buttons = await page.locator('main button').allInnerTexts();
    const actions = buttons.map((b) => b.trim()).filter((b) => ACTIONS.test(b));
    check(actions.length === 0, `auditor: no action button on ${name} (${actions.join(', ')})`);
    await inspectPage(page, name, 'auditor');
  }
  const audit = await page.evaluate(async () => (await fetch('/admin/api/events?limit=200')).json());
  const sealed = audit.events.filter((e) => e.personal === 'sealed').length;
  check(sealed > 0, `auditor: the audit log's personal parts are sealed (${sealed} events)`);
  await page.evaluate(() => { location.hash = '#/upload'; });
  await page.getByText(/Not for your role/).waitFor();
  check(true, 'auditor: the upload page says it is not for this role');
  expectRefusal = true;
  const forged = await page.evaluate(async (serial) => {
    const who = await (await fetch('/admin/api/session')).json();
    const r = await fetch(`/admin/api/passes/${serial}/void`, {
      method: 'POST', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': who.csrfToken },
      body: JSON.stringify({ reason: 'forged' }),
    });
    return r.status;
  }, env.nunezSerial);
  await page.waitForTimeout(200);  // the console message of the refusal arrives
  expectRefusal = false;
  check(forged === 403, `auditor: a forged void is refused by the API (${forged})`);
  await context.close();
}

main().then(() => { stopAll(); process.exit(0); }, (error) => {
  console.error(`FAIL: ${error.message}\n(work dir ${work})`);
  try { console.error(fs.readFileSync(path.join(work, 'server.log'), 'utf8').split('\n').slice(-20).join('\n')); } catch { /* none */ }
  stopAll();
  process.exit(1);
});
