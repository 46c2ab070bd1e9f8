// Every page of the site in chromium, as a visitor and as a logged-in user, on a desktop
// (1280x800) and a phone (390x844) (issue 17): no sideways scrolling, no console error, no
// failed request, the dark header bar, no serious or critical axe-core violation, the map's
// land, the profile's calendar and hidden hour table; the same in the dark colour scheme; then
// the same pages without JavaScript at phone width. Full-page screenshots of each go to the screenshot directory.
// The password-reset page is opened with a real token, mailed through the forgot-password form
// (run.sh loads the mail module with its file transport).
// The front page live: a pulse re-sorts the language lists and drops a dot on the map where
// it came from (run.sh's GeoIP database puts loopback in Helsinki).
// Also the machines page: the Copy button, and Delete/Regenerate asking first (a dialog with
// JavaScript, a confirmation page without).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { DUE_MS, base, joined, launch, postPulse, resetTokenMailedTo, shot, signUpAndLogIn } from './helpers.mjs';

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const VIEWPORTS = { desktop: { width: 1280, height: 800 }, phone: { width: 390, height: 844 } };
const USER = 'Design Dana';
const PASSWORD = 'correct horse';
// An account made by the admin command carries the old terms version: it is sent to /my/consent.
const CONSENTER = 'ConsentCarl';
let consenterPassword;
// An account with an email address, for a real password-reset token.
const FORGETFUL = 'Forgetful Fay';
const FORGETFUL_EMAIL = 'fay@example.org';
let resetToken;

let browser;
let machineId;
let token;

before(async () => {
  browser = await launch();
  // One user with XP on several days and languages, so the profile and the front page have
  // something to show.
  const context = await browser.newContext();
  const page = await context.newPage();
  await signUpAndLogIn(page, USER, PASSWORD);
  await page.goto(`${base}/my/machines`);
  await page.fill('#machine_name', 'Workstation');
  await page.click('#add-machine-submit');
  machineId = await page.getAttribute('tr.machine', 'data-machine-id');
  token = await page.inputValue('input.machine-token');
  const languages = ['TypeScript', 'C++', 'Rust', 'Elixir', 'Python', 'Go', 'Haskell', 'SQL', 'Markdown', 'Shell', 'Zig', 'Lua'];
  for (let day = 0; day < 6; day++) {
    const codedAt = new Date(Date.now() - day * 86400_000 - 60_000).toISOString().replace(/\.\d+Z$/, 'Z');
    const xps = languages.slice(day, day + 6).map((language, i) => ({ language, xp: 400 * (12 - i - day) + 37 }));
    const resp = await fetch(`${base}/api/my/pulses`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-API-Token': token },
      body: JSON.stringify({ coded_at: codedAt, xps }),
    });
    assert.equal(resp.status, 201);
  }
  await context.close();

  const ctl = (...args) => execFileSync(process.env.CODESTATS_CTL, ['--admin', `http://127.0.0.1:${process.env.CODESTATS_ADMIN_PORT}`,
    '--token', process.env.CODESTATS_ADMIN_TOKEN, 'run', ...args], { encoding: 'utf8' });
  ctl('web.create-user', CONSENTER);
  consenterPassword = ctl('web.reset-password', CONSENTER).trim().split(/\s+/).pop();

  // The reset link as its owner gets it: signed up with an address, then the forgot-password
  // form, then the mail. Opening the page does not use the token up, so every sweep can.
  const visitor = await browser.newContext();
  const form = await visitor.newPage();
  await form.goto(`${base}/signup`);
  await form.fill('#user_username', FORGETFUL);
  await form.fill('#user_password', PASSWORD);
  await form.fill('#user_email', FORGETFUL_EMAIL);
  await form.check('#user_not_underage');
  await form.check('#user_accept_terms');
  await form.click('#signup-submit');
  assert.equal(new URL(form.url()).pathname, '/login');
  await form.goto(`${base}/forgot-password`);
  await form.fill('#password_reset_username', FORGETFUL);
  await form.click('#forgot-form button[type="submit"]');
  assert.equal(new URL(form.url()).pathname, '/forgot-password');
  resetToken = await resetTokenMailedTo(FORGETFUL_EMAIL);
  await visitor.close();
});
after(async () => { await browser?.close(); });

