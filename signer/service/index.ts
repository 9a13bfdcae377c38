// The signer service behind proto/signer.proto, without its transport: `call(method, request)` takes
// and returns messages in the shape @grpc/proto-loader produces ({ keepCase: true, longs: String,
// enums: String, defaults: true, oneofs: true }); the gRPC server (signer/grpc-server.ts) wires it.
//
// One request at a time: each takes the service lock, lets its handler rebuild and check what it is
// asked to sign (policy/ decides, the device signs), then writes its state changes and its audit line in
// ONE SQLite transaction, and releases the lock. Its answer waits until that transaction and its audit
// line are on disk: a group commit (signer/audit/group-commit.ts) makes both durable for every request
// that got that far, so requests arriving together share one fsync of the log and one of the database.
// A refusal writes its audit line and changes nothing. A person's confirmation (ApprovePayment above the
// threshold) is awaited without the lock.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { hex } from '../../bolt/bytes.js';
import { AuditLog, GroupCommit, SIGNER_OPERATIONS, type AuditDecisionEntry, type SignerOperation } from '../audit/index.js';
import type { Device } from '../device/device.js';
import type { PolicyConfig } from '../../policy/index.js';
import { internalError, invalidArgument, SignerError } from '../errors.js';
import { nodeKeyPath, SIGNER_NETWORKS, type SignerNetwork } from '../keys.js';
import { SignerStore } from '../store/store.js';
import { addBlock, channelClosed, fundingConfirmed, TIP_HASH, TIP_HEIGHT } from './chain.js';
import { getPerCommitmentPoint, newChannel, setupChannel } from './channel-setup.js';
import { ChannelRegistry } from './channels.js';
import { signHolderCommitmentForBroadcast, signHolderHtlcTransaction, signJustice, signMutualClose, signSweep } from './closing.js';
import { auditEntry, type AuditFacts, type ChainTip, type DeviceKind, type Handler, type Outcome, type ServiceContext } from './context.js';
import { signCounterpartyCommitment, validateCounterpartyRevocation } from './counterparty.js';
import { revokeHolderCommitment, validateHolderCommitment } from './holder.js';
import { ecdhHandler, getNodeInfo, signChannelAnnouncement, signChannelUpdate, signInvoice, signMessage, signNodeAnnouncement } from './identity.js';
import { PaymentBook } from './payments-book.js';
import { approvePayment } from './payments.js';
import { inFlightHashes } from './policy-bridge.js';
import { listChannels } from './recovery.js';
import { listWalletAddresses, newAddress, signWalletTransaction } from './wallet.js';
import { Wallet } from './wallet-keys.js';

/** The unary RPCs of proto/signer.proto (every rpc but the Connect stream), by their proto names. */
export type RpcName = SignerOperation;
export const RPC_NAMES: readonly RpcName[] = SIGNER_OPERATIONS;

export interface SignerServiceOptions {
  /** Holds signer.sqlite (the durable state) and audit.jsonl (the decision log). Created if missing. */
  readonly dataDir: string;
  readonly device: Device;
  readonly policy: PolicyConfig;
  readonly network: SignerNetwork;
  /** Unix milliseconds; Date.now by default. */
  readonly now?: () => number;
  /**
   * Where confirmations are shown: a second connection to the same device, so that signing goes on
   * while a person decides (the emulator serves one command at a time per connection). Default: `device`.
   */
  readonly approvalDevice?: Device;
  /** What GetNodeInfo reports as the device. Default: emulator. */
  readonly deviceKind?: DeviceKind;
  /**
   * How the audit log's group commit fsyncs the file (AuditLogOptions.fsync): the thread pool's
   * fsync(2) by default. Tests pass one they control, to see that no answer leaves before it resolved.
   */
  readonly auditFsync?: (fd: number) => Promise<void>;
}

export const DATABASE_FILE = 'signer.sqlite';
export const AUDIT_FILE = 'audit.jsonl';

