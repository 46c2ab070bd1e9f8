// A person in headless chromium: signs up, logs in, creates a machine, copies its API key,
// sends a pulse with that key over HTTP and sees the XP on their own profile. Also checks
// that the pages need no inline script or style (they run under script-src 'self').
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DUE_MS, base, codedAt, joined, launch, machineToken, postPulse, profileRefetched, shot } from './helpers.mjs';

let browser;

before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('sign up, log in, create a machine, send a pulse with its key, see the XP', async () => {
  const context = await browser.newContext({ javaScriptEnabled: false });  // pages work without JS
  const page = await context.newPage();

  await page.goto(`${base}/signup`);
  await page.fill('#user_username', 'Browser User');
  await page.fill('#user_password', 'correct horse');
  await page.fill('#user_email', 'browser@example.org');
  await page.check('#user_not_underage');
  await page.check('#user_accept_terms');
  await shot(page, '01-signup');
  await page.click('#signup-submit');
  assert.equal(new URL(page.url()).pathname, '/login');
  assert.match(await page.textContent('.flash-success'), /Great success! Your account was created/);

  await page.fill('#username', 'browser user');  // any case
  await page.fill('#password', 'correct horse');
  await page.click('#login-submit');
  assert.equal(new URL(page.url()).pathname, '/users/Browser%20User');
  assert.equal(await page.textContent('#current-username'), 'Browser User');
  assert.equal(await page.getAttribute('#profile-total', 'data-total-xp'), '0');
  await shot(page, '02-empty-profile');

  await page.click('#nav-machines');
  assert.match(await page.textContent('main'), /You don't have any machines configured/);
  await page.fill('#machine_name', 'Browser Laptop');
  await page.click('#add-machine-submit');
  assert.match(await page.textContent('.flash-success'), /Machine added successfully\./);
  const token = await page.inputValue('input.machine-token');  // the key, as the person copies it
  assert.match(token, /^SFMyNTY\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
  await shot(page, '03-machines');

  const resp = await fetch(`${base}/api/my/pulses`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-API-Token': token },
    body: JSON.stringify({ coded_at: codedAt(), xps: [{ language: 'TypeScript', xp: 1234 }, { language: 'C++', xp: 66 }] }),
  });
  assert.equal(resp.status, 201);
  assert.deepEqual(await resp.json(), { ok: 'Great success!' });

  await page.click('#nav-profile');
  assert.equal(await page.getAttribute('#profile-total', 'data-total-xp'), '1300');
  assert.equal(await page.textContent('#profile-total [data-role=level-text]'), 'Level 0 (1,300 XP) (+1,300)');
  const languages = await page.$$eval('#profile-languages li [data-role=level-text]', (els) => els.map((e) => e.textContent));
  assert.deepEqual(languages, ['TypeScript level 0 (1,234 XP) (+1,234)', 'C++ level 0 (66 XP) (+66)']);
  await shot(page, '04-profile-with-xp');

  // No inline scripts or style attributes anywhere on the pages a person saw.
  for (const path of ['/my/machines', '/my/preferences', '/users/Browser%20User']) {
    await page.goto(`${base}${path}`);
    const inline = await page.$$eval('script:not([src]), [style]', (els) => els.length);
    assert.equal(inline, 0, `${path} has inline script or style`);
  }
  await context.close();
});

test('a form posted without its CSRF token is refused with 403', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${base}/login`);
  await page.$eval('input[name=_csrf_token]', (el) => el.remove());
  await page.fill('#username', 'Browser User');
  await page.fill('#password', 'correct horse');
  const [response] = await Promise.all([page.waitForNavigation(), page.click('#login-submit')]);
  assert.equal(response.status(), 403);
  assert.match(await page.textContent('h1'), /Forbidden/);
  await shot(page, '05-csrf-refused');
  await context.close();
});

// JavaScript on: the bundle joins users:<name> and frontpage over the Phoenix socket; a pulse
// posted over HTTP must show up on the open pages within 2 s, without a reload.
test('live: a new pulse appears on the open profile and on the front page', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`${base}/login`);
  await page.fill('#username', 'Browser User');
  await page.fill('#password', 'correct horse');
  await page.click('#login-submit');
  const token = await machineToken(page);

  const profile = await context.newPage();
  profile.on('pageerror', (e) => errors.push(String(e)));
  // The bundle joins users:<name>, then re-renders from GraphQL: both are waited for (not a
  // sleep) before the pulse is sent.
  const profileJoined = joined(profile, 'users:Browser User');
  const refetched = profileRefetched(profile);
  await profile.goto(`${base}/users/Browser%20User`);
  await profileJoined;
  await refetched;
  await profile.waitForFunction(() => document.querySelectorAll('#year-chart span.day').length === 366);
  const before = Number(await profile.getAttribute('#profile-total', 'data-total-xp'));
  const sent = Date.now();
  await postPulse(token, [{ language: 'Elixir', xp: 4321 }]);
  await profile.waitForFunction((want) => document.querySelector('#profile-total')?.dataset.totalXp === want,
    String(before + 4321), { timeout: DUE_MS });
  const profileMs = Date.now() - sent;
  assert.match(await profile.textContent('#profile-languages'), /Elixir level 1 \(4,321 XP\)/);
  await shot(profile, '06-profile-live');

  const front = await context.newPage();
  front.on('pageerror', (e) => errors.push(String(e)));
  const frontJoined = joined(front, 'frontpage');
  await front.goto(`${base}/`);
  await frontJoined;
  const sentFront = Date.now();
  await postPulse(token, [{ language: 'Zig', xp: 77 }]);
  await front.waitForFunction(() => /Zig/.test(document.querySelector('#pulse-feed')?.textContent ?? ''), null,
    { timeout: DUE_MS });
  const frontMs = Date.now() - sentFront;
  await shot(front, '07-frontpage-live');
  console.log(`live update latency: profile ${profileMs} ms, front page ${frontMs} ms`);
  assert.deepEqual(errors, []);
  await context.close();
});
