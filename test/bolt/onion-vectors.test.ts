// BOLT 4 onion routing proven on the spec's vectors: bolt04/onion-test.json (the packet created byte
// for byte, then peeled hop by hop with each hop's key through ECDH alone), bolt04/onion-error-test.json
// and the §Test Vector / Returning Errors trace (the failure built at the last hop, wrapped at every hop
// back, decrypted and attributed at the origin, compared at each step).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import onionVectors from '../vectors/bolt04-onion.json' with { type: 'json' };
import errorVectors from '../vectors/bolt04-onion-error.json' with { type: 'json' };
import traceVectors from '../vectors/bolt04-returning-errors.json' with { type: 'json' };
import { fromHex, hex } from '../../bolt/bytes.js';
import { secp } from '../../bolt/crypto/secp256k1.js';
import { Reader } from '../../bolt/codec/io.js';
import {
  authenticateFailure,
  chachaStream,
  createFailurePacket,
  createOnion,
  decodeHopPayload,
  decryptFailure,
  encodeFailureMessage,
  failurePayload,
  hopPayloadStream,
  onionEphemeralKey,
  onionKey,
  ONION_PACKET_SIZE,
  peelOnion,
  readFailureMessage,
  readFinalPayload,
  readForwardPayload,
  routeHopKeys,
  wrapFailure,
} from '../../bolt/onion/index.js';

/** The vectors' hop payloads carry their BigSize length; createOnion takes the tlv stream alone. */
function withoutLength(framed: Uint8Array): Uint8Array {
  const r = new Reader(framed);
  const length = r.bigsize();
  assert.equal(length, BigInt(r.remaining), 'vector payload length prefix matches its bytes');
  return r.rest();
}

test('onion-test.json: the packet is created byte for byte and every hop peels its payload with ECDH alone', () => {
  const g = onionVectors.generate;
  const sessionKey = fromHex(g.session_key);
  const associatedData = fromHex(g.associated_data);
  const hops = g.hops.map((h) => ({ nodeId: fromHex(h.pubkey), payload: withoutLength(fromHex(h.payload)) }));
  let cases = 0;

  const created = createOnion(sessionKey, hops, associatedData);
  assert.equal(created.packet.length, ONION_PACKET_SIZE);
  assert.equal(hex(created.packet), onionVectors.onion);
  cases++;

  let packet: Uint8Array | null = created.packet;
  for (let i = 0; i < hops.length; i++) {
    assert.ok(packet !== null, `hop ${i} receives a packet`);
    const nodeKey = fromHex(onionVectors.decode[i]!);
    assert.equal(hex(secp.publicKey(nodeKey)), g.hops[i]!.pubkey, `decode[${i}] is hop ${i}'s private key`);
    // What a node with a remote signer does: ask ECDH of the packet's ephemeral key, nothing more.
    const sharedSecret = secp.ecdh(nodeKey, onionEphemeralKey(packet));
    assert.equal(hex(sharedSecret), hex(created.sharedSecrets[i]!), `hop ${i}: the origin and the hop agree on the shared secret`);
    assert.equal(hex(sharedSecret), errorVectors.generate.hops[i]!.hop_shared_secret, `hop ${i}: shared secret as onion-error-test.json lists it`);
    const peeled = peelOnion(packet, associatedData, sharedSecret);
    assert.equal(hex(peeled.payload), hex(hops[i]!.payload), `hop ${i}: payload`);
    // The payload is a BOLT 4 tlv_payload that re-encodes byte for byte (unknown odd records kept).
    assert.equal(hex(hopPayloadStream.encode(decodeHopPayload(peeled.payload))), hex(peeled.payload), `hop ${i}: payload round trip`);
    const last = i === hops.length - 1;
    assert.equal(peeled.nextPacket === null, last, `hop ${i}: final exactly at the last hop`);
    if (last) {
      const final = readFinalPayload(peeled.payload);
      assert.equal(final.amountMsat, 10000n);
      assert.equal(final.cltvExpiry, 1000);
      assert.equal(hex(final.paymentSecret!), '24a33562c54507a9334e79f0dc4f17d407e6d7c61f0e2f3d0d38599502f61704');
      assert.equal(final.totalMsat, 10000n);
      assert.deepEqual(final.unknownRecords?.map((u) => [u.type, u.value.length]), [[301n, 224]], 'unknown odd type 301 kept');
    } else {
      const forward = readForwardPayload(peeled.payload);
      assert.equal(forward.shortChannelId, BigInt(i + 1), `hop ${i}: short_channel_id`);
      assert.equal(peeled.nextPacket!.length, ONION_PACKET_SIZE);
    }
    packet = peeled.nextPacket;
    cases++;
  }
  console.log(`BOLT 4 onion-test.json: ${cases} cases`);
});

