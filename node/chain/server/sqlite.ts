// The slice of better-sqlite3's API the chain store uses, typed here (the package ships no types).
import { createRequire } from 'node:module';

export interface RunResult {
  readonly changes: number;
  readonly lastInsertRowid: number | bigint;
}

export interface Statement<Row = unknown> {
  run(...params: unknown[]): RunResult;
  get(...params: unknown[]): Row | undefined;
  all(...params: unknown[]): Row[];
}

export interface Database {
  prepare<Row = unknown>(sql: string): Statement<Row>;
  exec(sql: string): Database;
  pragma(sql: string, options?: { simple?: boolean }): unknown;
  /** Wraps `fn` so that each call runs in one SQLite transaction (rolled back if it throws). */
  transaction<A extends unknown[], R>(fn: (...args: A) => R): ((...args: A) => R) & { immediate: (...args: A) => R };
  close(): Database;
  readonly open: boolean;
  readonly inTransaction: boolean;
}

interface DatabaseOptions {
  readonly?: boolean;
  fileMustExist?: boolean;
  /** Milliseconds to wait on a locked database before failing. */
  timeout?: number;
}

const BetterSqlite3 = createRequire(import.meta.url)('better-sqlite3') as new (filename: string, options?: DatabaseOptions) => Database;

export function openDatabase(path: string, options: DatabaseOptions = {}): Database {
  return new BetterSqlite3(path, options);
}

/** better-sqlite3 binds Buffers as BLOBs (a bare Uint8Array is refused). */
export function blob(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
