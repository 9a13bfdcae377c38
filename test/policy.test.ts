// The policy engine driven directly: for every rule one request it allows and one it
// refuses (naming the rule), warn mode, velocity window edges, the approval threshold,
// and failing closed.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  EMPTY_POLICY_STATE,
  RULES,
  RULES_BY_ID,
  RULE_IDS,
  VELOCITY_WINDOW_MS,
  approvedInWindow,
  defaultPolicyConfig,
  describeDecision,
  evaluate,
  explainPolicy,
  loadPolicyConfig,
  type ApprovePayment,
  type ChannelFacts,
  type Decision,
  type ForwardHtlc,
  type HtlcFact,
  type PolicyConfig,
  type PolicyRequest,
  type PolicyState,
  type RevokeHolderCommitment,
  type RuleId,
  type SignCounterpartyCommitment,
  type SignInvoice,
  type SignMutualClose,
  type SignOnchain,
  type SignSweep,
  type ValidateHolderCommitment,
} from '../policy/index.js';

// --- fixtures ------------------------------------------------------------------------

const NOW = Date.UTC(2025, 0, 1, 12, 0, 0);
const HEIGHT = 800_000;
const HASH_A = 'aa'.repeat(32);
const HASH_B = 'bb'.repeat(32);
const CHANNEL_ID = '11'.repeat(32);
const OTHER_CHANNEL = '22'.repeat(32);
const NODE = '02' + 'cd'.repeat(32);
const SAT = 1000n; // msat per sat

const CONFIG = defaultPolicyConfig('regtest');

function channel(over: Partial<ChannelFacts> = {}): ChannelFacts {
  return {
    channelId: CHANNEL_ID,
    channelType: 'anchors',
    capacitySat: 1_000_000n,
    weFunded: true,
    pushMsat: 0n,
    holder: { toSelfDelay: 144, dustLimitSat: 354n, channelReserveSat: 10_000n, maxAcceptedHtlcs: 30, htlcMinimumMsat: 1000n },
    counterparty: { toSelfDelay: 144, dustLimitSat: 546n, channelReserveSat: 10_000n, maxAcceptedHtlcs: 30, htlcMinimumMsat: 1000n },
    ...over,
  };
}

function htlc(direction: 'offered' | 'received', amountSat: bigint, hash = HASH_A, cltvExpiry = HEIGHT + 100): HtlcFact {
  return { direction, amountMsat: amountSat * SAT, paymentHash: hash, cltvExpiry };
}

/** Counterparty commitment 5 of a 1,000,000 sat channel: 600k ours, 400k theirs, no HTLCs, unchanged. */
function counterpartyCommitment(over: Partial<SignCounterpartyCommitment> = {}): SignCounterpartyCommitment {
  return {
    kind: 'sign-counterparty-commitment',
    channel: channel(),
    commitmentNumber: 5,
    nextCounterpartyCommitmentNumber: 5,
    highestRevokedCounterpartyCommitment: 3,
    feeratePerKw: 1000,
    toHolderMsat: 600_000n * SAT,
    toCounterpartyMsat: 400_000n * SAT,
    htlcs: [],
    previous: { toHolderMsat: 600_000n * SAT, toCounterpartyMsat: 400_000n * SAT, htlcs: [] },
    blockHeight: HEIGHT,
    channelClosing: false,
    sameNumberSeen: 'never',
    ...over,
  };
}

/** The first commitment of a channel we funded with 1,000,000 sat. */
function firstCommitment(over: Partial<SignCounterpartyCommitment> = {}): SignCounterpartyCommitment {
  return counterpartyCommitment({
    commitmentNumber: 0,
    nextCounterpartyCommitmentNumber: 0,
    highestRevokedCounterpartyCommitment: null,
    toHolderMsat: 1_000_000n * SAT,
    toCounterpartyMsat: 0n,
    previous: null,
    ...over,
  });
}

/** A commitment that adds `added` (received HTLCs come out of their balance, offered out of ours). */
function withNewHtlcs(added: HtlcFact[], over: Partial<SignCounterpartyCommitment> = {}): SignCounterpartyCommitment {
  const offered = added.filter((h) => h.direction === 'offered').reduce((s, h) => s + h.amountMsat, 0n);
  const received = added.filter((h) => h.direction === 'received').reduce((s, h) => s + h.amountMsat, 0n);
  return counterpartyCommitment({
    toHolderMsat: 600_000n * SAT - offered,
    toCounterpartyMsat: 400_000n * SAT - received,
    htlcs: added,
    ...over,
  });
}

/** A commitment where `existing` HTLCs were already in the previous one. */
function withExistingHtlcs(existing: HtlcFact[], over: Partial<SignCounterpartyCommitment> = {}): SignCounterpartyCommitment {
  const c = withNewHtlcs(existing);
  return counterpartyCommitment({ ...c, previous: { toHolderMsat: c.toHolderMsat, toCounterpartyMsat: c.toCounterpartyMsat, htlcs: existing }, ...over });
}

function holderCommitment(over: Partial<ValidateHolderCommitment> = {}): ValidateHolderCommitment {
  const { kind: _k, nextCounterpartyCommitmentNumber: _n, highestRevokedCounterpartyCommitment: _r, ...facts } = counterpartyCommitment();
  return { kind: 'validate-holder-commitment', ...facts, nextHolderCommitmentNumber: 5, highestRevokedHolderCommitment: 3, ...over };
}

