// What the signer stores, as plain typed records. The store turns them into rows and back; the service
// works only with these. Amounts are bigint (msat reach 2.1e18, beyond 2^53); commitment numbers are
// number (48 bits, BOLT 3).
import type { ChannelBasepoints, ChannelType, Htlc } from '../../bolt/bolt3/index.js';

/** opening: NewChannel done (SetupChannel maybe); open: funding confirmed; closing: a close was signed; closed: spent on chain. */
export type ChannelLifecycle = 'opening' | 'open' | 'closing' | 'closed';
export const CHANNEL_LIFECYCLES: readonly ChannelLifecycle[] = ['opening', 'open', 'closing', 'closed'];

/** Everything SetupChannel fixes for the channel's life (proto SetupChannelRequest, checked). */
export interface ChannelSetup {
  readonly channelId: Uint8Array;
  readonly channelType: ChannelType;
  /** Funding txid in internal byte order, as proto OutPoint and funding_created carry it. */
  readonly fundingTxid: Uint8Array;
  readonly fundingVout: number;
  readonly fundingSat: bigint;
  readonly pushMsat: bigint;
  readonly counterparty: ChannelBasepoints;
  readonly counterpartyFirstPoint: Uint8Array;
  /** The CSV delay on OUR outputs (set by the counterparty). */
  readonly holderToSelfDelay: number;
  /** The CSV delay on THEIR outputs (set by us). */
  readonly counterpartyToSelfDelay: number;
  /** Trims our commitment. */
  readonly holderDustLimitSat: bigint;
  /** Trims their commitment. */
  readonly counterpartyDustLimitSat: bigint;
  /** The reserve WE must keep (set by the counterparty). */
  readonly holderChannelReserveSat: bigint;
  /** The reserve THEY must keep (set by us). */
  readonly counterpartyChannelReserveSat: bigint;
  readonly maxAcceptedHtlcs: number;
  readonly htlcMinimumMsat: bigint;
  /** upfront_shutdown_script of each side; empty when none. */
  readonly holderShutdownScript: Uint8Array;
  readonly counterpartyShutdownScript: Uint8Array;
}

/** One channel's durable state. */
export interface ChannelRecord {
  /** SQLite rowid: the key commitments hang from. */
  readonly rowId: number;
  readonly temporaryChannelId: Uint8Array;
  readonly peerNodeId: Uint8Array;
  /** The channel's key index k in signer/keys.ts. */
  readonly keyIndex: number;
  readonly holderIsOpener: boolean;
  /** Our basepoints, read from the device once at NewChannel. */
  readonly holder: ChannelBasepoints;
  /** Our per-commitment point of commitment 0. */
  readonly holderFirstPoint: Uint8Array;
  readonly setup: ChannelSetup | null;
  readonly state: ChannelLifecycle;
  /** One past the highest holder commitment whose counterparty signatures were validated. */
  readonly nextHolderNumber: number;
  /** Highest holder commitment whose secret was released, or null. */
  readonly revokedHolderThrough: number | null;
  /** One past the highest counterparty commitment signed. */
  readonly nextCounterpartyNumber: number;
  /** Highest counterparty commitment whose revocation secret was validated, or null. */
  readonly revokedCounterpartyThrough: number | null;
  /** ShachainStore.serialize() of the counterparty's revealed secrets. */
  readonly counterpartySecrets: Uint8Array;
  readonly fundingHeight: number | null;
  readonly closingTxid: Uint8Array | null;
}

/** The mutable part of a channel, written back as a whole in one statement. */
export type ChannelProgress = Pick<
  ChannelRecord,
  | 'state'
  | 'nextHolderNumber'
  | 'revokedHolderThrough'
  | 'nextCounterpartyNumber'
  | 'revokedCounterpartyThrough'
  | 'counterpartySecrets'
  | 'fundingHeight'
  | 'closingTxid'
>;

/**
 * The state of one commitment as proto CommitmentInfo gives it: seen from the commitment's OWNER
 * (`toOwnerMsat` is the owner's balance before fees; HTLC directions are the owner's).
 */
export interface CommitmentInfo {
  readonly number: number;
  readonly feeratePerKw: number;
  readonly toOwnerMsat: bigint;
  readonly toOtherMsat: bigint;
  readonly htlcs: readonly Htlc[];
}

/** A holder commitment whose counterparty signatures the signer validated. */
export interface HolderCommitmentRecord {
  readonly info: CommitmentInfo;
  /** 64-byte compact signature of the counterparty's funding key (SIGHASH_ALL). */
  readonly counterpartySignature: Uint8Array;
  /** 64-byte compact counterparty signatures on our HTLC transactions, in output order. */
  readonly htlcSignatures: readonly Uint8Array[];
  /** Display order. */
  readonly txid: Uint8Array;
  /** SHA256 of the canonical content (signer/service/commitments.ts), for retransmission checks. */
  readonly contentHash: Uint8Array;
}

/** A counterparty commitment the signer signed; kept for every number (justice needs the old ones). */
export interface CounterpartyCommitmentRecord {
  readonly info: CommitmentInfo;
  readonly perCommitmentPoint: Uint8Array;
  readonly txid: Uint8Array;
  readonly contentHash: Uint8Array;
}

export interface InvoiceRecord {
  readonly paymentHash: Uint8Array;
  /** null for an invoice that lets the payer choose. */
  readonly amountMsat: bigint | null;
  /** Seconds since 1970 (BOLT 11 timestamp). */
  readonly timestamp: number;
  readonly expirySeconds: number;
  /** Unix milliseconds when the signer signed it. */
  readonly signedAt: number;
}

export interface ApprovedPaymentRecord {
  readonly paymentHash: Uint8Array;
  readonly amountMsat: bigint;
  readonly feeBudgetMsat: bigint;
  /** Unix milliseconds. */
  readonly approvedAt: number;
  readonly approvedBy: 'policy' | 'device';
  /** Payee node id. */
  readonly destination: Uint8Array;
}

export interface WalletKeyRecord {
  readonly chain: 0 | 1;
  readonly index: number;
  readonly publicKey: Uint8Array;
  readonly scriptPubKey: Uint8Array;
}
