// The signer's durable state in SQLite: one prepared statement per query, typed records in and out.
// The service wraps each request's writes (and its audit line) in one transaction, committed before
// it answers (and synced to disk before the answer leaves); a `kill -9` therefore leaves either the
// whole request or none of it.
import { closeSync, fdatasync, openSync } from 'node:fs';
import { fromHex, hex } from '../../bolt/bytes.js';
import type { ChannelType, Htlc } from '../../bolt/bolt3/index.js';
import { SCHEMA_SQL, SCHEMA_VERSION, TABLES } from './schema.js';
import { openDatabase, type Database, type SqlRow, type SqlValue, type Statement } from './sqlite.js';
import type {
  ApprovedPaymentRecord,
  ChannelLifecycle,
  ChannelProgress,
  ChannelRecord,
  ChannelSetup,
  CommitmentInfo,
  CounterpartyCommitmentRecord,
  HolderCommitmentRecord,
  InvoiceRecord,
  WalletKeyRecord,
} from './records.js';

export class StoreError extends Error {
  override readonly name = 'StoreError';
}

// ---------------------------------------------------------------- value conversion

function blob(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function optBlob(bytes: Uint8Array | null): Buffer | null {
  return bytes === null ? null : blob(bytes);
}

function optInt(n: number | bigint | null): bigint | null {
  return n === null ? null : BigInt(n);
}

function bytesOf(row: SqlRow, column: string): Uint8Array {
  const v = row[column];
  if (!(v instanceof Uint8Array)) throw new StoreError(`column ${column}: expected a blob, got ${v === null ? 'NULL' : typeof v}`);
  return new Uint8Array(v); // a copy: never alias the driver's buffers
}

function optBytesOf(row: SqlRow, column: string): Uint8Array | null {
  return row[column] === null ? null : bytesOf(row, column);
}

function bigOf(row: SqlRow, column: string): bigint {
  const v = row[column];
  if (typeof v !== 'bigint') throw new StoreError(`column ${column}: expected an integer, got ${v === null ? 'NULL' : typeof v}`);
  return v;
}

function numOf(row: SqlRow, column: string): number {
  const v = bigOf(row, column);
  if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) throw new StoreError(`column ${column}: ${v} is not a safe integer`);
  return Number(v);
}

function optNumOf(row: SqlRow, column: string): number | null {
  return row[column] === null ? null : numOf(row, column);
}

function textOf(row: SqlRow, column: string): string {
  const v = row[column];
  if (typeof v !== 'string') throw new StoreError(`column ${column}: expected text, got ${v === null ? 'NULL' : typeof v}`);
  return v;
}

interface HtlcJson {
  dir: 'offered' | 'received';
  id: string;
  msat: string;
  hash: string;
  cltv: number;
}

/** HTLCs as the `htlcs` TEXT column holds them (schema.ts). */
export function htlcsToJson(htlcs: readonly Htlc[]): string {
  return JSON.stringify(
    htlcs.map((h): HtlcJson => ({ dir: h.direction, id: h.id.toString(), msat: h.amountMsat.toString(), hash: hex(h.paymentHash), cltv: h.cltvExpiry })),
  );
}

export function htlcsFromJson(text: string): Htlc[] {
  const parsed = JSON.parse(text) as HtlcJson[];
  if (!Array.isArray(parsed)) throw new StoreError('htlcs: expected a JSON array');
  return parsed.map((h) => ({
    direction: h.dir === 'offered' ? 'offered' : h.dir === 'received' ? 'received' : fail(`htlcs: direction ${String(h.dir)}`),
    id: BigInt(h.id),
    amountMsat: BigInt(h.msat),
    paymentHash: fromHex(h.hash, 'htlc payment hash'),
    cltvExpiry: h.cltv,
  }));
}

function fail(message: string): never {
  throw new StoreError(message);
}

function infoOf(row: SqlRow): CommitmentInfo {
  return {
    number: numOf(row, 'number'),
    feeratePerKw: numOf(row, 'feerate_per_kw'),
    toOwnerMsat: bigOf(row, 'to_owner_msat'),
    toOtherMsat: bigOf(row, 'to_other_msat'),
    htlcs: htlcsFromJson(textOf(row, 'htlcs')),
  };
}

function splitSignatures(bytes: Uint8Array): Uint8Array[] {
  if (bytes.length % 64 !== 0) throw new StoreError(`htlc_signatures: ${bytes.length} bytes is not a multiple of 64`);
  const out: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; at += 64) out.push(bytes.slice(at, at + 64));
  return out;
}

