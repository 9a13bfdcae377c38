// Two peer managers in one process, over real TCP on 127.0.0.1: BOLT 8 handshake and BOLT 1 init in
// both directions, messages both ways (a 10,000-message burst, a 65,535-byte message), ping/pong,
// keepalive and its timeout, error/warning reports, the odd/even rule, one connection per node id,
// and the disconnect API.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { equal } from '../bolt/bytes.js';
import { fromHex } from '../bolt/bytes.js';
import { encodeMessage } from '../bolt/messages/index.js';
import { Connection } from '../node/peer/connection.js';
import type { ChannelMessage, Peer, RemoteErrorReport } from '../node/peer/peer.js';
import type { CloseReason } from '../node/peer/reasons.js';
import {
  addressOf,
  FEATURES,
  guardProcess,
  makeNodeKey,
  REGTEST,
  startNode,
  until,
  waitFor,
  wireTypeOf,
  type TestNode,
} from './helpers/peer-harness.js';

const guard = guardProcess();
test.after(() => {
  guard.check();
  guard.dispose();
});

async function pair(t: TestContext, options: Parameters<typeof startNode>[0] = {}): Promise<{ a: TestNode; b: TestNode; ab: Peer; ba: Peer }> {
  const a = await startNode(options);
  const b = await startNode(options);
  t.after(() => Promise.all([a.manager.close(), b.manager.close()]));
  const bReady = waitFor<[Peer]>(b.manager, 'peerReady');
  const ab = await a.manager.connect(addressOf(b));
  const [ba] = await bReady;
  return { a, b, ab, ba };
}

const channelId = (i: number): Uint8Array => {
  const id = new Uint8Array(32);
  id[31] = i;
  return id;
};

test('handshake and init exchange, dialling in either direction', async (t) => {
  const a = await startNode();
  const b = await startNode();
  t.after(() => Promise.all([a.manager.close(), b.manager.close()]));

  // a dials b
  const bSeesA = waitFor<[Peer]>(b.manager, 'peerReady');
  const ab = await a.manager.connect(addressOf(b));
  const [ba] = await bSeesA;
  assert.equal(ab.state, 'ready');
  assert.equal(ab.direction, 'outbound');
  assert.equal(ab.nodeIdHex, b.manager.nodeIdHex);
  assert.equal(ba.direction, 'inbound');
  assert.equal(ba.nodeIdHex, a.manager.nodeIdHex, 'the responder learnt the initiator key in act three');
  for (const p of [ab, ba]) {
    const info = p.readyInfo!;
    assert.ok(equal(info.remoteFeatures, FEATURES));
    assert.ok(info.negotiated.active.has('basic_mpp'));
    assert.ok(info.negotiated.active.has('var_onion_optin'));
    assert.deepEqual(info.networks, [REGTEST]);
    assert.equal(info.remoteAddr, null, 'a loopback address is private: no remote_addr (BOLT 1)');
  }

  // then the other way round, after a disconnect
  const bGone = waitFor<[Peer, CloseReason]>(b.manager, 'peerClosed');
  assert.equal(a.manager.disconnect(b.manager.nodeId), true);
  await bGone;
  const aSeesB = waitFor<[Peer]>(a.manager, 'peerReady');
  const ba2 = await b.manager.connect(addressOf(a));
  const [ab2] = await aSeesB;
  assert.equal(ba2.direction, 'outbound');
  assert.equal(ab2.direction, 'inbound');
  assert.equal(ab2.nodeIdHex, b.manager.nodeIdHex);
  assert.equal(a.manager.peers().length, 1);
  assert.equal(b.manager.peers().length, 1);
});

