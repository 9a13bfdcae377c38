// Follows the chain tip through bitcoind's JSON-RPC (getblockcount, getblockhash) and tells the signer
// about each new tip (AddBlock): the signer's HTLC expiry rules need the height it is told. Polls on a
// timer; `poll()` also runs one now (after `Mine`, say). Listeners of 'tip' (the channel shell) get the
// new tip and the previous one, and fetch the blocks between them that they care about.
import { EventEmitter } from 'node:events';
import { fromHex } from '../../bolt/bytes.js';
import type { BitcoindRpcClient } from '../chain/rpc-client.js';
import type { Logger } from '../log.js';
import type { SignerClient } from '../signer-client/client.js';
import type { NodeStore } from './store.js';

export interface ChainTip {
  readonly height: number;
  /** Display order, as bitcoind prints it. */
  readonly hash: string;
}

export interface ChainWatcherEvents {
  /** A new tip, reported to the signer. A lower or equal height with another hash is a reorganisation. */
  tip: [tip: ChainTip, previous: ChainTip | null];
}

export interface ChainWatcherOptions {
  readonly rpc: BitcoindRpcClient;
  readonly signer: SignerClient;
  readonly store: NodeStore;
  readonly log: Logger;
  /** Default 1000 ms. */
  readonly pollMs?: number;
}

const TIP_META = 'chain_tip';

export class ChainWatcher extends EventEmitter<ChainWatcherEvents> {
  readonly #rpc: BitcoindRpcClient;
  readonly #signer: SignerClient;
  readonly #store: NodeStore;
  readonly #log: Logger;
  readonly #pollMs: number;
  #tip: ChainTip | null = null;
  #running: Promise<ChainTip> | null = null;
  #next: Promise<ChainTip> | null = null;
  #timer: NodeJS.Timeout | null = null;
  #closed = false;
  /** The signer heard of a tip from this process (the first poll always reports, cache or not). */
  #reported = false;
  #lastError: string | null = null;

  constructor(options: ChainWatcherOptions) {
    super();
    this.#rpc = options.rpc;
    this.#signer = options.signer;
    this.#store = options.store;
    this.#log = options.log.child({ module: 'chain-watcher' });
    this.#pollMs = options.pollMs ?? 1000;
    const cached = options.store.getMeta(TIP_META);
    if (cached !== undefined) this.#tip = JSON.parse(cached) as ChainTip;
  }

  /** The last tip reported to the signer (null before the first poll of a fresh node). */
  get tip(): ChainTip | null {
    return this.#tip;
  }

  /** Polls once (throwing if the chain or the signer fails), then keeps polling on the timer. */
  async start(): Promise<ChainTip> {
    const tip = await this.poll();
    this.#schedule();
    return tip;
  }

  /** One poll now. Asked for while one runs, it runs right after that one (callers meanwhile share it). */
  poll(): Promise<ChainTip> {
    if (this.#running !== null) {
      if (this.#next === null) {
        const after = (): Promise<ChainTip> => {
          this.#next = null;
          return this.poll();
        };
        this.#next = this.#running.then(after, after);
      }
      return this.#next;
    }
    const run = this.#pollOnce().finally(() => {
      this.#running = null;
    });
    this.#running = run;
    return run;
  }

  async #pollOnce(): Promise<ChainTip> {
    const height = await this.#rpc.getBlockCount();
    const hash = await this.#rpc.getBlockHash(height);
    const previous = this.#tip;
    if (this.#reported && previous !== null && previous.height === height && previous.hash === hash) return previous;
    // proto AddBlock: the block hash in internal byte order (the reverse of the display order).
    await this.#signer.call('AddBlock', { height, block_hash: Buffer.from(fromHex(hash, 'block hash').reverse()) });
    this.#reported = true;
    const tip = { height, hash };
    this.#tip = tip;
    this.#store.setMeta(TIP_META, JSON.stringify(tip));
    this.#log.debug({ height, hash }, 'new chain tip reported to the signer');
    if (previous === null || previous.height !== height || previous.hash !== hash) this.emit('tip', tip, previous);
    return tip;
  }

  #schedule(): void {
    if (this.#closed) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.poll().then(
        () => {
          if (this.#lastError !== null) this.#log.info('chain polling recovered');
          this.#lastError = null;
        },
        (e: unknown) => {
          const message = e instanceof Error ? e.message : String(e);
          if (message !== this.#lastError) this.#log.warn({ err: message }, 'chain poll failed; retrying');
          this.#lastError = message;
        },
      ).finally(() => this.#schedule());
    }, this.#pollMs);
    this.#timer.unref();
  }

  close(): void {
    this.#closed = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }
}