function joinSignatures(signatures: readonly Uint8Array[]): Buffer {
  return Buffer.concat(signatures.map((s) => blob(s)));
}

const SETUP_COLUMNS = [
  'channel_id',
  'channel_type',
  'funding_txid',
  'funding_vout',
  'funding_sat',
  'push_msat',
  'counterparty_funding_pubkey',
  'counterparty_revocation_basepoint',
  'counterparty_payment_basepoint',
  'counterparty_delayed_payment_basepoint',
  'counterparty_htlc_basepoint',
  'counterparty_first_point',
  'holder_to_self_delay',
  'counterparty_to_self_delay',
  'holder_dust_limit_sat',
  'counterparty_dust_limit_sat',
  'holder_channel_reserve_sat',
  'counterparty_channel_reserve_sat',
  'max_accepted_htlcs',
  'htlc_minimum_msat',
  'holder_shutdown_script',
  'counterparty_shutdown_script',
] as const;

const PROGRESS_COLUMNS = [
  'state',
  'next_holder_number',
  'revoked_holder_through',
  'next_counterparty_number',
  'revoked_counterparty_through',
  'counterparty_secrets',
  'funding_height',
  'closing_txid',
] as const;

function setupValues(s: ChannelSetup): SqlValue[] {
  return [
    blob(s.channelId),
    s.channelType,
    blob(s.fundingTxid),
    BigInt(s.fundingVout),
    s.fundingSat,
    s.pushMsat,
    blob(s.counterparty.fundingPubkey),
    blob(s.counterparty.revocationBasepoint),
    blob(s.counterparty.paymentBasepoint),
    blob(s.counterparty.delayedPaymentBasepoint),
    blob(s.counterparty.htlcBasepoint),
    blob(s.counterpartyFirstPoint),
    BigInt(s.holderToSelfDelay),
    BigInt(s.counterpartyToSelfDelay),
    s.holderDustLimitSat,
    s.counterpartyDustLimitSat,
    s.holderChannelReserveSat,
    s.counterpartyChannelReserveSat,
    BigInt(s.maxAcceptedHtlcs),
    s.htlcMinimumMsat,
    blob(s.holderShutdownScript),
    blob(s.counterpartyShutdownScript),
  ];
}

function progressValues(p: ChannelProgress): SqlValue[] {
  return [
    p.state,
    BigInt(p.nextHolderNumber),
    optInt(p.revokedHolderThrough),
    BigInt(p.nextCounterpartyNumber),
    optInt(p.revokedCounterpartyThrough),
    blob(p.counterpartySecrets),
    optInt(p.fundingHeight),
    optBlob(p.closingTxid),
  ];
}

function setupOf(row: SqlRow): ChannelSetup | null {
  if (row['channel_id'] === null) return null;
  const channelType = textOf(row, 'channel_type');
  if (channelType !== 'anchors' && channelType !== 'static_remotekey') throw new StoreError(`channel_type: ${channelType}`);
  return {
    channelId: bytesOf(row, 'channel_id'),
    channelType: channelType satisfies ChannelType,
    fundingTxid: bytesOf(row, 'funding_txid'),
    fundingVout: numOf(row, 'funding_vout'),
    fundingSat: bigOf(row, 'funding_sat'),
    pushMsat: bigOf(row, 'push_msat'),
    counterparty: {
      fundingPubkey: bytesOf(row, 'counterparty_funding_pubkey'),
      revocationBasepoint: bytesOf(row, 'counterparty_revocation_basepoint'),
      paymentBasepoint: bytesOf(row, 'counterparty_payment_basepoint'),
      delayedPaymentBasepoint: bytesOf(row, 'counterparty_delayed_payment_basepoint'),
      htlcBasepoint: bytesOf(row, 'counterparty_htlc_basepoint'),
    },
    counterpartyFirstPoint: bytesOf(row, 'counterparty_first_point'),
    holderToSelfDelay: numOf(row, 'holder_to_self_delay'),
    counterpartyToSelfDelay: numOf(row, 'counterparty_to_self_delay'),
    holderDustLimitSat: bigOf(row, 'holder_dust_limit_sat'),
    counterpartyDustLimitSat: bigOf(row, 'counterparty_dust_limit_sat'),
    holderChannelReserveSat: bigOf(row, 'holder_channel_reserve_sat'),
    counterpartyChannelReserveSat: bigOf(row, 'counterparty_channel_reserve_sat'),
    maxAcceptedHtlcs: numOf(row, 'max_accepted_htlcs'),
    htlcMinimumMsat: bigOf(row, 'htlc_minimum_msat'),
    holderShutdownScript: bytesOf(row, 'holder_shutdown_script'),
    counterpartyShutdownScript: bytesOf(row, 'counterparty_shutdown_script'),
  };
}

