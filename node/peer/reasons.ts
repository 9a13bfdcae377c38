// Why a connection ended. Every close carries one of these codes and a sentence naming what was
// wrong (which act, which message type, which limit), so a dropped peer always leaves a reason in
// the log and in the `close` event.

export type CloseCode =
  // ---- TCP and BOLT 8 transport (connection.ts)
  | 'connect-failed' // the TCP connection could not be opened
  | 'handshake-failed' // BOLT 8 act refused (bad version, key or MAC), or the peer closed mid-handshake
  | 'handshake-timeout' // the three acts did not complete in time
  | 'local-key-failed' // our NodeKey's ECDH (the signer) failed during the handshake
  | 'transport-error' // BOLT 8 frame with a bad MAC
  | 'frame-timeout' // a frame was started but its remaining bytes did not arrive in time
  | 'write-buffer-full' // the peer does not read what we send
  | 'remote-closed' // the peer closed the TCP connection
  | 'socket-error' // the operating system reported an error on the socket
  | 'internal-error' // a local handler threw while processing peer data (a bug on our side, logged)
  // ---- BOLT 1 (peer.ts)
  | 'init-timeout' // no `init` from the peer in time
  | 'message-before-init' // BOLT 1: `init` MUST be the first message
  | 'duplicate-init' // a second `init` on the same connection
  | 'incompatible-features' // BOLT 1: unknown even feature, or a missing dependency
  | 'no-common-network' // BOLT 1: `networks` shares no chain with ours (MAY close)
  | 'unknown-even-message' // BOLT 1: MUST close on an unknown even type
  | 'malformed-message' // BOLT 1: known message too short, or an invalid extension
  | 'ping-timeout' // BOLT 1: no `pong` for our `ping` (MAY close; channels are NOT failed)
  | 'unexpected-pong' // BOLT 1: `pong` length matching no `ping` we sent (MAY close)
  // ---- peer manager (peer-manager.ts)
  | 'local-request' // disconnect() was called
  | 'replaced' // a newer connection to the same node took this one's place
  | 'duplicate-connection' // a simultaneous connection lost the tie-break to an existing one
  | 'self-connection' // the remote node id is our own
  | 'handshake-evicted' // inbound handshakes were at their limit: the oldest gave way to a new connection (slow loris)
  | 'shutdown'; // the peer manager is closing

export interface CloseReason {
  readonly code: CloseCode;
  /** What happened, in words, with the numbers involved. Never contains key material. */
  readonly message: string;
}

/** Codes that describe a peer misbehaving (logged at `warn`); the rest are routine (`info`). */
const MISBEHAVIOUR: ReadonlySet<CloseCode> = new Set<CloseCode>([
  'handshake-failed', 'transport-error', 'frame-timeout', 'write-buffer-full', 'message-before-init', 'duplicate-init',
  'incompatible-features', 'unknown-even-message', 'malformed-message', 'unexpected-pong', 'handshake-timeout',
  'init-timeout', 'ping-timeout', 'handshake-evicted',
]);

export function isMisbehaviour(code: CloseCode): boolean {
  return MISBEHAVIOUR.has(code);
}

/** The rejection of a promise waiting on a connection or peer that closed instead. */
export class ConnectionClosedError extends Error {
  override readonly name = 'ConnectionClosedError';
  constructor(readonly reason: CloseReason) {
    super(`connection closed (${reason.code}): ${reason.message}`);
  }
}

/** A method was called in a state that does not allow it (e.g. send before `init` was received). */
export class PeerStateError extends Error {
  override readonly name = 'PeerStateError';
}
