// Hostile peers over raw TCP against one victim node. In every case the victim drops the connection
// with a reason it logs and emits, keeps its existing peer, and completes a fresh handshake afterwards;
// nothing reaches the process as an uncaught exception or unhandled rejection.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { encodeMessage } from '../bolt/messages/index.js';
import { fromBits } from '../bolt/features.js';
import { ACT_TWO_LENGTH, initiatorActOne, initiatorActThree, initiatorReadActTwo } from '../bolt/noise/index.js';
import type { ConnectionFailure } from '../node/peer/peer-manager.js';
import type { Peer } from '../node/peer/peer.js';
import type { CloseCode, CloseReason } from '../node/peer/reasons.js';
import { hex } from '../bolt/bytes.js';
import type { NodeKey } from '../bolt/noise/index.js';
import {
  addressOf,
  FEATURES,
  guardProcess,
  makeNodeKey,
  randomPrivateKey,
  rawHandshake,
  RawSocket,
  REGTEST,
  startNode,
  waitFor,
  wireTypeOf,
  type RawPeer,
  type TestNode,
} from './helpers/peer-harness.js';

const guard = guardProcess();
let victim: TestNode;
let honest: TestNode;
let honestPeer: Peer;
let adversaryCount = 0;

test.before(async () => {
  victim = await startNode({ handshakeTimeoutMs: 300, frameTimeoutMs: 300, initTimeoutMs: 2_000 });
  honest = await startNode({}, null);
  honestPeer = await honest.manager.connect(addressOf(victim));
});

test.after(async () => {
  await Promise.all([victim.manager.close(), honest.manager.close()]);
  guard.check();
  guard.dispose();
  console.log(`peer adversaries: ${adversaryCount} cases`);
});

/** Waits for the victim to drop the raw socket's connection during the handshake (no Peer exists yet). */
function victimDropsHandshake(raw: RawSocket, code: CloseCode): Promise<CloseReason> {
  const from = `127.0.0.1:${raw.socket.localPort}`;
  return waitFor<[ConnectionFailure]>(victim.manager, 'connectionFailed', (f) => f.remoteAddress === from).then(([f]) => {
    assert.equal(f.direction, 'inbound');
    assert.equal(f.nodeId, null);
    assert.equal(f.reason.code, code, f.reason.message);
    return f.reason;
  });
}

/** Waits for the victim to drop the peer with this node key after the handshake. */
function victimDropsPeer(key: NodeKey, code: CloseCode): Promise<CloseReason> {
  const id = hex(key.publicKey);
  return waitFor<[Peer, CloseReason]>(victim.manager, 'peerClosed', (p) => p.nodeIdHex === id).then(([, r]) => {
    assert.equal(r.code, code, r.message);
    return r;
  });
}

/** The victim logged the drop, still talks to its old peer, and accepts a brand-new one. */
async function assertStillServing(reason: CloseReason): Promise<void> {
  adversaryCount++;
  assert.ok(
    victim.lines.some((l) => l.msg === 'connection dropped' && l.code === reason.code && l.reason === reason.message),
    `the victim logged ${reason.code}: ${reason.message}`,
  );
  assert.equal(honestPeer.state, 'ready');
  await honestPeer.ping(16);
  await connectAndLeave();
}

/** A new honest node completes the handshake and init with the victim, then leaves (and the victim sees it go). */
async function connectAndLeave(): Promise<void> {
  const fresh = await startNode({}, null);
  const gone = waitFor<[Peer, CloseReason]>(victim.manager, 'peerClosed', (p) => p.nodeIdHex === fresh.manager.nodeIdHex);
  try {
    const peer = await fresh.manager.connect(addressOf(victim));
    assert.equal(peer.state, 'ready');
  } finally {
    await fresh.manager.close();
  }
  await gone;
}

/** A raw peer past the handshake that also sent a valid init and read the victim's. */
async function initialisedRawPeer(key: NodeKey): Promise<RawPeer> {
  const raw = await rawHandshake(victim.port, victim.manager.nodeId, key);
  raw.send({ type: 'init', globalfeatures: new Uint8Array(0), features: FEATURES, tlvs: { networks: [REGTEST] } });
  assert.equal(wireTypeOf(await raw.readMessage()), 16, 'the victim sends init first');
  return raw;
}

/** Every message the victim sends until it closes. */
async function drain(raw: RawPeer): Promise<number[]> {
  const types: number[] = [];
  for (;;) {
    try {
      types.push(wireTypeOf(await raw.readMessage()));
    } catch {
      return types;
    }
  }
}

