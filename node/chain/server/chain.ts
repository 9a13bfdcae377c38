// The embedded regtest chain: the block index in memory, the store on disk, mempool acceptance
// with bitcoind's rules and reasons, and block production. Bitcoin Core: src/validation.cpp
// (MemPoolAccept, ConnectBlock), src/node/miner.cpp (CreateNewBlock), src/policy/rbf.cpp.
import { mkdirSync } from 'node:fs';
import type { Logger } from 'pino';
import { concat } from '../../../bolt/bytes.js';
import { formatFeeRate, formatMoney } from './amount.js';
import { assembleBlock, blockWork, decodeHeader, headerHash, merkleRoot, mineHeader, witnessCommitmentScript, WITNESS_RESERVED_VALUE, type Block, type BlockHeader } from './block.js';
import { isFinalTx, sequenceLocks, sequenceLocksSatisfied } from './locks.js';
import { Mempool, type MempoolEntry } from './mempool.js';
import { blockSubsidy, genesisCoinbase, REGTEST, type ChainParams } from './params.js';
import { OP_0, pushNumber } from './script.js';
import { ChainStore, type StoredBlock, type StoredCoin } from './store.js';
import { buildTransaction, decodeTransaction, isCoinbase, NULL_TXID, type ChainTx } from './tx.js';
import { checkInputScripts, checkStandard, checkTransaction, checkTxInputs, TxRejection, type Coin } from './validation.js';

/** Block version with the BIP 9 top bits set, as Bitcoin Core's miner writes it. */
const BLOCK_VERSION = 0x20000000;
/** Weight kept free for the coinbase when filling a block (miner.cpp). */
const COINBASE_WEIGHT_RESERVE = 4_000;
/** policy/policy.h DEFAULT_ANCESTOR_LIMIT / DEFAULT_DESCENDANT_LIMIT. */
const ANCESTOR_LIMIT = 25;
const DESCENDANT_LIMIT = 25;
/** policy/rbf.h MAX_REPLACEMENT_CANDIDATES */
const MAX_REPLACEMENT_CANDIDATES = 100;

export interface ChainOptions {
  readonly dataDir: string;
  readonly logger: Logger;
  readonly params?: ChainParams;
  /** Milliseconds since the epoch; block times and mempool entry times come from here. */
  readonly clock?: () => number;
  /** -minrelaytxfee in sat/kvB (default 1000, bitcoind's). */
  readonly minRelayFeeRate?: bigint;
  /** -incrementalrelayfee in sat/kvB (default 1000), for replacements. */
  readonly incrementalRelayFeeRate?: bigint;
}

export interface BlockIndexEntry {
  readonly height: number;
  readonly hash: string;
  readonly header: BlockHeader;
  readonly txCount: number;
  readonly size: number;
  readonly strippedSize: number;
  readonly weight: number;
}

export interface AcceptResult {
  readonly entry: MempoolEntry;
  /** Mempool transactions this one replaced (with their descendants). */
  readonly replaced: readonly string[];
}

export interface TxLocation {
  readonly tx: ChainTx;
  /** Set when the transaction is in a block of the chain. */
  readonly block?: BlockIndexEntry;
  readonly position?: number;
}

/** A coin as the RPC reports it: where it is, and whether it is only in the mempool. */
export interface CoinView extends Coin {
  readonly confirmations: number;
}

/** GetFee: the fee at `ratePerKvb` for `vsize` virtual bytes, as CFeeRate::GetFee rounds it. */
export function feeAt(ratePerKvb: bigint, vsize: number): bigint {
  const fee = (ratePerKvb * BigInt(vsize)) / 1000n;
  return fee === 0n && vsize > 0 && ratePerKvb > 0n ? 1n : fee;
}

function feeRateOf(fee: bigint, vsize: number): bigint {
  return (fee * 1000n) / BigInt(vsize);
}

