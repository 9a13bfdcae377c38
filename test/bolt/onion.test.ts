// BOLT 4 onion packets, hop payloads and failures beyond the spec's vectors: routes of every length
// and payload size round-trip; each refusal of §Onion Decryption names its failure code and carries
// sha256_of_onion; §Payload Format requirements name the missing or unknown type; every failure
// message of §Failure Messages round-trips; a returned failure is attributed to the hop that built it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { concat, equal, fromHex, hex } from '../../bolt/bytes.js';
import { hmacSha256, sha256 } from '../../bolt/crypto/hash.js';
import { secp } from '../../bolt/crypto/secp256k1.js';
import {
  BadOnionError,
  chachaStream,
  createFailurePacket,
  createOnion,
  decodeHopPayload,
  decryptFailure,
  encodeFailureMessage,
  encodeFinalPayload,
  encodeForwardPayload,
  FAILURE_CODES,
  failureMessages,
  type FailureMessageInput,
  failureName,
  HOP_PAYLOADS_SIZE,
  InvalidOnionPayloadError,
  onionEphemeralKey,
  onionKey,
  ONION_PACKET_SIZE,
  peelOnion,
  readFailureMessage,
  readFinalPayload,
  readForwardPayload,
  routeHopKeys,
  UnattributableFailureError,
  wrapFailure,
  xorInPlace,
} from '../../bolt/onion/index.js';
import { prng } from '../helpers/prng.js';

/** A deterministic private key from a small number. */
const key = (n: number): Uint8Array => sha256(Uint8Array.of(n >> 8, n & 0xff));
const AD = sha256(new TextEncoder().encode('payment hash'));

/** Peels every layer as each hop would, with only ECDH of its own key. */
function peelAll(packet: Uint8Array, nodeKeys: readonly Uint8Array[], ad = AD): Uint8Array[] {
  const payloads: Uint8Array[] = [];
  let current: Uint8Array | null = packet;
  for (let i = 0; i < nodeKeys.length; i++) {
    assert.ok(current !== null, `hop ${i} gets a packet`);
    const peeled = peelOnion(current, ad, secp.ecdh(nodeKeys[i]!, onionEphemeralKey(current)));
    payloads.push(peeled.payload);
    assert.equal(peeled.nextPacket === null, i === nodeKeys.length - 1, `hop ${i}: final only at the end`);
    current = peeled.nextPacket;
  }
  return payloads;
}

test('routes of 1 to 20 hops with random payload sizes round-trip through every hop', () => {
  const rand = prng(4);
  let routes = 0;
  for (let n = 1; n <= 20; n++) {
    const nodeKeys = Array.from({ length: n }, (_, i) => key(100 * n + i));
    // Payload sizes spread so the route fills most of the 1300 bytes; one size crosses the 253-byte BigSize boundary.
    const budget = Math.floor(HOP_PAYLOADS_SIZE / n) - 35;
    const sizes = nodeKeys.map((_, i) => (n <= 4 && i === 0 ? Math.min(300, budget - 2) : 2 + Math.floor(rand() * Math.max(1, budget - 3))));
    const hops = nodeKeys.map((k, i) => ({ nodeId: secp.publicKey(k), payload: Uint8Array.from({ length: sizes[i]! }, () => Math.floor(rand() * 256)) }));
    const created = createOnion(key(9000 + n), hops, AD);
    assert.equal(created.packet.length, ONION_PACKET_SIZE);
    assert.equal(created.sharedSecrets.length, n);
    const payloads = peelAll(created.packet, nodeKeys);
    payloads.forEach((p, i) => assert.equal(hex(p), hex(hops[i]!.payload), `route of ${n}, hop ${i}: payload`));
    routes++;
  }
  assert.equal(routes, 20);
});

