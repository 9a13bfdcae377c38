// The two commitment chains of a channel and the updates moving between them (BOLT 2 §Normal
// Operation). Each update travels: pending on the receiver -> in the receiver's commitment -> the
// receiver revoked its previous one and the update is pending on the sender -> in the sender's
// commitment -> the sender revoked its previous one. We keep our updates as
//   localChanges.proposed (sent, not yet in a commitment_signed we sent)
//   localChanges.signed   (in the commitment_signed we sent; their revoke_and_ack not yet received)
//   localChanges.acked    (they revoked: due in OUR next commitment)
// and theirs as
//   remoteChanges.proposed (received, no commitment_signed from them yet)
//   remoteChanges.acked    (in our commitment, we revoked: due in THEIR next commitment)
//   remoteChanges.signed   (in the commitment_signed we sent; their revoke_and_ack not yet received)
// Every function here is pure and returns a new Commitments sharing what did not change.
import { equal } from '../../bolt/bytes.js';
import { sha256 } from '../../bolt/crypto/hash.js';
import type { Htlc } from '../../bolt/bolt3/index.js';
import {
  findHtlc,
  htlcTotals,
  isRemoval,
  openerCostSat,
  reduce,
  type CommitmentSpec,
  type UpdateAddHtlc,
  type UpdateFailHtlc,
  type UpdateFailMalformedHtlc,
  type UpdateFee,
  type UpdateFulfillHtlc,
  type UpdateMessage,
} from './commitment-spec.js';
import { protocolError, refuse } from './errors.js';
import { MAX_CLTV_EXPIRY, type ChannelParams } from './params.js';
import { commitmentInfoMsg, type CommitmentInfoMsg, type CommitSignatures } from './signer-requests.js';

export interface LocalCommit {
  readonly number: number;
  readonly spec: CommitmentSpec;
}

export interface RemoteCommit {
  readonly number: number;
  readonly spec: CommitmentSpec;
  /** The counterparty's per-commitment point this commitment was built with. */
  readonly point: Uint8Array;
}

/** A counterparty commitment we signed (or are signing) whose predecessor is not revoked yet. */
export interface RemoteNextCommit extends RemoteCommit {
  /** The signer's signatures, kept for retransmission; null while the signer has not answered. */
  readonly signatures: CommitSignatures | null;
  /** Our local commitment number when we signed: orders a retransmitted commitment_signed and revoke_and_ack. */
  readonly sentAfterLocalNumber: number;
}

export interface LocalChanges {
  readonly proposed: readonly UpdateMessage[];
  readonly signed: readonly UpdateMessage[];
  readonly acked: readonly UpdateMessage[];
}

export interface RemoteChanges {
  readonly proposed: readonly UpdateMessage[];
  readonly acked: readonly UpdateMessage[];
  readonly signed: readonly UpdateMessage[];
}

/** Our last revoke_and_ack, kept so it can be retransmitted after a reconnection (BOLT 2 §Message Retransmission). */
export interface SentRevocation {
  /** The commitment number it revoked. */
  readonly number: number;
  readonly secret: Uint8Array;
  readonly nextPoint: Uint8Array;
}

export interface Commitments {
  readonly params: ChannelParams;
  readonly localCommit: LocalCommit;
  readonly remoteCommit: RemoteCommit;
  readonly remoteNext: RemoteNextCommit | null;
  readonly localChanges: LocalChanges;
  readonly remoteChanges: RemoteChanges;
  readonly localNextHtlcId: bigint;
  readonly remoteNextHtlcId: bigint;
  /** The counterparty's point for commitment remoteCommit.number + 1 (channel_ready, then revoke_and_ack); null before channel_ready. */
  readonly remoteNextPoint: Uint8Array | null;
  /** Our per-commitment points for localCommit.number (current) and the one after (next, null before channel_ready). */
  readonly localPoints: { readonly current: Uint8Array; readonly next: Uint8Array | null };
  readonly lastRevocationSent: SentRevocation | null;
  /** The last per_commitment_secret the counterparty revealed (of remoteCommit.number - 1). */
  readonly lastSecretReceived: Uint8Array | null;
  /** A sign was asked for while a commitment_signed was unacknowledged: sign once revoke_and_ack comes. */
  readonly signAfterRevoke: boolean;
}