export class Chain {
  readonly params: ChainParams;
  readonly mempool = new Mempool();
  readonly minRelayFeeRate: bigint;
  readonly incrementalRelayFeeRate: bigint;
  private readonly store: ChainStore;
  private readonly index: BlockIndexEntry[] = [];
  private readonly heightByHash = new Map<string, number>();
  private readonly log: Logger;
  private readonly clock: () => number;

  private constructor(options: ChainOptions) {
    this.params = options.params ?? REGTEST;
    this.log = options.logger;
    this.clock = options.clock ?? Date.now;
    this.minRelayFeeRate = options.minRelayFeeRate ?? 1000n;
    this.incrementalRelayFeeRate = options.incrementalRelayFeeRate ?? 1000n;
    mkdirSync(options.dataDir, { recursive: true });
    this.store = new ChainStore(options.dataDir);
  }

  /** Open the chain in `dataDir`: create the genesis block on first use, reload blocks and mempool. */
  static open(options: ChainOptions): Chain {
    const chain = new Chain(options);
    try {
      chain.load();
    } catch (e) {
      chain.close();
      throw e;
    }
    return chain;
  }

  private load(): void {
    const g = this.params.genesis;
    this.store.checkIdentity(this.params.chain, g.hash);
    for (const row of this.store.blocks()) this.addToIndex(row);
    if (this.index.length === 0) {
      const coinbase = decodeTransaction(genesisCoinbase(this.params));
      const header: BlockHeader = { version: g.version, prevHash: NULL_TXID, merkleRoot: coinbase.txid, time: g.time, bits: g.bits, nonce: g.nonce };
      const genesis = assembleBlock(header, [coinbase]);
      if (genesis.hash !== g.hash) throw new Error(`genesis block hashes to ${genesis.hash}, expected ${g.hash}`);
      this.store.connectBlock({ block: genesis, height: 0, mempoolRemovals: [] });
      this.addToIndex({ height: 0, hash: genesis.hash, header: Buffer.from(genesis.raw.subarray(0, 80)), time: g.time, txCount: 1, size: genesis.size, strippedSize: genesis.strippedSize, weight: genesis.weight });
    }
    if (this.index[0]!.hash !== g.hash) throw new Error(`stored block 0 is ${this.index[0]!.hash}, not the regtest genesis ${g.hash}`);
    this.reloadMempool();
    this.log.info({ height: this.height, tip: this.tipHash, mempool: this.mempool.size }, 'chain loaded');
  }

  private addToIndex(row: StoredBlock): void {
    if (row.height !== this.index.length) throw new Error(`block index: expected height ${this.index.length}, found ${row.height}`);
    const header = decodeHeader(row.header);
    const hash = headerHash(row.header);
    if (hash !== row.hash) throw new Error(`block ${row.height}: stored hash ${row.hash} but header hashes to ${hash}`);
    if (row.height > 0 && header.prevHash !== this.index[row.height - 1]!.hash) throw new Error(`block ${row.height} (${hash}) does not build on block ${row.height - 1}`);
    this.index.push({ height: row.height, hash, header, txCount: row.txCount, size: row.size, strippedSize: row.strippedSize, weight: row.weight });
    this.heightByHash.set(hash, row.height);
  }

  /** Re-accept the stored mempool against the current tip, in its original order; drop what no longer fits. */
  private reloadMempool(): void {
    const dropped: string[] = [];
    for (const row of this.store.mempool()) {
      try {
        const tx = decodeTransaction(row.raw);
        const checked = this.checkForMempool(tx, this.mempool, undefined);
        if (checked.replaced.length > 0) throw new TxRejection('txn-mempool-conflict');
        this.mempool.add(tx, checked.fee, row.time, this.height, row.sequence);
      } catch (e) {
        this.log.warn({ txid: row.txid, reason: (e as Error).message }, 'stored mempool transaction dropped on reload');
        dropped.push(row.txid);
      }
    }
    if (dropped.length > 0) this.store.removeMempoolTxs(dropped);
  }

  close(): void {
    this.store.close();
  }

  // ------------------------------------------------------------------ queries

  get height(): number {
    return this.index.length - 1;
  }

