// The chain's persistence: one SQLite database (better-sqlite3, WAL) in the data directory with
// the blocks, a transaction index, the UTXO set and the mempool. A block is applied in one SQLite
// transaction (block row, its transactions, spent and created coins, mempool removals), so a
// killed process leaves either the whole block or none of it.
import { join } from 'node:path';
import { blob, openDatabase, type Database, type Statement } from './sqlite.js';
import type { Block } from './block.js';
import type { Coin } from './validation.js';
import { isUnspendable } from './script.js';
import { isCoinbase } from './tx.js';

export const DATABASE_FILE = 'chain.sqlite';
const SCHEMA_VERSION = '1';

export class StoreError extends Error {
  override readonly name = 'StoreError';
}

export interface StoredBlock {
  readonly height: number;
  readonly hash: string;
  readonly header: Buffer;
  readonly time: number;
  readonly txCount: number;
  readonly size: number;
  readonly strippedSize: number;
  readonly weight: number;
}

export interface StoredTx {
  readonly txid: string;
  readonly height: number;
  readonly position: number;
  readonly raw: Buffer;
}

export interface StoredCoin extends Coin {
  readonly txid: string;
  readonly vout: number;
}

export interface StoredMempoolTx {
  readonly txid: string;
  readonly raw: Buffer;
  readonly time: number;
  readonly sequence: number;
}

interface BlockRow {
  height: number;
  hash: string;
  header: Buffer;
  time: number;
  tx_count: number;
  size: number;
  stripped_size: number;
  weight: number;
}

interface CoinRow {
  txid: string;
  vout: number;
  amount: number | bigint;
  script: Buffer;
  height: number;
  coinbase: number;
}

const toBlock = (r: BlockRow): StoredBlock => ({
  height: r.height,
  hash: r.hash,
  header: r.header,
  time: r.time,
  txCount: r.tx_count,
  size: r.size,
  strippedSize: r.stripped_size,
  weight: r.weight,
});

const toCoin = (r: CoinRow): StoredCoin => ({
  txid: r.txid,
  vout: r.vout,
  amount: BigInt(r.amount),
  script: r.script,
  height: r.height,
  coinbase: r.coinbase !== 0,
});

export interface BlockChanges {
  readonly block: Block;
  readonly height: number;
  /** Mempool transactions leaving with this block (included, or conflicting with it). */
  readonly mempoolRemovals: readonly string[];
}

export class ChainStore {
  private readonly db: Database;
  private readonly q: {
    blocks: Statement<BlockRow>;
    insertBlock: Statement;
    insertTx: Statement;
    txById: Statement<StoredTx>;
    txsOfBlock: Statement<{ raw: Buffer }>;
    coin: Statement<CoinRow>;
    deleteCoin: Statement;
    insertCoin: Statement;
    mempool: Statement<StoredMempoolTx>;
    insertMempool: Statement;
    deleteMempool: Statement;
    meta: Statement<{ value: string }>;
    setMeta: Statement;
  };