function revoke(over: Partial<RevokeHolderCommitment> = {}): RevokeHolderCommitment {
  return { kind: 'revoke-holder-commitment', channelId: CHANNEL_ID, commitmentNumber: 4, nextHolderCommitmentNumber: 6, highestRevokedHolderCommitment: 3, channelClosing: false, ...over };
}

function payment(over: Partial<ApprovePayment> = {}): ApprovePayment {
  return {
    kind: 'approve-payment',
    paymentHash: HASH_B,
    amountMsat: 50_000n * SAT,
    feeBudgetMsat: 500n * SAT,
    destination: NODE,
    invoiceAmountMsat: 50_000n * SAT,
    approvedBy: null,
    ...over,
  };
}

function forward(over: { incoming?: Partial<ForwardHtlc['incoming']>; outgoing?: Partial<ForwardHtlc['outgoing']> } = {}): ForwardHtlc {
  return {
    kind: 'forward-htlc',
    incoming: { channelId: OTHER_CHANNEL, htlcId: 7n, amountMsat: 100_100n * SAT, paymentHash: HASH_A, cltvExpiry: HEIGHT + 140, irrevocablyCommitted: true, ...over.incoming },
    outgoing: { channelId: CHANNEL_ID, amountMsat: 100_000n * SAT, paymentHash: HASH_A, cltvExpiry: HEIGHT + 100, ...over.outgoing },
  };
}

function invoice(over: Partial<SignInvoice> = {}): SignInvoice {
  return { kind: 'sign-invoice', paymentHash: HASH_B, amountMsat: 10_000n * SAT, expirySeconds: 3600, description: 'coffee', ...over };
}

/** Cooperative close of the 600k/400k channel: we pay a 1000 sat fee, 700 wu. */
function mutualClose(over: Partial<SignMutualClose> = {}): SignMutualClose {
  return {
    kind: 'sign-mutual-close',
    channel: channel(),
    outputs: [
      { side: 'holder', amountSat: 599_000n, destination: 'own-wallet', address: 'bcrt1q-ours' },
      { side: 'counterparty', amountSat: 400_000n, destination: 'unknown', address: 'bcrt1q-theirs' },
    ],
    feeSat: 1000n,
    weight: 700,
    feePayer: 'holder',
    lastBalances: { toHolderMsat: 600_000n * SAT, toCounterpartyMsat: 400_000n * SAT, htlcs: [] },
    ...over,
  };
}

function sweep(over: Partial<SignSweep> = {}): SignSweep {
  return {
    kind: 'sign-sweep',
    channelId: CHANNEL_ID,
    inputs: [{ kind: 'to-local-delayed', amountSat: 100_000n }],
    outputs: [{ amountSat: 99_500n, destination: 'own-wallet', address: 'bcrt1q-ours' }],
    weight: 500,
    ...over,
  };
}

function onchain(over: Partial<SignOnchain> = {}): SignOnchain {
  return {
    kind: 'sign-onchain',
    purpose: 'funding',
    inputs: [{ amountSat: 200_000n }],
    outputs: [
      { destination: 'channel-funding', amountSat: 150_000n, address: 'bcrt1q-funding', channelId: CHANNEL_ID, pushMsat: 0n },
      { destination: 'own-wallet', amountSat: 49_000n, address: 'bcrt1q-change' },
    ],
    weight: 800,
    ...over,
  };
}

function state(over: Partial<PolicyState> = {}): PolicyState {
  return { ...EMPTY_POLICY_STATE, ...over };
}

function withRule(yaml: string): PolicyConfig {
  return loadPolicyConfig(`network: regtest\n${yaml}`);
}

// --- one allowed and one refused request per rule ------------------------------------

interface Scenario {
  readonly request: PolicyRequest;
  readonly state?: PolicyState;
  readonly config?: PolicyConfig;
}

interface RuleCase {
  readonly allow: Scenario;
  readonly refuse: Scenario;
  /** The refusal is a request for approval rather than a violation. */
  readonly approval?: boolean;
}

const forwardA = { incomingChannelId: OTHER_CHANNEL, incomingHtlcId: 1n, paymentHash: HASH_A, incomingMsat: 50_010n * SAT, outgoingMsat: 50_000n * SAT };