  get tip(): BlockIndexEntry {
    return this.index[this.index.length - 1]!;
  }

  get tipHash(): string {
    return this.tip.hash;
  }

  /** Seconds since the epoch, from the clock. */
  now(): number {
    return Math.floor(this.clock() / 1000);
  }

  entry(height: number): BlockIndexEntry | undefined {
    return this.index[height];
  }

  entryByHash(hash: string): BlockIndexEntry | undefined {
    const h = this.heightByHash.get(hash);
    return h === undefined ? undefined : this.index[h];
  }

  /** GetMedianTimePast: the median time of block `height` and the ten before it. */
  medianTimePast(height: number = this.height): number {
    const times: number[] = [];
    for (let h = Math.max(0, height - 10); h <= height; h++) times.push(this.index[h]!.header.time);
    times.sort((a, b) => a - b);
    return times[Math.floor(times.length / 2)]!;
  }

  /** Total work up to and including block `height` (every regtest block has the same target). */
  chainWork(height: number): bigint {
    return blockWork(this.params.bits) * BigInt(height + 1);
  }

  block(height: number): Block {
    const e = this.index[height];
    if (!e) throw new Error(`no block at height ${height}`);
    const txs = this.store.blockTxs(height).map((raw) => decodeTransaction(raw));
    return assembleBlock(e.header, txs);
  }

  /** A transaction from the mempool or the chain (a full transaction index). */
  findTx(txid: string): TxLocation | undefined {
    const pooled = this.mempool.get(txid);
    if (pooled) return { tx: pooled.tx };
    const stored = this.store.tx(txid);
    if (!stored) return undefined;
    return { tx: decodeTransaction(stored.raw), block: this.index[stored.height]!, position: stored.position };
  }

  /** The output `vout` of a confirmed or mempool transaction, spent or not (for prevout details). */
  findOutput(txid: string, vout: number): { amount: bigint; script: Uint8Array; height?: number; coinbase: boolean } | undefined {
    const found = this.findTx(txid);
    const out = found?.tx.outputs[vout];
    if (!found || !out) return undefined;
    return { amount: out.amount, script: out.script, height: found.block?.height, coinbase: isCoinbase(found.tx) };
  }

  /** gettxout: an unspent output; with `includeMempool`, mempool spends hide it and mempool outputs show. */
  unspent(txid: string, vout: number, includeMempool: boolean): CoinView | undefined {
    if (includeMempool) {
      if (this.mempool.spender(txid, vout) !== undefined) return undefined;
      const pooled = this.mempool.coin(txid, vout, this.height + 1);
      if (pooled) return { ...pooled, confirmations: 0 };
    }
    const coin = this.store.coin(txid, vout);
    return coin ? { ...coin, confirmations: this.height - coin.height + 1 } : undefined;
  }

  coinsByScripts(scripts: readonly Uint8Array[]): StoredCoin[] {
    return this.store.coinsByScripts(scripts);
  }

  utxoStats(): { count: number; total: bigint } {
    return this.store.utxoStats();
  }

  // ------------------------------------------------------------------ mempool acceptance

