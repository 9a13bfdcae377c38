// An fsync the test controls, for the audit log's group commit (AuditLogOptions.fsync,
// SignerServiceOptions.auditFsync): while `held`, each call waits until the test releases or fails
// it, so a test can look at who is still waiting on a flush. A released call really fsyncs the file.
import { fsyncSync } from 'node:fs';

interface Pending {
  readonly fd: number;
  resolve(): void;
  reject(e: Error): void;
}

export class HeldFsync {
  /** While true, calls wait for release() or fail(); otherwise they fsync at once. */
  held = false;
  /** Every call so far, held or not. */
  calls = 0;
  readonly #pending: Pending[] = [];

  /** Pass this as the fsync option. */
  readonly fsync = (fd: number): Promise<void> => {
    this.calls++;
    if (!this.held) {
      fsyncSync(fd);
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => this.#pending.push({ fd, resolve, reject }));
  };

  /** Calls waiting for the test. */
  get waiting(): number {
    return this.#pending.length;
  }

  /** Completes the oldest waiting call: the file is fsynced, then the call resolves. */
  release(): void {
    const p = this.#pending.shift();
    if (p === undefined) throw new Error('HeldFsync.release: no fsync is waiting');
    fsyncSync(p.fd);
    p.resolve();
  }

  /** Fails the oldest waiting call with `error`, as a disk that refused the flush would. */
  fail(error: Error): void {
    const p = this.#pending.shift();
    if (p === undefined) throw new Error('HeldFsync.fail: no fsync is waiting');
    p.reject(error);
  }
}

/** Lets every callback already queued run (promise reactions, I/O callbacks), so a test can see what settled. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Tracks whether a promise settled, without awaiting it. */
export function tracked<T>(promise: Promise<T>): { readonly promise: Promise<T>; readonly settled: () => boolean } {
  let done = false;
  const mark = (): void => {
    done = true;
  };
  promise.then(mark, mark);
  return { promise, settled: () => done };
}