test('a payload set filling hop_payloads exactly is accepted; one byte more is refused, naming the sizes', () => {
  const nodeKeys = [key(1), key(2)];
  // Two frames: (3 + 598 + 32) + (3 + 632 + 32) = 1300.
  const exact = [new Uint8Array(598).fill(1), new Uint8Array(632).fill(2)];
  const hops = exact.map((payload, i) => ({ nodeId: secp.publicKey(nodeKeys[i]!), payload }));
  const payloads = peelAll(createOnion(key(3), hops, AD).packet, nodeKeys);
  assert.equal(hex(payloads[1]!), hex(exact[1]!));
  const tooBig = [hops[0]!, { ...hops[1]!, payload: new Uint8Array(633) }];
  assert.throws(() => createOnion(key(3), tooBig, AD), /2 hop payloads take 1301 bytes framed, more than the 1300 bytes/);
  assert.throws(() => createOnion(key(3), [{ nodeId: hops[0]!.nodeId, payload: Uint8Array.of(1) }], AD), /hop 0: payload is 1 byte\(s\), at least 2 required/);
  assert.throws(() => createOnion(key(3), [], AD), /no hops/);
  assert.throws(() => createOnion(new Uint8Array(32), hops, AD), /session key/);
  assert.throws(() => createOnion(key(3), [{ nodeId: new Uint8Array(33), payload: exact[0]! }], AD), /hop 0: node id/);
});

test('a peeling node sees none of the other hops: each layer changes the ephemeral key and the whole packet', () => {
  const nodeKeys = [key(11), key(12), key(13)];
  const hops = nodeKeys.map((k) => ({ nodeId: secp.publicKey(k), payload: encodeForwardPayload({ amountMsat: 1000n, outgoingCltvValue: 500, shortChannelId: 7n }) }));
  const first = createOnion(key(14), hops, AD).packet;
  const second = peelOnion(first, AD, secp.ecdh(nodeKeys[0]!, onionEphemeralKey(first))).nextPacket!;
  assert.notEqual(hex(onionEphemeralKey(first)), hex(onionEphemeralKey(second)));
  // The origin's ephemeral key for hop 1 is what hop 0 derived from public data alone.
  assert.equal(hex(onionEphemeralKey(second)), hex(routeHopKeys(key(14), hops.map((h) => h.nodeId))[1]!.ephemeralPublicKey));
  // The same payloads under another session key give an unrelated packet.
  const other = createOnion(key(15), hops, AD).packet;
  let same = 0;
  for (let i = 34; i < ONION_PACKET_SIZE; i++) if (first[i] === other[i]) same++;
  assert.ok(same < 40, `${same} equal bytes between two onions of the same route`);
});

/** A packet whose point is not on the curve: 0x02 || x for the first x without a square root. */
function offCurveKey(): Uint8Array {
  for (let x = 1; ; x++) {
    const candidate = concat(Uint8Array.of(2), new Uint8Array(31), Uint8Array.of(x));
    if (!secp.isValidPublicKey(candidate)) return candidate;
  }
}

test('§Onion Decryption refusals: version, key and HMAC each become their BADONION failure with sha256_of_onion', () => {
  const nodeKey = key(21);
  const hops = [{ nodeId: secp.publicKey(nodeKey), payload: encodeFinalPayload({ amountMsat: 5000n, cltvExpiry: 800, paymentSecret: new Uint8Array(32).fill(9), totalMsat: 5000n }) }];
  const packet = createOnion(key(22), hops, AD).packet;
  const ss = secp.ecdh(nodeKey, onionEphemeralKey(packet));

  const expectBad = (p: Uint8Array, name: string, code: number, run: () => unknown, detail: RegExp): void => {
    assert.throws(run, (e: unknown) => {
      assert.ok(e instanceof BadOnionError, `${name}: a BadOnionError`);
      assert.equal(e.failure, name);
      assert.equal(e.failureCode, code);
      assert.equal(hex(e.sha256OfOnion), hex(sha256(p)), `${name}: sha256 of the onion as received`);
      assert.match(e.message, detail);
      return true;
    });
  };

  const version1 = packet.slice();
  version1[0] = 1;
  expectBad(version1, 'invalid_onion_version', 0xc004, () => onionEphemeralKey(version1), /version 1, only 0 is known/);
  expectBad(version1, 'invalid_onion_version', 0xc004, () => peelOnion(version1, AD, ss), /version 1/);

  const badKey = packet.slice();
  badKey.set(offCurveKey(), 1);
  expectBad(badKey, 'invalid_onion_key', 0xc006, () => onionEphemeralKey(badKey), /public_key is not a valid secp256k1 point/);

  for (const at of [34, 700, 1333, 1365]) {
    const flipped = packet.slice();
    flipped[at]! ^= 1;
    expectBad(flipped, 'invalid_onion_hmac', 0xc005, () => peelOnion(flipped, AD, ss), /hmac does not match/);
  }
  expectBad(packet, 'invalid_onion_hmac', 0xc005, () => peelOnion(packet, sha256(AD), ss), /hmac does not match/);
  // A wrong shared secret (another node's key) fails the same way: nothing decrypts.
  expectBad(packet, 'invalid_onion_hmac', 0xc005, () => peelOnion(packet, AD, secp.ecdh(key(23), onionEphemeralKey(packet))), /hmac/);
  assert.throws(() => peelOnion(packet, AD, new Uint8Array(31)), /shared secret must be 32 bytes, got 31/);
  // Untouched, it still peels.
  assert.equal(peelOnion(packet, AD, ss).nextPacket, null);
});