const NONE: readonly UpdateMessage[] = Object.freeze([]);

/** Commitment 0 of both sides (BOLT 2 §The open_channel Message: the opener starts with funding - push). */
export function initialCommitments(params: ChannelParams, feeratePerKw: number, localFirstPoint: Uint8Array): Commitments {
  const openerMsat = params.fundingSat * 1000n - params.pushMsat;
  const [ours, theirs] = params.isOpener ? [openerMsat, params.pushMsat] : [params.pushMsat, openerMsat];
  return {
    params,
    localCommit: { number: 0, spec: { feeratePerKw, toLocalMsat: ours, toRemoteMsat: theirs, htlcs: [] } },
    remoteCommit: { number: 0, spec: { feeratePerKw, toLocalMsat: theirs, toRemoteMsat: ours, htlcs: [] }, point: params.remoteFirstPoint },
    remoteNext: null,
    localChanges: { proposed: NONE, signed: NONE, acked: NONE },
    remoteChanges: { proposed: NONE, acked: NONE, signed: NONE },
    localNextHtlcId: 0n,
    remoteNextHtlcId: 0n,
    remoteNextPoint: null,
    localPoints: { current: localFirstPoint, next: null },
    lastRevocationSent: null,
    lastSecretReceived: null,
    signAfterRevoke: false,
  };
}

// ---------------------------------------------------------------- which commitment holds what

export type CommitmentOwner = 'local' | 'remote';
/** `current`: the latest one the owner holds; `pending`: a remote one we signed, not yet acknowledged; `next`: the one the next commitment_signed would carry. */
export type CommitmentStage = 'current' | 'pending' | 'next';

/**
 * The content of one commitment, derived from the commitments and the update log: the single
 * source of the CommitmentInfo the signer is asked to sign (counterparty) or validate (holder).
 * - local next:  our current + our updates they acknowledged + their updates so far
 * - remote next: their latest (pending or current) + their updates we acknowledged + our updates so far
 */
export function commitmentOf(c: Commitments, owner: CommitmentOwner, stage: CommitmentStage): { readonly number: number; readonly spec: CommitmentSpec } | null {
  if (owner === 'local') {
    if (stage === 'current') return c.localCommit;
    if (stage === 'pending') return null;
    return { number: c.localCommit.number + 1, spec: reduce(c.localCommit.spec, c.localChanges.acked, c.remoteChanges.proposed) };
  }
  if (stage === 'current') return c.remoteCommit;
  if (stage === 'pending') return c.remoteNext;
  const base = c.remoteNext ?? c.remoteCommit;
  return { number: base.number + 1, spec: reduce(base.spec, c.remoteChanges.acked, c.localChanges.proposed) };
}

/** proto CommitmentInfo of a commitment named as in `commitmentOf`. */
export function commitmentInfoOf(c: Commitments, owner: CommitmentOwner, stage: CommitmentStage): CommitmentInfoMsg | null {
  const commitment = commitmentOf(c, owner, stage);
  return commitment === null ? null : commitmentInfoMsg(commitment.number, commitment.spec);
}

/** BOLT 2: we have something to sign: their acknowledged updates or our new ones. */
export function localHasChanges(c: Commitments): boolean {
  return c.remoteChanges.acked.length > 0 || c.localChanges.proposed.length > 0;
}

/** The counterparty has something to sign for us. */
export function remoteHasChanges(c: Commitments): boolean {
  return c.localChanges.acked.length > 0 || c.remoteChanges.proposed.length > 0;
}

/** No HTLC in any commitment and no update anywhere in flight (BOLT 2 §Closing Negotiation may start). */
export function isQuiet(c: Commitments): boolean {
  const { localChanges: l, remoteChanges: r } = c;
  return (
    c.remoteNext === null &&
    c.localCommit.spec.htlcs.length === 0 &&
    c.remoteCommit.spec.htlcs.length === 0 &&
    l.proposed.length + l.signed.length + l.acked.length + r.proposed.length + r.acked.length + r.signed.length === 0
  );
}

