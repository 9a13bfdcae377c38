// BOLT 1, 2 and 7 messages: every registered message round-trips with realistic values, with and
// without its TLVs; wire layouts match the spec field order; malformed input fails with an error that
// names the message and the field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { concat, fromHex, hex, u16be, u32be, u64be } from '../../bolt/bytes.js';
import { sha256 } from '../../bolt/crypto/hash.js';
import { secp } from '../../bolt/crypto/secp256k1.js';
import { compactToDer } from '../../bolt/crypto/der.js';
import { DecodeError, type DecodeErrorKind, EncodeError } from '../../bolt/codec/errors.js';
import { shortChannelIdFromParts } from '../../bolt/codec/short-channel-id.js';
import {
  type Message, type MessageToEncode, channelReestablish, channelUpdate, codecForName, codecForType,
  commitmentSigned, decodeMessage, encodeMessage, messageCodecs, openChannel, ping, revokeAndAck,
  updateAddHtlc, updateFailHtlc, updateFee,
} from '../../bolt/messages/index.js';

// ---- realistic building blocks ----

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const hash = (label: string): Uint8Array => Uint8Array.from(sha256(text(label)));
const secret = (label: string): Uint8Array => hash('secret ' + label);
const pub = (label: string): Uint8Array => Uint8Array.from(secp.publicKey(secret(label)));
const sig = (label: string): Uint8Array => Uint8Array.from(secp.sign(hash('digest ' + label), secret(label)));
const filled = (n: number, label: string): Uint8Array => {
  const out = new Uint8Array(n);
  for (let i = 0; i * 32 < n; i++) out.set(hash(`${label} ${i}`).subarray(0, Math.min(32, n - i * 32)), i * 32);
  return out;
};

/** Bitcoin mainnet genesis block hash, in the byte order BOLT `chain_hash` uses. */
const mainnet = fromHex('6fe28c0ab6f1b372c1a6a246ae63f74f931e8365e15a089c68d6190000000000');
const channelId = hash('channel');
const temporaryChannelId = hash('temporary channel');
const p2wpkh = concat(fromHex('0014'), hash('alice wallet').subarray(0, 20));
const p2tr = concat(fromHex('5120'), hash('bob wallet'));
const scid = shortChannelIdFromParts(840000, 1234, 1);
const fundingTxid = hash('funding tx');
/** BOLT 4 onion: version 0, ephemeral key, 1300-byte hop payloads, HMAC. */
const onion = concat(Uint8Array.of(0), pub('ephemeral'), filled(1300, 'hop payloads'), hash('onion hmac'));
/** A segwit v0 transaction: 1 input, 1 P2WPKH output. */
const prevtx = concat(
  fromHex('0200000001'), hash('prev prev'), fromHex('00000000'), fromHex('00'), fromHex('fdffffff'),
  fromHex('01'), fromHex('40420f0000000000'), fromHex('16'), p2wpkh, fromHex('00000000'),
);
/** A P2WPKH witness stack: <DER sig + SIGHASH_ALL> <pubkey>. */
const witness = (label: string): Uint8Array => {
  const der = compactToDer(sig(label));
  return concat(Uint8Array.of(2, der.length + 1), der, Uint8Array.of(1, 33), pub(label));
};
const attributionData = {
  htlcHoldTimes: Array.from({ length: 20 }, (_, i) => (i < 3 ? 15 - i : 0)),
  truncatedHmacs: Array.from({ length: 210 }, (_, i) => hash(`hmac ${i}`).subarray(0, 4)),
};
const basepoints = {
  fundingPubkey: pub('funding'),
  revocationBasepoint: pub('revocation'),
  paymentBasepoint: pub('payment'),
  delayedPaymentBasepoint: pub('delayed'),
  htlcBasepoint: pub('htlc'),
  firstPerCommitmentPoint: pub('per commitment 0'),
};
const channelTypeAnchors = fromHex('101000'); // option_static_remotekey | option_anchors_zero_fee_htlc_tx
const ipv4Address = fromHex('01' + '5db8d822' + '2607'); // 93.184.216.34:9735
const torV3Address = concat(Uint8Array.of(4), filled(35, 'onion address'), fromHex('2607'));
const alias = concat(text('vigil-test-node'), new Uint8Array(32 - 15));

// ---- one or more samples per message, with and without their TLVs ----

