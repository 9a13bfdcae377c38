// BOLT 8 transport: the Noise_XK handshake and the framed, key-rotating message cipher,
// proven on every case of BOLT 8 Appendix A (test/vectors/bolt08-transport.json), then on
// handshakes and traffic between our own initiator and responder, and on refusals.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import vectors from '../vectors/bolt08-transport.json' with { type: 'json' };
import { fromHex, hex } from '../../bolt/bytes.js';
import { secp } from '../../bolt/crypto/secp256k1.js';
import {
  bodyLength,
  createTransport,
  HandshakeError,
  initiatorActOne,
  initiatorActThree,
  initiatorReadActTwo,
  LENGTH_HEADER_LENGTH,
  MAX_MESSAGE_LENGTH,
  MessageDecryptor,
  MessageEncryptor,
  responderActTwo,
  responderReadActOne,
  responderReadActThree,
  TransportError,
  type HandshakeFailure,
  type HandshakeResult,
  type NodeKey,
} from '../../bolt/noise/index.js';
import { hkdf, open, sealInto, writeNonce } from '../../bolt/noise/primitives.js';

// ------------------------------------------------------------------ vector shapes

/** One "#" debugging line of the appendix, as the JSON holds it. */
interface TraceStep {
  h?: string; ss?: string; re?: string; rs?: string; c?: string; t?: string; ck?: string;
  tempK1?: string; tempK2?: string; tempK3?: string; ePub?: string; ePriv?: string;
  hkdf?: { salt: string; ikm: string; output?: [string, string] };
  encryptWithAD?: { key: string; nonce: string; ad: string; plaintext: string };
  decryptWithAD?: { key: string; nonce: string; ad: string; ciphertext: string };
  encrypt?: { part: string; plaintext: string; ad: string; nonce: string; key: string; output: string };
}
type Trace = Partial<Record<'act1' | 'act2' | 'act3', TraceStep[]>>;

interface InitiatorVector {
  name: string; rsPub: string; lsPriv: string; lsPub: string; ePriv: string; ePub: string;
  act1Output: string; act2Input: string; act3Output?: string; sk?: string; rk?: string; error?: string; trace?: Trace;
}
interface ResponderVector {
  name: string; lsPriv: string; lsPub: string; ePriv: string; ePub: string;
  act1Input: string; act2Output?: string; act3Input?: string; rk?: string; sk?: string; error?: string; trace?: Trace;
}
interface MessageVector {
  name: string; ck: string; sk: string; rk: string; message: string; messages: number;
  outputs: Record<string, string>; trace: TraceStep[];
}
const suite = vectors as unknown as {
  source: string; initiator: InitiatorVector[]; responder: ResponderVector[]; messageEncryption: MessageVector;
};

// ------------------------------------------------------------------ helpers

/** A NodeKey over a private key held in this closure, counting the points it is asked about. */
function nodeKeyFor(privateKey: Uint8Array): NodeKey & { calls: Uint8Array[] } {
  const calls: Uint8Array[] = [];
  return {
    publicKey: secp.publicKey(privateKey),
    calls,
    async ecdh(point) {
      calls.push(point);
      return secp.ecdh(privateKey, point);
    },
  };
}

/** What each Appendix A failure must say (the code is the appendix's own name). */
const failureMessage: Record<HandshakeFailure, RegExp> = {
  ACT1_READ_FAILED: /^act1: expected 50 bytes, got \d+$/,
  ACT2_READ_FAILED: /^act2: expected 50 bytes, got \d+$/,
  ACT3_READ_FAILED: /^act3: expected 66 bytes, got \d+$/,
  ACT1_BAD_VERSION: /^act1: unknown version \d+$/,
  ACT2_BAD_VERSION: /^act2: unknown version \d+$/,
  ACT3_BAD_VERSION: /^act3: unknown version \d+$/,
  ACT1_BAD_PUBKEY: /^act1: invalid ephemeral public key$/,
  ACT2_BAD_PUBKEY: /^act2: invalid ephemeral public key$/,
  ACT3_BAD_PUBKEY: /^act3: invalid static public key$/,
  ACT1_BAD_TAG: /^act1: bad MAC/,
  ACT2_BAD_TAG: /^act2: bad MAC$/,
  ACT3_BAD_CIPHERTEXT: /^act3: bad MAC on static key$/,
  ACT3_BAD_TAG: /^act3: bad MAC on final tag$/,
};

