// Persistent peers: when the other side's listener goes away, the dialler retries with capped,
// jittered exponential backoff, reconnects when the listener is back, and starts the backoff over
// after a success. Every wait is on an event.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffBase } from '../node/peer/backoff.js';
import type { ConnectionFailure, ReconnectScheduled } from '../node/peer/peer-manager.js';
import type { Peer } from '../node/peer/peer.js';
import type { CloseReason } from '../node/peer/reasons.js';
import { addressOf, guardProcess, startNode, waitFor } from './helpers/peer-harness.js';

const guard = guardProcess();
test.after(() => {
  guard.check();
  guard.dispose();
});

const policy = { initialDelayMs: 20, maxDelayMs: 160, multiplier: 2, jitter: 0.5 };

function assertJitteredDelay(s: ReconnectScheduled): void {
  const base = backoffBase(s.attempt, policy);
  assert.ok(s.delayMs >= Math.floor(base * (1 - policy.jitter)) && s.delayMs <= base, `attempt ${s.attempt}: ${s.delayMs} ms outside [${base / 2}, ${base}]`);
}

test('a persistent peer whose listener dies is retried with backoff and reconnected when it returns', async (t) => {
  const a = await startNode({ reconnect: policy });
  const b = await startNode();
  t.after(() => a.manager.close());
  const port = b.port;
  const bId = b.manager.nodeIdHex;
  await a.manager.connect(addressOf(b), { persistent: true });
  assert.deepEqual(a.manager.persistentPeers(), [bId]);

  const scheduled: ReconnectScheduled[] = [];
  const failures: ConnectionFailure[] = [];
  a.manager.on('reconnectScheduled', (s) => scheduled.push(s));
  a.manager.on('connectionFailed', (f) => failures.push(f));

  // b goes away entirely: listener closed, connection dropped
  const lost = waitFor<[Peer, CloseReason]>(a.manager, 'peerClosed');
  await b.manager.close();
  const [, why] = await lost;
  assert.equal(why.code, 'remote-closed');

  // a keeps trying; wait until the delays have reached the cap
  await waitFor<[ReconnectScheduled]>(a.manager, 'reconnectScheduled', (s) => s.attempt === 6, 10_000);
  assert.deepEqual(scheduled.map((s) => s.attempt), [1, 2, 3, 4, 5, 6], 'one schedule per failure, counting up');
  for (const s of scheduled) {
    assert.equal(s.nodeId, bId);
    assert.equal(s.address, `${bId}@127.0.0.1:${port}`);
    assertJitteredDelay(s);
  }
  assert.ok(scheduled.slice(4).every((s) => s.delayMs <= policy.maxDelayMs), 'bounded by maxDelayMs');
  assert.ok(failures.length >= 5 && failures.every((f) => f.reason.code === 'connect-failed' && f.nodeId === bId && f.direction === 'outbound'));
  assert.match(failures[0]!.reason.message, /ECONNREFUSED/);

  // b comes back on the same port with the same key: a reconnects by itself
  const back = await startNode({ localKey: b.key }, port);
  t.after(() => back.manager.close());
  const [peer] = await waitFor<[Peer]>(a.manager, 'peerReady', (p) => p.nodeIdHex === bId, 5_000);
  assert.equal(peer.direction, 'outbound');
  assert.equal(a.manager.peer(bId), peer);

  // success resets the backoff: the next loss starts again at attempt 1
  const again = waitFor<[ReconnectScheduled]>(a.manager, 'reconnectScheduled');
  const lostAgain = waitFor<[Peer, CloseReason]>(a.manager, 'peerClosed');
  back.manager.stopListening();
  back.manager.disconnect(a.manager.nodeId);
  await lostAgain;
  const [next] = await again;
  assert.equal(next.attempt, 1);
  assertJitteredDelay(next);
  console.log('peer reconnection: 7 schedules checked (6 while down, 1 after the reset)');
});

test('a persistent peer that cannot be reached at first is retried until it appears', async (t) => {
  const target = await startNode();
  const port = target.port;
  const address = addressOf(target);
  await target.manager.close();

  const a = await startNode({ reconnect: policy });
  t.after(() => a.manager.close());
  const firstRetry = waitFor<[ReconnectScheduled]>(a.manager, 'reconnectScheduled');
  await assert.rejects(a.manager.connect(address, { persistent: true }), /connect-failed/);
  const [s] = await firstRetry;
  assert.equal(s.attempt, 1);

  const up = await startNode({ localKey: target.key }, port);
  t.after(() => up.manager.close());
  const [peer] = await waitFor<[Peer]>(a.manager, 'peerReady', () => true, 5_000);
  assert.equal(peer.nodeIdHex, target.manager.nodeIdHex);
});

test('disconnect() forgets a persistent peer: the close is local-request and nothing is scheduled', async (t) => {
  const a = await startNode({ reconnect: policy });
  const b = await startNode();
  t.after(() => Promise.all([a.manager.close(), b.manager.close()]));
  await a.manager.connect(addressOf(b), { persistent: true });
  let schedules = 0;
  a.manager.on('reconnectScheduled', () => schedules++);
  const closed = waitFor<[Peer, CloseReason]>(a.manager, 'peerClosed');
  assert.equal(a.manager.disconnect(b.manager.nodeId), true);
  const [, reason] = await closed;
  assert.equal(reason.code, 'local-request');
  assert.deepEqual(a.manager.persistentPeers(), []);
  assert.equal(schedules, 0, 'the close handler scheduled nothing');
});

test('a persistent peer that connects to us first cancels the pending retry and resets the count', async (t) => {
  const a = await startNode({ reconnect: { initialDelayMs: 60_000, maxDelayMs: 60_000, multiplier: 2, jitter: 0 } });
  const b = await startNode();
  t.after(() => Promise.all([a.manager.close(), b.manager.close()]));
  await a.manager.connect(addressOf(b), { persistent: true });
  const scheduled = waitFor<[ReconnectScheduled]>(a.manager, 'reconnectScheduled');
  b.manager.disconnect(a.manager.nodeId);
  const [s] = await scheduled;
  assert.equal(s.delayMs, 60_000, 'a retry is a minute away');
  // b dials a itself long before that
  const ready = waitFor<[Peer]>(a.manager, 'peerReady');
  await b.manager.connect(addressOf(a));
  const [peer] = await ready;
  assert.equal(peer.direction, 'inbound');
  // Lose it again: a fresh schedule at attempt 1 proves the minute-long timer was cleared on ready
  // (a pending timer would have suppressed any new schedule) and the count was reset.
  const rescheduled = waitFor<[ReconnectScheduled]>(a.manager, 'reconnectScheduled');
  b.manager.disconnect(a.manager.nodeId);
  const [r] = await rescheduled;
  assert.equal(r.attempt, 1);
});