function channelOf(row: SqlRow): ChannelRecord {
  return {
    rowId: numOf(row, 'id'),
    temporaryChannelId: bytesOf(row, 'temporary_channel_id'),
    peerNodeId: bytesOf(row, 'peer_node_id'),
    keyIndex: numOf(row, 'key_index'),
    holderIsOpener: bigOf(row, 'holder_is_opener') === 1n,
    holder: {
      fundingPubkey: bytesOf(row, 'holder_funding_pubkey'),
      revocationBasepoint: bytesOf(row, 'holder_revocation_basepoint'),
      paymentBasepoint: bytesOf(row, 'holder_payment_basepoint'),
      delayedPaymentBasepoint: bytesOf(row, 'holder_delayed_payment_basepoint'),
      htlcBasepoint: bytesOf(row, 'holder_htlc_basepoint'),
    },
    holderFirstPoint: bytesOf(row, 'holder_first_point'),
    setup: setupOf(row),
    state: textOf(row, 'state') as ChannelLifecycle,
    nextHolderNumber: numOf(row, 'next_holder_number'),
    revokedHolderThrough: optNumOf(row, 'revoked_holder_through'),
    nextCounterpartyNumber: numOf(row, 'next_counterparty_number'),
    revokedCounterpartyThrough: optNumOf(row, 'revoked_counterparty_through'),
    counterpartySecrets: bytesOf(row, 'counterparty_secrets'),
    fundingHeight: optNumOf(row, 'funding_height'),
    closingTxid: optBytesOf(row, 'closing_txid'),
  };
}

// ---------------------------------------------------------------- the store

/** A new channel as NewChannel records it. */
export type NewChannelRecord = Omit<ChannelRecord, 'rowId'>;

export class SignerStore {
  readonly #db: Database;
  readonly #s: Record<string, Statement>;
  /** `<database>-wal`: what sync() fsyncs. */
  readonly #walPath: string;
  #unsynced = false;

