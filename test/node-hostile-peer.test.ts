// A hostile peer against a whole `vigil node` process (embedded chain, HSM emulator, signer and node as
// child processes). The peer is a raw TCP socket that does the BOLT 8 handshake by hand with bolt/noise
// and a throw-away key, then writes the bytes it likes: truncated frames, bad MACs, unknown message
// types, malformed known messages, channel messages out of order or for channels that do not exist,
// garbage instead of a handshake, and handshakes left hanging. After every act the node must still be
// running, complete init and answer a ping for a fresh honest peer, and answer its API; its reaction is
// read from what it sends back and from its own log (pino JSON lines on stderr).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { concat, equal, hex, u16be } from '../bolt/bytes.js';
import { secp } from '../bolt/crypto/secp256k1.js';
import { fromBits } from '../bolt/features.js';
import { decodeMessage, encodeMessage, type MessageToEncode } from '../bolt/messages/index.js';
import { ACT_TWO_LENGTH, initiatorActOne } from '../bolt/noise/index.js';
import { NodeApiClient, readNodeEndpoint, type ApiMessage } from '../cli/node-api.js';
import { channelIdFromFunding } from '../node/channel/params.js';
import { DEFAULT_MAX_PENDING_HANDSHAKES } from '../node/peer/index.js';
import { eventually, startChain, startNode, startSigningSide, tempDir, type Listening, type NodeReady, type Proc, type SigningSide } from './helpers/node-stack.js';
import {
  FEATURES,
  makeNodeKey,
  randomPrivateKey,
  rawHandshake,
  RawSocket,
  REGTEST,
  startNode as startPeerManager,
  wireTypeOf,
  type RawPeer,
} from './helpers/peer-harness.js';

const work = tempDir('node-hostile-peer');
const nodeDir = join(work.dir, 'node');
let chain: Proc<Listening>;
let side: SigningSide;
let node: Proc<NodeReady>;
let api: NodeApiClient;
let nodeId: Uint8Array;
let peerPort: number;
let survivals = 0;

// ------------------------------------------------------------------ the node's log

interface NodeLogLine {
  level: number;
  msg: string;
  module?: string;
  code?: string;
  reason?: string;
  peer?: string;
  remote?: string;
  [key: string]: unknown;
}

const logs: NodeLogLine[] = [];

/** Parses the node's stderr (pino JSON, one object a line) into `logs` as it arrives. */
function collectLogs(proc: Proc<NodeReady>): void {
  let partial = '';
  proc.child.stderr.on('data', (chunk: string | Buffer) => {
    partial += chunk.toString();
    const lines = partial.split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      if (line.trim() === '') continue;
      try {
        logs.push(JSON.parse(line) as NodeLogLine);
      } catch {
        logs.push({ level: 60, msg: `not a log line: ${line}` }); // e.g. a stack trace: fails the crash check
      }
    }
  });
}

function nodeLog(what: string, match: (l: NodeLogLine) => boolean, ms = 15_000): Promise<NodeLogLine> {
  return eventually(`the node logs ${what}`, async () => logs.find(match), ms);
}

/** The node's line for a connection it ended after the handshake with the peer whose key is `keyHex`. */
function closedPeerLog(keyHex: string, code: string): Promise<NodeLogLine> {
  return nodeLog(`a close of ${keyHex.slice(0, 12)}... as ${code}`, (l) => l.module === 'peer-connection' && l.peer === keyHex && l.code === code);
}

/** The node's line for an inbound connection it ended during the handshake (no node id yet: found by our port). */
function failedHandshakeLog(raw: RawSocket, code: string): Promise<NodeLogLine> {
  const port = `:${raw.socket.localPort}`;
  return nodeLog(`a failed handshake from ${port} as ${code}`, (l) => l.module === 'peer-connection' && l.remote?.endsWith(port) === true && l.code === code);
}

// ------------------------------------------------------------------ the hostile peer

type Msg = MessageToEncode;

/**
 * A raw BOLT 8 initiator (peer-harness's rawHandshake) whose incoming messages are read in the
 * background into `received`, so a test can both wait for the next one and look for one by predicate.
 */
class HostilePeer {
  readonly key = makeNodeKey();
  readonly keyHex = hex(this.key.publicKey);
  readonly received: Uint8Array[] = [];
  #cursor = 0;
  #ended = false;
  #wake: (() => void) | null = null;
  raw!: RawPeer;