const samples: MessageToEncode[] = [
  // BOLT 1
  { type: 'init', globalfeatures: new Uint8Array(0), features: fromHex('08a0000a2a69a2') },
  { type: 'init', globalfeatures: fromHex('02'), features: fromHex('8000000002aaa2'), tlvs: { networks: [mainnet], remoteAddr: ipv4Address } },
  { type: 'error', channelId, data: text('internal error: funding tx double-spent') },
  { type: 'error', channelId: new Uint8Array(32), data: new Uint8Array(0) },
  { type: 'warning', channelId: new Uint8Array(32), data: text('closing_signed fee out of range') },
  { type: 'ping', numPongBytes: 12, ignored: new Uint8Array(64) },
  { type: 'pong', ignored: new Uint8Array(12) },
  { type: 'peer_storage', blob: filled(4096, 'encrypted backup') },
  { type: 'peer_storage_retrieval', blob: filled(4096, 'encrypted backup') },
  // BOLT 2 interactive-tx
  { type: 'tx_add_input', channelId, serialId: 2n, prevtx, prevtxVout: 0, sequence: 0xfffffffd },
  { type: 'tx_add_input', channelId, serialId: 4n, prevtx: new Uint8Array(0), prevtxVout: 1, sequence: 0xfffffffd, tlvs: { sharedInputTxid: fundingTxid } },
  { type: 'tx_add_output', channelId, serialId: 1n, sats: 2_500_000n, script: p2tr },
  { type: 'tx_remove_input', channelId, serialId: 2n },
  { type: 'tx_remove_output', channelId, serialId: 1n },
  { type: 'tx_complete', channelId },
  { type: 'tx_signatures', channelId, txid: fundingTxid, witnesses: [witness('input 0'), witness('input 1')] },
  { type: 'tx_signatures', channelId, txid: fundingTxid, witnesses: [], tlvs: { sharedInputSignature: sig('shared input') } },
  { type: 'tx_init_rbf', channelId, locktime: 840010, feerate: 2500 },
  { type: 'tx_init_rbf', channelId, locktime: 840010, feerate: 2500, tlvs: { fundingOutputContribution: -150_000n, requireConfirmedInputs: true } },
  { type: 'tx_ack_rbf', channelId },
  { type: 'tx_ack_rbf', channelId, tlvs: { fundingOutputContribution: 300_000n, requireConfirmedInputs: true } },
  { type: 'tx_abort', channelId, data: text('too many inputs') },
  // BOLT 2 establishment v1
  {
    type: 'open_channel', chainHash: mainnet, temporaryChannelId, fundingSatoshis: 1_000_000n, pushMsat: 0n,
    dustLimitSatoshis: 546n, maxHtlcValueInFlightMsat: 990_000_000n, channelReserveSatoshis: 10_000n,
    htlcMinimumMsat: 1n, feeratePerKw: 253, toSelfDelay: 144, maxAcceptedHtlcs: 483, ...basepoints, channelFlags: 1,
  },
  {
    type: 'open_channel', chainHash: mainnet, temporaryChannelId, fundingSatoshis: 16_777_215n, pushMsat: 5_000_000n,
    dustLimitSatoshis: 354n, maxHtlcValueInFlightMsat: 0xffffffffffffffffn, channelReserveSatoshis: 167_772n,
    htlcMinimumMsat: 1000n, feeratePerKw: 2500, toSelfDelay: 2016, maxAcceptedHtlcs: 30, ...basepoints, channelFlags: 0,
    tlvs: { upfrontShutdownScript: p2wpkh, channelType: channelTypeAnchors },
  },
  {
    type: 'accept_channel', temporaryChannelId, dustLimitSatoshis: 546n, maxHtlcValueInFlightMsat: 990_000_000n,
    channelReserveSatoshis: 10_000n, htlcMinimumMsat: 1n, minimumDepth: 3, toSelfDelay: 144, maxAcceptedHtlcs: 483, ...basepoints,
  },
  {
    type: 'accept_channel', temporaryChannelId, dustLimitSatoshis: 546n, maxHtlcValueInFlightMsat: 990_000_000n,
    channelReserveSatoshis: 10_000n, htlcMinimumMsat: 1n, minimumDepth: 0, toSelfDelay: 720, maxAcceptedHtlcs: 483, ...basepoints,
    tlvs: { upfrontShutdownScript: new Uint8Array(0), channelType: channelTypeAnchors },
  },
  { type: 'funding_created', temporaryChannelId, fundingTxid, fundingOutputIndex: 1, signature: sig('first commitment') },
  { type: 'funding_signed', channelId, signature: sig('opener first commitment') },
  { type: 'channel_ready', channelId, secondPerCommitmentPoint: pub('per commitment 1') },
  { type: 'channel_ready', channelId, secondPerCommitmentPoint: pub('per commitment 1'), tlvs: { shortChannelId: shortChannelIdFromParts(16000000, 1, 7) } },
  // BOLT 2 establishment v2
  {
    type: 'open_channel2', chainHash: mainnet, temporaryChannelId, fundingFeeratePerkw: 2500, commitmentFeeratePerkw: 253,
    fundingSatoshis: 500_000n, dustLimitSatoshis: 546n, maxHtlcValueInFlightMsat: 495_000_000n, htlcMinimumMsat: 1n,
    toSelfDelay: 144, maxAcceptedHtlcs: 483, locktime: 840000, ...basepoints, secondPerCommitmentPoint: pub('per commitment 1'), channelFlags: 1,
  },
  {
    type: 'open_channel2', chainHash: mainnet, temporaryChannelId, fundingFeeratePerkw: 2500, commitmentFeeratePerkw: 253,
    fundingSatoshis: 500_000n, dustLimitSatoshis: 546n, maxHtlcValueInFlightMsat: 495_000_000n, htlcMinimumMsat: 1n,
    toSelfDelay: 144, maxAcceptedHtlcs: 483, locktime: 840000, ...basepoints, secondPerCommitmentPoint: pub('per commitment 1'), channelFlags: 1,
    tlvs: { upfrontShutdownScript: p2tr, channelType: channelTypeAnchors, requireConfirmedInputs: true },
  },
  {
    type: 'accept_channel2', temporaryChannelId, fundingSatoshis: 0n, dustLimitSatoshis: 546n, maxHtlcValueInFlightMsat: 495_000_000n,
    htlcMinimumMsat: 1n, minimumDepth: 3, toSelfDelay: 144, maxAcceptedHtlcs: 483, ...basepoints, secondPerCommitmentPoint: pub('per commitment 1'),
  },
  {
    type: 'accept_channel2', temporaryChannelId, fundingSatoshis: 250_000n, dustLimitSatoshis: 546n, maxHtlcValueInFlightMsat: 495_000_000n,
    htlcMinimumMsat: 1n, minimumDepth: 3, toSelfDelay: 144, maxAcceptedHtlcs: 483, ...basepoints, secondPerCommitmentPoint: pub('per commitment 1'),
    tlvs: { upfrontShutdownScript: p2wpkh, channelType: channelTypeAnchors, requireConfirmedInputs: true },
  },
  // BOLT 2 quiescence and splicing
  { type: 'stfu', channelId, initiator: 1 },
  { type: 'splice_init', channelId, fundingContributionSatoshis: -200_000n, fundingFeeratePerkw: 2500, locktime: 840100, fundingPubkey: pub('splice funding') },
  { type: 'splice_init', channelId, fundingContributionSatoshis: 300_000n, fundingFeeratePerkw: 2500, locktime: 840100, fundingPubkey: pub('splice funding'), tlvs: { requireConfirmedInputs: true } },
  { type: 'splice_ack', channelId, fundingContributionSatoshis: 0n, fundingPubkey: pub('splice funding remote') },
  { type: 'splice_ack', channelId, fundingContributionSatoshis: 10_000n, fundingPubkey: pub('splice funding remote'), tlvs: { requireConfirmedInputs: true } },
  { type: 'splice_locked', channelId, spliceTxid: hash('splice tx') },
  // BOLT 2 close
  { type: 'shutdown', channelId, scriptpubkey: p2wpkh },
  { type: 'closing_complete', channelId, closerScriptpubkey: p2wpkh, closeeScriptpubkey: p2tr, feeSatoshis: 1_500n, locktime: 840200 },
  {
    type: 'closing_complete', channelId, closerScriptpubkey: p2wpkh, closeeScriptpubkey: p2tr, feeSatoshis: 1_500n, locktime: 840200,
    tlvs: { closerOutputOnly: sig('closer only'), closeeOutputOnly: sig('closee only'), closerAndCloseeOutputs: sig('both') },
  },
  { type: 'closing_sig', channelId, closerScriptpubkey: p2wpkh, closeeScriptpubkey: p2tr, feeSatoshis: 1_500n, locktime: 840200, tlvs: { closerAndCloseeOutputs: sig('closee signs both') } },
  { type: 'closing_sig', channelId, closerScriptpubkey: p2wpkh, closeeScriptpubkey: p2tr, feeSatoshis: 1_500n, locktime: 840200, tlvs: { closerOutputOnly: sig('closee signs closer only') } },
  { type: 'closing_sig', channelId, closerScriptpubkey: p2wpkh, closeeScriptpubkey: p2tr, feeSatoshis: 1_500n, locktime: 840200, tlvs: { closeeOutputOnly: sig('closee signs closee only') } },
  { type: 'closing_sig', channelId, closerScriptpubkey: p2wpkh, closeeScriptpubkey: p2tr, feeSatoshis: 1_500n, locktime: 840200 },
  { type: 'closing_signed', channelId, feeSatoshis: 3_000n, signature: sig('closing') },
  { type: 'closing_signed', channelId, feeSatoshis: 3_000n, signature: sig('closing'), tlvs: { feeRange: { minFeeSatoshis: 1_000n, maxFeeSatoshis: 10_000n } } },
  // BOLT 2 normal operation
  { type: 'update_add_htlc', channelId, id: 0n, amountMsat: 50_000_000n, paymentHash: hash('payment hash'), cltvExpiry: 840144, onionRoutingPacket: onion },
  { type: 'update_add_htlc', channelId, id: 18n, amountMsat: 1_000n, paymentHash: hash('payment hash 2'), cltvExpiry: 840200, onionRoutingPacket: onion, tlvs: { blindedPath: pub('path key') } },
  { type: 'update_fulfill_htlc', channelId, id: 0n, paymentPreimage: secret('preimage') },
  { type: 'update_fulfill_htlc', channelId, id: 7n, paymentPreimage: secret('preimage'), tlvs: { attributionData } },
  { type: 'update_fail_htlc', channelId, id: 3n, reason: filled(292, 'failure onion') },
  { type: 'update_fail_htlc', channelId, id: 3n, reason: filled(292, 'failure onion'), tlvs: { attributionData } },
  { type: 'update_fail_malformed_htlc', channelId, id: 4n, sha256OfOnion: Uint8Array.from(sha256(onion)), failureCode: 0x8000 | 0x4000 | 5 },
  { type: 'start_batch', channelId, batchSize: 2 },
  { type: 'start_batch', channelId, batchSize: 3, tlvs: { messageType: 132 } },
  { type: 'commitment_signed', channelId, signature: sig('commitment 5'), htlcSignature: [] },
  { type: 'commitment_signed', channelId, signature: sig('commitment 6'), htlcSignature: [sig('htlc 0'), sig('htlc 1'), sig('htlc 2')], tlvs: { fundingTxid } },
  { type: 'revoke_and_ack', channelId, perCommitmentSecret: secret('per commitment 4'), nextPerCommitmentPoint: pub('per commitment 6') },
  { type: 'update_fee', channelId, feeratePerKw: 12_500 },
  // BOLT 2 reestablish
  { type: 'channel_reestablish', channelId, nextCommitmentNumber: 42n, nextRevocationNumber: 41n, yourLastPerCommitmentSecret: secret('per commitment 40'), myCurrentPerCommitmentPoint: pub('per commitment 41') },
  {
    type: 'channel_reestablish', channelId, nextCommitmentNumber: 1n, nextRevocationNumber: 0n, yourLastPerCommitmentSecret: new Uint8Array(32),
    myCurrentPerCommitmentPoint: pub('per commitment 0'),
    tlvs: { nextFunding: { nextFundingTxid: fundingTxid, retransmitFlags: 1 }, myCurrentFundingLocked: { myCurrentFundingLockedTxid: hash('locked tx'), retransmitFlags: 0 } },
  },
  // BOLT 7
  { type: 'announcement_signatures', channelId, shortChannelId: scid, nodeSignature: sig('node ann'), bitcoinSignature: sig('bitcoin ann') },
  {
    type: 'channel_announcement', nodeSignature1: sig('n1'), nodeSignature2: sig('n2'), bitcoinSignature1: sig('b1'), bitcoinSignature2: sig('b2'),
    features: new Uint8Array(0), chainHash: mainnet, shortChannelId: scid,
    nodeId1: pub('node a'), nodeId2: pub('node b'), bitcoinKey1: pub('funding a'), bitcoinKey2: pub('funding b'),
  },
  {
    type: 'node_announcement', signature: sig('node announcement'), features: fromHex('08a0000a2a69a2'), timestamp: 1_717_171_717,
    nodeId: pub('node a'), rgbColor: fromHex('3399ff'), alias, addresses: concat(ipv4Address, torV3Address),
  },
  {
    type: 'channel_update', signature: sig('update'), chainHash: mainnet, shortChannelId: scid, timestamp: 1_717_171_800,
    messageFlags: 1, channelFlags: 0, cltvExpiryDelta: 80, htlcMinimumMsat: 1_000n, feeBaseMsat: 1_000,
    feeProportionalMillionths: 100, htlcMaximumMsat: 990_000_000n,
  },
  { type: 'query_short_channel_ids', chainHash: mainnet, encodedShortIds: { encoding: 'uncompressed', items: [scid, scid + 1n] } },
  {
    type: 'query_short_channel_ids', chainHash: mainnet, encodedShortIds: { encoding: 'uncompressed', items: [scid, scid + (1n << 40n)] },
    tlvs: { queryFlags: { encoding: 'uncompressed', items: [0x1fn, 0x06n] } },
  },
  { type: 'reply_short_channel_ids_end', chainHash: mainnet, fullInformation: 1 },
  { type: 'query_channel_range', chainHash: mainnet, firstBlocknum: 800_000, numberOfBlocks: 50_000 },
  { type: 'query_channel_range', chainHash: mainnet, firstBlocknum: 800_000, numberOfBlocks: 50_000, tlvs: { queryOption: 3n } },
  { type: 'reply_channel_range', chainHash: mainnet, firstBlocknum: 800_000, numberOfBlocks: 50_000, syncComplete: 1, encodedShortIds: { encoding: 'uncompressed', items: [] } },
  {
    type: 'reply_channel_range', chainHash: mainnet, firstBlocknum: 800_000, numberOfBlocks: 50_000, syncComplete: 0,
    encodedShortIds: { encoding: 'uncompressed', items: [scid, scid + 5n] },
    tlvs: {
      timestampsTlv: { encoding: 'uncompressed', items: [{ timestampNodeId1: 1_717_171_800, timestampNodeId2: 0 }, { timestampNodeId1: 1, timestampNodeId2: 2 }] },
      checksumsTlv: [{ checksumNodeId1: 0xdeadbeef, checksumNodeId2: 0 }, { checksumNodeId1: 1, checksumNodeId2: 0xffffffff }],
    },
  },
  { type: 'gossip_timestamp_filter', chainHash: mainnet, firstTimestamp: 1_717_000_000, timestampRange: 0xffffffff },
];

