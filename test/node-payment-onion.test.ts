// The node's payment onion helpers, with an in-process ECDH standing in for the signer: a direct-peer
// payment's onion is real Sphinx (nothing in the clear) and the payee reads it with ECDH alone; a
// two-hop route forwards; every refusal comes back in the shape the channel shell sends
// (update_fail_malformed_htlc or an encrypted update_fail_htlc reason) and the payer attributes each
// failure to the hop that sent it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { fromHex, hex } from '../bolt/bytes.js';
import { sha256 } from '../bolt/crypto/hash.js';
import { secp } from '../bolt/crypto/secp256k1.js';
import { UnattributableFailureError } from '../bolt/onion/index.js';
import {
  buildPaymentOnion,
  decodeFailureReason,
  failureReason,
  finalHopPayload,
  forwardFailureReason,
  forwardHopPayload,
  ONION_PACKET_SIZE,
  type PaymentOnionRead,
  readPaymentOnion,
} from '../node/daemon/channel-shell/payment-onion.js';

/** A node whose key sits behind an ECDH-only interface, counting the calls it answers. */
function signerNode(seed: number) {
  const privateKey = sha256(Uint8Array.of(seed));
  const asked: Uint8Array[] = [];
  return {
    nodeId: secp.publicKey(privateKey),
    asked,
    ecdh: async (point: Uint8Array): Promise<Uint8Array> => {
      asked.push(point);
      return secp.ecdh(privateKey, point);
    },
  };
}

const paymentHash = sha256(new TextEncoder().encode('preimage'));
const paymentSecret = new Uint8Array(32).fill(0x5e);

function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
  return Buffer.from(haystack).includes(Buffer.from(needle));
}

function expectOk(read: PaymentOnionRead): Extract<PaymentOnionRead, { ok: true }> {
  assert.ok(read.ok, `onion read refused: ${read.ok ? '' : read.detail}`);
  return read;
}

test('a direct-peer payment onion is encrypted, and the payee reads its final payload with one ECDH', async () => {
  const payee = signerNode(1);
  const sessionKey = new Uint8Array(randomBytes(32));
  const payload = finalHopPayload({ amountMsat: 10_000_000n, cltvExpiry: 840, paymentSecret, totalMsat: 10_000_000n });
  const onion = buildPaymentOnion(sessionKey, [{ nodeId: payee.nodeId, payload }], paymentHash);
  assert.equal(onion.packet.length, ONION_PACKET_SIZE);
  assert.equal(onion.packet[0], 0, 'version 0');
  assert.ok(!contains(onion.packet, paymentSecret.subarray(0, 8)), 'the payment secret is not in the clear');
  assert.ok(!contains(onion.packet, payload.subarray(0, 6)), 'the payload is not in the clear');

  const read = expectOk(await readPaymentOnion(onion.packet, paymentHash, payee.ecdh));
  assert.deepEqual(read.final, { amountMsat: 10_000_000n, cltvExpiry: 840, paymentSecret, totalMsat: 10_000_000n, paymentMetadata: null });
  assert.equal(read.forward, null);
  assert.equal(hex(read.sharedSecret), hex(onion.sharedSecrets[0]!));
  assert.equal(payee.asked.length, 1, 'one ECDH per onion');
  assert.equal(hex(payee.asked[0]!), hex(secp.publicKey(sessionKey)), 'ECDH of the packet ephemeral key (the session public key)');
});

test('the payee fails the payment; the payer reads incorrect_or_unknown_payment_details from hop 0', async () => {
  const payee = signerNode(2);
  const sessionKey = sha256(Uint8Array.of(99));
  const onion = buildPaymentOnion(sessionKey, [{ nodeId: payee.nodeId, payload: finalHopPayload({ amountMsat: 5000n, cltvExpiry: 900, paymentSecret, totalMsat: 5000n }) }], paymentHash);
  const read = expectOk(await readPaymentOnion(onion.packet, paymentHash, payee.ecdh));
  const reason = failureReason(read.sharedSecret, { type: 'incorrect_or_unknown_payment_details', htlcMsat: 5000n, height: 812_345 });
  assert.equal(reason.length, 32 + 2 + 256 + 2);
  const decoded = decodeFailureReason(sessionKey, [payee.nodeId], reason);
  assert.equal(decoded.hopIndex, 0);
  assert.equal(hex(decoded.nodeId), hex(payee.nodeId));
  assert.equal(decoded.code, 0x400f);
  assert.equal(decoded.name, 'incorrect_or_unknown_payment_details');
  assert.deepEqual(decoded.data, { type: 'incorrect_or_unknown_payment_details', htlcMsat: 5000n, height: 812_345, tlvs: {} });
  assert.equal(decoded.problem, null);
  // Encoded bytes work as well as a message value.
  const again = decodeFailureReason(sessionKey, [payee.nodeId], failureReason(read.sharedSecret, fromHex('400f0000000000001388000c6539')));
  assert.deepEqual(again.data, decoded.data);
  // A reason corrupted on the way back is attributed to nobody.
  const corrupted = reason.slice();
  corrupted[50]! ^= 1;
  assert.throws(() => decodeFailureReason(sessionKey, [payee.nodeId], corrupted), UnattributableFailureError);
});