/** Our spendable balance now, as the next commitment we would sign for them sees it (before fees). */
export function localBalanceMsat(c: Commitments): bigint {
  return commitmentOf(c, 'remote', 'next')!.spec.toRemoteMsat;
}

// ---------------------------------------------------------------- offering an HTLC (BOLT 2 §Adding an HTLC)

export interface AddRequest {
  readonly amountMsat: bigint;
  readonly paymentHash: Uint8Array;
  readonly cltvExpiry: number;
  readonly onion: Uint8Array;
  readonly blindingPoint?: Uint8Array;
}

/** Validates and records one HTLC we offer; refuses with the limit it would break. */
export function sendAdd(c: Commitments, req: AddRequest, blockHeight: number): { commitments: Commitments; add: UpdateAddHtlc } {
  const p = c.params;
  if (req.amountMsat <= 0n) refuse(`amount_msat must be greater than 0, got ${req.amountMsat}`);
  if (req.amountMsat < p.remote.htlcMinimumMsat) refuse(`amount_msat ${req.amountMsat} is below the peer's htlc_minimum_msat ${p.remote.htlcMinimumMsat}`);
  if (req.paymentHash.length !== 32) refuse(`payment_hash must be 32 bytes, got ${req.paymentHash.length}`);
  if (req.onion.length !== 1366) refuse(`onion_routing_packet must be 1366 bytes, got ${req.onion.length}`);
  if (!Number.isInteger(req.cltvExpiry) || req.cltvExpiry >= MAX_CLTV_EXPIRY) refuse(`cltv_expiry ${req.cltvExpiry} must be a block height below ${MAX_CLTV_EXPIRY}`);
  if (req.cltvExpiry <= blockHeight) refuse(`cltv_expiry ${req.cltvExpiry} is not above the current height ${blockHeight}`);
  const add: UpdateAddHtlc = {
    type: 'update_add_htlc',
    channelId: p.channelId,
    id: c.localNextHtlcId,
    amountMsat: req.amountMsat,
    paymentHash: req.paymentHash,
    cltvExpiry: req.cltvExpiry,
    onionRoutingPacket: req.onion,
    tlvs: req.blindingPoint === undefined ? {} : { blindedPath: req.blindingPoint },
  };
  const proposed = [...c.localChanges.proposed, add];
  const base = c.remoteNext ?? c.remoteCommit;
  // Their next commitment, owner = them: our balance is toRemote, our HTLCs are `received`.
  const reduced = reduce(base.spec, c.remoteChanges.acked, proposed);
  const ourFeeSat = p.isOpener ? openerCostSat(p.channelType, reduced, p.remote.dustLimitSat) : 0n;
  const available = reduced.toRemoteMsat - (p.remote.channelReserveSat + ourFeeSat) * 1000n;
  if (available < 0n) {
    refuse(`insufficient funds: ${req.amountMsat} msat would leave ${reduced.toRemoteMsat} msat, below the ${p.remote.channelReserveSat} sat reserve${ourFeeSat > 0n ? ` plus ${ourFeeSat} sat of commitment fees` : ''}`);
  }
  if (!p.isOpener) {
    // BOLT 2: the opener (the peer) must still afford the fee of its commitment with one more HTLC.
    const theirFeeSat = openerCostSat(p.channelType, reduced, p.remote.dustLimitSat);
    if (reduced.toLocalMsat < (p.local.channelReserveSat + theirFeeSat) * 1000n) {
      refuse(`the peer (opener) cannot afford the ${theirFeeSat} sat commitment fee with this HTLC above its ${p.local.channelReserveSat} sat reserve`);
    }
  }
  const offered = htlcTotals(reduced, 'received');
  if (offered.count > p.remote.maxAcceptedHtlcs) refuse(`${offered.count} HTLCs would exceed the peer's max_accepted_htlcs ${p.remote.maxAcceptedHtlcs}`);
  if (offered.amountMsat > p.remote.maxHtlcValueInFlightMsat) {
    refuse(`${offered.amountMsat} msat in flight would exceed the peer's max_htlc_value_in_flight_msat ${p.remote.maxHtlcValueInFlightMsat}`);
  }
  return {
    commitments: { ...c, localChanges: { ...c.localChanges, proposed }, localNextHtlcId: c.localNextHtlcId + 1n },
    add,
  };
}