const CASES: Record<RuleId, RuleCase> = {
  'policy-commitment-number-sequence': {
    allow: { request: counterpartyCommitment() },
    refuse: { request: counterpartyCommitment({ commitmentNumber: 7, highestRevokedCounterpartyCommitment: 5 }) },
  },
  'policy-commitment-previous-revoked': {
    allow: { request: counterpartyCommitment({ highestRevokedCounterpartyCommitment: 3 }) },
    refuse: { request: counterpartyCommitment({ highestRevokedCounterpartyCommitment: 2 }) },
  },
  'policy-commitment-holder-not-revoked': {
    allow: { request: { kind: 'sign-holder-commitment-for-broadcast', channelId: CHANNEL_ID, commitmentNumber: 4, highestRevokedHolderCommitment: 3 } },
    refuse: { request: { kind: 'sign-holder-commitment-for-broadcast', channelId: CHANNEL_ID, commitmentNumber: 3, highestRevokedHolderCommitment: 3 } },
  },
  'policy-commitment-retry-same': {
    allow: { request: counterpartyCommitment({ commitmentNumber: 4, sameNumberSeen: 'identical' }) },
    refuse: { request: counterpartyCommitment({ commitmentNumber: 4, sameNumberSeen: 'different' }) },
  },
  'policy-commitment-not-closing': {
    allow: { request: counterpartyCommitment({ commitmentNumber: 4, sameNumberSeen: 'identical', channelClosing: true }) },
    refuse: { request: counterpartyCommitment({ channelClosing: true }) },
  },
  'policy-commitment-first-no-htlcs': {
    allow: { request: firstCommitment() },
    refuse: {
      request: firstCommitment({
        channel: channel({ weFunded: false }),
        toHolderMsat: 0n,
        toCounterpartyMsat: 999_000n * SAT,
        htlcs: [htlc('received', 1000n)],
      }),
    },
  },
  'policy-commitment-initial-funding-value': {
    allow: { request: firstCommitment() },
    refuse: { request: firstCommitment({ toHolderMsat: 900_000n * SAT, toCounterpartyMsat: 100_000n * SAT }) },
  },
  'policy-commitment-balance-sum': {
    allow: { request: counterpartyCommitment() },
    refuse: { request: counterpartyCommitment({ toCounterpartyMsat: 300_000n * SAT }) },
  },
  'policy-commitment-fee-range': {
    allow: { request: counterpartyCommitment({ feeratePerKw: 253 }) },
    refuse: { request: counterpartyCommitment({ feeratePerKw: 50_001 }) },
  },
  'policy-commitment-dust-limit-range': {
    allow: { request: counterpartyCommitment({ channel: channel({ counterparty: { ...channel().counterparty, dustLimitSat: 354n } }) }) },
    refuse: { request: counterpartyCommitment({ channel: channel({ counterparty: { ...channel().counterparty, dustLimitSat: 353n } }) }) },
  },
  'policy-commitment-reserve-range': {
    allow: { request: counterpartyCommitment({ channel: channel({ counterparty: { ...channel().counterparty, channelReserveSat: 50_000n } }) }) },
    refuse: { request: counterpartyCommitment({ channel: channel({ counterparty: { ...channel().counterparty, channelReserveSat: 50_001n } }) }) },
  },
  'policy-commitment-to-self-delay-range': {
    allow: { request: counterpartyCommitment({ channel: channel({ holder: { ...channel().holder, toSelfDelay: 2016 } }) }) },
    refuse: { request: counterpartyCommitment({ channel: channel({ holder: { ...channel().holder, toSelfDelay: 143 } }) }) },
  },
  'policy-commitment-htlc-count': {
    allow: { request: withExistingHtlcs([htlc('received', 1000n)], { channel: channel({ holder: { ...channel().holder, maxAcceptedHtlcs: 1 } }) }) },
    refuse: {
      request: withExistingHtlcs([htlc('received', 1000n), htlc('received', 2000n, HASH_B)], {
        channel: channel({ holder: { ...channel().holder, maxAcceptedHtlcs: 1 } }),
      }),
    },
  },
  'policy-commitment-htlc-amount-range': {
    allow: { request: withExistingHtlcs([{ ...htlc('received', 0n), amountMsat: 1000n }]) },
    refuse: { request: withExistingHtlcs([{ ...htlc('received', 0n), amountMsat: 999n }]) },
  },
  'policy-commitment-htlc-inflight-limit': {
    allow: { request: withExistingHtlcs([htlc('received', 1000n), htlc('received', 1000n, HASH_B)]), config: withRule('rules:\n  commitment-htlc-inflight-limit:\n    max_in_flight: 2000 sat\n') },
    refuse: { request: withExistingHtlcs([htlc('received', 1000n), htlc('received', 1001n, HASH_B)]), config: withRule('rules:\n  commitment-htlc-inflight-limit:\n    max_in_flight: 2000 sat\n') },
  },
  'policy-commitment-htlc-cltv-range': {
    allow: { request: withNewHtlcs([htlc('received', 5000n, HASH_A, HEIGHT + 9)]) },
    refuse: { request: withNewHtlcs([htlc('received', 5000n, HASH_A, HEIGHT + 8)]) },
  },
  'policy-commitment-htlc-routing-balance': {
    allow: { request: withNewHtlcs([htlc('offered', 50_000n)]), state: state({ forwards: [forwardA] }) },
    refuse: { request: withNewHtlcs([htlc('offered', 50_000n)]) },
  },
  'policy-commitment-deltas-only-htlc': {
    // An offered HTLC of 10k was fulfilled: our value falls by exactly that.
    allow: {
      request: counterpartyCommitment({
        toHolderMsat: 590_000n * SAT,
        toCounterpartyMsat: 410_000n * SAT,
        previous: { toHolderMsat: 590_000n * SAT, toCounterpartyMsat: 400_000n * SAT, htlcs: [htlc('offered', 10_000n)] },
      }),
    },
    refuse: { request: counterpartyCommitment({ toHolderMsat: 590_000n * SAT, toCounterpartyMsat: 410_000n * SAT }) },
  },
  'policy-revoke-new-commitment-signed': {
    allow: { request: revoke() },
    refuse: { request: revoke({ nextHolderCommitmentNumber: 5 }) },
  },
  'policy-revoke-not-twice': {
    allow: { request: revoke() },
    refuse: { request: revoke({ commitmentNumber: 3 }) },
  },
  'policy-revoke-in-order': {
    allow: { request: revoke() },
    refuse: { request: revoke({ commitmentNumber: 5, nextHolderCommitmentNumber: 7 }) },
  },
  'policy-revoke-not-closed': {
    allow: { request: revoke() },
    refuse: { request: revoke({ channelClosing: true }) },
  },
  'policy-commitment-payment-velocity': {
    // 949,500 already + 50,500 = exactly the 1,000,000 sat daily limit.
    allow: { request: payment(), state: state({ approvedPayments: [{ paymentHash: HASH_A, amountMsat: 949_500n * SAT, approvedAt: NOW - 1000 }] }) },
    refuse: { request: payment(), state: state({ approvedPayments: [{ paymentHash: HASH_A, amountMsat: 949_501n * SAT, approvedAt: NOW - 1000 }] }) },
  },
  'policy-commitment-payment-approved': {
    // 99,000 + 1,000 fee = exactly the 100,000 sat threshold.
    allow: { request: payment({ amountMsat: 99_000n * SAT, feeBudgetMsat: 1000n * SAT, invoiceAmountMsat: 99_000n * SAT }) },
    refuse: { request: payment({ amountMsat: 99_000n * SAT, feeBudgetMsat: 1000n * SAT + 1n, invoiceAmountMsat: 99_000n * SAT }) },
    approval: true,
  },
  'policy-commitment-payment-invoiced': {
    allow: { request: payment({ invoiceAmountMsat: null }) },
    refuse: { request: payment({ amountMsat: 50_000n * SAT + 1n }) },
  },
  'policy-commitment-payment-fee-range': {
    // max = 100 sat + 1% of 50,000 sat = 600 sat
    allow: { request: payment({ feeBudgetMsat: 600n * SAT }) },
    refuse: { request: payment({ feeBudgetMsat: 600n * SAT + 1n }) },
  },
  'policy-forward-balanced': {
    allow: { request: forward({ outgoing: { amountMsat: 100_100n * SAT } }) },
    refuse: { request: forward({ outgoing: { amountMsat: 100_100n * SAT + 1n } }) },
  },
  'policy-forward-incoming-committed': {
    allow: { request: forward() },
    refuse: { request: forward({ incoming: { irrevocablyCommitted: false } }) },
  },
  'policy-forward-cltv-delta': {
    allow: { request: forward({ outgoing: { cltvExpiry: HEIGHT + 106 } }) },
    refuse: { request: forward({ outgoing: { cltvExpiry: HEIGHT + 107 } }) },
  },
  'policy-invoice-amount-range': {
    allow: { request: invoice({ amountMsat: 100_000_000n * SAT }) },
    refuse: { request: invoice({ amountMsat: 100_000_000n * SAT + 1n }) },
  },
  'policy-invoice-expiry-range': {
    allow: { request: invoice({ expirySeconds: 60 }) },
    refuse: { request: invoice({ expirySeconds: 59 }) },
  },
  'policy-mutual-destination-allowlisted': {
    allow: { request: mutualClose({ outputs: [{ ...mutualClose().outputs[0]!, destination: 'allowlisted' }, mutualClose().outputs[1]!] }) },
    refuse: { request: mutualClose({ outputs: [{ ...mutualClose().outputs[0]!, destination: 'unknown' }, mutualClose().outputs[1]!] }) },
  },
  'policy-mutual-value-matches-commitment': {
    allow: { request: mutualClose() },
    // Our output one sat short; the sat went to their output, fee unchanged.
    refuse: {
      request: mutualClose({
        outputs: [
          { ...mutualClose().outputs[0]!, amountSat: 598_999n },
          { ...mutualClose().outputs[1]!, amountSat: 400_001n },
        ],
      }),
    },
  },
  'policy-mutual-no-pending-htlcs': {
    allow: { request: mutualClose() },
    refuse: {
      request: mutualClose({ lastBalances: { toHolderMsat: 600_000n * SAT, toCounterpartyMsat: 399_000n * SAT, htlcs: [htlc('received', 1000n)] } }),
    },
  },
  'policy-mutual-fee-range': {
    allow: { request: mutualClose() },
    // 100,000 sat over 700 wu is 142,858 sat/kw.
    refuse: {
      request: mutualClose({
        feeSat: 100_000n,
        outputs: [{ ...mutualClose().outputs[0]!, amountSat: 500_000n }, mutualClose().outputs[1]!],
      }),
    },
  },
  'policy-sweep-destination-allowlisted': {
    allow: { request: sweep({ outputs: [{ amountSat: 99_500n, destination: 'allowlisted', address: 'bcrt1q-cold' }] }) },
    refuse: { request: sweep({ outputs: [{ amountSat: 99_500n, destination: 'unknown', address: 'bcrt1q-thief' }] }) },
  },
  'policy-sweep-fee-range': {
    // 500 wu: 127 sat fee is 254 sat/kw, 126 sat is 252 sat/kw.
    allow: { request: sweep({ outputs: [{ amountSat: 100_000n - 127n, destination: 'own-wallet', address: 'bcrt1q-ours' }] }) },
    refuse: { request: sweep({ outputs: [{ amountSat: 100_000n - 126n, destination: 'own-wallet', address: 'bcrt1q-ours' }] }) },
  },
  'policy-onchain-no-unknown-outputs': {
    allow: { request: onchain() },
    refuse: { request: onchain({ outputs: [onchain().outputs[0]!, { destination: 'unknown', amountSat: 49_000n, address: 'bcrt1q-thief' }] }) },
  },
  'policy-onchain-no-channel-push': {
    allow: { request: onchain() },
    refuse: { request: onchain({ outputs: [{ ...(onchain().outputs[0] as Extract<SignOnchain['outputs'][number], { destination: 'channel-funding' }>), pushMsat: 1n }, onchain().outputs[1]!] }) },
  },
  'policy-onchain-funding-max': {
    allow: {
      request: onchain({
        inputs: [{ amountSat: 20_000_000n }],
        outputs: [
          { destination: 'channel-funding', amountSat: 16_777_215n, address: 'bcrt1q-funding', channelId: CHANNEL_ID, pushMsat: 0n },
          { destination: 'own-wallet', amountSat: 20_000_000n - 16_777_215n - 1000n, address: 'bcrt1q-change' },
        ],
      }),
    },
    refuse: {
      request: onchain({
        inputs: [{ amountSat: 20_000_000n }],
        outputs: [
          { destination: 'channel-funding', amountSat: 16_777_216n, address: 'bcrt1q-funding', channelId: CHANNEL_ID, pushMsat: 0n },
          { destination: 'own-wallet', amountSat: 20_000_000n - 16_777_216n - 1000n, address: 'bcrt1q-change' },
        ],
      }),
    },
  },
  'policy-onchain-fee-range': {
    // 10,000 wu at 25,000 sat/kw is a 250,000 sat fee: exactly the cap.
    allow: { request: onchain({ inputs: [{ amountSat: 449_000n }], weight: 10_000, outputs: [onchain().outputs[0]!, { destination: 'own-wallet', amountSat: 49_000n, address: 'bcrt1q-change' }] }) },
    refuse: { request: onchain({ inputs: [{ amountSat: 449_001n }], weight: 10_000, outputs: [onchain().outputs[0]!, { destination: 'own-wallet', amountSat: 49_000n, address: 'bcrt1q-change' }] }) },
  },
};

