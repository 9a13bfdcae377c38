// HTLCs inside a commitment: limits (invariant 5) and where value leaving our side may go.

import { defineRule, violation } from '../rule.js';
import { amount, formatMsat, integer } from '../params.js';
import { COMMITMENT_KINDS, holderOwnedMsat, htlcsNotIn, shortHex, sum } from './util.js';

// BOLT 2 §The open_channel Message: max_accepted_htlcs is at most 483; BOLT 2 §Adding an HTLC.
export const commitmentHtlcCount = defineRule({
  id: 'policy-commitment-htlc-count',
  area: 'htlc',
  summary: 'HTLCs in each direction stay within the receiving side\'s max_accepted_htlcs and a configured cap.',
  applies: COMMITMENT_KINDS,
  params: {
    max_per_direction: integer({
      summary: 'most HTLCs in one direction',
      default: 483,
      min: 1,
      max: 483,
      unit: 'HTLCs',
      reason: 'BOLT 2 caps max_accepted_htlcs at 483 so a commitment with every HTLC stays a standard transaction',
    }),
  },
  check(ctx, r, p) {
    const offered = r.htlcs.filter((h) => h.direction === 'offered').length;
    const received = r.htlcs.length - offered;
    const maxOffered = Math.min(r.channel.counterparty.maxAcceptedHtlcs, p.max_per_direction);
    const maxReceived = Math.min(r.channel.holder.maxAcceptedHtlcs, p.max_per_direction);
    if (offered > maxOffered) violation(ctx, 'policy-commitment-htlc-count', `${offered} offered HTLCs above max ${maxOffered}`);
    if (received > maxReceived) violation(ctx, 'policy-commitment-htlc-count', `${received} received HTLCs above max ${maxReceived}`);
  },
});

// BOLT 2 §Adding an HTLC: amount_msat at least the receiver's htlc_minimum_msat.
export const commitmentHtlcAmountRange = defineRule({
  id: 'policy-commitment-htlc-amount-range',
  area: 'htlc',
  summary: 'Each HTLC is at least the receiving side\'s htlc_minimum_msat (and above zero) and at most a configured cap.',
  applies: COMMITMENT_KINDS,
  params: {
    max_htlc: amount({
      summary: 'largest single HTLC',
      default: 10_000_000n * 1000n,
      reason: 'bounds what one stuck or disputed HTLC can put at risk to 0.1 BTC',
    }),
  },
  check(ctx, r, p) {
    for (const h of r.htlcs) {
      const min = h.direction === 'offered' ? r.channel.counterparty.htlcMinimumMsat : r.channel.holder.htlcMinimumMsat;
      const floor = min > 1n ? min : 1n;
      const what = `${h.direction} HTLC ${shortHex(h.paymentHash)}`;
      if (h.amountMsat < floor) violation(ctx, 'policy-commitment-htlc-amount-range', `${what} of ${formatMsat(h.amountMsat)} below min ${formatMsat(floor)}`);
      if (h.amountMsat > p.max_htlc) violation(ctx, 'policy-commitment-htlc-amount-range', `${what} of ${formatMsat(h.amountMsat)} above max ${formatMsat(p.max_htlc)}`);
    }
  },
});

export const commitmentHtlcInflightLimit = defineRule({
  id: 'policy-commitment-htlc-inflight-limit',
  area: 'htlc',
  summary: 'All HTLCs of a commitment together stay under a configured total.',
  applies: COMMITMENT_KINDS,
  params: {
    max_in_flight: amount({
      summary: 'most value all HTLCs of one channel may hold at once',
      default: 20_000_000n * 1000n,
      reason: 'bounds what a channel can have in flight (and so at risk in an on-chain race) to 0.2 BTC',
    }),
  },
  check(ctx, r, p) {
    const total = sum(r.htlcs.map((h) => h.amountMsat));
    if (total > p.max_in_flight) {
      violation(ctx, 'policy-commitment-htlc-inflight-limit', `HTLCs total ${formatMsat(total)}, above max ${formatMsat(p.max_in_flight)}`);
    }
  },
});

