// What goes into the signer's audit log: the typed entry a caller hands over, and the lines on disk.
// DESIGN.md invariant 8: every decision, allowed or refused, is one line in a hash-chained log.
// The on-disk format and the hash are defined in signer/audit/README.md.

/** The signer's unary RPCs (proto/signer.proto `service Signer`, without the `Connect` transport stream). */
export const SIGNER_OPERATIONS = [
  'GetNodeInfo',
  'Ecdh',
  'SignNodeAnnouncement',
  'SignChannelUpdate',
  'SignChannelAnnouncement',
  'SignInvoice',
  'SignMessage',
  'NewChannel',
  'SetupChannel',
  'GetPerCommitmentPoint',
  'ValidateHolderCommitment',
  'RevokeHolderCommitment',
  'SignCounterpartyCommitment',
  'ValidateCounterpartyRevocation',
  'SignMutualClose',
  'SignHolderCommitmentForBroadcast',
  'SignHolderHtlcTransaction',
  'SignSweep',
  'SignJustice',
  'ApprovePayment',
  'NewAddress',
  'ListWalletAddresses',
  'SignWalletTransaction',
  'AddBlock',
  'FundingConfirmed',
  'ChannelClosed',
  'ListChannels',
] as const;
export type SignerOperation = (typeof SIGNER_OPERATIONS)[number];

/** allowed: signed/answered; warned: answered, but rules in warn mode fired; refused: a rule refused it. */
export const AUDIT_DECISIONS = ['allowed', 'refused', 'warned'] as const;
export type AuditDecisionKind = (typeof AUDIT_DECISIONS)[number];

/** A policy rule id as policy/ names them (`policy-<area>-<rule>`); policy/ narrows this to a literal union. */
export type AuditRuleId = `policy-${string}`;
export const RULE_ID_PATTERN = /^policy-[a-z0-9]+(?:-[a-z0-9]+)*$/;

/** Amounts a decision may carry, all in millisatoshi; the line holds them as decimal strings. */
export const AUDIT_AMOUNT_NAMES = [
  'amount',
  'fee',
  'max_fee',
  'funding',
  'push',
  'to_holder',
  'to_counterparty',
  'htlc_total',
  'incoming',
  'outgoing',
  'spent_in_window',
  'velocity_limit',
  'approval_threshold',
  'dust_limit',
  'reserve',
] as const;
export type AuditAmountName = (typeof AUDIT_AMOUNT_NAMES)[number];

/** A millisatoshi amount: a bigint, or a number that is a safe non-negative integer. */
export type Msat = bigint | number;

/** Bytes, or the same bytes as hex. */
export type HexOrBytes = Uint8Array | string;

/**
 * One signer decision, as the signer hands it to `AuditLog.append`. Only these fields exist:
 * any other key is refused, and the redaction guard refuses secret-looking ones outright.
 */
export interface AuditDecisionEntry {
  readonly operation: SignerOperation;
  readonly decision: AuditDecisionKind;
  /** One short line (at most 300 characters, no control characters, no hex of 32 bytes or more). */
  readonly reason: string;
  /** Rules that refused the request: at least one when refused, none otherwise. */
  readonly violations?: readonly AuditRuleId[];
  /** Rules in warn mode that fired: at least one when warned, none when allowed. */
  readonly warnings?: readonly AuditRuleId[];
  /** 32 bytes (BOLT 2 channel_id). */
  readonly channelId?: HexOrBytes;
  /** 32 bytes. */
  readonly paymentHash?: HexOrBytes;
  /** 32 bytes, in the byte order the caller displays it (Bitcoin's display order by convention). */
  readonly txid?: HexOrBytes;
  /** 33-byte compressed public key of the peer. */
  readonly peerNodeId?: HexOrBytes;
  /** BOLT 3 commitment number, 48 bits. */
  readonly commitmentNumber?: bigint | number;
  readonly amountsMsat?: Readonly<Partial<Record<AuditAmountName, Msat>>>;
}

/** prev_hash of the first line of every log: 32 zero bytes in hex. */
export const GENESIS_HASH = '0'.repeat(64);

/** The fields every line has, in the order they appear (pino's level, pid, hostname first). */
export interface AuditLineBase {
  readonly level: number;
  readonly pid: number;
  readonly hostname: string;
  /** Milliseconds since the Unix epoch (pino's `time`). */
  readonly time: number;
  /** 1 on the first line, +1 on each next one. */
  readonly seq: number;
  readonly prev_hash: string;
  readonly hash: string;
  /** pino's message: a one-line headline, e.g. "SignCounterpartyCommitment refused". */
  readonly msg: string;
}

export interface AuditDecisionLine extends AuditLineBase {
  readonly event: 'decision';
  readonly op: SignerOperation;
  readonly decision: AuditDecisionKind;
  readonly channel_id?: string;
  readonly payment_hash?: string;
  readonly txid?: string;
  readonly peer_node_id?: string;
  readonly commitment_number?: number;
  readonly amounts_msat?: Readonly<Partial<Record<AuditAmountName, string>>>;
  readonly violations: readonly string[];
  readonly warnings: readonly string[];
  readonly reason: string;
}

/** Written by the writer when it reopened a log whose last line was torn by a crash and cut it away. */
export interface AuditTornTailLine extends AuditLineBase {
  readonly event: 'torn-tail-truncated';
  readonly dropped_bytes: number;
  readonly reason: string;
}

export type AuditLine = AuditDecisionLine | AuditTornTailLine;

/** An entry the writer refuses: the message names the field and what is wrong with it. */
export class AuditEntryError extends Error {
  override readonly name = 'AuditEntryError';
}
