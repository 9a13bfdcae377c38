// Forwarding HTLCs (DESIGN invariant 6; BOLT 4 §Onion Routing, BOLT 2 §cltv_expiry_delta
// Selection): a forward never pays out more, or for longer, than what comes in.

import { defineRule, violation } from '../rule.js';
import { formatMsat, integer } from '../params.js';
import { shortHex, sum } from './util.js';

export const forwardBalanced = defineRule({
  id: 'policy-forward-balanced',
  area: 'forward',
  summary:
    'An outgoing HTLC has the same payment hash as the incoming one, and all forwards of one incoming HTLC together send at most its amount.',
  applies: ['forward-htlc'],
  params: {},
  check(ctx, r) {
    const { incoming, outgoing } = r;
    if (incoming.paymentHash !== outgoing.paymentHash) {
      violation(ctx, 'policy-forward-balanced',
        `outgoing hash ${shortHex(outgoing.paymentHash)} differs from incoming hash ${shortHex(incoming.paymentHash)}`);
    }
    if (outgoing.amountMsat <= 0n) {
      violation(ctx, 'policy-forward-balanced', `outgoing amount ${formatMsat(outgoing.amountMsat)} is not positive`);
    }
    const already = sum(ctx.state.forwards
      .filter((f) => f.incomingChannelId === incoming.channelId && f.incomingHtlcId === incoming.htlcId)
      .map((f) => f.outgoingMsat));
    if (already + outgoing.amountMsat > incoming.amountMsat) {
      violation(ctx, 'policy-forward-balanced',
        `forwarding ${formatMsat(outgoing.amountMsat)} (plus ${formatMsat(already)} already forwarded) for an incoming HTLC of ${formatMsat(incoming.amountMsat)}`);
    }
  },
});

// BOLT 2 §Forwarding HTLCs: forward only once the incoming HTLC is irrevocably committed.
export const forwardIncomingCommitted = defineRule({
  id: 'policy-forward-incoming-committed',
  area: 'forward',
  summary: 'An HTLC is forwarded only once the incoming one is irrevocably committed, so the upstream peer cannot take it back.',
  applies: ['forward-htlc'],
  params: {},
  check(ctx, r) {
    if (!r.incoming.irrevocablyCommitted) {
      violation(ctx, 'policy-forward-incoming-committed', `incoming HTLC ${r.incoming.htlcId} is not irrevocably committed`);
    }
  },
});

export const forwardCltvDelta = defineRule({
  id: 'policy-forward-cltv-delta',
  area: 'forward',
  summary: 'The incoming HTLC expires enough blocks after the outgoing one that we can claim it on chain after learning the preimage.',
  applies: ['forward-htlc'],
  params: {
    min_blocks: integer({
      summary: 'fewest blocks between the outgoing and the incoming expiry',
      default: 34,
      min: 1,
      max: 2016,
      unit: 'blocks',
      reason: 'BOLT 2 finds a cltv_expiry_delta of at least 34 reasonable (3R+2G+2S with R=2, G=2, S=12)',
    }),
  },
  check(ctx, r, p) {
    const delta = r.incoming.cltvExpiry - r.outgoing.cltvExpiry;
    if (delta < p.min_blocks) {
      violation(ctx, 'policy-forward-cltv-delta',
        `incoming expiry ${r.incoming.cltvExpiry} is only ${delta} blocks after outgoing expiry ${r.outgoing.cltvExpiry}, min ${p.min_blocks}`);
    }
  },
});
