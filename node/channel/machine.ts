// Small helpers every handler uses to build a Step: ask the signer (at most one request in flight),
// send only while the peer is reachable, reply, notify, persist, change state.
import type { MessageToEncode } from '../../bolt/messages/index.js';
import type { CommandResult, Effect, Notification } from './effects.js';
import type { SignerCall } from './signer-requests.js';
import { channelIdOf, type ChannelState, type MachineBase, type Purpose } from './states.js';

export type Step = readonly [ChannelState, readonly Effect[]];

export const NO_EFFECTS: readonly Effect[] = Object.freeze([]);

/** A copy of `s` with some bookkeeping fields changed (keeps the state's own type). */
export function patch<S extends ChannelState>(s: S, p: Partial<MachineBase>): S {
  return { ...s, ...p };
}

/** Records the request in flight and returns the effect that asks the signer. */
export function ask<S extends ChannelState>(s: S, call: SignerCall, purpose: Purpose): [S, Effect] {
  if (s.pending !== null) throw new Error(`a signer request (${s.pending.method}) is already in flight`);
  const requestId = s.nextRequestId;
  return [patch(s, { pending: { requestId, method: call.method, purpose }, nextRequestId: requestId + 1 }), { kind: 'signer', requestId, call }];
}

/** A send effect, or nothing while the peer is offline or not re-established (BOLT 2: wait for its channel_reestablish). */
export function sendTo(s: ChannelState, message: MessageToEncode): readonly Effect[] {
  return s.connection === 'online' ? [{ kind: 'send', message }] : NO_EFFECTS;
}

export function reply(commandId: string, result: CommandResult): Effect {
  return { kind: 'reply', commandId, result };
}

export function replyError(commandId: string, error: string): Effect {
  return { kind: 'reply', commandId, result: { ok: false, error } };
}

export function notify(event: Notification): Effect {
  return { kind: 'notify', event };
}

export function persist(s: ChannelState): Effect {
  return { kind: 'persist', state: s };
}

/** A `state-changed` notification when the kind changes. */
export function changed(from: ChannelState, to: ChannelState): readonly Effect[] {
  return from.kind === to.kind ? NO_EFFECTS : [notify({ kind: 'state-changed', channelId: channelIdOf(to), from: from.kind, to: to.kind })];
}

/** BOLT 1 `error` for this channel with a readable reason. */
export function errorMessage(channelId: Uint8Array, text: string): MessageToEncode {
  return { type: 'error', channelId, data: new TextEncoder().encode(text) };
}