const HANDLERS: Readonly<Record<RpcName, Handler>> = {
  GetNodeInfo: getNodeInfo,
  Ecdh: ecdhHandler,
  SignNodeAnnouncement: signNodeAnnouncement,
  SignChannelUpdate: signChannelUpdate,
  SignChannelAnnouncement: signChannelAnnouncement,
  SignInvoice: signInvoice,
  SignMessage: signMessage,
  NewChannel: newChannel,
  SetupChannel: setupChannel,
  GetPerCommitmentPoint: getPerCommitmentPoint,
  ValidateHolderCommitment: validateHolderCommitment,
  RevokeHolderCommitment: revokeHolderCommitment,
  SignCounterpartyCommitment: signCounterpartyCommitment,
  ValidateCounterpartyRevocation: validateCounterpartyRevocation,
  SignMutualClose: signMutualClose,
  SignHolderCommitmentForBroadcast: signHolderCommitmentForBroadcast,
  SignHolderHtlcTransaction: signHolderHtlcTransaction,
  SignSweep: signSweep,
  SignJustice: signJustice,
  ApprovePayment: approvePayment,
  NewAddress: newAddress,
  SignWalletTransaction: signWalletTransaction,
  AddBlock: addBlock,
  FundingConfirmed: fundingConfirmed,
  ChannelClosed: channelClosed,
  ListChannels: listChannels,
  ListWalletAddresses: listWalletAddresses,
};

/** A FIFO lock: one request runs at a time. */
class RequestLock {
  #held = false;
  readonly #waiting: (() => void)[] = [];

  async acquire(): Promise<void> {
    if (!this.#held) {
      this.#held = true;
      return;
    }
    await new Promise<void>((resolve) => this.#waiting.push(resolve));
  }

  release(): void {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#held = false;
  }
}

/** The audit `reason`: one line, at most 300 characters, no run of hex long enough to be a key or id. */
export function auditReason(text: string): string {
  const clean = text
    .replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ')
    .replace(/[0-9a-fA-F]{16,}/g, (run) => `${run.slice(0, 8)}…`)
    .trim();
  const bounded = clean.length > 300 ? `${clean.slice(0, 299)}…` : clean;
  return bounded.length > 0 ? bounded : '(no detail)';
}

/** Errors thrown by bolt/ when request data does not fit BOLT 3 (caught, they become INVALID_ARGUMENT). */
const BOLT_DATA_ERRORS = new Set(['ScriptError', 'CommitmentError', 'TransactionError', 'KeyDerivationError', 'HtlcTransactionError', 'ClosingError']);

function asSignerError(e: unknown): SignerError {
  if (e instanceof SignerError) return e;
  if (e instanceof Error && BOLT_DATA_ERRORS.has(e.name)) return invalidArgument('request', e.message);
  return internalError(e instanceof Error ? `${e.name}: ${e.message}` : String(e));
}

/** What the audit line can say before the handler knows more: the channel the request names. */
function requestFacts(request: unknown): AuditFacts {
  const facts: AuditFacts = {};
  if (request !== null && typeof request === 'object') {
    const channel = (request as Record<string, unknown>)['channel'];
    if (channel !== null && typeof channel === 'object') {
      const id = (channel as Record<string, unknown>)['channel_id'];
      if (id instanceof Uint8Array && id.length === 32) facts.channelId = Uint8Array.from(id);
    }
  }
  return facts;
}

/** What a request decided, written (not yet durable): its answer, or the error to throw. */
type Decided = { readonly ok: true; readonly response: object } | { readonly ok: false; readonly error: SignerError };

export class SignerService {
  readonly #ctx: ServiceContext;
  readonly #store: SignerStore;
  readonly #audit: AuditLog;
  readonly #lock: RequestLock;
  readonly #options: SignerServiceOptions;
  /** Makes the audit lines and SQLite commits written so far durable, one flush for all who wait. */
  readonly #durable: GroupCommit;
  #closed = false;
  /** Set once a flush failed: what is on disk is unknown, so nothing more is answered until a restart. */
  #failure: SignerError | undefined;

  private constructor(ctx: ServiceContext, store: SignerStore, audit: AuditLog, lock: RequestLock, options: SignerServiceOptions) {
    this.#ctx = ctx;
    this.#store = store;
    this.#audit = audit;
    this.#lock = lock;
    this.#options = options;
    this.#durable = new GroupCommit(() => this.#flush());
  }

