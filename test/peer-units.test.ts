// The pure parts of the peer layer: frame reassembly under any TCP chunking, backoff delays,
// address parsing and the remote_addr descriptor.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { equal, hex } from '../bolt/bytes.js';
import { createTransport, MessageEncryptor, TransportError } from '../bolt/noise/index.js';
import { addressDescriptor, AddressError, formatNodeAddress, isPublicAddress, parseNodeAddress } from '../node/peer/address.js';
import { backoffBase, backoffDelay, checkBackoffPolicy, type BackoffPolicy } from '../node/peer/backoff.js';
import { ByteQueue, FrameReader } from '../node/peer/frame-reader.js';
import { printableData } from '../node/peer/peer.js';
import { makeNodeKey } from './helpers/peer-harness.js';
import { prng } from './helpers/prng.js';

function keys(): { sendingKey: Uint8Array; receivingKey: Uint8Array; chainingKey: Uint8Array } {
  const k = new Uint8Array(randomBytes(32));
  return { sendingKey: k, receivingKey: k, chainingKey: new Uint8Array(randomBytes(32)) };
}

/** 2,500 messages of assorted lengths (0 to 65,535) and their frames from one encryptor: 5,000 nonces, so the key rotates 5 times. */
function trafficFixture(): { messages: Uint8Array[]; stream: Uint8Array; transportKeys: ReturnType<typeof keys> } {
  const transportKeys = keys();
  const encryptor = new MessageEncryptor(transportKeys.sendingKey, transportKeys.chainingKey);
  const random = prng(7);
  const messages: Uint8Array[] = [];
  for (let i = 0; i < 2500; i++) {
    const length = i === 0 ? 0 : i === 1 ? 65535 : i % 97 === 0 ? Math.floor(random() * 65536) : Math.floor(random() * 300);
    const m = new Uint8Array(length);
    for (let j = 0; j < Math.min(length, 8); j++) m[j] = (i >> (8 * (j % 4))) & 0xff;
    messages.push(m);
  }
  const frames = messages.map((m) => encryptor.encrypt(m));
  const total = frames.reduce((n, f) => n + f.length, 0);
  const stream = new Uint8Array(total);
  let at = 0;
  for (const f of frames) {
    stream.set(f, at);
    at += f.length;
  }
  return { messages, stream, transportKeys };
}

const fixture = trafficFixture();

function readAll(chunks: Iterable<Uint8Array>): Uint8Array[] {
  const reader = new FrameReader(createTransport(fixture.transportKeys).decryptor);
  const out: Uint8Array[] = [];
  for (const chunk of chunks) {
    reader.push(chunk);
    for (let m = reader.next(); m !== null; m = reader.next()) out.push(m);
  }
  assert.equal(reader.midFrame, false, 'nothing left over after the last frame');
  return out;
}

function assertSameMessages(got: Uint8Array[]): void {
  assert.equal(got.length, fixture.messages.length);
  for (let i = 0; i < got.length; i++) assert.ok(equal(got[i]!, fixture.messages[i]!), `message ${i} differs`);
}

function* split(stream: Uint8Array, sizes: () => number): Generator<Uint8Array> {
  for (let at = 0; at < stream.length;) {
    const n = Math.max(1, sizes());
    yield stream.subarray(at, Math.min(stream.length, at + n));
    at += n;
  }
}

test('frame reader: the whole stream in one chunk yields every message in order (key rotation included)', () => {
  assertSameMessages(readAll([fixture.stream]));
});

test('frame reader: one byte per chunk yields the same messages', () => {
  const oneByte = fixture.stream.subarray(0, 200_000); // one byte at a time over 200 kB is plenty
  const reader = new FrameReader(createTransport(fixture.transportKeys).decryptor);
  let count = 0;
  for (let i = 0; i < oneByte.length; i++) {
    reader.push(oneByte.subarray(i, i + 1));
    for (let m = reader.next(); m !== null; m = reader.next()) {
      assert.ok(equal(m, fixture.messages[count]!), `message ${count} differs`);
      count++;
    }
  }
  assert.ok(count >= 3, `at least the 0-byte, the 65,535-byte and one more message were rebuilt (got ${count})`);
});