/** What decoding an encoded sample must give: the sample with `tlvs` filled in. */
const expected = (s: MessageToEncode): Message => ({ ...s, tlvs: s.tlvs ?? {} }) as Message;

function decodeError(fn: () => unknown): DecodeError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof DecodeError, `expected DecodeError, got ${String(e)}`);
    return e;
  }
  assert.fail('decoded without error');
}

function expectDecodeError(bytes: Uint8Array, kind: DecodeErrorKind, message: string | RegExp): void {
  const e = decodeError(() => decodeMessage(bytes));
  assert.equal(e.kind, kind, e.message);
  if (typeof message === 'string') assert.equal(e.message, message);
  else assert.match(e.message, message);
}

test('every registered message has samples, and every TLV record it declares is exercised', () => {
  for (const codec of messageCodecs) {
    const mine = samples.filter((s) => s.type === codec.name);
    assert.ok(mine.length > 0, `no sample for ${codec.name}`);
    for (const key of Object.keys(codec.tlvs.records)) {
      assert.ok(mine.some((s) => s.tlvs !== undefined && key in s.tlvs), `${codec.name}: no sample sets tlvs.${key}`);
    }
    if (Object.keys(codec.tlvs.records).length > 0) {
      assert.ok(mine.some((s) => s.tlvs === undefined), `${codec.name}: no sample without TLVs`);
    }
  }
  console.log(`BOLT 1/2/7 messages: ${messageCodecs.length} message types, ${samples.length} samples`);
});

