// The node key: identity and ECDH (BOLT 8, BOLT 4), gossip signatures (BOLT 7), invoices (BOLT 11) and
// signed messages. Each message is decoded and checked to be about this node (and its channels) before
// the device signs the digest the signer computed from the decoded bytes.
import { concat, equal, compare, hex } from '../../bolt/bytes.js';
import { sha256d } from '../../bolt/crypto/hash.js';
import { invoiceDigest, InvoiceError, parseHrp, readField, DEFAULT_EXPIRY_SECONDS, firstField, type TaggedField } from '../../bolt/bolt11/index.js';
import { wordsToUint } from '../../bolt/bolt11/words.js';
import { decodeMessage } from '../../bolt/messages/index.js';
import { formatShortChannelId, shortChannelIdParts } from '../../bolt/codec/short-channel-id.js';
import { invalidArgument, notFound, precondition } from '../errors.js';
import type { SignerNetwork } from '../keys.js';
import type { LiveChannel } from './channels.js';
import type { Handler, ServiceContext } from './context.js';
import { channelPath, ecdh, sign, signRecoverable } from './device-ops.js';
import { bytes, channelRef, out, point, requestObject, text } from './fields.js';
import { enforce } from './policy-bridge.js';

/** BOLT 7 chain_hash: the genesis block hash in internal byte order (the reverse of how bitcoind shows it). */
const GENESIS_DISPLAY: Record<SignerNetwork, string> = {
  bitcoin: '000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f',
  testnet: '000000000933ea01ad0ee984209779baaec3ced90fa3f408719526f8d77f4943',
  signet: '00000008819873e925422c1ff0f99f7cc9bbb232af63a077a480a3633bee1ef6',
  regtest: '0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206',
};

export function chainHash(network: SignerNetwork): Uint8Array {
  return Uint8Array.from(Buffer.from(GENESIS_DISPLAY[network], 'hex')).reverse();
}

/** BOLT 7: signatures cover the double-SHA256 of the message after its signature fields. */
const SIGNED_FROM = { node_announcement: 2 + 64, channel_update: 2 + 64, channel_announcement: 2 + 4 * 64 } as const;
const MAX_MESSAGE = 65535;

function isZero(b: Uint8Array): boolean {
  return b.every((x) => x === 0);
}

type Gossip = ReturnType<typeof decodeMessage>;

function decodeGossip<T extends keyof typeof SIGNED_FROM>(raw: Uint8Array, expected: T): Extract<Gossip, { type: T }> {
  let msg: Gossip;
  try {
    msg = decodeMessage(raw);
  } catch (e) {
    throw invalidArgument('message', `not a valid ${expected}: ${(e as Error).message}`);
  }
  if (msg.type !== expected) throw invalidArgument('message', `expected ${expected}, got ${msg.type === 'unknown' ? `unknown type ${msg.wireType}` : msg.type}`);
  return msg as Extract<Gossip, { type: T }>;
}

function checkChain(ctx: ServiceContext, hash: Uint8Array): void {
  if (!equal(hash, chainHash(ctx.network))) throw invalidArgument('message', `chain_hash is not the ${ctx.network} genesis block`);
}

export const getNodeInfo: Handler = async (ctx, request) => {
  requestObject(request);
  return {
    response: { node_id: out(ctx.nodeId), network: ctx.network, device: ctx.deviceKind },
    reason: 'node info read',
  };
};

export const ecdhHandler: Handler = async (ctx, request) => {
  const req = requestObject(request);
  const p = point(req, 'point');
  const shared = await ecdh(ctx, ctx.nodeKeyPath, p);
  return { response: { shared_secret: out(shared) }, reason: 'ECDH with the node key' };
};

export const signNodeAnnouncement: Handler = async (ctx, request) => {
  const raw = bytes(requestObject(request), 'message', '', { min: 2, max: MAX_MESSAGE });
  const msg = decodeGossip(raw, 'node_announcement');
  if (!isZero(msg.signature)) throw invalidArgument('message', 'the signature field must be zeroed');
  if (!equal(msg.nodeId, ctx.nodeId)) throw invalidArgument('message', 'node_id is not this signer\'s node', 'policy-signer-own-identity');
  const signature = await sign(ctx, ctx.nodeKeyPath, sha256d(raw.subarray(SIGNED_FROM.node_announcement)));
  return { response: { signature: out(signature) }, reason: `node_announcement with timestamp ${msg.timestamp} signed` };
};

