// Invoices we sign (BOLT 11). They bring money in, so these bounds catch mistakes
// (an extra zero, an invoice that outlives its purpose) rather than theft.

import { defineRule, violation } from '../rule.js';
import { amount, boolean, formatMsat, integer } from '../params.js';

// BOLT 11 encodes expiry in a variable-length field; a year is far beyond any use.
const MAX_EXPIRY = 365 * 24 * 3600;

export const invoiceAmountRange = defineRule({
  id: 'policy-invoice-amount-range',
  area: 'invoice',
  summary: 'An invoice asks for an amount inside a range; an invoice without an amount is signed only if allowed.',
  applies: ['sign-invoice'],
  params: {
    min: amount({
      summary: 'smallest amount an invoice may ask for',
      default: 1n,
      reason: 'any positive amount is a valid payment',
      notAbove: 'max',
    }),
    max: amount({
      summary: 'largest amount an invoice may ask for',
      default: 100_000_000n * 1000n,
      reason: '1 BTC catches a mistyped amount; raise it for larger sales',
    }),
    allow_any_amount: boolean({
      summary: 'whether an invoice may leave the amount to the payer',
      default: true,
      reason: 'donations and tips need it, and the payer, not we, bears any risk',
    }),
  },
  check(ctx, r, p) {
    if (r.amountMsat === null) {
      if (!p.allow_any_amount) violation(ctx, 'policy-invoice-amount-range', 'invoice without an amount, and allow_any_amount is false');
      return;
    }
    if (r.amountMsat < p.min) violation(ctx, 'policy-invoice-amount-range', `amount ${formatMsat(r.amountMsat)} below min ${formatMsat(p.min)}`);
    if (r.amountMsat > p.max) violation(ctx, 'policy-invoice-amount-range', `amount ${formatMsat(r.amountMsat)} above max ${formatMsat(p.max)}`);
  },
});

// BOLT 11 §Tagged Fields: `x` expiry, default 3600 seconds.
export const invoiceExpiryRange = defineRule({
  id: 'policy-invoice-expiry-range',
  area: 'invoice',
  summary: 'An invoice expires within a range of time.',
  applies: ['sign-invoice'],
  params: {
    min_seconds: integer({
      summary: 'shortest invoice expiry',
      default: 60,
      min: 1,
      max: MAX_EXPIRY,
      unit: 'seconds',
      reason: 'an invoice that expires sooner than a minute can hardly be paid',
      notAbove: 'max_seconds',
    }),
    max_seconds: integer({
      summary: 'longest invoice expiry',
      default: 7 * 24 * 3600,
      min: 1,
      max: MAX_EXPIRY,
      unit: 'seconds',
      reason: 'a week covers slow payers; an older invoice is more likely paid by mistake or after its price changed',
    }),
  },
  check(ctx, r, p) {
    const e = r.expirySeconds;
    if (e < p.min_seconds) violation(ctx, 'policy-invoice-expiry-range', `expiry ${e} s below min ${p.min_seconds} s`);
    if (e > p.max_seconds) violation(ctx, 'policy-invoice-expiry-range', `expiry ${e} s above max ${p.max_seconds} s`);
  },
});