/** BOLT 2 §Adding an HTLC, receiving node: the checks whose failure fails the channel. */
export function receiveAdd(c: Commitments, add: UpdateAddHtlc): Commitments {
  const p = c.params;
  if (add.id !== c.remoteNextHtlcId) protocolError(`update_add_htlc: id ${add.id}, expected ${c.remoteNextHtlcId}`);
  if (add.amountMsat === 0n) protocolError('update_add_htlc: amount_msat is 0');
  if (add.amountMsat < p.local.htlcMinimumMsat) protocolError(`update_add_htlc: amount_msat ${add.amountMsat} is below our htlc_minimum_msat ${p.local.htlcMinimumMsat}`);
  if (add.cltvExpiry >= MAX_CLTV_EXPIRY) protocolError(`update_add_htlc: cltv_expiry ${add.cltvExpiry} is not below ${MAX_CLTV_EXPIRY}`);
  const proposed = [...c.remoteChanges.proposed, add];
  // Our next commitment, owner = us: their balance is toRemote, their HTLCs are `received`.
  const reduced = reduce(c.localCommit.spec, c.localChanges.acked, proposed);
  const theirFeeSat = p.isOpener ? 0n : openerCostSat(p.channelType, reduced, p.local.dustLimitSat);
  if (reduced.toRemoteMsat < (p.local.channelReserveSat + theirFeeSat) * 1000n) {
    protocolError(`update_add_htlc: the peer cannot afford ${add.amountMsat} msat: it would keep ${reduced.toRemoteMsat} msat, below the ${p.local.channelReserveSat} sat reserve${theirFeeSat > 0n ? ` plus ${theirFeeSat} sat of fees` : ''}`);
  }
  const incoming = htlcTotals(reduced, 'received');
  if (incoming.count > p.local.maxAcceptedHtlcs) protocolError(`update_add_htlc: ${incoming.count} HTLCs exceed our max_accepted_htlcs ${p.local.maxAcceptedHtlcs}`);
  if (incoming.amountMsat > p.local.maxHtlcValueInFlightMsat) {
    protocolError(`update_add_htlc: ${incoming.amountMsat} msat in flight exceeds our max_htlc_value_in_flight_msat ${p.local.maxHtlcValueInFlightMsat}`);
  }
  return { ...c, remoteChanges: { ...c.remoteChanges, proposed }, remoteNextHtlcId: c.remoteNextHtlcId + 1n };
}

// ---------------------------------------------------------------- removing an HTLC (BOLT 2 §Removing an HTLC)

function removes(list: readonly UpdateMessage[], id: bigint): boolean {
  for (const u of list) if (isRemoval(u) && u.id === id) return true;
  return false;
}

/** An HTLC the peer offered, irrevocably committed in both commitments (BOLT 2: only then may it be removed). */
function incomingCommitted(c: Commitments, id: bigint): Htlc | undefined {
  const ours = findHtlc(c.localCommit.spec, 'received', id);
  if (ours === undefined || findHtlc(c.remoteCommit.spec, 'offered', id) === undefined) return undefined;
  return ours;
}

/** An HTLC we offered, irrevocably committed in both commitments. */
function outgoingCommitted(c: Commitments, id: bigint): Htlc | undefined {
  const ours = findHtlc(c.localCommit.spec, 'offered', id);
  if (ours === undefined || findHtlc(c.remoteCommit.spec, 'received', id) === undefined) return undefined;
  return ours;
}

function incomingToRemove(c: Commitments, id: bigint, what: string): Htlc {
  const htlc = incomingCommitted(c, id);
  if (htlc === undefined) refuse(`${what}: no incoming HTLC ${id} irrevocably committed in both commitments`);
  const l = c.localChanges;
  if (removes(l.proposed, id) || removes(l.signed, id) || removes(l.acked, id)) refuse(`${what}: HTLC ${id} is already being removed`);
  return htlc;
}

