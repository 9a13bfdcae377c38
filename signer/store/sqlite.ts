// The slice of better-sqlite3 (12.x) the signer store uses, typed here because the package ships no
// type declarations. Loaded with createRequire: it is a CommonJS native addon.
import { createRequire } from 'node:module';

/** A bound value: integers go in as bigint (exact), bytes as Buffer/Uint8Array, text as string. */
export type SqlValue = bigint | number | string | Uint8Array | null;
/** A row as read with safe integers on: INTEGER columns come back as bigint, BLOB as Buffer. */
export type SqlRow = Record<string, bigint | string | Buffer | null>;

export interface RunResult {
  readonly changes: number;
  readonly lastInsertRowid: bigint | number;
}

export interface Statement {
  run(...params: readonly SqlValue[]): RunResult;
  get(...params: readonly SqlValue[]): SqlRow | undefined;
  all(...params: readonly SqlValue[]): SqlRow[];
}

export interface Database {
  prepare(sql: string): Statement;
  exec(sql: string): void;
  pragma(source: string, options?: { simple?: boolean }): unknown;
  /** Wraps `fn` in BEGIN/COMMIT (ROLLBACK if it throws). */
  transaction<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R;
  defaultSafeIntegers(on?: boolean): Database;
  close(): void;
  readonly inTransaction: boolean;
  readonly open: boolean;
}

type DatabaseConstructor = new (path: string, options?: { fileMustExist?: boolean; timeout?: number }) => Database;

const BetterSqlite3 = createRequire(import.meta.url)('better-sqlite3') as DatabaseConstructor;

/**
 * Opens the database file with the durability the signer needs: WAL journal, `synchronous = FULL`
 * (every commit is fsynced before it returns, but those of SignerStore.transactionUnsynced, which its
 * sync() makes durable), foreign keys on, and INTEGER columns read as bigint.
 */
export function openDatabase(path: string): Database {
  const db = new BetterSqlite3(path, { timeout: 5000 });
  try {
    db.defaultSafeIntegers(true);
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (String(mode).toLowerCase() !== 'wal') throw new Error(`${path}: journal_mode is ${String(mode)}, expected wal`);
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    return db;
  } catch (e) {
    db.close();
    throw e;
  }
}
