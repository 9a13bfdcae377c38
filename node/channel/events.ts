// Everything that can happen to a channel: the closed union `process` takes, grouped by where it
// comes from. Time and height arrive as chain events; randomness (the temporary channel id) arrives
// in commands; every signature and secret arrives as a signer reply to a request the machine made.
import type { ChannelType } from '../../bolt/bolt3/index.js';
import type { Message } from '../../bolt/messages/index.js';

// ---------------------------------------------------------------- user commands

/** Open a channel we fund (BOLT 2 §Channel Establishment v1). */
export interface OpenCommand {
  readonly kind: 'open';
  readonly commandId: string;
  /** BOLT 2: unique per peer; chosen by the shell (the machine has no randomness). */
  readonly temporaryChannelId: Uint8Array;
  readonly fundingSat: bigint;
  readonly pushMsat: bigint;
  /** Initial commitment feerate. */
  readonly feeratePerKw: number;
  /** Default: the first of the config's channel types (anchors when enabled). */
  readonly channelType?: ChannelType;
  /** channel_flags bit 0 (announce_channel). */
  readonly announce?: boolean;
}

/**
 * The shell built the (unsigned) funding transaction the `create-funding` effect asked for: its
 * outpoint. It signs and broadcasts it only on the later `publish-funding` effect.
 */
export interface FundingBuiltCommand {
  readonly kind: 'funding-built';
  readonly commandId: string;
  /** Internal byte order, as funding_created carries it. */
  readonly fundingTxid: Uint8Array;
  readonly fundingVout: number;
}

export interface AddHtlcCommand {
  readonly kind: 'add-htlc';
  readonly commandId: string;
  readonly amountMsat: bigint;
  readonly paymentHash: Uint8Array;
  readonly cltvExpiry: number;
  /** BOLT 4 onion, 1366 bytes. */
  readonly onion: Uint8Array;
  readonly blindingPoint?: Uint8Array;
}

export interface FulfillHtlcCommand {
  readonly kind: 'fulfill-htlc';
  readonly commandId: string;
  readonly htlcId: bigint;
  readonly preimage: Uint8Array;
}

export interface FailHtlcCommand {
  readonly kind: 'fail-htlc';
  readonly commandId: string;
  readonly htlcId: bigint;
  /** The BOLT 4 encrypted failure onion. */
  readonly reason: Uint8Array;
}

export interface FailMalformedHtlcCommand {
  readonly kind: 'fail-malformed-htlc';
  readonly commandId: string;
  readonly htlcId: bigint;
  readonly sha256OfOnion: Uint8Array;
  readonly failureCode: number;
}

export interface UpdateFeeCommand {
  readonly kind: 'update-fee';
  readonly commandId: string;
  readonly feeratePerKw: number;
}

/**
 * "Sign now": the shell sends it after draining its queue of updates, so several updates ride one
 * commitment_signed. Signs only when there is something to sign and no commitment_signed is
 * unacknowledged; otherwise the machine signs as soon as the revoke_and_ack arrives.
 */
export interface SignCommand {
  readonly kind: 'sign';
}

/** Mutual close (BOLT 2 §Channel Close): shutdown, then closing_signed. */
export interface CloseCommand {
  readonly kind: 'close';
  readonly commandId: string;
  /** Where our funds go; default: the config's shutdownScript. Must be a wallet script the signer accepts. */
  readonly scriptPubkey?: Uint8Array;
  /** Feerate for the closing transaction; default: the config's closingFeeratePerKw. */
  readonly feeratePerKw?: number;
}

/** Unilateral close: the signer signs our latest commitment for broadcast. */
export interface ForceCloseCommand {
  readonly kind: 'force-close';
  readonly commandId: string;
}

export type ChannelCommand =
  | OpenCommand
  | FundingBuiltCommand
  | AddHtlcCommand
  | FulfillHtlcCommand
  | FailHtlcCommand
  | FailMalformedHtlcCommand
  | UpdateFeeCommand
  | SignCommand
  | CloseCommand
  | ForceCloseCommand;

// ---------------------------------------------------------------- the peer

/** A decoded BOLT 1/2 message from the peer for this channel (bolt/messages). */
export interface PeerMessageEvent {
  readonly kind: 'message';
  readonly message: Message;
}

// ---------------------------------------------------------------- the signer

/** The answer to the `signer` effect with this request id. */
export interface SignerReplyEvent {
  readonly kind: 'signer-reply';
  readonly requestId: number;
  /** The response object as proto-loader (or SignerService.call) returns it. */
  readonly response: object;
}

/** The signer refused (or could not be reached): `message` starts with the rule id or the field. */
export interface SignerErrorEvent {
  readonly kind: 'signer-error';
  readonly requestId: number;
  readonly code: string;
  readonly message: string;
}

// ---------------------------------------------------------------- the chain

/** The funding output has `depth` confirmations at `height` (sent at least when the depth changes). */
export interface FundingDepthEvent {
  readonly kind: 'funding-depth';
  readonly depth: number;
  readonly height: number;
}

/** A transaction spending the funding output confirmed. */
export interface FundingSpentEvent {
  readonly kind: 'funding-spent';
  /** Display order (as bitcoind prints it). */
  readonly txid: Uint8Array;
  readonly height: number;
}

export interface BlockEvent {
  readonly kind: 'block';
  readonly height: number;
}

// ---------------------------------------------------------------- the connection

export interface ConnectedEvent {
  readonly kind: 'connected';
}
export interface DisconnectedEvent {
  readonly kind: 'disconnected';
}
/** The node restarted from a persisted snapshot: in-flight signer requests are gone, the peer is offline. */
export interface RestartedEvent {
  readonly kind: 'restarted';
}

export type SignerEvent = SignerReplyEvent | SignerErrorEvent;
export type ChainEvent = FundingDepthEvent | FundingSpentEvent | BlockEvent;
export type ConnectionEvent = ConnectedEvent | DisconnectedEvent | RestartedEvent;

export type ChannelEvent = ChannelCommand | PeerMessageEvent | SignerEvent | ChainEvent | ConnectionEvent;

export function isCommand(e: ChannelEvent): e is ChannelCommand {
  switch (e.kind) {
    case 'open':
    case 'funding-built':
    case 'add-htlc':
    case 'fulfill-htlc':
    case 'fail-htlc':
    case 'fail-malformed-htlc':
    case 'update-fee':
    case 'sign':
    case 'close':
    case 'force-close':
      return true;
    default:
      return false;
  }
}