test('channel and gossip messages flow both ways as typed events', async (t) => {
  const { a, b, ab, ba } = await pair(t);
  const atB = waitFor<[Peer, ChannelMessage]>(b.manager, 'channelMessage');
  ab.send({ type: 'update_fee', channelId: channelId(1), feeratePerKw: 2500 });
  const [fromPeer, msg] = await atB;
  assert.equal(fromPeer, ba);
  assert.equal(msg.type, 'update_fee');
  assert.ok(msg.type === 'update_fee' && msg.feeratePerKw === 2500 && equal(msg.channelId, channelId(1)));

  const atA = waitFor<[Peer, { type: string }]>(a.manager, 'gossipMessage');
  ba.send({ type: 'gossip_timestamp_filter', chainHash: REGTEST, firstTimestamp: 1_700_000_000, timestampRange: 3600 });
  const [, gossip] = await atA;
  assert.deepEqual(gossip, { type: 'gossip_timestamp_filter', chainHash: REGTEST, firstTimestamp: 1_700_000_000, timestampRange: 3600, tlvs: {} });

  // the Peer itself emits the same events
  const onPeer = waitFor<[ChannelMessage]>(ab, 'channelMessage');
  ba.send({ type: 'update_fee', channelId: channelId(2), feeratePerKw: 253 });
  const [direct] = await onPeer;
  assert.ok(direct.type === 'update_fee' && direct.feeratePerKw === 253);
});

test('10,000 messages in a burst each way arrive complete and in order (the sender waits on drain whenever send() asks)', async (t) => {
  const { ab, ba } = await pair(t);
  const COUNT = 10_000;
  const collect = (peer: Peer): Promise<number[]> => new Promise((resolve) => {
    const got: number[] = [];
    peer.on('channelMessage', (m) => {
      if (m.type !== 'update_fee') return;
      got.push(m.feeratePerKw);
      if (got.length === COUNT) resolve(got);
    });
  });
  const atB = collect(ba);
  const atA = collect(ab);
  let waitedForDrain = 0;
  const burst = async (from: Peer, base: number): Promise<void> => {
    for (let i = 0; i < COUNT; i++) {
      if (!from.send({ type: 'update_fee', channelId: channelId(9), feeratePerKw: base + i })) {
        waitedForDrain++;
        await from.whenDrained();
      }
    }
  };
  await Promise.all([burst(ab, 0), burst(ba, 1_000_000)]);
  const [gotB, gotA] = await Promise.all([atB, atA]);
  assert.deepEqual(gotB, Array.from({ length: COUNT }, (_, i) => i));
  assert.deepEqual(gotA, Array.from({ length: COUNT }, (_, i) => 1_000_000 + i));
  t.diagnostic(`sender waited for drain ${waitedForDrain} times`);
});

test('a 65,535-byte message goes through both ways; 65,536 is refused before it reaches the wire', async (t) => {
  const { ab, ba } = await pair(t);
  const blob = new Uint8Array(65531); // type (2) + length (2) + 65531 = 65535 bytes
  for (let i = 0; i < blob.length; i++) blob[i] = (i * 7) & 0xff;
  assert.equal(encodeMessage({ type: 'peer_storage', blob }).length, 65535);
  const atB = waitFor<[{ type: string; blob: Uint8Array }]>(ba, 'storageMessage');
  const atA = waitFor<[{ type: string; blob: Uint8Array }]>(ab, 'storageMessage');
  ab.send({ type: 'peer_storage', blob });
  ba.send({ type: 'peer_storage_retrieval', blob });
  const [[mb], [ma]] = await Promise.all([atB, atA]);
  assert.equal(mb.type, 'peer_storage');
  assert.ok(equal(mb.blob, blob));
  assert.equal(ma.type, 'peer_storage_retrieval');
  assert.ok(equal(ma.blob, blob));
  assert.throws(() => ab.send({ type: 'peer_storage', blob: new Uint8Array(65532) }), /65536 bytes, above the 65535-byte message limit/);
  assert.equal(ab.state, 'ready', 'a refused send does not hurt the connection');
  await ab.ping(0);
});

test('backpressure: a paused receiver stops reading, send() then asks the sender to wait, and everything arrives after resume', async (t) => {
  const { ab, ba } = await pair(t);
  ba.pause();
  const blob = new Uint8Array(65531);
  let sent = 0;
  while (ab.send({ type: 'peer_storage', blob })) {
    sent++;
    assert.ok(sent < 2_000, 'send() returned false before 130 MB were queued');
  }
  sent++;
  assert.ok(ab.connection.needsDrain);
  let received = 0;
  ba.on('storageMessage', () => received++);
  const drained = ab.whenDrained();
  ba.resume();
  await drained;
  await until(() => received === sent, `all ${sent} messages delivered`);
  assert.equal(ab.state, 'ready');
  t.diagnostic(`send() returned false after ${sent} messages of 65,535 bytes`);
});

