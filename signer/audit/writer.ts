// The audit log writer: one pino-formatted JSON line per signer decision, hash-chained to the line
// before it, and on disk before the signer replies. Two ways to write a line:
// - append(): written and fsynced before it returns;
// - stage() then sync(): written at once (in order, so a process crash keeps it), made durable by a
//   group commit that lets concurrent decisions share one fsync (group-commit.ts). The signer replies
//   only after sync() resolved.
//
// pino formats each line into a capturing destination; this module writes the bytes itself with
// fs.writeSync, so a failed write throws to the caller (who must then not reply) and can be cut back
// off the file, instead of sitting in a stream buffer to be written later out of order.
import {
  closeSync,
  existsSync,
  fstatSync,
  fsync as fsyncCallback,
  fsyncSync,
  ftruncateSync,
  linkSync,
  openSync,
  readFileSync,
  readSync,
  unlinkSync,
  writeFileSync,
  writeSync,
  constants,
} from 'node:fs';
import { hostname } from 'node:os';
import { dirname, resolve } from 'node:path';
import { pino, type Logger } from 'pino';
import { hex } from '../../bolt/bytes.js';
import { checkLine, hashOfLineText, withoutHashMember } from './chain.js';
import { GroupCommit } from './group-commit.js';
import { assertNoSecrets } from './redaction.js';
import {
  AUDIT_AMOUNT_NAMES,
  AUDIT_DECISIONS,
  AuditEntryError,
  GENESIS_HASH,
  RULE_ID_PATTERN,
  SIGNER_OPERATIONS,
  type AuditDecisionEntry,
  type AuditDecisionKind,
  type HexOrBytes,
} from './types.js';

export interface AuditLogOptions {
  /** Milliseconds since the Unix epoch for each line's `time`; Date.now by default. */
  readonly now?: () => number;
  /**
   * How sync() makes the file durable: fsync(2) on the thread pool by default. Tests pass their own
   * to hold a flush open and see who waits on it; it must resolve only once the bytes are on disk.
   */
  readonly fsync?: (fd: number) => Promise<void>;
}

/** Where a line went: its sequence number and its hash (the new head of the chain). */
export interface AuditAppendResult {
  readonly seq: number;
  readonly hash: string;
}

/** The log cannot be continued: its last complete line does not verify. Nothing was written. */
export class AuditLogCorruptError extends Error {
  override readonly name = 'AuditLogCorruptError';
}

/** Another writer (this process or a live one) holds the log. */
export class AuditLogLockedError extends Error {
  override readonly name = 'AuditLogLockedError';
}

/** A line could not be made durable; the caller must not act on the decision. */
export class AuditLogWriteError extends Error {
  override readonly name = 'AuditLogWriteError';
}

/** fsync(2) on libuv's thread pool, so the event loop (and the next requests) go on meanwhile. */
function fsyncOnThreadPool(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fsyncCallback(fd, (err) => (err ? reject(err) : resolve())));
}

const MAX_REASON = 300;
const MAX_RULES = 32;
const MAX_U64 = (1n << 64n) - 1n;
const MAX_COMMITMENT_NUMBER = 2 ** 48 - 1; // BOLT 3: commitment numbers are 48 bits

const ENTRY_KEYS: ReadonlySet<string> = new Set([
  'operation',
  'decision',
  'reason',
  'violations',
  'warnings',
  'channelId',
  'paymentHash',
  'txid',
  'peerNodeId',
  'commitmentNumber',
  'amountsMsat',
] satisfies (keyof AuditDecisionEntry)[]);

const LEVEL_OF: Record<AuditDecisionKind, 'info' | 'warn' | 'error'> = {
  allowed: 'info',
  warned: 'warn',
  refused: 'error',
};

/** Paths this process holds open, so a lock file naming our own pid can be told from a stale one. */
const openHere = new Set<string>();

/**
 * An append-only, hash-chained audit log file. Open it once per signer process:
 * `const log = AuditLog.open(path)`, then for every decision, before replying, either
 * `log.append(entry)` or `log.stage(entry)` followed by `await log.sync()`.
 */
