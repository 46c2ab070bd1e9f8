// Load through nginx while run.sh restarts the hosts one after the other: WORKERS loops post
// pulses (pulse n carries xp FIRST_XP + n in language "Load", so each is found again in the
// database by its amount; small, so that the user's total stays far below 2^31) and one loop reads /api/users/<name> (which also keeps every host's
// view of the profile warm). Paced, not a benchmark. On SIGTERM the loops finish their
// request in flight and every answer is written to $MH_LOAD_RESULT.
//   node load.mjs
import http from 'node:http';
import { writeFileSync } from 'node:fs';
import { hostOf, nginx, state } from './common.mjs';

const WORKERS = 4;
const PAUSE_MS = 20;  // between one worker's requests
const FIRST_XP = 1;

const { user, token } = state();
const startedAt = Date.now();
let stopping = false;
let next = 0;
const acked = [];    // [xp, ms] of every pulse nginx answered 201
const failures = []; // every other answer or error, POST and GET
let gets = 0;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// A new connection per request: nginx's reload (the drained restart) closes idle client
// keep-alive connections, and a request written on one at that moment is lost between the
// client and nginx, before any host. That is not what this test is about.
function send(method, path, body) {
  const at = Date.now();
  return new Promise((resolve) => {
    const req = http.request(`${nginx.http}${path}`, {
      method,
      agent: false,
      timeout: 30000,
      headers: method === 'POST' ? { 'X-API-Token': token, 'Content-Type': 'application/json' } : {},
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { text += d; });
      res.on('end', () => resolve({ at, status: res.statusCode, upstream: res.headers['x-upstream-addr'], text }));
      res.on('error', (e) => resolve({ at, status: 0, upstream: null, text: String(e) }));
    });
    req.on('timeout', () => req.destroy(new Error('no answer within 30 s')));
    req.on('error', (e) => resolve({ at, status: 0, upstream: null, text: String(e) }));
    req.end(body);
  });
}

function failure(what, r) {
  failures.push({ what, status: r.status, upstream: r.upstream, host: hostOf(r.upstream), at: r.at, ms: r.at - startedAt,
    body: r.text.slice(0, 200) });
}

async function poster() {
  while (!stopping) {
    const n = next++;
    const xp = FIRST_XP + n;
    const r = await send('POST', '/api/my/pulses',
      JSON.stringify({ coded_at: new Date().toISOString(), xps: [{ language: 'Load', xp }] }));
    if (r.status === 201) acked.push([xp, r.at]);
    else failure(`POST /api/my/pulses #${n} xp ${xp}`, r);
    await sleep(PAUSE_MS);
  }
}

async function reader() {
  while (!stopping) {
    const r = await send('GET', `/api/users/${encodeURIComponent(user)}`);
    gets++;
    if (r.status !== 200) failure(`GET /api/users/${user}`, r);
    await sleep(100);
  }
}

const loops = [...Array.from({ length: WORKERS }, poster), reader()];
process.on('SIGTERM', async () => {
  stopping = true;
  await Promise.all(loops);
  writeFileSync(process.env.MH_LOAD_RESULT, JSON.stringify({ startedAt, stoppedAt: Date.now(), posted: next, acked, gets, failures }));
  process.exit(0);
});