test('a peer that does not read is dropped once our write buffer passes its limit', async (t) => {
  const a = await startNode({ maxWriteBufferBytes: 1_000_000 });
  const b = await startNode();
  t.after(() => Promise.all([a.manager.close(), b.manager.close()]));
  const bReady = waitFor<[Peer]>(b.manager, 'peerReady');
  const ab = await a.manager.connect(addressOf(b));
  const [ba] = await bReady;
  ba.pause();
  const closed = waitFor<[Peer, CloseReason]>(a.manager, 'peerClosed');
  const blob = new Uint8Array(65531);
  for (let i = 0; i < 2_000 && ab.state === 'ready'; i++) ab.send({ type: 'peer_storage', blob });
  const [, reason] = await closed;
  assert.equal(reason.code, 'write-buffer-full');
  assert.match(reason.message, /above the 1000000-byte limit/);
});

test('ping is answered with num_pong_bytes; a keepalive ping goes out on an idle connection', async (t) => {
  const { ab, ba } = await pair(t, { pingIntervalMs: 40, pongTimeoutMs: 2_000 });
  const pongs: number[] = [];
  ab.on('pong', (p) => pongs.push(p.byteslen));
  const rtt = await ab.ping(1000);
  assert.ok(rtt >= 0);
  assert.equal(await ab.ping(0).then(() => pongs.at(-1)), 0);
  assert.deepEqual(pongs.slice(0, 2), [1000, 0]);
  await assert.rejects(ab.ping(65532), /num_pong_bytes 65532/);
  // idle now: each side pings the other on its own and gets its pong
  await waitFor(ba, 'pong');
  await waitFor(ab, 'pong', () => true);
  assert.equal(ab.state, 'ready');
  assert.equal(ba.state, 'ready');
});

/** A hand-driven BOLT 8 client that speaks init but does nothing else unless told. */
async function quietPeer(t: TestContext, victim: TestNode): Promise<{ conn: Connection; received: Uint8Array[]; closed: Promise<CloseReason> }> {
  const conn = await Connection.dial({ host: '127.0.0.1', port: victim.port, remoteNodeId: victim.manager.nodeId, localKey: makeNodeKey() });
  t.after(() => conn.close({ code: 'local-request', message: 'test over' }, 'destroy'));
  const received: Uint8Array[] = [];
  conn.on('message', (m) => received.push(m));
  const closed = new Promise<CloseReason>((resolve) => conn.once('close', resolve));
  conn.resume();
  conn.send(encodeMessage({ type: 'init', globalfeatures: new Uint8Array(0), features: FEATURES, tlvs: { networks: [REGTEST] } }));
  return { conn, received, closed };
}

test('a peer that never answers pings is disconnected with ping-timeout', async (t) => {
  const victim = await startNode({ pingIntervalMs: 30, pongTimeoutMs: 150 });
  t.after(() => victim.manager.close());
  const { received, closed } = await quietPeer(t, victim);
  const [peer, reason] = await waitFor<[Peer, CloseReason]>(victim.manager, 'peerClosed');
  assert.equal(reason.code, 'ping-timeout');
  assert.match(reason.message, /no pong within 150 ms/);
  assert.equal(peer.state, 'closed');
  assert.ok(received.some((m) => wireTypeOf(m) === 18), 'the quiet peer was sent a ping');
  await closed;
  assert.ok(victim.lines.some((l) => l.code === 'ping-timeout' && l.msg === 'connection dropped'), 'the reason is logged');
});