const publicPages = () => [
  ['front', '/'],
  ['profile', `/users/${encodeURIComponent(USER)}`],
  ['login', '/login'],
  ['signup', '/signup'],
  ['forgot-password', '/forgot-password'],
  ['reset-password', `/reset-password/${resetToken}`],
  ['support', '/support'],
  ['plugins', '/plugins'],
  ['api-docs', '/api-docs'],
  ['changes', '/changes'],
  ['legal', '/tos'],
  ['aliases', '/aliases'],
  ['not-found', '/users/nobody-here', 404],
];
const ownPages = () => [
  ['front', '/'],
  ['profile', `/users/${encodeURIComponent(USER)}`],
  ['preferences', '/my/preferences'],
  ['machines', '/my/machines'],
  ['machine', `/my/machines/${machineId}`],
  ['machine-delete', `/my/machines/${machineId}/delete`],
  ['machine-key', `/my/machines/${machineId}/key`],
  ['plugins', '/plugins'],
  ['api-docs', '/api-docs'],
  ['support', '/support'],
];

async function loggedInContext(options, [user, password, landing] = [USER, PASSWORD, `/users/${encodeURIComponent(USER)}`]) {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  await page.goto(`${base}/login`);
  await page.fill('#username', user);
  await page.fill('#password', password);
  await page.click('#login-submit');
  assert.equal(new URL(page.url()).pathname, landing);
  // Closed once loaded: chromium's page.close() during the profile's load hung once in ten runs.
  await page.waitForLoadState('load');
  await page.close();
  return context;
}

// Opens one page and checks it; `problems` collects what went wrong (all pages are visited, then
// everything is reported at once).
async function visit(context, { name, path, status = 200, js = true }, problems) {
  const page = await context.newPage();
  const where = `${name} (${path}, ${page.viewportSize().width} px${js ? '' : ', no JS'})`;
  const errors = [];
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    if (status !== 200 && /Failed to load resource.*\b404\b/.test(m.text())) return;  // the expected 404 itself
    errors.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`page error: ${e}`));
  page.on('requestfailed', (r) => errors.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  page.on('response', (r) => {
    if (r.status() >= 400 && !(r.url() === `${base}${path}` && r.status() === status)) errors.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  const response = await page.goto(`${base}${path}`);
  if (response.status() !== status) errors.push(`status ${response.status()}, expected ${status}`);

  if (js && name === 'front') {
    // The land is fetched and drawn by the bundle: wait for it rather than for a while.
    await page.waitForFunction(() => (document.querySelector('#world-map path.land')?.getAttribute('d') ?? '').length > 1000,
      null, { timeout: DUE_MS });
    await page.waitForSelector('#xp-history-chart', { state: 'visible', timeout: DUE_MS });
  }
  if (js && name === 'profile') {
    // After the GraphQL refetch the hour chart is drawn and its table leaves the screen.
    await page.waitForSelector('#hours-data.visually-hidden', { state: 'attached', timeout: DUE_MS });
    const hidden = await page.$eval('#hours-data', (t) => t.getBoundingClientRect().width <= 1);
    if (!hidden) errors.push('the hour table is still visible under its chart');
  }
  if (name === 'reset-password' && !(await page.$('#reset-form'))) errors.push('no new-password form for a live token');
  if (name === 'profile') {
    // The calendar: weeks in columns (day 1 and day 7 share a column, day 8 starts the next),
    // twelve month names above them.
    const layout = await page.$$eval('#year-chart span.day', (cells) => cells.map((c) => c.getBoundingClientRect()));
    if (layout.length !== 366) errors.push(`${layout.length} calendar cells`);
    else if (!(layout[0].x === layout[6].x && layout[7].x > layout[0].x && layout[6].y > layout[0].y)) {
      errors.push('calendar cells are not laid out as weeks in columns');
    }
    const months = await page.$$eval('#year-chart .month', (m) => m.filter((e) => e.getBoundingClientRect().width > 0).length);
    if (months !== 12) errors.push(`${months} month labels shown`);
  }

  const layout = await page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
    header: getComputedStyle(document.querySelector('body > header')).backgroundColor,
  }));
  if (layout.scrollWidth > layout.innerWidth) errors.push(`scrolls sideways: ${layout.scrollWidth} > ${layout.innerWidth} px`);
  if (/^(transparent|rgba\(\d+, \d+, \d+, 0\))$/.test(layout.header)) errors.push(`header background ${layout.header}`);

  if (js) {
    await page.evaluate(axeSource);
    const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
    for (const v of result.violations) {
      if (v.impact === 'serious' || v.impact === 'critical') {
        errors.push(`axe ${v.impact} ${v.id}: ${v.help} (${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join('; ')})`);
      }
    }
  }
  await shot(page, `page-${name}-${page.viewportSize().width}${js ? '' : '-nojs'}${context.dark ? '-dark' : ''}-${context.loggedIn ? 'user' : 'visitor'}`);
  for (const e of errors) problems.push(`${where}: ${e}`);
  await page.close();
}