/** An assert.throws/rejects matcher for an appendix error such as "ACT2_BAD_VERSION 1". */
function appendixError(expected: string, caseName: string) {
  const [code, detail] = expected.split(' ') as [HandshakeFailure, string | undefined];
  return (e: unknown): boolean => {
    assert.ok(e instanceof HandshakeError, `${caseName}: expected a HandshakeError, got ${String(e)}`);
    assert.equal(e.code, code, caseName);
    assert.match(e.message, failureMessage[code], caseName);
    if (detail !== undefined) assert.ok(e.message.endsWith(` ${detail}`), `${caseName}: "${e.message}" should name ${detail}`);
    return true;
  };
}

/** The values of one key in an act's trace, in order (e.g. the two `h=` lines of act one). */
function traced(trace: Trace | undefined, act: keyof Trace, key: keyof TraceStep): string[] {
  return (trace?.[act] ?? []).flatMap((step) => (typeof step[key] === 'string' ? [step[key] as string] : []));
}
const last = (values: string[]): string => {
  assert.ok(values.length > 0, 'trace value missing');
  return values[values.length - 1]!;
};

// ------------------------------------------------------------------ Appendix A: initiator

test('BOLT 8 Appendix A initiator tests: act one/three bytes, session keys, internal states and every act-two refusal', async () => {
  let cases = 0;
  for (const v of suite.initiator) {
    const localKey = nodeKeyFor(fromHex(v.lsPriv));
    assert.equal(hex(localKey.publicKey), v.lsPub, `${v.name}: ls.pub`);
    assert.equal(hex(secp.publicKey(fromHex(v.ePriv))), v.ePub, `${v.name}: e.pub`);

    const one = initiatorActOne({ remoteStatic: fromHex(v.rsPub), ephemeralPrivateKey: fromHex(v.ePriv) });
    assert.equal(hex(one.message), v.act1Output, `${v.name}: act one`);

    if (v.error !== undefined) {
      assert.throws(() => initiatorReadActTwo(one.state, fromHex(v.act2Input)), appendixError(v.error, v.name));
      assert.equal(localKey.calls.length, 0, `${v.name}: the node key is not used before act three`);
      cases++;
      continue;
    }

    // Internal states against the appendix's debugging lines.
    assert.equal(hex(one.state.h), last(traced(v.trace, 'act1', 'h')), `${v.name}: h after act one`);
    assert.equal(hex(one.state.ck), last(traced(v.trace, 'act1', 'ck')), `${v.name}: ck after act one`);
    assert.equal(hex(secp.ecdh(fromHex(v.ePriv), fromHex(v.rsPub))), last(traced(v.trace, 'act1', 'ss')), `${v.name}: es`);

    const two = initiatorReadActTwo(one.state, fromHex(v.act2Input));
    assert.equal(hex(two.remoteEphemeral), last(traced(v.trace, 'act2', 're')), `${v.name}: re`);
    assert.equal(hex(two.h), last(traced(v.trace, 'act2', 'h')), `${v.name}: h after act two`);
    assert.equal(hex(two.ck), last(traced(v.trace, 'act2', 'ck')), `${v.name}: ck after act two`);
    assert.equal(hex(two.tempK2), last(traced(v.trace, 'act2', 'tempK2')), `${v.name}: temp_k2`);
    assert.equal(hex(secp.ecdh(fromHex(v.ePriv), two.remoteEphemeral)), last(traced(v.trace, 'act2', 'ss')), `${v.name}: ee`);

    const three = await initiatorActThree(two, localKey);
    assert.equal(hex(three.message), v.act3Output, `${v.name}: act three`);
    assert.equal(localKey.calls.length, 1, `${v.name}: one ECDH with the node key (se)`);
    assert.equal(hex(localKey.calls[0]!), hex(two.remoteEphemeral), `${v.name}: se is taken with re`);
    assert.equal(hex(three.result.chainingKey), last(traced(v.trace, 'act3', 'ck')), `${v.name}: final ck`);
    assert.equal(hex(three.result.handshakeHash), last(traced(v.trace, 'act3', 'h')), `${v.name}: final h`);
    assert.equal(hex(three.result.sendingKey), v.sk, `${v.name}: sk`);
    assert.equal(hex(three.result.receivingKey), v.rk, `${v.name}: rk`);
    assert.equal(hex(three.result.remoteStatic), v.rsPub, `${v.name}: remote static`);
    cases++;
  }
  assert.equal(cases, 5);
  console.log(`BOLT 8 Appendix A initiator tests: ${cases} cases`);
});

