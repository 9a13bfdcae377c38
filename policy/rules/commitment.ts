// Commitment numbers, revocation and channel state (DESIGN invariants 1 and 3), and the
// channel parameters every commitment carries (invariant 5).

import { defineRule, violation } from '../rule.js';
import { amount, formatMsat, integer, MAX_U32, percent, percentToPpm } from '../params.js';
import type { SignCounterpartyCommitment, ValidateHolderCommitment } from '../request.js';
import { COMMITMENT_KINDS, sum } from './util.js';

type CommitmentRequest = SignCounterpartyCommitment | ValidateHolderCommitment;

function side(r: CommitmentRequest): string {
  return r.kind === 'sign-counterparty-commitment' ? 'counterparty' : 'holder';
}

function nextNumber(r: CommitmentRequest): number {
  return r.kind === 'sign-counterparty-commitment' ? r.nextCounterpartyCommitmentNumber : r.nextHolderCommitmentNumber;
}

// BOLT 2 §Updating Fees: at most two unrevoked commitments per side, so a number is either
// the next one or a retry of the current one.
export const commitmentNumberSequence = defineRule({
  id: 'policy-commitment-number-sequence',
  area: 'commitment',
  summary: 'A commitment is signed or accepted only for the next number, or again for the current one (a retry).',
  applies: COMMITMENT_KINDS,
  params: {},
  check(ctx, r) {
    const next = nextNumber(r);
    const n = r.commitmentNumber;
    if (n !== next && n !== next - 1) {
      violation(ctx, 'policy-commitment-number-sequence',
        `${side(r)} commitment ${n} is neither the next (${next}) nor the current (${next - 1})`);
    }
  },
});

// DESIGN invariant 3; BOLT 2 §Completing the Transition to the Updated State (revoke_and_ack).
export const commitmentPreviousRevoked = defineRule({
  id: 'policy-commitment-previous-revoked',
  area: 'commitment',
  summary:
    'Counterparty commitment N is signed only after the counterparty revoked commitment N-2 with a secret the signer checked, so they never hold more than two valid commitments.',
  applies: ['sign-counterparty-commitment'],
  params: {},
  check(ctx, r) {
    const n = r.commitmentNumber;
    const revoked = r.highestRevokedCounterpartyCommitment;
    if (n >= 2 && (revoked === null || revoked < n - 2)) {
      violation(ctx, 'policy-commitment-previous-revoked',
        `counterparty commitment ${n - 2} is not revoked (highest revoked: ${revoked ?? 'none'}), so ${n} cannot be signed`);
    }
  },
});

// DESIGN invariant 1: broadcasting a revoked commitment hands the counterparty all funds.
export const commitmentHolderNotRevoked = defineRule({
  id: 'policy-commitment-holder-not-revoked',
  area: 'commitment',
  summary: 'A holder commitment whose secret was released is never accepted again nor signed for broadcast.',
  applies: ['validate-holder-commitment', 'sign-holder-commitment-for-broadcast'],
  params: {},
  check(ctx, r) {
    const revoked = r.highestRevokedHolderCommitment;
    if (revoked !== null && r.commitmentNumber <= revoked) {
      violation(ctx, 'policy-commitment-holder-not-revoked',
        `holder commitment ${r.commitmentNumber} is revoked (secrets released through ${revoked})`);
    }
  },
});

export const commitmentRetrySame = defineRule({
  id: 'policy-commitment-retry-same',
  area: 'commitment',
  summary: 'A commitment number handled before may be handled again only with identical content.',
  applies: COMMITMENT_KINDS,
  params: {},
  check(ctx, r) {
    if (r.sameNumberSeen === 'different') {
      violation(ctx, 'policy-commitment-retry-same',
        `${side(r)} commitment ${r.commitmentNumber} was already handled with different content`);
    }
  },
});

export const commitmentNotClosing = defineRule({
  id: 'policy-commitment-not-closing',
  area: 'commitment',
  summary: 'Once a mutual close or a force close was signed, no new commitment is signed or accepted.',
  applies: COMMITMENT_KINDS,
  params: {},
  check(ctx, r) {
    if (r.channelClosing && r.commitmentNumber === nextNumber(r)) {
      violation(ctx, 'policy-commitment-not-closing',
        `channel is closing: new ${side(r)} commitment ${r.commitmentNumber} refused`);
    }
  },
});

export const commitmentFirstNoHtlcs = defineRule({
  id: 'policy-commitment-first-no-htlcs',
  area: 'commitment',
  summary: 'The first commitment (number 0) carries no HTLCs.',
  applies: COMMITMENT_KINDS,
  params: {},
  check(ctx, r) {
    if (r.commitmentNumber === 0 && r.htlcs.length > 0) {
      violation(ctx, 'policy-commitment-first-no-htlcs', `commitment 0 carries ${r.htlcs.length} HTLCs`);
    }
  },
});