/** The channel a short_channel_id names: confirmed at that height with that funding output index. */
function channelOfScid(ctx: ServiceContext, scid: bigint): LiveChannel | undefined {
  const { blockHeight, outputIndex } = shortChannelIdParts(scid);
  for (const ch of ctx.channels.all()) {
    const s = ch.record.setup;
    if (s && ch.record.fundingHeight === blockHeight && s.fundingVout === outputIndex && ch.record.state !== 'closed') return ch;
  }
  return undefined;
}

/** BOLT 7: node_id_1 is the lesser of the two node ids; our direction bit is 0 when we are node_id_1. */
function weAreNode1(ctx: ServiceContext, peer: Uint8Array): boolean {
  return compare(ctx.nodeId, peer) < 0;
}

export const signChannelUpdate: Handler = async (ctx, request, audit) => {
  const raw = bytes(requestObject(request), 'message', '', { min: 2, max: MAX_MESSAGE });
  const msg = decodeGossip(raw, 'channel_update');
  if (!isZero(msg.signature)) throw invalidArgument('message', 'the signature field must be zeroed');
  checkChain(ctx, msg.chainHash);
  const ch = channelOfScid(ctx, msg.shortChannelId);
  if (ch === undefined) throw notFound('message', `short_channel_id ${formatShortChannelId(msg.shortChannelId)} is not a confirmed channel of this signer`);
  audit.channelId = ch.displayId;
  const direction = msg.channelFlags & 1;
  if (direction !== (weAreNode1(ctx, ch.record.peerNodeId) ? 0 : 1)) {
    throw invalidArgument('message', `channel_flags direction bit ${direction} is the peer's direction, not ours`, 'policy-signer-own-identity');
  }
  const signature = await sign(ctx, ctx.nodeKeyPath, sha256d(raw.subarray(SIGNED_FROM.channel_update)));
  return { response: { signature: out(signature) }, reason: `channel_update ${formatShortChannelId(msg.shortChannelId)} with timestamp ${msg.timestamp} signed` };
};

export const signChannelAnnouncement: Handler = async (ctx, request, audit) => {
  const req = requestObject(request);
  const ch = ctx.channels.get(channelRef(req));
  audit.channelId = ch.displayId;
  const raw = bytes(req, 'message', '', { min: 2, max: MAX_MESSAGE });
  const msg = decodeGossip(raw, 'channel_announcement');
  const setup = ch.requireSetup('SignChannelAnnouncement');
  if (![msg.nodeSignature1, msg.nodeSignature2, msg.bitcoinSignature1, msg.bitcoinSignature2].every(isZero)) {
    throw invalidArgument('message', 'the four signature fields must be zeroed');
  }
  checkChain(ctx, msg.chainHash);
  if (ch.record.fundingHeight === null) throw precondition('policy-signer-channel-state', 'SignChannelAnnouncement: the funding transaction is not confirmed (FundingConfirmed first)');
  const { blockHeight, outputIndex } = shortChannelIdParts(msg.shortChannelId);
  if (blockHeight !== ch.record.fundingHeight || outputIndex !== setup.fundingVout) {
    throw invalidArgument('message', `short_channel_id ${formatShortChannelId(msg.shortChannelId)} does not match the funding output (height ${ch.record.fundingHeight}, output ${setup.fundingVout})`, 'policy-signer-own-identity');
  }
  const node1 = weAreNode1(ctx, ch.record.peerNodeId);
  const [ourNode, theirNode, ourKey, theirKey] = node1
    ? [msg.nodeId1, msg.nodeId2, msg.bitcoinKey1, msg.bitcoinKey2]
    : [msg.nodeId2, msg.nodeId1, msg.bitcoinKey2, msg.bitcoinKey1];
  if (!equal(ourNode, ctx.nodeId) || !equal(theirNode, ch.record.peerNodeId)) {
    throw invalidArgument('message', 'node_id_1 and node_id_2 are not this node and the channel\'s peer, in order', 'policy-signer-own-identity');
  }
  if (!equal(ourKey, ch.record.holder.fundingPubkey) || !equal(theirKey, setup.counterparty.fundingPubkey)) {
    throw invalidArgument('message', 'bitcoin_key_1 and bitcoin_key_2 are not the channel\'s funding keys, in node order', 'policy-signer-own-identity');
  }
  const digest = sha256d(raw.subarray(SIGNED_FROM.channel_announcement));
  const nodeSignature = await sign(ctx, ctx.nodeKeyPath, digest);
  const bitcoinSignature = await sign(ctx, channelPath(ctx, ch, 'funding'), digest);
  return {
    response: { node_signature: out(nodeSignature), bitcoin_signature: out(bitcoinSignature) },
    reason: `channel_announcement ${formatShortChannelId(msg.shortChannelId)} signed`,
  };
};

