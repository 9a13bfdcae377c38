// Group commit: many callers, each needing "everything written before I asked is on disk", share one
// flush (one fsync) instead of one each.
//
// - No flush running: one starts at once, so a lone caller waits for its own flush and nothing else
//   (no timer, no added latency).
// - A flush running: it may have started before the caller's bytes were written, so the caller joins
//   the NEXT flush. Every caller arriving while a flush runs shares that one next flush, which starts
//   the moment the running one ends.
// A caller therefore always waits for a flush that began after it asked. A flush that fails rejects
// every caller waiting on it, with its error.

/** The durable step itself: resolves once every byte written before it was called is on disk. */
export type Flush = () => Promise<void>;

export class GroupCommit {
  readonly #flush: Flush;
  #running = false;
  /** The flush that starts when the running one ends, shared by everyone who asked meanwhile. */
  #next: { promise: Promise<void>; resolve: () => void; reject: (e: unknown) => void } | null = null;
  #started = 0;

  constructor(flush: Flush) {
    this.#flush = flush;
  }

  /** How many flushes have started (tests and the bench compare it with the number of callers). */
  get flushes(): number {
    return this.#started;
  }

  /** Resolves once a flush that began after this call has completed; rejects with that flush's error. */
  sync(): Promise<void> {
    if (!this.#running) return this.#start();
    if (this.#next === null) {
      let resolve!: () => void;
      let reject!: (e: unknown) => void;
      const promise = new Promise<void>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      this.#next = { promise, resolve, reject };
    }
    return this.#next.promise;
  }

  #start(): Promise<void> {
    this.#started++;
    this.#running = true;
    const run = (async () => this.#flush())(); // a flush that throws synchronously still rejects `run`
    const ended = (): void => {
      this.#running = false;
      const next = this.#next;
      if (next === null) return;
      this.#next = null;
      this.#start().then(next.resolve, next.reject); // at once, before anyone else sees this one end
    };
    run.then(ended, ended);
    return run;
  }
}
