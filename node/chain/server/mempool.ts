// The mempool: accepted transactions, what spends what, and the ancestor/descendant relations
// the acceptance rules and block assembly need. Pure bookkeeping in memory; the chain persists it.
import type { ChainTx } from './tx.js';
import type { Coin } from './validation.js';

export interface MempoolEntry {
  readonly tx: ChainTx;
  readonly fee: bigint;
  /** Unix seconds when accepted. */
  readonly time: number;
  /** Chain height when accepted. */
  readonly height: number;
  /** Acceptance order: parents always come before their children. */
  readonly sequence: number;
}

const outpoint = (txid: string, vout: number): string => `${txid}:${vout}`;

export class Mempool {
  private readonly entries = new Map<string, MempoolEntry>();
  private readonly spentBy = new Map<string, string>();
  private nextSequence = 0;

  get size(): number {
    return this.entries.size;
  }

  has(txid: string): boolean {
    return this.entries.has(txid);
  }

  get(txid: string): MempoolEntry | undefined {
    return this.entries.get(txid);
  }

  /** Entries in acceptance order (a valid block order). */
  all(): MempoolEntry[] {
    return [...this.entries.values()].sort((a, b) => a.sequence - b.sequence);
  }

  /** The mempool transaction spending an outpoint, if any. */
  spender(txid: string, vout: number): string | undefined {
    return this.spentBy.get(outpoint(txid, vout));
  }

  /** An output of a mempool transaction, as a coin confirmed at `nextHeight`. */
  coin(txid: string, vout: number, nextHeight: number): Coin | undefined {
    const out = this.entries.get(txid)?.tx.outputs[vout];
    return out ? { amount: out.amount, script: out.script, height: nextHeight, coinbase: false } : undefined;
  }

  /** The sequence number the next accepted transaction will get (getrawmempool's mempool_sequence). */
  get nextSequenceNumber(): number {
    return this.nextSequence;
  }

  takeSequence(): number {
    return this.nextSequence++;
  }

  add(tx: ChainTx, fee: bigint, time: number, height: number, sequence: number = this.takeSequence()): MempoolEntry {
    if (this.entries.has(tx.txid)) throw new Error(`mempool: ${tx.txid} is already in the mempool`);
    for (const i of tx.inputs) {
      const spender = this.spentBy.get(outpoint(i.prevTxid, i.prevVout));
      if (spender !== undefined) throw new Error(`mempool: ${tx.txid} spends ${i.prevTxid}:${i.prevVout}, already spent by ${spender}`);
    }
    const entry: MempoolEntry = { tx, fee, time, height, sequence };
    this.entries.set(tx.txid, entry);
    for (const i of tx.inputs) this.spentBy.set(outpoint(i.prevTxid, i.prevVout), tx.txid);
    this.nextSequence = Math.max(this.nextSequence, sequence + 1);
    return entry;
  }

  /** Remove one transaction (its descendants, if any, are the caller's business). */
  remove(txid: string): MempoolEntry | undefined {
    const entry = this.entries.get(txid);
    if (!entry) return undefined;
    this.entries.delete(txid);
    for (const i of entry.tx.inputs) {
      const key = outpoint(i.prevTxid, i.prevVout);
      if (this.spentBy.get(key) === txid) this.spentBy.delete(key);
    }
    return entry;
  }

  /** Mempool transactions whose outputs `tx` spends. */
  parentsOf(tx: ChainTx): Set<string> {
    const parents = new Set<string>();
    for (const i of tx.inputs) if (this.entries.has(i.prevTxid)) parents.add(i.prevTxid);
    return parents;
  }

  children(txid: string): Set<string> {
    const out = new Set<string>();
    const entry = this.entries.get(txid);
    if (!entry) return out;
    entry.tx.outputs.forEach((_, vout) => {
      const s = this.spentBy.get(outpoint(txid, vout));
      if (s !== undefined) out.add(s);
    });
    return out;
  }

  /** All in-mempool ancestors of `tx` (which need not be in the mempool itself). */
  ancestorsOf(tx: ChainTx): Set<string> {
    const seen = new Set<string>();
    const stack = [...this.parentsOf(tx)];
    while (stack.length > 0) {
      const txid = stack.pop()!;
      if (seen.has(txid)) continue;
      seen.add(txid);
      stack.push(...this.parentsOf(this.entries.get(txid)!.tx));
    }
    return seen;
  }

  /** All in-mempool descendants of the given transactions, not including them. */
  descendantsOf(txids: Iterable<string>): Set<string> {
    const seen = new Set<string>();
    const stack = [...txids].flatMap((t) => [...this.children(t)]);
    while (stack.length > 0) {
      const txid = stack.pop()!;
      if (seen.has(txid)) continue;
      seen.add(txid);
      stack.push(...this.children(txid));
    }
    return seen;
  }

  /** An independent copy, for trying a package without touching this mempool. */
  clone(): Mempool {
    const copy = new Mempool();
    for (const e of this.all()) copy.add(e.tx, e.fee, e.time, e.height, e.sequence);
    copy.nextSequence = this.nextSequence;
    return copy;
  }
}
