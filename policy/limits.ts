// The `limits:` section: amounts several rules share, kept at the top of the file where an
// operator and an auditor look first.

import { amount, type AmountParam } from './params.js';

export const LIMITS = {
  daily: amount({
    summary: 'most that approved outgoing payments (amount plus fee budget) may total in any rolling 24 hours',
    default: 1_000_000n * 1000n,
    reason: 'bounds what a compromised node can drain in a day to 0.01 BTC until an operator raises it on purpose',
  }),
  approval_threshold: amount({
    summary: 'a payment above this (amount plus fee budget) waits for a person to approve it on the device or operator API',
    default: 100_000n * 1000n,
    reason: 'small everyday payments go through; anything larger is shown to a person first',
  }),
} as const satisfies Record<string, AmountParam>;

export type LimitKey = keyof typeof LIMITS;

/** Parsed limits, in msat. */
export type Limits = { readonly [K in LimitKey]: bigint };