test('a ping asking 65532 bytes or more gets no pong; pongs come back for the others', async (t) => {
  const victim = await startNode();
  t.after(() => victim.manager.close());
  const { conn, received } = await quietPeer(t, victim);
  await until(() => victim.manager.peers().some((p) => p.state === 'ready'), 'the victim accepted init');
  conn.send(encodeMessage({ type: 'ping', numPongBytes: 65532, ignored: new Uint8Array(0) }));
  conn.send(encodeMessage({ type: 'ping', numPongBytes: 65535, ignored: new Uint8Array(0) }));
  conn.send(encodeMessage({ type: 'ping', numPongBytes: 7, ignored: new Uint8Array(3) }));
  conn.send(encodeMessage({ type: 'ping', numPongBytes: 65531, ignored: new Uint8Array(0) }));
  await until(() => received.filter((m) => wireTypeOf(m) === 19).length >= 2, 'two pongs arrived');
  const pongs = received.filter((m) => wireTypeOf(m) === 19);
  assert.deepEqual(pongs.map((m) => (m[2]! << 8) | m[3]!), [7, 65531], 'byteslen equals num_pong_bytes, ignored pings left no pong');
  assert.ok(pongs.every((m) => m.subarray(4).every((b) => b === 0)), 'ignored bytes are zeros');
});

test('a pong that matches no ping we sent closes the connection (BOLT 1: MAY close)', async (t) => {
  const victim = await startNode();
  t.after(() => victim.manager.close());
  const { conn } = await quietPeer(t, victim);
  await until(() => victim.manager.peers().some((p) => p.state === 'ready'), 'the victim accepted init');
  conn.send(encodeMessage({ type: 'pong', ignored: new Uint8Array(5) }));
  const [, reason] = await waitFor<[Peer, CloseReason]>(victim.manager, 'peerClosed');
  assert.equal(reason.code, 'unexpected-pong');
  assert.match(reason.message, /pong with 5 bytes \(no ping outstanding\)/);
});

test('error and warning are reported with their channel and printable text; all-zero means all channels', async (t) => {
  const { a, ab, ba } = await pair(t);
  const reports: [string, RemoteErrorReport][] = [];
  a.manager.on('remoteError', (_p, r) => reports.push(['error', r]));
  a.manager.on('remoteWarning', (_p, r) => reports.push(['warning', r]));
  ba.sendError('funding transaction spent');
  ba.sendWarning('fee too low', channelId(4));
  ba.send({ type: 'error', channelId: channelId(5), data: Uint8Array.of(0x00, 0xff, 0x41) });
  await until(() => reports.length === 3, 'three reports');
  assert.deepEqual(reports.map(([k, r]) => [k, r.allChannels, r.text]), [
    ['error', true, 'funding transaction spent'],
    ['warning', false, 'fee too low'],
    ['error', false, 'hex:00ff41'],
  ]);
  assert.ok(equal(reports[1]![1].channelId, channelId(4)));
  assert.equal(ab.state, 'ready', 'an error fails channels (the channel layer does that), not the connection');
  assert.ok(a.lines.some((l) => l.msg === 'peer sent error' && l['data'] === 'funding transaction spent' && l['channelId'] === 'all'));
  assert.ok(a.lines.some((l) => l.msg === 'peer sent warning' && l['data'] === 'fee too low'));
});

test('an unknown odd message is ignored and the connection carries on', async (t) => {
  const { ab, ba } = await pair(t);
  const events: string[] = [];
  for (const e of ['channelMessage', 'gossipMessage', 'storageMessage', 'remoteError', 'remoteWarning'] as const) ab.on(e, () => events.push(e));
  ba.send({ type: 'unknown', wireType: 32769, payload: Uint8Array.of(1, 2, 3) });
  ba.send({ type: 'unknown', wireType: 65535, payload: new Uint8Array(0) });
  await ba.ping(4); // the pong comes after ab has processed both odd messages
  assert.deepEqual(events, []);
  assert.equal(ab.state, 'ready');
});

test('sending before init is refused locally; init is the peer layer’s to send', async (t) => {
  const { ab } = await pair(t);
  assert.throws(() => ab.send({ type: 'init', globalfeatures: new Uint8Array(0), features: FEATURES }), /init is sent by the peer layer/);
  ab.disconnect();
  assert.throws(() => ab.send({ type: 'update_fee', channelId: channelId(1), feeratePerKw: 1 }), /peer is closed/);
  await assert.rejects(ab.ping(), /peer is closed/);
});