  /** Handshake, then (unless `init` is false) init both ways. */
  static async open(init = true): Promise<HostilePeer> {
    const h = new HostilePeer();
    h.raw = await rawHandshake(peerPort, nodeId, h.key);
    void h.#pump();
    const theirs = await h.next();
    assert.ok(theirs !== null && wireTypeOf(theirs) === 16, 'the node sends init first');
    if (init) h.send({ type: 'init', globalfeatures: new Uint8Array(0), features: FEATURES, tlvs: { networks: [REGTEST] } });
    return h;
  }

  get ended(): boolean {
    return this.#ended;
  }

  async #pump(): Promise<void> {
    for (;;) {
      try {
        this.received.push(await this.raw.readMessage());
      } catch {
        this.#ended = true;
      }
      this.#wake?.();
      if (this.#ended) return;
    }
  }

  send(message: Msg): void {
    this.raw.send(message);
  }

  /** Encrypts and writes any plaintext (unknown types, cut messages). */
  sendPlain(bytes: Uint8Array): void {
    this.raw.sendPlain(bytes);
  }

  /** The next message not yet taken, or null once the node closed the connection. */
  async next(ms = 15_000): Promise<Uint8Array | null> {
    const deadline = Date.now() + ms;
    while (this.#cursor >= this.received.length && !this.#ended) {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no message from the node within ${ms} ms`)), Math.max(0, deadline - Date.now()));
        this.#wake = () => {
          clearTimeout(timer);
          this.#wake = null;
          resolve();
        };
      });
    }
    return this.received[this.#cursor++] ?? null;
  }

  /** Takes messages until one matches (the others are returned with it); fails if the connection ends first. */
  async expect(what: string, match: (m: Uint8Array) => boolean): Promise<{ found: Uint8Array; before: number[] }> {
    const before: number[] = [];
    for (;;) {
      const m = await this.next();
      if (m === null) throw new Error(`the node closed the connection before sending ${what} (got types [${before.join(', ')}])`);
      if (match(m)) return { found: m, before };
      before.push(wireTypeOf(m));
    }
  }

  /** Every message type the node still sends until it closes the connection. */
  async rest(): Promise<number[]> {
    const types: number[] = [];
    for (let m = await this.next(); m !== null; m = await this.next()) types.push(wireTypeOf(m));
    return types;
  }

  /** Sends a ping asking `n` bytes and waits for the pong; returns the types the node sent before it. */
  async pingPong(n: number): Promise<number[]> {
    this.send({ type: 'ping', numPongBytes: n, ignored: new Uint8Array(0) });
    const { before } = await this.expect(`a pong of ${n} bytes`, (m) => wireTypeOf(m) === 19 && m.length === 4 + n);
    return before;
  }

  close(): void {
    this.raw.raw.socket.end();
  }
}

/** An `error` (17) or `warning` (1) message: its channel id and its text. */
function readReport(m: Uint8Array): { type: 'error' | 'warning'; channelId: Uint8Array; text: string } {
  const msg = decodeMessage(m);
  assert.ok(msg.type === 'error' || msg.type === 'warning', `expected error or warning, got ${msg.type}`);
  return { type: msg.type, channelId: msg.channelId, text: new TextDecoder().decode(msg.data) };
}

function errorFor(channelId: Uint8Array): (m: Uint8Array) => boolean {
  return (m) => wireTypeOf(m) === 17 && equal(readReport(m).channelId, channelId);
}

// ------------------------------------------------------------------ survival

/**
 * The node process runs, a brand-new honest peer (a real PeerManager) completes the handshake and
 * init and gets a pong, the API answers GetInfo, and the node never logged a crash or a bug of its own.
 */
async function assertSurvives(): Promise<void> {
  assert.equal(node.child.exitCode, null, `the node process is still running; stderr:\n${node.stderr().slice(-2000)}`);
  assert.equal(node.child.signalCode, null);
  const honest = await startPeerManager({}, null);
  try {
    const peer = await honest.manager.connect(`${hex(nodeId)}@127.0.0.1:${peerPort}`);
    assert.equal(peer.state, 'ready', 'an honest peer completes init');
    assert.ok((await peer.ping(8)) >= 0, 'and gets its pong');
  } finally {
    await honest.manager.close();
  }
  const info = await api.call('GetInfo');
  assert.equal(info['node_id'], hex(nodeId), 'the API answers');
  const bugs = logs.filter((l) => l.level >= 60 || l.code === 'internal-error' || l.msg === 'connection listener threw' || l.msg === 'channel effect failed');
  assert.deepEqual(bugs, [], 'no fatal line, no listener that threw, no failed channel effect in the node log');
  survivals++;
}