// BOLT 2 §The open_channel Message: the funder starts with funding minus push_msat.
export const commitmentInitialFundingValue = defineRule({
  id: 'policy-commitment-initial-funding-value',
  area: 'commitment',
  summary: 'The first commitment gives us exactly what we put in: the capacity minus push if we funded, the push otherwise.',
  applies: COMMITMENT_KINDS,
  params: {},
  check(ctx, r) {
    if (r.commitmentNumber !== 0) return;
    const c = r.channel;
    const expected = c.weFunded ? c.capacitySat * 1000n - c.pushMsat : c.pushMsat;
    if (r.toHolderMsat !== expected) {
      violation(ctx, 'policy-commitment-initial-funding-value',
        `commitment 0 gives us ${formatMsat(r.toHolderMsat)}, expected ${formatMsat(expected)}`);
    }
  },
});

export const commitmentBalanceSum = defineRule({
  id: 'policy-commitment-balance-sum',
  area: 'commitment',
  summary: 'Both balances and all HTLCs add up to the channel capacity exactly, and none is negative.',
  applies: COMMITMENT_KINDS,
  params: {},
  check(ctx, r) {
    const parts = [r.toHolderMsat, r.toCounterpartyMsat, ...r.htlcs.map((h) => h.amountMsat)];
    if (parts.some((v) => v < 0n)) {
      violation(ctx, 'policy-commitment-balance-sum', 'a balance or HTLC amount is negative');
      return;
    }
    const total = sum(parts);
    const capacity = r.channel.capacitySat * 1000n;
    if (total !== capacity) {
      violation(ctx, 'policy-commitment-balance-sum',
        `balances and HTLCs total ${formatMsat(total)}, capacity is ${formatMsat(capacity)}`);
    }
  },
});

// --- channel parameters --------------------------------------------------------------

// BOLT 2 §The open_channel Message: fail if feerate_per_kw is too small or unreasonably large.
export const commitmentFeeRange = defineRule({
  id: 'policy-commitment-fee-range',
  area: 'channel-parameters',
  summary: 'The commitment feerate stays between a minimum (so it confirms) and a maximum (so the funder is not drained into fees).',
  applies: COMMITMENT_KINDS,
  params: {
    min_feerate_per_kw: integer({
      summary: 'lowest commitment feerate',
      default: 253,
      min: 1,
      max: MAX_U32,
      unit: 'sat/kw',
      reason: '253 sat/kw is the relay floor every implementation accepts; below it a force close may not propagate',
      notAbove: 'max_feerate_per_kw',
    }),
    max_feerate_per_kw: integer({
      summary: 'highest commitment feerate',
      default: 50_000,
      min: 1,
      max: MAX_U32,
      unit: 'sat/kw',
      reason: '50000 sat/kw (200 sat/vbyte) rides out fee spikes; above it a peer could burn the funder\'s balance in fees',
    }),
  },
  check(ctx, r, p) {
    const f = r.feeratePerKw;
    if (f < p.min_feerate_per_kw) {
      violation(ctx, 'policy-commitment-fee-range', `feerate ${f} sat/kw below min ${p.min_feerate_per_kw}`);
    }
    if (f > p.max_feerate_per_kw) {
      violation(ctx, 'policy-commitment-fee-range', `feerate ${f} sat/kw above max ${p.max_feerate_per_kw}`);
    }
  },
});

// BOLT 2 §The open_channel Message: dust_limit_satoshis at least 354; BOLT 3 §Dust Limits.
export const commitmentDustLimitRange = defineRule({
  id: 'policy-commitment-dust-limit-range',
  area: 'channel-parameters',
  summary: 'Both sides\' dust limits lie in a range: outputs under the dust limit are given to fees, so a high one burns HTLCs.',
  applies: COMMITMENT_KINDS,
  params: {
    min: amount({
      summary: 'lowest dust limit either side may use',
      default: 354n * 1000n,
      reason: 'BOLT 2 requires at least 354 sat, the smallest dust threshold of any standard output',
      notAbove: 'max',
    }),
    max: amount({
      summary: 'highest dust limit either side may use',
      default: 1000n * 1000n,
      reason: 'common implementations use 330 to 600 sat; a much higher one trims real HTLCs to fees',
    }),
  },
  check(ctx, r, p) {
    for (const [who, params] of [['holder', r.channel.holder], ['counterparty', r.channel.counterparty]] as const) {
      const d = params.dustLimitSat * 1000n;
      if (d < p.min) violation(ctx, 'policy-commitment-dust-limit-range', `${who} dust limit ${params.dustLimitSat} sat below min ${formatMsat(p.min)}`);
      if (d > p.max) violation(ctx, 'policy-commitment-dust-limit-range', `${who} dust limit ${params.dustLimitSat} sat above max ${formatMsat(p.max)}`);
    }
  },
});

