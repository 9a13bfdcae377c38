// Everything the machine asks of the world: the closed union of effects `process` returns. The shell
// carries them out IN ORDER (a `persist` must be durable before the `send` that follows it).
import type { MessageToEncode } from '../../bolt/messages/index.js';
import type { UpdateAddHtlc } from './commitment-spec.js';
import type { SignerCall } from './signer-requests.js';
import type { ChannelState, StateKind } from './states.js';

/** Send a message to the channel's peer. */
export interface SendEffect {
  readonly kind: 'send';
  readonly message: MessageToEncode;
}

/** Ask the signer; answer with a `signer-reply` / `signer-error` event carrying the same request id. */
export interface SignerEffect {
  readonly kind: 'signer';
  readonly requestId: number;
  readonly call: SignerCall;
}

/** Store this snapshot of the channel in the node's cache (the signer holds what can lose money). */
export interface PersistEffect {
  readonly kind: 'persist';
  readonly state: ChannelState;
}

/** Opener: build (do not sign) a funding transaction paying `amountSat` to `scriptPubkey`, then send `funding-built`. */
export interface CreateFundingEffect {
  readonly kind: 'create-funding';
  readonly temporaryChannelId: Uint8Array;
  readonly scriptPubkey: Uint8Array;
  readonly amountSat: bigint;
}

/** Opener: funding_signed checked out; have the signer sign the funding transaction (SignWalletTransaction) and broadcast it. */
export interface PublishFundingEffect {
  readonly kind: 'publish-funding';
  readonly channelId: Uint8Array;
  readonly fundingTxid: Uint8Array;
}

/** Report depth (`funding-depth`) and spends (`funding-spent`) of the funding output. */
export interface WatchFundingEffect {
  readonly kind: 'watch-funding';
  readonly channelId: Uint8Array;
  /** Internal byte order. */
  readonly fundingTxid: Uint8Array;
  readonly fundingVout: number;
  readonly scriptPubkey: Uint8Array;
  readonly minDepth: number;
}

export interface BroadcastEffect {
  readonly kind: 'broadcast';
  readonly what: 'commitment' | 'mutual-close';
  /** Serialized with witnesses. */
  readonly tx: Uint8Array;
  /** Display order. */
  readonly txid: Uint8Array;
}

/** Drop the connection to the peer (BOLT 2: this reverses every uncommitted update on both sides). */
export interface DisconnectEffect {
  readonly kind: 'disconnect';
  readonly reason: string;
}

export type CommandResult =
  | { readonly ok: true; readonly htlcId?: bigint; readonly channelId?: Uint8Array }
  | { readonly ok: false; readonly error: string };

export interface ReplyEffect {
  readonly kind: 'reply';
  readonly commandId: string;
  readonly result: CommandResult;
}

export type PaymentFailure =
  | { readonly kind: 'remote'; readonly reason: Uint8Array }
  | { readonly kind: 'malformed'; readonly failureCode: number; readonly sha256OfOnion: Uint8Array }
  | { readonly kind: 'local'; readonly message: string };

export type Notification =
  /** An HTLC the peer offered is irrevocably committed: settle it (fulfill-htlc / fail-htlc). */
  | { readonly kind: 'htlc-received'; readonly channelId: Uint8Array; readonly htlc: UpdateAddHtlc }
  /** An HTLC we offered was fulfilled (the preimage is known the moment update_fulfill_htlc arrives). */
  | { readonly kind: 'payment-settled'; readonly channelId: Uint8Array; readonly htlcId: bigint; readonly paymentHash: Uint8Array; readonly preimage: Uint8Array; readonly amountMsat: bigint }
  /** An HTLC we offered failed (irrevocably removed, or dropped before any commitment carried it). */
  | { readonly kind: 'payment-failed'; readonly channelId: Uint8Array; readonly htlcId: bigint; readonly paymentHash: Uint8Array; readonly amountMsat: bigint; readonly failure: PaymentFailure }
  | { readonly kind: 'state-changed'; readonly channelId: Uint8Array; readonly from: StateKind; readonly to: StateKind }
  /** The channel id replaced the temporary id (funding outpoint known). */
  | { readonly kind: 'channel-id'; readonly temporaryChannelId: Uint8Array; readonly channelId: Uint8Array }
  /** We sent (`sent`) or received an `error`, or the peer sent a `warning`. */
  | { readonly kind: 'channel-error'; readonly channelId: Uint8Array; readonly direction: 'sent' | 'received' | 'warning'; readonly message: string }
  /** The signer refused a request the machine needed. */
  | { readonly kind: 'signer-refused'; readonly channelId: Uint8Array; readonly method: string; readonly message: string }
  /** channel_reestablish proved that our state is older than the peer's: we must not broadcast; wait for the peer's close. */
  | { readonly kind: 'state-lost'; readonly channelId: Uint8Array; readonly message: string }
  /** Something arrived that this state ignores (logged by the shell). */
  | { readonly kind: 'ignored'; readonly channelId: Uint8Array; readonly what: string };

export interface NotifyEffect {
  readonly kind: 'notify';
  readonly event: Notification;
}

export type Effect =
  | SendEffect
  | SignerEffect
  | PersistEffect
  | CreateFundingEffect
  | PublishFundingEffect
  | WatchFundingEffect
  | BroadcastEffect
  | DisconnectEffect
  | ReplyEffect
  | NotifyEffect;