test('every sample round-trips through encodeMessage/decodeMessage and through its own codec', () => {
  for (const s of samples) {
    const bytes = encodeMessage(s);
    const codec = codecForName(s.type)!;
    assert.equal((bytes[0]! << 8) | bytes[1]!, codec.wireType, s.type);
    assert.deepEqual(decodeMessage(bytes), expected(s), s.type);
    assert.deepEqual(codec.decode(bytes), expected(s), s.type);
    assert.equal(hex(codec.encode(s as Parameters<typeof codec.encode>[0])), hex(bytes), s.type);
    assert.equal(hex(encodeMessage(decodeMessage(bytes) as Message)), hex(bytes), `${s.type} re-encodes identically`);
  }
});

test('decoding from a Node Buffer gives plain Uint8Array copies that do not alias the input', () => {
  const wire = Buffer.from(encodeMessage(samples.find((s) => s.type === 'update_add_htlc')!));
  const msg = decodeMessage(wire);
  assert.ok(msg.type === 'update_add_htlc');
  assert.equal(msg.onionRoutingPacket.constructor, Uint8Array);
  wire.fill(0);
  assert.equal(hex(msg.onionRoutingPacket), hex(onion));
});

test('the registry knows each wire type once, and the BOLT 1 type ranges hold', () => {
  const types = messageCodecs.map((c) => c.wireType);
  assert.equal(new Set(types).size, types.length);
  for (const c of messageCodecs) {
    assert.equal(codecForType(c.wireType), c);
    if (c.name.startsWith('update_') || c.name === 'commitment_signed' || c.name === 'revoke_and_ack' || c.name === 'channel_reestablish') {
      assert.ok(c.wireType >= 128 && c.wireType <= 255, `${c.name} is a commitment message`);
    }
    if (['channel_announcement', 'node_announcement', 'channel_update', 'gossip_timestamp_filter'].includes(c.name)) {
      assert.ok(c.wireType >= 256 && c.wireType <= 511, `${c.name} is a routing message`);
    }
  }
});

