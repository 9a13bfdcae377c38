// A real signer stack for the attack and crash suites: a `vigil hsm-emulator` process and a
// `vigil signer run` process on their own data directories, reached over gRPC with mutual TLS and the
// node's certificate (node/signer-client). Also what those suites look at from outside the process:
// the signer's SQLite file opened read-only (WAL lets a reader in while the signer writes) and its
// audit log file.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { hex } from '../../bolt/bytes.js';
import { SignerClient } from '../../node/signer-client/client.js';
import { paths } from '../../signer/config.js';
import { AUDIT_FILE, DATABASE_FILE, type RpcName } from '../../signer/service/index.js';
import type { AuditLine } from './signer-audit.js';
import type { PairSigner } from './signer-pair.js';
import { runVigil, startVigil, tempDir, type VigilServer } from './vigil-process.js';

export type Listening = { listening: { host: string; port: number }; node_id?: string };
/** How the emulator's screen answers confirmations (`vigil hsm-emulator --screen`). */
export type ScreenRule = 'approve-all' | 'reject-all';

const PASSPHRASE = { VIGIL_HSM_PASSPHRASE: 'signer-process test passphrase' };

export interface SignerStackOptions {
  /** Names the temporary directories. */
  readonly label: string;
  readonly screen?: ScreenRule;
  /** Rewrites the policy.yaml `vigil signer init` wrote, before the signer first runs. */
  readonly policy?: (yaml: string) => string;
}

export class SignerStack {
  readonly #emulatorDir: ReturnType<typeof tempDir>;
  readonly #signerDir: ReturnType<typeof tempDir>;
  readonly #emulator: VigilServer<Listening>;
  #signer: VigilServer<Listening>;
  /** How many times the signer process was started. */
  starts = 1;

  private constructor(emulatorDir: ReturnType<typeof tempDir>, signerDir: ReturnType<typeof tempDir>, emulator: VigilServer<Listening>, signer: VigilServer<Listening>) {
    this.#emulatorDir = emulatorDir;
    this.#signerDir = signerDir;
    this.#emulator = emulator;
    this.#signer = signer;
  }

  /** `vigil hsm-emulator init` + serve, `vigil signer init` (+ policy edit) + run. */
  static async start(options: SignerStackOptions): Promise<SignerStack> {
    const emulatorDir = tempDir(`${options.label}-emulator`);
    const signerDir = tempDir(`${options.label}-signer`);
    const init = await runVigil(['hsm-emulator', 'init', '--data-dir', emulatorDir.dir], PASSPHRASE);
    assert.equal(init.code, 0, init.stderr);
    const emulator = await startVigil<Listening>(['hsm-emulator', '--data-dir', emulatorDir.dir, '--port', '0', '--screen', options.screen ?? 'approve-all', '--log-level', 'warn'], PASSPHRASE);
    const signerInit = await runVigil(['signer', 'init', '--data-dir', signerDir.dir, '--network', 'regtest', '--device-port', String(emulator.ready.listening.port)]);
    assert.equal(signerInit.code, 0, signerInit.stderr);
    if (options.policy) {
      const file = paths(signerDir.dir).policy;
      writeFileSync(file, options.policy(readFileSync(file, 'utf8')));
    }
    const signer = await SignerStack.#run(signerDir.dir);
    return new SignerStack(emulatorDir, signerDir, emulator, signer);
  }

  static #run(dataDir: string): Promise<VigilServer<Listening>> {
    return startVigil<Listening>(['signer', 'run', '--data-dir', dataDir, '--log-level', 'warn']);
  }

  get dataDir(): string {
    return this.#signerDir.dir;
  }

  get databasePath(): string {
    return join(this.dataDir, DATABASE_FILE);
  }

  get auditPath(): string {
    return join(this.dataDir, AUDIT_FILE);
  }

  get port(): number {
    return this.#signer.ready.listening.port;
  }

  get nodeIdHex(): string {
    return this.#signer.ready.node_id!;
  }

  /** The running signer process (kill -9 it with `kill()`). */
  get process(): VigilServer<Listening> {
    return this.#signer;
  }

  /** A client holding the node's certificate, or the certificate and key given. */
  client(overrides: Partial<{ caPem: string; certPem: string; keyPem: string }> = {}, deadlineMs = 10_000): SignerClient {
    const p = paths(this.dataDir);
    return new SignerClient({
      address: `127.0.0.1:${this.port}`,
      caPem: readFileSync(p.caCert, 'utf8'),
      certPem: readFileSync(p.nodeCert, 'utf8'),
      keyPem: readFileSync(p.nodeKey, 'utf8'),
      deadlineMs,
      ...overrides,
    });
  }

  /** SIGKILL the signer process and wait until it is gone. */
  async kill(): Promise<void> {
    await this.#signer.stop('SIGKILL');
  }

  /** Starts `vigil signer run` again on the same data directory (after kill()). */
  async restart(): Promise<void> {
    const before = this.#signer.ready.node_id;
    this.#signer = await SignerStack.#run(this.dataDir);
    this.starts++;
    assert.equal(this.#signer.ready.node_id, before, 'the restarted signer has the same node id');
  }

  async stop(): Promise<void> {
    await this.#signer.stop();
    await this.#emulator.stop();
    this.#signerDir.remove();
    this.#emulatorDir.remove();
  }
}