/** A one-hop packet whose decrypted hop_payloads start with `plaintext`, with a valid HMAC. */
function handMadePacket(sharedSecret: Uint8Array, ephemeral: Uint8Array, plaintext: Uint8Array): Uint8Array {
  const payloads = new Uint8Array(HOP_PAYLOADS_SIZE);
  payloads.set(plaintext);
  xorInPlace(payloads, chachaStream(onionKey('rho', sharedSecret), HOP_PAYLOADS_SIZE));
  const hmac = hmacSha256(onionKey('mu', sharedSecret), concat(payloads, AD));
  return concat(Uint8Array.of(0), ephemeral, payloads, hmac);
}

test('an authenticated packet with broken framing is invalid_onion_payload, not a BADONION failure', () => {
  const nodeKey = key(31);
  const ephemeral = secp.publicKey(key(32));
  const ss = secp.ecdh(nodeKey, ephemeral);
  const cases: Array<[string, Uint8Array, RegExp]> = [
    ['length 0 (legacy, no longer supported)', Uint8Array.of(0), /length 0 is reserved/],
    ['length 1 (reserved)', Uint8Array.of(1), /length 1 is reserved/],
    ['non-minimal BigSize', Uint8Array.of(0xfd, 0x00, 0x10), /not minimally encoded/],
    ['payload overrunning the hmac', Uint8Array.of(0xfd, 0x04, 0xf2), /length 1266 leaves no room for its hmac in 1300 bytes/],
  ];
  for (const [what, plaintext, detail] of cases) {
    const packet = handMadePacket(ss, ephemeral, plaintext);
    assert.throws(() => peelOnion(packet, AD, ss), (e: unknown) => {
      assert.ok(e instanceof InvalidOnionPayloadError, what);
      assert.equal(e.failureCode, FAILURE_CODES.invalid_onion_payload);
      assert.match(e.message, detail, what);
      return true;
    });
  }
  // Longest payload that still leaves its hmac: 1300 - 3 - 32.
  const longest = handMadePacket(ss, ephemeral, Uint8Array.of(0xfd, 0x04, 0xf1));
  assert.equal(peelOnion(longest, AD, ss).payload.length, 1265);
});

