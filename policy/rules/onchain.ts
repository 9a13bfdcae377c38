// Wallet transactions: channel funding and withdrawals (DESIGN invariant 4).

import { defineRule, violation } from '../rule.js';
import { amount, formatMsat, formatSat } from '../params.js';
import { checkTxFee, shortHex, sum, txFeeParams } from './util.js';

export const onchainNoUnknownOutputs = defineRule({
  id: 'policy-onchain-no-unknown-outputs',
  area: 'onchain',
  summary: 'Every output of a wallet transaction pays our own wallet, an allowlisted destination or a channel funding output.',
  applies: ['sign-onchain'],
  params: {},
  usesAllowlist: true,
  check(ctx, r) {
    r.outputs.forEach((o, i) => {
      if (o.destination === 'unknown') {
        violation(ctx, 'policy-onchain-no-unknown-outputs',
          `output ${i} of ${formatSat(o.amountSat)} pays ${o.address}, which is not our wallet, the allowlist or a channel`);
      }
    });
  },
});

// A push gives the counterparty money at opening (BOLT 2 `push_msat`).
export const onchainNoChannelPush = defineRule({
  id: 'policy-onchain-no-channel-push',
  area: 'onchain',
  summary: 'A channel we fund gives nothing away at opening (push_msat is zero).',
  applies: ['sign-onchain'],
  params: {},
  check(ctx, r) {
    for (const o of r.outputs) {
      if (o.destination === 'channel-funding' && o.pushMsat > 0n) {
        violation(ctx, 'policy-onchain-no-channel-push',
          `channel ${shortHex(o.channelId)} pushes ${formatMsat(o.pushMsat)} to the counterparty`);
      }
    }
  },
});

// BOLT 2 §The open_channel Message: funding of 2^24 sat or more needs option_support_large_channel.
export const onchainFundingMax = defineRule({
  id: 'policy-onchain-funding-max',
  area: 'onchain',
  summary: 'A channel we fund holds at most a configured amount.',
  applies: ['sign-onchain'],
  params: {
    max_channel: amount({
      summary: 'largest channel we may fund',
      default: 16_777_215n * 1000n,
      reason: 'the BOLT 2 limit for channels without option_support_large_channel; larger channels are a deliberate choice',
    }),
  },
  check(ctx, r, p) {
    for (const o of r.outputs) {
      if (o.destination === 'channel-funding' && o.amountSat * 1000n > p.max_channel) {
        violation(ctx, 'policy-onchain-funding-max',
          `channel ${shortHex(o.channelId)} of ${formatSat(o.amountSat)} above max ${formatMsat(p.max_channel)}`);
      }
    }
  },
});

export const onchainFeeRange = defineRule({
  id: 'policy-onchain-fee-range',
  area: 'onchain',
  summary: 'A wallet transaction pays a feerate inside a range and a fee under a cap.',
  applies: ['sign-onchain'],
  params: txFeeParams('wallet transaction'),
  check(ctx, r, p) {
    checkTxFee(ctx, 'policy-onchain-fee-range', sum(r.inputs.map((i) => i.amountSat)), sum(r.outputs.map((o) => o.amountSat)), r.weight, p);
  },
});
