// What one commitment transaction contains, in channel accounting (BOLT 2 §Normal Operation): each
// side's balance in msat before fees, the HTLCs (offered / received from the owner's point of view)
// and the feerate. The commitment transaction itself is BOLT 3's business (bolt/bolt3); this module
// only applies updates to a spec and asks bolt3 what the opener owes in fees.
import {
  ANCHOR_OUTPUT_SAT,
  commitmentFeeSat,
  isHtlcTrimmed,
  type ChannelType,
  type Htlc,
} from '../../bolt/bolt3/index.js';
import type { MessageNamed } from '../../bolt/messages/index.js';

export type UpdateAddHtlc = MessageNamed<'update_add_htlc'>;
export type UpdateFulfillHtlc = MessageNamed<'update_fulfill_htlc'>;
export type UpdateFailHtlc = MessageNamed<'update_fail_htlc'>;
export type UpdateFailMalformedHtlc = MessageNamed<'update_fail_malformed_htlc'>;
export type UpdateFee = MessageNamed<'update_fee'>;

/** BOLT 2: the `update_` messages a commitment_signed commits to. */
export type UpdateMessage = UpdateAddHtlc | UpdateFulfillHtlc | UpdateFailHtlc | UpdateFailMalformedHtlc | UpdateFee;
export type UpdateRemoval = UpdateFulfillHtlc | UpdateFailHtlc | UpdateFailMalformedHtlc;

export function isRemoval(u: UpdateMessage): u is UpdateRemoval {
  return u.type === 'update_fulfill_htlc' || u.type === 'update_fail_htlc' || u.type === 'update_fail_malformed_htlc';
}

/** One commitment's content from its owner's side: `toLocalMsat` is the owner's balance. */
export interface CommitmentSpec {
  readonly feeratePerKw: number;
  readonly toLocalMsat: bigint;
  readonly toRemoteMsat: bigint;
  /** Directions from the owner's point of view (bolt3 Htlc). */
  readonly htlcs: readonly Htlc[];
}

export class SpecError extends Error {
  override readonly name = 'SpecError';
}

function htlcOf(add: UpdateAddHtlc, direction: Htlc['direction']): Htlc {
  return { id: add.id, direction, amountMsat: add.amountMsat, paymentHash: add.paymentHash, cltvExpiry: add.cltvExpiry };
}

/**
 * BOLT 2 §Normal Operation: the owner's next commitment is its current one with the owner's own
 * updates the other side acknowledged and the other side's updates applied. Adds come first, then
 * removals (an HTLC is removed by the side that did NOT offer it), then the latest update_fee.
 * `ownerChanges` are updates sent by the commitment's owner, `otherChanges` by its counterparty.
 * Returns `spec` itself when there is nothing to apply (structural sharing). Balances may come out
 * negative for an update that cannot be afforded: validating callers refuse it with the limit it breaks.
 */
export function reduce(spec: CommitmentSpec, ownerChanges: readonly UpdateMessage[], otherChanges: readonly UpdateMessage[]): CommitmentSpec {
  if (ownerChanges.length === 0 && otherChanges.length === 0) return spec;
  let toLocal = spec.toLocalMsat;
  let toRemote = spec.toRemoteMsat;
  let feerate = spec.feeratePerKw;
  const added: Htlc[] = [];
  // Removals keyed by the HTLC they remove: the owner removes HTLCs it received, the other side those the owner offered.
  const removals = new Map<string, UpdateRemoval>();
  const remove = (key: string, u: UpdateRemoval): void => {
    if (removals.has(key)) throw new SpecError(`HTLC ${key} is removed twice`);
    removals.set(key, u);
  };
  for (const u of ownerChanges) {
    if (u.type === 'update_add_htlc') {
      toLocal -= u.amountMsat;
      added.push(htlcOf(u, 'offered'));
    } else if (u.type === 'update_fee') feerate = u.feeratePerKw;
    else remove(`received:${u.id}`, u);
  }
  for (const u of otherChanges) {
    if (u.type === 'update_add_htlc') {
      toRemote -= u.amountMsat;
      added.push(htlcOf(u, 'received'));
    } else if (u.type === 'update_fee') feerate = u.feeratePerKw;
    else remove(`offered:${u.id}`, u);
  }
  let htlcs: readonly Htlc[];
  if (removals.size === 0) {
    htlcs = added.length === 0 ? spec.htlcs : spec.htlcs.concat(added);
  } else {
    const kept: Htlc[] = [];
    const matched = new Set<string>();
    for (const list of [spec.htlcs, added]) {
      for (const h of list) {
        const key = `${h.direction}:${h.id}`;
        const u = removals.get(key);
        if (u === undefined) {
          kept.push(h);
          continue;
        }
        matched.add(key);
        const fulfilled = u.type === 'update_fulfill_htlc';
        // A fulfilled HTLC pays its receiver; a failed one returns to its offerer.
        if ((h.direction === 'offered') === fulfilled) toRemote += h.amountMsat;
        else toLocal += h.amountMsat;
      }
    }
    if (matched.size !== removals.size) {
      const missing = [...removals.keys()].filter((k) => !matched.has(k));
      throw new SpecError(`removal of HTLCs that are not in the commitment: ${missing.join(', ')}`);
    }
    htlcs = kept;
  }
  // A negative balance is returned as is: the callers that validate an update report it with its limit.
  return { feeratePerKw: feerate, toLocalMsat: toLocal, toRemoteMsat: toRemote, htlcs };
}

/** BOLT 3 §Trimmed Outputs: HTLCs that get their own output on the owner's commitment. */
export function untrimmedHtlcCount(channelType: ChannelType, spec: CommitmentSpec, ownerDustLimitSat: bigint): number {
  let n = 0;
  for (const h of spec.htlcs) if (!isHtlcTrimmed(channelType, h, spec.feeratePerKw, ownerDustLimitSat)) n++;
  return n;
}

/**
 * BOLT 3 §Fee Payment: what the opener pays on this commitment, in sat: the base fee for the
 * untrimmed HTLC outputs plus, with option_anchors, both anchors.
 */
export function openerCostSat(channelType: ChannelType, spec: CommitmentSpec, ownerDustLimitSat: bigint): bigint {
  const fee = commitmentFeeSat(channelType, spec.feeratePerKw, untrimmedHtlcCount(channelType, spec, ownerDustLimitSat));
  return channelType === 'anchors' ? fee + 2n * ANCHOR_OUTPUT_SAT : fee;
}

/** Count and total of the HTLCs in one direction (owner's point of view). */
export function htlcTotals(spec: CommitmentSpec, direction: Htlc['direction']): { count: number; amountMsat: bigint } {
  let count = 0;
  let amountMsat = 0n;
  for (const h of spec.htlcs) {
    if (h.direction !== direction) continue;
    count++;
    amountMsat += h.amountMsat;
  }
  return { count, amountMsat };
}

export function findHtlc(spec: CommitmentSpec, direction: Htlc['direction'], id: bigint): Htlc | undefined {
  for (const h of spec.htlcs) if (h.id === id && h.direction === direction) return h;
  return undefined;
}
