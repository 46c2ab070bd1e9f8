// Shared by the multihost test files: the hosts and nginx run.sh started, the database, and
// the comparison of every host's /api/users/<name> with the database.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

// Host n (1-based) listens on hosts[n - 1].port; nginx proxies to all three.
export const hosts = process.env.MH_HOSTS.split(',').map((port, i) => ({
  n: i + 1,
  port: Number(port),
  http: `http://127.0.0.1:${port}`,
  socket: `ws://127.0.0.1:${port}/live_update_socket`,
}));
export const nginx = {
  port: Number(process.env.MH_NGINX),
  http: `http://127.0.0.1:${process.env.MH_NGINX}`,
  socket: `ws://127.0.0.1:${process.env.MH_NGINX}/live_update_socket`,
};

// "127.0.0.1:20002" -> "host 2 (127.0.0.1:20002)"; nginx's $upstream_addr lists every host
// it tried ("127.0.0.1:20001, 127.0.0.1:20002").
export function hostOf(upstreamAddr) {
  if (!upstreamAddr) return 'no upstream';
  return upstreamAddr
    .split(/,\s*/)
    .map((a) => {
      const h = hosts.find((x) => a.trim() === `127.0.0.1:${x.port}`);
      return h ? `host ${h.n} (${a.trim()})` : a.trim();
    })
    .join(' then ');
}

export function readJson(path) {
  return JSON.parse(readFileSync(path, 'utf8'));
}

export const state = () => readJson(process.env.MH_STATE);

// One query through psql (the connection string selects the test's database or schema);
// `vars` become psql variables (:'name' in the text). Rows of tab-separated fields.
export function sql(text, vars = {}) {
  const args = [process.env.MH_CONNINFO, '-X', '-A', '-t', '-q', '-v', 'ON_ERROR_STOP=1', '-F', '\t'];
  for (const [k, v] of Object.entries(vars)) args.push('-v', `${k}=${v}`);
  const out = execFileSync('psql', args, { input: text, encoding: 'utf8' });
  return out.split('\n').filter((l) => l !== '').map((l) => l.split('\t'));
}

// The user's XP in ingest's tables (pulses, xps, languages) and web's machines: the truth
// every host's answer is compared with.
export function dbTotals(username) {
  const user = "(SELECT id FROM users WHERE username = :'name')";
  const total = Number(sql(`SELECT COALESCE(sum(x.amount), 0) FROM xps x JOIN pulses p ON p.id = x.pulse_id WHERE p.user_id = ${user};`,
    { name: username })[0][0]);
  const languages = Object.fromEntries(sql(
    `SELECT l.name, sum(x.amount) FROM xps x JOIN pulses p ON p.id = x.pulse_id JOIN languages l ON l.id = x.language_id
     WHERE p.user_id = ${user} GROUP BY l.name;`, { name: username }).map(([k, v]) => [k, Number(v)]));
  const machines = Object.fromEntries(sql(
    `SELECT m.name, sum(x.amount) FROM xps x JOIN pulses p ON p.id = x.pulse_id JOIN machines m ON m.id = p.machine_id
     WHERE p.user_id = ${user} GROUP BY m.name;`, { name: username }).map(([k, v]) => [k, Number(v)]));
  return { total, languages, machines };
}

export async function apiUser(host, username) {
  const r = await fetch(`${host.http}/api/users/${encodeURIComponent(username)}`, { signal: AbortSignal.timeout(30000) });
  const text = await r.text();
  if (r.status !== 200) return { error: `${r.status} ${text}` };
  const body = JSON.parse(text);
  const xps = (o) => Object.fromEntries(Object.entries(o ?? {}).map(([k, v]) => [k, v.xps]));
  return { total: body.total_xp, languages: xps(body.languages), machines: xps(body.machines) };
}

// The differences of one host's view from the database, as text ([] when it agrees).
function differences(view, db) {
  if (view.error) return [`answered ${view.error}`];
  const out = [];
  if (view.total !== db.total) out.push(`total_xp ${view.total}, database ${db.total}`);
  for (const part of ['languages', 'machines']) {
    const names = new Set([...Object.keys(view[part]), ...Object.keys(db[part])]);
    for (const name of names) {
      const a = view[part][name] ?? 0, b = db[part][name] ?? 0;
      if (a !== b) out.push(`${part} "${name}" ${a}, database ${b}`);
    }
  }
  return out;
}

// Waits (up to `ms`: event delivery is asynchronous) until every host's /api/users/<name>
// agrees with the database; resolves with the last comparison. A host that agrees with the
// database agrees with the others.
export async function settleAgreement(username, ms = 15000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const db = dbTotals(username);
    const views = await Promise.all(hosts.map((h) => apiUser(h, username)));
    const report = views.map((v, i) => ({ host: hosts[i], view: v, diff: differences(v, db) }));
    if (report.every((r) => r.diff.length === 0) || Date.now() > deadline) return { db, report };
    await new Promise((r) => setTimeout(r, 250));
  }
}

export function agreementMessage({ db, report }) {
  const lines = [`database: total ${db.total}, languages ${JSON.stringify(db.languages)}, machines ${JSON.stringify(db.machines)}`];
  for (const r of report) {
    lines.push(r.diff.length === 0
      ? `host ${r.host.n} (port ${r.host.port}): agrees`
      : `host ${r.host.n} (port ${r.host.port}): ${r.diff.join('; ')}`);
  }
  return lines.join('\n');
}