async function listChannels(): Promise<ApiMessage[]> {
  return ((await api.call('ListChannels'))['channels'] as ApiMessage[] | undefined) ?? [];
}

async function listedPeer(keyHex: string): Promise<ApiMessage | undefined> {
  return ((await api.call('ListPeers'))['peers'] as ApiMessage[]).find((p) => p['node_id'] === keyHex);
}

/** The signer's audit log minus the node key's ECDH (every handshake makes one). */
function signerOps(): string[] {
  return readFileSync(join(side.signerDir, 'audit.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => (JSON.parse(l) as { op: string }).op)
    .filter((op) => op !== 'Ecdh');
}

// ------------------------------------------------------------------ channel messages

const randomPoint = (): Uint8Array => secp.publicKey(randomPrivateKey());
const random32 = (): Uint8Array => new Uint8Array(randomBytes(32));

/** An open_channel the node accepts (BOLT 2 §The open_channel Message; our defaults in node/channel/params.ts). */
function openChannel(temporaryChannelId: Uint8Array, change: Record<string, unknown> = {}): Msg {
  return {
    type: 'open_channel',
    chainHash: REGTEST,
    temporaryChannelId,
    fundingSatoshis: 100_000n,
    pushMsat: 0n,
    dustLimitSatoshis: 546n,
    maxHtlcValueInFlightMsat: 100_000_000n,
    channelReserveSatoshis: 1_000n,
    htlcMinimumMsat: 1n,
    feeratePerKw: 253,
    toSelfDelay: 144,
    maxAcceptedHtlcs: 30,
    fundingPubkey: randomPoint(),
    revocationBasepoint: randomPoint(),
    paymentBasepoint: randomPoint(),
    delayedPaymentBasepoint: randomPoint(),
    htlcBasepoint: randomPoint(),
    firstPerCommitmentPoint: randomPoint(),
    channelFlags: 0,
    tlvs: { channelType: fromBits([12, 22]) }, // anchors + static_remotekey
    ...change,
  } as Msg;
}

/** Opens as far as the node's accept_channel (state wait-for-funding-created on its side). */
async function openUntilAccepted(h: HostilePeer): Promise<Uint8Array> {
  const temp = random32();
  h.send(openChannel(temp));
  const { found } = await h.expect('accept_channel', (m) => wireTypeOf(m) === 33 || wireTypeOf(m) === 17);
  assert.equal(wireTypeOf(found), 33, `the node accepts the open_channel (got ${wireTypeOf(found) === 17 ? readReport(found).text : wireTypeOf(found)})`);
  const accept = decodeMessage(found);
  assert.ok(accept.type === 'accept_channel' && equal(accept.temporaryChannelId, temp));
  return temp;
}

/** funding_created with a signature that signs nothing (64 random bytes). */
function fundingCreated(temporaryChannelId: Uint8Array, fundingTxid = random32(), fundingOutputIndex = 0): Msg {
  return { type: 'funding_created', temporaryChannelId, fundingTxid, fundingOutputIndex, signature: new Uint8Array(randomBytes(64)) };
}

const outOfOrder = {
  funding_created: (id: Uint8Array): Msg => fundingCreated(id),
  commitment_signed: (id: Uint8Array): Msg => ({ type: 'commitment_signed', channelId: id, signature: new Uint8Array(randomBytes(64)), htlcSignature: [] }),
  update_add_htlc: (id: Uint8Array): Msg => ({
    type: 'update_add_htlc', channelId: id, id: 0n, amountMsat: 10_000n, paymentHash: random32(), cltvExpiry: 500, onionRoutingPacket: new Uint8Array(1366),
  }),
  revoke_and_ack: (id: Uint8Array): Msg => ({ type: 'revoke_and_ack', channelId: id, perCommitmentSecret: random32(), nextPerCommitmentPoint: randomPoint() }),
  channel_ready: (id: Uint8Array): Msg => ({ type: 'channel_ready', channelId: id, secondPerCommitmentPoint: randomPoint() }),
} as const;

// ------------------------------------------------------------------ the stack

before(async () => {
  chain = await startChain(join(work.dir, 'chain'));
  side = await startSigningSide(join(work.dir, 'signing'));
  node = await startNode(nodeDir, chain, side, ['--log-level', 'debug']);
  collectLogs(node);
  api = new NodeApiClient(readNodeEndpoint(nodeDir));
  nodeId = Uint8Array.from(Buffer.from(node.ready.node_id, 'hex'));
  peerPort = node.ready.listening.peer.port;
});

after(async () => {
  api?.close();
  await node?.stop();
  await side?.stop();
  await chain?.stop();
  work.remove();
  console.log(`node hostile peers: ${survivals} survivals checked`);
});

// ------------------------------------------------------------------ 1. truncated frames

test('a frame cut inside its body, then the socket closes: the node drops the peer, says what was missing, serves on', async () => {
  const h = await HostilePeer.open();
  assert.deepEqual(await h.pingPong(0), [], 'init done');
  const message = encodeMessage({ type: 'ping', numPongBytes: 4, ignored: new Uint8Array(60) });
  const frame = h.raw.encryptor.encrypt(message);
  h.raw.raw.write(frame.subarray(0, 18 + 10));
  h.close();
  const line = await closedPeerLog(h.keyHex, 'remote-closed');
  assert.equal(line.reason, `peer closed the connection in the middle of a frame (the body of a ${message.length}-byte message, ${message.length + 16 - 10} bytes missing)`);
  await eventually('the node no longer lists the peer', async () => ((await listedPeer(h.keyHex)) === undefined ? true : undefined));
  await assertSurvives();
});

test('a length header cut short, then the socket closes: dropped with the header bytes counted', async () => {
  const h = await HostilePeer.open();
  await h.pingPong(0);
  h.raw.raw.write(h.raw.encryptor.encrypt(new Uint8Array(40)).subarray(0, 10));
  h.close();
  const line = await closedPeerLog(h.keyHex, 'remote-closed');
  assert.equal(line.reason, 'peer closed the connection in the middle of a frame (10 bytes of a length header)');
  await assertSurvives();
});

test('a frame cut inside its body and held open: the node waits for the rest while it serves honest peers', async () => {
  const h = await HostilePeer.open();
  await h.pingPong(0);
  const message = encodeMessage({ type: 'ping', numPongBytes: 4, ignored: new Uint8Array(200) });
  h.raw.raw.write(h.raw.encryptor.encrypt(message).subarray(0, 18 + 5));
  // The frame deadline (30 s by default) is far off: meanwhile others are served and the peer stays listed.
  await assertSurvives();
  assert.equal((await listedPeer(h.keyHex))?.['state'], 'ready', 'the stalled peer is still connected');
  assert.equal(h.ended, false);
  h.close();
  const line = await closedPeerLog(h.keyHex, 'remote-closed');
  assert.equal(line.reason, `peer closed the connection in the middle of a frame (the body of a ${message.length}-byte message, ${message.length + 16 - 5} bytes missing)`);
  await assertSurvives();
});

// ------------------------------------------------------------------ 2. bad MACs

test('a frame whose length MAC is flipped: dropped as transport-error, nothing more is sent', async () => {
  const h = await HostilePeer.open();
  await h.pingPong(0); // our init and ping used nonces 0..3: the next length header is nonce 4
  const frame = h.raw.encryptor.encrypt(encodeMessage({ type: 'ping', numPongBytes: 2, ignored: new Uint8Array(0) }));
  frame[17]! ^= 0x01; // last byte of the length's MAC
  h.raw.raw.write(frame);
  const line = await closedPeerLog(h.keyHex, 'transport-error');
  assert.equal(line.reason, 'length header: bad MAC (nonce 4)');
  assert.equal(line.msg, 'connection dropped', 'logged as misbehaviour');
  assert.deepEqual(await h.rest(), [], 'no pong, no reply: the connection is cut');
  await assertSurvives();
});

test('a frame whose body MAC is flipped: dropped as transport-error, nothing more is sent', async () => {
  const h = await HostilePeer.open();
  await h.pingPong(0);
  const message = encodeMessage({ type: 'ping', numPongBytes: 2, ignored: new Uint8Array(0) });
  const frame = h.raw.encryptor.encrypt(message);
  frame[frame.length - 1]! ^= 0x80;
  h.raw.raw.write(frame);
  const line = await closedPeerLog(h.keyHex, 'transport-error');
  assert.equal(line.reason, `message body: bad MAC (${message.length} bytes, nonce 5)`);
  assert.deepEqual(await h.rest(), []);
  await eventually('the node no longer lists the peer', async () => ((await listedPeer(h.keyHex)) === undefined ? true : undefined));
  await assertSurvives();
});

// ------------------------------------------------------------------ 3. unknown message types

for (const wireType of [100, 32770]) {
  test(`unknown even message type ${wireType}: a warning, then the connection is closed (BOLT 1: MUST close)`, async () => {
    const h = await HostilePeer.open();
    await h.pingPong(0);
    h.sendPlain(concat(u16be(wireType), Uint8Array.of(1, 2, 3)));
    const line = await closedPeerLog(h.keyHex, 'unknown-even-message');
    assert.equal(line.reason, `unknown even message type ${wireType} (5 bytes)`);
    const { found, before } = await h.expect('a warning', (m) => wireTypeOf(m) === 1);
    assert.deepEqual(before, []);
    const warning = readReport(found);
    assert.deepEqual(warning.channelId, new Uint8Array(32), 'about the connection, not a channel');
    assert.equal(warning.text, `unknown-even-message: unknown even message type ${wireType} (5 bytes)`);
    assert.deepEqual(await h.rest(), [], 'then the connection closes');
    await assertSurvives();
  });
}

test('unknown odd message types (101, 32769) are ignored: the connection stays and ping is answered', async () => {
  const h = await HostilePeer.open();
  await h.pingPong(0);
  h.sendPlain(concat(u16be(101), new Uint8Array(10)));
  h.sendPlain(concat(u16be(32769), new Uint8Array(300)));
  h.sendPlain(u16be(32771)); // no payload at all
  assert.deepEqual(await h.pingPong(3), [], 'nothing in reply to the odd messages, then the pong');
  for (const [t, n] of [[101, 10], [32769, 300], [32771, 0]] as const) {
    await nodeLog(`the ignored type ${t}`, (l) => l.msg === 'ignored unknown odd message' && l.peer === h.keyHex && l['wireType'] === t && l['bytes'] === n);
  }
  assert.equal((await listedPeer(h.keyHex))?.['state'], 'ready');
  h.close();
  await assertSurvives();
});

// ------------------------------------------------------------------ 4. malformed known messages

test('ping with num_pong_bytes 65532 or 65535 gets no pong (BOLT 1: MUST ignore); the next ping does', async () => {
  const h = await HostilePeer.open();
  await h.pingPong(0);
  h.send({ type: 'ping', numPongBytes: 65532, ignored: new Uint8Array(0) });
  h.send({ type: 'ping', numPongBytes: 65535, ignored: new Uint8Array(5) });
  const first = await h.pingPong(7);
  assert.deepEqual(first, [], 'the first message after the two ignored pings is the pong of the third');
  assert.equal((await listedPeer(h.keyHex))?.['state'], 'ready');
  h.close();
  await assertSurvives();
});

test('a truncated init: closed as malformed-message, and no warning (their init never arrived)', async () => {
  const h = await HostilePeer.open(false);
  h.sendPlain(Uint8Array.of(0x00, 0x10, 0x00)); // init cut inside gflen
  const line = await closedPeerLog(h.keyHex, 'malformed-message');
  assert.match(line.reason!, /^cannot decode message type 16: /);
  assert.deepEqual(await h.rest(), [], 'only the node\'s own init went out');
  await assertSurvives();
});

test('a message shorter than its 2-byte type, and a ping cut short: malformed-message with a warning', async () => {
  for (const bytes of [Uint8Array.of(0x00), Uint8Array.of(0x00, 0x12, 0x00)]) {
    const h = await HostilePeer.open();
    await h.pingPong(0);
    h.sendPlain(bytes);
    const line = await closedPeerLog(h.keyHex, 'malformed-message');
    assert.match(line.reason!, /^cannot decode message type (-1|18): /);
    const types = await h.rest();
    assert.deepEqual(types, [1], 'a warning, then the close');
  }
  await assertSurvives();
});

test('open_channel with a funding_pubkey that is not a point: closed as malformed-message with a warning', async () => {
  const h = await HostilePeer.open();
  await h.pingPong(0);
  const bytes = encodeMessage(openChannel(random32()));
  // type(2) chain_hash(32) temporary_channel_id(32) six u64(48) feerate(4) to_self_delay(2) max_accepted(2)
  const at = 2 + 32 + 32 + 48 + 4 + 2 + 2;
  bytes.set(concat(Uint8Array.of(0x02), new Uint8Array(32).fill(0xff)), at); // x >= p: no such point
  h.sendPlain(bytes);
  const line = await closedPeerLog(h.keyHex, 'malformed-message');
  assert.match(line.reason!, /^cannot decode message type 32: .*not a valid secp256k1 point/);
  assert.deepEqual(await h.rest(), [1]);
  assert.deepEqual(await listChannels(), []);
  await assertSurvives();
});

test('open_channel with a field BOLT 2 says MUST fail: an error for that temporary_channel_id, the connection stays', async () => {
  const h = await HostilePeer.open();
  await h.pingPong(0);
  const opsBefore = signerOps().filter((op) => op === 'NewChannel').length;
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ chainHash: new Uint8Array(32).fill(7) }, /^open_channel: chain_hash 0707.* is not our chain$/],
    [{ pushMsat: 100_000_001n }, /^open_channel: push_msat 100000001 is greater than funding_satoshis \* 1000$/],
    [{ toSelfDelay: 60_000 }, /^open_channel: to_self_delay 60000 is above our maximum \d+$/],
    [{ maxAcceptedHtlcs: 484 }, /^open_channel: max_accepted_htlcs 484 is above 483$/],
    [{ dustLimitSatoshis: 353n }, /^open_channel: dust_limit_satoshis 353 is below 354$/],
    [{ feeratePerKw: 1 }, /^open_channel: feerate_per_kw 1 is outside \d+\.\.\d+$/],
    [{ tlvs: {} }, /^open_channel: no channel_type/],
  ];
  for (const [change, expected] of cases) {
    const temp = random32();
    h.send(openChannel(temp, change));
    const { found } = await h.expect(`an error for ${JSON.stringify(Object.keys(change))}`, errorFor(temp));
    assert.match(readReport(found).text, expected);
  }
  assert.deepEqual(await h.pingPong(1), [], 'still connected, nothing else sent');
  assert.equal(signerOps().filter((op) => op === 'NewChannel').length, opsBefore, 'no channel was set up at the signer');
  assert.deepEqual(await listChannels(), []);
  h.close();
  await assertSurvives();
});