// BOLT 2 §The open_channel / accept_channel Message: reserves; 1% is suggested, and each
// side's reserve is at least the other side's dust limit.
export const commitmentReserveRange = defineRule({
  id: 'policy-commitment-reserve-range',
  area: 'channel-parameters',
  summary:
    'The reserve we require keeps the counterparty with something to lose if it cheats; the reserve required of us does not lock too much of our money; each reserve is at least the other side\'s dust limit.',
  applies: COMMITMENT_KINDS,
  params: {
    min_percent: percent({
      summary: 'smallest reserve we require the counterparty to keep, as a share of capacity',
      default: 1,
      reason: 'BOLT 2 suggests 1%; with less, a cheating counterparty risks little when it broadcasts an old state',
    }),
    max_percent: percent({
      summary: 'largest reserve the counterparty may require us to keep, as a share of capacity',
      default: 5,
      reason: 'more than 5% locks our own funds for little gain; 5% matches the highest common implementation default',
    }),
  },
  check(ctx, r, p) {
    const c = r.channel;
    const capacity = c.capacitySat;
    // Floor for the minimum and ceiling for the maximum, so an implementation rounding 1% either way passes.
    const minSat = (capacity * percentToPpm(p.min_percent)) / 1_000_000n;
    const maxSat = (capacity * percentToPpm(p.max_percent) + 999_999n) / 1_000_000n;
    if (c.holder.channelReserveSat < minSat) {
      violation(ctx, 'policy-commitment-reserve-range',
        `reserve we require of the counterparty ${c.holder.channelReserveSat} sat below min ${minSat} sat (${p.min_percent}% of ${capacity} sat)`);
    }
    if (c.counterparty.channelReserveSat > maxSat) {
      violation(ctx, 'policy-commitment-reserve-range',
        `reserve required of us ${c.counterparty.channelReserveSat} sat above max ${maxSat} sat (${p.max_percent}% of ${capacity} sat)`);
    }
    if (c.holder.channelReserveSat < c.counterparty.dustLimitSat) {
      violation(ctx, 'policy-commitment-reserve-range',
        `reserve we require ${c.holder.channelReserveSat} sat below the counterparty dust limit ${c.counterparty.dustLimitSat} sat`);
    }
    if (c.counterparty.channelReserveSat < c.holder.dustLimitSat) {
      violation(ctx, 'policy-commitment-reserve-range',
        `reserve required of us ${c.counterparty.channelReserveSat} sat below our dust limit ${c.holder.dustLimitSat} sat`);
    }
  },
});

// BOLT 2 §The open_channel Message: fail if to_self_delay is unreasonably large.
export const commitmentToSelfDelayRange = defineRule({
  id: 'policy-commitment-to-self-delay-range',
  area: 'channel-parameters',
  summary:
    'Both to_self_delay values lie in a range: long enough that a cheating close can be punished in time, short enough that our money is not locked for weeks after a force close.',
  applies: COMMITMENT_KINDS,
  params: {
    min_blocks: integer({
      summary: 'shortest to_self_delay either side may use',
      default: 144,
      min: 1,
      max: 0xffff,
      unit: 'blocks',
      reason: 'one day gives us or a watchtower time to see a revoked commitment and punish it',
      notAbove: 'max_blocks',
    }),
    max_blocks: integer({
      summary: 'longest to_self_delay either side may use',
      default: 2016,
      min: 1,
      max: 0xffff,
      unit: 'blocks',
      reason: 'two weeks is the largest delay common implementations accept; longer locks funds after a force close',
    }),
  },
  check(ctx, r, p) {
    // `holder.toSelfDelay` is the delay we impose on the counterparty, and vice versa.
    const delays = [
      ['on the counterparty', r.channel.holder.toSelfDelay],
      ['on us', r.channel.counterparty.toSelfDelay],
    ] as const;
    for (const [who, d] of delays) {
      if (d < p.min_blocks) violation(ctx, 'policy-commitment-to-self-delay-range', `to_self_delay ${who} ${d} blocks below min ${p.min_blocks}`);
      if (d > p.max_blocks) violation(ctx, 'policy-commitment-to-self-delay-range', `to_self_delay ${who} ${d} blocks above max ${p.max_blocks}`);
    }
  },
});
