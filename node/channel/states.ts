// One immutable type per channel state, discriminated by `kind`. Every state also carries the
// machine's bookkeeping (MachineBase): the signer request in flight, the events that arrived while it
// was in flight, the connection's phase and the last block height the chain reported.
import type { ChannelBasepoints, ChannelType } from '../../bolt/bolt3/index.js';
import type { MessageNamed } from '../../bolt/messages/index.js';
import type { CommitmentSpec } from './commitment-spec.js';
import type { Commitments } from './commitments.js';
import type { ChannelEvent, OpenCommand } from './events.js';
import type { AcceptChannel, AcceptedOpen, LocalConfig, OpenChannel, SideParams } from './params.js';
import type { SignerMethod } from './signer-requests.js';

export type Shutdown = MessageNamed<'shutdown'>;
export type ChannelReady = MessageNamed<'channel_ready'>;
export type FundingCreated = MessageNamed<'funding_created'>;
export type FundingSigned = MessageNamed<'funding_signed'>;
export type CommitmentSigned = MessageNamed<'commitment_signed'>;
export type RevokeAndAck = MessageNamed<'revoke_and_ack'>;
export type ChannelReestablish = MessageNamed<'channel_reestablish'>;
export type ClosingSigned = MessageNamed<'closing_signed'>;

/**
 * What a signer request is for: the continuation the reply resumes, with the data it needs.
 * The machine has at most one request in flight; events meanwhile wait in `deferred`, in order.
 */
export type Purpose =
  | { readonly step: 'open-new-channel'; readonly command: OpenCommand; readonly channelType: ChannelType }
  | { readonly step: 'accept-new-channel'; readonly open: OpenChannel; readonly accepted: AcceptedOpen }
  | { readonly step: 'opener-setup'; readonly commitments: Commitments }
  | { readonly step: 'opener-sign-first'; readonly commitments: Commitments }
  | { readonly step: 'opener-validate-first'; readonly signature: Uint8Array }
  | { readonly step: 'acceptor-setup'; readonly commitments: Commitments; readonly signature: Uint8Array }
  | { readonly step: 'acceptor-validate-first'; readonly commitments: Commitments }
  | { readonly step: 'acceptor-sign-first'; readonly commitments: Commitments }
  | { readonly step: 'funding-confirmed' }
  | { readonly step: 'first-point' }
  | { readonly step: 'sign-remote'; readonly retransmit: boolean }
  | { readonly step: 'validate-local'; readonly number: number; readonly spec: CommitmentSpec }
  | { readonly step: 'revoke-local'; readonly number: number; readonly spec: CommitmentSpec }
  | { readonly step: 'validate-revocation'; readonly message: RevokeAndAck }
  | { readonly step: 'sign-closing'; readonly feeSat: bigint; readonly agreed: ClosingSigned | null }
  | { readonly step: 'force-close' }
  | { readonly step: 'channel-closed' };

export interface PendingCall {
  readonly requestId: number;
  readonly method: SignerMethod;
  readonly purpose: Purpose;
}

/** Events held while a signer request is in flight: newest first (O(1) to add, reversed when replayed). */
export interface DeferredEvents {
  readonly event: ChannelEvent;
  readonly older: DeferredEvents | null;
}

/** offline: no connection; syncing: channel_reestablish sent, the peer's not received yet; online. */
export type ConnectionPhase = 'offline' | 'syncing' | 'online';

export interface MachineBase {
  readonly pending: PendingCall | null;
  readonly deferred: DeferredEvents | null;
  readonly nextRequestId: number;
  readonly connection: ConnectionPhase;
  readonly blockHeight: number;
}

/** No channel yet: our `open` command or the peer's open_channel starts one. */
export interface Idle extends MachineBase {
  readonly kind: 'idle';
  readonly config: LocalConfig;
  readonly remoteNodeId: Uint8Array;
}

/** Opener: open_channel sent. */
export interface WaitForAcceptChannel extends MachineBase {
  readonly kind: 'wait-for-accept-channel';
  readonly config: LocalConfig;
  readonly remoteNodeId: Uint8Array;
  readonly commandId: string;
  readonly channelType: ChannelType;
  readonly open: OpenChannel;
  readonly localBasepoints: ChannelBasepoints;
  readonly localFirstPoint: Uint8Array;
}

/** Opener: accept_channel checked; the shell builds the funding transaction (`create-funding`). */
export interface WaitForFundingTx extends Omit<WaitForAcceptChannel, 'kind'> {
  readonly kind: 'wait-for-funding-tx';
  readonly accept: AcceptChannel;
  readonly remote: SideParams;
}

/** Acceptor: accept_channel sent. */
export interface WaitForFundingCreated extends MachineBase {
  readonly kind: 'wait-for-funding-created';
  readonly config: LocalConfig;
  readonly remoteNodeId: Uint8Array;
  readonly channelType: ChannelType;
  readonly open: OpenChannel;
  readonly accept: AcceptChannel;
  readonly remote: SideParams;
  readonly localBasepoints: ChannelBasepoints;
  readonly localFirstPoint: Uint8Array;
}