function run(s: Scenario): Decision {
  return evaluate(s.request, s.state ?? EMPTY_POLICY_STATE, s.config ?? CONFIG, NOW);
}

function ids(findings: readonly { id: RuleId }[]): RuleId[] {
  return [...new Set(findings.map((f) => f.id))];
}

test('every rule id has exactly one registry entry and one allow/refuse case', () => {
  assert.deepEqual(RULES.map((r) => r.id), [...RULE_IDS]);
  for (const [key, rule] of Object.entries(RULES_BY_ID)) assert.equal(rule.id, key);
  assert.deepEqual(Object.keys(CASES).sort(), [...RULE_IDS].sort());
  console.log(`policy rules: ${RULE_IDS.length} cases`);
});

for (const id of RULE_IDS) {
  const c = CASES[id];
  test(`${id}: allows a request inside the rule`, () => {
    const d = run(c.allow);
    assert.ok(d.rulesEvaluated.includes(id), `${id} was not evaluated for ${c.allow.request.kind}`);
    assert.deepEqual(d.violations, [], describeDecision(d));
    assert.equal(d.needsApproval, undefined);
    assert.equal(d.allowed, true);
  });
  test(`${id}: refuses a request that breaks it, naming the rule`, () => {
    const d = run(c.refuse);
    assert.equal(d.allowed, false);
    if (c.approval) {
      assert.deepEqual(d.violations, []);
      assert.equal(d.needsApproval?.id, id);
    } else {
      // Only this rule is broken, so the case proves this rule and no other refuses it.
      assert.deepEqual(ids(d.violations), [id], describeDecision(d));
      assert.ok(d.violations.every((v) => v.detail.length > 0));
    }
  });
}