async function everyPage(options) {
  const problems = [];
  const dark = options.colorScheme === 'dark';
  const visitor = await browser.newContext(options);
  visitor.dark = dark;
  for (const [name, path, status] of publicPages()) await visit(visitor, { name, path, status }, problems);
  await visitor.close();
  const user = await loggedInContext(options);
  Object.assign(user, { loggedIn: true, dark });
  for (const [name, path, status] of ownPages()) await visit(user, { name, path, status }, problems);
  await user.close();
  const consenter = await loggedInContext(options, [CONSENTER, consenterPassword, '/my/consent']);
  Object.assign(consenter, { loggedIn: true, dark });
  await visit(consenter, { name: 'consent', path: '/my/consent' }, problems);
  await consenter.close();
  return problems;
}

for (const [size, viewport] of Object.entries(VIEWPORTS)) {
  test(`every page at ${viewport.width}x${viewport.height}, logged out and logged in`, async () => {
    const problems = await everyPage({ viewport });
    assert.deepEqual(problems, [], `${size}:\n${problems.join('\n')}`);
  });
}

// The stylesheet has a dark variant (prefers-color-scheme): its contrasts are checked too.
test('every page in the dark colour scheme at 1280x800', async () => {
  const problems = await everyPage({ viewport: VIEWPORTS.desktop, colorScheme: 'dark' });
  assert.deepEqual(problems, [], problems.join('\n'));
});

test('every page at 390 px without JavaScript, logged out and logged in', async () => {
  const problems = [];
  const viewport = VIEWPORTS.phone;
  const visitor = await browser.newContext({ viewport, javaScriptEnabled: false });
  for (const [name, path, status] of publicPages()) await visit(visitor, { name, path, status, js: false }, problems);
  await visitor.close();
  const user = await loggedInContext({ viewport, javaScriptEnabled: false });
  user.loggedIn = true;
  for (const [name, path, status] of ownPages()) await visit(user, { name, path, status, js: false }, problems);
  await user.close();
  assert.deepEqual(problems, [], problems.join('\n'));
});

test('machines: Copy puts the key on the clipboard; Delete and Regenerate ask first', async () => {
  const context = await loggedInContext({ viewport: VIEWPORTS.desktop });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
  const page = await context.newPage();
  await page.goto(`${base}/my/machines`);
  await page.fill('#machine_name', 'Spare Laptop');
  await page.click('#add-machine-submit');
  const row = page.locator('tr.machine', { has: page.locator('td.machine-name', { hasText: 'Spare Laptop' }) });
  const id = await row.getAttribute('data-machine-id');
  const key = await page.inputValue(`#machine-token-${id}`);

  const copy = row.locator('button[data-copy]');
  assert.ok(await copy.isVisible(), 'the script shows the Copy button');
  await copy.click();
  await page.waitForFunction((sel) => document.querySelector(sel)?.textContent === 'Copied', `[data-copy="machine-token-${id}"]`,
    { timeout: DUE_MS });
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), key);

  // Regenerate: dismissing the question changes nothing; accepting it gives a new key.
  let asked = '';
  page.once('dialog', (d) => { asked = d.message(); d.dismiss(); });
  await row.locator('a', { hasText: 'Regenerate API key' }).click();
  assert.match(asked, /Regenerate the API key of Spare Laptop\?/);
  assert.equal(new URL(page.url()).pathname, '/my/machines');
  assert.equal(await page.inputValue(`#machine-token-${id}`), key);
  page.once('dialog', (d) => d.accept());
  await Promise.all([page.waitForNavigation(), row.locator('a', { hasText: 'Regenerate API key' }).click()]);
  assert.match(await page.textContent('.flash-success'), /API key regenerated for machine Spare Laptop\./);
  assert.notEqual(await page.inputValue(`#machine-token-${id}`), key);

  page.once('dialog', (d) => { asked = d.message(); d.dismiss(); });
  await row.locator('a', { hasText: 'Delete' }).click();
  assert.match(asked, /Delete the machine Spare Laptop/);
  assert.equal(await page.locator(`tr[data-machine-id="${id}"]`).count(), 1);
  page.once('dialog', (d) => d.accept());
  await Promise.all([page.waitForNavigation(), row.locator('a', { hasText: 'Delete' }).click()]);
  assert.match(await page.textContent('.flash-success'), /The machine has been deactivated/);
  assert.equal(await page.locator(`tr[data-machine-id="${id}"]`).count(), 0);
  await context.close();
});

