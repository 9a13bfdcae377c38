// Lifecycle checks shared by the channel handlers.
import { precondition } from '../errors.js';
import type { LiveChannel } from './channels.js';

/** Refuses work on a channel whose funding output is already spent on chain (ChannelClosed). */
export function requireOpen(ch: LiveChannel, what: string): void {
  if (ch.record.state === 'closed') throw precondition('policy-signer-channel-state', `${what}: the channel is closed`);
}