// ------------------------------------------------------------------ 5. channel messages out of order

test('channel messages for a channel the node does not know change nothing: no channel, no signer call, the connection stays', async () => {
  const h = await HostilePeer.open();
  await h.pingPong(0);
  const opsBefore = signerOps();
  const ids = new Map<string, Uint8Array>();
  for (const [name, make] of Object.entries(outOfOrder)) {
    const id = random32();
    ids.set(name, id);
    h.send(make(id));
  }
  const skip = h.received.length;
  const replies = await h.pingPong(2);
  // Today nothing comes back; BOLT 1's SHOULD (next test) would add one error per unknown channel_id.
  assert.ok(replies.every((t) => t === 17), `only errors, if anything, before the pong (got [${replies.join(', ')}])`);
  for (const m of h.received.slice(skip).filter((x) => wireTypeOf(x) === 17)) {
    assert.ok([...ids.values()].some((id) => equal(readReport(m).channelId, id)), 'an error names one of the unknown channels, never all of them');
  }
  for (const [name, id] of ids) {
    await nodeLog(`${name} for an unknown channel`, (l) => l.msg === 'message for an unknown channel ignored' && l.peer === h.keyHex && l['type'] === name && l['channel'] === hex(id));
  }
  assert.deepEqual(signerOps(), opsBefore, 'the signer was asked nothing');
  assert.deepEqual(await listChannels(), []);
  assert.equal((await listedPeer(h.keyHex))?.['state'], 'ready');
  h.close();
  await assertSurvives();
});