  /**
   * Opens the signer on `dataDir`, creating its database and audit log on first use. Refuses a device
   * other than the one the data directory was created with (BIP 32 fingerprint and node id), and a
   * policy written for another network.
   */
  static async open(options: SignerServiceOptions): Promise<SignerService> {
    const { network, policy, device } = options;
    if (!SIGNER_NETWORKS.includes(network)) throw new Error(`network must be one of ${SIGNER_NETWORKS.join(', ')}, got ${String(network)}`);
    if (policy.network !== network) throw new Error(`the policy is written for ${policy.network}, the signer runs on ${network}`);
    const now = options.now ?? Date.now;
    mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
    const store = SignerStore.open(join(options.dataDir, DATABASE_FILE));
    let audit: AuditLog | undefined;
    try {
      const fingerprint = await device.fingerprint();
      const path = nodeKeyPath(network);
      const nodeId = await device.getPublicKey(path);
      const stored = {
        network: store.getMeta('network'),
        fingerprint: store.getMeta('device_fingerprint'),
        nodeId: store.getMeta('node_id'),
      };
      if (stored.network !== undefined && stored.network !== network) throw new Error(`${options.dataDir} holds a ${stored.network} signer, not ${network}`);
      if (stored.fingerprint !== undefined && stored.fingerprint !== String(fingerprint)) {
        throw new Error(`${options.dataDir} was created with the device of fingerprint ${Number(stored.fingerprint).toString(16)}, this one is ${fingerprint.toString(16)}`);
      }
      if (stored.nodeId !== undefined && stored.nodeId !== hex(nodeId)) throw new Error(`${options.dataDir}: the device's node key differs from the stored node id`);
      if (stored.network === undefined) {
        store.transaction(() => {
          store.setMeta('network', network);
          store.setMeta('device_fingerprint', String(fingerprint));
          store.setMeta('node_id', hex(nodeId));
        });
      }
      audit = AuditLog.open(join(options.dataDir, AUDIT_FILE), { now, ...(options.auditFsync ? { fsync: options.auditFsync } : {}) });
      const lock = new RequestLock();
      const channels = ChannelRegistry.load(store);
      const chain: ChainTip = {
        height: Number(store.getMeta(TIP_HEIGHT) ?? '0'),
        hash: store.getMeta(TIP_HASH) === undefined ? null : Uint8Array.from(Buffer.from(store.getMeta(TIP_HASH)!, 'hex')),
      };
      const ctx: ServiceContext = {
        store,
        device,
        approvalDevice: options.approvalDevice ?? device,
        deviceKind: options.deviceKind ?? 'emulator',
        policy,
        network,
        now,
        channels,
        payments: PaymentBook.load(store, now(), inFlightHashes({ channels })),
        wallet: new Wallet(store.loadWalletKeys(), policy, network),
        chain,
        nodeId,
        nodeKeyPath: path,
        async unlocked<T>(fn: () => Promise<T>): Promise<T> {
          lock.release();
          try {
            return await fn();
          } finally {
            await lock.acquire();
          }
        },
      };
      return new SignerService(ctx, store, audit, lock, options);
    } catch (e) {
      audit?.close();
      store.close();
      throw e;
    }
  }

  /** The node id (33 bytes). */
  get nodeId(): Uint8Array {
    return this.#ctx.nodeId;
  }

  /** The audit log's head hash (record it somewhere the signer host cannot rewrite). */
  get auditHead(): string {
    return this.#audit.head;
  }

