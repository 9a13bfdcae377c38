// BOLT 2 §Normal Operation: offering and removing HTLCs, update_fee, and the commitment_signed /
// revoke_and_ack exchange, with the signer producing every signature and secret:
//   sign:    (persist) SignCounterpartyCommitment(N+1) -> commitment_signed
//   receive: ValidateHolderCommitment(N+1) -> RevokeHolderCommitment(N) -> (persist) revoke_and_ack
//   ack:     ValidateCounterpartyRevocation(N) -> (persist) their updates are irrevocable
import type { Effect } from './effects.js';
import type {
  AddHtlcCommand,
  FailHtlcCommand,
  FailMalformedHtlcCommand,
  FulfillHtlcCommand,
  UpdateFeeCommand,
} from './events.js';
import type {
  CommitmentSpec,
  UpdateAddHtlc,
  UpdateFailHtlc,
  UpdateFailMalformedHtlc,
  UpdateFee,
  UpdateFulfillHtlc,
  UpdateMessage,
} from './commitment-spec.js';
import {
  applyOwnRevocation,
  applyPeerRevocation,
  commitmentOf,
  localHasChanges,
  receiveAdd,
  receiveFail,
  receiveFee,
  receiveFulfill,
  remoteHasChanges,
  sendAdd,
  sendFail,
  sendFailMalformed,
  sendFee,
  sendFulfill,
  startSign,
  withRemoteSignatures,
  type Commitments,
} from './commitments.js';
import { protocolError, refuse } from './errors.js';
import { ask, notify, NO_EFFECTS, persist, reply, sendTo, type Step } from './machine.js';
import { afterCommitmentChange, failChannel } from './closing.js';
import { dropAfterDisconnect } from './reestablish.js';
import type { SignerAnswer } from './resume.js';
import {
  readCommitSignatures,
  readRevocation,
  revokeHolderCall,
  signCounterpartyCall,
  validateHolderCall,
  validateRevocationCall,
} from './signer-requests.js';
import type { ChannelState, CommitmentSigned, Normal, Purpose, RevokeAndAck, ShuttingDown } from './states.js';

/** The states where commitments are updated. */
export type Operating = Normal | ShuttingDown;

export function isOperating(s: ChannelState): s is Operating {
  return s.kind === 'normal' || s.kind === 'shutting-down';
}

function operating(s: ChannelState, what: string): Operating {
  if (!isOperating(s)) refuse(`${what}: the channel is ${s.kind}, not in normal operation`);
  return s;
}

function withCommitments<S extends Operating>(s: S, commitments: Commitments): S {
  return { ...s, commitments };
}

// ---------------------------------------------------------------- our updates

export function onAddHtlc(state: ChannelState, cmd: AddHtlcCommand): Step {
  const s = operating(state, 'add-htlc');
  if (s.kind !== 'normal' || s.localShutdown !== null || s.remoteShutdown !== null) refuse('add-htlc: the channel is shutting down (BOLT 2: no update_add_htlc after shutdown)');
  if (s.connection !== 'online') refuse('add-htlc: the peer is not connected');
  const { commitments, add } = sendAdd(s.commitments, cmd, s.blockHeight);
  const next = withCommitments(s, commitments);
  return [next, [...sendTo(next, add), reply(cmd.commandId, { ok: true, htlcId: add.id })]];
}

export function onRemoveHtlc(state: ChannelState, cmd: FulfillHtlcCommand | FailHtlcCommand | FailMalformedHtlcCommand): Step {
  const s = operating(state, cmd.kind);
  const r =
    cmd.kind === 'fulfill-htlc'
      ? sendFulfill(s.commitments, cmd.htlcId, cmd.preimage)
      : cmd.kind === 'fail-htlc'
        ? sendFail(s.commitments, cmd.htlcId, cmd.reason)
        : sendFailMalformed(s.commitments, cmd.htlcId, cmd.sha256OfOnion, cmd.failureCode);
  const next = withCommitments(s, r.commitments);
  // Offline, the update stays proposed and goes out after channel_reestablish.
  return [next, [...sendTo(next, r.message), reply(cmd.commandId, { ok: true })]];
}