test('BOLT 1 SHOULD: a channel message for an unknown channel_id is answered with an error for that channel_id', async () => {
  const h = await HostilePeer.open();
  await h.pingPong(0);
  const id = random32();
  h.send(outOfOrder.commitment_signed(id));
  h.send({ type: 'ping', numPongBytes: 1, ignored: new Uint8Array(0) });
  const { found } = await h.expect('an error or the pong', (m) => errorFor(id)(m) || wireTypeOf(m) === 19);
  h.close();
  assert.equal(wireTypeOf(found), 17, 'an error naming the unknown channel_id came before the pong');
});

test('open_channel, then commitment_signed / update_add_htlc / revoke_and_ack before funding_created: an error for the temporary id, nothing set up', async () => {
  const h = await HostilePeer.open();
  await h.pingPong(0);
  for (const name of ['commitment_signed', 'update_add_htlc', 'revoke_and_ack'] as const) {
    const temp = await openUntilAccepted(h);
    h.send(outOfOrder[name](temp));
    const { found } = await h.expect(`an error for ${name}`, errorFor(temp));
    assert.equal(readReport(found).text, `${name} in state wait-for-funding-created`);
    // The channel is abandoned: a late funding_created for it is not answered and sets nothing up.
    const setupsBefore = signerOps().filter((op) => op === 'SetupChannel').length;
    h.send(outOfOrder.funding_created(temp));
    assert.deepEqual(await h.pingPong(1), [], 'no reply to the late funding_created');
    await nodeLog(`the late funding_created refused (${name})`, (l) => l.msg === 'channel notification' && l['channel'] === hex(temp) && /funding_created in state closed/.test(String(l['detail'])));
    assert.equal(signerOps().filter((op) => op === 'SetupChannel').length, setupsBefore);
  }
  assert.deepEqual(await listChannels(), [], 'no channel exists');
  assert.equal((await listedPeer(h.keyHex))?.['state'], 'ready', 'a channel error does not cost the connection');
  h.close();
  await assertSurvives();
});