  /**
   * Answers one request. Throws SignerError: 'invalid-argument' (message starts with the field),
   * 'failed-precondition' (starts with the rule id), 'not-found', or 'internal'. Every answer and every
   * refusal is one audit line first.
   */
  async call(method: RpcName, request: object): Promise<object> {
    const handler = Object.prototype.hasOwnProperty.call(HANDLERS, method) ? HANDLERS[method] : undefined;
    if (handler === undefined) throw invalidArgument('method', `${String(method)} is not a signer RPC`);
    let decided: Decided;
    await this.#lock.acquire();
    try {
      if (this.#closed) throw internalError('the signer is closed');
      if (this.#failure) throw this.#failure;
      decided = await this.#run(method, handler, request);
    } finally {
      this.#lock.release();
    }
    // The next request may run now (it sees this one's state); this answer leaves only once this
    // request's audit line and SQLite commit are on disk, with those of every request before it.
    try {
      await this.#durable.sync();
    } catch {
      // #flush recorded the failure
    }
    if (this.#failure) throw this.#failure;
    if (!decided.ok) throw decided.error;
    return decided.response;
  }

  /** Decides one request and writes (does not yet sync) its audit line and its state. */
  async #run(method: RpcName, handler: Handler, request: object): Promise<Decided> {
    const facts = requestFacts(request);
    let outcome: Outcome;
    try {
      outcome = await handler(this.#ctx, request, facts);
    } catch (e) {
      const err = asSignerError(e);
      this.#stage(auditEntry(method, 'refused', auditReason(err.message), facts, err.violations, []));
      return { ok: false, error: err };
    }
    const warnings = outcome.warnings ?? [];
    const entry = auditEntry(method, warnings.length > 0 ? 'warned' : 'allowed', auditReason(outcome.reason), facts, [], warnings);
    try {
      // The line is written before COMMIT: a committed request always has its line in the file.
      this.#store.transactionUnsynced(() => {
        outcome.persist?.();
        this.#audit.stage(entry);
      });
    } catch (e) {
      // Nothing was committed. If the audit line made it to the file before the commit failed, say so.
      const err = internalError(`storage: ${e instanceof Error ? e.message : String(e)}`);
      try {
        this.#audit.stage(auditEntry(method, 'refused', auditReason(err.message), facts, err.violations, []));
      } catch {
        // the log itself is failing: the error below is all the caller gets
      }
      return { ok: false, error: err };
    }
    try {
      outcome.commit?.();
    } catch (e) {
      // Memory no longer matches the database: reload from what was committed.
      this.#reload();
      return { ok: false, error: internalError(`in-memory update failed after commit (state reloaded): ${e instanceof Error ? e.message : String(e)}`) };
    }
    return { ok: true, response: outcome.response };
  }

  #stage(entry: AuditDecisionEntry): void {
    try {
      this.#audit.stage(entry);
    } catch (e) {
      throw internalError(`audit log: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /**
   * One group flush: an fsync of the audit log and one of the database's WAL, both on the thread pool,
   * so the next requests decide meanwhile. Every request that wrote before the flush began is covered.
   */
  async #flush(): Promise<void> {
    const [audit, store] = await Promise.allSettled([this.#audit.sync(), this.#store.sync()]);
    const failed = audit.status === 'rejected' ? audit.reason : store.status === 'rejected' ? store.reason : undefined;
    if (failed !== undefined) {
      // What reached the disk is unknown (a failed fsync may have dropped pages): answer nothing more.
      this.#failure ??= internalError(`storage: ${failed instanceof Error ? failed.message : String(failed)}; the signer answers nothing more until it is restarted`);
      throw this.#failure;
    }
  }

  #reload(): void {
    const ctx = this.#ctx as { -readonly [K in keyof ServiceContext]: ServiceContext[K] };
    ctx.channels = ChannelRegistry.load(this.#store);
    ctx.wallet = new Wallet(this.#store.loadWalletKeys(), ctx.policy, ctx.network);
    ctx.payments = PaymentBook.load(this.#store, ctx.now(), inFlightHashes(ctx));
  }

  /** Every stored row as text (tests compare it before and after a refusal). */
  dumpState(): string {
    return this.#store.dump();
  }

  /** Waits for the request in progress, then closes the database and the audit log. The device is the caller's. */
  async close(): Promise<void> {
    if (this.#closed) return;
    await this.#lock.acquire();
    try {
      if (this.#closed) return;
      this.#closed = true;
      try {
        await this.#durable.sync();
      } catch {
        // already the answer of every request that waited on it
      }
      this.#audit.close();
      this.#store.close();
    } finally {
      this.#lock.release();
    }
  }

  /** Where the signer keeps its files. */
  get dataDir(): string {
    return this.#options.dataDir;
  }
}

export { SignerError } from '../errors.js';
export type { DeviceKind } from './context.js';
