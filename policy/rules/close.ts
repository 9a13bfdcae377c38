// Cooperative close and sweeps after a close (DESIGN invariants 4 and 5; BOLT 2 §Channel
// Close, BOLT 5 §On-chain handling): our money leaves the channel only to our wallet or
// the allowlist, at a sane fee.

import { defineRule, violation } from '../rule.js';
import { amount, formatMsat, formatSat } from '../params.js';
import { checkTxFee, sum, txFeeParams } from './util.js';

export const mutualDestinationAllowlisted = defineRule({
  id: 'policy-mutual-destination-allowlisted',
  area: 'mutual-close',
  summary: 'In a cooperative close, our output pays our own wallet or an allowlisted destination.',
  applies: ['sign-mutual-close'],
  params: {},
  usesAllowlist: true,
  check(ctx, r) {
    for (const o of r.outputs) {
      if (o.side === 'holder' && o.destination === 'unknown') {
        violation(ctx, 'policy-mutual-destination-allowlisted',
          `our output of ${formatSat(o.amountSat)} pays ${o.address}, which is neither our wallet nor allowlisted`);
      }
    }
  },
});

// BOLT 3 §Closing Transaction: each output is the balance rounded down to whole satoshis,
// less the fee for the side paying it; outputs under the dust limit are left out.
export const mutualValueMatchesCommitment = defineRule({
  id: 'policy-mutual-value-matches-commitment',
  area: 'mutual-close',
  summary: 'In a cooperative close, our output is what we hold in the latest commitment, less the fee if we pay it.',
  applies: ['sign-mutual-close'],
  params: {
    max_shortfall: amount({
      summary: 'how much less than our balance our closing output may be',
      default: 0n,
      reason: 'the signer rebuilds the close exactly, so any shortfall is value handed to the counterparty',
    }),
  },
  check(ctx, r, p) {
    const fee = r.feePayer === 'holder' ? r.feeSat : 0n;
    const expected = r.lastBalances.toHolderMsat / 1000n - fee;
    const ours = r.outputs.filter((o) => o.side === 'holder');
    const got = sum(ours.map((o) => o.amountSat));
    // Left out as dust: fine when our share is under our dust limit.
    if (ours.length === 0 && expected < r.channel.holder.dustLimitSat) return;
    if (got * 1000n + p.max_shortfall < expected * 1000n) {
      violation(ctx, 'policy-mutual-value-matches-commitment',
        `our output ${formatSat(got)} is below the ${formatSat(expected)} we hold (balance ${formatMsat(r.lastBalances.toHolderMsat)}, fee ${formatSat(fee)} paid by us), allowed shortfall ${formatMsat(p.max_shortfall)}`);
    }
  },
});

// BOLT 2 §Closing Initiation: shutdown: no new HTLCs; closing starts once none are pending.
export const mutualNoPendingHtlcs = defineRule({
  id: 'policy-mutual-no-pending-htlcs',
  area: 'mutual-close',
  summary: 'A cooperative close is signed only when no HTLC is pending in the channel.',
  applies: ['sign-mutual-close'],
  params: {},
  check(ctx, r) {
    const n = r.lastBalances.htlcs.length;
    if (n > 0) violation(ctx, 'policy-mutual-no-pending-htlcs', `${n} HTLCs still pending`);
  },
});

export const mutualFeeRange = defineRule({
  id: 'policy-mutual-fee-range',
  area: 'mutual-close',
  summary: 'The cooperative close pays a feerate inside a range and a fee under a cap.',
  applies: ['sign-mutual-close'],
  params: txFeeParams('cooperative close'),
  check(ctx, r, p) {
    const outputs = sum(r.outputs.map((o) => o.amountSat));
    checkTxFee(ctx, 'policy-mutual-fee-range', outputs + r.feeSat, outputs, r.weight, p);
  },
});

export const sweepDestinationAllowlisted = defineRule({
  id: 'policy-sweep-destination-allowlisted',
  area: 'sweep',
  summary: 'A sweep of channel outputs (delayed to_local, HTLC outputs, anchors, justice) pays only our own wallet or allowlisted destinations.',
  applies: ['sign-sweep'],
  params: {},
  usesAllowlist: true,
  check(ctx, r) {
    r.outputs.forEach((o, i) => {
      if (o.destination === 'unknown') {
        violation(ctx, 'policy-sweep-destination-allowlisted',
          `output ${i} of ${formatSat(o.amountSat)} pays ${o.address}, which is neither our wallet nor allowlisted`);
      }
    });
  },
});

export const sweepFeeRange = defineRule({
  id: 'policy-sweep-fee-range',
  area: 'sweep',
  summary: 'A sweep pays a feerate inside a range and a fee under a cap.',
  applies: ['sign-sweep'],
  params: txFeeParams('sweep'),
  check(ctx, r, p) {
    checkTxFee(ctx, 'policy-sweep-fee-range', sum(r.inputs.map((i) => i.amountSat)), sum(r.outputs.map((o) => o.amountSat)), r.weight, p);
  },
});