test('frame reader: random chunk sizes (several seeds) yield the same messages', () => {
  for (const seed of [1, 2, 3, 99, 12345]) {
    const random = prng(seed);
    assertSameMessages(readAll(split(fixture.stream, () => Math.floor(random() * 5000))));
  }
});

test('frame reader: chunks cut exactly at header and body boundaries', () => {
  let at = 0;
  const chunks: Uint8Array[] = [];
  for (const m of fixture.messages) {
    chunks.push(fixture.stream.subarray(at, at + 18));
    chunks.push(fixture.stream.subarray(at + 18, at + 18 + m.length + 16));
    at += 18 + m.length + 16;
  }
  assertSameMessages(readAll(chunks));
});

test('frame reader: reports what it is waiting for', () => {
  const reader = new FrameReader(createTransport(fixture.transportKeys).decryptor);
  assert.deepEqual(reader.progress, { phase: 'header', missing: 18, messageLength: null });
  assert.equal(reader.midFrame, false);
  reader.push(fixture.stream.subarray(0, 10));
  assert.equal(reader.next(), null);
  assert.deepEqual(reader.progress, { phase: 'header', missing: 8, messageLength: null });
  assert.equal(reader.midFrame, true);
  // message 0 is empty: its body is the 16-byte MAC alone
  reader.push(fixture.stream.subarray(10, 18 + 5));
  assert.equal(reader.next(), null);
  assert.deepEqual(reader.progress, { phase: 'body', missing: 11, messageLength: 0 });
  reader.push(fixture.stream.subarray(23, 34));
  assert.deepEqual(reader.next(), new Uint8Array(0));
  assert.equal(reader.midFrame, false);
});

test('frame reader: a flipped bit in a header or a body is a TransportError, and the reader stays failed', () => {
  for (const offset of [3, 18 + 1, 34 + 18 + 5]) { // header of frame 0, MAC of frame 0's body, body of frame 1
    const damaged = fixture.stream.slice(0, 200_000);
    damaged[offset]! ^= 0x01;
    const reader = new FrameReader(createTransport(fixture.transportKeys).decryptor);
    reader.push(damaged);
    assert.throws(() => {
      for (let m = reader.next(); m !== null; m = reader.next());
    }, (e: unknown) => e instanceof TransportError && /bad MAC/.test(e.message));
    assert.throws(() => reader.next(), TransportError);
  }
});

test('byte queue: takes exact counts across chunk boundaries and refuses to over-take', () => {
  const q = new ByteQueue();
  q.push(Uint8Array.of(1, 2, 3));
  q.push(new Uint8Array(0));
  q.push(Uint8Array.of(4, 5));
  q.push(Uint8Array.of(6));
  assert.equal(q.length, 6);
  assert.deepEqual(q.take(2), Uint8Array.of(1, 2));
  assert.deepEqual(q.take(3), Uint8Array.of(3, 4, 5));
  assert.throws(() => q.take(2), /asked for 2 bytes, 1 buffered/);
  assert.deepEqual(q.take(1), Uint8Array.of(6));
  assert.equal(q.length, 0);
});

// ------------------------------------------------------------------ backoff

const policy: BackoffPolicy = { initialDelayMs: 100, maxDelayMs: 5_000, multiplier: 2, jitter: 0.5 };

test('backoff: exponential from the initial delay, capped at the maximum', () => {
  assert.deepEqual([1, 2, 3, 4, 5, 6, 7, 8, 20].map((a) => backoffBase(a, policy)), [100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000]);
  assert.throws(() => backoffBase(0, policy), /attempt 0/);
});

test('backoff: jitter keeps every delay in [base·(1−jitter), base]', () => {
  assert.equal(backoffDelay(3, policy, () => 0), 400);
  assert.equal(backoffDelay(3, policy, () => 0.999999), 200);
  const random = prng(42);
  for (let attempt = 1; attempt <= 30; attempt++) {
    const base = backoffBase(attempt, policy);
    for (let i = 0; i < 50; i++) {
      const d = backoffDelay(attempt, policy, random);
      assert.ok(d >= base * 0.5 - 0.5 && d <= base, `attempt ${attempt}: ${d} outside [${base / 2}, ${base}]`);
    }
  }
});

