// Every rule id, in the order rules are evaluated and explained. Ids follow the VLS
// naming (`policy-<area>-<rule>`) so an auditor can look one up; a literal union means a
// misspelt id does not compile.

export const RULE_IDS = [
  // commitment numbers, revocation and channel state
  'policy-commitment-number-sequence',
  'policy-commitment-previous-revoked',
  'policy-commitment-holder-not-revoked',
  'policy-commitment-retry-same',
  'policy-commitment-not-closing',
  'policy-commitment-first-no-htlcs',
  'policy-commitment-initial-funding-value',
  'policy-commitment-balance-sum',
  // channel parameters carried by every commitment
  'policy-commitment-fee-range',
  'policy-commitment-dust-limit-range',
  'policy-commitment-reserve-range',
  'policy-commitment-to-self-delay-range',
  // HTLCs in a commitment
  'policy-commitment-htlc-count',
  'policy-commitment-htlc-amount-range',
  'policy-commitment-htlc-inflight-limit',
  'policy-commitment-htlc-cltv-range',
  'policy-commitment-htlc-routing-balance',
  'policy-commitment-deltas-only-htlc',
  // revoking our previous commitment
  'policy-revoke-new-commitment-signed',
  'policy-revoke-not-twice',
  'policy-revoke-in-order',
  'policy-revoke-not-closed',
  // outgoing payments
  'policy-commitment-payment-velocity',
  'policy-commitment-payment-approved',
  'policy-commitment-payment-invoiced',
  'policy-commitment-payment-fee-range',
  // forwarding
  'policy-forward-balanced',
  'policy-forward-incoming-committed',
  'policy-forward-cltv-delta',
  // invoices
  'policy-invoice-amount-range',
  'policy-invoice-expiry-range',
  // cooperative close
  'policy-mutual-destination-allowlisted',
  'policy-mutual-value-matches-commitment',
  'policy-mutual-no-pending-htlcs',
  'policy-mutual-fee-range',
  // sweeps after a close
  'policy-sweep-destination-allowlisted',
  'policy-sweep-fee-range',
  // wallet transactions
  'policy-onchain-no-unknown-outputs',
  'policy-onchain-no-channel-push',
  'policy-onchain-funding-max',
  'policy-onchain-fee-range',
] as const;

export type RuleId = (typeof RULE_IDS)[number];

/** The config key of a rule: its id without the `policy-` prefix (`rules.commitment-fee-range`). */
export type RuleKey = RuleId extends `policy-${infer K}` ? K : never;

export function ruleKey(id: RuleId): RuleKey {
  return id.slice('policy-'.length) as RuleKey;
}

/** Areas group rules in explanations. */
export const AREAS = {
  commitment: 'Commitment numbers, revocation and channel state',
  'channel-parameters': 'Channel parameters carried by every commitment',
  htlc: 'HTLCs inside a commitment',
  revocation: 'Revoking our previous commitment',
  payment: 'Outgoing payments',
  forward: 'Forwarding HTLCs',
  invoice: 'Invoices',
  'mutual-close': 'Cooperative close',
  sweep: 'Sweeping channel outputs after a close',
  onchain: 'On-chain wallet transactions',
} as const;

export type Area = keyof typeof AREAS;
