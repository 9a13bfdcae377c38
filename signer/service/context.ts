// What every request handler gets (the service's state and collaborators) and what it gives back
// (an Outcome: the response, the audit facts, and the writes to make durable before answering).
import type { Device, DerivationPath } from '../device/device.js';
import type { AuditAmountName, AuditDecisionEntry } from '../audit/index.js';
import type { PolicyConfig, RuleId } from '../../policy/index.js';
import type { SignerStore } from '../store/store.js';
import type { SignerNetwork } from '../keys.js';
import type { ChannelRegistry } from './channels.js';
import type { PaymentBook } from './payments-book.js';
import type { Wallet } from './wallet-keys.js';

export type DeviceKind = 'emulator' | 'ledger' | 'trezor';

/** The chain tip as AddBlock last reported it. */
export interface ChainTip {
  height: number;
  hash: Uint8Array | null;
}

export interface ServiceContext {
  readonly store: SignerStore;
  readonly device: Device;
  /** Where confirmations are shown (a second connection to the same device, so signing goes on meanwhile). */
  readonly approvalDevice: Device;
  readonly deviceKind: DeviceKind;
  readonly policy: PolicyConfig;
  readonly network: SignerNetwork;
  readonly now: () => number;
  readonly channels: ChannelRegistry;
  readonly payments: PaymentBook;
  readonly wallet: Wallet;
  readonly chain: ChainTip;
  readonly nodeId: Uint8Array;
  readonly nodeKeyPath: DerivationPath;
  /** Runs `fn` without the service's request lock (for a person's confirmation, which has no time limit). */
  unlocked<T>(fn: () => Promise<T>): Promise<T>;
}

/**
 * What the audit line of one request records besides its operation and decision. Handlers fill it in
 * as they learn the facts, so a refusal thrown halfway still logs the channel and numbers.
 */
export interface AuditFacts {
  channelId?: Uint8Array;
  paymentHash?: Uint8Array;
  txid?: Uint8Array;
  peerNodeId?: Uint8Array;
  commitmentNumber?: number;
  amountsMsat?: Partial<Record<AuditAmountName, bigint>>;
}

export interface Outcome {
  /** The response message, in proto-loader shape. */
  readonly response: object;
  /** One line for the audit log: what was decided, without secrets or long hex. */
  readonly reason: string;
  /** Rules in warn mode that fired (the request still goes on). */
  readonly warnings?: readonly RuleId[];
  /** SQL writes, run in the request's one transaction together with its audit line. */
  readonly persist?: () => void;
  /** In-memory updates, run after the transaction committed. */
  readonly commit?: () => void;
}

export type Handler = (ctx: ServiceContext, request: unknown, audit: AuditFacts) => Promise<Outcome>;

/** The audit entry of a request (reason sanitized by the caller). */
export function auditEntry(
  operation: AuditDecisionEntry['operation'],
  decision: AuditDecisionEntry['decision'],
  reason: string,
  facts: AuditFacts,
  violations: readonly string[],
  warnings: readonly string[],
): AuditDecisionEntry {
  return {
    operation,
    decision,
    reason,
    ...(violations.length > 0 ? { violations: violations as `policy-${string}`[] } : {}),
    ...(warnings.length > 0 ? { warnings: warnings as `policy-${string}`[] } : {}),
    ...(facts.channelId ? { channelId: facts.channelId } : {}),
    ...(facts.paymentHash ? { paymentHash: facts.paymentHash } : {}),
    ...(facts.txid ? { txid: facts.txid } : {}),
    ...(facts.peerNodeId ? { peerNodeId: facts.peerNodeId } : {}),
    ...(facts.commitmentNumber !== undefined ? { commitmentNumber: facts.commitmentNumber } : {}),
    ...(facts.amountsMsat && Object.keys(facts.amountsMsat).length > 0 ? { amountsMsat: facts.amountsMsat } : {}),
  };
}
