// The registry: one rule per id. The `satisfies` clause makes a missing or extra id a
// compile error; the test suite checks each entry's key equals its id.

import type { RuleId } from '../ids.js';
import { RULE_IDS } from '../ids.js';
import type { Rule } from '../rule.js';
import * as c from './commitment.js';
import * as h from './htlc.js';
import * as rv from './revocation.js';
import * as pay from './payment.js';
import * as fw from './forward.js';
import * as inv from './invoice.js';
import * as cl from './close.js';
import * as oc from './onchain.js';

export const RULES_BY_ID = {
  'policy-commitment-number-sequence': c.commitmentNumberSequence,
  'policy-commitment-previous-revoked': c.commitmentPreviousRevoked,
  'policy-commitment-holder-not-revoked': c.commitmentHolderNotRevoked,
  'policy-commitment-retry-same': c.commitmentRetrySame,
  'policy-commitment-not-closing': c.commitmentNotClosing,
  'policy-commitment-first-no-htlcs': c.commitmentFirstNoHtlcs,
  'policy-commitment-initial-funding-value': c.commitmentInitialFundingValue,
  'policy-commitment-balance-sum': c.commitmentBalanceSum,
  'policy-commitment-fee-range': c.commitmentFeeRange,
  'policy-commitment-dust-limit-range': c.commitmentDustLimitRange,
  'policy-commitment-reserve-range': c.commitmentReserveRange,
  'policy-commitment-to-self-delay-range': c.commitmentToSelfDelayRange,
  'policy-commitment-htlc-count': h.commitmentHtlcCount,
  'policy-commitment-htlc-amount-range': h.commitmentHtlcAmountRange,
  'policy-commitment-htlc-inflight-limit': h.commitmentHtlcInflightLimit,
  'policy-commitment-htlc-cltv-range': h.commitmentHtlcCltvRange,
  'policy-commitment-htlc-routing-balance': h.commitmentHtlcRoutingBalance,
  'policy-commitment-deltas-only-htlc': h.commitmentDeltasOnlyHtlc,
  'policy-revoke-new-commitment-signed': rv.revokeNewCommitmentSigned,
  'policy-revoke-not-twice': rv.revokeNotTwice,
  'policy-revoke-in-order': rv.revokeInOrder,
  'policy-revoke-not-closed': rv.revokeNotClosed,
  'policy-commitment-payment-velocity': pay.paymentVelocity,
  'policy-commitment-payment-approved': pay.paymentApproved,
  'policy-commitment-payment-invoiced': pay.paymentInvoiced,
  'policy-commitment-payment-fee-range': pay.paymentFeeRange,
  'policy-forward-balanced': fw.forwardBalanced,
  'policy-forward-incoming-committed': fw.forwardIncomingCommitted,
  'policy-forward-cltv-delta': fw.forwardCltvDelta,
  'policy-invoice-amount-range': inv.invoiceAmountRange,
  'policy-invoice-expiry-range': inv.invoiceExpiryRange,
  'policy-mutual-destination-allowlisted': cl.mutualDestinationAllowlisted,
  'policy-mutual-value-matches-commitment': cl.mutualValueMatchesCommitment,
  'policy-mutual-no-pending-htlcs': cl.mutualNoPendingHtlcs,
  'policy-mutual-fee-range': cl.mutualFeeRange,
  'policy-sweep-destination-allowlisted': cl.sweepDestinationAllowlisted,
  'policy-sweep-fee-range': cl.sweepFeeRange,
  'policy-onchain-no-unknown-outputs': oc.onchainNoUnknownOutputs,
  'policy-onchain-no-channel-push': oc.onchainNoChannelPush,
  'policy-onchain-funding-max': oc.onchainFundingMax,
  'policy-onchain-fee-range': oc.onchainFeeRange,
} as const satisfies Record<RuleId, Rule>;

/** Every rule, in evaluation and explanation order. */
export const RULES: readonly Rule[] = RULE_IDS.map((id) => RULES_BY_ID[id]);