test('networks with no chain in common: both ends close with no-common-network', async (t) => {
  const a = await startNode();
  const b = await startNode({ chainHashes: [fromHex('6fe28c0ab6f1b372c1a6a246ae63f74f931e8365e15a089c68d6190000000000')] });
  t.after(() => Promise.all([a.manager.close(), b.manager.close()]));
  const bClosed = waitFor<[Peer, CloseReason]>(b.manager, 'peerClosed');
  await assert.rejects(a.manager.connect(addressOf(b)), /no-common-network.*share no chain with ours/);
  const [, reason] = await bClosed;
  assert.equal(reason.code, 'no-common-network');
  assert.ok(a.lines.some((l) => l.code === 'no-common-network'));
  assert.ok(b.lines.some((l) => l.code === 'no-common-network'));
});

test('one connection per node id: concurrent dials share one, and a newer connection replaces an established one', async (t) => {
  const a = await startNode();
  const b = await startNode();
  t.after(() => Promise.all([a.manager.close(), b.manager.close()]));
  const [p1, p2] = await Promise.all([a.manager.connect(addressOf(b)), a.manager.connect(addressOf(b))]);
  assert.equal(p1, p2);
  assert.equal(await a.manager.connect(addressOf(b)), p1, 'connecting again returns the live peer');
  await until(() => b.manager.peers().length === 1 && b.manager.peers()[0]!.state === 'ready', 'b sees a');
  const old = b.manager.peers()[0]!;

  // the same node (same key) comes back over a new connection, as after a restart
  const aAgain = await startNode({ localKey: a.key }, null);
  t.after(() => aAgain.manager.close());
  const replaced = waitFor<[Peer, CloseReason]>(b.manager, 'peerClosed');
  const lost = waitFor<[Peer, CloseReason]>(a.manager, 'peerClosed');
  await aAgain.manager.connect(addressOf(b));
  const [gone, why] = await replaced;
  assert.equal(gone, old);
  assert.equal(why.code, 'replaced');
  const [, lostWhy] = await lost;
  assert.equal(lostWhy.code, 'remote-closed');
  assert.equal(b.manager.peers().length, 1);
  assert.notEqual(b.manager.peer(a.manager.nodeId), old);
  assert.equal(b.manager.peer(a.manager.nodeIdHex)!.state, 'ready');
});

test('simultaneous dials from both ends settle on one connection that both ends share', async (t) => {
  for (let round = 0; round < 10; round++) {
    const a = await startNode();
    const b = await startNode();
    // Both calls succeed; the connection each returned may still give way to the other one just after,
    // so the layers above follow the manager's peerReady/peerClosed events rather than keep this object.
    await Promise.all([a.manager.connect(addressOf(b)), b.manager.connect(addressOf(a))]);
    const settled = (): boolean => {
      const [pa, pb] = [a.manager.peer(b.manager.nodeId), b.manager.peer(a.manager.nodeId)];
      return pa?.state === 'ready' && pb?.state === 'ready' && pa.direction !== pb.direction;
    };
    await until(settled, 'each side keeps one ready peer, over the same TCP connection (opposite directions)');
    const ab = a.manager.peer(b.manager.nodeId)!;
    const ba = b.manager.peer(a.manager.nodeId)!;
    assert.equal(a.manager.peers().length, 1);
    assert.equal(b.manager.peers().length, 1);
    await ab.ping(2);
    await ba.ping(3);
    await Promise.all([a.manager.close(), b.manager.close()]);
  }
  t.diagnostic('10 rounds');
});

test('disconnect() closes both ends and the local reason is local-request', async (t) => {
  const { a, b } = await pair(t);
  const closedA = waitFor<[Peer, CloseReason]>(a.manager, 'peerClosed');
  const closedB = waitFor<[Peer, CloseReason]>(b.manager, 'peerClosed');
  assert.equal(a.manager.disconnect(b.manager.nodeIdHex, 'operator asked'), true);
  const [[, ra], [, rb]] = await Promise.all([closedA, closedB]);
  assert.deepEqual(ra, { code: 'local-request', message: 'operator asked' });
  assert.equal(rb.code, 'remote-closed');
  assert.equal(a.manager.peers().length, 0);
  assert.equal(a.manager.disconnect(b.manager.nodeIdHex), false, 'nothing left to disconnect');
});

test('connecting to our own node id is refused', async (t) => {
  const a = await startNode();
  t.after(() => a.manager.close());
  await assert.rejects(a.manager.connect(addressOf(a)), /cannot connect to our own node id/);
});