  /**
   * Every mempool rule against the next block (height tip+1, lock time clock = MTP of the tip).
   * Returns the fee and what would be replaced; throws TxRejection with bitcoind's reason.
   * `maxFeeRate` (sat/kvB, 0 = no limit) is sendrawtransaction's / testmempoolaccept's maxfeerate.
   */
  checkForMempool(tx: ChainTx, pool: Mempool, maxFeeRate: bigint | undefined): { fee: bigint; replaced: string[] } {
    const nextHeight = this.height + 1;
    const mtp = this.medianTimePast();
    checkTransaction(tx);
    if (isCoinbase(tx)) throw new TxRejection('coinbase');
    checkStandard(tx);
    if (!isFinalTx(tx, nextHeight, mtp)) throw new TxRejection('non-final');
    const same = pool.get(tx.txid);
    if (same) {
      if (same.tx.wtxid === tx.wtxid) throw new TxRejection('txn-already-in-mempool', '', 'already-in-mempool');
      throw new TxRejection('txn-same-nonwitness-data-in-mempool', '', 'already-in-mempool');
    }
    const directConflicts = new Set<string>();
    for (const i of tx.inputs) {
      const s = pool.spender(i.prevTxid, i.prevVout);
      if (s !== undefined) directConflicts.add(s);
    }
    const coins: Coin[] = [];
    for (const i of tx.inputs) {
      const coin = pool.coin(i.prevTxid, i.prevVout, nextHeight) ?? this.store.coin(i.prevTxid, i.prevVout);
      if (!coin) {
        // Already confirmed with outputs unspent: known, not missing inputs.
        if (tx.outputs.some((_, vout) => this.store.coin(tx.txid, vout) !== undefined)) throw new TxRejection('txn-already-known', '', 'already-known');
        throw new TxRejection('bad-txns-inputs-missingorspent', '', 'missing-inputs');
      }
      coins.push(coin);
    }
    const lock = sequenceLocks(
      tx,
      coins.map((c) => c.height),
      (h) => this.medianTimePast(h),
    );
    if (!sequenceLocksSatisfied(lock, nextHeight, mtp)) throw new TxRejection('non-BIP68-final');
    const fee = checkTxInputs(tx, coins, nextHeight, this.params.coinbaseMaturity);
    const minFee = feeAt(this.minRelayFeeRate, tx.vsize);
    if (fee < minFee) throw new TxRejection('min relay fee not met', `${fee} < ${minFee}`);

    const ancestors = pool.ancestorsOf(tx);
    if (ancestors.size + 1 > ANCESTOR_LIMIT) throw new TxRejection('too-long-mempool-chain', `too many unconfirmed ancestors [limit: ${ANCESTOR_LIMIT}]`);
    for (const a of ancestors) {
      if (directConflicts.has(a)) continue;
      if (pool.descendantsOf([a]).size + 2 > DESCENDANT_LIMIT) throw new TxRejection('too-long-mempool-chain', `too many descendants for tx ${a} [limit: ${DESCENDANT_LIMIT}]`);
    }

    const replaced = directConflicts.size > 0 ? this.checkReplacement(tx, fee, directConflicts, ancestors, pool) : [];
    checkInputScripts(tx, coins, 'mempool');
    if (maxFeeRate !== undefined && maxFeeRate > 0n && fee > feeAt(maxFeeRate, tx.vsize)) {
      throw new TxRejection('max-fee-exceeded', `${formatMoney(fee)} > ${formatMoney(feeAt(maxFeeRate, tx.vsize))}`);
    }
    return { fee, replaced };
  }

  /** Full replace-by-fee (bitcoind 28 default), BIP 125 rules 2 to 5 as policy/rbf.cpp checks them. */
  private checkReplacement(tx: ChainTx, fee: bigint, direct: Set<string>, ancestors: Set<string>, pool: Mempool): string[] {
    const all = new Set([...direct, ...pool.descendantsOf(direct)]);
    if (all.size > MAX_REPLACEMENT_CANDIDATES) {
      throw new TxRejection('too many potential replacements', `rejecting replacement ${tx.txid}; too many potential replacements (${all.size} > ${MAX_REPLACEMENT_CANDIDATES})`);
    }
    for (const a of ancestors) {
      if (all.has(a)) throw new TxRejection('bad-txns-spends-conflicting-tx', `${tx.txid} spends conflicting transaction ${a}`);
    }
    // Rule 2: no new unconfirmed inputs beyond those the replaced transactions already spent.
    const parentsOfConflicts = new Set<string>();
    for (const c of direct) for (const i of pool.get(c)!.tx.inputs) parentsOfConflicts.add(i.prevTxid);
    tx.inputs.forEach((input, i) => {
      if (pool.has(input.prevTxid) && !parentsOfConflicts.has(input.prevTxid)) {
        throw new TxRejection('replacement-adds-unconfirmed', `replacement ${tx.txid} adds unconfirmed input, idx ${i}`);
      }
    });
    const newRate = feeRateOf(fee, tx.vsize);
    for (const c of direct) {
      const old = pool.get(c)!;
      const oldRate = feeRateOf(old.fee, old.tx.vsize);
      if (newRate <= oldRate) {
        throw new TxRejection('insufficient fee', `rejecting replacement ${tx.txid}; new feerate ${formatFeeRate(newRate)} <= old feerate ${formatFeeRate(oldRate)}`);
      }
    }
    let oldFees = 0n;
    for (const c of all) oldFees += pool.get(c)!.fee;
    if (fee < oldFees) throw new TxRejection('insufficient fee', `rejecting replacement ${tx.txid}, less fees than conflicting txs; ${formatMoney(fee)} < ${formatMoney(oldFees)}`);
    const extra = fee - oldFees;
    const relay = feeAt(this.incrementalRelayFeeRate, tx.vsize);
    if (extra < relay) throw new TxRejection('insufficient fee', `rejecting replacement ${tx.txid}, not enough additional fees to relay; ${formatMoney(extra)} < ${formatMoney(relay)}`);
    return [...all];
  }

