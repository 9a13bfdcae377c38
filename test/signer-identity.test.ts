// The node key at work: GetNodeInfo, ECDH, signed messages, and gossip (BOLT 7) that the signer signs
// only when it is about this node and its channels.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { compare, concat, equal } from '../bolt/bytes.js';
import { sha256, sha256d } from '../bolt/crypto/hash.js';
import { secp } from '../bolt/crypto/secp256k1.js';
import { shortChannelIdFromParts } from '../bolt/codec/short-channel-id.js';
import { encodeMessage } from '../bolt/messages/index.js';
import { chainHash } from '../signer/service/identity.js';
import type { SignerService } from '../signer/service/index.js';
import { MemoryDevice } from './helpers/memory-device.js';
import { assertRefused, field } from './helpers/signer-audit.js';
import { openChannel, openSigner, tempDir, TIP_HEIGHT, type ChannelPair, type Side } from './helpers/signer-pair.js';

const dirs: string[] = [];
let signers: Record<Side, SignerService>;
let pair: ChannelPair;
const Z64 = new Uint8Array(64);

before(async () => {
  const a = tempDir('id-a');
  const b = tempDir('id-b');
  dirs.push(a, b);
  signers = { alice: await openSigner(a, MemoryDevice.fromByte(51)), bob: await openSigner(b, MemoryDevice.fromByte(52)) };
  pair = await openChannel(signers, 'anchors');
});

after(async () => {
  await signers.alice.close();
  await signers.bob.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

test('GetNodeInfo, ECDH and SignMessage use the node key', async () => {
  const info = await pair.call('alice', 'GetNodeInfo', {});
  assert.ok(equal(info['node_id'], signers.alice.nodeId));
  assert.equal(info['network'], 'regtest');
  assert.equal(info['device'], 'emulator');
  const peerKey = sha256(Uint8Array.of(3));
  const r = await pair.call('alice', 'Ecdh', { point: Buffer.from(secp.publicKey(peerKey)) });
  assert.ok(equal(r['shared_secret'], secp.ecdh(peerKey, signers.alice.nodeId)));
  const message = new TextEncoder().encode('hello');
  const s = await pair.call('alice', 'SignMessage', { message: Buffer.from(message) });
  const digest = sha256d(concat(new TextEncoder().encode('Lightning Signed Message:'), message));
  assert.ok(equal(secp.recover(s['signature'], s['recovery_id'], digest), signers.alice.nodeId));
});

function nodeAnnouncement(nodeId: Uint8Array): Uint8Array {
  return encodeMessage({ type: 'node_announcement', signature: Z64, features: new Uint8Array(0), timestamp: 1_700_000_000, nodeId, rgbColor: new Uint8Array(3), alias: new Uint8Array(32), addresses: new Uint8Array(0) });
}

test('node_announcement: signed over the double SHA256 after the signature, only for our node id', async () => {
  const msg = nodeAnnouncement(signers.alice.nodeId);
  const r = await pair.call('alice', 'SignNodeAnnouncement', { message: Buffer.from(msg) });
  assert.ok(secp.verify(r['signature'], sha256d(msg.subarray(66)), signers.alice.nodeId));
  await assertRefused(signers.alice, 'SignNodeAnnouncement', { message: Buffer.from(nodeAnnouncement(signers.bob.nodeId)) }, field('message', 'policy-signer-own-identity'));
  await assertRefused(signers.alice, 'SignNodeAnnouncement', { message: Buffer.from(msg.subarray(0, 40)) }, field('message'));
});

test('channel_announcement and channel_update: our channel, our direction, our keys', async () => {
  const scid = shortChannelIdFromParts(TIP_HEIGHT - 6, 3, pair.fundingVout);
  const aliceFirst = compare(signers.alice.nodeId, signers.bob.nodeId) < 0;
  const [n1, n2] = aliceFirst ? [signers.alice.nodeId, signers.bob.nodeId] : [signers.bob.nodeId, signers.alice.nodeId];
  const [k1, k2] = aliceFirst ? [pair.basepoints.alice.fundingPubkey, pair.basepoints.bob.fundingPubkey] : [pair.basepoints.bob.fundingPubkey, pair.basepoints.alice.fundingPubkey];
  const announcement = (keys: [Uint8Array, Uint8Array]): Uint8Array =>
    encodeMessage({
      type: 'channel_announcement',
      nodeSignature1: Z64,
      nodeSignature2: Z64,
      bitcoinSignature1: Z64,
      bitcoinSignature2: Z64,
      features: new Uint8Array(0),
      chainHash: chainHash('regtest'),
      shortChannelId: scid,
      nodeId1: n1,
      nodeId2: n2,
      bitcoinKey1: keys[0],
      bitcoinKey2: keys[1],
    });
  const msg = announcement([k1, k2]);
  const digest = sha256d(msg.subarray(2 + 256));
  for (const side of ['alice', 'bob'] as const) {
    const r = await pair.call(side, 'SignChannelAnnouncement', { channel: pair.ref, message: Buffer.from(msg) });
    assert.ok(secp.verify(r['node_signature'], digest, signers[side].nodeId));
    assert.ok(secp.verify(r['bitcoin_signature'], digest, pair.basepoints[side].fundingPubkey));
  }
  await assertRefused(signers.alice, 'SignChannelAnnouncement', { channel: pair.ref, message: Buffer.from(announcement([k2, k1])) }, field('message', 'policy-signer-own-identity'));

  const update = (flags: number, onChain = chainHash('regtest')): Uint8Array =>
    encodeMessage({
      type: 'channel_update',
      signature: Z64,
      chainHash: onChain,
      shortChannelId: scid,
      timestamp: 1_700_000_000,
      messageFlags: 1,
      channelFlags: flags,
      cltvExpiryDelta: 40,
      htlcMinimumMsat: 1000n,
      feeBaseMsat: 1000,
      feeProportionalMillionths: 100,
      htlcMaximumMsat: 100_000_000n,
    });
  const ours = update(aliceFirst ? 0 : 1);
  const r = await pair.call('alice', 'SignChannelUpdate', { message: Buffer.from(ours) });
  assert.ok(secp.verify(r['signature'], sha256d(ours.subarray(66)), signers.alice.nodeId));
  await assertRefused(signers.alice, 'SignChannelUpdate', { message: Buffer.from(update(aliceFirst ? 1 : 0)) }, field('message', 'policy-signer-own-identity'));
  await assertRefused(signers.alice, 'SignChannelUpdate', { message: Buffer.from(update(0, chainHash('bitcoin'))) }, field('message'));
});
