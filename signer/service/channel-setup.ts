// Channel establishment (BOLT 2 §Channel Establishment): NewChannel gives our basepoints for
// open_channel / accept_channel, SetupChannel fixes everything both sides agreed, and
// GetPerCommitmentPoint hands out our per-commitment points (public: channel_ready, reestablish).
import { equal } from '../../bolt/bytes.js';
import { ShachainStore, type ChannelBasepoints } from '../../bolt/bolt3/index.js';
import { invalidArgument, precondition } from '../errors.js';
import { MAX_KEY_INDEX, type ChannelKeyRole } from '../keys.js';
import type { ChannelSetup } from '../store/records.js';
import { LiveChannel } from './channels.js';
import type { Handler, ServiceContext } from './context.js';
import { holderPoint, keyPath, pointAt, publicKey } from './device-ops.js';
import {
  bool,
  bytes,
  channelRef,
  commitmentNumber,
  enumValue,
  message,
  out,
  outPoint,
  point,
  requestObject,
  u32,
  u64,
  MAX_MONEY_SAT,
  type Fields,
} from './fields.js';

const CHANNEL_TYPES = { CHANNEL_TYPE_STATIC_REMOTEKEY: 'static_remotekey', CHANNEL_TYPE_ANCHORS: 'anchors' } as const;
const CHANNEL_TYPE_NUMBERS: Record<number, string> = { 0: 'CHANNEL_TYPE_UNSPECIFIED', 1: 'CHANNEL_TYPE_STATIC_REMOTEKEY', 2: 'CHANNEL_TYPE_ANCHORS' };
/** BOLT 2 §shutdown: the longest scriptpubkey form (OP_RETURN with 80 bytes of data). */
const MAX_SHUTDOWN_SCRIPT = 83;
const NEXT_KEY_INDEX = 'next_channel_key_index';

export function basepointsMessage(b: ChannelBasepoints): object {
  return {
    funding_pubkey: out(b.fundingPubkey),
    revocation_basepoint: out(b.revocationBasepoint),
    payment_basepoint: out(b.paymentBasepoint),
    delayed_payment_basepoint: out(b.delayedPaymentBasepoint),
    htlc_basepoint: out(b.htlcBasepoint),
  };
}

function readBasepoints(obj: Fields, field: string): ChannelBasepoints {
  const m = message(obj, field);
  return {
    fundingPubkey: point(m, 'funding_pubkey', field),
    revocationBasepoint: point(m, 'revocation_basepoint', field),
    paymentBasepoint: point(m, 'payment_basepoint', field),
    delayedPaymentBasepoint: point(m, 'delayed_payment_basepoint', field),
    htlcBasepoint: point(m, 'htlc_basepoint', field),
  };
}

function nextKeyIndex(ctx: ServiceContext): number {
  const stored = Number(ctx.store.getMeta(NEXT_KEY_INDEX) ?? '0');
  const next = Math.max(stored, ctx.channels.maxKeyIndex() + 1);
  if (next > MAX_KEY_INDEX) throw precondition('policy-signer-channel-state', `NewChannel: all ${MAX_KEY_INDEX + 1} channel key indexes are used`);
  return next;
}

