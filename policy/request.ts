// What the policy is asked about: one kind per signing operation, as a closed union.
//
// The signer builds every request from data it has already checked: it rebuilds the
// transaction from the node's inputs and its own channel state, verifies signatures and
// secrets, and classifies destinations against the allowlist. The policy therefore sees
// structured, verified facts and never raw bytes. Amounts in msat or sat are bigint
// (21e6 BTC is 2.1e18 msat, beyond 2^53); counts, heights, feerates, delays and
// commitment numbers (48-bit, BOLT 3) are number.

/** Millisatoshi. */
export type Msat = bigint;
/** Satoshi. */
export type Sat = bigint;
/** Lowercase hex: payment hashes (32 bytes), channel ids (32 bytes), node ids (33 bytes). */
export type Hex = string;

/** The commitment formats the signer supports (BOLT 3; both imply option_static_remotekey). */
export type ChannelType = 'anchors' | 'static_remotekey';

/**
 * One side's channel parameters, exactly as that side sent them in `open_channel` or
 * `accept_channel` (BOLT 2 §Channel Establishment). Several of them bind the OTHER side.
 */
export interface SideParams {
  /** `to_self_delay` chosen by this side: blocks the OTHER side's to_local output waits. */
  readonly toSelfDelay: number;
  /** `dust_limit_satoshis`: outputs below it are trimmed from THIS side's commitment. */
  readonly dustLimitSat: Sat;
  /** `channel_reserve_satoshis` chosen by this side: what the OTHER side must keep. */
  readonly channelReserveSat: Sat;
  /** `max_accepted_htlcs`: HTLCs the OTHER side may offer to this side at once. */
  readonly maxAcceptedHtlcs: number;
  /** `htlc_minimum_msat`: the smallest HTLC this side accepts. */
  readonly htlcMinimumMsat: Msat;
}

/** The channel as the signer recorded it at opening. */
export interface ChannelFacts {
  readonly channelId: Hex;
  readonly channelType: ChannelType;
  readonly capacitySat: Sat;
  /** True if we (the holder) funded the channel and so pay the commitment fee (BOLT 3 §Fee Payment). */
  readonly weFunded: boolean;
  /** `push_msat` the funder gave the other side at opening (0 if none). */
  readonly pushMsat: Msat;
  /** Parameters we (the holder) sent. */
  readonly holder: SideParams;
  /** Parameters the counterparty sent. */
  readonly counterparty: SideParams;
}

/**
 * HTLC direction from OUR point of view, whichever side's commitment it sits in:
 * `offered` = we offered it (value leaves us if it is fulfilled),
 * `received` = the counterparty offered it to us.
 */
export type HtlcDirection = 'offered' | 'received';

export interface HtlcFact {
  readonly direction: HtlcDirection;
  readonly amountMsat: Msat;
  readonly paymentHash: Hex;
  readonly cltvExpiry: number;
}

/**
 * The value split of one commitment, in channel accounting (BOLT 2): balances BEFORE the
 * funder's commitment fee and anchor outputs are taken off, so that
 * toHolderMsat + toCounterpartyMsat + sum(htlcs) = capacity * 1000 exactly.
 */
export interface CommitmentBalances {
  readonly toHolderMsat: Msat;
  readonly toCounterpartyMsat: Msat;
  readonly htlcs: readonly HtlcFact[];
}

/** Facts shared by the two commitment requests (the one we sign and the one we accept). */
export interface CommitmentFacts extends CommitmentBalances {
  readonly channel: ChannelFacts;
  /** The commitment number being signed or validated (BOLT 3 §Commitment Transaction). */
  readonly commitmentNumber: number;
  readonly feeratePerKw: number;
  /** The same side's previous commitment, or null for commitment 0. */
  readonly previous: CommitmentBalances | null;
  /** Current block height as the signer's chain view has it. */
  readonly blockHeight: number;
  /** True once the signer has signed a mutual close or a holder commitment for broadcast. */
  readonly channelClosing: boolean;
  /**
   * Whether the signer already handled this commitment number for this side before:
   * `never`, or it did and the transaction it rebuilt then is `identical` / `different`.
   */
  readonly sameNumberSeen: 'never' | 'identical' | 'different';
}

/** Sign the counterparty's commitment N (we send `commitment_signed`). */
export interface SignCounterpartyCommitment extends CommitmentFacts {
  readonly kind: 'sign-counterparty-commitment';
  /** The number the signer expects to sign next (one past the last it signed). */
  readonly nextCounterpartyCommitmentNumber: number;
  /** Highest counterparty commitment whose revocation secret the signer validated (shachain), or null. */
  readonly highestRevokedCounterpartyCommitment: number | null;
}

/** Accept the counterparty's signatures on our (holder) commitment N (we received `commitment_signed`). */
export interface ValidateHolderCommitment extends CommitmentFacts {
  readonly kind: 'validate-holder-commitment';
  /** One past the highest holder commitment whose counterparty signatures the signer validated. */
  readonly nextHolderCommitmentNumber: number;
  /** Highest holder commitment whose secret the signer released, or null. */
  readonly highestRevokedHolderCommitment: number | null;
}

/** Release the per-commitment secret of holder commitment N (we send `revoke_and_ack`). */
export interface RevokeHolderCommitment {
  readonly kind: 'revoke-holder-commitment';
  readonly channelId: Hex;
  readonly commitmentNumber: number;
  /** One past the highest holder commitment whose counterparty signatures the signer validated. */
  readonly nextHolderCommitmentNumber: number;
  readonly highestRevokedHolderCommitment: number | null;
  /** True once the signer has signed a mutual close or a holder commitment for broadcast. */
  readonly channelClosing: boolean;
}

