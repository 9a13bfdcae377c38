// The signer's side of policy/: the PolicyState snapshot built from its records, one evaluation per
// request, and the refusal when the decision says no.
//
// Forwarding balance (DESIGN invariant 6): the routing-balance rule covers each HTLC we offer with
// approved payments and allowed forwards of the same hash. The signer has no ForwardHtlc call, so it
// derives the forwards from its own records: an HTLC the counterparty offered us on ANOTHER channel,
// present in every unrevoked commitment of both sides there (irrevocably committed, BOLT 2), and not
// paying an invoice this signer signed (that money is ours to receive, not to pass on), counts as an
// allowed forward of its full amount. So an outgoing HTLC is matched by an incoming one of the same
// hash carrying at least its amount, or by a payment the signer approved. Each HTLC a commitment newly
// offers as a forward is also evaluated as the forward-htlc request it is (enforceCommitment), so the
// outgoing HTLC expires at least policy-forward-cltv-delta blocks before the incoming one.
import { hex } from '../../bolt/bytes.js';
import type { Htlc } from '../../bolt/bolt3/index.js';
import {
  evaluate,
  type AllowedForward,
  type Decision,
  type ForwardHtlc,
  type HtlcFact,
  type OfferedHtlcRecord,
  type PolicyRequest,
  type PolicyState,
  type RuleId,
  type SignCounterpartyCommitment,
  type ValidateHolderCommitment,
} from '../../policy/index.js';
import { policyRefusal } from '../errors.js';
import type { LiveChannel } from './channels.js';
import { htlcsFromOurSide } from './commitments.js';
import type { ServiceContext } from './context.js';

/** Evaluates and refuses unless allowed; returns the warnings (rules in warn mode) for the audit line. */
export function enforce(ctx: ServiceContext, request: PolicyRequest, state: PolicyState = EMPTY_STATE): readonly RuleId[] {
  const decision = evaluate(request, state, ctx.policy, ctx.now());
  requireAllowed(decision);
  return decision.warnings.map((w) => w.id);
}

export function requireAllowed(decision: Decision): void {
  if (decision.allowed) return;
  if (decision.violations.length > 0) throw policyRefusal(decision.violations);
  // An approval request outside approve-payment: nobody can approve it here, so it refuses.
  const a = decision.needsApproval!;
  throw policyRefusal([{ id: a.id, detail: a.reason }]);
}

const EMPTY_STATE: PolicyState = { approvedPayments: [], forwards: [], offeredHtlcs: [] };

/** HTLCs that sit in every unrevoked commitment of both sides (from our side). */
function irrevocableHtlcs(ch: LiveChannel): Htlc[] {
  const holder = [...ch.holderCommitments.values()];
  const counterparty = [...ch.counterpartyCommitments.values()];
  if (holder.length === 0 || counterparty.length === 0) return [];
  const key = (h: Htlc): string => `${h.direction}:${h.id}:${hex(h.paymentHash)}:${h.amountMsat}`;
  let common: Map<string, Htlc> | undefined;
  const sets: Htlc[][] = [...holder.map((c) => htlcsFromOurSide(c.info, 'holder')), ...counterparty.map((c) => htlcsFromOurSide(c.info, 'counterparty'))];
  for (const htlcs of sets) {
    const here = new Map(htlcs.map((h) => [key(h), h]));
    if (common === undefined) common = here;
    else for (const k of [...common.keys()]) if (!here.has(k)) common.delete(k);
  }
  return [...(common?.values() ?? [])];
}

/** HTLCs we offered in any unrevoked commitment of a channel (deduplicated by id). */
function offeredHtlcs(ch: LiveChannel): Htlc[] {
  const byId = new Map<bigint, Htlc>();
  for (const c of ch.holderCommitments.values()) for (const h of htlcsFromOurSide(c.info, 'holder')) if (h.direction === 'offered') byId.set(h.id, h);
  for (const c of ch.counterpartyCommitments.values()) for (const h of htlcsFromOurSide(c.info, 'counterparty')) if (h.direction === 'offered') byId.set(h.id, h);
  return [...byId.values()];
}

/** Every payment hash we have an HTLC offered for, on any channel (keeps approvals alive while in flight). */
export function inFlightHashes(ctx: Pick<ServiceContext, 'channels'>): Set<string> {
  const out = new Set<string>();
  for (const ch of ctx.channels.all()) {
    if (ch.record.state === 'closed') continue;
    for (const h of offeredHtlcs(ch)) out.add(hex(h.paymentHash));
  }
  return out;
}

/** An HTLC the counterparty offered us on another channel, irrevocably committed there: what a forward spends. */
interface IncomingHtlc {
  readonly channelId: string;
  readonly htlc: Htlc;
}