export class AuditLog {
  /** Bytes of a torn final line cut away when this log was opened, or null when there was none. */
  readonly recoveredTornTail: number | null;
  private fd: number | null;
  private size: number;
  private seq: number;
  private headHash: string;
  /** Lines 1..durableSeq are known to be on disk (fsynced). */
  private durable: number;
  private readonly logger: Logger;
  private captured: string | null = null;
  private readonly now: () => number;
  private readonly fsync: (fd: number) => Promise<void>;
  private readonly group: GroupCommit;
  /** Set when an fsync failed: what is on disk is unknown, so no line is taken until the log is reopened. */
  private failure: AuditLogWriteError | null = null;
  /** fsyncs running on the file; close() defers closing the descriptor until they end. */
  private inFlight = 0;
  private closeWhenIdle: number | null = null;

  private constructor(
    readonly path: string,
    private readonly lockPath: string,
    fd: number,
    tail: TailState,
    options: AuditLogOptions,
  ) {
    this.fd = fd;
    this.size = tail.goodSize;
    this.seq = tail.seq;
    this.headHash = tail.head;
    this.durable = tail.seq;
    this.now = options.now ?? Date.now;
    this.fsync = options.fsync ?? fsyncOnThreadPool;
    this.group = new GroupCommit(() => this.fsyncStaged());
    this.logger = pino(
      {
        base: { pid: process.pid, hostname: hostname() },
        timestamp: false, // `time` travels in the line's fields, so the writer knows every byte it hashes
        level: 'info',
      },
      { write: (line: string) => void (this.captured = line) },
    );
    this.recoveredTornTail = tail.tornBytes > 0 ? tail.tornBytes : null;
  }

  /**
   * Opens (or creates) the log at `path` and continues its chain from the last line. A torn final
   * line left by a crash is cut away and a `torn-tail-truncated` line records how many bytes went.
   * Throws AuditLogCorruptError if the last complete line does not verify, AuditLogLockedError if
   * another writer holds the log.
   */
  static open(path: string, options: AuditLogOptions = {}): AuditLog {
    const full = resolve(path);
    const lockPath = acquireLock(full);
    let fd: number | null = null;
    try {
      const created = !existsSync(full);
      fd = openSync(full, constants.O_RDWR | constants.O_CREAT, 0o600);
      if (created) fsyncDir(dirname(full));
      const tail = readTail(fd, full);
      if (tail.tornBytes > 0) {
        ftruncateSync(fd, tail.goodSize);
        fsyncSync(fd);
      }
      const log = new AuditLog(full, lockPath, fd, tail, options);
      openHere.add(full);
      if (tail.tornBytes > 0) log.recordTornTail(tail.tornBytes);
      return log;
    } catch (err) {
      if (fd !== null) {
        try {
          closeSync(fd);
        } catch {
          // a failed torn-tail record may have closed it already
        }
      }
      openHere.delete(full);
      releaseLock(lockPath);
      throw err;
    }
  }

  /** Hash of the last line: publish or record it, then `vigil audit verify --head` proves nothing after it was dropped. */
  get head(): string {
    return this.headHash;
  }

  /** Sequence number of the last line written (0 for an empty log); see durableSeq for what is fsynced. */
  get lastSeq(): number {
    return this.seq;
  }

  /** Sequence number of the last line known to be on disk (fsynced). */
  get durableSeq(): number {
    return this.durable;
  }

  /** How many fsyncs sync() has started: compare with the lines staged to see the group commit work. */
  get syncFlushes(): number {
    return this.group.flushes;
  }

  /**
   * Validates the entry, refuses secrets (AuditRedactionError), writes its line and fsyncs it.
   * Throws AuditEntryError for a malformed entry and AuditLogWriteError if the disk refused the line.
   */
  append(entry: AuditDecisionEntry): AuditAppendResult {
    return this.write(...this.lineOf(entry), true);
  }

  /**
   * As append(), but returns once the line is written, before it is fsynced: a crash of the process
   * keeps it (the kernel has it), a crash of the machine may not. Call sync() and act on the decision
   * only once that resolved. Lines are written in call order, so the chain on disk is always a prefix.
   */
  stage(entry: AuditDecisionEntry): AuditAppendResult {
    return this.write(...this.lineOf(entry), false);
  }

  /**
   * Resolves once every line staged before this call is on disk. Concurrent callers share one fsync:
   * with none running it starts at once; callers arriving while one runs share the next one.
   * Rejects with AuditLogWriteError if an fsync failed; the log then takes no more lines.
   */
  sync(): Promise<void> {
    return this.group.sync();
  }

