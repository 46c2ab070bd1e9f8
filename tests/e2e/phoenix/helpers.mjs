// Shared by the V2 and V1 client tests: the host's addresses (run.sh passes its ports), admin
// commands, joins, events and pulses; nothing here depends on the client's protocol version.
import assert from 'node:assert/strict';

export const HTTP = `http://127.0.0.1:${process.env.CODESTATS_HTTP_PORT}`;
export const SOCKET = `ws://127.0.0.1:${process.env.CODESTATS_HTTP_PORT}/live_update_socket`;
const ADMIN = `http://127.0.0.1:${process.env.CODESTATS_ADMIN_PORT}`;
const TOKEN = process.env.CODESTATS_ADMIN_TOKEN;

// Names unique to this run: the tests share one host with the other file's users.
export const suffix = `${process.pid}${Date.now() % 100000}`;

// Runs an admin command (`web.create-user NAME`, ...) and answers its output.
export async function admin(command, ...args) {
  const r = await fetch(`${ADMIN}/admin/commands/${command}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ args }),
  });
  const body = await r.json();
  assert.equal(r.status, 200, `${command}: ${JSON.stringify(body)}`);
  return body.output.trim();
}

// Resolves with the join's ok reply, rejects with its error reply or a timeout.
export function join(channel) {
  return new Promise((resolve, reject) => {
    channel.join().receive('ok', resolve).receive('error', reject).receive('timeout', () => reject(new Error('timeout')));
  });
}

// The payload of the channel's next `event`. `ms` is a deadline for an event that is due
// (generous for a slow machine), not a latency budget.
export function nextEvent(channel, event, ms = 10000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event} within ${ms} ms`)), ms);
    // phoenix >= 1.3 answers a ref to remove this binding alone; 1.2's on() answers nothing,
    // and its off(event) would remove every binding of the event, so it is left in place.
    const ref = channel.on(event, (payload) => {
      clearTimeout(timer);
      if (ref !== undefined) channel.off(event, ref);
      resolve(payload);
    });
  });
}

export async function postPulse(apiToken, xps) {
  const r = await fetch(`${HTTP}/api/my/pulses`, {
    method: 'POST',
    headers: { 'X-API-Token': apiToken, 'Content-Type': 'application/json' },
    body: JSON.stringify({ coded_at: new Date().toISOString(), xps }),
  });
  assert.equal(r.status, 201, await r.text());
}