export function onUpdateFee(state: ChannelState, cmd: UpdateFeeCommand): Step {
  const s = operating(state, 'update-fee');
  const { commitments, message } = sendFee(s.commitments, cmd.feeratePerKw);
  const next = withCommitments(s, commitments);
  return [next, [...sendTo(next, message), reply(cmd.commandId, { ok: true })]];
}

/** "Sign now": sign if there is something to sign and nothing unacknowledged; else remember to. */
export function onSign(s: ChannelState): Step {
  if (!isOperating(s) || s.connection !== 'online') return [s, NO_EFFECTS];
  const c = s.commitments;
  if (!localHasChanges(c)) return [s, NO_EFFECTS];
  if (c.remoteNext !== null) return c.signAfterRevoke ? [s, NO_EFFECTS] : [withCommitments(s, { ...c, signAfterRevoke: true }), NO_EFFECTS];
  return startSigning(s);
}

/** Signs their next commitment: the changes move to `signed` and are persisted before the signer is asked. */
export function startSigning<S extends Operating>(s: S): Step {
  const { commitments, number, spec, point } = startSign(s.commitments);
  const [next, effect] = ask(withCommitments(s, commitments), signCounterpartyCall(commitments.params.channelId, number, spec, point), { step: 'sign-remote', retransmit: false });
  return [next, [persist(next), effect]];
}

/** Signs again or stays, as `signAfterRevoke` and the pending changes say. */
function signIfDue(s: ChannelState, effects: Effect[]): Step {
  if (!isOperating(s) || s.connection !== 'online') return [s, effects];
  const c = s.commitments;
  if (!localHasChanges(c)) return [c.signAfterRevoke ? withCommitments(s, { ...c, signAfterRevoke: false }) : s, effects];
  if (c.remoteNext !== null) return [c.signAfterRevoke ? s : withCommitments(s, { ...c, signAfterRevoke: true }), effects];
  const [next, more] = startSigning(s);
  return [next, [...effects, ...more]];
}

export function resumeSignRemote(state: ChannelState, purpose: Extract<Purpose, { step: 'sign-remote' }>, answer: SignerAnswer): Step {
  if (!isOperating(state) && state.kind !== 'negotiating' && state.kind !== 'wait-for-remote-publish') return [state, NO_EFFECTS];
  const c = state.commitments;
  if (c.remoteNext === null) throw new Error('SignCounterpartyCommitment answered with no commitment being signed');
  const channelId = c.params.channelId;
  if (!answer.ok) {
    // Nothing was signed: put the changes back, and drop the connection so the peer forgets our
    // uncommitted updates too (BOLT 2 §Message Retransmission); our HTLC offers are reported failed.
    const unsigned: Commitments = {
      ...c,
      remoteNext: null,
      localChanges: { proposed: c.localChanges.signed.concat(c.localChanges.proposed), signed: [], acked: c.localChanges.acked },
      remoteChanges: { proposed: c.remoteChanges.proposed, acked: c.remoteChanges.signed.concat(c.remoteChanges.acked), signed: [] },
    };
    const reason = `the signer refused our commitment_signed: ${answer.message}`;
    const effects: Effect[] = [notify({ kind: 'signer-refused', channelId, method: 'SignCounterpartyCommitment', message: answer.message }), { kind: 'disconnect', reason }];
    if (!isOperating(state)) return [state, effects];
    const [offline, dropped] = dropAfterDisconnect(withCommitments(state, unsigned), reason);
    return [offline, [...effects, ...dropped]];
  }
  const signatures = readCommitSignatures(answer.response);
  const signed = withRemoteSignatures(c, signatures);
  const next = { ...state, commitments: signed } as typeof state;
  if (purpose.retransmit) return [next, NO_EFFECTS];
  const effects: Effect[] = [
    ...sendTo(next, { type: 'commitment_signed', channelId, signature: signatures.signature, htlcSignature: [...signatures.htlcSignatures], tlvs: {} }),
  ];
  return afterCommitmentChange(next, effects);
}

// ---------------------------------------------------------------- their updates