  /** Opens (creating if needed) the database of `dataDir`; fails if another process has it open. */
  constructor(readonly dataDir: string) {
    const path = join(dataDir, DATABASE_FILE);
    try {
      this.db = openDatabase(path, { timeout: 0 });
      // Exclusive locking before WAL: the file lock is held for the life of the connection, so a
      // second `vigil chain` on the same data directory is refused instead of racing this one.
      this.db.pragma('locking_mode = EXCLUSIVE');
      this.db.pragma('journal_mode = WAL');
      // NORMAL in WAL mode: a crashed or killed process never loses a committed block; only a power
      // loss may drop the last ones (still never half of one).
      this.db.pragma('synchronous = NORMAL');
      this.db.pragma('foreign_keys = OFF');
      this.db.exec(`
        CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS blocks (
          height INTEGER PRIMARY KEY,
          hash TEXT NOT NULL UNIQUE,
          header BLOB NOT NULL,
          time INTEGER NOT NULL,
          tx_count INTEGER NOT NULL,
          size INTEGER NOT NULL,
          stripped_size INTEGER NOT NULL,
          weight INTEGER NOT NULL
        );
        CREATE TABLE IF NOT EXISTS txs (
          txid TEXT PRIMARY KEY,
          height INTEGER NOT NULL,
          position INTEGER NOT NULL,
          raw BLOB NOT NULL
        );
        CREATE UNIQUE INDEX IF NOT EXISTS txs_by_block ON txs (height, position);
        CREATE TABLE IF NOT EXISTS utxos (
          txid TEXT NOT NULL,
          vout INTEGER NOT NULL,
          amount INTEGER NOT NULL,
          script BLOB NOT NULL,
          height INTEGER NOT NULL,
          coinbase INTEGER NOT NULL,
          PRIMARY KEY (txid, vout)
        ) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS utxos_by_script ON utxos (script);
        CREATE TABLE IF NOT EXISTS mempool (
          txid TEXT PRIMARY KEY,
          raw BLOB NOT NULL,
          time INTEGER NOT NULL,
          sequence INTEGER NOT NULL
        );
      `);
    } catch (e) {
      const message = (e as Error).message;
      if (/locked|busy/i.test(message)) throw new StoreError(`data directory ${dataDir} is in use by another process (${path}: ${message})`);
      throw new StoreError(`cannot open ${path}: ${message}`);
    }
    this.q = {
      blocks: this.db.prepare<BlockRow>('SELECT * FROM blocks ORDER BY height'),
      insertBlock: this.db.prepare(
        'INSERT INTO blocks (height, hash, header, time, tx_count, size, stripped_size, weight) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      insertTx: this.db.prepare('INSERT INTO txs (txid, height, position, raw) VALUES (?, ?, ?, ?)'),
      txById: this.db.prepare<StoredTx>('SELECT txid, height, position, raw FROM txs WHERE txid = ?'),
      txsOfBlock: this.db.prepare<{ raw: Buffer }>('SELECT raw FROM txs WHERE height = ? ORDER BY position'),
      coin: this.db.prepare<CoinRow>('SELECT * FROM utxos WHERE txid = ? AND vout = ?'),
      deleteCoin: this.db.prepare('DELETE FROM utxos WHERE txid = ? AND vout = ?'),
      insertCoin: this.db.prepare('INSERT INTO utxos (txid, vout, amount, script, height, coinbase) VALUES (?, ?, ?, ?, ?, ?)'),
      mempool: this.db.prepare<StoredMempoolTx>('SELECT txid, raw, time, sequence FROM mempool ORDER BY sequence'),
      insertMempool: this.db.prepare('INSERT OR REPLACE INTO mempool (txid, raw, time, sequence) VALUES (?, ?, ?, ?)'),
      deleteMempool: this.db.prepare('DELETE FROM mempool WHERE txid = ?'),
      meta: this.db.prepare<{ value: string }>('SELECT value FROM meta WHERE key = ?'),
      setMeta: this.db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)'),
    };
  }

  /** Checks (or, on a new database, records) which chain this database holds. */
  checkIdentity(chain: string, genesisHash: string): void {
    const stored = { schema: this.meta('schema'), chain: this.meta('chain'), genesis: this.meta('genesis') };
    if (stored.schema === undefined) {
      this.db.transaction(() => {
        this.q.setMeta.run('schema', SCHEMA_VERSION);
        this.q.setMeta.run('chain', chain);
        this.q.setMeta.run('genesis', genesisHash);
      })();
      return;
    }
    if (stored.schema !== SCHEMA_VERSION) throw new StoreError(`${this.dataDir}: database schema ${stored.schema}, this version reads ${SCHEMA_VERSION}`);
    if (stored.chain !== chain || stored.genesis !== genesisHash) {
      throw new StoreError(`${this.dataDir}: holds chain ${stored.chain} with genesis ${stored.genesis}, expected ${chain} with genesis ${genesisHash}`);
    }
  }