  /**
   * Closes the file and releases the lock; append(), stage() and sync() throw afterwards. Await
   * sync() first: a staged line not yet fsynced is left to the kernel. An fsync still running keeps
   * the descriptor open until it ends.
   */
  close(): void {
    if (this.fd === null) return;
    if (this.inFlight > 0) this.closeWhenIdle = this.fd;
    else closeSync(this.fd);
    this.fd = null;
    openHere.delete(this.path);
    releaseLock(this.lockPath);
  }

  /** The flush behind sync(): one fsync covering every line written so far. */
  private async fsyncStaged(): Promise<void> {
    const fd = this.fd;
    if (fd === null) throw new AuditLogWriteError(`audit log ${this.path} is closed`);
    if (this.failure) throw this.failure;
    const through = this.seq;
    if (through <= this.durable) return;
    this.inFlight++;
    try {
      await this.fsync(fd);
    } catch (err) {
      throw this.fsyncFailed(err, through);
    } finally {
      this.inFlight--;
      if (this.inFlight === 0 && this.closeWhenIdle !== null) {
        closeSync(this.closeWhenIdle);
        this.closeWhenIdle = null;
      }
    }
    if (through > this.durable) this.durable = through;
  }

  private lineOf(entry: AuditDecisionEntry): [level: 'info' | 'warn' | 'error', fields: Record<string, unknown>, msg: string] {
    assertNoSecrets(entry);
    const fields = decisionFields(entry);
    assertNoSecrets(fields);
    return [LEVEL_OF[entry.decision], fields, `${entry.operation} ${entry.decision}`];
  }

  private recordTornTail(droppedBytes: number): void {
    this.write(
      'warn',
      {
        event: 'torn-tail-truncated',
        dropped_bytes: droppedBytes,
        reason: `cut away a torn final line of ${droppedBytes} bytes left by a crash mid-write`,
      },
      'audit log recovered from a torn final line',
      true,
    );
  }

  /**
   * Formats with pino, checks the line hashes as the verifier will see it, writes it (one write per
   * line, looping only on a short write) and, when `durable`, fsyncs it.
   */
  private write(level: 'info' | 'warn' | 'error', body: Record<string, unknown>, msg: string, durable: boolean): AuditAppendResult {
    const fd = this.fd;
    if (fd === null) throw new AuditLogWriteError(`audit log ${this.path} is closed`);
    if (this.failure) throw this.failure;
    const seq = this.seq + 1;
    const fields = { time: this.now(), seq, ...body, prev_hash: this.headHash };
    const unhashed = this.format(level, fields, msg);
    const hash = hashOfLineText(unhashed);
    const line = this.format(level, { ...fields, hash }, msg);
    const check = checkLine(Buffer.from(line, 'utf8'));
    if (withoutHashMember(line, hash) !== unhashed || !check.ok || check.link.hash !== hash) {
      throw new AuditLogWriteError(`audit log: pino produced a line whose hash does not verify: ${line}`);
    }
    const bytes = Buffer.from(line + '\n', 'utf8');
    try {
      let done = 0;
      while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done, this.size + done);
    } catch (err) {
      this.undoPartialWrite(fd);
      throw new AuditLogWriteError(`audit log ${this.path}: line ${seq} was not written: ${(err as Error).message}`, {
        cause: err,
      });
    }
    this.size += bytes.length;
    this.seq = seq;
    this.headHash = hash;
    if (durable) {
      try {
        fsyncSync(fd);
      } catch (err) {
        throw this.fsyncFailed(err, seq);
      }
      this.durable = seq;
    }
    return { seq, hash };
  }

  /**
   * After a failed fsync, Linux may have dropped the dirty pages and report success on the next one:
   * the lines after the last durable one are in an unknown state. The log stops taking lines (the
   * signer stops answering) until it is reopened, which checks the file's tail again.
   */
  private fsyncFailed(err: unknown, through: number): AuditLogWriteError {
    this.failure ??= new AuditLogWriteError(
      `audit log ${this.path}: fsync failed, lines ${this.durable + 1}..${through} may not be on disk ` +
        `(${(err as Error).message}); the log takes no more lines until it is reopened`,
      { cause: err },
    );
    return this.failure;
  }

  /** After a failed write, cut the file back to the last whole line; if even that fails, stop writing. */
  private undoPartialWrite(fd: number): void {
    try {
      ftruncateSync(fd, this.size);
      fsyncSync(fd);
    } catch {
      this.close(); // the file's end is unknown: reopening will find and cut a torn tail
    }
  }

  private format(level: 'info' | 'warn' | 'error', fields: Record<string, unknown>, msg: string): string {
    this.captured = null;
    this.logger[level](fields, msg);
    const out = this.captured as string | null;
    if (out === null || !out.endsWith('\n') || out.indexOf('\n') !== out.length - 1) {
      throw new AuditLogWriteError('audit log: pino did not produce exactly one line');
    }
    return out.slice(0, -1);
  }
}