export const newChannel: Handler = async (ctx, request, audit) => {
  const req = requestObject(request);
  const temporaryChannelId = bytes(req, 'temporary_channel_id', '', 32);
  const peerNodeId = point(req, 'peer_node_id');
  const holderIsOpener = bool(req, 'holder_is_opener');
  audit.channelId = temporaryChannelId;
  audit.peerNodeId = peerNodeId;

  const pending = ctx.channels.findPending(temporaryChannelId);
  if (pending) {
    // A retry (the node lost our answer): the same channel, the same keys. Anything else reuses an id.
    if (!equal(pending.record.peerNodeId, peerNodeId) || pending.record.holderIsOpener !== holderIsOpener) {
      throw invalidArgument('temporary_channel_id', 'already used by another channel that is not set up yet');
    }
    return {
      response: { basepoints: basepointsMessage(pending.record.holder), first_per_commitment_point: out(pending.record.holderFirstPoint) },
      reason: `channel key index ${pending.record.keyIndex} returned again (retry)`,
    };
  }

  const keyIndex = nextKeyIndex(ctx);
  const path = (role: ChannelKeyRole) => keyPath(ctx, keyIndex, role);
  const holder: ChannelBasepoints = {
    fundingPubkey: await publicKey(ctx, path('funding')),
    revocationBasepoint: await publicKey(ctx, path('revocation')),
    paymentBasepoint: await publicKey(ctx, path('payment')),
    delayedPaymentBasepoint: await publicKey(ctx, path('delayedPayment')),
    htlcBasepoint: await publicKey(ctx, path('htlc')),
  };
  const firstPoint = await pointAt(ctx, keyIndex, 0);
  const record = {
    temporaryChannelId,
    peerNodeId,
    keyIndex,
    holderIsOpener,
    holder,
    holderFirstPoint: firstPoint,
    setup: null,
    state: 'opening' as const,
    nextHolderNumber: 0,
    revokedHolderThrough: null,
    nextCounterpartyNumber: 0,
    revokedCounterpartyThrough: null,
    counterpartySecrets: new ShachainStore().serialize(),
    fundingHeight: null,
    closingTxid: null,
  };
  let rowId = -1;
  return {
    response: { basepoints: basepointsMessage(holder), first_per_commitment_point: out(firstPoint) },
    reason: `new channel with key index ${keyIndex}, ${holderIsOpener ? 'we open' : 'the peer opens'}`,
    persist: () => {
      rowId = ctx.store.insertChannel(record);
      ctx.store.setMeta(NEXT_KEY_INDEX, String(keyIndex + 1));
    },
    commit: () => ctx.channels.add(new LiveChannel({ ...record, rowId })),
  };
};

/** BOLT 2 §funding_created: channel_id = funding_txid XOR funding_output_index (big-endian, last 2 bytes). */
export function channelIdFromFunding(txid: Uint8Array, vout: number): Uint8Array {
  const id = Uint8Array.from(txid);
  id[30]! ^= (vout >>> 8) & 0xff;
  id[31]! ^= vout & 0xff;
  return id;
}

function readSetup(req: Fields): ChannelSetup & { holderIsOpener: boolean } {
  const channelId = bytes(req, 'channel_id', '', 32);
  const channelType = enumValue(req, 'channel_type', '', CHANNEL_TYPES, CHANNEL_TYPE_NUMBERS);
  const funding = outPoint(req, 'funding_outpoint');
  if (funding.vout > 0xffff) throw invalidArgument('funding_outpoint.vout', `${funding.vout} does not fit the 2 bytes of a channel id`);
  if (!equal(channelId, channelIdFromFunding(funding.txid, funding.vout))) {
    throw invalidArgument('channel_id', 'is not funding_txid XOR funding_output_index (BOLT 2 §funding_created)');
  }
  const fundingSat = u64(req, 'funding_sat', '', { min: 1n, max: MAX_MONEY_SAT });
  const upToFunding = { max: fundingSat };
  return {
    channelId,
    channelType,
    holderIsOpener: bool(req, 'holder_is_opener'),
    fundingTxid: funding.txid,
    fundingVout: funding.vout,
    fundingSat,
    pushMsat: u64(req, 'push_msat', '', { max: fundingSat * 1000n }),
    counterparty: readBasepoints(req, 'counterparty_basepoints'),
    counterpartyFirstPoint: point(req, 'counterparty_first_per_commitment_point'),
    holderToSelfDelay: u32(req, 'holder_to_self_delay', '', { max: 0xffff }),
    counterpartyToSelfDelay: u32(req, 'counterparty_to_self_delay', '', { max: 0xffff }),
    holderDustLimitSat: u64(req, 'holder_dust_limit_sat', '', upToFunding),
    counterpartyDustLimitSat: u64(req, 'counterparty_dust_limit_sat', '', upToFunding),
    holderChannelReserveSat: u64(req, 'holder_channel_reserve_sat', '', upToFunding),
    counterpartyChannelReserveSat: u64(req, 'counterparty_channel_reserve_sat', '', upToFunding),
    maxAcceptedHtlcs: u32(req, 'max_accepted_htlcs', '', { min: 1, max: 483 }),
    htlcMinimumMsat: u64(req, 'htlc_minimum_msat', '', { max: fundingSat * 1000n }),
    holderShutdownScript: bytes(req, 'holder_shutdown_script', '', { min: 0, max: MAX_SHUTDOWN_SCRIPT }),
    counterpartyShutdownScript: bytes(req, 'counterparty_shutdown_script', '', { min: 0, max: MAX_SHUTDOWN_SCRIPT }),
  };
}