test('wire layouts follow the spec field order byte for byte', () => {
  const add = samples.find((s) => s.type === 'update_add_htlc' && s.tlvs !== undefined)!;
  assert.ok(add.type === 'update_add_htlc');
  assert.equal(hex(updateAddHtlc.encode(add)), hex(concat(
    u16be(128), channelId, u64be(18n), u64be(1_000n), add.paymentHash, u32be(840200), onion,
    fromHex('0021'), pub('path key'),
  )));
  const cs = samples.find((s) => s.type === 'commitment_signed' && s.tlvs !== undefined)!;
  assert.ok(cs.type === 'commitment_signed');
  assert.equal(hex(commitmentSigned.encode(cs)), hex(concat(
    u16be(132), channelId, cs.signature, u16be(3), ...cs.htlcSignature, fromHex('0120'), fundingTxid,
  )));
  const open = samples.find((s) => s.type === 'open_channel' && s.tlvs !== undefined)!;
  assert.ok(open.type === 'open_channel');
  assert.equal(hex(openChannel.encode(open)), hex(concat(
    u16be(32), mainnet, temporaryChannelId, u64be(16_777_215n), u64be(5_000_000n), u64be(354n), u64be(0xffffffffffffffffn),
    u64be(167_772n), u64be(1000n), u32be(2500), u16be(2016), u16be(30),
    basepoints.fundingPubkey, basepoints.revocationBasepoint, basepoints.paymentBasepoint, basepoints.delayedPaymentBasepoint,
    basepoints.htlcBasepoint, basepoints.firstPerCommitmentPoint, Uint8Array.of(0),
    fromHex('0016'), p2wpkh, fromHex('0103'), channelTypeAnchors,
  )));
  assert.equal(hex(ping.encode({ numPongBytes: 4, ignored: new Uint8Array(3) })), '0012' + '0004' + '0003' + '000000');
  assert.equal(hex(updateFee.encode({ channelId, feeratePerKw: 253 })), '0086' + hex(channelId) + '000000fd');
  const reest = samples.find((s) => s.type === 'channel_reestablish' && s.tlvs !== undefined)!;
  assert.ok(reest.type === 'channel_reestablish');
  assert.equal(hex(channelReestablish.encode(reest).subarray(2 + 32 + 8 + 8 + 32 + 33)), '0121' + hex(fundingTxid) + '01' + '0521' + hex(hash('locked tx')) + '00');
  const attr = updateFailHtlc.encode(samples.find((s) => s.type === 'update_fail_htlc' && s.tlvs !== undefined) as Parameters<typeof updateFailHtlc.encode>[0]);
  assert.equal(hex(attr.subarray(2 + 32 + 8 + 2 + 292, 2 + 32 + 8 + 2 + 292 + 4)), '01fd0398', 'attribution_data is 920 bytes');
});