// ------------------------------------------------------------------ Appendix A: responder

test('BOLT 8 Appendix A responder tests: act two bytes, session keys, internal states and every act-one/act-three refusal', async () => {
  let cases = 0;
  for (const v of suite.responder) {
    const localKey = nodeKeyFor(fromHex(v.lsPriv));
    assert.equal(hex(localKey.publicKey), v.lsPub, `${v.name}: ls.pub`);
    assert.equal(hex(secp.publicKey(fromHex(v.ePriv))), v.ePub, `${v.name}: e.pub`);

    if (v.act2Output === undefined) {
      // Refused in act one.
      assert.ok(v.error, `${v.name}: a case without act two must be an error`);
      await assert.rejects(responderReadActOne(localKey, fromHex(v.act1Input)), appendixError(v.error, v.name));
      cases++;
      continue;
    }

    const one = await responderReadActOne(localKey, fromHex(v.act1Input));
    assert.equal(localKey.calls.length, 1, `${v.name}: one ECDH with the node key (es)`);
    const two = responderActTwo(one, fromHex(v.ePriv));
    assert.equal(hex(two.message), v.act2Output, `${v.name}: act two`);
    assert.ok(v.act3Input, `${v.name}: act three input`);

    if (v.error !== undefined) {
      assert.throws(() => responderReadActThree(two.state, fromHex(v.act3Input!)), appendixError(v.error, v.name));
      cases++;
      continue;
    }

    assert.equal(hex(one.remoteEphemeral), last(traced(v.trace, 'act1', 're')), `${v.name}: re`);
    assert.equal(hex(localKey.calls[0]!), hex(one.remoteEphemeral), `${v.name}: es is taken with re`);
    assert.equal(hex(await localKey.ecdh(one.remoteEphemeral)), last(traced(v.trace, 'act1', 'ss')), `${v.name}: es`);
    assert.equal(hex(one.h), last(traced(v.trace, 'act1', 'h')), `${v.name}: h after act one`);
    assert.equal(hex(one.ck), last(traced(v.trace, 'act1', 'ck')), `${v.name}: ck after act one`);
    assert.equal(hex(two.state.h), last(traced(v.trace, 'act2', 'h')), `${v.name}: h after act two`);
    assert.equal(hex(two.state.ck), last(traced(v.trace, 'act2', 'ck')), `${v.name}: ck after act two`);
    assert.equal(hex(two.state.tempK2), last(traced(v.trace, 'act2', 'tempK2')), `${v.name}: temp_k2`);

    const result = responderReadActThree(two.state, fromHex(v.act3Input));
    assert.equal(hex(result.remoteStatic), last(traced(v.trace, 'act3', 'rs')), `${v.name}: rs`);
    assert.equal(hex(secp.ecdh(fromHex(v.ePriv), result.remoteStatic)), last(traced(v.trace, 'act3', 'ss')), `${v.name}: se`);
    assert.equal(hex(result.chainingKey), last(traced(v.trace, 'act3', 'ck')), `${v.name}: final ck`);
    assert.equal(hex(result.handshakeHash), last(traced(v.trace, 'act3', 'h')), `${v.name}: final h`);
    assert.equal(hex(result.receivingKey), v.rk, `${v.name}: rk`);
    assert.equal(hex(result.sendingKey), v.sk, `${v.name}: sk`);
    cases++;
  }
  assert.equal(cases, 10);
  console.log(`BOLT 8 Appendix A responder tests: ${cases} cases`);
});