test('act one made for another node key: dropped as ACT1_BAD_TAG, no reply', async () => {
  const raw = await RawSocket.open(victim.port);
  const drop = victimDropsHandshake(raw, 'handshake-failed');
  raw.write(initiatorActOne({ remoteStatic: makeNodeKey().publicKey, ephemeralPrivateKey: randomPrivateKey() }).message);
  const reason = await drop;
  assert.match(reason.message, /^ACT1_BAD_TAG: /);
  await raw.closed;
  assert.equal(raw.buffered, 0, 'nothing was sent back');
  await assertStillServing(reason);
});

test('act one with an unknown version byte: dropped as ACT1_BAD_VERSION', async () => {
  const raw = await RawSocket.open(victim.port);
  const drop = victimDropsHandshake(raw, 'handshake-failed');
  const act1 = initiatorActOne({ remoteStatic: victim.manager.nodeId, ephemeralPrivateKey: randomPrivateKey() }).message;
  act1[0] = 1;
  raw.write(act1);
  const reason = await drop;
  assert.match(reason.message, /^ACT1_BAD_VERSION: act1: unknown version 1/);
  await assertStillServing(reason);
});

/** Acts one and two done properly; returns act three and the socket. */
async function uptoActThree(raw: RawSocket): Promise<Uint8Array> {
  const act1 = initiatorActOne({ remoteStatic: victim.manager.nodeId, ephemeralPrivateKey: randomPrivateKey() });
  raw.write(act1.message);
  const act2 = initiatorReadActTwo(act1.state, await raw.read(ACT_TWO_LENGTH));
  return (await initiatorActThree(act2, makeNodeKey())).message;
}

test('act three truncated, then the socket closes: dropped with the missing byte count', async () => {
  const raw = await RawSocket.open(victim.port);
  const drop = victimDropsHandshake(raw, 'handshake-failed');
  const act3 = await uptoActThree(raw);
  raw.write(act3.subarray(0, 30));
  raw.socket.end();
  const reason = await drop;
  assert.equal(reason.message, 'peer closed the connection during the handshake (waiting for act three: got 30 of 66 bytes)');
  await assertStillServing(reason);
});

test('act three truncated, then silence: dropped by the handshake deadline', async () => {
  const raw = await RawSocket.open(victim.port);
  const drop = victimDropsHandshake(raw, 'handshake-timeout');
  const act3 = await uptoActThree(raw);
  raw.write(act3.subarray(0, 30));
  const reason = await drop;
  assert.equal(reason.message, 'handshake did not complete within 300 ms (waiting for act three: 30 of 66 bytes)');
  await raw.closed;
  await assertStillServing(reason);
});

test('act three with a forged final tag: dropped as ACT3_BAD_TAG', async () => {
  const raw = await RawSocket.open(victim.port);
  const drop = victimDropsHandshake(raw, 'handshake-failed');
  const act3 = await uptoActThree(raw);
  act3[65]! ^= 0x80;
  raw.write(act3);
  const reason = await drop;
  assert.match(reason.message, /^ACT3_BAD_TAG: /);
  await assertStillServing(reason);
});

test('random garbage instead of a handshake: dropped', async () => {
  const raw = await RawSocket.open(victim.port);
  const drop = victimDropsHandshake(raw, 'handshake-failed');
  raw.write(new Uint8Array(randomBytes(1000)));
  const reason = await drop;
  assert.match(reason.message, /^ACT1_(BAD_VERSION|BAD_PUBKEY|BAD_TAG): /);
  await raw.closed;
  await assertStillServing(reason);
});

test('a frame with a bad MAC after the handshake: dropped as transport-error', async () => {
  const key = makeNodeKey();
  const drop = victimDropsPeer(key, 'transport-error');
  const raw = await rawHandshake(victim.port, victim.manager.nodeId, key);
  const frame = raw.encryptor.encrypt(encodeMessage({ type: 'init', globalfeatures: new Uint8Array(0), features: FEATURES }));
  frame[frame.length - 1]! ^= 0x01;
  raw.raw.write(frame);
  const reason = await drop;
  assert.match(reason.message, /^message body: bad MAC \(\d+ bytes, nonce 1\)$/);
  await raw.raw.closed;
  await assertStillServing(reason);
});

test('random garbage after the handshake: dropped as transport-error', async () => {
  const key = makeNodeKey();
  const drop = victimDropsPeer(key, 'transport-error');
  const raw = await rawHandshake(victim.port, victim.manager.nodeId, key);
  raw.raw.write(new Uint8Array(randomBytes(500)));
  const reason = await drop;
  assert.match(reason.message, /^length header: bad MAC \(nonce 0\)$/);
  await assertStillServing(reason);
});

