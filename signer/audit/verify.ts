// `vigil audit verify`: walks the chain line by line and names the FIRST line that breaks it.
// A final fragment without a newline is a write torn by a crash, reported as such and not as tampering.
import { closeSync, openSync, readSync } from 'node:fs';
import { checkLine, type LineProblem } from './chain.js';
import { GENESIS_HASH } from './types.js';

export type AuditProblem =
  | LineProblem
  /** seq is not the previous line's seq + 1 (dropped, reordered or inserted lines). */
  | 'sequence'
  /** prev_hash is not the previous line's hash (or not GENESIS_HASH on line 1). */
  | 'prev-hash-mismatch'
  /** The file ends in a fragment without a newline: a crash mid-write, not an edit. */
  | 'torn-tail'
  /** The chain verifies, but the head the caller recorded earlier is not in it. */
  | 'head-not-found';

export type AuditVerifyResult =
  | { readonly ok: true; readonly lines: number; readonly head: string }
  | {
      readonly ok: false;
      readonly problem: AuditProblem;
      /** The first bad line (1-based), or null for 'head-not-found'. */
      readonly line: number | null;
      /** One line for a person, e.g. "line 7: prev_hash does not match line 6". */
      readonly message: string;
      /** How many lines before the bad one verify, and the hash of the last of them. */
      readonly goodLines: number;
      readonly goodHead: string;
    };

export interface AuditVerifyOptions {
  /** A head recorded earlier (from a verify or `AuditLog.head`): it must be the hash of some line. */
  readonly expectHead?: string;
}

/** The start of every line the writer makes: a torn tail that does not begin like this was not torn by us. */
const LINE_START = '{"level":';

/** Streaming verifier: feed it the file's bytes in any chunks, then call finish(). */
export class AuditChainVerifier {
  private lines = 0;
  private head = GENESIS_HASH;
  private lastSeq = 0;
  private pending: Buffer[] = [];
  private failure: AuditVerifyResult | null = null;
  private headSeen = false;

  constructor(private readonly options: AuditVerifyOptions = {}) {
    if (options.expectHead === GENESIS_HASH) this.headSeen = true;
  }

  /** Feeds the next bytes of the file. Returns false once a bad line was found (the rest need not be read). */
  push(chunk: Uint8Array): boolean {
    if (this.failure) return false;
    let data = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let nl = data.indexOf(0x0a);
    while (nl >= 0) {
      const line = this.pending.length ? Buffer.concat([...this.pending, data.subarray(0, nl)]) : data.subarray(0, nl);
      this.pending = [];
      if (!this.line(line)) return false;
      data = data.subarray(nl + 1);
      nl = data.indexOf(0x0a);
    }
    if (data.length) this.pending.push(Buffer.from(data)); // copy: the caller may reuse its buffer
    return true;
  }

  finish(): AuditVerifyResult {
    if (this.failure) return this.failure;
    if (this.pending.length) {
      const tail = Buffer.concat(this.pending);
      const n = this.lines + 1;
      const start = tail.subarray(0, LINE_START.length).toString('latin1');
      if (!LINE_START.startsWith(start) && !start.startsWith(LINE_START)) {
        return this.fail('not-json', n, `line ${n}: not JSON (final line, ${tail.length} bytes, no newline)`);
      }
      const verified = this.lines === 0 ? 'no line before it' : `lines 1-${this.lines} verify, head ${this.head}`;
      return this.fail(
        'torn-tail',
        n,
        `line ${n}: torn final line (${tail.length} bytes, no newline): a crash mid-write, not an edit; ` +
          `${verified}; reopening the log with the signer cuts it away and records that`,
      );
    }
    const expect = this.options.expectHead;
    if (expect !== undefined && !this.headSeen) {
      return this.fail(
        'head-not-found',
        null,
        `head ${expect} is not the hash of any of the ${this.lines} lines (lines after it were dropped, or the log was rewritten)`,
      );
    }
    return { ok: true, lines: this.lines, head: this.head };
  }

  private line(bytes: Uint8Array): boolean {
    const n = this.lines + 1;
    const check = checkLine(bytes);
    if (!check.ok) return this.stop(check.problem, n, `line ${n}: ${check.detail}`);
    const { seq, prevHash, hash } = check.link;
    const expected = this.lastSeq + 1;
    if (seq !== expected) {
      const why =
        n === 1
          ? `line 1: sequence ${seq}, but a log starts at 1 (leading lines dropped?)`
          : seq > expected
            ? `line ${n}: sequence ${seq} after ${this.lastSeq} (dropped line?)`
            : `line ${n}: sequence ${seq} after ${this.lastSeq} (reordered or inserted line?)`;
      return this.stop('sequence', n, why);
    }
    if (prevHash !== this.head) {
      const why =
        n === 1 ? 'line 1: prev_hash is not the genesis value' : `line ${n}: prev_hash does not match line ${n - 1}`;
      return this.stop('prev-hash-mismatch', n, why);
    }
    this.lines = n;
    this.lastSeq = seq;
    this.head = hash;
    if (hash === this.options.expectHead) this.headSeen = true;
    return true;
  }

  private stop(problem: AuditProblem, line: number, message: string): false {
    this.failure = this.fail(problem, line, message);
    return false;
  }

  private fail(problem: AuditProblem, line: number | null, message: string): AuditVerifyResult {
    return { ok: false, problem, line, message, goodLines: this.lines, goodHead: this.head };
  }
}

/** Verifies a whole log held in memory. */
export function verifyAuditBytes(data: Uint8Array, options?: AuditVerifyOptions): AuditVerifyResult {
  const verifier = new AuditChainVerifier(options);
  verifier.push(data);
  return verifier.finish();
}

/** Verifies the log at `path`, reading it in 1 MiB chunks. I/O errors (no such file) are thrown. */
export function verifyAuditFile(path: string, options?: AuditVerifyOptions): AuditVerifyResult {
  const verifier = new AuditChainVerifier(options);
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      if (!verifier.push(buf.subarray(0, n))) break;
    }
  } finally {
    closeSync(fd);
  }
  return verifier.finish();
}