test('§Payload Format: required fields, unknown even types and defaults, each refusal naming its type', () => {
  const secret = new Uint8Array(32).fill(7);
  const final = encodeFinalPayload({ amountMsat: 42_000n, cltvExpiry: 812, paymentSecret: secret, totalMsat: 84_000n, paymentMetadata: Uint8Array.of(1, 2, 3) });
  assert.equal(hex(final), '0202a410' + '0402032c' + '0823' + hex(secret) + '014820' + '1003010203');
  assert.deepEqual(readFinalPayload(final), { amountMsat: 42_000n, cltvExpiry: 812, paymentSecret: secret, totalMsat: 84_000n, paymentMetadata: Uint8Array.of(1, 2, 3) });
  // No payment_data: total_msat is amt_to_forward.
  const bare = encodeFinalPayload({ amountMsat: 42_000n, cltvExpiry: 812, paymentSecret: null, totalMsat: 42_000n });
  assert.deepEqual(readFinalPayload(bare), { amountMsat: 42_000n, cltvExpiry: 812, paymentSecret: null, totalMsat: 42_000n, paymentMetadata: null });
  assert.throws(() => encodeFinalPayload({ amountMsat: 1n, cltvExpiry: 1, paymentSecret: null, totalMsat: 2n }), /total_msat 2 differs from amt_to_forward 1/);

  const forward = encodeForwardPayload({ amountMsat: 1000n, outgoingCltvValue: 600, shortChannelId: (700_000n << 40n) | (12n << 16n) | 1n });
  assert.deepEqual(readForwardPayload(forward), { amountMsat: 1000n, outgoingCltvValue: 600, shortChannelId: (700_000n << 40n) | (12n << 16n) | 1n });

  const refused = (bytes: Uint8Array, read: (b: Uint8Array) => unknown, type: bigint, offset: number, detail: RegExp): void => {
    assert.throws(() => read(bytes), (e: unknown) => {
      assert.ok(e instanceof InvalidOnionPayloadError);
      assert.equal(e.tlvType, type);
      assert.equal(e.offset, offset);
      assert.match(e.message, detail);
      return true;
    });
  };
  refused(fromHex('0402032c'), readFinalPayload, 2n, 0, /final payload is missing amt_to_forward \(type 2\)/);
  refused(fromHex('020203e8'), readFinalPayload, 4n, 0, /missing outgoing_cltv_value \(type 4\)/);
  refused(fromHex('020203e80402032c'), readForwardPayload, 6n, 0, /forwarding payload is missing short_channel_id \(type 6\)/);
  refused(fromHex('020203e80402032c0a0100'), readFinalPayload, 10n, 8, /unknown even type 10/);
  refused(fromHex('020203e80402032c0c0100'), readFinalPayload, 12n, 8, /unknown even type 12/);
  refused(fromHex('02020001'), readFinalPayload, 2n, 0, /amt_to_forward: tu64 is not minimal/);
  refused(fromHex('020203e80402032c08020102'), readFinalPayload, 8n, 8, /payment_data.*short read/);
  refused(fromHex('0402032c020203e8'), readFinalPayload, 2n, 4, /type 2 after type 4/);
  // Unknown odd types are fine and kept.
  const withOdd = readFinalPayload(fromHex('020203e80402032c0b0199'));
  assert.deepEqual(withOdd.unknownRecords, [{ type: 11n, value: Uint8Array.of(0x99) }]);
  assert.equal(decodeHopPayload(fromHex('')).amtToForward, undefined);
});

/** One well-formed example of every failure message. */
const examples: FailureMessageInput[] = [
  { type: 'temporary_node_failure' },
  { type: 'permanent_node_failure' },
  { type: 'required_node_feature_missing' },
  { type: 'invalid_onion_version', sha256OfOnion: new Uint8Array(32).fill(1) },
  { type: 'invalid_onion_hmac', sha256OfOnion: new Uint8Array(32).fill(2) },
  { type: 'invalid_onion_key', sha256OfOnion: new Uint8Array(32).fill(3) },
  { type: 'temporary_channel_failure', channelUpdate: new Uint8Array(0) },
  { type: 'permanent_channel_failure' },
  { type: 'required_channel_feature_missing' },
  { type: 'unknown_next_peer' },
  { type: 'amount_below_minimum', htlcMsat: 999n, channelUpdate: Uint8Array.of(1, 2) },
  { type: 'fee_insufficient', htlcMsat: 1001n, channelUpdate: new Uint8Array(0) },
  { type: 'incorrect_cltv_expiry', cltvExpiry: 700, channelUpdate: new Uint8Array(0) },
  { type: 'expiry_too_soon', channelUpdate: new Uint8Array(0) },
  { type: 'incorrect_or_unknown_payment_details', htlcMsat: 123_000n, height: 840_000 },
  { type: 'final_incorrect_cltv_expiry', cltvExpiry: 650 },
  { type: 'final_incorrect_htlc_amount', incomingHtlcAmt: 5n },
  { type: 'channel_disabled', disabledFlags: 0, channelUpdate: new Uint8Array(0) },
  { type: 'expiry_too_far' },
  { type: 'invalid_onion_payload', tlvType: 10n, offset: 8 },
  { type: 'mpp_timeout' },
  { type: 'invalid_onion_blinding', sha256OfOnion: new Uint8Array(32).fill(4) },
];