// ------------------------------------------------------------------ Appendix A: the debugging lines themselves

test('BOLT 8 Appendix A debugging lines replay: every HKDF, encryptWithAD and decryptWithAD line gives the value that follows it', () => {
  let lines = 0;
  const cases: { name: string; trace: Trace; finalKeys: [string, string] | null }[] = [
    ...suite.initiator.filter((v) => v.trace).map((v) => ({ name: v.name, trace: v.trace!, finalKeys: v.sk ? [v.sk, v.rk!] as [string, string] : null })),
    ...suite.responder.filter((v) => v.trace).map((v) => ({ name: v.name, trace: v.trace!, finalKeys: v.rk ? [v.rk, v.sk!] as [string, string] : null })),
  ];
  for (const { name, trace, finalKeys } of cases) {
    for (const act of ['act1', 'act2', 'act3'] as const) {
      const steps = trace[act] ?? [];
      steps.forEach((step, i) => {
        const next = steps[i + 1];
        const where = `${name} ${act} line ${i}`;
        if (step.hkdf) {
          const [a, b] = hkdf(fromHex(step.hkdf.salt), fromHex(step.hkdf.ikm));
          // "ck,temp_kN=..." follows; the last HKDF(ck, zero) gives the case's output keys.
          const expected = next?.ck !== undefined
            ? [next.ck, next.tempK1 ?? next.tempK2 ?? next.tempK3]
            : finalKeys;
          assert.ok(expected, `${where}: nothing to compare HKDF with`);
          assert.deepEqual([hex(a), hex(b)], expected, where);
          lines++;
        }
        if (step.encryptWithAD) {
          const { key, nonce, ad, plaintext } = step.encryptWithAD;
          const out = new Uint8Array(plaintext.length / 2 + 16);
          sealInto(fromHex(key), fromHex(nonce), fromHex(ad), fromHex(plaintext), out, 0);
          assert.equal(hex(out), next?.c ?? next?.t, where);
          lines++;
        }
        if (step.decryptWithAD) {
          const { key, nonce, ad, ciphertext } = step.decryptWithAD;
          const plaintext = open(fromHex(key), fromHex(nonce), fromHex(ad), fromHex(ciphertext));
          assert.ok(plaintext, `${where}: MAC must check`);
          if (next?.rs !== undefined) assert.equal(hex(plaintext), next.rs, where);
          else assert.equal(plaintext.length, 0, `${where}: an empty payload`);
          lines++;
        }
      });
    }
  }
  const m = suite.messageEncryption;
  m.trace.forEach((step, i) => {
    const where = `${m.name} line ${i}`;
    if (step.encrypt) {
      const { key, nonce, ad, plaintext, output } = step.encrypt;
      const out = new Uint8Array(plaintext.length / 2 + 16);
      sealInto(fromHex(key), fromHex(nonce), fromHex(ad), fromHex(plaintext), out, 0);
      assert.equal(hex(out), output, where);
      lines++;
    }
    if (step.hkdf?.output) {
      const [a, b] = hkdf(fromHex(step.hkdf.salt), fromHex(step.hkdf.ikm));
      assert.deepEqual([hex(a), hex(b)], step.hkdf.output, where);
      lines++;
    }
  });
  // 8 lines per successful handshake (2), 1 in "act3 bad rs", 8 in the message test.
  assert.equal(lines, 25);
  console.log(`BOLT 8 Appendix A debugging lines: ${lines} cases`);
});

