// The facts from the signer's durable state that rules read besides the request itself.
// The signer keeps these records (it persists each before answering) and hands a snapshot
// to every evaluation; the policy never stores anything.

import type { Hex, Msat } from './request.js';

/** An outgoing payment that `approve-payment` allowed. */
export interface ApprovedPayment {
  readonly paymentHash: Hex;
  /** Amount plus fee budget: the most this payment may take out of our channels. */
  readonly amountMsat: Msat;
  /** When it was approved, in Unix milliseconds (the `now` of that evaluation). */
  readonly approvedAt: number;
}

/** A forward that `forward-htlc` allowed. */
export interface AllowedForward {
  readonly incomingChannelId: Hex;
  readonly incomingHtlcId: bigint;
  readonly paymentHash: Hex;
  readonly incomingMsat: Msat;
  readonly outgoingMsat: Msat;
}

/** An HTLC we offered that sits in the latest counterparty commitment of some channel. */
export interface OfferedHtlcRecord {
  readonly channelId: Hex;
  readonly paymentHash: Hex;
  readonly amountMsat: Msat;
}

export interface PolicyState {
  /**
   * Approved outgoing payments. The signer keeps each at least 24 hours (the velocity
   * window) and for as long as an HTLC of that payment may be in flight.
   */
  readonly approvedPayments: readonly ApprovedPayment[];
  /** Allowed forwards, kept while their HTLCs may be in flight. */
  readonly forwards: readonly AllowedForward[];
  /** HTLCs we offered across all channels (the routing-balance rule skips the channel being signed). */
  readonly offeredHtlcs: readonly OfferedHtlcRecord[];
}

export const EMPTY_POLICY_STATE: PolicyState = Object.freeze({
  approvedPayments: Object.freeze([]),
  forwards: Object.freeze([]),
  offeredHtlcs: Object.freeze([]),
});

/** The velocity window: a rolling 24 hours. */
export const VELOCITY_WINDOW_MS = 24 * 60 * 60 * 1000;

/**
 * Sum of approved payments inside the window ending at `now`. A record counts while
 * now - approvedAt < 24 h; one approved exactly 24 h ago has left the window. Records
 * stamped in the future (clock stepped back) still count: erring toward refusing.
 */
export function approvedInWindow(state: PolicyState, now: number): Msat {
  let total = 0n;
  for (const p of state.approvedPayments) {
    if (now - p.approvedAt < VELOCITY_WINDOW_MS) total += p.amountMsat;
  }
  return total;
}
