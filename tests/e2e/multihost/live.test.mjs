// Three hosts, one database: a phoenix client on each host (directly, so that each host's
// own channel is tested) and one through nginx join users:<name>; pulses posted to the three
// hosts in turn must reach every client exactly once, and every host's /api/users/<name>
// must agree with the database. Both need the host's event log (issue 16): without it a
// host sees only the pulses it stored itself.
// Run by run.sh, which starts the hosts and nginx and signs the user up (setup.mjs).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Socket } from 'phoenix';
import WebSocket from 'ws';
import { agreementMessage, apiUser, hosts, nginx, settleAgreement, state } from './common.mjs';

const { user, token } = state();
const PULSES = 30;
const FIRST_XP = 1000;  // pulse i carries xp FIRST_XP + i in language "Live": distinct, so matched by amount
// Deadline for deliveries that are due (generous for a sanitizer build on a busy machine),
// not a latency budget; latencies are printed.
const DUE_MS = 15000;
// After every client got every pulse: how long a duplicate still has to show up.
const DUPLICATE_GRACE_MS = 1000;

// One client per host, directly, and one through nginx (its WebSocket upgrade).
const clients = [
  ...hosts.map((h) => ({ label: `host ${h.n} (port ${h.port}, direct)`, url: h.socket })),
  { label: `nginx (port ${nginx.port})`, url: nginx.socket },
];
const posted = [];  // {i, xp, host, at}

function join(channel) {
  return new Promise((resolve, reject) => {
    channel.join().receive('ok', resolve).receive('error', (e) => reject(new Error(`refused: ${JSON.stringify(e)}`)))
      .receive('timeout', () => reject(new Error('join timed out')));
  });
}

before(async () => {
  for (const c of clients) {
    c.received = new Map();  // xp -> [arrival ms]
    c.socket = new Socket(c.url, { transport: WebSocket, heartbeatIntervalMs: 5000 });
    c.socket.connect();
    const channel = c.socket.channel(`users:${user}`, {});
    channel.on('new_pulse', (p) => {
      const xp = p.xps?.find((x) => x.language === 'Live')?.amount;
      if (xp === undefined) return;
      if (!c.received.has(xp)) c.received.set(xp, []);
      c.received.get(xp).push(Date.now());
    });
    c.joined = join(channel).then(() => null, (e) => e);
  }
  for (const c of clients) c.joinError = await c.joined;
});

after(() => {
  for (const c of clients) c.socket.disconnect();
});

test('a live-update socket joins users:<name> on every host and through nginx', () => {
  const failed = clients.filter((c) => c.joinError).map((c) => `${c.label}: ${c.joinError.message}`);
  if (failed.length) assert.fail(failed.join('\n'));
});

test('every client receives every new_pulse exactly once, whichever host stored it', async (t) => {
  // Every host renders the profile once before the pulses, so that each holds a view of it
  // that the pulses must update (the agreement test below).
  for (const h of hosts) {
    const v = await apiUser(h, user);
    assert.ok(!v.error, `host ${h.n} (port ${h.port}) GET /api/users/${user}: ${v.error}`);
  }
  for (let i = 0; i < PULSES; i++) {
    const host = hosts[i % hosts.length];
    const xp = FIRST_XP + i;
    const r = await fetch(`${host.http}/api/my/pulses`, {
      method: 'POST',
      headers: { 'X-API-Token': token, 'Content-Type': 'application/json' },
      body: JSON.stringify({ coded_at: new Date().toISOString(), xps: [{ language: 'Live', xp }] }),
      signal: AbortSignal.timeout(30000),
    });
    assert.equal(r.status, 201, `pulse #${i} (xp ${xp}) to host ${host.n} (port ${host.port}): ${r.status} ${await r.text()}`);
    posted.push({ i, xp, host, at: Date.now() });
  }

  const joined = clients.filter((c) => !c.joinError);
  const complete = () => joined.every((c) => posted.every((p) => c.received.has(p.xp)));
  const deadline = Date.now() + DUE_MS;
  while (!complete() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  await new Promise((r) => setTimeout(r, DUPLICATE_GRACE_MS));

  const problems = [];
  for (const c of joined) {
    const missing = posted.filter((p) => !c.received.has(p.xp));
    const duplicated = posted.filter((p) => (c.received.get(p.xp)?.length ?? 0) > 1);
    const got = posted.length - missing.length;
    if (missing.length) {
      // grouped by the host that stored the pulse
      const byHost = hosts.map((h) => missing.filter((p) => p.host === h)).filter((l) => l.length);
      problems.push(`${c.label}: got ${got} of ${posted.length} within ${DUE_MS} ms; missing ` + byHost.map((l) =>
        `${l.length} posted to host ${l[0].host.n} (${l.map((p) => `#${p.i} xp ${p.xp}`).join(', ')})`).join('; '));
    }
    if (duplicated.length) {
      problems.push(`${c.label}: received more than once: ${duplicated.map((p) =>
        `#${p.i} xp ${p.xp} (posted to host ${p.host.n}) ${c.received.get(p.xp).length} times`).join(', ')}`);
    }
    const delays = posted.filter((p) => c.received.has(p.xp)).map((p) => c.received.get(p.xp)[0] - p.at).sort((a, b) => a - b);
    if (delays.length) t.diagnostic(`${c.label}: ${delays.length} delivered, median ${delays[delays.length >> 1]} ms, max ${delays[delays.length - 1]} ms after the 201`);
  }
  if (problems.length) assert.fail(problems.join('\n'));
});

test('a key regenerated through host 1 is refused by hosts 2 and 3 as soon as host 1 answered', async () => {
  const { revoked, session } = state();
  const pulse = (host, key) =>
    fetch(`${host.http}/api/my/pulses`, {
      method: 'POST',
      headers: { 'X-API-Token': key, 'Content-Type': 'application/json' },
      body: JSON.stringify({ coded_at: new Date().toISOString(), xps: [{ language: 'Revoked', xp: 1 }] }),
      signal: AbortSignal.timeout(30000),
    });
  // Every host verifies the key once (and keeps it in its token cache).
  for (const h of hosts) assert.equal((await pulse(h, revoked.token)).status, 201, `host ${h.n}: the key before`);
  const r = await fetch(`${hosts[0].http}/my/machines/${revoked.id}/key`, {
    method: 'POST',
    headers: { Cookie: session.cookie, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf_token: session.csrf }).toString(),
    redirect: 'manual',
    signal: AbortSignal.timeout(30000),
  });
  assert.equal(r.status, 302, `host 1 regenerating the key: ${r.status} ${await r.text()}`);
  for (const h of hosts.slice(1)) {
    const old = await pulse(h, revoked.token);
    assert.equal(old.status, 403, `host ${h.n} took the old key after host 1 answered`);
    assert.deepEqual(await old.json(), { error: 'You must be authenticated' });
  }
});

test("every host's /api/users/<name> agrees with the database", async () => {
  assert.ok(posted.length > 0, 'no pulses were posted (the test above failed before posting)');
  const result = await settleAgreement(user);
  if (!result.report.every((r) => r.diff.length === 0)) assert.fail(`after 15 s:\n${agreementMessage(result)}`);
});