/** BOLT 11 §Data Part: timestamp, then tagged fields (type, 10-bit length, data) up to the signature. */
function readInvoiceWords(words: readonly number[]): { timestamp: number; fields: TaggedField[] } {
  if (words.length < 7) throw invalidArgument('data_words', `${words.length} words cannot hold the 7-word timestamp`);
  const timestamp = Number(wordsToUint(words.slice(0, 7)));
  const fields: TaggedField[] = [];
  let at = 7;
  while (at < words.length) {
    if (words.length - at < 3) throw invalidArgument('data_words', `tagged field at word ${at}: header truncated`);
    const length = words[at + 1]! * 32 + words[at + 2]!;
    const start = at + 3;
    if (start + length > words.length) throw invalidArgument('data_words', `tagged field at word ${at}: data_length ${length} runs past the end`);
    try {
      fields.push(readField(words[at]!, words.slice(start, start + length)));
    } catch (e) {
      throw invalidArgument('data_words', e instanceof InvoiceError ? e.message : String(e));
    }
    at = start + length;
  }
  return { timestamp, fields };
}

export const signInvoice: Handler = async (ctx, request, audit) => {
  const req = requestObject(request);
  const hrp = text(req, 'hrp', '', 100);
  const rawWords = bytes(req, 'data_words', '', { min: 0, max: 1 << 16 });
  const words = Array.from(rawWords);
  const bad = words.findIndex((w) => w > 31);
  if (bad >= 0) throw invalidArgument('data_words', `word ${bad} is ${words[bad]}, a 5-bit word is at most 31`);
  let parsed: ReturnType<typeof parseHrp>;
  try {
    parsed = parseHrp(hrp);
  } catch (e) {
    throw invalidArgument('hrp', (e as Error).message);
  }
  if (parsed.network !== ctx.network) throw invalidArgument('hrp', `invoice network ${parsed.network}, this signer is on ${ctx.network}`);
  const { timestamp, fields } = readInvoiceWords(words);
  const paymentHash = firstField(fields, 'p');
  if (paymentHash === undefined) throw invalidArgument('data_words', 'missing p field (payment_hash)');
  if (firstField(fields, 's') === undefined) throw invalidArgument('data_words', 'missing s field (payment_secret)');
  const description = firstField(fields, 'd');
  const descriptionHash = firstField(fields, 'h');
  if ((description === undefined) === (descriptionHash === undefined)) throw invalidArgument('data_words', 'exactly one of the d and h fields is required');
  const payee = firstField(fields, 'n');
  if (payee !== undefined && !equal(payee, ctx.nodeId)) throw invalidArgument('data_words', 'the n field names another node', 'policy-signer-own-identity');
  audit.paymentHash = paymentHash;
  if (parsed.amountMsat !== undefined) audit.amountsMsat = { amount: parsed.amountMsat };
  const expirySeconds = firstField(fields, 'x') ?? DEFAULT_EXPIRY_SECONDS;

  const warnings = enforce(ctx, {
    kind: 'sign-invoice',
    paymentHash: hex(paymentHash),
    amountMsat: parsed.amountMsat ?? null,
    expirySeconds,
    description: description ?? 'description hash',
  });
  const { signature, recovery } = await signRecoverable(ctx, ctx.nodeKeyPath, invoiceDigest(hrp, words));
  const record = { paymentHash, amountMsat: parsed.amountMsat ?? null, timestamp, expirySeconds, signedAt: ctx.now() };
  return {
    response: { signature: out(signature), recovery_id: recovery },
    reason: `invoice signed, expiry ${expirySeconds} s`,
    warnings,
    persist: () => ctx.store.putInvoice(record),
  };
};

const MESSAGE_PREFIX = new TextEncoder().encode('Lightning Signed Message:');

export const signMessage: Handler = async (ctx, request) => {
  const msg = bytes(requestObject(request), 'message', '', { min: 0, max: 65535 });
  // The signmessage convention of lnd and Core Lightning: double SHA256 of the prefixed message.
  const { signature, recovery } = await signRecoverable(ctx, ctx.nodeKeyPath, sha256d(concat(MESSAGE_PREFIX, msg)));
  return { response: { signature: out(signature), recovery_id: recovery }, reason: `message of ${msg.length} bytes signed` };
};