function withProposed(c: Commitments, u: UpdateMessage): Commitments {
  return { ...c, localChanges: { ...c.localChanges, proposed: [...c.localChanges.proposed, u] } };
}

export function sendFulfill(c: Commitments, id: bigint, preimage: Uint8Array): { commitments: Commitments; message: UpdateFulfillHtlc } {
  const htlc = incomingToRemove(c, id, 'fulfill');
  if (preimage.length !== 32 || !equal(sha256(preimage), htlc.paymentHash)) refuse(`fulfill: the preimage does not hash to the payment_hash of HTLC ${id}`);
  const message: UpdateFulfillHtlc = { type: 'update_fulfill_htlc', channelId: c.params.channelId, id, paymentPreimage: preimage, tlvs: {} };
  return { commitments: withProposed(c, message), message };
}

export function sendFail(c: Commitments, id: bigint, reason: Uint8Array): { commitments: Commitments; message: UpdateFailHtlc } {
  incomingToRemove(c, id, 'fail');
  const message: UpdateFailHtlc = { type: 'update_fail_htlc', channelId: c.params.channelId, id, reason, tlvs: {} };
  return { commitments: withProposed(c, message), message };
}

/** BOLT 4 §Failure Messages: BADONION, set in every failure code update_fail_malformed_htlc carries. */
export const BADONION = 0x8000;

export function sendFailMalformed(c: Commitments, id: bigint, sha256OfOnion: Uint8Array, failureCode: number): { commitments: Commitments; message: UpdateFailMalformedHtlc } {
  incomingToRemove(c, id, 'fail-malformed');
  if ((failureCode & BADONION) === 0) refuse(`fail-malformed: failure_code 0x${failureCode.toString(16)} does not have the BADONION bit`);
  if (sha256OfOnion.length !== 32) refuse(`fail-malformed: sha256_of_onion must be 32 bytes, got ${sha256OfOnion.length}`);
  const message: UpdateFailMalformedHtlc = { type: 'update_fail_malformed_htlc', channelId: c.params.channelId, id, sha256OfOnion, failureCode, tlvs: {} };
  return { commitments: withProposed(c, message), message };
}

function outgoingToRemove(c: Commitments, id: bigint, what: string): Htlc {
  const htlc = outgoingCommitted(c, id);
  if (htlc === undefined) protocolError(`${what}: id ${id} is not an HTLC we offered that is committed in both commitments`);
  const r = c.remoteChanges;
  if (removes(r.proposed, id) || removes(r.acked, id) || removes(r.signed, id)) protocolError(`${what}: HTLC ${id} was already removed`);
  return htlc;
}

function withRemoteProposed(c: Commitments, u: UpdateMessage): Commitments {
  return { ...c, remoteChanges: { ...c.remoteChanges, proposed: [...c.remoteChanges.proposed, u] } };
}

export function receiveFulfill(c: Commitments, m: UpdateFulfillHtlc): { commitments: Commitments; htlc: Htlc } {
  const htlc = outgoingToRemove(c, m.id, 'update_fulfill_htlc');
  if (!equal(sha256(m.paymentPreimage), htlc.paymentHash)) protocolError(`update_fulfill_htlc: the preimage of HTLC ${m.id} does not hash to its payment_hash`);
  return { commitments: withRemoteProposed(c, m), htlc };
}

export function receiveFail(c: Commitments, m: UpdateFailHtlc | UpdateFailMalformedHtlc): Commitments {
  outgoingToRemove(c, m.id, m.type);
  if (m.type === 'update_fail_malformed_htlc' && (m.failureCode & BADONION) === 0) {
    protocolError(`update_fail_malformed_htlc: failure_code 0x${m.failureCode.toString(16)} does not have the BADONION bit`);
  }
  return withRemoteProposed(c, m);
}

// ---------------------------------------------------------------- fees (BOLT 2 §Updating Fees)