test('BOLT 8 Appendix A "act3 bad rs": the act-three ciphertext carries a valid MAC, so the refusal is the key, not the MAC', () => {
  const v = suite.responder.find((c) => c.name === 'transport-responder act3 bad rs test')!;
  const good = suite.responder.find((c) => c.name === 'transport-responder successful handshake')!;
  const tempK2 = fromHex(last(traced(good.trace, 'act2', 'tempK2')));
  const h = fromHex(last(traced(good.trace, 'act2', 'h')));
  const nonceOne = fromHex('000000000100000000000000'); // counter 1, little-endian after 4 zero bytes
  const rs = open(tempK2, nonceOne, h, fromHex(v.act3Input!).subarray(1, 50));
  assert.ok(rs, 'the MAC on the static key checks');
  assert.equal(rs.length, 33);
  assert.equal(secp.isValidPublicKey(rs), false, `rs ${hex(rs)} must be an invalid point`);
});

// ------------------------------------------------------------------ Appendix A: message encryption

test('BOLT 8 Appendix A message encryption: 1002 "hello" frames match outputs 0, 1, 500, 501, 1000, 1001 across two key rotations', () => {
  const m = suite.messageEncryption;
  const encryptor = new MessageEncryptor(fromHex(m.sk), fromHex(m.ck));
  const decryptor = new MessageDecryptor(fromHex(m.sk), fromHex(m.ck)); // the responder's rk is the initiator's sk
  const hello = fromHex(m.message);
  let checked = 0;
  for (let i = 0; i < m.messages; i++) {
    const frame = encryptor.encrypt(hello);
    const expected = m.outputs[String(i)];
    if (expected !== undefined) {
      assert.equal(hex(frame), expected, `output ${i}`);
      checked++;
    }
    assert.equal(decryptor.decryptLength(frame.subarray(0, LENGTH_HEADER_LENGTH)), hello.length, `length of message ${i}`);
    assert.equal(hex(decryptor.decryptBody(frame.subarray(LENGTH_HEADER_LENGTH))), m.message, `body of message ${i}`);
  }
  assert.equal(checked, 6);
  console.log(`BOLT 8 Appendix A message encryption tests: 1 case (${checked} outputs over ${m.messages} messages)`);
});

// ------------------------------------------------------------------ beyond the appendix

async function handshake(): Promise<{ initiator: HandshakeResult; responder: HandshakeResult; initiatorKey: ReturnType<typeof nodeKeyFor>; responderKey: ReturnType<typeof nodeKeyFor> }> {
  const initiatorKey = nodeKeyFor(randomBytes(32));
  const responderKey = nodeKeyFor(randomBytes(32));
  const one = initiatorActOne({ remoteStatic: responderKey.publicKey, ephemeralPrivateKey: randomBytes(32) });
  const r1 = await responderReadActOne(responderKey, one.message);
  const two = responderActTwo(r1, randomBytes(32));
  const i2 = initiatorReadActTwo(one.state, two.message);
  const three = await initiatorActThree(i2, initiatorKey);
  const responder = responderReadActThree(two.state, three.message);
  return { initiator: three.result, responder, initiatorKey, responderKey };
}

test('our initiator and responder agree on keys, learn each other, and reach the node keys only through one ecdh each', async () => {
  const { initiator, responder, initiatorKey, responderKey } = await handshake();
  assert.equal(hex(initiator.sendingKey), hex(responder.receivingKey));
  assert.equal(hex(initiator.receivingKey), hex(responder.sendingKey));
  assert.notEqual(hex(initiator.sendingKey), hex(initiator.receivingKey));
  assert.equal(hex(initiator.chainingKey), hex(responder.chainingKey));
  assert.equal(hex(initiator.handshakeHash), hex(responder.handshakeHash));
  assert.equal(hex(responder.remoteStatic), hex(initiatorKey.publicKey));
  assert.equal(hex(initiator.remoteStatic), hex(responderKey.publicKey));
  assert.equal(initiatorKey.calls.length, 1);
  assert.equal(responderKey.calls.length, 1);
});

