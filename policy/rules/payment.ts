// Outgoing payments (DESIGN invariant 7): velocity over a rolling 24 hours, a person's
// approval above a threshold, the invoice's amount and a bound on routing fees.

import { approvalNeeded, defineRule, violation } from '../rule.js';
import { amount, formatMsat, percent, percentToPpm } from '../params.js';
import { approvedInWindow } from '../state.js';
import { shortHex } from './util.js';

export const paymentVelocity = defineRule({
  id: 'policy-commitment-payment-velocity',
  area: 'payment',
  summary:
    'Approved outgoing payments (amount plus fee budget) total at most the daily limit over any rolling 24 hours; a person\'s approval does not lift this limit.',
  applies: ['approve-payment'],
  params: {},
  limits: ['daily'],
  check(ctx, r) {
    if (r.amountMsat <= 0n || r.feeBudgetMsat < 0n) {
      violation(ctx, 'policy-commitment-payment-velocity',
        `amount ${formatMsat(r.amountMsat)} must be positive and fee budget ${formatMsat(r.feeBudgetMsat)} not negative`);
      return;
    }
    const daily = ctx.config.limits.daily;
    const total = r.amountMsat + r.feeBudgetMsat;
    const before = approvedInWindow(ctx.state, ctx.now);
    if (before + total > daily) {
      violation(ctx, 'policy-commitment-payment-velocity',
        `payment of ${formatMsat(total)} on top of ${formatMsat(before)} approved in the last 24 h is above the daily limit ${formatMsat(daily)}`);
    }
  },
});

export const paymentApproved = defineRule({
  id: 'policy-commitment-payment-approved',
  area: 'payment',
  summary: 'A payment above the approval threshold (amount plus fee budget) goes out only once a person approved it on the device or the operator API.',
  applies: ['approve-payment'],
  params: {},
  limits: ['approval_threshold'],
  check(ctx, r) {
    const threshold = ctx.config.limits.approval_threshold;
    const total = r.amountMsat + r.feeBudgetMsat;
    if (total > threshold && r.approvedBy === null) {
      approvalNeeded(ctx, 'policy-commitment-payment-approved',
        `payment of ${formatMsat(total)} is above the approval threshold ${formatMsat(threshold)}`,
        `Pay ${formatMsat(r.amountMsat)} + up to ${formatMsat(r.feeBudgetMsat)} fees to node ${shortHex(r.destination)}? (hash ${shortHex(r.paymentHash)})`);
    }
  },
});

// BOLT 11 §Requirements: a payer pays the amount the invoice asks.
export const paymentInvoiced = defineRule({
  id: 'policy-commitment-payment-invoiced',
  area: 'payment',
  summary: 'A payment never sends more than the amount its invoice asks for.',
  applies: ['approve-payment'],
  params: {},
  check(ctx, r) {
    if (r.invoiceAmountMsat !== null && r.amountMsat > r.invoiceAmountMsat) {
      violation(ctx, 'policy-commitment-payment-invoiced',
        `sending ${formatMsat(r.amountMsat)} for an invoice of ${formatMsat(r.invoiceAmountMsat)}`);
    }
  },
});

export const paymentFeeRange = defineRule({
  id: 'policy-commitment-payment-fee-range',
  area: 'payment',
  summary: 'The routing fee budget of a payment is at most a base amount plus a percentage of the amount.',
  applies: ['approve-payment'],
  params: {
    max_fee_base: amount({
      summary: 'routing fee any payment may spend regardless of its size',
      default: 100n * 1000n,
      reason: 'small payments often need a few sat of fees; 100 sat lets them route without a percentage cap biting',
    }),
    max_fee_percent: percent({
      summary: 'routing fee a payment may spend on top of the base, as a share of the amount',
      default: 1,
      reason: 'typical routes cost well under 1%; a larger budget would let a compromised node leak value as fees',
    }),
  },
  check(ctx, r, p) {
    const max = p.max_fee_base + (r.amountMsat * percentToPpm(p.max_fee_percent)) / 1_000_000n;
    if (r.feeBudgetMsat < 0n) {
      violation(ctx, 'policy-commitment-payment-fee-range', `fee budget ${formatMsat(r.feeBudgetMsat)} is negative`);
    } else if (r.feeBudgetMsat > max) {
      violation(ctx, 'policy-commitment-payment-fee-range',
        `fee budget ${formatMsat(r.feeBudgetMsat)} above max ${formatMsat(max)} (${formatMsat(p.max_fee_base)} + ${p.max_fee_percent}% of ${formatMsat(r.amountMsat)})`);
    }
  },
});