export function onPeerUpdate(state: ChannelState, m: UpdateMessage): Step {
  if (!isOperating(state)) {
    if (state.kind === 'closing' || state.kind === 'closed' || state.kind === 'wait-for-remote-publish') return [state, NO_EFFECTS];
    protocolError(`${m.type} in state ${state.kind}`);
  }
  const s = state;
  switch (m.type) {
    case 'update_add_htlc':
      if (s.remoteShutdown !== null) protocolError('update_add_htlc after shutdown (BOLT 2: MUST NOT)');
      return [withCommitments(s, receiveAdd(s.commitments, m as UpdateAddHtlc)), NO_EFFECTS];
    case 'update_fulfill_htlc': {
      const { commitments, htlc } = receiveFulfill(s.commitments, m as UpdateFulfillHtlc);
      const f = m as UpdateFulfillHtlc;
      return [
        withCommitments(s, commitments),
        [notify({ kind: 'payment-settled', channelId: commitments.params.channelId, htlcId: f.id, paymentHash: htlc.paymentHash, preimage: f.paymentPreimage, amountMsat: htlc.amountMsat })],
      ];
    }
    case 'update_fail_htlc':
    case 'update_fail_malformed_htlc':
      return [withCommitments(s, receiveFail(s.commitments, m as UpdateFailHtlc | UpdateFailMalformedHtlc)), NO_EFFECTS];
    case 'update_fee':
      return [withCommitments(s, receiveFee(s.commitments, m as UpdateFee)), NO_EFFECTS];
  }
}

// ---------------------------------------------------------------- commitment_signed / revoke_and_ack

export function onCommitmentSigned(state: ChannelState, m: CommitmentSigned): Step {
  if (!isOperating(state)) {
    if (state.kind === 'closing' || state.kind === 'closed' || state.kind === 'wait-for-remote-publish') return [state, NO_EFFECTS];
    protocolError(`commitment_signed in state ${state.kind}`);
  }
  const c = state.commitments;
  // BOLT 2: MUST NOT send a commitment_signed that does not include any updates.
  if (!remoteHasChanges(c)) protocolError('commitment_signed without any update to commit');
  if (c.localPoints.next === null) protocolError('commitment_signed before channel_ready');
  const next = commitmentOf(c, 'local', 'next')!;
  // One signer request validates our new commitment and revokes the previous one (revoke_previous).
  const [waiting, effect] = ask(state, validateHolderCall(c.params.channelId, next.number, next.spec, m.signature, m.htlcSignature, true), {
    step: 'validate-local',
    number: next.number,
    spec: next.spec,
  });
  return [waiting, [effect]];
}

export function resumeValidateLocal(state: ChannelState, purpose: Extract<Purpose, { step: 'validate-local' }>, answer: SignerAnswer): Step {
  if (!isOperating(state)) return [state, NO_EFFECTS];
  // BOLT 2: a signature that is not valid for our commitment fails the channel.
  if (!answer.ok) protocolError(`commitment_signed for our commitment ${purpose.number} refused by the signer: ${answer.message}`);
  const revoked = answer.response as { per_commitment_secret?: Uint8Array };
  if (revoked.per_commitment_secret !== undefined && revoked.per_commitment_secret.length > 0) {
    return revokedLocal(state, purpose.number, purpose.spec, readRevocation(answer.response, 'ValidateHolderCommitment'));
  }
  // A signer that validates only: revoke with a second request.
  const [waiting, effect] = ask(state, revokeHolderCall(state.commitments.params.channelId, purpose.number - 1), { step: 'revoke-local', number: purpose.number, spec: purpose.spec });
  return [waiting, [effect]];
}

export function resumeRevokeLocal(state: ChannelState, purpose: Extract<Purpose, { step: 'revoke-local' }>, answer: SignerAnswer): Step {
  if (!isOperating(state)) return [state, NO_EFFECTS];
  if (!answer.ok) return failChannel(state, `the signer refused to revoke our commitment ${purpose.number - 1}: ${answer.message}`);
  return revokedLocal(state, purpose.number, purpose.spec, readRevocation(answer.response));
}

