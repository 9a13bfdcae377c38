// The channel as a pure state machine: (state, event) -> (state, effects). No I/O, no clock, no
// randomness: the shell around it feeds events and carries out effects in order.
//
// At most one signer request is in flight. Events that arrive meanwhile (peer messages, commands,
// chain and connection events) wait, in order, and are replayed once the answer is in, so every
// handler sees a channel whose signer-backed steps are complete.
import type { Effect } from './effects.js';
import { isCommand, type ChannelEvent, type SignerEvent } from './events.js';
import { ChannelProtocolError, CommandRefused } from './errors.js';
import { NO_EFFECTS, notify, patch, replyError, type Step } from './machine.js';
import { onAcceptChannel, onChannelReady, onFundingBuilt, onFundingCreated, onFundingDepth, onFundingSigned, onOpen, onOpenChannel } from './opening.js';
import { onAddHtlc, onCommitmentSigned, onPeerUpdate, onRemoveHtlc, onRevokeAndAck, onSign, onUpdateFee } from './normal.js';
import { failChannel, onBlock, onClose, onClosingSigned, onForceClose, onFundingSpent, onPeerError, onShutdown } from './closing.js';
import { onConnected, onDisconnected, onReestablish, onRestarted } from './reestablish.js';
import { answerOf, resume } from './resume.js';
import { SpecError, type UpdateMessage } from './commitment-spec.js';
import { channelIdOf, hasCommitments, type ChannelState, type DeferredEvents } from './states.js';
import { equal } from '../../bolt/bytes.js';
import type { Message } from '../../bolt/messages/index.js';

export type { Step } from './machine.js';

/** Process one event. Never throws: a refused command replies with the reason, a peer's violation fails the channel. */
export function process(state: ChannelState, event: ChannelEvent): Step {
  if (event.kind === 'signer-reply' || event.kind === 'signer-error') return onSignerAnswer(state, event);
  if (event.kind === 'restarted') return drain(guarded(state, event, () => onRestarted(state)));
  if (state.pending !== null) return [patch(state, { deferred: { event, older: state.deferred } }), NO_EFFECTS];
  return handle(state, event);
}

function handle(state: ChannelState, event: ChannelEvent): Step {
  return guarded(state, event, () => dispatch(state, event));
}

function guarded(state: ChannelState, event: ChannelEvent, run: () => Step): Step {
  try {
    return run();
  } catch (e) {
    return onError(state, event, e);
  }
}

function dispatch(s: ChannelState, e: ChannelEvent): Step {
  switch (e.kind) {
    case 'open':
      return onOpen(s, e);
    case 'funding-built':
      return onFundingBuilt(s, e);
    case 'add-htlc':
      return onAddHtlc(s, e);
    case 'fulfill-htlc':
    case 'fail-htlc':
    case 'fail-malformed-htlc':
      return onRemoveHtlc(s, e);
    case 'update-fee':
      return onUpdateFee(s, e);
    case 'sign':
      return onSign(s);
    case 'close':
      return onClose(s, e);
    case 'force-close':
      return onForceClose(s, e);
    case 'message':
      return onMessage(s, e.message);
    case 'funding-depth':
      return onFundingDepth(s, e);
    case 'funding-spent':
      return onFundingSpent(s, e);
    case 'block':
      return onBlock(s, e);
    case 'connected':
      return onConnected(s);
    case 'disconnected':
      return onDisconnected(s);
    case 'restarted':
    case 'signer-reply':
    case 'signer-error':
      throw new Error(`${e.kind} is not dispatched here`);
  }
}