test('truncating any message inside its fixed fields fails with a short read naming message and field', () => {
  let cuts = 0;
  for (const s of samples) {
    const full = encodeMessage({ ...s, tlvs: undefined } as MessageToEncode);
    for (let cut = 0; cut < full.length; cut++) {
      const e = decodeError(() => decodeMessage(full.subarray(0, cut)));
      assert.equal(e.kind, 'short-read', `${s.type} cut at ${cut}: ${e.message}`);
      assert.ok(e.message.startsWith(cut < 2 ? 'message: ' : `${s.type}.`), `${s.type} cut at ${cut}: ${e.message}`);
      assert.ok(cut < 2 || e.path.length >= 2, `names the field: ${e.message}`);
      cuts++;
    }
  }
  console.log(`truncated messages: ${cuts} cuts`);
});

test('a short onion reports the exact field, need and have', () => {
  const bytes = encodeMessage(samples.find((s) => s.type === 'update_add_htlc')!);
  expectDecodeError(bytes.subarray(0, 2 + 32 + 8 + 8 + 32 + 4 + 12), 'short-read', 'update_add_htlc.onion_routing_packet: short read, need 1366 bytes, have 12');
});

test('oversized lengths and counts fail as short reads at the field they describe', () => {
  const fail = concat(u16be(131), channelId, u64be(3n), u16be(0xffff), new Uint8Array(10));
  expectDecodeError(fail, 'short-read', 'update_fail_htlc.reason: short read, need 65535 bytes, have 10');
  const cs = concat(u16be(132), channelId, sig('c'), u16be(1000), sig('h'));
  expectDecodeError(cs, 'short-read', 'commitment_signed.htlc_signature: short read, need 64000 bytes, have 64');
  const open = encodeMessage(samples.find((s) => s.type === 'open_channel' && s.tlvs === undefined)!);
  expectDecodeError(concat(open, fromHex('01fd0400'), channelTypeAnchors), 'short-read', 'open_channel.tlvs.channel_type: short read, length 1024 but 3 bytes remain');
  const qsi = concat(u16be(261), mainnet, u16be(9), Uint8Array.of(0), u64be(scid));
  expectDecodeError(concat(qsi.subarray(0, 34), u16be(200), qsi.subarray(36)), 'short-read', /^query_short_channel_ids\.encoded_short_ids: short read, need 200 bytes/);
});