test('machines without JavaScript: Delete and Regenerate go through a confirmation page', async () => {
  const context = await loggedInContext({ viewport: VIEWPORTS.phone, javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto(`${base}/my/machines`);
  await page.fill('#machine_name', 'Old Desktop');
  await page.click('#add-machine-submit');
  const row = page.locator('tr.machine', { has: page.locator('td.machine-name', { hasText: 'Old Desktop' }) });
  const id = await row.getAttribute('data-machine-id');
  const key = await page.inputValue(`#machine-token-${id}`);
  assert.equal(await row.locator('button[data-copy]').isVisible(), false, 'no Copy button without the script');

  await row.locator('a', { hasText: 'Regenerate API key' }).click();
  assert.equal(new URL(page.url()).pathname, `/my/machines/${id}/key`);
  assert.match(await page.textContent('h1'), /Regenerate the API key of Old Desktop\?/);
  await shot(page, 'machine-confirm-regenerate-390-nojs');
  await page.click('#confirm-submit');
  assert.match(await page.textContent('.flash-success'), /API key regenerated for machine Old Desktop\./);
  assert.notEqual(await page.inputValue(`#machine-token-${id}`), key);

  await row.locator('a', { hasText: 'Delete' }).click();
  assert.equal(new URL(page.url()).pathname, `/my/machines/${id}/delete`);
  await page.click('a:has-text("Cancel")');
  assert.equal(await page.locator(`tr[data-machine-id="${id}"]`).count(), 1, 'Cancel deletes nothing');
  await row.locator('a', { hasText: 'Delete' }).click();
  await shot(page, 'machine-confirm-delete-390-nojs');
  await page.click('#confirm-submit');
  assert.match(await page.textContent('.flash-success'), /The machine has been deactivated/);
  assert.equal(await page.locator(`tr[data-machine-id="${id}"]`).count(), 0);

  // A stranger's machine: the confirmation pages are 404 like the actions.
  const other = await browser.newContext({ javaScriptEnabled: false });
  const stranger = await other.newPage();
  await signUpAndLogIn(stranger, 'Nosy Neighbour', PASSWORD);
  assert.equal((await stranger.goto(`${base}/my/machines/${machineId}/delete`)).status(), 404);
  assert.equal((await stranger.goto(`${base}/my/machines/${machineId}/key`)).status(), 404);
  await other.close();
  await context.close();
});

test('front page live: a pulse re-sorts both language lists and puts a dot on the map where it came from', async () => {
  const context = await browser.newContext({ viewport: VIEWPORTS.desktop });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  const frontJoined = joined(page, 'frontpage');
  await page.goto(`${base}/`);
  await frontJoined;
  await page.waitForSelector('#world-map path.land', { timeout: DUE_MS });
  const top = Number(await page.getAttribute('#frontpage-languages li', 'data-xp'));
  assert.ok(top > 0, 'the server rendered last 24 hours');

  await postPulse(token, [{ language: 'Lua', xp: top + 1000 }]);  // new in the last 24 h, and the most
  await page.waitForFunction(() => document.querySelector('#frontpage-languages li')?.dataset.language === 'Lua', null,
    { timeout: DUE_MS });
  assert.equal(await page.getAttribute('#frontpage-languages li', 'data-xp'), String(top + 1000));
  assert.equal(await page.textContent('#frontpage-most-active li .language-name'), 'Lua');
  assert.ok(await page.$$eval('#frontpage-most-active li', (li) => li.length) <= 10);
  const xps = await page.$$eval('#frontpage-languages li', (li) => li.map((e) => Number(e.dataset.xp)));
  assert.deepEqual(xps, [...xps].sort((a, b) => b - a), 'sorted, most XP first');

  // The dot: Helsinki (60.17 N, 24.94 E) in Natural Earth 1 fitted to the 360x180 viewBox is
  // (199.4, 24.5), on land.
  const dot = await page.waitForSelector('#world-map circle.pulse-dot', { state: 'attached', timeout: DUE_MS });
  const [cx, cy] = await dot.evaluate((c) => [Number(c.getAttribute('cx')), Number(c.getAttribute('cy'))]);
  assert.ok(Math.abs(cx - 199.4) < 1 && Math.abs(cy - 24.5) < 1, `dot at ${cx},${cy}`);
  assert.ok(await page.$eval('#world-map path.land', (land, [x, y]) => land.isPointInFill(new DOMPoint(x, y)), [cx, cy]),
    'the dot is on land');
  await shot(page, 'frontpage-live-resorted');
  assert.deepEqual(errors, []);
  await context.close();
});