  private meta(key: string): string | undefined {
    return this.q.meta.get(key)?.value;
  }

  /** Every block row, by height (the in-memory block index is built from these). */
  blocks(): StoredBlock[] {
    return this.q.blocks.all().map(toBlock);
  }

  blockTxs(height: number): Buffer[] {
    return this.q.txsOfBlock.all(height).map((r) => r.raw);
  }

  tx(txid: string): StoredTx | undefined {
    return this.q.txById.get(txid);
  }

  coin(txid: string, vout: number): StoredCoin | undefined {
    const row = this.q.coin.get(txid, vout);
    return row ? toCoin(row) : undefined;
  }

  /** Unspent outputs paying to any of `scripts`, oldest first. */
  coinsByScripts(scripts: readonly Uint8Array[]): StoredCoin[] {
    if (scripts.length === 0) return [];
    const rows: CoinRow[] = [];
    // SQLite limits the number of bound parameters; query in chunks.
    for (let i = 0; i < scripts.length; i += 500) {
      const chunk = scripts.slice(i, i + 500);
      const sql = `SELECT * FROM utxos WHERE script IN (${chunk.map(() => '?').join(',')}) ORDER BY height, txid, vout`;
      rows.push(...this.db.prepare<CoinRow>(sql).all(...chunk.map(blob)));
    }
    return rows.map(toCoin).sort((a, b) => a.height - b.height || (a.txid < b.txid ? -1 : a.txid > b.txid ? 1 : a.vout - b.vout));
  }

  utxoStats(): { count: number; total: bigint } {
    const row = this.db.prepare<{ n: number; total: number | bigint | null }>('SELECT COUNT(*) AS n, SUM(amount) AS total FROM utxos').get()!;
    return { count: row.n, total: BigInt(row.total ?? 0) };
  }

  mempool(): StoredMempoolTx[] {
    return this.q.mempool.all();
  }

  /**
   * Apply a block: its row, its transactions, spent coins removed, new coins added, mempool rows
   * removed; all or nothing. The genesis coinbase's output is not spendable and adds no coin.
   */
  connectBlock(changes: BlockChanges): void {
    const { block, height } = changes;
    this.db.transaction(() => {
      this.q.insertBlock.run(height, block.hash, blob(block.raw.subarray(0, 80)), block.header.time, block.txs.length, block.size, block.strippedSize, block.weight);
      block.txs.forEach((tx, position) => {
        this.q.insertTx.run(tx.txid, height, position, blob(tx.raw));
        const coinbase = isCoinbase(tx);
        if (!coinbase) {
          for (const input of tx.inputs) {
            const { changes: removed } = this.q.deleteCoin.run(input.prevTxid, input.prevVout);
            if (removed !== 1) throw new StoreError(`block ${block.hash} at height ${height}: ${tx.txid} spends ${input.prevTxid}:${input.prevVout}, which is not in the UTXO set`);
          }
        }
        if (height === 0) return;
        tx.outputs.forEach((out, vout) => {
          if (isUnspendable(out.script)) return;
          this.q.insertCoin.run(tx.txid, vout, out.amount, blob(out.script), height, coinbase ? 1 : 0);
        });
      });
      for (const txid of changes.mempoolRemovals) this.q.deleteMempool.run(txid);
    })();
  }

  /** Record a mempool acceptance and the evictions it caused (replacements), atomically. */
  addMempoolTx(entry: StoredMempoolTx, evicted: readonly string[]): void {
    this.db.transaction(() => {
      for (const txid of evicted) this.q.deleteMempool.run(txid);
      this.q.insertMempool.run(entry.txid, entry.raw, entry.time, entry.sequence);
    })();
  }

  removeMempoolTxs(txids: readonly string[]): void {
    this.db.transaction(() => {
      for (const txid of txids) this.q.deleteMempool.run(txid);
    })();
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
