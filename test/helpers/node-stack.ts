// Real processes for the node tests: the compiled `vigil` CLI (dist/bin/vigil.js; from sources under
// tsx, the last build's) started as children that print one ready JSON line, and the pieces of one
// node's stack: embedded chain, HSM emulator, signer, node. Never sleeps: it waits on ready lines,
// on exits, or polls with a deadline.
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const fromSources = import.meta.url.endsWith('.ts');
/** dist/bin/vigil.js, whether this helper runs compiled (dist/test/helpers) or from sources. */
export const CLI = fileURLToPath(new URL(fromSources ? '../../dist/bin/vigil.js' : '../../bin/vigil.js', import.meta.url));
if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build first (npx tsc -p .)`);

export const PASSPHRASE_ENV = { VIGIL_HSM_PASSPHRASE: 'node test passphrase' };

export interface Proc<Ready> {
  readonly child: ChildProcessWithoutNullStreams;
  readonly ready: Ready;
  readonly exited: Promise<[number | null, NodeJS.Signals | null]>;
  stderr(): string;
  /** Sends `signal` (default SIGTERM) and waits for the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

const live = new Set<ChildProcessWithoutNullStreams>();
process.once('exit', () => {
  // SIGTERM, not SIGKILL: a `vigil up` left running must get the chance to stop its own children.
  for (const c of live) c.kill('SIGTERM');
});

/** Starts `vigil <args>` and resolves with its first stdout line parsed as JSON. */
export async function startCli<Ready>(args: readonly string[], env: NodeJS.ProcessEnv = {}, options: { cwd?: string; onLine?: (line: string) => void } = {}): Promise<Proc<Ready>> {
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, ...(options.cwd ? { cwd: options.cwd } : {}) });
  live.add(child);
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = once(child, 'close') as Promise<[number | null, NodeJS.Signals | null]>;
  void exited.then(() => live.delete(child));
  const lines = createInterface({ input: child.stdout });
  const first = await new Promise<string>((resolve, reject) => {
    lines.once('line', resolve);
    void exited.then(([code, signal]) => reject(new Error(`vigil ${args.join(' ')} exited (${code ?? signal}) before it was ready:\n${stderr}`)));
  });
  if (options.onLine) lines.on('line', options.onLine);
  return {
    child,
    ready: JSON.parse(first) as Ready,
    exited,
    stderr: () => stderr,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return (await exited)[0];
    },
  };
}

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a one-shot `vigil <args>` to completion. */
export async function runCli(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const [code] = (await once(child, 'close')) as [number | null];
  return { code, stdout, stderr };
}

/** Runs a node CLI command against `nodeDir` and returns its JSON answer (asserting exit 0). */
export async function cliJson<T = Record<string, unknown>>(nodeDir: string, ...args: string[]): Promise<T> {
  const r = await runCli([...args, '--node-dir', nodeDir]);
  assert.equal(r.code, 0, `vigil ${args.join(' ')} failed: ${r.stderr}`);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 1, `expected one JSON line, got: ${r.stdout}`);
  return JSON.parse(lines[0]!) as T;
}

export function tempDir(label: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), `vigil-${label}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export type Listening = { listening: { host: string; port: number }; node_id?: string; cookie?: string | null };
export type NodeReady = { listening: { peer: { host: string; port: number }; api: { host: string; port: number } }; node_id: string };

export async function startChain(dir: string): Promise<Proc<Listening>> {
  return startCli<Listening>(['chain', '--data-dir', dir, '--port', '0', '--log-level', 'warn']);
}

/** One person's signing side: an initialised emulator and signer, both running. */
export interface SigningSide {
  readonly emulatorDir: string;
  readonly signerDir: string;
  emulator: Proc<Listening>;
  signer: Proc<Listening>;
  /** host:port of the signer. */
  signerAddress(): string;
  restartSigner(): Promise<void>;
  stop(): Promise<void>;
}

export async function startSigningSide(base: string): Promise<SigningSide> {
  const emulatorDir = join(base, 'hsm');
  const signerDir = join(base, 'signer');
  mkdirSync(base, { recursive: true });
  const init = await runCli(['hsm-emulator', 'init', '--data-dir', emulatorDir], PASSPHRASE_ENV);
  assert.equal(init.code, 0, init.stderr);
  const emulator = await startCli<Listening>(['hsm-emulator', '--data-dir', emulatorDir, '--port', '0', '--screen', 'approve-all', '--log-level', 'warn'], PASSPHRASE_ENV);
  const signerInit = await runCli(['signer', 'init', '--data-dir', signerDir, '--network', 'regtest']);
  assert.equal(signerInit.code, 0, signerInit.stderr);
  const startSigner = () => startCli<Listening>(['signer', 'run', '--data-dir', signerDir, '--device-port', String(emulator.ready.listening.port), '--log-level', 'warn']);
  const side: SigningSide = {
    emulatorDir,
    signerDir,
    emulator,
    signer: await startSigner(),
    signerAddress: () => `127.0.0.1:${side.signer.ready.listening.port}`,
    async restartSigner() {
      await side.signer.stop();
      side.signer = await startSigner();
    },
    async stop() {
      await side.signer.stop();
      await side.emulator.stop();
    },
  };
  return side;
}

/** `vigil node` arguments for a node in `nodeDir` on this chain and signer. */
export function nodeArgs(nodeDir: string, chain: Proc<Listening>, side: SigningSide, extra: readonly string[] = []): string[] {
  return [
    'node',
    '--data-dir', nodeDir,
    '--signer', side.signerAddress(),
    '--signer-tls-dir', join(side.signerDir, 'tls'),
    '--chain-url', `http://127.0.0.1:${chain.ready.listening.port}`,
    '--chain-cookie', chain.ready.cookie!,
    '--listen-port', '0',
    '--poll-ms', '200',
    '--log-level', 'warn',
    ...extra,
  ];
}

export function startNode(nodeDir: string, chain: Proc<Listening>, side: SigningSide, extra: readonly string[] = []): Promise<Proc<NodeReady>> {
  return startCli<NodeReady>(nodeArgs(nodeDir, chain, side, extra));
}

/** Calls `probe` until it returns a value (not undefined) or `ms` pass. */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}