/** A PairSigner backed by a signer process: each call is one gRPC request over mutual TLS. */
export class GrpcSigner implements PairSigner {
  readonly stack: SignerStack;
  readonly nodeId: Uint8Array;
  #client: SignerClient;

  private constructor(stack: SignerStack, nodeId: Uint8Array) {
    this.stack = stack;
    this.nodeId = nodeId;
    this.#client = stack.client();
  }

  static async connect(stack: SignerStack): Promise<GrpcSigner> {
    const client = stack.client();
    try {
      const info = await client.call<{ node_id: Buffer }>('GetNodeInfo', {});
      assert.equal(hex(info.node_id), stack.nodeIdHex);
      return new GrpcSigner(stack, Uint8Array.from(info.node_id));
    } finally {
      client.close();
    }
  }

  call(method: RpcName, request: object): Promise<object> {
    return this.#client.call(method, request);
  }

  /** A new channel to the signer's current port (after a restart). */
  reconnect(): void {
    this.#client.close();
    this.#client = this.stack.client();
  }

  close(): void {
    this.#client.close();
  }
}

// ---------------------------------------------------------------- the signer's files, from outside

interface ReadOnlyDatabase {
  prepare(sql: string): { all(...params: unknown[]): Record<string, unknown>[] };
  defaultSafeIntegers(on?: boolean): ReadOnlyDatabase;
  close(): void;
}
type ReadOnlyConstructor = new (path: string, options: { readonly: true; fileMustExist: true }) => ReadOnlyDatabase;
const BetterSqlite3 = createRequire(import.meta.url)('better-sqlite3') as ReadOnlyConstructor;

function cell(v: unknown): string {
  if (v === null) return 'NULL';
  if (v instanceof Uint8Array) return `x'${hex(v)}'`;
  return String(v);
}

/** Runs `fn` on the signer's database opened read-only (the signer may be running: WAL admits readers). */
export function withDatabase<T>(path: string, fn: (db: ReadOnlyDatabase) => T): T {
  const db = new BetterSqlite3(path, { readonly: true, fileMustExist: true });
  try {
    db.defaultSafeIntegers(true);
    return fn(db);
  } finally {
    db.close();
  }
}

/** Every row of every table (as sqlite_master lists them), sorted by all columns, as text. */
export function dumpDatabase(path: string): string {
  return withDatabase(path, (db) => {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all().map((r) => String(r['name']));
    const lines: string[] = [];
    for (const table of tables) {
      const columns = db.prepare(`SELECT name FROM pragma_table_info(?)`).all(table).map((r) => String(r['name']));
      const order = columns.map((_, i) => String(i + 1)).join(', ');
      const rows = db.prepare(`SELECT * FROM "${table}" ORDER BY ${order}`).all();
      lines.push(`-- ${table} (${rows.length})`);
      for (const row of rows) lines.push(columns.map((c) => `${c}=${cell(row[c])}`).join(' '));
    }
    return lines.join('\n');
  });
}

/** The complete lines of an audit file (a torn final fragment without newline is left out), parsed. */
export function readAudit(path: string): { lines: AuditLine[]; tornBytes: number } {
  const text = readFileSync(path, 'utf8');
  const end = text.lastIndexOf('\n') + 1;
  const lines = text
    .slice(0, end)
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as AuditLine);
  return { lines, tornBytes: Buffer.byteLength(text.slice(end)) };
}

/** `vigil audit verify FILE` as a process. */
export async function verifyAuditCli(path: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return runVigil(['audit', 'verify', path]);
}
