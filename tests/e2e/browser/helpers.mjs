// Shared by the browser tests: the chromium launch, screenshots, pulses over HTTP, mail.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { chromium } from 'playwright-core';

export const base = `http://127.0.0.1:${process.env.CODESTATS_HTTP_PORT}`;
const shots = process.env.CODESTATS_SCREENSHOTS;

export function launch() {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
}

export async function shot(page, name) {
  await page.screenshot({ path: `${shots}/${name}.png`, fullPage: true });
}

export function codedAt() {
  return new Date(Date.now() - 60_000).toISOString().replace(/\.\d+Z$/, 'Z');
}

export async function postPulse(token, xps) {
  const resp = await fetch(`${base}/api/my/pulses`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-API-Token': token },
    body: JSON.stringify({ coded_at: codedAt(), xps }),
  });
  assert.equal(resp.status, 201);
}

// Signs up through the form and logs in; the page ends on the own profile.
export async function signUpAndLogIn(page, username, password) {
  await page.goto(`${base}/signup`);
  await page.fill('#user_username', username);
  await page.fill('#user_password', password);
  await page.check('#user_not_underage');
  await page.check('#user_accept_terms');
  await page.click('#signup-submit');
  assert.equal(new URL(page.url()).pathname, '/login');
  await page.fill('#username', username);
  await page.fill('#password', password);
  await page.click('#login-submit');
  assert.equal(new URL(page.url()).pathname, `/users/${encodeURIComponent(username)}`);
}

export async function machineToken(page, name = 'Live Box') {
  await page.goto(`${base}/my/machines`);
  await page.fill('#machine_name', name);
  await page.click('#add-machine-submit');
  return page.inputValue('input.machine-token');
}

// Deadline for something that is due (a live update, a join): generous for a sanitizer build
// on a busy machine; only something stuck misses it. Latencies are printed, not judged.
export const DUE_MS = 15000;

// Resolves once the page's live socket got the ok reply to its join of `topic` (a Phoenix V2
// frame [join_ref, ref, topic, "phx_reply", {"status": "ok", ...}]). Call it before the page
// loads, and await it instead of sleeping "long enough" for the join.
export function joined(page, topic) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no join reply for ${topic} within ${DUE_MS} ms`)), DUE_MS);
    page.on('websocket', (ws) => {
      ws.on('framereceived', ({ payload }) => {
        let frame;
        try {
          frame = JSON.parse(String(payload));
        } catch {
          return;
        }
        if (Array.isArray(frame) && frame[2] === topic && frame[3] === 'phx_reply' && frame[4]?.status === 'ok') {
          clearTimeout(timer);
          resolve();
        }
      });
    });
  });
}

// Resolves with the page's first /profile-graph response (the profile page refetches its data
// after every join; a pulse sent after it is not in that answer, so it must arrive live).
export function profileRefetched(page) {
  return page.waitForResponse((r) => r.url().endsWith('/profile-graph'), { timeout: DUE_MS });
}

// The token of the password-reset link mailed to `address`: the mail module's file transport
// writes each message to run.sh's CODESTATS_MAIL_DIR as <id>-<created>.eml on its delivery
// timer, so this waits for it (a deadline, not a latency budget). Quoted-printable soft line
// breaks are undone before the link is looked for.
export async function resetTokenMailedTo(address) {
  const dir = process.env.CODESTATS_MAIL_DIR;
  const deadline = Date.now() + DUE_MS;
  for (;;) {
    const names = existsSync(dir) ? readdirSync(dir).filter((n) => n.endsWith('.eml')) : [];
    for (const name of names) {
      const eml = readFileSync(`${dir}/${name}`, 'utf8').replace(/=\r?\n/g, '');
      if (!eml.split('\r\n').includes(`To: ${address}`)) continue;
      const link = eml.match(/\/reset-password\/([0-9a-f-]{36})/);
      if (link) return link[1];
    }
    if (Date.now() > deadline) throw new Error(`no reset mail to ${address} in ${dir} within ${DUE_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
