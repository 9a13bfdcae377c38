// The node's own store, D/node.sqlite: a CACHE. The signer is the source of truth for everything that
// can lose money (DESIGN: the node is disposable); this file only remembers what makes the node
// convenient and quick: peers to reconnect to, wallet addresses issued, payments made, the last
// channel states seen, the chain tip reported. Deleting it loses nothing the signer does not hold.
// A file written by another schema version is dropped and rebuilt: a cache is never migrated.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { openDatabase, type Database, type Statement } from '../chain/server/sqlite.js';

export const STORE_FILE = 'node.sqlite';
const SCHEMA_VERSION = '1';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS peers (
  node_id TEXT PRIMARY KEY,
  host TEXT NOT NULL,
  port INTEGER NOT NULL,
  persistent INTEGER NOT NULL,
  last_connected_at INTEGER
);
CREATE TABLE IF NOT EXISTS addresses (
  script_pubkey TEXT PRIMARY KEY,
  address TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS payments (
  payment_hash TEXT NOT NULL,
  direction TEXT NOT NULL,
  status TEXT NOT NULL,
  amount_msat TEXT NOT NULL,
  fee_msat TEXT NOT NULL,
  invoice TEXT NOT NULL,
  preimage TEXT,
  peer_node_id TEXT,
  created_at INTEGER NOT NULL,
  settled_at INTEGER,
  failure_reason TEXT,
  PRIMARY KEY (payment_hash, direction)
);
CREATE TABLE IF NOT EXISTS channel_snapshots (
  channel_id TEXT PRIMARY KEY,
  peer_node_id TEXT NOT NULL,
  state TEXT NOT NULL,
  snapshot TEXT NOT NULL,
  updated_at INTEGER NOT NULL
);
`;

export interface PeerRecord {
  readonly nodeId: string;
  readonly host: string;
  readonly port: number;
  readonly persistent: boolean;
  /** Unix seconds of the last time init was exchanged, or null. */
  readonly lastConnectedAt: number | null;
}

export interface AddressRecord {
  readonly scriptPubKey: string;
  readonly address: string;
  readonly createdAt: number;
}

export type PaymentDirection = 'sent' | 'received';
export type PaymentStatus = 'pending' | 'succeeded' | 'failed';

export interface PaymentRecord {
  readonly paymentHash: string;
  readonly direction: PaymentDirection;
  readonly status: PaymentStatus;
  readonly amountMsat: bigint;
  readonly feeMsat: bigint;
  readonly invoice: string;
  readonly preimage: string | null;
  readonly peerNodeId: string | null;
  readonly createdAt: number;
  readonly settledAt: number | null;
  readonly failureReason: string | null;
}

/** What the channel shell keeps of a channel between runs: a summary and its own JSON. */
export interface ChannelSnapshotRecord {
  readonly channelId: string;
  readonly peerNodeId: string;
  readonly state: string;
  /** Opaque to the store: the channel shell's serialisation. */
  readonly snapshot: string;
  readonly updatedAt: number;
}

interface Row {
  [column: string]: string | number | null;
}

const str = (row: Row, column: string): string => String(row[column]);
const num = (row: Row, column: string): number => Number(row[column]);
const optNum = (row: Row, column: string): number | null => (row[column] === null ? null : Number(row[column]));
const optStr = (row: Row, column: string): string | null => (row[column] === null ? null : String(row[column]));

export class NodeStore {
  readonly path: string;
  readonly #db: Database;
  readonly #now: () => number;
  readonly #statements = new Map<string, Statement<Row>>();

  private constructor(path: string, db: Database, now: () => number) {
    this.path = path;
    this.#db = db;
    this.#now = now;
  }

  /** Opens (creating if needed) D/node.sqlite. `now` gives Unix seconds. */
  static open(dataDir: string, now: () => number = () => Math.floor(Date.now() / 1000)): NodeStore {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const path = join(dataDir, STORE_FILE);
    const db = openDatabase(path, { timeout: 5000 });
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL'); // a cache: losing the last write to a power cut costs nothing
    db.exec('CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
    const version = db.prepare<{ value: string }>("SELECT value FROM meta WHERE key = 'schema_version'").get();
    if (version !== undefined && version.value !== SCHEMA_VERSION) {
      db.exec('DROP TABLE IF EXISTS peers; DROP TABLE IF EXISTS addresses; DROP TABLE IF EXISTS payments; DROP TABLE IF EXISTS channel_snapshots; DELETE FROM meta;');
    }
    db.exec(SCHEMA);
    db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)").run(SCHEMA_VERSION);
    return new NodeStore(path, db, now);
  }

  #q(sql: string): Statement<Row> {
    let s = this.#statements.get(sql);
    if (s === undefined) {
      s = this.#db.prepare<Row>(sql);
      this.#statements.set(sql, s);
    }
    return s;
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }

  // ------------------------------------------------------------------ meta

  getMeta(key: string): string | undefined {
    const row = this.#q('SELECT value FROM meta WHERE key = ?').get(key);
    return row === undefined ? undefined : str(row, 'value');
  }

  setMeta(key: string, value: string): void {
    this.#q('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)').run(key, value);
  }
  deleteMeta(key: string): void {
    this.#q('DELETE FROM meta WHERE key = ?').run(key);
  }


  // ------------------------------------------------------------------ peers

  /** Remembers a peer's address; `persistent` only ever turns on here (forgetPeer turns it off). */
  rememberPeer(nodeId: string, host: string, port: number, persistent: boolean): void {
    this.#q(
      `INSERT INTO peers (node_id, host, port, persistent) VALUES (?, ?, ?, ?)
       ON CONFLICT(node_id) DO UPDATE SET host = excluded.host, port = excluded.port, persistent = MAX(persistent, excluded.persistent)`,
    ).run(nodeId, host, port, persistent ? 1 : 0);
  }

  peerConnected(nodeId: string): void {
    this.#q('UPDATE peers SET last_connected_at = ? WHERE node_id = ?').run(this.#now(), nodeId);
  }

  forgetPeer(nodeId: string): void {
    this.#q('DELETE FROM peers WHERE node_id = ?').run(nodeId);
  }

  peers(): PeerRecord[] {
    return this.#q('SELECT * FROM peers ORDER BY node_id').all().map((r) => ({
      nodeId: str(r, 'node_id'),
      host: str(r, 'host'),
      port: num(r, 'port'),
      persistent: num(r, 'persistent') === 1,
      lastConnectedAt: optNum(r, 'last_connected_at'),
    }));
  }

  // ------------------------------------------------------------------ wallet addresses

  /** Returns whether the address was new to the cache. */
  addAddress(scriptPubKey: string, address: string): boolean {
    return this.#q('INSERT OR IGNORE INTO addresses (script_pubkey, address, created_at) VALUES (?, ?, ?)').run(scriptPubKey, address, this.#now()).changes === 1;
  }

  addresses(): AddressRecord[] {
    return this.#q('SELECT * FROM addresses ORDER BY created_at, script_pubkey').all().map((r) => ({
      scriptPubKey: str(r, 'script_pubkey'),
      address: str(r, 'address'),
      createdAt: num(r, 'created_at'),
    }));
  }

  // ------------------------------------------------------------------ payments

  upsertPayment(p: PaymentRecord): void {
    this.#q(
      `INSERT OR REPLACE INTO payments (payment_hash, direction, status, amount_msat, fee_msat, invoice, preimage, peer_node_id, created_at, settled_at, failure_reason)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(p.paymentHash, p.direction, p.status, p.amountMsat.toString(), p.feeMsat.toString(), p.invoice, p.preimage, p.peerNodeId, p.createdAt, p.settledAt, p.failureReason);
  }

  payment(paymentHash: string, direction: PaymentDirection): PaymentRecord | undefined {
    const row = this.#q('SELECT * FROM payments WHERE payment_hash = ? AND direction = ?').get(paymentHash, direction);
    return row === undefined ? undefined : paymentOf(row);
  }

  payments(): PaymentRecord[] {
    return this.#q('SELECT * FROM payments ORDER BY created_at, payment_hash').all().map(paymentOf);
  }

  // ------------------------------------------------------------------ channel snapshots

  saveChannelSnapshot(channelId: string, peerNodeId: string, state: string, snapshot: string): void {
    this.#q('INSERT OR REPLACE INTO channel_snapshots (channel_id, peer_node_id, state, snapshot, updated_at) VALUES (?, ?, ?, ?, ?)').run(
      channelId,
      peerNodeId,
      state,
      snapshot,
      this.#now(),
    );
  }

  channelSnapshots(): ChannelSnapshotRecord[] {
    return this.#q('SELECT * FROM channel_snapshots ORDER BY channel_id').all().map((r) => ({
      channelId: str(r, 'channel_id'),
      peerNodeId: str(r, 'peer_node_id'),
      state: str(r, 'state'),
      snapshot: str(r, 'snapshot'),
      updatedAt: num(r, 'updated_at'),
    }));
  }

  deleteChannelSnapshot(channelId: string): void {
    this.#q('DELETE FROM channel_snapshots WHERE channel_id = ?').run(channelId);
  }
}

function paymentOf(r: Row): PaymentRecord {
  return {
    paymentHash: str(r, 'payment_hash'),
    direction: str(r, 'direction') as PaymentDirection,
    status: str(r, 'status') as PaymentStatus,
    amountMsat: BigInt(str(r, 'amount_msat')),
    feeMsat: BigInt(str(r, 'fee_msat')),
    invoice: str(r, 'invoice'),
    preimage: optStr(r, 'preimage'),
    peerNodeId: optStr(r, 'peer_node_id'),
    createdAt: num(r, 'created_at'),
    settledAt: optNum(r, 'settled_at'),
    failureReason: optStr(r, 'failure_reason'),
  };
}
