// BOLT 2 §Message Retransmission: what a disconnection undoes, what channel_reestablish says, what
// each side sends again, and the numbers that prove one side lost state. Also the node's own restart
// from a persisted snapshot (signer requests in flight are gone).
import { equal } from '../../bolt/bytes.js';
import type { MessageToEncode } from '../../bolt/messages/index.js';
import type { Effect } from './effects.js';
import { dropUncommitted, localHasChanges } from './commitments.js';
import { afterCommitmentChange, failChannel, startNegotiation } from './closing.js';
import { ask, changed, errorMessage, notify, NO_EFFECTS, patch, persist, type Step } from './machine.js';
import { startSigning, isOperating } from './normal.js';
import { abandon, baseOf } from './opening.js';
import { forceCloseCall, signCounterpartyCall } from './signer-requests.js';
import {
  channelIdOf,
  hasCommitments,
  type ChannelReestablish,
  type ChannelState,
  type StateWithCommitments,
  type WaitForRemotePublish,
} from './states.js';

const ZERO_SECRET = new Uint8Array(32);

/** Reverse the uncommitted updates, report our dropped HTLC offers, go offline. */
export function dropAfterDisconnect<S extends StateWithCommitments>(s: S, reason: string): [S, Effect[]] {
  const { commitments, droppedAdds } = dropUncommitted(s.commitments);
  const channelId = commitments.params.channelId;
  const effects: Effect[] = droppedAdds.map((add) =>
    notify({ kind: 'payment-failed', channelId, htlcId: add.id, paymentHash: add.paymentHash, amountMsat: add.amountMsat, failure: { kind: 'local', message: `not committed before the disconnection (${reason})` } }),
  );
  let next: S = { ...s, commitments, connection: 'offline' };
  if (next.kind === 'negotiating') next = { ...next, lastSent: null }; // BOLT 2: negotiation restarts on reconnection
  return [next, effects];
}

export function onDisconnected(s: ChannelState): Step {
  if (s.connection === 'offline') return [s, NO_EFFECTS];
  switch (s.kind) {
    case 'idle':
    case 'closed':
    case 'closing':
    case 'wait-for-remote-publish':
      return [patch(s, { connection: 'offline' }), NO_EFFECTS];
    case 'wait-for-accept-channel':
    case 'wait-for-funding-tx':
    case 'wait-for-funding-created':
    case 'wait-for-funding-signed': {
      // BOLT 2: before funding_signed, neither side remembers the channel.
      const reason = 'disconnected before the channel was funded';
      const replies: Effect[] = s.kind === 'wait-for-funding-created' ? [] : [{ kind: 'reply', commandId: s.commandId, result: { ok: false, error: reason } }];
      return abandon(patch(s, { connection: 'offline' }), channelIdOf(s), reason, replies);
    }
    default:
      return dropAfterDisconnect(s, 'peer disconnected');
  }
}

/** The channel_reestablish we send: what we expect next from the peer, and the last secret it gave us. */
function reestablishMessage(s: StateWithCommitments): ChannelReestablish {
  const c = s.commitments;
  return {
    type: 'channel_reestablish',
    channelId: c.params.channelId,
    nextCommitmentNumber: BigInt(c.localCommit.number + 1),
    nextRevocationNumber: BigInt(c.remoteCommit.number),
    yourLastPerCommitmentSecret: c.lastSecretReceived ?? ZERO_SECRET,
    myCurrentPerCommitmentPoint: c.localPoints.current,
    tlvs: {},
  };
}

export function onConnected(s: ChannelState): Step {
  if (s.connection !== 'offline') return [s, NO_EFFECTS];
  switch (s.kind) {
    case 'idle':
    case 'closed':
      return [patch(s, { connection: 'online' }), NO_EFFECTS];
    case 'closing': {
      // BOLT 2: a channel in an error state SHOULD retransmit the error.
      const next = patch(s, { connection: 'online' });
      return [next, s.errorMessage === null ? NO_EFFECTS : [{ kind: 'send', message: errorMessage(s.commitments.params.channelId, s.errorMessage) }]];
    }
    case 'wait-for-remote-publish': {
      const next = patch(s, { connection: 'online' });
      return [next, [{ kind: 'send', message: errorMessage(s.commitments.params.channelId, s.reason) }]];
    }
    case 'wait-for-accept-channel':
    case 'wait-for-funding-tx':
    case 'wait-for-funding-created':
    case 'wait-for-funding-signed':
      return [patch(s, { connection: 'online' }), NO_EFFECTS];
    default:
      // BOLT 2: MUST send channel_reestablish, then wait for the peer's before any other message.
      return [patch(s, { connection: 'syncing' }), [{ kind: 'send', message: reestablishMessage(s) }]];
  }
}

/** We are behind: never broadcast our commitment (it may be revoked); ask the peer to close. */
function stateLost(s: StateWithCommitments, reason: string): Step {
  const channelId = s.commitments.params.channelId;
  const next: WaitForRemotePublish = { ...baseOf(s), kind: 'wait-for-remote-publish', commitments: s.commitments, reason };
  return [
    next,
    [persist(next), { kind: 'send', message: errorMessage(channelId, `we lost channel state: ${reason}; please close the channel`) }, notify({ kind: 'state-lost', channelId, message: reason }), ...changed(s, next)],
  ];
}