  /** Accept into the mempool and persist (with any replacements), or throw TxRejection. */
  acceptToMempool(tx: ChainTx, maxFeeRate?: bigint): AcceptResult {
    const { fee, replaced } = this.checkForMempool(tx, this.mempool, maxFeeRate);
    const sequence = this.mempool.takeSequence();
    const time = this.now();
    this.store.addMempoolTx({ txid: tx.txid, raw: Buffer.from(tx.raw), time, sequence }, replaced);
    for (const r of replaced) this.mempool.remove(r);
    const entry = this.mempool.add(tx, fee, time, this.height, sequence);
    this.log.info({ txid: tx.txid, fee: Number(fee), vsize: tx.vsize, replaced }, 'transaction accepted to mempool');
    return { entry, replaced };
  }

  // ------------------------------------------------------------------ blocks

  private coinbaseFor(height: number, script: Uint8Array, fees: bigint, wtxids: readonly string[]): ChainTx {
    return buildTransaction({
      version: 2,
      lockTime: 0,
      inputs: [
        {
          prevTxid: NULL_TXID,
          prevVout: 0xffffffff,
          // BIP 34: the height first; then an extra-nonce byte, as Core's miner writes (`<< nHeight << OP_0`).
          scriptSig: concat(pushNumber(height), Uint8Array.of(OP_0)),
          sequence: 0xffffffff,
          witness: [WITNESS_RESERVED_VALUE],
        },
      ],
      outputs: [
        { amount: blockSubsidy(height, this.params) + fees, script },
        { amount: 0n, script: witnessCommitmentScript(wtxids) },
      ],
    });
  }

  /**
   * Validate `txs` as the content of the next block (ConnectBlock's transaction rules, consensus
   * flags), each against the UTXO set plus the outputs of those before it. Returns the total fee.
   */
  private checkBlockTxs(txs: readonly ChainTx[], height: number): bigint {
    const prevMtp = this.medianTimePast(height - 1);
    const created = new Map<string, Coin>();
    const spent = new Set<string>();
    let fees = 0n;
    let weight = COINBASE_WEIGHT_RESERVE;
    for (const tx of txs) {
      checkTransaction(tx);
      if (isCoinbase(tx)) throw new TxRejection('bad-cb-multiple', 'more than one coinbase');
      weight += tx.weight;
      if (weight > this.params.maxBlockWeight) throw new TxRejection('bad-blk-weight', `weight limit failed at ${tx.txid}`);
      if (!isFinalTx(tx, height, prevMtp)) throw new TxRejection('bad-txns-nonfinal', 'non-final transaction');
      const coins: Coin[] = [];
      for (const i of tx.inputs) {
        const key = `${i.prevTxid}:${i.prevVout}`;
        const coin = spent.has(key) ? undefined : (created.get(key) ?? this.store.coin(i.prevTxid, i.prevVout));
        if (!coin) throw new TxRejection('bad-txns-inputs-missingorspent', `CheckTxInputs: inputs missing/spent in ${tx.txid}`);
        coins.push(coin);
        spent.add(key);
      }
      fees += checkTxInputs(tx, coins, height, this.params.coinbaseMaturity);
      const lock = sequenceLocks(
        tx,
        coins.map((c) => c.height),
        (h) => this.medianTimePast(h),
      );
      if (!sequenceLocksSatisfied(lock, height, prevMtp)) throw new TxRejection('bad-txns-nonfinal', `contains a non-BIP68-final transaction ${tx.txid}`);
      checkInputScripts(tx, coins, 'block');
      tx.outputs.forEach((o, vout) => created.set(`${tx.txid}:${vout}`, { amount: o.amount, script: o.script, height, coinbase: false }));
    }
    return fees;
  }