// ---------------------------------------------------------------- entry -> line fields

function fail(field: string, what: string): never {
  throw new AuditEntryError(`audit entry field "${field}": ${what}`);
}

function hexField(field: string, value: HexOrBytes, length: number): string {
  if (value instanceof Uint8Array) {
    if (value.length !== length) fail(field, `expected ${length} bytes, got ${value.length}`);
    return hex(value);
  }
  if (typeof value !== 'string' || !/^[0-9a-fA-F]*$/.test(value)) fail(field, 'expected bytes or a hex string');
  if (value.length !== 2 * length) fail(field, `expected ${length} bytes of hex, got ${value.length} hex digits`);
  return value.toLowerCase();
}

function rules(field: string, value: unknown): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) fail(field, 'expected an array of rule ids');
  if (value.length > MAX_RULES) fail(field, `${value.length} rule ids, at most ${MAX_RULES}`);
  for (const id of value) {
    if (typeof id !== 'string' || !RULE_ID_PATTERN.test(id)) {
      fail(field, `"${String(id)}" is not a rule id (policy-<area>-<rule>)`);
    }
  }
  return [...(value as string[])];
}

function msat(field: string, value: unknown): string {
  let n: bigint;
  if (typeof value === 'bigint') n = value;
  else if (typeof value === 'number' && Number.isSafeInteger(value)) n = BigInt(value);
  else return fail(field, `expected a bigint or a safe integer, got ${String(value)}`);
  if (n < 0n || n > MAX_U64) fail(field, `${n} msat is outside 0..2^64-1`);
  return n.toString(10);
}

/** The entry as the line's fields, in the order they are written; every field checked. */
function decisionFields(entry: AuditDecisionEntry): Record<string, unknown> {
  if (entry === null || typeof entry !== 'object') fail('(entry)', 'expected an object');
  for (const key of Object.keys(entry)) {
    if (!ENTRY_KEYS.has(key)) fail(key, `unknown field (known: ${[...ENTRY_KEYS].join(', ')})`);
  }
  const { operation, decision, reason } = entry;
  if (!(SIGNER_OPERATIONS as readonly string[]).includes(operation)) {
    fail('operation', `"${String(operation)}" is not a signer operation`);
  }
  if (!(AUDIT_DECISIONS as readonly string[]).includes(decision)) {
    fail('decision', `"${String(decision)}" is not one of ${AUDIT_DECISIONS.join('|')}`);
  }
  if (typeof reason !== 'string' || reason.length === 0 || reason.length > MAX_REASON) {
    fail('reason', `expected 1 to ${MAX_REASON} characters`);
  }
  if (/[\u0000-\u001f\u007f\u2028\u2029]/.test(reason)) fail('reason', 'must be one line without control characters');
  const violations = rules('violations', entry.violations);
  const warnings = rules('warnings', entry.warnings);
  if (decision === 'refused' && violations.length === 0) fail('violations', 'a refusal names at least one rule');
  if (decision !== 'refused' && violations.length > 0) fail('violations', `must be empty when ${decision}`);
  if (decision === 'warned' && warnings.length === 0) fail('warnings', 'a warned decision names at least one rule');
  if (decision === 'allowed' && warnings.length > 0) fail('warnings', 'must be empty when allowed (use "warned")');

  const out: Record<string, unknown> = { event: 'decision', op: operation, decision };
  if (entry.channelId !== undefined) out['channel_id'] = hexField('channelId', entry.channelId, 32);
  if (entry.paymentHash !== undefined) out['payment_hash'] = hexField('paymentHash', entry.paymentHash, 32);
  if (entry.txid !== undefined) out['txid'] = hexField('txid', entry.txid, 32);
  if (entry.peerNodeId !== undefined) {
    const id = hexField('peerNodeId', entry.peerNodeId, 33);
    if (!id.startsWith('02') && !id.startsWith('03')) fail('peerNodeId', 'expected a compressed public key (02/03)');
    out['peer_node_id'] = id;
  }
  if (entry.commitmentNumber !== undefined) {
    const c = entry.commitmentNumber;
    const n = typeof c === 'bigint' ? c : Number.isSafeInteger(c) ? BigInt(c) : -1n;
    if (n < 0n || n > BigInt(MAX_COMMITMENT_NUMBER)) fail('commitmentNumber', `${String(c)} is outside 0..2^48-1`);
    out['commitment_number'] = Number(n);
  }
  if (entry.amountsMsat !== undefined) {
    const amounts = entry.amountsMsat as Record<string, unknown>;
    if (amounts === null || typeof amounts !== 'object' || Array.isArray(amounts)) fail('amountsMsat', 'expected an object');
    for (const key of Object.keys(amounts)) {
      if (!(AUDIT_AMOUNT_NAMES as readonly string[]).includes(key)) {
        fail(`amountsMsat.${key}`, `unknown amount (known: ${AUDIT_AMOUNT_NAMES.join(', ')})`);
      }
    }
    const written: Record<string, string> = {};
    for (const name of AUDIT_AMOUNT_NAMES) {
      if (amounts[name] !== undefined) written[name] = msat(`amountsMsat.${name}`, amounts[name]);
    }
    out['amounts_msat'] = written;
  }
  out['violations'] = violations;
  out['warnings'] = warnings;
  out['reason'] = reason;
  return out;
}