export function sendFee(c: Commitments, feeratePerKw: number): { commitments: Commitments; message: UpdateFee } {
  const p = c.params;
  if (!p.isOpener) refuse('update_fee: only the opener pays the commitment fee and may change it');
  if (feeratePerKw < p.config.minFeeratePerKw || feeratePerKw > p.config.maxFeeratePerKw) {
    refuse(`update_fee: feerate_per_kw ${feeratePerKw} is outside ${p.config.minFeeratePerKw}..${p.config.maxFeeratePerKw}`);
  }
  const message: UpdateFee = { type: 'update_fee', channelId: p.channelId, feeratePerKw, tlvs: {} };
  const proposed = [...c.localChanges.proposed.filter((u) => u.type !== 'update_fee'), message];
  const base = c.remoteNext ?? c.remoteCommit;
  const reduced = reduce(base.spec, c.remoteChanges.acked, proposed);
  const feeSat = openerCostSat(p.channelType, reduced, p.remote.dustLimitSat);
  if (reduced.toRemoteMsat < (p.remote.channelReserveSat + feeSat) * 1000n) {
    refuse(`update_fee: ${feeratePerKw} sat/kw costs ${feeSat} sat, more than our ${reduced.toRemoteMsat} msat above the ${p.remote.channelReserveSat} sat reserve`);
  }
  return { commitments: { ...c, localChanges: { ...c.localChanges, proposed } }, message };
}

export function receiveFee(c: Commitments, m: UpdateFee): Commitments {
  const p = c.params;
  if (p.isOpener) protocolError('update_fee: sent by the non-opener (BOLT 2: MUST NOT)');
  if (m.feeratePerKw < p.config.minFeeratePerKw || m.feeratePerKw > p.config.maxFeeratePerKw) {
    protocolError(`update_fee: feerate_per_kw ${m.feeratePerKw} is outside ${p.config.minFeeratePerKw}..${p.config.maxFeeratePerKw}`);
  }
  const proposed = [...c.remoteChanges.proposed.filter((u) => u.type !== 'update_fee'), m];
  const reduced = reduce(c.localCommit.spec, c.localChanges.acked, proposed);
  const feeSat = openerCostSat(p.channelType, reduced, p.local.dustLimitSat);
  if (reduced.toRemoteMsat < (p.local.channelReserveSat + feeSat) * 1000n) {
    protocolError(`update_fee: the opener cannot afford ${m.feeratePerKw} sat/kw (${feeSat} sat) above its ${p.local.channelReserveSat} sat reserve`);
  }
  return { ...c, remoteChanges: { ...c.remoteChanges, proposed } };
}

// ---------------------------------------------------------------- commitment_signed / revoke_and_ack

/**
 * We sign their next commitment: our proposed updates become `signed`, their acknowledged ones too.
 * Recorded BEFORE the signer is asked, so a restart can never make us sign the same number twice
 * with different content (the signer would refuse: policy-commitment-retry-same).
 */
export function startSign(c: Commitments): { commitments: Commitments; number: number; spec: CommitmentSpec; point: Uint8Array } {
  if (c.remoteNext !== null) throw new Error('startSign: a commitment_signed is already unacknowledged');
  if (c.remoteNextPoint === null) throw new Error('startSign: the peer has not sent its next per-commitment point');
  const next = commitmentOf(c, 'remote', 'next')!;
  if (next.spec.toLocalMsat < 0n || next.spec.toRemoteMsat < 0n) throw new Error(`startSign: commitment ${next.number} would have a negative balance`);
  const point = c.remoteNextPoint;
  return {
    commitments: {
      ...c,
      remoteNext: { number: next.number, spec: next.spec, point, signatures: null, sentAfterLocalNumber: c.localCommit.number },
      localChanges: { proposed: NONE, signed: c.localChanges.proposed, acked: c.localChanges.acked },
      remoteChanges: { proposed: c.remoteChanges.proposed, acked: NONE, signed: c.remoteChanges.acked },
      signAfterRevoke: false,
    },
    number: next.number,
    spec: next.spec,
    point,
  };
}

/** The signer signed `remoteNext`: keep its signatures for retransmission. */
export function withRemoteSignatures(c: Commitments, signatures: CommitSignatures): Commitments {
  if (c.remoteNext === null) throw new Error('withRemoteSignatures: no commitment is being signed');
  return { ...c, remoteNext: { ...c.remoteNext, signatures } };
}