  /** The mempool transactions for the next block: acceptance order, parents before children, within the weight limit. */
  private blockTemplateTxs(): { txs: ChainTx[]; fees: bigint } {
    const chosen: ChainTx[] = [];
    const included = new Set<string>();
    let weight = COINBASE_WEIGHT_RESERVE;
    let fees = 0n;
    for (const e of this.mempool.all()) {
      if ([...this.mempool.parentsOf(e.tx)].some((p) => !included.has(p))) continue;
      if (weight + e.tx.weight > this.params.maxBlockWeight) continue;
      chosen.push(e.tx);
      included.add(e.tx.txid);
      weight += e.tx.weight;
      fees += e.fee;
    }
    return { txs: chosen, fees };
  }

  /**
   * Build, mine and connect the next block paying `script`. Without `txs`, it holds the mempool
   * (already validated); with `txs` (generateblock), exactly those, validated as a block first.
   * With `submit` false the block is returned without being connected.
   */
  mineBlock(script: Uint8Array, txs?: readonly ChainTx[], submit = true): Block {
    const height = this.height + 1;
    let content: readonly ChainTx[];
    let fees: bigint;
    if (txs === undefined) {
      ({ txs: content, fees } = this.blockTemplateTxs());
    } else {
      content = txs;
      fees = this.checkBlockTxs(txs, height);
    }
    const coinbase = this.coinbaseFor(height, script, fees, content.map((t) => t.wtxid));
    const all = [coinbase, ...content];
    const time = Math.max(this.medianTimePast() + 1, this.now());
    const header = mineHeader({ version: BLOCK_VERSION, prevHash: this.tipHash, merkleRoot: merkleRoot(all.map((t) => t.txid)), time, bits: this.params.bits, nonce: 0 });
    const block = assembleBlock(header, all);
    if (submit) this.connect(block, height);
    return block;
  }

  private connect(block: Block, height: number): void {
    // Leaving the mempool: the block's transactions, and whatever conflicts with them (with descendants).
    const leaving = new Set<string>();
    const conflicts: string[] = [];
    for (const tx of block.txs) {
      if (this.mempool.has(tx.txid)) leaving.add(tx.txid);
      for (const i of tx.inputs) {
        const s = this.mempool.spender(i.prevTxid, i.prevVout);
        if (s !== undefined && s !== tx.txid) conflicts.push(s);
      }
    }
    for (const c of [...conflicts, ...this.mempool.descendantsOf(conflicts)]) if (!leaving.has(c)) leaving.add(c);
    const evicted = [...leaving].filter((t) => !block.txs.some((b) => b.txid === t));
    this.store.connectBlock({ block, height, mempoolRemovals: [...leaving] });
    this.index.push({ height, hash: block.hash, header: block.header, txCount: block.txs.length, size: block.size, strippedSize: block.strippedSize, weight: block.weight });
    this.heightByHash.set(block.hash, height);
    for (const t of leaving) this.mempool.remove(t);
    this.log.info({ height, hash: block.hash, txs: block.txs.length, evicted }, 'block connected');
  }
}
