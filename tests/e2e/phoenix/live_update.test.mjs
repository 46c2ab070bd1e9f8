// The official phoenix JavaScript client against a real codestatsd (web, ingest, channels):
// join frontpage and users:<name>, receive new_pulse after a real POST /api/my/pulses,
// heartbeats, leave, a refused join of a private profile and its rejoin with a token.
// Run by run.sh, which starts the host and passes its ports in the environment.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Socket } from 'phoenix';
import WebSocket from 'ws';
import { SOCKET, admin, join, nextEvent, postPulse, suffix } from './helpers.mjs';

function connect(params = {}) {
  const socket = new Socket(SOCKET, { transport: WebSocket, params, heartbeatIntervalMs: 300 });
  socket.connect();
  return socket;
}

const alice = `alice${suffix}`;
const bob = `bob${suffix}`;

test('frontpage and users:<name> receive new_pulse after a real pulse', async () => {
  await admin('web.create-user', alice);
  const apiToken = await admin('web.create-machine', alice, 'laptop');
  const socket = connect();
  try {
    const front = socket.channel('frontpage', {});
    const reply = await join(front);
    assert.ok(Array.isArray(reply.xp_history), 'frontpage join replies with xp_history');
    const user = socket.channel(`users:${alice}`, {});
    assert.deepEqual(await join(user), {});

    const userPulse = nextEvent(user, 'new_pulse');
    const frontPulse = nextEvent(front, 'new_pulse');
    await postPulse(apiToken, [{ language: 'C++', xp: 15 }, { language: 'Elixir', xp: 3 }]);
    const u = await userPulse;
    assert.deepEqual(u.xps, [{ language: 'C++', amount: 15 }, { language: 'Elixir', amount: 3 }]);
    assert.equal(u.machine, 'laptop');
    assert.match(u.sent_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.match(u.sent_at_local, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$/);
    const f = await frontPulse;
    assert.deepEqual(f, { xps: [{ language: 'C++', amount: 15 }, { language: 'Elixir', amount: 3 }], coords: null });

    // the history now counts the pulse in the current minute
    const again = socket.channel('frontpage', {});
    const history = (await join(again)).xp_history;
    assert.ok(history.length >= 1 && history[0][1] >= 18, JSON.stringify(history));

    await new Promise((resolve, reject) => user.leave().receive('ok', resolve).receive('timeout', reject));
  } finally {
    socket.disconnect();
  }
});

test('heartbeats are answered', async () => {
  const socket = connect();
  try {
    const replies = await new Promise((resolve) => {
      let n = 0;
      socket.onMessage((m) => {
        if (m.topic === 'phoenix' && m.event === 'phx_reply' && m.payload.status === 'ok' && ++n === 2) resolve(n);
      });
    });
    assert.equal(replies, 2);
    assert.equal(socket.isConnected(), true);
  } finally {
    socket.disconnect();
  }
});

test('a private profile refuses strangers and admits its owner', async () => {
  await admin('web.create-user', bob, '--private');
  const stranger = connect();
  try {
    const channel = stranger.channel(`users:${bob}`, {});
    await assert.rejects(join(channel), (err) => {
      assert.deepEqual(err, { reason: 'Unauthorized.' });
      return true;
    });
    channel.leave();
  } finally {
    stranger.disconnect();
  }
  const token = await admin('channels.socket-token', bob);
  const owner = connect({ token });
  try {
    assert.deepEqual(await join(owner.channel(`users:${bob}`, {})), {});
  } finally {
    owner.disconnect();
  }
});

test('a refused join is retried by the client and succeeds once allowed', async () => {
  const later = `later${suffix}`;
  const socket = connect();
  try {
    const channel = socket.channel(`users:${later}`, {});
    let refused;
    const firstRefusal = new Promise((resolve) => { refused = resolve; });
    const joined = new Promise((resolve) => {
      channel.join()
        .receive('error', (e) => refused(e))
        .receive('ok', (r) => resolve(r));
    });
    // the user does not exist yet: the first join is refused (waited for, not assumed to
    // have come within some time) ...
    assert.deepEqual(await firstRefusal, { reason: 'Unauthorized.' });
    // ... and the client's own rejoin schedule (1 s) succeeds once the profile exists
    await admin('web.create-user', later);
    assert.deepEqual(await joined, {});
  } finally {
    socket.disconnect();
  }
});

test('an invalid socket token refuses the connection', async () => {
  const socket = new Socket(SOCKET, { transport: WebSocket, params: { token: 'v1.forged.1.x' }, reconnectAfterMs: () => 60000 });
  try {
    const outcome = await new Promise((resolve) => {
      socket.onOpen(() => resolve('open'));
      socket.onError(() => resolve('error'));
      socket.connect();
    });
    assert.equal(outcome, 'error');
  } finally {
    socket.disconnect();
  }
});