test('open_channel, then channel_ready before funding_created: ignored, the opening goes on', async () => {
  const h = await HostilePeer.open();
  await h.pingPong(0);
  const temp = await openUntilAccepted(h);
  h.send(outOfOrder.channel_ready(temp));
  assert.deepEqual(await h.pingPong(1), [], 'no reply');
  // Still waiting for funding_created: a commitment_signed now is refused in that state.
  h.send(outOfOrder.commitment_signed(temp));
  const { found } = await h.expect('an error', errorFor(temp));
  assert.equal(readReport(found).text, 'commitment_signed in state wait-for-funding-created');
  h.close();
  await assertSurvives();
});

test('funding_created whose signature does not verify: the signer refuses it, an error fails the channel, no channel results', async () => {
  const h = await HostilePeer.open();
  await h.pingPong(0);
  const temp = await openUntilAccepted(h);
  const fundingTxid = random32();
  const channelId = channelIdFromFunding(fundingTxid, 1);
  h.send(fundingCreated(temp, fundingTxid, 1));
  const { found } = await h.expect('an error', (m) => wireTypeOf(m) === 17);
  const error = readReport(found);
  assert.match(error.text, /^funding_created: the signature on our commitment 0 was refused: .*does not verify/);
  assert.ok(equal(error.channelId, temp) || equal(error.channelId, channelId), 'the error names this channel');
  assert.ok(!h.received.some((m) => wireTypeOf(m) === 35), 'no funding_signed');
  assert.deepEqual(await listChannels(), [], 'no channel to list');
  assert.equal((await listedPeer(h.keyHex))?.['state'], 'ready');
  h.close();
  await assertSurvives();
});