/** Sign holder commitment N so it can be broadcast (force close). */
export interface SignHolderCommitmentForBroadcast {
  readonly kind: 'sign-holder-commitment-for-broadcast';
  readonly channelId: Hex;
  readonly commitmentNumber: number;
  readonly highestRevokedHolderCommitment: number | null;
}

/** Where an output pays, as the signer classified it against its wallet and the allowlist. */
export type DestinationClass = 'own-wallet' | 'allowlisted' | 'unknown';

export interface ClosingOutput {
  /** Whose balance this output pays out. */
  readonly side: 'holder' | 'counterparty';
  readonly amountSat: Sat;
  /** Meaningful for the holder's output; the counterparty's may go anywhere. */
  readonly destination: DestinationClass;
  /** Address or script for display in explanations. */
  readonly address: string;
}

/** Sign a cooperative closing transaction (BOLT 2 §Channel Close). */
export interface SignMutualClose {
  readonly kind: 'sign-mutual-close';
  readonly channel: ChannelFacts;
  readonly outputs: readonly ClosingOutput[];
  readonly feeSat: Sat;
  /** Expected weight of the signed transaction, in weight units. */
  readonly weight: number;
  /** Who pays the closing fee out of their balance. */
  readonly feePayer: 'holder' | 'counterparty';
  /** The latest commitment balances (both sides agree on them when closing starts). */
  readonly lastBalances: CommitmentBalances;
}

/** What a sweep input spends (BOLT 5 §On-chain handling). `wallet` is a UTXO of our own wallet (fee bumping). */
export type SweepInputKind = 'to-local-delayed' | 'htlc-output' | 'anchor' | 'justice' | 'wallet';

export interface TxOutputFact {
  readonly amountSat: Sat;
  readonly destination: DestinationClass;
  readonly address: string;
}

/** Sign a transaction that sweeps channel outputs to us after a close. */
export interface SignSweep {
  readonly kind: 'sign-sweep';
  readonly channelId: Hex;
  readonly inputs: readonly { readonly kind: SweepInputKind; readonly amountSat: Sat }[];
  readonly outputs: readonly TxOutputFact[];
  readonly weight: number;
}

/** An on-chain wallet transaction output; a channel funding output names its channel. */
export type OnchainOutput =
  | { readonly destination: 'own-wallet' | 'allowlisted' | 'unknown'; readonly amountSat: Sat; readonly address: string }
  | {
      readonly destination: 'channel-funding';
      readonly amountSat: Sat;
      readonly address: string;
      readonly channelId: Hex;
      /** `push_msat` of the channel this output funds. */
      readonly pushMsat: Msat;
    };

/** Sign a wallet transaction: channel funding or a withdrawal. Inputs are our wallet's UTXOs. */
export interface SignOnchain {
  readonly kind: 'sign-onchain';
  readonly purpose: 'funding' | 'withdraw';
  readonly inputs: readonly { readonly amountSat: Sat }[];
  readonly outputs: readonly OnchainOutput[];
  readonly weight: number;
}

/** Sign a BOLT 11 invoice (we will receive). */
export interface SignInvoice {
  readonly kind: 'sign-invoice';
  readonly paymentHash: Hex;
  /** null for an invoice that lets the payer choose the amount. */
  readonly amountMsat: Msat | null;
  readonly expirySeconds: number;
  readonly description: string;
}

/** Allow an outgoing payment (we pay an invoice). Approval records feed velocity and routing balance. */
export interface ApprovePayment {
  readonly kind: 'approve-payment';
  readonly paymentHash: Hex;
  /** What the recipient gets. */
  readonly amountMsat: Msat;
  /** The most routing fees the payment may spend on top. */
  readonly feeBudgetMsat: Msat;
  /** Recipient node id. */
  readonly destination: Hex;
  /** Amount the invoice asks for (its signature verified by the signer), or null if amountless. */
  readonly invoiceAmountMsat: Msat | null;
  /** Set when a person approved this payment on the device screen or through the operator API. */
  readonly approvedBy: 'device' | 'operator' | null;
}

/** Allow forwarding an incoming HTLC as an outgoing one (BOLT 4 §Onion Routing). */
export interface ForwardHtlc {
  readonly kind: 'forward-htlc';
  readonly incoming: {
    readonly channelId: Hex;
    readonly htlcId: bigint;
    readonly amountMsat: Msat;
    readonly paymentHash: Hex;
    readonly cltvExpiry: number;
    /** True once the HTLC is in both sides' commitments and the previous ones are revoked (BOLT 2). */
    readonly irrevocablyCommitted: boolean;
  };
  readonly outgoing: {
    readonly channelId: Hex;
    readonly amountMsat: Msat;
    readonly paymentHash: Hex;
    readonly cltvExpiry: number;
  };
}

export type PolicyRequest =
  | SignCounterpartyCommitment
  | ValidateHolderCommitment
  | RevokeHolderCommitment
  | SignHolderCommitmentForBroadcast
  | SignMutualClose
  | SignSweep
  | SignOnchain
  | SignInvoice
  | ApprovePayment
  | ForwardHtlc;

export type RequestKind = PolicyRequest['kind'];

/** The request type of one kind. */
export type RequestOfKind<K extends RequestKind> = Extract<PolicyRequest, { kind: K }>;

/** Every kind, in the order explanations list them. */
export const REQUEST_KINDS = [
  'sign-counterparty-commitment',
  'validate-holder-commitment',
  'revoke-holder-commitment',
  'sign-holder-commitment-for-broadcast',
  'sign-mutual-close',
  'sign-sweep',
  'sign-onchain',
  'sign-invoice',
  'approve-payment',
  'forward-htlc',
] as const satisfies readonly RequestKind[];