  private constructor(db: Database, path: string) {
    this.#db = db;
    this.#walPath = `${path}-wal`;
    const q = (sql: string): Statement => db.prepare(sql);
    this.#s = {
      getMeta: q('SELECT value FROM meta WHERE key = ?'),
      setMeta: q('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
      totalChanges: q('SELECT total_changes() AS n'),
      insertChannel: q(
        `INSERT INTO channels (temporary_channel_id, peer_node_id, key_index, holder_is_opener,
           holder_funding_pubkey, holder_revocation_basepoint, holder_payment_basepoint, holder_delayed_payment_basepoint,
           holder_htlc_basepoint, holder_first_point, ${PROGRESS_COLUMNS.join(', ')})
         VALUES (${Array(10 + PROGRESS_COLUMNS.length).fill('?').join(', ')})`,
      ),
      setupChannel: q(`UPDATE channels SET ${SETUP_COLUMNS.map((c) => `${c} = ?`).join(', ')} WHERE id = ?`),
      updateProgress: q(`UPDATE channels SET ${PROGRESS_COLUMNS.map((c) => `${c} = ?`).join(', ')} WHERE id = ?`),
      loadChannels: q('SELECT * FROM channels ORDER BY id'),
      putHolder: q(
        `INSERT INTO holder_commitments (channel, number, feerate_per_kw, to_owner_msat, to_other_msat, htlcs,
           counterparty_signature, htlc_signatures, txid, content_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (channel, number) DO UPDATE SET feerate_per_kw = excluded.feerate_per_kw,
           to_owner_msat = excluded.to_owner_msat, to_other_msat = excluded.to_other_msat, htlcs = excluded.htlcs,
           counterparty_signature = excluded.counterparty_signature, htlc_signatures = excluded.htlc_signatures,
           txid = excluded.txid, content_hash = excluded.content_hash`,
      ),
      getHolder: q('SELECT * FROM holder_commitments WHERE channel = ? AND number = ?'),
      pruneHolder: q('DELETE FROM holder_commitments WHERE channel = ? AND number < ?'),
      putCounterparty: q(
        `INSERT INTO counterparty_commitments (channel, number, feerate_per_kw, to_owner_msat, to_other_msat, htlcs,
           per_commitment_point, txid, content_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (channel, number) DO UPDATE SET feerate_per_kw = excluded.feerate_per_kw,
           to_owner_msat = excluded.to_owner_msat, to_other_msat = excluded.to_other_msat, htlcs = excluded.htlcs,
           per_commitment_point = excluded.per_commitment_point, txid = excluded.txid, content_hash = excluded.content_hash`,
      ),
      getCounterparty: q('SELECT * FROM counterparty_commitments WHERE channel = ? AND number = ?'),
      putInvoice: q(
        `INSERT INTO invoices (payment_hash, amount_msat, timestamp, expiry_seconds, signed_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (payment_hash) DO UPDATE SET amount_msat = excluded.amount_msat, timestamp = excluded.timestamp,
           expiry_seconds = excluded.expiry_seconds, signed_at = excluded.signed_at`,
      ),
      getInvoice: q('SELECT * FROM invoices WHERE payment_hash = ?'),
      insertPayment: q(
        'INSERT INTO approved_payments (payment_hash, amount_msat, fee_budget_msat, approved_at, approved_by, destination) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      paymentsSince: q('SELECT * FROM approved_payments WHERE approved_at >= ? ORDER BY id'),
      paymentsForHash: q('SELECT * FROM approved_payments WHERE payment_hash = ? ORDER BY id'),
      insertWalletKey: q('INSERT INTO wallet_keys (chain, idx, public_key, script_pubkey) VALUES (?, ?, ?, ?)'),
      loadWalletKeys: q('SELECT * FROM wallet_keys ORDER BY chain, idx'),
    };
  }

  /** Opens (or creates) the database at `path` and checks its schema version. */
  static open(path: string): SignerStore {
    const db = openDatabase(path);
    try {
      const hasMeta = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'meta'").get() !== undefined;
      if (!hasMeta) {
        db.transaction(() => {
          db.exec(SCHEMA_SQL);
          db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)').run('schema_version', String(SCHEMA_VERSION));
        })();
      }
      const version = db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get()?.['value'];
      if (version !== String(SCHEMA_VERSION)) {
        throw new StoreError(`${path}: schema version ${String(version)}, this signer reads version ${SCHEMA_VERSION}`);
      }
      return new SignerStore(db, path);
    } catch (e) {
      db.close();
      throw e;
    }
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }

  /** Runs `fn` in one SQLite transaction: committed (and fsynced) when it returns, rolled back if it throws. */
  transaction<T>(fn: () => T): T {
    return this.#db.transaction(fn)();
  }