test('traffic both ways survives key rotations: 2600 frames per direction of sizes 0..65535 decrypt to what was sent', async () => {
  const { initiator, responder } = await handshake();
  const a = createTransport(initiator);
  const b = createTransport(responder);
  const sizes = [0, 1, 2, 16, 17, 255, 256, 1000, 65535];
  let frames = 0;
  for (let i = 0; i < 2600; i++) {
    const size = i % 97 === 0 ? sizes[(i / 97) % sizes.length]! : i % 300;
    for (const [from, to] of [[a, b], [b, a]] as const) {
      const message = randomBytes(size);
      const frame = from.encryptor.encrypt(message);
      assert.equal(frame.length, LENGTH_HEADER_LENGTH + bodyLength(size));
      const length = to.decryptor.decryptLength(frame.subarray(0, LENGTH_HEADER_LENGTH));
      assert.equal(length, size);
      assert.equal(hex(to.decryptor.decryptBody(frame.subarray(LENGTH_HEADER_LENGTH))), hex(message));
      frames++;
    }
  }
  assert.equal(frames, 5200);
});

test('the 65535-byte limit: the largest message passes, one byte more is refused naming the size and limit', () => {
  const m = suite.messageEncryption;
  const encryptor = new MessageEncryptor(fromHex(m.sk), fromHex(m.ck));
  assert.equal(encryptor.encrypt(new Uint8Array(MAX_MESSAGE_LENGTH)).length, 2 + 16 + 65535 + 16); // 65569 on the wire
  assert.throws(() => encryptor.encrypt(new Uint8Array(MAX_MESSAGE_LENGTH + 1)), (e: unknown) => {
    assert.ok(e instanceof TransportError);
    assert.match(e.message, /65536 bytes exceeds the 65535-byte limit/);
    return true;
  });
  // A refused message does not consume nonces: the next frame is still Appendix A's second one.
  const fresh = new MessageEncryptor(fromHex(m.sk), fromHex(m.ck));
  fresh.encrypt(fromHex(m.message));
  assert.throws(() => fresh.encrypt(new Uint8Array(70000)), TransportError);
  assert.equal(hex(fresh.encrypt(fromHex(m.message))), m.outputs['1']);
});