function sameSetup(a: ChannelSetup, b: ChannelSetup): boolean {
  const bytesEqual: (keyof ChannelSetup)[] = ['channelId', 'fundingTxid', 'counterpartyFirstPoint', 'holderShutdownScript', 'counterpartyShutdownScript'];
  for (const k of bytesEqual) if (!equal(a[k] as Uint8Array, b[k] as Uint8Array)) return false;
  for (const k of Object.keys(a.counterparty) as (keyof ChannelBasepoints)[]) if (!equal(a.counterparty[k], b.counterparty[k])) return false;
  const scalars: (keyof ChannelSetup)[] = [
    'channelType', 'fundingVout', 'fundingSat', 'pushMsat', 'holderToSelfDelay', 'counterpartyToSelfDelay', 'holderDustLimitSat',
    'counterpartyDustLimitSat', 'holderChannelReserveSat', 'counterpartyChannelReserveSat', 'maxAcceptedHtlcs', 'htlcMinimumMsat',
  ];
  return scalars.every((k) => a[k] === b[k]);
}

export const setupChannel: Handler = async (ctx, request, audit) => {
  const req = requestObject(request);
  const temporaryId = channelRef(req);
  audit.channelId = temporaryId;
  const { holderIsOpener, ...setup } = readSetup(req);
  audit.amountsMsat = { funding: setup.fundingSat * 1000n, push: setup.pushMsat };

  const done = ctx.channels.find(setup.channelId);
  if (done && done.record.setup !== null) {
    // A retry of the same setup is answered again; a different one is refused.
    audit.channelId = setup.channelId;
    if (!equal(done.record.temporaryChannelId, temporaryId) || !sameSetup(done.record.setup, setup)) {
      throw precondition('policy-signer-channel-state', 'SetupChannel: this channel_id is already set up with other parameters');
    }
    return { response: {}, reason: 'channel setup repeated (retry)' };
  }
  const ch = ctx.channels.findPending(temporaryId);
  if (ch === undefined) {
    const known = ctx.channels.find(temporaryId);
    if (known) throw precondition('policy-signer-channel-state', 'SetupChannel: the channel is already set up under another channel_id');
    throw invalidArgument('channel.channel_id', 'no channel with this temporary id (NewChannel first)', 'policy-signer-channel-known');
  }
  if (holderIsOpener !== ch.record.holderIsOpener) {
    throw invalidArgument('holder_is_opener', `is ${holderIsOpener}, but NewChannel said ${ch.record.holderIsOpener}`);
  }
  if (equal(setup.counterparty.fundingPubkey, ch.record.holder.fundingPubkey)) {
    throw invalidArgument('counterparty_basepoints.funding_pubkey', 'is our own funding key');
  }
  audit.channelId = setup.channelId;
  audit.peerNodeId = ch.record.peerNodeId;
  return {
    response: {},
    reason: `channel set up: ${setup.channelType}, ${setup.fundingSat} sat, ${holderIsOpener ? 'we opened' : 'the peer opened'}`,
    persist: () => ctx.store.setupChannel(ch.record.rowId, setup),
    commit: () => {
      ch.record = { ...ch.record, setup };
      ctx.channels.setUp(ch);
    },
  };
};

export const getPerCommitmentPoint: Handler = async (ctx, request, audit) => {
  const req = requestObject(request);
  const ch = ctx.channels.get(channelRef(req));
  audit.channelId = ch.displayId;
  const n = commitmentNumber(req, 'commitment_number');
  audit.commitmentNumber = n;
  const p = await holderPoint(ctx, ch, n);
  return { response: { per_commitment_point: out(p) }, reason: `per-commitment point of holder commitment ${n} read` };
};