  /**
   * Runs `fn` in one SQLite transaction whose commit does not wait for the disk (`synchronous = NORMAL`
   * for this commit only): the commit is in the WAL file when this returns, so a crash of the process
   * keeps it, and a crash of the machine leaves the database at an earlier commit, never inside one
   * (SQLite's WAL guarantee). Call `sync()` before acting on it where a crash of the machine matters.
   */
  transactionUnsynced<T>(fn: () => T): T {
    if (this.#db.inTransaction) throw new StoreError('transactionUnsynced cannot run inside another transaction');
    const before = this.#totalChanges();
    this.#db.exec('PRAGMA synchronous = NORMAL');
    let result: T;
    try {
      result = this.#db.transaction(fn)();
    } finally {
      this.#db.exec('PRAGMA synchronous = FULL');
    }
    if (this.#totalChanges() !== before) this.#unsynced = true;
    return result;
  }

  /** True when a transactionUnsynced changed rows that `sync()` has not yet made durable. */
  get unsynced(): boolean {
    return this.#unsynced;
  }

  /**
   * Makes every commit so far durable with one fdatasync(2) of the WAL file (the call SQLite itself
   * makes to sync it on Linux), run on libuv's thread pool so the event loop goes on; a no-op when no
   * transactionUnsynced changed anything since the last one.
   * Why this is enough (SQLite's WAL format, https://sqlite.org/wal.html):
   * - a COMMIT in WAL mode has written every frame of the transaction (and, after a WAL reset, the new
   *   WAL header) into `<db>-wal` with write(2) before it returns; fdatasync covers every byte written
   *   to that file before it was called (and the size needed to read them), whichever descriptor
   *   wrote it;
   * - frames a checkpoint already moved into the database file are durable there: with
   *   `synchronous = NORMAL` SQLite syncs the WAL before, and the database after, every checkpoint,
   *   and it reuses the WAL from its start only after a complete one;
   * - SQLite holds no POSIX lock on the WAL file (its locks are on the database and `-shm` files), so
   *   opening and closing a descriptor on it cannot drop one of its locks.
   */
  async sync(): Promise<void> {
    if (!this.#unsynced) return;
    this.#unsynced = false; // commits made while the fsync runs need the next sync
    try {
      const fd = openSync(this.#walPath, 'r');
      try {
        await new Promise<void>((resolve, reject) => fdatasync(fd, (err) => (err ? reject(err) : resolve())));
      } finally {
        closeSync(fd);
      }
    } catch (e) {
      this.#unsynced = true;
      throw new StoreError(`${this.#walPath}: fdatasync of the WAL failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
  }

  #totalChanges(): bigint {
    return this.#s['totalChanges']!.get()!['n'] as bigint;
  }

  // --- meta

  getMeta(key: string): string | undefined {
    const row = this.#s['getMeta']!.get(key);
    return row === undefined ? undefined : textOf(row, 'value');
  }

  setMeta(key: string, value: string): void {
    this.#s['setMeta']!.run(key, value);
  }

  // --- channels

  insertChannel(c: NewChannelRecord): number {
    const r = this.#s['insertChannel']!.run(
      blob(c.temporaryChannelId),
      blob(c.peerNodeId),
      BigInt(c.keyIndex),
      c.holderIsOpener ? 1n : 0n,
      blob(c.holder.fundingPubkey),
      blob(c.holder.revocationBasepoint),
      blob(c.holder.paymentBasepoint),
      blob(c.holder.delayedPaymentBasepoint),
      blob(c.holder.htlcBasepoint),
      blob(c.holderFirstPoint),
      ...progressValues(c),
    );
    return Number(r.lastInsertRowid);
  }

  setupChannel(rowId: number, setup: ChannelSetup): void {
    const r = this.#s['setupChannel']!.run(...setupValues(setup), BigInt(rowId));
    if (r.changes !== 1) throw new StoreError(`channel row ${rowId}: setup updated ${r.changes} rows`);
  }

  updateProgress(rowId: number, p: ChannelProgress): void {
    const r = this.#s['updateProgress']!.run(...progressValues(p), BigInt(rowId));
    if (r.changes !== 1) throw new StoreError(`channel row ${rowId}: progress updated ${r.changes} rows`);
  }

  loadChannels(): ChannelRecord[] {
    return this.#s['loadChannels']!.all().map(channelOf);
  }

  // --- commitments

  putHolderCommitment(rowId: number, c: HolderCommitmentRecord): void {
    this.#s['putHolder']!.run(
      BigInt(rowId),
      BigInt(c.info.number),
      BigInt(c.info.feeratePerKw),
      c.info.toOwnerMsat,
      c.info.toOtherMsat,
      htlcsToJson(c.info.htlcs),
      blob(c.counterpartySignature),
      joinSignatures(c.htlcSignatures),
      blob(c.txid),
      blob(c.contentHash),
    );
  }

  getHolderCommitment(rowId: number, number: number): HolderCommitmentRecord | undefined {
    const row = this.#s['getHolder']!.get(BigInt(rowId), BigInt(number));
    if (row === undefined) return undefined;
    return {
      info: infoOf(row),
      counterpartySignature: bytesOf(row, 'counterparty_signature'),
      htlcSignatures: splitSignatures(bytesOf(row, 'htlc_signatures')),
      txid: bytesOf(row, 'txid'),
      contentHash: bytesOf(row, 'content_hash'),
    };
  }

  /** Forgets holder commitments below `number` (revoked ones the signer will never sign or need again). */
  pruneHolderCommitments(rowId: number, below: number): void {
    this.#s['pruneHolder']!.run(BigInt(rowId), BigInt(below));
  }

  putCounterpartyCommitment(rowId: number, c: CounterpartyCommitmentRecord): void {
    this.#s['putCounterparty']!.run(
      BigInt(rowId),
      BigInt(c.info.number),
      BigInt(c.info.feeratePerKw),
      c.info.toOwnerMsat,
      c.info.toOtherMsat,
      htlcsToJson(c.info.htlcs),
      blob(c.perCommitmentPoint),
      blob(c.txid),
      blob(c.contentHash),
    );
  }

  getCounterpartyCommitment(rowId: number, number: number): CounterpartyCommitmentRecord | undefined {
    const row = this.#s['getCounterparty']!.get(BigInt(rowId), BigInt(number));
    if (row === undefined) return undefined;
    return {
      info: infoOf(row),
      perCommitmentPoint: bytesOf(row, 'per_commitment_point'),
      txid: bytesOf(row, 'txid'),
      contentHash: bytesOf(row, 'content_hash'),
    };
  }

  /**
   * One past the highest HTLC id each side offered in any counterparty commitment signed (every HTLC
   * that was ever committed reaches one): what a rebuilt channel numbers its next HTLC from.
   * `offered` is the counterparty's (the commitment owner's) offers, `received` ours.
   */
  htlcIdCeilings(rowId: number): { offered: bigint; received: bigint } {
    const rows = this.#db
      .prepare(
        `SELECT json_extract(h.value, '$.dir') AS dir, max(CAST(json_extract(h.value, '$.id') AS INTEGER)) AS top
           FROM counterparty_commitments c, json_each(c.htlcs) h WHERE c.channel = ? GROUP BY dir`,
      )
      .all(BigInt(rowId)) as { dir: string; top: number | bigint }[];
    const ceiling = (dir: string): bigint => {
      const row = rows.find((r) => r.dir === dir);
      return row === undefined ? 0n : BigInt(row.top) + 1n;
    };
    return { offered: ceiling('offered'), received: ceiling('received') };
  }

  // --- invoices and payments

  putInvoice(i: InvoiceRecord): void {
    this.#s['putInvoice']!.run(blob(i.paymentHash), i.amountMsat, BigInt(i.timestamp), BigInt(i.expirySeconds), BigInt(i.signedAt));
  }

  getInvoice(paymentHash: Uint8Array): InvoiceRecord | undefined {
    const row = this.#s['getInvoice']!.get(blob(paymentHash));
    if (row === undefined) return undefined;
    return {
      paymentHash: bytesOf(row, 'payment_hash'),
      amountMsat: row['amount_msat'] === null ? null : bigOf(row, 'amount_msat'),
      timestamp: numOf(row, 'timestamp'),
      expirySeconds: numOf(row, 'expiry_seconds'),
      signedAt: numOf(row, 'signed_at'),
    };
  }

  insertApprovedPayment(p: ApprovedPaymentRecord): void {
    this.#s['insertPayment']!.run(blob(p.paymentHash), p.amountMsat, p.feeBudgetMsat, BigInt(p.approvedAt), p.approvedBy, blob(p.destination));
  }

  /** Approved payments at or after `since` (Unix ms). */
  approvedPaymentsSince(since: number): ApprovedPaymentRecord[] {
    return this.#s['paymentsSince']!.all(BigInt(since)).map(paymentOf);
  }

  approvedPaymentsForHash(paymentHash: Uint8Array): ApprovedPaymentRecord[] {
    return this.#s['paymentsForHash']!.all(blob(paymentHash)).map(paymentOf);
  }

  // --- wallet

  insertWalletKey(k: WalletKeyRecord): void {
    this.#s['insertWalletKey']!.run(BigInt(k.chain), BigInt(k.index), blob(k.publicKey), blob(k.scriptPubKey));
  }

  loadWalletKeys(): WalletKeyRecord[] {
    return this.#s['loadWalletKeys']!.all().map((row) => ({
      chain: numOf(row, 'chain') === 1 ? 1 : 0,
      index: numOf(row, 'idx'),
      publicKey: bytesOf(row, 'public_key'),
      scriptPubKey: bytesOf(row, 'script_pubkey'),
    }));
  }

  // --- inspection

  /**
   * Every row of every table as text, in a fixed order: two dumps are equal exactly when the stored
   * state is. Tests compare dumps taken before and after a refused request.
   */
  dump(): string {
    const lines: string[] = [];
    for (const table of TABLES) {
      const rows = this.#db.prepare(`SELECT * FROM ${table} ORDER BY 1, 2`).all();
      lines.push(`-- ${table} (${rows.length})`);
      for (const row of rows) {
        lines.push(
          Object.entries(row)
            .map(([k, v]) => `${k}=${v === null ? 'NULL' : v instanceof Uint8Array ? hex(v) : String(v)}`)
            .join(' '),
        );
      }
    }
    return lines.join('\n');
  }
}

function paymentOf(row: SqlRow): ApprovedPaymentRecord {
  const by = textOf(row, 'approved_by');
  return {
    paymentHash: bytesOf(row, 'payment_hash'),
    amountMsat: bigOf(row, 'amount_msat'),
    feeBudgetMsat: bigOf(row, 'fee_budget_msat'),
    approvedAt: numOf(row, 'approved_at'),
    approvedBy: by === 'device' ? 'device' : 'policy',
    destination: bytesOf(row, 'destination'),
  };
}