// BOLT 2 §cltv_expiry_delta Selection; BOLT 4 §max_htlc_cltv Selection (2016 blocks).
export const commitmentHtlcCltvRange = defineRule({
  id: 'policy-commitment-htlc-cltv-range',
  area: 'htlc',
  summary:
    'Each HTLC added by this commitment expires far enough ahead to be claimed on chain in time, and not so far that it locks funds for weeks.',
  applies: COMMITMENT_KINDS,
  params: {
    min_blocks: integer({
      summary: 'fewest blocks from now until a new HTLC expires',
      default: 9,
      min: 0,
      max: 100_000,
      unit: 'blocks',
      reason: 'half the BOLT 11 default final delta of 18, leaving room for propagation; closer expiries may not be claimable on chain in time',
      notAbove: 'max_blocks',
    }),
    max_blocks: integer({
      summary: 'most blocks from now until a new HTLC expires',
      default: 2016,
      min: 1,
      max: 100_000,
      unit: 'blocks',
      reason: 'BOLT 4 sets max_htlc_cltv to 2016 blocks; later expiries lock funds for more than two weeks',
    }),
  },
  check(ctx, r, p) {
    // Only HTLCs new in this commitment: existing ones near expiry are resolved, not refused.
    const added = r.previous === null ? r.htlcs : htlcsNotIn(r.htlcs, r.previous.htlcs);
    const lo = r.blockHeight + p.min_blocks;
    const hi = r.blockHeight + p.max_blocks;
    for (const h of added) {
      const what = `${h.direction} HTLC ${shortHex(h.paymentHash)} expiry ${h.cltvExpiry}`;
      if (h.cltvExpiry < lo) violation(ctx, 'policy-commitment-htlc-cltv-range', `${what} before min ${lo} (height ${r.blockHeight} + ${p.min_blocks})`);
      if (h.cltvExpiry > hi) violation(ctx, 'policy-commitment-htlc-cltv-range', `${what} after max ${hi} (height ${r.blockHeight} + ${p.max_blocks})`);
    }
  },
});

// DESIGN invariants 6 and 7 seen from the commitment: what we offer must be a forward the
// signer allowed or a payment it approved.
export const commitmentHtlcRoutingBalance = defineRule({
  id: 'policy-commitment-htlc-routing-balance',
  area: 'htlc',
  summary:
    'Every HTLC we offer is covered, per payment hash and across all channels, by a forward the signer allowed or an outgoing payment it approved.',
  applies: COMMITMENT_KINDS,
  params: {},
  check(ctx, r) {
    const offeredHere = new Map<string, bigint>();
    for (const h of r.htlcs) {
      if (h.direction === 'offered') offeredHere.set(h.paymentHash, (offeredHere.get(h.paymentHash) ?? 0n) + h.amountMsat);
    }
    const { state } = ctx;
    for (const [hash, here] of offeredHere) {
      const elsewhere = sum(state.offeredHtlcs.filter((o) => o.paymentHash === hash && o.channelId !== r.channel.channelId).map((o) => o.amountMsat));
      const forwards = sum(state.forwards.filter((f) => f.paymentHash === hash).map((f) => f.outgoingMsat));
      const payments = sum(state.approvedPayments.filter((a) => a.paymentHash === hash).map((a) => a.amountMsat));
      const offered = here + elsewhere;
      if (offered > forwards + payments) {
        violation(ctx, 'policy-commitment-htlc-routing-balance',
          `offered ${formatMsat(offered)} for hash ${shortHex(hash)} (${formatMsat(here)} here, ${formatMsat(elsewhere)} on other channels) but only ${formatMsat(forwards + payments)} is covered (forwards ${formatMsat(forwards)}, approved payments ${formatMsat(payments)})`);
      }
    }
  },
});

// What we own (to_holder plus offered HTLCs) can only shrink by offered HTLCs leaving the
// commitment (fulfilled). Adding, failing or receiving HTLCs never lowers it.
export const commitmentDeltasOnlyHtlc = defineRule({
  id: 'policy-commitment-deltas-only-htlc',
  area: 'htlc',
  summary:
    'Compared with the previous commitment, our balance falls only by offered HTLCs that were settled: value never moves to the counterparty without an HTLC.',
  applies: COMMITMENT_KINDS,
  params: {},
  check(ctx, r) {
    if (r.previous === null) return;
    const before = holderOwnedMsat(r.previous);
    const after = holderOwnedMsat(r);
    const settled = sum(htlcsNotIn(r.previous.htlcs, r.htlcs).filter((h) => h.direction === 'offered').map((h) => h.amountMsat));
    if (after < before - settled) {
      violation(ctx, 'policy-commitment-deltas-only-htlc',
        `our value fell from ${formatMsat(before)} to ${formatMsat(after)}, but offered HTLCs removed total only ${formatMsat(settled)}`);
    }
  },
});