// --- details and edges ---------------------------------------------------------------

test('violation details name the numbers that broke the rule', () => {
  const d = run({ request: counterpartyCommitment({ feeratePerKw: 90_000 }) });
  assert.deepEqual(d.violations, [{ id: 'policy-commitment-fee-range', detail: 'feerate 90000 sat/kw above max 50000' }]);
  const low = run({ request: counterpartyCommitment({ feeratePerKw: 252 }) });
  assert.deepEqual(low.violations, [{ id: 'policy-commitment-fee-range', detail: 'feerate 252 sat/kw below min 253' }]);
});

test('a refused request reports every broken rule, not just the first', () => {
  const d = run({ request: counterpartyCommitment({ feeratePerKw: 90_000, highestRevokedCounterpartyCommitment: 1, sameNumberSeen: 'different', commitmentNumber: 4 }) });
  assert.deepEqual(ids(d.violations).sort(), ['policy-commitment-fee-range', 'policy-commitment-previous-revoked', 'policy-commitment-retry-same'].sort());
});

test('warn mode turns a refusal into a warning and the request is allowed', () => {
  const config = withRule('rules:\n  commitment-fee-range:\n    mode: warn\n');
  const d = evaluate(counterpartyCommitment({ feeratePerKw: 90_000 }), EMPTY_POLICY_STATE, config, NOW);
  assert.equal(d.allowed, true);
  assert.deepEqual(d.violations, []);
  assert.deepEqual(d.warnings, [{ id: 'policy-commitment-fee-range', detail: 'feerate 90000 sat/kw above max 50000' }]);
  // Other rules stay enforced.
  const other = evaluate(counterpartyCommitment({ feeratePerKw: 90_000, highestRevokedCounterpartyCommitment: 1 }), EMPTY_POLICY_STATE, config, NOW);
  assert.equal(other.allowed, false);
  assert.deepEqual(ids(other.violations), ['policy-commitment-previous-revoked']);
  assert.deepEqual(ids(other.warnings), ['policy-commitment-fee-range']);
});

