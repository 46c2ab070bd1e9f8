// Signs a user up, logs in and adds a machine through nginx, as a browser would (the forms'
// CSRF tokens, the session cookie). nginx spreads the requests over the three hosts, so the
// session and CSRF token one host issued are accepted by the others (web's sessions table).
// Writes {user, token} to $MH_STATE for the tests and the load generator.
//   node setup.mjs
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { hostOf, nginx } from './common.mjs';

const cookies = new Map();
let csrf = '';
const served = new Set();

async function request(method, path, form) {
  const headers = { Accept: 'text/html,application/xhtml+xml,*/*;q=0.8' };
  if (cookies.size) headers.Cookie = [...cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  let body;
  if (form) {
    headers['Content-Type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams({ ...form, _csrf_token: csrf }).toString();
  }
  const r = await fetch(`${nginx.http}${path}`, { method, headers, body, redirect: 'manual', signal: AbortSignal.timeout(30000) });
  for (const c of r.headers.getSetCookie()) {
    const [pair] = c.split(';');
    const eq = pair.indexOf('=');
    const name = pair.slice(0, eq), value = pair.slice(eq + 1);
    if (/Max-Age=0/i.test(c) || value === '') cookies.delete(name);
    else cookies.set(name, value);
  }
  const text = await r.text();
  const m = text.match(/name="_csrf_token" value="([^"]+)"/);
  if (m) csrf = m[1];
  const upstream = hostOf(r.headers.get('x-upstream-addr'));
  served.add(upstream);
  return { status: r.status, location: r.headers.get('location'), text, where: `${method} ${path} via ${upstream}` };
}

function expectRedirect(r, to) {
  assert.equal(r.status, 302, `${r.where}: expected 302 to ${to}, got ${r.status}: ${r.text.slice(0, 400)}`);
  assert.equal(r.location, to, `${r.where}: redirected to ${r.location}, expected ${to}`);
}

const user = `multi${process.pid}${Date.now() % 100000}`;
const password = 'multihost-secret-1';

let r = await request('GET', '/signup');
assert.equal(r.status, 200, r.where);
expectRedirect(await request('POST', '/signup', {
  'user[username]': user, 'user[password]': password, 'user[email]': '',
  'user[not-underage]': 'true', 'user[accept-terms]': 'true',
}), '/login');
r = await request('GET', '/login');
assert.equal(r.status, 200, r.where);
expectRedirect(await request('POST', '/login', { username: user, password }), '/my/profile');
r = await request('GET', '/my/machines');
assert.equal(r.status, 200, r.where);
expectRedirect(await request('POST', '/my/machines', { 'machine[name]': 'multihost' }), '/my/machines');
r = await request('GET', '/my/machines');
assert.equal(r.status, 200, r.where);
const token = r.text.match(/class="machine-token" value="([^"]+)"/)?.[1];
assert.ok(token, `${r.where}: no machine token on the page`);
// A second machine, for the key revocation test (live.test.mjs): its id, key, and the
// session that may regenerate the key.
expectRedirect(await request('POST', '/my/machines', { 'machine[name]': 'revoked' }), '/my/machines');
r = await request('GET', '/my/machines');
const revoked = r.text.match(/data-machine-id="(\d+)">\s*<td class="machine-name">revoked<\/td>[\s\S]*?class="machine-token" value="([^"]+)"/);
assert.ok(revoked, `${r.where}: no machine "revoked" on the page`);
const session = { cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; '), csrf };

writeFileSync(process.env.MH_STATE, JSON.stringify({ user, token, revoked: { id: revoked[1], token: revoked[2] }, session }));
console.log(`setup: user ${user} signed up with a machine through nginx; served by ${[...served].join(', ')}`);