/** We validated their signature on our `number` and revoked the previous one: the new commitment is ours. */
export function applyOwnRevocation(c: Commitments, number: number, spec: CommitmentSpec, secret: Uint8Array, nextPoint: Uint8Array): Commitments {
  if (number !== c.localCommit.number + 1) throw new Error(`applyOwnRevocation: commitment ${number} does not follow ${c.localCommit.number}`);
  if (c.localPoints.next === null) throw new Error('applyOwnRevocation: our next per-commitment point is unknown');
  return {
    ...c,
    localCommit: { number, spec },
    localChanges: { ...c.localChanges, acked: NONE },
    remoteChanges: { proposed: NONE, acked: c.remoteChanges.acked.concat(c.remoteChanges.proposed), signed: c.remoteChanges.signed },
    localPoints: { current: c.localPoints.next, next: nextPoint },
    lastRevocationSent: { number: c.localCommit.number, secret, nextPoint },
  };
}

/**
 * Their revoke_and_ack for remoteCommit (validated by the signer): the pending commitment becomes
 * theirs, our signed updates are due in our next commitment, and their updates we had signed are now
 * irrevocably committed (returned: incoming HTLCs to process, failures to report).
 */
export function applyPeerRevocation(c: Commitments, secret: Uint8Array, nextPoint: Uint8Array): { commitments: Commitments; irrevocable: readonly UpdateMessage[] } {
  const next = c.remoteNext;
  if (next === null) throw new Error('applyPeerRevocation: no commitment awaits revocation');
  return {
    commitments: {
      ...c,
      remoteCommit: { number: next.number, spec: next.spec, point: next.point },
      remoteNext: null,
      remoteNextPoint: nextPoint,
      localChanges: { proposed: c.localChanges.proposed, signed: NONE, acked: c.localChanges.acked.concat(c.localChanges.signed) },
      remoteChanges: { proposed: c.remoteChanges.proposed, acked: c.remoteChanges.acked, signed: NONE },
      lastSecretReceived: secret,
    },
    irrevocable: c.remoteChanges.signed,
  };
}

/**
 * BOLT 2 §Message Retransmission, upon disconnection: reverse the peer's uncommitted updates, and drop
 * our HTLC offers no commitment_signed carried (they are reported failed). Our uncommitted fulfills,
 * fails and fee updates stay and are sent again once the channel is re-established.
 */
export function dropUncommitted(c: Commitments): { commitments: Commitments; droppedAdds: readonly UpdateAddHtlc[] } {
  const droppedAdds = c.localChanges.proposed.filter((u): u is UpdateAddHtlc => u.type === 'update_add_htlc');
  const theirAdds = c.remoteChanges.proposed.filter((u) => u.type === 'update_add_htlc').length;
  if (droppedAdds.length === 0 && c.remoteChanges.proposed.length === 0) return { commitments: c, droppedAdds };
  return {
    commitments: {
      ...c,
      localChanges: { ...c.localChanges, proposed: droppedAdds.length === 0 ? c.localChanges.proposed : c.localChanges.proposed.filter((u) => u.type !== 'update_add_htlc') },
      remoteChanges: { ...c.remoteChanges, proposed: NONE },
      localNextHtlcId: c.localNextHtlcId - BigInt(droppedAdds.length),
      remoteNextHtlcId: c.remoteNextHtlcId - BigInt(theirAdds),
    },
    droppedAdds,
  };
}

/** Offered HTLCs in either current commitment that expired at `height` (BOLT 2 §cltv_expiry_delta Selection: fail the channel). */
export function expiredOutgoing(c: Commitments, height: number, graceBlocks: number): Htlc[] {
  const out: Htlc[] = [];
  for (const h of c.localCommit.spec.htlcs) if (h.direction === 'offered' && h.cltvExpiry + graceBlocks <= height) out.push(h);
  for (const h of (c.remoteNext ?? c.remoteCommit).spec.htlcs) {
    if (h.direction === 'received' && h.cltvExpiry + graceBlocks <= height && !out.some((o) => o.id === h.id)) out.push(h);
  }
  return out;
}