test('BOLT 1 MUST: the fundee\'s errors before funding_signed use the temporary_channel_id', async () => {
  const h = await HostilePeer.open();
  await h.pingPong(0);
  const temp = await openUntilAccepted(h);
  h.send(fundingCreated(temp));
  const { found } = await h.expect('an error', (m) => wireTypeOf(m) === 17);
  h.close();
  assert.deepEqual(readReport(found).channelId, temp);
});

test('BOLT 1 MUST: an error from the peer for a channel in opening fails that channel', async () => {
  const h = await HostilePeer.open();
  await h.pingPong(0);
  const temp = await openUntilAccepted(h);
  h.send({ type: 'error', channelId: temp, data: new TextEncoder().encode('go away') });
  await nodeLog('the peer\'s error', (l) => l.msg === 'peer sent error' && l.peer === h.keyHex);
  // A failed channel leaves a late funding_created unanswered; a live one validates it (bogus signature) and errors.
  const fundingTxid = random32();
  h.send(fundingCreated(temp, fundingTxid));
  const stillOpen = (m: Uint8Array): boolean => errorFor(temp)(m) || errorFor(channelIdFromFunding(fundingTxid, 0))(m);
  const lateRefused = (l: NodeLogLine): boolean => l.msg === 'channel notification' && l['channel'] === hex(temp) && /funding_created in state closed/.test(String(l['detail']));
  const reaction = await eventually('the node reacts to the late funding_created', async () =>
    h.received.some(stillOpen) ? 'the channel was still opening: it took funding_created' : logs.some(lateRefused) ? 'failed' : undefined, 10_000);
  h.close();
  assert.equal(reaction, 'failed');
});

// ------------------------------------------------------------------ 6. garbage instead of a handshake

test('random bytes as act one: dropped during the handshake, nothing sent back', async () => {
  const raw = await RawSocket.open(peerPort);
  raw.write(new Uint8Array(randomBytes(50)));
  const line = await failedHandshakeLog(raw, 'handshake-failed');
  assert.match(line.reason!, /^ACT1_(BAD_VERSION|BAD_PUBKEY|BAD_TAG): /);
  await raw.closed;
  assert.equal(raw.buffered, 0, 'no act two');
  await assertSurvives();
});