function onMessage(s: ChannelState, m: Message): Step {
  // A message racing our own disconnection (the `disconnect` effect) belongs to the dead connection.
  if (s.connection === 'offline') return [s, [notify({ kind: 'ignored', channelId: channelIdOf(s), what: `${m.type} while disconnected` })]];
  // Messages for another channel are the shell's routing mistake, not this channel's business.
  if (hasCommitments(s) && 'channelId' in m && m.type !== 'error' && m.type !== 'warning' && !equal(m.channelId, s.commitments.params.channelId)) {
    return [s, [notify({ kind: 'ignored', channelId: channelIdOf(s), what: `${m.type} for another channel` })]];
  }
  // BOLT 2: after reconnecting, nothing but channel_reestablish (or an error) before the peer's channel_reestablish.
  if (s.connection === 'syncing' && m.type !== 'channel_reestablish' && m.type !== 'error' && m.type !== 'warning') {
    return [s, [notify({ kind: 'ignored', channelId: channelIdOf(s), what: `${m.type} before channel_reestablish` })]];
  }
  switch (m.type) {
    case 'open_channel':
      return onOpenChannel(s, m);
    case 'accept_channel':
      return onAcceptChannel(s, m);
    case 'funding_created':
      return onFundingCreated(s, m);
    case 'funding_signed':
      return onFundingSigned(s, m);
    case 'channel_ready':
      return onChannelReady(s, m);
    case 'update_add_htlc':
    case 'update_fulfill_htlc':
    case 'update_fail_htlc':
    case 'update_fail_malformed_htlc':
    case 'update_fee':
      return onPeerUpdate(s, m as UpdateMessage);
    case 'commitment_signed':
      return onCommitmentSigned(s, m);
    case 'revoke_and_ack':
      return onRevokeAndAck(s, m);
    case 'shutdown':
      return onShutdown(s, m);
    case 'closing_signed':
      return onClosingSigned(s, m);
    case 'channel_reestablish':
      return onReestablish(s, m);
    case 'error':
      return onPeerError(s, m);
    case 'warning':
      return [s, [notify({ kind: 'channel-error', channelId: channelIdOf(s), direction: 'warning', message: new TextDecoder().decode(m.data).slice(0, 300) })]];
    default:
      return [s, [notify({ kind: 'ignored', channelId: channelIdOf(s), what: `${m.type} is not handled by the channel` })]];
  }
}

function onSignerAnswer(state: ChannelState, e: SignerEvent): Step {
  const pending = state.pending;
  if (pending === null || pending.requestId !== e.requestId) {
    return [state, [notify({ kind: 'ignored', channelId: channelIdOf(state), what: `signer answer to request ${e.requestId}, which is not in flight` })]];
  }
  const cleared = patch(state, { pending: null });
  return drain(guarded(cleared, e, () => resume(cleared, pending, answerOf(e))));
}

/** Replays the events that waited for the signer, until another request goes out. */
function drain(step: Step): Step {
  let [s, effects] = step;
  if (s.pending !== null || s.deferred === null) return step;
  const queue: ChannelEvent[] = [];
  for (let d: DeferredEvents | null = s.deferred; d !== null; d = d.older) queue.push(d.event);
  queue.reverse();
  s = patch(s, { deferred: null });
  const out: Effect[] = [...effects];
  for (let i = 0; i < queue.length; i++) {
    if (s.pending !== null) {
      let rest: DeferredEvents | null = null;
      for (let j = i; j < queue.length; j++) rest = { event: queue[j]!, older: rest };
      s = patch(s, { deferred: rest });
      break;
    }
    const [next, more] = handle(s, queue[i]!);
    s = next;
    for (const m of more) out.push(m);
  }
  effects = out;
  return [s, effects];
}

/**
 * A refused command: reply, state unchanged. A protocol violation (or an inconsistency found while
 * handling the peer, the signer or the chain): fail the channel.
 */
function onError(state: ChannelState, event: ChannelEvent, e: unknown): Step {
  const message = e instanceof Error ? e.message : String(e);
  if (isCommand(event) && !(e instanceof ChannelProtocolError)) {
    if (event.kind === 'sign') return [state, [notify({ kind: 'ignored', channelId: channelIdOf(state), what: `sign: ${message}` })]];
    return [state, [replyError(event.commandId, e instanceof CommandRefused ? message : `internal error: ${message}`)]];
  }
  const reason = e instanceof ChannelProtocolError ? message : e instanceof SpecError ? `inconsistent update: ${message}` : `internal error: ${message}`;
  return failChannel(state, reason);
}