test('§Failure Messages: every failure_code encodes with its data and reads back', () => {
  assert.equal(examples.length, Object.keys(failureMessages).length, 'one example per failure code');
  for (const ex of examples) {
    const bytes = encodeFailureMessage(ex);
    const code = FAILURE_CODES[ex.type];
    assert.equal((bytes[0]! << 8) | bytes[1]!, code, `${ex.type}: u16 failure_code first`);
    assert.equal(failureName(code), ex.type);
    const read = readFailureMessage(bytes);
    assert.equal(read.name, ex.type);
    assert.equal(read.problem, null);
    assert.deepEqual(read.message, { ...ex, tlvs: {} }, `${ex.type}: round trip`);
  }
  // The spec's flag bits: BADONION on exactly the four failures update_fail_malformed_htlc carries.
  const badOnion = examples.filter((e) => (FAILURE_CODES[e.type] & 0x8000) !== 0).map((e) => e.type);
  assert.deepEqual(badOnion, ['invalid_onion_version', 'invalid_onion_hmac', 'invalid_onion_key', 'invalid_onion_blinding']);
  assert.equal(hex(encodeFailureMessage({ type: 'incorrect_or_unknown_payment_details', htlcMsat: 100n, height: 800000 })), '400f0000000000000064000c3500');
});

test('reading a failure: unknown codes keep their code, short data is reported, extra bytes are ignored', () => {
  assert.deepEqual(readFailureMessage(fromHex('7777')), { code: 0x7777, name: null, message: null, problem: null });
  const short = readFailureMessage(fromHex('400f00000000000000640000'));
  assert.equal(short.name, 'incorrect_or_unknown_payment_details');
  assert.equal(short.message, null);
  assert.match(short.problem!, /height: short read, need 4 bytes, have 2/);
  assert.match(readFailureMessage(Uint8Array.of(0x40)).problem!, /shorter than its u16 failure_code/);
  // BOLT 4 §Receiving Failure Codes: extra bytes that are no tlv stream are ignored.
  const extra = readFailureMessage(fromHex('2002ffff'));
  assert.equal(extra.name, 'temporary_node_failure');
  assert.deepEqual(extra.message, { type: 'temporary_node_failure', tlvs: {} });
});

test('a failure from any hop of a route is attributed to that hop; a corrupted one to none', () => {
  const nodeKeys = [key(41), key(42), key(43), key(44)];
  const secrets = routeHopKeys(key(45), nodeKeys.map((k) => secp.publicKey(k))).map((k) => k.sharedSecret);
  for (let erring = 0; erring < nodeKeys.length; erring++) {
    const msg = encodeFailureMessage({ type: 'fee_insufficient', htlcMsat: BigInt(erring), channelUpdate: new Uint8Array(0) });
    let packet = createFailurePacket(secrets[erring]!, msg);
    assert.equal(packet.length, 32 + 2 + 256 + 2, 'padded to 256 (failure_len + pad_len)');
    for (let i = erring - 1; i >= 0; i--) packet = wrapFailure(secrets[i]!, packet);
    const got = decryptFailure(secrets, packet);
    assert.equal(got.hopIndex, erring);
    assert.ok(equal(got.failureMessage!, msg));
    // One flipped bit anywhere and no hop's HMAC matches.
    const corrupted = packet.slice();
    corrupted[100]! ^= 0x10;
    assert.throws(() => decryptFailure(secrets, corrupted), (e: unknown) => e instanceof UnattributableFailureError && /none of the 4 hops' um keys/.test(e.message));
  }
  // A failure built by a node not on the route (here: past its end) is not attributed.
  const stranger = createFailurePacket(sha256(Uint8Array.of(1)), encodeFailureMessage({ type: 'mpp_timeout' }));
  assert.throws(() => decryptFailure(secrets, stranger), UnattributableFailureError);
  assert.throws(() => decryptFailure(secrets, new Uint8Array(35)), /too short/);
  assert.throws(() => createFailurePacket(secrets[0]!, new Uint8Array(2), 255), /below the 256 bytes/);
  // A message longer than 256 bytes gets no pad.
  const long = createFailurePacket(secrets[0]!, concat(fromHex('2002'), new Uint8Array(300)));
  assert.equal(long.length, 32 + 2 + 302 + 2);
});