test('invalid points fail as invalid-value naming the field', () => {
  const rev = encodeMessage(samples.find((s) => s.type === 'revoke_and_ack')!);
  const bad = Uint8Array.from(rev);
  bad[2 + 32 + 32] = 0x04;
  expectDecodeError(bad, 'invalid-value', /^revoke_and_ack\.next_per_commitment_point: not a valid secp256k1 point: 04/);
  const add = encodeMessage(samples.find((s) => s.type === 'update_add_htlc' && s.tlvs !== undefined)!);
  const badTlv = Uint8Array.from(add);
  badTlv.set(fromHex('02' + '00'.repeat(31) + '05'), add.length - 33); // x = 5 is not on the curve
  expectDecodeError(badTlv, 'invalid-value', /^update_add_htlc\.tlvs\.blinded_path: not a valid secp256k1 point/);
  const open = Uint8Array.from(encodeMessage(samples.find((s) => s.type === 'open_channel')!));
  open[2 + 32 + 32 + 6 * 8 + 4 + 2 + 2] = 0x05;
  expectDecodeError(open, 'invalid-value', /^open_channel\.funding_pubkey: not a valid secp256k1 point/);
});

test('TLV extensions: non-minimal BigSize, disorder, duplicates and unknown even types fail; unknown odd are kept', () => {
  const base = encodeMessage(samples.find((s) => s.type === 'update_add_htlc' && s.tlvs === undefined)!);
  const path = concat(fromHex('0021'), pub('path key'));
  expectDecodeError(concat(base, fromHex('fd0000')), 'invalid-value', 'update_add_htlc.tlvs.type: bigsize 0 is not minimally encoded');
  expectDecodeError(concat(base, fromHex('00fd0021'), pub('path key')), 'invalid-value', 'update_add_htlc.tlvs.blinded_path.length: bigsize 33 is not minimally encoded');
  expectDecodeError(concat(base, fromHex('0300'), path), 'invalid-value', 'update_add_htlc.tlvs: type 0 after type 3: types must strictly increase');
  expectDecodeError(concat(base, path, path), 'invalid-value', 'update_add_htlc.tlvs: type 0 after type 0: types must strictly increase');
  expectDecodeError(concat(base, path, fromHex('0200')), 'unknown-even-type', 'update_add_htlc.tlvs: unknown even type 2');
  expectDecodeError(concat(base, fromHex('0022'), pub('path key'), fromHex('00')), 'invalid-value', 'update_add_htlc.tlvs.blinded_path: length 34 leaves 1 unread byte(s)');
  const withOdd = concat(base, path, fromHex('fd5555' + '03' + 'abcdef'));
  const decoded = decodeMessage(withOdd);
  assert.ok(decoded.type === 'update_add_htlc');
  assert.deepEqual(decoded.tlvs.unknownRecords, [{ type: 0x5555n, value: fromHex('abcdef') }]);
  assert.equal(hex(encodeMessage(decoded)), hex(withOdd));
});