test('a flipped bit in the length header or the body is refused as a bad MAC, and the decryptor stays failed', () => {
  const m = suite.messageEncryption;
  const frame = fromHex(m.outputs['0']!);

  const headerTampered = Uint8Array.from(frame);
  headerTampered[0]! ^= 0x01;
  const d1 = new MessageDecryptor(fromHex(m.sk), fromHex(m.ck));
  assert.throws(() => d1.decryptLength(headerTampered.subarray(0, 18)), /^TransportError: length header: bad MAC \(nonce 0\)$/);
  assert.throws(() => d1.decryptLength(frame.subarray(0, 18)), /transport already failed \(length header: bad MAC/);

  const bodyTampered = Uint8Array.from(frame);
  bodyTampered[frame.length - 1]! ^= 0x80;
  const d2 = new MessageDecryptor(fromHex(m.sk), fromHex(m.ck));
  assert.equal(d2.decryptLength(bodyTampered.subarray(0, 18)), 5);
  assert.throws(() => d2.decryptBody(bodyTampered.subarray(18)), /^TransportError: message body: bad MAC \(5 bytes, nonce 1\)$/);
  assert.throws(() => d2.decryptBody(frame.subarray(18)), /transport already failed/);
});

test('the decryptor refuses a wrong-sized header or body and calls out of order, naming what it expected', () => {
  const m = suite.messageEncryption;
  const frame = fromHex(m.outputs['0']!);
  const fresh = () => new MessageDecryptor(fromHex(m.sk), fromHex(m.ck));
  assert.throws(() => fresh().decryptLength(frame.subarray(0, 17)), /length header: expected 18 bytes, got 17/);
  assert.throws(() => fresh().decryptBody(frame.subarray(18)), /no length header was decrypted/);
  const d = fresh();
  d.decryptLength(frame.subarray(0, 18));
  assert.throws(() => d.decryptBody(frame.subarray(18, 38)), /message body: expected 5 \+ 16 bytes, got 20/);
  const twice = fresh();
  twice.decryptLength(frame.subarray(0, 18));
  assert.throws(() => twice.decryptLength(frame.subarray(0, 18)), /previous frame \(5 bytes\) was not decrypted yet/);
});

test('an initiator that does not know the responder\'s static key is refused in act one', async () => {
  const responderKey = nodeKeyFor(randomBytes(32));
  const wrong = secp.publicKey(randomBytes(32));
  const one = initiatorActOne({ remoteStatic: wrong, ephemeralPrivateKey: randomBytes(32) });
  await assert.rejects(responderReadActOne(responderKey, one.message), appendixError('ACT1_BAD_TAG', 'wrong static key'));
});

test('handshake steps are pure: a state is left unchanged by a refused act and can be stepped again to the same bytes', () => {
  const v = suite.initiator[0]!;
  const one = initiatorActOne({ remoteStatic: fromHex(v.rsPub), ephemeralPrivateKey: fromHex(v.ePriv) });
  const before = JSON.stringify(one.state, (_k, x: unknown) => (x instanceof Uint8Array ? hex(x) : x));
  const badMac = suite.initiator.find((c) => c.error === 'ACT2_BAD_TAG')!;
  assert.throws(() => initiatorReadActTwo(one.state, fromHex(badMac.act2Input)), HandshakeError);
  assert.equal(JSON.stringify(one.state, (_k, x: unknown) => (x instanceof Uint8Array ? hex(x) : x)), before);
  const a = initiatorReadActTwo(one.state, fromHex(v.act2Input));
  const b = initiatorReadActTwo(one.state, fromHex(v.act2Input));
  assert.equal(hex(a.ck), hex(b.ck));
  assert.equal(hex(a.h), hex(b.h));
  assert.equal(hex(a.tempK2), hex(b.tempK2));
});

test('the nonce is 4 zero bytes then the 64-bit counter little-endian, as the appendix writes it', () => {
  const nonce = new Uint8Array(12);
  assert.equal(hex(writeNonce(0, nonce)), '000000000000000000000000');
  assert.equal(hex(writeNonce(1, nonce)), '000000000100000000000000');
  assert.equal(hex(writeNonce(999, nonce)), '00000000e703000000000000');
  assert.equal(hex(writeNonce(2 ** 40 + 5, nonce)), '000000000500000000010000');
  assert.throws(() => writeNonce(-1, nonce), /nonce: -1 is not a counter/);
});

test('local inputs that are not keys are refused naming which one', async () => {
  const good = secp.publicKey(randomBytes(32));
  assert.throws(() => initiatorActOne({ remoteStatic: good.subarray(0, 32), ephemeralPrivateKey: randomBytes(32) }), /remote static public key: not a valid 33-byte/);
  assert.throws(() => initiatorActOne({ remoteStatic: good, ephemeralPrivateKey: new Uint8Array(32) }), /ephemeral private key: not a valid secp256k1 scalar/);
  const one = await responderReadActOne(nodeKeyFor(fromHex(suite.responder[0]!.lsPriv)), fromHex(suite.responder[0]!.act1Input));
  assert.throws(() => responderActTwo(one, new Uint8Array(31)), /ephemeral private key/);
});