/** BOLT 2 §Message Retransmission: check the peer's numbers, then retransmit what it missed, in the original order. */
export function onReestablish(state: ChannelState, m: ChannelReestablish): Step {
  if (!hasCommitments(state) || state.connection !== 'syncing') {
    return [state, [notify({ kind: 'ignored', channelId: channelIdOf(state), what: `channel_reestablish in state ${state.kind} (${state.connection})` })]];
  }
  const s = patch(state, { connection: 'online' });
  const c = s.commitments;
  const L = c.localCommit.number;
  const R = c.remoteCommit.number;
  const nextCommitment = Number(m.nextCommitmentNumber);
  const nextRevocation = Number(m.nextRevocationNumber);
  if (!equal(m.channelId, c.params.channelId)) return [state, [notify({ kind: 'ignored', channelId: c.params.channelId, what: 'channel_reestablish for another channel' })]];
  if (nextCommitment === 0) return failChannel(s, 'channel_reestablish: next_commitment_number is 0');

  // Our revocations: the peer expects revoke_and_ack number `nextRevocation` next.
  let resendRevoke = false;
  if (nextRevocation === L - 1) resendRevoke = true;
  else if (nextRevocation > L) return stateLost(s, `the peer expects our revocation of commitment ${nextRevocation}, but our latest commitment is ${L}`);
  else if (nextRevocation !== L) return failChannel(s, `channel_reestablish: next_revocation_number ${nextRevocation}, but we revoked through ${L - 1}: the peer lost state`);
  if (nextRevocation > 0 && c.lastRevocationSent !== null && c.lastRevocationSent.number === nextRevocation - 1 && !equal(m.yourLastPerCommitmentSecret, c.lastRevocationSent.secret)) {
    return failChannel(s, `channel_reestablish: your_last_per_commitment_secret is not the secret of our commitment ${nextRevocation - 1}`);
  }
  if (resendRevoke && (c.lastRevocationSent === null || c.lastRevocationSent.number !== L - 1)) throw new Error(`our revocation of commitment ${L - 1} is not kept`);

  // Our commitment_signed: the peer expects number `nextCommitment` next.
  let resendCommit = false;
  const pending = c.remoteNext;
  const expected = pending === null ? R + 1 : pending.number + 1;
  if (pending !== null && nextCommitment === pending.number) resendCommit = true;
  else if (nextCommitment > expected) return stateLost(s, `the peer expects our commitment_signed ${nextCommitment}, but we signed only through ${expected - 1}`);
  else if (nextCommitment !== expected) return failChannel(s, `channel_reestablish: next_commitment_number ${nextCommitment}, expected ${expected}: the peer lost state`);

  const channelId = c.params.channelId;
  const out: MessageToEncode[] = [];
  // BOLT 2: channel_ready again when both sides still expect commitment 1 and we already sent it.
  if (L === 0 && nextCommitment === 1 && c.localPoints.next !== null && s.kind !== 'wait-for-funding-confirmed') {
    out.push({ type: 'channel_ready', channelId, secondPerCommitmentPoint: c.localPoints.next, tlvs: {} });
  }
  const revoke: MessageToEncode[] = resendRevoke
    ? [{ type: 'revoke_and_ack', channelId, perCommitmentSecret: c.lastRevocationSent!.secret, nextPerCommitmentPoint: c.lastRevocationSent!.nextPoint }]
    : [];
  let commit: MessageToEncode[] = [];
  if (resendCommit) {
    const sigs = pending!.signatures;
    if (sigs === null) throw new Error(`commitment_signed ${pending!.number} to retransmit has no signature`);
    commit = [...c.localChanges.signed, { type: 'commitment_signed', channelId, signature: sigs.signature, htlcSignature: [...sigs.htlcSignatures] }];
  }
  // Same relative order as first sent: the commitment was signed before our last revocation if its
  // local number was older than our current commitment.
  if (resendCommit && resendRevoke && pending!.sentAfterLocalNumber < L) out.push(...commit, ...revoke);
  else out.push(...revoke, ...commit);
  // Our updates no commitment_signed carried: the peer forgot them; send them again.
  out.push(...c.localChanges.proposed);
  // BOLT 2: a node that sent shutdown MUST retransmit it.
  if ('localShutdown' in s && s.localShutdown !== null) out.push(s.localShutdown);
  const effects: Effect[] = out.map((message) => ({ kind: 'send', message }));

  if (s.kind === 'negotiating') return startNegotiation(s, effects);
  if (isOperating(s) && localHasChanges(s.commitments) && s.commitments.remoteNext === null && s.pending === null) {
    const [signing, more] = startSigning(s);
    return afterCommitmentChange(signing, [...effects, ...more]);
  }
  return afterCommitmentChange(s, effects);
}

/** The node restarted from a snapshot: requests in flight are lost, the peer is offline until `connected`. */
export function onRestarted(state: ChannelState): Step {
  const s = patch(state, { pending: null, deferred: null, connection: 'offline' });
  switch (s.kind) {
    case 'idle':
    case 'closed':
    case 'wait-for-remote-publish':
      return [s, NO_EFFECTS];
    case 'wait-for-accept-channel':
    case 'wait-for-funding-tx':
    case 'wait-for-funding-created':
    case 'wait-for-funding-signed':
      return abandon(s, channelIdOf(s), 'the node restarted before the channel was funded');
    case 'closing': {
      if (s.closeType !== 'local' || s.published !== null) return [s, NO_EFFECTS];
      // The force close was asked for but its transaction never came back: ask again.
      const [next, effect] = ask(s, forceCloseCall(s.commitments.params.channelId), { step: 'force-close' });
      return [next, [effect]];
    }
    case 'negotiating':
      return [{ ...s, lastSent: null }, NO_EFFECTS];
    default: {
      const c = s.commitments;
      const pending = c.remoteNext;
      if (pending !== null && pending.signatures === null) {
        // We may have had this commitment signed before the restart: ask again (same content, same number).
        const [next, effect] = ask(s, signCounterpartyCall(c.params.channelId, pending.number, pending.spec, pending.point), { step: 'sign-remote', retransmit: true });
        return [next, [effect]];
      }
      return [s, NO_EFFECTS];
    }
  }
}