test('act one with version byte 1: dropped as ACT1_BAD_VERSION', async () => {
  const raw = await RawSocket.open(peerPort);
  const act1 = initiatorActOne({ remoteStatic: nodeId, ephemeralPrivateKey: randomPrivateKey() }).message;
  act1[0] = 1;
  raw.write(act1);
  const line = await failedHandshakeLog(raw, 'handshake-failed');
  assert.match(line.reason!, /^ACT1_BAD_VERSION: /);
  await raw.closed;
  assert.equal(raw.buffered, 0);
  await assertSurvives();
});

test('act one made for another node key: dropped as ACT1_BAD_TAG', async () => {
  const raw = await RawSocket.open(peerPort);
  raw.write(initiatorActOne({ remoteStatic: makeNodeKey().publicKey, ephemeralPrivateKey: randomPrivateKey() }).message);
  const line = await failedHandshakeLog(raw, 'handshake-failed');
  assert.match(line.reason!, /^ACT1_BAD_TAG: /);
  await raw.closed;
  await assertSurvives();
});

test('a good act one, then random bytes as act three: dropped as ACT3_*', async () => {
  const raw = await RawSocket.open(peerPort);
  raw.write(initiatorActOne({ remoteStatic: nodeId, ephemeralPrivateKey: randomPrivateKey() }).message);
  await raw.read(ACT_TWO_LENGTH);
  raw.write(new Uint8Array(randomBytes(66)));
  const line = await failedHandshakeLog(raw, 'handshake-failed');
  assert.match(line.reason!, /^ACT3_(BAD_VERSION|BAD_CIPHERTEXT|BAD_PUBKEY|BAD_TAG): /);
  await raw.closed;
  await assertSurvives();
});

// ------------------------------------------------------------------ 7. slow loris

const STALLED = DEFAULT_MAX_PENDING_HANDSHAKES + 22;

test(`slow loris: ${STALLED} connections stuck in the handshake (above the node's limit of ${DEFAULT_MAX_PENDING_HANDSHAKES}) do not keep an honest peer out`, async () => {
  const stalled: RawSocket[] = [];
  const ports = new Set<string>();
  try {
    for (let i = 0; i < STALLED; i++) {
      const raw = await RawSocket.open(peerPort);
      stalled.push(raw);
      ports.add(`:${raw.socket.localPort}`);
      if (i % 3 === 1) raw.write(new Uint8Array(randomBytes(20))); // part of act one
      if (i % 3 === 2) {
        raw.write(initiatorActOne({ remoteStatic: nodeId, ephemeralPrivateKey: randomPrivateKey() }).message);
        await raw.read(ACT_TWO_LENGTH); // act three never comes
      }
    }
    await assertSurvives(); // while every one of them is still open on our side
  } finally {
    for (const raw of stalled) raw.socket.destroy();
  }
  const endedHere = (l: NodeLogLine): boolean => l.module === 'peer-connection' && l.code !== undefined && [...ports].some((p) => l.remote?.endsWith(p) === true);
  await eventually('the node saw every stalled connection end', async () => (logs.filter(endedHere).length >= STALLED ? true : undefined));
  const evicted = logs.filter((l) => endedHere(l) && l.code === 'handshake-evicted');
  assert.ok(evicted.length >= STALLED - DEFAULT_MAX_PENDING_HANDSHAKES, `the oldest handshakes gave way (${evicted.length} evicted)`);
  assert.match(evicted[0]!.reason!, new RegExp(`^${DEFAULT_MAX_PENDING_HANDSHAKES} inbound handshakes were in progress: the oldest \\(\\d+ ms\\) gave way to a new connection$`));
  await assertSurvives();
});

test('a peer opening channels it never funds gets four in progress at once, then errors: the signer is not asked for more keys', async () => {
  const h = await HostilePeer.open();
  await h.pingPong(0);
  const newChannels = (): number => signerOps().filter((op) => op === 'NewChannel').length;
  const before = newChannels();
  for (let i = 0; i < 4; i++) await openUntilAccepted(h);
  for (let i = 0; i < 2; i++) {
    const temp = random32();
    h.send(openChannel(temp));
    const { found } = await h.expect('an error for the fifth open', errorFor(temp));
    assert.match(readReport(found).text, /^open_channel refused: 4 channel opens with you are already in progress$/);
  }
  assert.equal(newChannels() - before, 4, 'the signer made keys for the four accepted opens only');
  h.close();
  await assertSurvives();
});