test('backoff: policies that cannot work are refused with the field named', () => {
  assert.throws(() => checkBackoffPolicy({ ...policy, jitter: 1.5 }), /jitter 1.5/);
  assert.throws(() => checkBackoffPolicy({ ...policy, multiplier: 0.5 }), /multiplier 0.5/);
  assert.throws(() => checkBackoffPolicy({ ...policy, maxDelayMs: 10 }), /maxDelayMs 10/);
  assert.throws(() => checkBackoffPolicy({ ...policy, initialDelayMs: -1 }), /initialDelayMs -1/);
  checkBackoffPolicy(policy);
});

// ------------------------------------------------------------------ addresses

test('node address: pubkey@host:port in its IPv4, IPv6 and name forms', () => {
  const id = makeNodeKey().publicKey;
  const a = parseNodeAddress(`${hex(id)}@127.0.0.1:9736`);
  assert.ok(equal(a.nodeId, id));
  assert.equal(a.host, '127.0.0.1');
  assert.equal(a.port, 9736);
  assert.equal(parseNodeAddress(`${hex(id)}@example.com`).port, 9735, 'default port');
  const v6 = parseNodeAddress(`${hex(id).toUpperCase()}@[::1]:1234`);
  assert.equal(v6.host, '::1');
  assert.equal(v6.port, 1234);
  assert.equal(formatNodeAddress(v6), `${hex(id)}@[::1]:1234`);
});

test('node address: malformed forms are refused with what was wrong', () => {
  const id = hex(makeNodeKey().publicKey);
  const cases: [string, RegExp][] = [
    ['127.0.0.1:9735', /expected <pubkey>@<host>/],
    [`${id.slice(2)}@127.0.0.1`, /66 hex characters/],
    [`04${'11'.repeat(32)}@127.0.0.1`, /not a valid compressed secp256k1 point/],
    [`${id}@127.0.0.1:0`, /port "0"/],
    [`${id}@127.0.0.1:70000`, /port "70000"/],
    [`${id}@127.0.0.1:ab`, /port "ab"/],
    [`${id}@::1:9735`, /\[brackets\]/],
    [`${id}@[::1`, /unterminated/],
    [`${id}@[nothost]:1`, /not an IPv6 address/],
    [`${id}@:9735`, /empty host/],
  ];
  for (const [text, why] of cases) assert.throws(() => parseNodeAddress(text), (e: unknown) => e instanceof AddressError && why.test(e.message), text);
});

test('remote_addr: BOLT 7 descriptors for public addresses only', () => {
  assert.deepEqual(addressDescriptor('203.0.114.7', 9735), Uint8Array.of(1, 203, 0, 114, 7, 0x26, 0x07));
  assert.deepEqual(addressDescriptor('::ffff:8.8.8.8', 1), Uint8Array.of(1, 8, 8, 8, 8, 0, 1));
  assert.deepEqual(
    addressDescriptor('2a01:4f8::1', 9735),
    Uint8Array.of(2, 0x2a, 0x01, 0x04, 0xf8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0x26, 0x07),
  );
  for (const ip of ['127.0.0.1', '10.1.2.3', '192.168.1.1', '172.20.0.1', '169.254.1.1', '100.64.0.1', '::1', 'fd00::1', 'fe80::1', '::ffff:10.0.0.1', 'localhost']) {
    assert.equal(addressDescriptor(ip, 9735), null, ip);
    assert.equal(isPublicAddress(ip), false, ip);
  }
});

test('error data is printed only when it is printable ASCII', () => {
  assert.equal(printableData(new TextEncoder().encode('channel too small')), 'channel too small');
  assert.equal(printableData(Uint8Array.of(0x41, 0x0a, 0xff)), 'hex:410aff');
  assert.match(printableData(new Uint8Array(2000).fill(0x41)), /^A{512}\.\.\.\(2000 bytes\)$/);
});
