// The device's screen and its two buttons. Confirmations queue in arrival order; the one at the head
// is "on the screen" until a button (console, automation endpoint) approves or rejects it, or the
// connection that asked goes away. A rule screen (approve-all / reject-all) answers at once.
import { EventEmitter } from 'node:events';

export type ScreenDecision = 'approved' | 'denied';
export type ScreenRule = 'approve-all' | 'reject-all';

export interface Confirmation {
  /** Increases by one per request, so a button press can name what it answers. */
  readonly id: number;
  readonly text: string;
}

interface Waiting extends Confirmation {
  readonly settle: (decision: ScreenDecision | 'cancelled') => void;
}

/** Why a button press did nothing. */
export class NothingToConfirm extends Error {
  override readonly name = 'NothingToConfirm';
}

export interface ScreenEvents {
  /** A confirmation reached the screen (it is now `current`). */
  show: [Confirmation];
  /** The confirmation left the screen. */
  settled: [Confirmation, ScreenDecision | 'cancelled'];
}

export class Screen extends EventEmitter<ScreenEvents> {
  readonly rule: ScreenRule | undefined;
  readonly #queue: Waiting[] = [];
  #nextId = 1;

  constructor(rule?: ScreenRule) {
    super();
    this.rule = rule;
  }

  /** What the screen shows now, if anything. */
  get current(): Confirmation | undefined {
    const head = this.#queue[0];
    return head ? { id: head.id, text: head.text } : undefined;
  }

  get waiting(): number {
    return this.#queue.length;
  }

  /**
   * Shows `text` and resolves with the user's decision. Aborting `signal` (the asking connection closed)
   * removes the request and resolves with 'cancelled'.
   */
  request(text: string, signal?: AbortSignal): Promise<ScreenDecision | 'cancelled'> {
    const id = this.#nextId++;
    if (this.rule !== undefined) {
      const decision: ScreenDecision = this.rule === 'approve-all' ? 'approved' : 'denied';
      this.emit('show', { id, text });
      this.emit('settled', { id, text }, decision);
      return Promise.resolve(decision);
    }
    if (signal?.aborted) return Promise.resolve('cancelled');
    return new Promise((resolve) => {
      const onAbort = (): void => this.#settle(id, 'cancelled');
      const entry: Waiting = {
        id,
        text,
        settle: (decision) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(decision);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#queue.push(entry);
      if (this.#queue.length === 1) this.emit('show', { id, text });
    });
  }

  /**
   * A button press on what the screen shows. With `expectedId`, the press applies only if that
   * confirmation is the one shown (so an automated press cannot answer a request it did not read).
   */
  press(decision: ScreenDecision, expectedId?: number): Confirmation {
    const head = this.#queue[0];
    if (!head) throw new NothingToConfirm('nothing is waiting for confirmation');
    if (expectedId !== undefined && head.id !== expectedId) {
      throw new NothingToConfirm(`confirmation ${expectedId} is not on the screen (showing ${head.id})`);
    }
    this.#settle(head.id, decision);
    return { id: head.id, text: head.text };
  }

  /** Cancels everything waiting (shutdown). */
  clear(): void {
    while (this.#queue.length > 0) this.#settle(this.#queue[0]!.id, 'cancelled');
  }

  #settle(id: number, decision: ScreenDecision | 'cancelled'): void {
    const at = this.#queue.findIndex((w) => w.id === id);
    if (at < 0) return;
    const [entry] = this.#queue.splice(at, 1);
    entry!.settle(decision);
    this.emit('settled', { id: entry!.id, text: entry!.text }, decision);
    const next = this.#queue[0];
    if (at === 0 && next) this.emit('show', { id: next.id, text: next.text });
  }
}