test('a two-hop route: the middle node forwards with the next packet, and failures are attributed to the right hop', async () => {
  const middle = signerNode(3);
  const payee = signerNode(4);
  const sessionKey = sha256(Uint8Array.of(100));
  const route = [
    { nodeId: middle.nodeId, payload: forwardHopPayload({ amountMsat: 7000n, outgoingCltvValue: 860, shortChannelId: (800_000n << 40n) | (5n << 16n) }) },
    { nodeId: payee.nodeId, payload: finalHopPayload({ amountMsat: 7000n, cltvExpiry: 860, paymentSecret, totalMsat: 7000n }) },
  ];
  const onion = buildPaymentOnion(sessionKey, route, paymentHash);
  const atMiddle = expectOk(await readPaymentOnion(onion.packet, paymentHash, middle.ecdh));
  assert.equal(atMiddle.final, null);
  assert.deepEqual(atMiddle.forward!.payload, { amountMsat: 7000n, outgoingCltvValue: 860, shortChannelId: (800_000n << 40n) | (5n << 16n) });
  const atPayee = expectOk(await readPaymentOnion(atMiddle.forward!.nextPacket, paymentHash, payee.ecdh));
  assert.equal(atPayee.final!.amountMsat, 7000n);
  assert.equal(atPayee.forward, null);
  // The middle node cannot read the payee's layer with its own key.
  const misrouted = await readPaymentOnion(atMiddle.forward!.nextPacket, paymentHash, middle.ecdh);
  assert.ok(!misrouted.ok && misrouted.malformed && misrouted.failureCode === 0xc005);

  // The payee fails; the middle node re-wraps; the payer attributes it to hop 1.
  const fromPayee = failureReason(atPayee.sharedSecret, { type: 'final_incorrect_cltv_expiry', cltvExpiry: 850 });
  const decoded = decodeFailureReason(sessionKey, route.map((h) => h.nodeId), forwardFailureReason(atMiddle.sharedSecret, fromPayee));
  assert.equal(decoded.hopIndex, 1);
  assert.deepEqual(decoded.data, { type: 'final_incorrect_cltv_expiry', cltvExpiry: 850, tlvs: {} });
  // The middle node fails itself: hop 0.
  const fromMiddle = failureReason(atMiddle.sharedSecret, { type: 'temporary_channel_failure', channelUpdate: new Uint8Array(0) });
  const decodedMiddle = decodeFailureReason(sessionKey, route.map((h) => h.nodeId), fromMiddle);
  assert.equal(decodedMiddle.hopIndex, 0);
  assert.equal(decodedMiddle.name, 'temporary_channel_failure');
  assert.equal(decodedMiddle.code, 0x1007);
});

test('refusals come back as update_fail_malformed_htlc data (BADONION) or as an encrypted invalid_onion_payload reason', async () => {
  const payee = signerNode(5);
  const sessionKey = sha256(Uint8Array.of(101));
  const onion = buildPaymentOnion(sessionKey, [{ nodeId: payee.nodeId, payload: finalHopPayload({ amountMsat: 1000n, cltvExpiry: 700, paymentSecret, totalMsat: 1000n }) }], paymentHash);

  // Associated data is the payment hash: an HTLC carrying another hash fails the HMAC.
  const wrongHash = await readPaymentOnion(onion.packet, sha256(paymentHash), payee.ecdh);
  assert.ok(!wrongHash.ok && wrongHash.malformed);
  assert.equal(wrongHash.failureCode, 0xc005);
  assert.equal(hex(wrongHash.sha256OfOnion), hex(sha256(onion.packet)));
  assert.match(wrongHash.detail, /invalid_onion_hmac/);

  const version = onion.packet.slice();
  version[0] = 1;
  const before = payee.asked.length;
  const badVersion = await readPaymentOnion(version, paymentHash, payee.ecdh);
  assert.ok(!badVersion.ok && badVersion.malformed && badVersion.failureCode === 0xc004);
  assert.equal(payee.asked.length, before, 'no ECDH for a packet refused on its version');

  const key = onion.packet.slice();
  key.fill(0xff, 1, 34); // x >= p: not a point
  const badKey = await readPaymentOnion(key, paymentHash, payee.ecdh);
  assert.ok(!badKey.ok && badKey.malformed && badKey.failureCode === 0xc006);

  const short = await readPaymentOnion(onion.packet.subarray(0, 1000), paymentHash, payee.ecdh);
  assert.ok(!short.ok && short.malformed);
  assert.match(short.detail, /1000 bytes, not 1366/);

  // A payload without amt_to_forward authenticates but is unusable: invalid_onion_payload, encrypted.
  const missingAmount = buildPaymentOnion(sessionKey, [{ nodeId: payee.nodeId, payload: fromHex('040202bc') }], paymentHash);
  const refused = await readPaymentOnion(missingAmount.packet, paymentHash, payee.ecdh);
  assert.ok(!refused.ok && !refused.malformed);
  assert.equal(refused.failureCode, 0x4016);
  assert.match(refused.detail, /missing amt_to_forward \(type 2\)/);
  const decoded = decodeFailureReason(sessionKey, [payee.nodeId], refused.reason);
  assert.equal(decoded.hopIndex, 0);
  assert.deepEqual(decoded.data, { type: 'invalid_onion_payload', tlvType: 2n, offset: 0, tlvs: {} });

  // A signer that cannot answer is not a protocol failure: its error reaches the caller.
  await assert.rejects(readPaymentOnion(onion.packet, paymentHash, async () => { throw new Error('signer unavailable'); }), /signer unavailable/);
  assert.throws(() => buildPaymentOnion(sessionKey, [], paymentHash), /no hops/);
  assert.throws(() => buildPaymentOnion(sessionKey, [{ nodeId: payee.nodeId, payload: fromHex('040202bc') }], new Uint8Array(31)), /payment_hash must be 32 bytes, got 31/);
  assert.throws(() => finalHopPayload({ amountMsat: 1n, cltvExpiry: 1, paymentSecret: new Uint8Array(16), totalMsat: 1n }), /payment_secret must be 32 bytes, got 16/);
});