test('warn mode on the approval rule reports instead of asking for approval', () => {
  const config = withRule('rules:\n  commitment-payment-approved:\n    mode: warn\n');
  const d = evaluate(payment({ amountMsat: 200_000n * SAT, invoiceAmountMsat: null, feeBudgetMsat: 2000n * SAT }), EMPTY_POLICY_STATE, config, NOW);
  assert.equal(d.allowed, true);
  assert.equal(d.needsApproval, undefined);
  assert.deepEqual(ids(d.warnings), ['policy-commitment-payment-approved']);
});

test('approval threshold: above it the decision waits for a person, with a text for the device screen', () => {
  const req = payment({ amountMsat: 150_000n * SAT, feeBudgetMsat: 1000n * SAT, invoiceAmountMsat: 150_000n * SAT });
  const d = run({ request: req });
  assert.equal(d.allowed, false);
  assert.deepEqual(d.violations, []);
  assert.ok(d.needsApproval);
  assert.equal(d.needsApproval.id, 'policy-commitment-payment-approved');
  assert.match(d.needsApproval.reason, /151000 sat is above the approval threshold 100000 sat/);
  assert.match(d.needsApproval.text, /^Pay 150000 sat \+ up to 1000 sat fees to node 02cdcdcd…cdcd\?/);
  assert.match(describeDecision(d), /waiting for approval/);
  // Approved on the device: allowed.
  for (const by of ['device', 'operator'] as const) {
    const ok = run({ request: { ...req, approvedBy: by } });
    assert.equal(ok.allowed, true);
    assert.equal(ok.needsApproval, undefined);
  }
});

test('approval does not lift the velocity limit', () => {
  const req = payment({ amountMsat: 1_000_000n * SAT, feeBudgetMsat: 1n, invoiceAmountMsat: null, approvedBy: 'device' });
  const d = run({ request: req });
  assert.equal(d.allowed, false);
  assert.deepEqual(ids(d.violations), ['policy-commitment-payment-velocity']);
});

test('velocity window: a payment exactly 24 h old has left the window, 1 ms younger still counts', () => {
  const old = (age: number) => state({ approvedPayments: [{ paymentHash: HASH_A, amountMsat: 960_000n * SAT, approvedAt: NOW - age }] });
  assert.equal(approvedInWindow(old(VELOCITY_WINDOW_MS), NOW), 0n);
  assert.equal(approvedInWindow(old(VELOCITY_WINDOW_MS - 1), NOW), 960_000n * SAT);
  assert.equal(approvedInWindow(old(0), NOW), 960_000n * SAT);
  // A record stamped in the future (clock stepped back) still counts.
  assert.equal(approvedInWindow(old(-60_000), NOW), 960_000n * SAT);

  assert.equal(run({ request: payment(), state: old(VELOCITY_WINDOW_MS) }).allowed, true);
  const inside = run({ request: payment(), state: old(VELOCITY_WINDOW_MS - 1) });
  assert.deepEqual(ids(inside.violations), ['policy-commitment-payment-velocity']);
  assert.match(inside.violations[0]!.detail, /50500 sat on top of 960000 sat approved in the last 24 h is above the daily limit 1000000 sat/);
});

test('velocity window sums several payments and ignores the expired ones', () => {
  const s = state({
    approvedPayments: [
      { paymentHash: HASH_A, amountMsat: 500_000n * SAT, approvedAt: NOW - VELOCITY_WINDOW_MS - 5 },
      { paymentHash: HASH_A, amountMsat: 400_000n * SAT, approvedAt: NOW - 3_600_000 },
      { paymentHash: HASH_B, amountMsat: 549_500n * SAT, approvedAt: NOW - 60_000 },
    ],
  });
  assert.equal(approvedInWindow(s, NOW), 949_500n * SAT);
  assert.equal(run({ request: payment(), state: s }).allowed, true); // 949,500 + 50,500 = limit
  assert.equal(run({ request: payment({ feeBudgetMsat: 500n * SAT + 1n }), state: s }).allowed, false);
  // 23 h later the 400,000 sat payment is exactly 24 h old and leaves the window; 1 ms earlier it is in.
  const bigger = payment({ amountMsat: 60_000n * SAT, invoiceAmountMsat: null });
  assert.equal(evaluate(bigger, s, CONFIG, NOW + 23 * 3_600_000 - 1).allowed, false);
  assert.equal(evaluate(bigger, s, CONFIG, NOW + 23 * 3_600_000).allowed, true);
});

test('velocity limit comes from limits.daily in the file', () => {
  const config = withRule('limits:\n  daily: 50500 sat\n');
  assert.equal(evaluate(payment(), EMPTY_POLICY_STATE, config, NOW).allowed, true);
  assert.equal(evaluate(payment({ feeBudgetMsat: 500n * SAT + 1n }), EMPTY_POLICY_STATE, config, NOW).allowed, false);
});