test('onion-error-test.json: a temporary_node_failure from hops[4] is wrapped back to the origin byte for byte and attributed to hop 4', () => {
  const g = errorVectors.generate;
  const keys = routeHopKeys(fromHex(g.session_key), g.hops.map((h) => fromHex(h.pubkey)));
  let cases = 0;
  for (let i = 0; i < g.hops.length; i++) {
    const h = g.hops[i]!;
    assert.equal(h.version, 0);
    assert.equal(hex(keys[i]!.sharedSecret), h.hop_shared_secret, `hop ${i}: shared secret`);
    assert.equal(hex(onionKey('ammag', keys[i]!.sharedSecret)), h.ammag_key, `hop ${i}: ammag key`);
    if ('um_key' in h) assert.equal(hex(onionKey('um', keys[i]!.sharedSecret)), h.um_key, `hop ${i}: um key`);
    cases++;
  }
  const erring = g.hops.length - 1;
  const erringHop = g.hops[erring]!;
  const failureMessage = encodeFailureMessage({ type: 'temporary_node_failure' });
  assert.equal(hex(failureMessage), g.failure_message);
  // The vector's payload omits the hmac: failure_len, failuremsg, pad_len, pad (to 256).
  assert.equal(hex(failurePayload(failureMessage)), erringHop.payload);

  let packet = createFailurePacket(keys[erring]!.sharedSecret, failureMessage);
  for (let i = erring - 1; i >= 0; i--) packet = wrapFailure(keys[i]!.sharedSecret, packet);
  assert.equal(hex(packet), errorVectors.errorpacket);
  cases++;

  const attributed = decryptFailure(keys.map((k) => k.sharedSecret), fromHex(errorVectors.errorpacket));
  assert.equal(attributed.hopIndex, erring);
  assert.equal(hex(attributed.failureMessage!), g.failure_message);
  const read = readFailureMessage(attributed.failureMessage!);
  assert.equal(read.name, 'temporary_node_failure');
  assert.equal(read.code, 0x2002);
  cases++;
  console.log(`BOLT 4 onion-error-test.json: ${cases} cases`);
});

test('§Test Vector / Returning Errors: incorrect_or_unknown_payment_details with a tlv, every step of the trace byte for byte', () => {
  const t = traceVectors;
  const keys = routeHopKeys(fromHex(t.session_key), t.pubkeys.map((p) => fromHex(p)));
  const source = t.failure_source;
  let cases = 0;

  const fm = t.failure_message;
  assert.equal(fm.name, 'incorrect_or_unknown_payment_details');
  const failureMessage = encodeFailureMessage({
    type: 'incorrect_or_unknown_payment_details',
    htlcMsat: BigInt(fm.htlc_msat),
    height: fm.height,
    tlvs: { unknownRecords: [{ type: BigInt(fm.tlv.type), value: new Uint8Array(fm.tlv.value_length).fill(fm.tlv.value_byte) }] },
  });
  // This trace pads failure_len + pad_len to 1024, not 256: the padded length is the erring node's choice.
  const payload = failurePayload(failureMessage, 1024);
  assert.equal(hex(payload), t.create.payload);
  assert.equal(hex(payload.subarray(2)), t.create.encoded_failure_message);
  assert.equal(hex(keys[source]!.sharedSecret), t.create.shared_secret);
  assert.equal(hex(onionKey('um', keys[source]!.sharedSecret)), t.create.um_key);
  let packet = authenticateFailure(keys[source]!.sharedSecret, payload);
  assert.equal(hex(packet), t.create.raw_error_packet);
  cases++;

  for (const step of t.forward) {
    const secret = keys[step.node]!.sharedSecret;
    assert.equal(hex(secret), step.shared_secret, `node ${step.node}: shared secret`);
    const ammag = onionKey('ammag', secret);
    assert.equal(hex(ammag), step.ammag_key, `node ${step.node}: ammag key`);
    assert.equal(hex(chachaStream(ammag, packet.length)), step.stream, `node ${step.node}: stream`);
    packet = wrapFailure(secret, packet);
    assert.equal(hex(packet), step.error_packet, `node ${step.node}: error packet`);
    cases++;
  }

  const attributed = decryptFailure(keys.map((k) => k.sharedSecret), packet);
  assert.equal(attributed.hopIndex, source);
  const read = readFailureMessage(attributed.failureMessage!);
  assert.equal(read.message?.type, 'incorrect_or_unknown_payment_details');
  if (read.message?.type !== 'incorrect_or_unknown_payment_details') throw new Error('unreachable');
  assert.equal(read.message.htlcMsat, 100n);
  assert.equal(read.message.height, 800000);
  assert.deepEqual(read.message.tlvs.unknownRecords?.map((u) => [u.type, u.value.length]), [[34001n, 300]]);
  cases++;
  console.log(`BOLT 4 returning-errors trace: ${cases} cases`);
});