test('trailing garbage that is not a TLV stream fails; trailing odd records are a valid extension', () => {
  const rev = encodeMessage(samples.find((s) => s.type === 'revoke_and_ack')!);
  expectDecodeError(concat(rev, fromHex('01')), 'short-read', 'revoke_and_ack.tlvs[type 1].length: short read, need 1 byte, have 0');
  expectDecodeError(concat(rev, fromHex('0305aa')), 'short-read', 'revoke_and_ack.tlvs[type 3]: short read, length 5 but 1 bytes remain');
  expectDecodeError(concat(rev, fromHex('0a00')), 'unknown-even-type', 'revoke_and_ack.tlvs: unknown even type 10');
  expectDecodeError(concat(rev, fromHex('fd')), 'short-read', 'revoke_and_ack.tlvs.type: short read, need 2 bytes, have 0');
  const ok = decodeMessage(concat(rev, fromHex('0b00')));
  assert.ok(ok.type === 'revoke_and_ack');
  assert.deepEqual(ok.tlvs, { unknownRecords: [{ type: 11n, value: new Uint8Array(0) }] });
});

test('a signed channel_update keeps its unknown odd extension, so it re-encodes to the signed bytes', () => {
  const update = encodeMessage(samples.find((s) => s.type === 'channel_update')!);
  const extended = concat(update, fromHex('fe00010001' + '02' + 'beef'));
  const decoded = channelUpdate.decode(extended);
  assert.equal(hex(channelUpdate.encode(decoded)), hex(extended));
});

test('BOLT 1: unknown odd message types are returned for the caller to ignore; unknown even ones fail', () => {
  const custom = fromHex('8001' + 'cafe');
  const odd = decodeMessage(custom);
  assert.deepEqual(odd, { type: 'unknown', wireType: 0x8001, payload: fromHex('cafe') });
  assert.equal(hex(encodeMessage(odd)), hex(custom));
  expectDecodeError(fromHex('8002cafe'), 'unknown-even-type', 'message: unknown even message type 32770');
  expectDecodeError(fromHex('0020'), 'short-read', /^open_channel\.chain_hash: short read, need 32 bytes, have 0/);
  expectDecodeError(fromHex('00'), 'short-read', 'message: short read, need 2 bytes, have 1');
  assert.throws(() => encodeMessage({ type: 'unknown', wireType: 128, payload: new Uint8Array(0) }), /type 128 is update_add_htlc/);
  assert.throws(() => revokeAndAck.decode(encodeMessage(samples.find((s) => s.type === 'update_fee')!)), /revoke_and_ack: type 134 is not 133/);
});

test('encoding refuses values the wire types cannot carry, naming message and field', () => {
  const add = samples.find((s) => s.type === 'update_add_htlc' && s.tlvs === undefined)!;
  assert.ok(add.type === 'update_add_htlc');
  assert.throws(() => updateAddHtlc.encode({ ...add, onionRoutingPacket: onion.subarray(0, 1300) }), (e: unknown) => {
    assert.ok(e instanceof EncodeError);
    assert.equal(e.message, 'update_add_htlc.onion_routing_packet: 1366*byte must be 1366 bytes, got 1300');
    return true;
  });
  assert.throws(() => updateAddHtlc.encode({ ...add, cltvExpiry: -1 }), /^EncodeError: update_add_htlc\.cltv_expiry: u32 out of range: -1/);
  assert.throws(() => updateAddHtlc.encode({ ...add, amountMsat: undefined as unknown as bigint }), /update_add_htlc\.amount_msat: missing/);
  assert.throws(() => commitmentSigned.encode({ channelId, signature: sig('x'), htlcSignature: [sig('y'), new Uint8Array(63)] }), /commitment_signed\.htlc_signature\[1\]: signature must be 64 bytes, got 63/);
  assert.throws(() => encodeMessage({ type: 'peer_storage', blob: new Uint8Array(65534) }), /peer_storage: 65538 bytes, above the 65535-byte message limit/);
  assert.throws(() => encodeMessage({ type: 'pong', ignored: new Uint8Array(70000) }), /pong\.ignored: 70000 bytes do not fit a u16 length/);
  assert.throws(() => encodeMessage({ type: 'no_such_message' } as unknown as MessageToEncode), /unknown message type "no_such_message"/);
});