test('routing balance counts the same hash offered on other channels', () => {
  const req = withNewHtlcs([htlc('offered', 30_000n)]);
  const covered = state({ forwards: [forwardA] }); // 50,000 sat allowed out
  assert.equal(run({ request: req, state: covered }).allowed, true);
  const busy = state({ forwards: [forwardA], offeredHtlcs: [{ channelId: OTHER_CHANNEL, paymentHash: HASH_A, amountMsat: 20_001n * SAT }] });
  const d = run({ request: req, state: busy });
  assert.deepEqual(ids(d.violations), ['policy-commitment-htlc-routing-balance']);
  // The channel's own earlier records are not counted twice.
  const self = state({ forwards: [forwardA], offeredHtlcs: [{ channelId: CHANNEL_ID, paymentHash: HASH_A, amountMsat: 30_000n * SAT }] });
  assert.equal(run({ request: req, state: self }).allowed, true);
});

test('routing balance accepts an offered HTLC covered by an approved payment', () => {
  const req = withNewHtlcs([htlc('offered', 50_500n, HASH_B)]);
  const s = state({ approvedPayments: [{ paymentHash: HASH_B, amountMsat: 50_500n * SAT, approvedAt: NOW - 1000 }] });
  assert.equal(run({ request: req, state: s }).allowed, true);
  const over = withNewHtlcs([htlc('offered', 50_501n, HASH_B)]);
  assert.deepEqual(ids(run({ request: over, state: s }).violations), ['policy-commitment-htlc-routing-balance']);
});

test('holder commitments get the same commitment checks and their own number discipline', () => {
  assert.equal(run({ request: holderCommitment() }).allowed, true);
  assert.deepEqual(ids(run({ request: holderCommitment({ commitmentNumber: 7 }) }).violations), ['policy-commitment-number-sequence']);
  // Accepting signatures again for a commitment already revoked.
  const revoked = run({ request: holderCommitment({ commitmentNumber: 4, nextHolderCommitmentNumber: 5, highestRevokedHolderCommitment: 4, sameNumberSeen: 'identical' }) });
  assert.deepEqual(ids(revoked.violations), ['policy-commitment-holder-not-revoked']);
  // Value moved to the counterparty without an HTLC, seen on our own commitment.
  const moved = run({ request: holderCommitment({ toHolderMsat: 500_000n * SAT, toCounterpartyMsat: 500_000n * SAT }) });
  assert.deepEqual(ids(moved.violations), ['policy-commitment-deltas-only-htlc']);
});

test('commitment numbers 0 and 1 need no revocation; 2 needs 0 revoked', () => {
  assert.equal(run({ request: firstCommitment() }).allowed, true);
  const one = counterpartyCommitment({ commitmentNumber: 1, nextCounterpartyCommitmentNumber: 1, highestRevokedCounterpartyCommitment: null });
  assert.equal(run({ request: one }).allowed, true);
  const two = counterpartyCommitment({ commitmentNumber: 2, nextCounterpartyCommitmentNumber: 2, highestRevokedCounterpartyCommitment: null });
  assert.deepEqual(ids(run({ request: two }).violations), ['policy-commitment-previous-revoked']);
  assert.equal(run({ request: { ...two, highestRevokedCounterpartyCommitment: 0 } }).allowed, true);
});

test('HTLC expiry is checked only for HTLCs new in this commitment', () => {
  const nearExpiry = htlc('received', 5000n, HASH_A, HEIGHT + 2);
  assert.equal(run({ request: withExistingHtlcs([nearExpiry]) }).allowed, true);
  const d = run({ request: withNewHtlcs([nearExpiry]) });
  assert.deepEqual(ids(d.violations), ['policy-commitment-htlc-cltv-range']);
  assert.match(d.violations[0]!.detail, /expiry 800002 before min 800009 \(height 800000 \+ 9\)/);
  const far = run({ request: withNewHtlcs([htlc('received', 5000n, HASH_A, HEIGHT + 2017)]) });
  assert.deepEqual(ids(far.violations), ['policy-commitment-htlc-cltv-range']);
});

test('HTLC amount: above the configured maximum is refused', () => {
  const big = withExistingHtlcs([htlc('received', 10_000_001n)], { channel: channel({ capacitySat: 100_000_000n, holder: { ...channel().holder, channelReserveSat: 1_000_000n } }) });
  const fixed = { ...big, toHolderMsat: big.toHolderMsat + 99_000_000n * SAT, previous: { ...big.previous!, toHolderMsat: big.previous!.toHolderMsat + 99_000_000n * SAT } };
  const d = run({ request: fixed });
  assert.ok(ids(d.violations).includes('policy-commitment-htlc-amount-range'), describeDecision(d));
});

test('forwarding one incoming HTLC twice is refused, as is a changed payment hash', () => {
  const again = state({ forwards: [{ incomingChannelId: OTHER_CHANNEL, incomingHtlcId: 7n, paymentHash: HASH_A, incomingMsat: 100_100n * SAT, outgoingMsat: 100_000n * SAT }] });
  const d = run({ request: forward(), state: again });
  assert.deepEqual(ids(d.violations), ['policy-forward-balanced']);
  const otherHash = run({ request: forward({ outgoing: { paymentHash: HASH_B } }) });
  assert.deepEqual(ids(otherHash.violations), ['policy-forward-balanced']);
  assert.match(otherHash.violations[0]!.detail, /differs from incoming hash/);
});

test('invoice without an amount is refused only when allow_any_amount is false', () => {
  assert.equal(run({ request: invoice({ amountMsat: null }) }).allowed, true);
  const config = withRule('rules:\n  invoice-amount-range:\n    allow_any_amount: false\n');
  assert.deepEqual(ids(evaluate(invoice({ amountMsat: null }), EMPTY_POLICY_STATE, config, NOW).violations), ['policy-invoice-amount-range']);
});

