// A Phoenix V1 client (npm phoenix 1.2.1, the last release whose phoenix.js speaks vsn 1.0.0:
// JSON objects {topic, event, payload, ref}; the 1.3 releases already send vsn 2.0.0 arrays)
// against a real codestatsd, beside the current V2 client on the same socket path: join,
// heartbeat, new_pulse from a real POST /api/my/pulses reaching both, leave.
// Run by run.sh, which starts the host and passes its ports in the environment.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import phoenixV1 from 'phoenix-v1';
import { Socket as SocketV2 } from 'phoenix';
import WebSocket from 'ws';
import { SOCKET, admin, join, nextEvent, postPulse, suffix } from './helpers.mjs';

const { Socket: SocketV1 } = phoenixV1;

// Every frame the V1 client receives, as the server sent it (a V1 object).
function connectV1(frames) {
  const socket = new SocketV1(SOCKET, { transport: WebSocket, heartbeatIntervalMs: 300 });
  socket.onMessage((msg) => frames.push(msg));
  socket.connect();
  return socket;
}

// phoenix 1.2's disconnect() leaves its heartbeat interval and reconnect timer running.
function disconnectV1(socket) {
  socket.disconnect();
  clearInterval(socket.heartbeatTimer);
  socket.reconnectTimer.reset();
  socket.channels.forEach((channel) => channel.rejoinTimer.reset());
}

// The first received frame matching `pred`, waited for (a deadline, not a latency budget).
function frameMatching(frames, pred, ms = 10000) {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const poll = setInterval(() => {
      const found = frames.find(pred);
      if (found || Date.now() - started > ms) {
        clearInterval(poll);
        if (found) resolve(found);
        else reject(new Error('no matching frame within ' + ms + ' ms'));
      }
    }, 20);
  });
}

const carol = `carol${suffix}`;

test('a V1 client joins, heartbeats, gets new_pulse like a V2 client, and leaves', async () => {
  await admin('web.create-user', carol);
  const apiToken = await admin('web.create-machine', carol, 'desktop');
  const frames = [];
  const v1 = connectV1(frames);
  const v2 = new SocketV2(SOCKET, { transport: WebSocket });
  v2.connect();
  try {
    const front = v1.channel('frontpage', {});
    const reply = await join(front);
    assert.ok(Array.isArray(reply.xp_history), 'frontpage join replies with xp_history');
    const user = v1.channel(`users:${carol}`, {});
    assert.deepEqual(await join(user), {});
    const frontV2 = v2.channel('frontpage', {});
    await join(frontV2);

    // the server's frames are V1 objects: {topic, event, payload, ref}, no join_ref
    const joinReply = frames.find((f) => f.topic === 'frontpage' && f.event === 'phx_reply');
    assert.deepEqual(Object.keys(joinReply).sort(), ['event', 'payload', 'ref', 'topic']);
    assert.equal(joinReply.payload.status, 'ok');

    // heartbeats (every 300 ms here) are answered on topic phoenix
    const beat = await frameMatching(frames, (f) => f.topic === 'phoenix' && f.event === 'phx_reply');
    assert.deepEqual(beat.payload, { status: 'ok', response: {} });

    const userPulse = nextEvent(user, 'new_pulse');
    const frontPulse = nextEvent(front, 'new_pulse');
    const frontPulseV2 = nextEvent(frontV2, 'new_pulse');
    await postPulse(apiToken, [{ language: 'Elixir', xp: 12 }]);
    const u = await userPulse;
    assert.deepEqual(u.xps, [{ language: 'Elixir', amount: 12 }]);
    assert.equal(u.machine, 'desktop');
    const expected = { xps: [{ language: 'Elixir', amount: 12 }], coords: null };
    assert.deepEqual(await frontPulse, expected);
    assert.deepEqual(await frontPulseV2, expected);
    const broadcast = frames.find((f) => f.topic === 'frontpage' && f.event === 'new_pulse');
    assert.equal(broadcast.ref, null);
    assert.equal('join_ref' in broadcast, false);

    await new Promise((resolve, reject) => user.leave().receive('ok', resolve).receive('timeout', reject));
    // left: the next pulse reaches the front page only
    await frameMatching(frames, (f) => f.topic === `users:${carol}` && f.event === 'phx_close');
    const seen = frames.length;
    const frontAgain = nextEvent(front, 'new_pulse');
    await postPulse(apiToken, [{ language: 'Elixir', xp: 1 }]);
    await frontAgain;
    assert.equal(frames.slice(seen).some((f) => f.topic === `users:${carol}` && f.event === 'new_pulse'), false);
  } finally {
    disconnectV1(v1);
    v2.disconnect();
  }
});
