// JavaScript on: a private profile updates live for its owner (the page joins
// users:<name> with the channel token of <meta name="channel_token">) and is 404 for a
// stranger; the GraphiQL IDE at /profile-graphiql runs a query against /profile-graph.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DUE_MS, base, joined, launch, machineToken, postPulse, profileRefetched, shot, signUpAndLogIn } from './helpers.mjs';

let browser;

before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const owner = 'Private Pat';
const profilePath = `/users/${encodeURIComponent(owner)}`;

test('live: the owner of a private profile sees a new pulse; a stranger gets 404', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await signUpAndLogIn(page, owner, 'correct horse');
  await page.goto(`${base}/my/preferences`);
  await page.check('#user_private_profile');
  await page.click('#details-form button[type=submit]');
  assert.match(await page.textContent('.flash-success'), /Preferences updated!/);
  const token = await machineToken(page, 'Secret Box');

  // The join and the GraphQL re-render after it are waited for, not slept for.
  const profileJoined = joined(page, `users:${owner}`);
  const refetched = profileRefetched(page);
  const response = await page.goto(`${base}${profilePath}`);
  assert.equal(response.status(), 200);
  assert.ok(await page.getAttribute('meta[name=channel_token]', 'content'), 'the layout carries the socket token');
  await profileJoined;
  await refetched;
  await page.waitForFunction(() => document.querySelectorAll('#year-chart span.day').length === 366);
  assert.equal(await page.getAttribute('#profile-total', 'data-total-xp'), '0');
  const sent = Date.now();
  await postPulse(token, [{ language: 'Rust', xp: 4321 }]);
  await page.waitForFunction(() => document.querySelector('#profile-total')?.dataset.totalXp === '4321', null,
    { timeout: DUE_MS });
  const ms = Date.now() - sent;
  assert.match(await page.textContent('#profile-languages'), /Rust level 1 \(4,321 XP\)/);
  await shot(page, '08-private-profile-live');
  console.log(`live update latency, private profile: ${ms} ms`);
  assert.equal(await page.$$eval('script[src*="graphiql"]', (els) => els.length), 0, 'the IDE bundle is not loaded');

  const stranger = await browser.newContext();
  const other = await stranger.newPage();
  const refused = await other.goto(`${base}${profilePath}`);
  assert.equal(refused.status(), 404);
  await shot(other, '09-private-profile-stranger');
  await stranger.close();
  assert.deepEqual(errors, []);
  await context.close();
});

test('GraphiQL: the IDE runs the example query against /profile-graph and shows the result', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(String(e)));
  page.on('console', (m) => { if (/Content.Security.Policy|Refused/i.test(m.text())) problems.push(m.text()); });
  await page.goto(`${base}/login`);
  await page.fill('#username', owner);
  await page.fill('#password', 'correct horse');
  await page.click('#login-submit');

  const response = await page.goto(`${base}/profile-graphiql`);
  assert.equal(response.status(), 200);
  assert.match(response.headers()['content-type'], /^text\/html/);
  const scripts = await page.$$eval('script[src]', (els) => els.map((e) => e.getAttribute('src')));
  assert.equal(scripts.length, 1);
  assert.match(scripts[0], /^\/assets\/graphiql_ide-[A-Z0-9]{8}\.js$/);
  await page.waitForSelector('.graphiql-execute-button');
  // The example query asks for the logged-in user's (private) profile.
  assert.match(await page.textContent('.graphiql-container'), /profile\(username: \$username\)/);
  const graph = page.waitForResponse((r) => r.url().endsWith('/profile-graph') &&
    r.request().postData()?.includes('dayLanguageXps'));
  await page.click('.graphiql-execute-button');
  assert.equal((await graph).status(), 200);
  await page.waitForFunction(() => /"totalXp": 4321/.test(document.querySelector('.graphiql-response')?.textContent ?? ''),
    null, { timeout: DUE_MS });
  const result = await page.textContent('.graphiql-response');
  assert.match(result, /"name": "Rust"/);
  assert.doesNotMatch(result, /"errors"/);
  await shot(page, '10-graphiql');
  assert.deepEqual(problems, []);
  await context.close();
});
