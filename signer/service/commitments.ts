// Rebuilding commitment transactions from proto CommitmentInfo and the stored channel (BOLT 3), and
// the facts the policy reads from them. Nothing is trusted from the node but the data: keys come from
// the stored basepoints and a per-commitment point, the transaction from bolt/bolt3.
import { concat, hex, u32be, u64be } from '../../bolt/bytes.js';
import {
  buildCommitment,
  CommitmentError,
  deriveCommitmentKeys,
  type CommitmentKeys,
  type CommitmentTransaction,
  type FundingOutput,
  type Htlc,
} from '../../bolt/bolt3/index.js';
import { sha256 } from '../../bolt/crypto/hash.js';
import type { CommitmentBalances, HtlcFact } from '../../policy/index.js';
import { invalidArgument } from '../errors.js';
import type { ChannelSetup, CommitmentInfo } from '../store/records.js';
import type { LiveChannel } from './channels.js';
import {
  bytes,
  commitmentNumber,
  itemMessage,
  list,
  message,
  u32,
  u64,
  MAX_MONEY_SAT,
  MAX_U32,
  type Fields,
} from './fields.js';

/** BOLT 2: at most 483 HTLCs each way. */
export const MAX_HTLCS = 2 * 483;

const HTLC_DIRECTIONS = { HTLC_DIRECTION_OFFERED: 'offered', HTLC_DIRECTION_RECEIVED: 'received' } as const;
const HTLC_DIRECTION_NUMBERS: Record<number, string> = { 0: 'HTLC_DIRECTION_UNSPECIFIED', 1: 'HTLC_DIRECTION_OFFERED', 2: 'HTLC_DIRECTION_RECEIVED' };

/** Reads a proto CommitmentInfo (strictly). */
export function readCommitmentInfo(obj: Fields, field = 'commitment'): CommitmentInfo {
  const m = message(obj, field);
  const maxMsat = MAX_MONEY_SAT * 1000n;
  const items = list(m, 'htlcs', field, MAX_HTLCS);
  const htlcs: Htlc[] = [];
  const ids = new Set<string>();
  items.forEach((_, i) => {
    const h = itemMessage(items, i, `${field}.htlcs`);
    const path = `${field}.htlcs[${i}]`;
    const direction = enumDirection(h, path);
    const id = u64(h, 'id', path);
    const key = `${direction}:${id}`;
    if (ids.has(key)) throw invalidArgument(`${path}.id`, `${direction} HTLC ${id} is listed twice`);
    ids.add(key);
    htlcs.push({
      direction,
      id,
      amountMsat: u64(h, 'amount_msat', path, { min: 1n, max: maxMsat }),
      paymentHash: bytes(h, 'payment_hash', path, 32),
      cltvExpiry: u32(h, 'cltv_expiry', path, { max: 499_999_999 }), // BOLT 2: a block height, not a timestamp
    });
  });
  return {
    number: commitmentNumber(m, 'commitment_number', field),
    feeratePerKw: u32(m, 'feerate_per_kw', field, { max: MAX_U32 }),
    toOwnerMsat: u64(m, 'to_holder_msat', field, { max: maxMsat }),
    toOtherMsat: u64(m, 'to_counterparty_msat', field, { max: maxMsat }),
    htlcs,
  };
}

function enumDirection(h: Fields, path: string): 'offered' | 'received' {
  const raw = h['direction'];
  const name = typeof raw === 'number' ? HTLC_DIRECTION_NUMBERS[raw] : raw;
  if (name !== 'HTLC_DIRECTION_OFFERED' && name !== 'HTLC_DIRECTION_RECEIVED') {
    throw invalidArgument(`${path}.direction`, `expected HTLC_DIRECTION_OFFERED or HTLC_DIRECTION_RECEIVED, got ${JSON.stringify(raw ?? null)}`);
  }
  return HTLC_DIRECTIONS[name];
}

/** proto CommitmentInfo from a stored one (ListChannels). */
export function commitmentInfoMessage(info: CommitmentInfo): object {
  return {
    commitment_number: String(info.number),
    feerate_per_kw: info.feeratePerKw,
    to_holder_msat: info.toOwnerMsat.toString(),
    to_counterparty_msat: info.toOtherMsat.toString(),
    htlcs: info.htlcs.map((h) => ({
      direction: h.direction === 'offered' ? 'HTLC_DIRECTION_OFFERED' : 'HTLC_DIRECTION_RECEIVED',
      id: h.id.toString(),
      amount_msat: h.amountMsat.toString(),
      payment_hash: Buffer.from(h.paymentHash),
      cltv_expiry: h.cltvExpiry,
    })),
  };
}

/**
 * SHA256 of a canonical encoding of the commitment's content (HTLCs sorted by direction and id) and,
 * for counterparty commitments, the point it was built with: equal exactly when a retransmission asks
 * for the same commitment again.
 */