/** Our commitment `number` holds and `number - 1` is revoked: send revoke_and_ack, then sign what is due. */
function revokedLocal(state: Operating, number: number, spec: CommitmentSpec, { secret, nextPoint }: { secret: Uint8Array; nextPoint: Uint8Array }): Step {
  const c = applyOwnRevocation(state.commitments, number, spec, secret, nextPoint);
  const next = withCommitments(state, c);
  const revoke: RevokeAndAck = { type: 'revoke_and_ack', channelId: c.params.channelId, perCommitmentSecret: secret, nextPerCommitmentPoint: nextPoint, tlvs: {} };
  // Persist the new commitment before the revocation leaves (a restart must not forget it was sent).
  const effects: Effect[] = [persist(next), ...sendTo(next, revoke)];
  // Their updates are now due in their commitment: sign them (or once our pending one is acknowledged).
  const [signed, more] = signIfDue(next, effects);
  return afterCommitmentChange(signed, more as Effect[]);
}

export function onRevokeAndAck(state: ChannelState, m: RevokeAndAck): Step {
  if (!isOperating(state)) {
    if (state.kind === 'closing' || state.kind === 'closed' || state.kind === 'wait-for-remote-publish') return [state, NO_EFFECTS];
    protocolError(`revoke_and_ack in state ${state.kind}`);
  }
  const c = state.commitments;
  if (c.remoteNext === null || c.remoteNext.signatures === null) protocolError('revoke_and_ack without an unacknowledged commitment_signed');
  const [waiting, effect] = ask(state, validateRevocationCall(c.params.channelId, c.remoteCommit.number, m.perCommitmentSecret), { step: 'validate-revocation', message: m });
  return [waiting, [effect]];
}

export function resumeValidateRevocation(state: ChannelState, purpose: Extract<Purpose, { step: 'validate-revocation' }>, answer: SignerAnswer): Step {
  if (!isOperating(state)) return [state, NO_EFFECTS];
  const m = purpose.message;
  // BOLT 2: a per_commitment_secret that does not generate the previous point fails the channel.
  if (!answer.ok) protocolError(`revoke_and_ack for their commitment ${state.commitments.remoteCommit.number} refused by the signer: ${answer.message}`);
  const { commitments, irrevocable } = applyPeerRevocation(state.commitments, m.perCommitmentSecret, m.nextPerCommitmentPoint);
  const next = withCommitments(state, commitments);
  const effects: Effect[] = [persist(next), ...irrevocableNotifications(state.commitments, irrevocable)];
  const due = commitments.signAfterRevoke ? signIfDue(next, effects) : ([next, effects] as const);
  return afterCommitmentChange(due[0], [...due[1]]);
}

/**
 * Their updates now in both commitments with the previous ones revoked: incoming HTLCs to settle,
 * failures to report. `before` is the state before the revocation: its remote commitment still holds
 * the failed HTLCs.
 */
function irrevocableNotifications(before: Commitments, updates: readonly UpdateMessage[]): Effect[] {
  const c = before;
  const channelId = c.params.channelId;
  const out: Effect[] = [];
  for (const u of updates) {
    if (u.type === 'update_add_htlc') out.push(notify({ kind: 'htlc-received', channelId, htlc: u }));
    else if (u.type === 'update_fail_htlc' || u.type === 'update_fail_malformed_htlc') {
      const htlc = findOffered(c, u.id);
      out.push(
        notify({
          kind: 'payment-failed',
          channelId,
          htlcId: u.id,
          paymentHash: htlc?.paymentHash ?? new Uint8Array(32),
          amountMsat: htlc?.amountMsat ?? 0n,
          failure: u.type === 'update_fail_htlc' ? { kind: 'remote', reason: u.reason } : { kind: 'malformed', failureCode: u.failureCode, sha256OfOnion: u.sha256OfOnion },
        }),
      );
    }
  }
  return out;
}

/** An HTLC we offered, as their last revoked-into commitment still holds it (`received` from their side). */
function findOffered(c: Commitments, id: bigint): { paymentHash: Uint8Array; amountMsat: bigint } | undefined {
  for (const h of c.remoteCommit.spec.htlcs) if (h.direction === 'received' && h.id === id) return h;
  return undefined;
}
