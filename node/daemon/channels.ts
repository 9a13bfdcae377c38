// The seam where the channel shell plugs into the daemon. The API routes openchannel, listchannels,
// invoice, pay, listpayments and closechannel to a ChannelService; the daemon builds it once its
// signer, peers, chain watcher, wallet and store are up, with `channelServiceFactory` below.
//
// The factory builds the channel shell (./channel-shell/service.ts), which drives the pure state
// machine of node/channel/. ChannelsUnavailable stays for a daemon started without channels (every
// call answers UNIMPLEMENTED). Throw ApiError (./errors.ts) for user-facing refusals; a
// SignerRefusal (the signer's policy said no) is mapped to FAILED_PRECONDITION by the API layer.
import type { BitcoindRpcClient } from '../chain/rpc-client.js';
import type { Logger } from '../log.js';
import type { PeerManager } from '../peer/index.js';
import type { SignerClient } from '../signer-client/client.js';
import type { ChainWatcher } from './chain-watcher.js';
import { ChannelShell } from './channel-shell/service.js';
import { ApiError } from './errors.js';
import type { NodeStore, PaymentRecord } from './store.js';
import type { OnchainWallet } from './wallet.js';

/** Everything the channel shell may use; it owns none of it (the daemon closes them). */
export interface ChannelShellContext {
  readonly nodeId: Uint8Array;
  /** bitcoin | testnet | signet | regtest (the signer's, checked against the chain's). */
  readonly network: string;
  /** BOLT 1 chain_hash: the genesis block hash in internal byte order. */
  readonly chainHash: Uint8Array;
  readonly signer: SignerClient;
  /** Channel messages arrive as its 'channelMessage' events; peers as 'peerReady' / 'peerClosed'. */
  readonly peers: PeerManager;
  readonly rpc: BitcoindRpcClient;
  /** 'tip' events: new blocks (already reported to the signer with AddBlock). */
  readonly chain: ChainWatcher;
  /** Funding: draft() -> SetupChannel with draft.txid -> sign(draft, {index -> channel id}) -> broadcast(); release() on failure. */
  readonly wallet: OnchainWallet;
  /** Cache of payments and channel snapshots (the signer's ListChannels is the truth). */
  readonly store: NodeStore;
  readonly log: Logger;
}

export type ChannelTypeName = 'anchors' | 'static_remotekey';

export interface OpenChannelParams {
  /** Hex node id of a connected peer. */
  readonly nodeId: string;
  readonly amountSat: bigint;
  readonly pushMsat: bigint;
  /** null: prefer anchors, fall back to static_remotekey. */
  readonly channelType: ChannelTypeName | null;
  /** null: the chain's estimate. */
  readonly feeratePerKw: number | null;
}

export interface OpenChannelResult {
  readonly channelId: string;
  /** Display order. */
  readonly fundingTxid: string;
  readonly fundingOutputIndex: number;
}

export interface ChannelInfo {
  readonly channelId: string;
  readonly peerNodeId: string;
  readonly state: 'opening' | 'awaiting-lock' | 'open' | 'closing' | 'closed';
  readonly channelType: ChannelTypeName;
  readonly fundingTxid: string;
  readonly fundingOutputIndex: number;
  readonly capacitySat: bigint;
  readonly localBalanceMsat: bigint;
  readonly remoteBalanceMsat: bigint;
  /** `<block>x<tx>x<output>`, or null before the funding confirms. */
  readonly shortChannelId: string | null;
  readonly pendingHtlcs: number;
  readonly opener: boolean;
}

export interface InvoiceParams {
  /** null: any amount. */
  readonly amountMsat: bigint | null;
  readonly description: string;
  readonly expirySeconds: number;
}

export interface InvoiceResult {
  readonly invoice: string;
  readonly paymentHash: string;
  /** Unix seconds. */
  readonly expiresAt: number;
}

export interface PayParams {
  readonly invoice: string;
  /** Only for an invoice without an amount. */
  readonly amountMsat: bigint | null;
  /** null: the service's default budget. */
  readonly maxFeeMsat: bigint | null;
  readonly timeoutSeconds: number;
}

export interface CloseParams {
  readonly channelId: string;
  readonly force: boolean;
  readonly feeratePerKw: number | null;
}

export interface CloseResult {
  readonly channelId: string;
  readonly closingTxid: string;
}

export interface ChannelService {
  /** False while channels are not built; GetInfo reports it. */
  readonly available: boolean;
  openChannel(params: OpenChannelParams): Promise<OpenChannelResult>;
  listChannels(): Promise<ChannelInfo[]>;
  createInvoice(params: InvoiceParams): Promise<InvoiceResult>;
  /** Resolves when the payment succeeded or failed (a failed payment is a PaymentRecord with status 'failed'). */
  pay(params: PayParams): Promise<PaymentRecord>;
  listPayments(): Promise<PaymentRecord[]>;
  closeChannel(params: CloseParams): Promise<CloseResult>;
  /** Called once the daemon serves (peers listening, chain followed): re-establish channels here. */
  start(): Promise<void>;
  /** Called on shutdown before the peers, the signer client and the store are closed. */
  close(): Promise<void>;
}

export type ChannelServiceFactory = (context: ChannelShellContext) => ChannelService;

const NOT_YET = 'channels are not available yet: the channel shell (node/channel) is not plugged into this node';

/** The ChannelService of a node without the channel shell: every channel call is UNIMPLEMENTED. */
export class ChannelsUnavailable implements ChannelService {
  readonly available = false;
  #refuse(what: string): Promise<never> {
    return Promise.reject(new ApiError('UNIMPLEMENTED', `${what}: ${NOT_YET}`));
  }
  openChannel(): Promise<OpenChannelResult> {
    return this.#refuse('openchannel');
  }
  listChannels(): Promise<ChannelInfo[]> {
    return this.#refuse('listchannels');
  }
  createInvoice(): Promise<InvoiceResult> {
    return this.#refuse('invoice');
  }
  pay(): Promise<PaymentRecord> {
    return this.#refuse('pay');
  }
  listPayments(): Promise<PaymentRecord[]> {
    return this.#refuse('listpayments');
  }
  closeChannel(): Promise<CloseResult> {
    return this.#refuse('closechannel');
  }
  async start(): Promise<void> {}
  async close(): Promise<void> {}
}

/** The channel shell (./channel-shell/) over the daemon's context. */
export const channelServiceFactory: ChannelServiceFactory = (context) => new ChannelShell(context);