// ---------------------------------------------------------------- reading the tail on open

interface TailState {
  /** File length up to and including the last newline. */
  readonly goodSize: number;
  /** Bytes after the last newline: a write torn by a crash. */
  readonly tornBytes: number;
  readonly seq: number;
  readonly head: string;
}

/** Position of the last 0x0a in [0, end), or -1. Reads backwards in 64 KiB chunks. */
function lastNewlineBefore(fd: number, end: number): number {
  const chunk = Buffer.allocUnsafe(64 * 1024);
  let to = end;
  while (to > 0) {
    const from = Math.max(0, to - chunk.length);
    const n = readSync(fd, chunk, 0, to - from, from);
    const at = chunk.subarray(0, n).lastIndexOf(0x0a);
    if (at >= 0) return from + at;
    to = from;
  }
  return -1;
}

function readTail(fd: number, path: string): TailState {
  const size = fstatSync(fd).size;
  const lastNl = lastNewlineBefore(fd, size);
  const goodSize = lastNl + 1;
  const tornBytes = size - goodSize;
  if (lastNl < 0) return { goodSize: 0, tornBytes, seq: 0, head: GENESIS_HASH };
  const start = lastNewlineBefore(fd, lastNl) + 1;
  const line = Buffer.alloc(lastNl - start);
  if (line.length > 0) readSync(fd, line, 0, line.length, start);
  const check = checkLine(line);
  if (!check.ok) {
    throw new AuditLogCorruptError(
      `audit log ${path}: its last complete line (bytes ${start}..${lastNl}) does not verify: ${check.detail}; ` +
        `refusing to append to it (run vigil audit verify ${path})`,
    );
  }
  return { goodSize, tornBytes, seq: check.link.seq, head: check.link.hash };
}

// ---------------------------------------------------------------- one writer per log

function pidIsLive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** `<log>.lock` holds the writer's pid; made by link() so it is never seen empty. */
function acquireLock(full: string): string {
  const lockPath = `${full}.lock`;
  for (let attempt = 0; attempt < 2; attempt++) {
    const tmp = `${lockPath}.${process.pid}.tmp`;
    writeFileSync(tmp, `${process.pid}\n`, { mode: 0o600 });
    try {
      linkSync(tmp, lockPath);
      return lockPath;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    } finally {
      unlinkSync(tmp);
    }
    const holder = Number(readFileSync(lockPath, 'utf8').trim());
    const stale =
      !Number.isSafeInteger(holder) || holder <= 0 || !pidIsLive(holder) || (holder === process.pid && !openHere.has(full));
    if (!stale) {
      throw new AuditLogLockedError(`audit log ${full} is held by process ${holder} (lock file ${lockPath})`);
    }
    unlinkSync(lockPath);
  }
  throw new AuditLogLockedError(`audit log ${full}: could not take the lock file ${lockPath}`);
}

function releaseLock(lockPath: string): void {
  try {
    unlinkSync(lockPath);
  } catch {
    // already gone: nothing to release
  }
}

/** Makes a newly created file's directory entry durable too. */
function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