test('mutual close: our share under the dust limit may be left out; a counterparty-paid fee is not ours', () => {
  const dusty = mutualClose({
    lastBalances: { toHolderMsat: 300n * SAT, toCounterpartyMsat: 999_700n * SAT, htlcs: [] },
    feePayer: 'counterparty',
    outputs: [{ side: 'counterparty', amountSat: 998_700n, destination: 'unknown', address: 'bcrt1q-theirs' }],
  });
  assert.equal(run({ request: dusty }).allowed, true);
  const theyPay = mutualClose({
    feePayer: 'counterparty',
    outputs: [{ ...mutualClose().outputs[0]!, amountSat: 599_000n }, { ...mutualClose().outputs[1]!, amountSat: 400_000n }],
  });
  const d = run({ request: theyPay });
  assert.deepEqual(ids(d.violations), ['policy-mutual-value-matches-commitment']);
  assert.match(d.violations[0]!.detail, /our output 599000 sat is below the 600000 sat we hold/);
});

test('transaction fee rules refuse outputs larger than inputs and a bad weight', () => {
  const neg = run({ request: sweep({ outputs: [{ amountSat: 100_001n, destination: 'own-wallet', address: 'x' }] }) });
  assert.deepEqual(neg.violations, [{ id: 'policy-sweep-fee-range', detail: 'outputs 100001 sat exceed inputs 100000 sat' }]);
  const w = run({ request: sweep({ weight: 0 }) });
  assert.deepEqual(ids(w.violations), ['policy-sweep-fee-range']);
});

test('a rule that cannot run refuses the request even in warn mode (fails closed)', () => {
  const config = withRule('rules:\n  sweep-fee-range:\n    mode: warn\n');
  const broken = { ...sweep(), inputs: undefined } as unknown as SignSweep;
  const d = evaluate(broken, EMPTY_POLICY_STATE, config, NOW);
  assert.equal(d.allowed, false);
  assert.ok(d.violations.some((v) => v.id === 'policy-sweep-fee-range' && v.detail.startsWith('rule could not be evaluated')));
});

test('only the rules that apply to a request kind are evaluated', () => {
  const d = run({ request: invoice() });
  assert.deepEqual(d.rulesEvaluated, ['policy-invoice-amount-range', 'policy-invoice-expiry-range']);
  for (const rule of RULES) {
    assert.ok(rule.applies.length > 0, `${rule.id} applies to nothing`);
    assert.ok(rule.summary.length > 20, `${rule.id} has no summary`);
  }
});

test('evaluate is pure: same inputs, same decision; inputs are not changed', () => {
  const req = withNewHtlcs([htlc('offered', 50_000n)]);
  const s = state({ forwards: [forwardA] });
  const snapshot = JSON.stringify([req, s], (_k, v) => (typeof v === 'bigint' ? `${v}n` : v));
  const a = run({ request: req, state: s });
  const b = run({ request: req, state: s });
  assert.deepEqual(a, b);
  assert.equal(JSON.stringify([req, s], (_k, v) => (typeof v === 'bigint' ? `${v}n` : v)), snapshot);
});

test('explanation lists every rule with its mode, grouped by area', () => {
  const config = withRule('rules:\n  onchain-fee-range:\n    mode: warn\n    max_fee: 1000 sat\n');
  const text = explainPolicy(config, 'test.yaml');
  for (const id of RULE_IDS) assert.ok(text.includes(id), `${id} missing from the explanation`);
  assert.match(text, /== On-chain wallet transactions ==/);
  assert.match(text, /policy-onchain-fee-range {2}\[WARN ONLY \(reported, not refused\), set in the file\]/);
  assert.match(text, /rules\.onchain-fee-range\.max_fee = 1000 sat {2}\(set in the file; default 250000 sat\)/);
  assert.match(text, /rules\.commitment-fee-range\.max_feerate_per_kw = 50000 sat\/kw {2}\(default\)/);
  assert.match(text, /uses limits\.daily = 1000000 sat/);
});

test('negative or zero amounts cannot slip a payment or a forward under a limit', () => {
  const sneaky = payment({ amountMsat: 2_000_000n * SAT, feeBudgetMsat: -1_950_000n * SAT, invoiceAmountMsat: null });
  const d = run({ request: sneaky });
  assert.equal(d.allowed, false);
  assert.deepEqual(ids(d.violations).sort(), ['policy-commitment-payment-fee-range', 'policy-commitment-payment-velocity']);
  const zero = run({ request: forward({ outgoing: { amountMsat: 0n } }) });
  assert.deepEqual(ids(zero.violations), ['policy-forward-balanced']);
});

test('a config missing a rule\'s settings refuses instead of skipping the rule', () => {
  const { ['policy-invoice-expiry-range']: _gone, ...rules } = CONFIG.rules;
  const partial = { ...CONFIG, rules } as unknown as PolicyConfig;
  const d = evaluate(invoice(), EMPTY_POLICY_STATE, partial, NOW);
  assert.equal(d.allowed, false);
  assert.deepEqual(d.violations, [{ id: 'policy-invoice-expiry-range', detail: 'rule could not be evaluated: the config has no settings for policy-invoice-expiry-range' }]);
});