export function contentHash(info: CommitmentInfo, point?: Uint8Array): Uint8Array {
  const htlcs = [...info.htlcs].sort((a, b) => (a.direction === b.direction ? (a.id < b.id ? -1 : a.id > b.id ? 1 : 0) : a.direction === 'offered' ? -1 : 1));
  const parts: Uint8Array[] = [u64be(BigInt(info.number)), u32be(info.feeratePerKw), u64be(info.toOwnerMsat), u64be(info.toOtherMsat), u32be(htlcs.length)];
  for (const h of htlcs) parts.push(Uint8Array.of(h.direction === 'offered' ? 1 : 2), u64be(h.id), u64be(h.amountMsat), h.paymentHash, u32be(h.cltvExpiry));
  if (point) parts.push(point);
  return sha256(concat(...parts));
}

/** The funding output as bolt3 wants it: txid in display order (proto carries internal order). */
export function fundingOutput(setup: ChannelSetup): FundingOutput {
  return { txid: Uint8Array.from(setup.fundingTxid).reverse(), vout: setup.fundingVout, amountSat: setup.fundingSat };
}

/** Keys of OUR commitment `number`, built with our per-commitment point for it. */
export function holderKeys(ch: LiveChannel, setup: ChannelSetup, number: number, point: Uint8Array): CommitmentKeys {
  return ch.keys(`h:${number}:${hex(point)}`, () => deriveCommitmentKeys(ch.record.holder, setup.counterparty, point));
}

/** Keys of THEIR commitment `number`, built with their per-commitment point for it. */
export function counterpartyKeys(ch: LiveChannel, setup: ChannelSetup, number: number, point: Uint8Array): CommitmentKeys {
  return ch.keys(`c:${number}:${hex(point)}`, () => deriveCommitmentKeys(setup.counterparty, ch.record.holder, point));
}

/** BOLT 3: our commitment, owner = us. */
export function buildHolderCommitment(ch: LiveChannel, setup: ChannelSetup, info: CommitmentInfo, point: Uint8Array): CommitmentTransaction {
  return build(ch, setup, info, holderKeys(ch, setup, info.number, point), 'holder');
}

/** BOLT 3: their commitment, owner = them. */
export function buildCounterpartyCommitment(ch: LiveChannel, setup: ChannelSetup, info: CommitmentInfo, point: Uint8Array): CommitmentTransaction {
  return build(ch, setup, info, counterpartyKeys(ch, setup, info.number, point), 'counterparty');
}

function build(ch: LiveChannel, setup: ChannelSetup, info: CommitmentInfo, keys: CommitmentKeys, owner: 'holder' | 'counterparty'): CommitmentTransaction {
  const ours = owner === 'holder';
  try {
    return buildCommitment({
      channelType: setup.channelType,
      funding: fundingOutput(setup),
      obscuringFactor: ch.obscuringFactor(setup),
      commitmentNumber: BigInt(info.number),
      ownerIsOpener: ours === ch.record.holderIsOpener,
      toSelfDelay: ours ? setup.holderToSelfDelay : setup.counterpartyToSelfDelay,
      dustLimitSat: ours ? setup.holderDustLimitSat : setup.counterpartyDustLimitSat,
      feeratePerKw: info.feeratePerKw,
      toLocalMsat: info.toOwnerMsat,
      toRemoteMsat: info.toOtherMsat,
      htlcs: info.htlcs,
      keys,
    });
  } catch (e) {
    if (e instanceof CommitmentError) throw invalidArgument('commitment', e.message);
    throw e;
  }
}

/** The commitment's value split from OUR side, as policy/ reads it (CommitmentBalances). */
export function balancesFromOurSide(info: CommitmentInfo, owner: 'holder' | 'counterparty'): CommitmentBalances {
  const ours = owner === 'holder';
  const flip = (d: 'offered' | 'received'): 'offered' | 'received' => (ours ? d : d === 'offered' ? 'received' : 'offered');
  return {
    toHolderMsat: ours ? info.toOwnerMsat : info.toOtherMsat,
    toCounterpartyMsat: ours ? info.toOtherMsat : info.toOwnerMsat,
    htlcs: info.htlcs.map((h): HtlcFact => ({ direction: flip(h.direction), amountMsat: h.amountMsat, paymentHash: hex(h.paymentHash), cltvExpiry: h.cltvExpiry })),
  };
}

/** HTLCs of a commitment from OUR side (offered = we offered it), with their ids. */
export function htlcsFromOurSide(info: CommitmentInfo, owner: 'holder' | 'counterparty'): Htlc[] {
  if (owner === 'holder') return [...info.htlcs];
  return info.htlcs.map((h) => ({ ...h, direction: h.direction === 'offered' ? 'received' : 'offered' }));
}

/** The amounts an audit line records for a commitment (from our side). */
export function commitmentAmounts(b: CommitmentBalances): { to_holder: bigint; to_counterparty: bigint; htlc_total: bigint } {
  let total = 0n;
  for (const h of b.htlcs) total += h.amountMsat;
  return { to_holder: b.toHolderMsat, to_counterparty: b.toCounterpartyMsat, htlc_total: total };
}