test('a truncated frame, then the socket closes: dropped with what was missing', async () => {
  const key = makeNodeKey();
  const drop = victimDropsPeer(key, 'remote-closed');
  const raw = await rawHandshake(victim.port, victim.manager.nodeId, key);
  const message = encodeMessage({ type: 'init', globalfeatures: new Uint8Array(0), features: FEATURES });
  const frame = raw.encryptor.encrypt(message);
  raw.raw.write(frame.subarray(0, 18 + 3));
  raw.raw.socket.end();
  const reason = await drop;
  assert.equal(reason.message, `peer closed the connection in the middle of a frame (the body of a ${message.length}-byte message, ${message.length + 16 - 3} bytes missing)`);
  // a routine close is logged at info, not as misbehaviour
  assert.ok(victim.lines.some((l) => l.msg === 'connection closed' && l.code === 'remote-closed' && l.reason === reason.message));
  adversaryCount++;
  await honestPeer.ping(0);
  await connectAndLeave();
});

test('a length header that decrypts but a body that never comes: dropped by the frame deadline', async () => {
  const key = makeNodeKey();
  const drop = victimDropsPeer(key, 'frame-timeout');
  const raw = await rawHandshake(victim.port, victim.manager.nodeId, key);
  const frame = raw.encryptor.encrypt(new Uint8Array(1000));
  raw.raw.write(frame.subarray(0, 18));
  const reason = await drop;
  assert.equal(reason.message, 'frame incomplete after 300 ms (length header announced 1000 bytes, body still 1016 bytes short)');
  await raw.raw.closed;
  await assertStillServing(reason);
});

test('an unknown even message type after init: a warning, then the connection is closed', async () => {
  const key = makeNodeKey();
  const drop = victimDropsPeer(key, 'unknown-even-message');
  const raw = await initialisedRawPeer(key);
  raw.sendPlain(Uint8Array.of(0x7f, 0xfe, 1, 2, 3));
  const reason = await drop;
  assert.equal(reason.message, 'unknown even message type 32766 (5 bytes)');
  assert.deepEqual(await drain(raw), [1], 'a warning (type 1) told the peer why');
  await assertStillServing(reason);
});

test('a message before init: closed without a reply', async () => {
  const key = makeNodeKey();
  const drop = victimDropsPeer(key, 'message-before-init');
  const raw = await rawHandshake(victim.port, victim.manager.nodeId, key);
  raw.send({ type: 'ping', numPongBytes: 4, ignored: new Uint8Array(0) });
  const reason = await drop;
  assert.equal(reason.message, 'received ping before init');
  assert.deepEqual(await drain(raw), [16], 'only our own init went out (BOLT 1: nothing else before theirs)');
  await assertStillServing(reason);
});

test('an init requiring an unknown even feature: a warning, then closed as incompatible-features', async () => {
  const key = makeNodeKey();
  const drop = victimDropsPeer(key, 'incompatible-features');
  const raw = await rawHandshake(victim.port, victim.manager.nodeId, key);
  raw.send({ type: 'init', globalfeatures: new Uint8Array(0), features: fromBits([9, 100]), tlvs: { networks: [REGTEST] } });
  const reason = await drop;
  assert.match(reason.message, /peer requires unknown feature bit 100/);
  assert.deepEqual(await drain(raw), [16, 1], 'our init, then a warning');
  await assertStillServing(reason);
});

test('an unknown even feature in the legacy globalfeatures field is caught too (the two fields are ORed)', async () => {
  const key = makeNodeKey();
  const drop = victimDropsPeer(key, 'incompatible-features');
  const raw = await rawHandshake(victim.port, victim.manager.nodeId, key);
  raw.send({ type: 'init', globalfeatures: fromBits([2]), features: FEATURES });
  const reason = await drop;
  assert.match(reason.message, /peer requires unknown feature bit 2/);
  await assertStillServing(reason);
});

test('a known message too short for its fields: closed as malformed-message', async () => {
  const key = makeNodeKey();
  const drop = victimDropsPeer(key, 'malformed-message');
  const raw = await initialisedRawPeer(key);
  raw.sendPlain(Uint8Array.of(0x00, 0x12, 0x00)); // ping cut inside num_pong_bytes
  const reason = await drop;
  assert.match(reason.message, /^cannot decode message type 18: ping\.num_pong_bytes: short read/);
  await assertStillServing(reason);
});

test('a second init on the same connection: closed as duplicate-init', async () => {
  const key = makeNodeKey();
  const drop = victimDropsPeer(key, 'duplicate-init');
  const raw = await initialisedRawPeer(key);
  raw.send({ type: 'init', globalfeatures: new Uint8Array(0), features: FEATURES });
  const reason = await drop;
  assert.equal(reason.message, 'received a second init on this connection');
  await assertStillServing(reason);
});

test('a peer that completes the handshake but never sends init: dropped by the init deadline', async () => {
  const key = makeNodeKey();
  const drop = victimDropsPeer(key, 'init-timeout');
  const raw = await rawHandshake(victim.port, victim.manager.nodeId, key);
  const reason = await drop;
  assert.equal(reason.message, 'no init from the peer within 2000 ms');
  await raw.raw.closed;
  await assertStillServing(reason);
});