/** Opener: funding_created sent (the signer set the channel up and signed the peer's commitment 0). */
export interface WaitForFundingSigned extends MachineBase {
  readonly kind: 'wait-for-funding-signed';
  readonly commitments: Commitments;
  readonly commandId: string;
}

/** Both: commitment 0 signed both ways; waiting for minimum_depth. */
export interface WaitForFundingConfirmed extends MachineBase {
  readonly kind: 'wait-for-funding-confirmed';
  readonly commitments: Commitments;
  /** The peer's channel_ready, if it came first. */
  readonly remoteReady: ChannelReady | null;
  readonly fundingHeight: number | null;
}

/** Both: we sent channel_ready, the peer's has not come yet. */
export interface WaitForChannelReady extends MachineBase {
  readonly kind: 'wait-for-channel-ready';
  readonly commitments: Commitments;
}

export interface CloseRequest {
  readonly commandId: string | null;
  readonly feeratePerKw: number;
}

/** Both channel_ready exchanged: payments flow. A sent or received shutdown is remembered here until both are. */
export interface Normal extends MachineBase {
  readonly kind: 'normal';
  readonly commitments: Commitments;
  readonly localShutdown: Shutdown | null;
  readonly remoteShutdown: Shutdown | null;
  readonly close: CloseRequest | null;
}

/** Both shutdowns exchanged; HTLCs still to be settled (no new ones). */
export interface ShuttingDown extends MachineBase {
  readonly kind: 'shutting-down';
  readonly commitments: Commitments;
  readonly localShutdown: Shutdown;
  readonly remoteShutdown: Shutdown;
  readonly close: CloseRequest | null;
}

/** BOLT 2 §Legacy Closing Negotiation: closing_signed exchanges until both name the same fee. */
export interface Negotiating extends MachineBase {
  readonly kind: 'negotiating';
  readonly commitments: Commitments;
  readonly localShutdown: Shutdown;
  readonly remoteShutdown: Shutdown;
  readonly close: CloseRequest | null;
  readonly lastSent: { readonly feeSat: bigint; readonly signature: Uint8Array } | null;
}

/** A closing transaction (ours mutual, our commitment, or a spend we saw) waits for confirmation. */
export interface Closing extends MachineBase {
  readonly kind: 'closing';
  readonly commitments: Commitments;
  readonly closeType: 'mutual' | 'local' | 'remote';
  /** What we broadcast, if anything. */
  readonly published: { readonly tx: Uint8Array; readonly txid: Uint8Array } | null;
  /** The `error` we sent, retransmitted on reconnection (BOLT 2 §Message Retransmission). */
  readonly errorMessage: string | null;
}

/** channel_reestablish proved we lost state: never broadcast our (revoked) commitment; wait for the peer's. */
export interface WaitForRemotePublish extends MachineBase {
  readonly kind: 'wait-for-remote-publish';
  readonly commitments: Commitments;
  readonly reason: string;
}

export interface Closed extends MachineBase {
  readonly kind: 'closed';
  readonly channelId: Uint8Array;
  readonly reason: string;
  /** The funding-spending transaction, when there was a channel on chain. */
  readonly closingTxid: Uint8Array | null;
}

export type ChannelState =
  | Idle
  | WaitForAcceptChannel
  | WaitForFundingTx
  | WaitForFundingCreated
  | WaitForFundingSigned
  | WaitForFundingConfirmed
  | WaitForChannelReady
  | Normal
  | ShuttingDown
  | Negotiating
  | Closing
  | WaitForRemotePublish
  | Closed;

export type StateKind = ChannelState['kind'];

export type StateWithCommitments = Extract<ChannelState, { readonly commitments: Commitments }>;

export function hasCommitments(s: ChannelState): s is StateWithCommitments {
  return 'commitments' in s;
}

const BASE: MachineBase = { pending: null, deferred: null, nextRequestId: 1, connection: 'online', blockHeight: 0 };

/**
 * The state before any channel exists with this peer, connected. The shell makes one to open a
 * channel (`open` command) or to answer a peer's open_channel.
 */
export function idleChannel(config: LocalConfig, remoteNodeId: Uint8Array, blockHeight = 0): Idle {
  return { ...BASE, kind: 'idle', config, remoteNodeId, blockHeight };
}

/** The id this state is known by: the channel id once set, else the temporary one. */
export function channelIdOf(s: ChannelState): Uint8Array {
  switch (s.kind) {
    case 'idle':
      return new Uint8Array(32);
    case 'wait-for-accept-channel':
    case 'wait-for-funding-tx':
    case 'wait-for-funding-created':
      return s.open.temporaryChannelId;
    case 'closed':
      return s.channelId;
    default:
      return s.commitments.params.channelId;
  }
}
