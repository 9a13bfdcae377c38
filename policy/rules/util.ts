// Small pure helpers the rule checks share.

import { violation, type RuleContext } from '../rule.js';
import type { RuleId } from '../ids.js';
import { amount, formatMsat, integer, MAX_U32, type ParamValues } from '../params.js';
import type { HtlcFact, Msat, Sat } from '../request.js';

export const COMMITMENT_KINDS = ['sign-counterparty-commitment', 'validate-holder-commitment'] as const;

/** `0123456789abcdef…` -> `01234567…` for messages. */
export function shortHex(h: string): string {
  return h.length > 16 ? `${h.slice(0, 8)}…${h.slice(-4)}` : h;
}

export function sum(values: Iterable<bigint>): bigint {
  let total = 0n;
  for (const v of values) total += v;
  return total;
}

function htlcKey(h: HtlcFact): string {
  return `${h.direction}:${h.paymentHash}:${h.amountMsat}:${h.cltvExpiry}`;
}

/** HTLCs in `a` that are not in `b`, counting duplicates (a multiset difference). */
export function htlcsNotIn(a: readonly HtlcFact[], b: readonly HtlcFact[]): HtlcFact[] {
  const left = new Map<string, number>();
  for (const h of b) left.set(htlcKey(h), (left.get(htlcKey(h)) ?? 0) + 1);
  const out: HtlcFact[] = [];
  for (const h of a) {
    const n = left.get(htlcKey(h)) ?? 0;
    if (n > 0) left.set(htlcKey(h), n - 1);
    else out.push(h);
  }
  return out;
}

/** Our own value in a commitment: to_holder plus the HTLCs we offered (ours until fulfilled). */
export function holderOwnedMsat(c: { toHolderMsat: Msat; htlcs: readonly HtlcFact[] }): Msat {
  return c.toHolderMsat + sum(c.htlcs.filter((h) => h.direction === 'offered').map((h) => h.amountMsat));
}

// --- transaction fees ----------------------------------------------------------------

/** The fee parameters every transaction rule takes (mutual close, sweep, on-chain). */
export function txFeeParams(what: string) {
  return {
    min_feerate_per_kw: integer({
      summary: `lowest feerate a ${what} may pay`,
      default: 253,
      min: 1,
      max: MAX_U32,
      unit: 'sat/kw',
      reason: '253 sat/kw is just above the 1 sat/vbyte relay floor, so the transaction propagates',
      notAbove: 'max_feerate_per_kw',
    }),
    max_feerate_per_kw: integer({
      summary: `highest feerate a ${what} may pay`,
      default: 50_000,
      min: 1,
      max: MAX_U32,
      unit: 'sat/kw',
      reason: '50000 sat/kw (200 sat/vbyte) covers fee spikes while stopping a node from burning funds as fees',
    }),
    max_fee: amount({
      summary: `most a single ${what} may pay in fees`,
      default: 250_000n * 1000n,
      reason: 'about 1250 vbytes at the default maximum feerate: a cap on the worst single loss to fees',
    }),
  };
}

export type TxFeeParams = ParamValues<ReturnType<typeof txFeeParams>>;

/** Checks a transaction's fee (inputs minus outputs) against the feerate range and the cap. */
export function checkTxFee(ctx: RuleContext, id: RuleId, inputsSat: Sat, outputsSat: Sat, weight: number, p: TxFeeParams): void {
  const fee = inputsSat - outputsSat;
  if (fee < 0n) {
    violation(ctx, id, `outputs ${outputsSat} sat exceed inputs ${inputsSat} sat`);
    return;
  }
  if (!Number.isSafeInteger(weight) || weight <= 0) {
    violation(ctx, id, `transaction weight ${weight} is not a positive integer`);
    return;
  }
  const w = BigInt(weight);
  if (fee * 1000n < BigInt(p.min_feerate_per_kw) * w) {
    violation(ctx, id, `feerate ${(fee * 1000n) / w} sat/kw below min ${p.min_feerate_per_kw} (fee ${fee} sat, weight ${weight})`);
  }
  if (fee * 1000n > BigInt(p.max_feerate_per_kw) * w) {
    const rate = (fee * 1000n + w - 1n) / w;
    violation(ctx, id, `feerate ${rate} sat/kw above max ${p.max_feerate_per_kw} (fee ${fee} sat, weight ${weight})`);
  }
  if (fee * 1000n > p.max_fee) {
    violation(ctx, id, `fee ${fee} sat above max ${formatMsat(p.max_fee)}`);
  }
}
