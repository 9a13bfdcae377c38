// The two ways a channel event goes wrong, kept apart because they end differently:
// - the PEER broke BOLT 2 (or the signer refused what the peer sent): send `error` and fail the
//   channel (BOLT 5 §Failing a Channel: broadcast our latest commitment);
// - a USER command cannot be carried out: reply with the reason and change nothing.

/** The peer violated the protocol: the machine answers with `error` and a force close. */
export class ChannelProtocolError extends Error {
  override readonly name = 'ChannelProtocolError';
}

/** A command was refused; the state stays exactly as it was. */
export class CommandRefused extends Error {
  override readonly name = 'CommandRefused';
}

export function protocolError(message: string): never {
  throw new ChannelProtocolError(message);
}

export function refuse(message: string): never {
  throw new CommandRefused(message);
}