/**
 * The policy state for a commitment of `channel` offering HTLCs with `offeredHashes` (from our side):
 * only records of those hashes matter to the rules, so only those are gathered. `incoming` gets the
 * HTLCs the derived forwards come from.
 */
export function commitmentState(ctx: ServiceContext, channel: LiveChannel, offeredHashes: ReadonlySet<string>, incoming: IncomingHtlc[] = []): PolicyState {
  if (offeredHashes.size === 0) return EMPTY_STATE;
  const forwards: AllowedForward[] = [];
  const offered: OfferedHtlcRecord[] = [];
  for (const ch of ctx.channels.all()) {
    if (ch === channel || ch.record.setup === null || ch.record.state === 'closed') continue;
    const channelId = hex(ch.record.setup.channelId);
    for (const h of offeredHtlcs(ch)) {
      const paymentHash = hex(h.paymentHash);
      if (offeredHashes.has(paymentHash)) offered.push({ channelId, paymentHash, amountMsat: h.amountMsat });
    }
    for (const h of irrevocableHtlcs(ch)) {
      if (h.direction !== 'received') continue;
      const paymentHash = hex(h.paymentHash);
      if (!offeredHashes.has(paymentHash) || ctx.store.getInvoice(h.paymentHash) !== undefined) continue;
      forwards.push({ incomingChannelId: channelId, incomingHtlcId: h.id, paymentHash, incomingMsat: h.amountMsat, outgoingMsat: h.amountMsat });
      incoming.push({ channelId, htlc: h });
    }
  }
  return { approvedPayments: ctx.payments.forPolicy(offeredHashes), forwards, offeredHtlcs: offered };
}

const htlcKey = (h: HtlcFact): string => `${h.direction}:${h.paymentHash}:${h.amountMsat}:${h.cltvExpiry}`;

/**
 * DESIGN invariant 6, per HTLC: each HTLC this commitment newly offers that approved payments do not
 * cover is a forward, checked with the forward-htlc rules against the incoming HTLC of the same hash
 * that expires last (amount, hash, irrevocably committed, and the cltv_expiry_delta between them).
 * An offered HTLC no incoming one covers is left to policy-commitment-htlc-routing-balance.
 */
function forwardRequests(request: SignCounterpartyCommitment | ValidateHolderCommitment, state: PolicyState, incoming: readonly IncomingHtlc[]): ForwardHtlc[] {
  const before = new Set((request.previous?.htlcs ?? []).map(htlcKey));
  const out: ForwardHtlc[] = [];
  for (const h of request.htlcs) {
    if (h.direction !== 'offered' || before.has(htlcKey(h))) continue;
    const paid = state.approvedPayments.filter((p) => p.paymentHash === h.paymentHash).reduce((a, p) => a + p.amountMsat, 0n);
    if (paid >= h.amountMsat) continue;
    let from: IncomingHtlc | undefined;
    for (const i of incoming) if (hex(i.htlc.paymentHash) === h.paymentHash && (from === undefined || i.htlc.cltvExpiry > from.htlc.cltvExpiry)) from = i;
    if (from === undefined) continue;
    out.push({
      kind: 'forward-htlc',
      incoming: { channelId: from.channelId, htlcId: from.htlc.id, amountMsat: from.htlc.amountMsat, paymentHash: h.paymentHash, cltvExpiry: from.htlc.cltvExpiry, irrevocablyCommitted: true },
      outgoing: { channelId: request.channel.channelId, amountMsat: h.amountMsat, paymentHash: h.paymentHash, cltvExpiry: h.cltvExpiry },
    });
  }
  return out;
}

/**
 * One evaluation for a commitment we sign or accept, plus one forward-htlc evaluation per forwarded HTLC
 * it adds; refuses listing every violation, or returns the warnings.
 */
export function enforceCommitment(ctx: ServiceContext, channel: LiveChannel, request: SignCounterpartyCommitment | ValidateHolderCommitment, offeredHashes: ReadonlySet<string>): readonly RuleId[] {
  const incoming: IncomingHtlc[] = [];
  const state = commitmentState(ctx, channel, offeredHashes, incoming);
  const now = ctx.now();
  // The forward being checked is not yet among the allowed ones: the balance rule counts it once.
  const decisions = [evaluate(request, state, ctx.policy, now), ...forwardRequests(request, state, incoming).map((f) => evaluate(f, EMPTY_STATE, ctx.policy, now))];
  const violations = decisions.flatMap((d) => d.violations);
  if (violations.length > 0) throw policyRefusal(violations);
  for (const d of decisions) requireAllowed(d);
  return decisions.flatMap((d) => d.warnings.map((w) => w.id));
}

/** The velocity state for approve-payment: every approval in the book. */
export function paymentState(ctx: ServiceContext): PolicyState {
  return { approvedPayments: ctx.payments.forPolicy(), forwards: [], offeredHtlcs: [] };
}
