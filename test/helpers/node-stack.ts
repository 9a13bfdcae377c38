// Real processes for the node tests: `vigil` children started with ./vigil-process.ts (they print one
// ready JSON line), and the pieces of one
// node's stack: embedded chain, HSM emulator, signer, node. Never sleeps: it waits on ready lines,
// on exits, or polls with a deadline.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runVigil as runCli, startVigil as startCli, type VigilResult, type VigilServer } from './vigil-process.js';

export const PASSPHRASE_ENV = { VIGIL_HSM_PASSPHRASE: 'node test passphrase' };

/** A started `vigil` server process (one launcher for every test: ./vigil-process.ts). */
export type Proc<Ready> = VigilServer<Ready>;
export type CliResult = VigilResult;
export { startVigil as startCli, runVigil as runCli, tempDir } from './vigil-process.js';

/** Runs a node CLI command against `nodeDir` and returns its JSON answer (asserting exit 0). */
export async function cliJson<T = Record<string, unknown>>(nodeDir: string, ...args: string[]): Promise<T> {
  const r = await runCli([...args, '--node-dir', nodeDir]);
  assert.equal(r.code, 0, `vigil ${args.join(' ')} failed: ${r.stderr}`);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 1, `expected one JSON line, got: ${r.stdout}`);
  return JSON.parse(lines[0]!) as T;
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
  /** Stops the signer (SIGTERM, or SIGKILL for a crash) and starts it again on the same port. */
  restartSigner(signal?: NodeJS.Signals): Promise<void>;
  stop(): Promise<void>;
}

export interface SigningSideOptions {
  /** limits.daily of the signer's policy.yaml (the default policy allows 1,000,000 sat a day). */
  readonly dailyLimitSat?: bigint;
}

export async function startSigningSide(base: string, options: SigningSideOptions = {}): Promise<SigningSide> {
  const emulatorDir = join(base, 'hsm');
  const signerDir = join(base, 'signer');
  mkdirSync(base, { recursive: true });
  const init = await runCli(['hsm-emulator', 'init', '--data-dir', emulatorDir], PASSPHRASE_ENV);
  assert.equal(init.code, 0, init.stderr);
  const emulator = await startCli<Listening>(['hsm-emulator', '--data-dir', emulatorDir, '--port', '0', '--screen', 'approve-all', '--log-level', 'warn'], PASSPHRASE_ENV);
  const signerInit = await runCli(['signer', 'init', '--data-dir', signerDir, '--network', 'regtest']);
  assert.equal(signerInit.code, 0, signerInit.stderr);
  if (options.dailyLimitSat !== undefined) {
    const policyFile = join(signerDir, 'policy.yaml');
    const policy = readFileSync(policyFile, 'utf8');
    assert.match(policy, /^  daily: \d+ sat$/m);
    writeFileSync(policyFile, policy.replace(/^  daily: \d+ sat$/m, `  daily: ${options.dailyLimitSat} sat`));
  }
  // A restarted signer takes the port it had, so the node that knows its address reconnects by itself.
  const startSigner = (port = 0) =>
    startCli<Listening>(['signer', 'run', '--data-dir', signerDir, '--port', String(port), '--device-port', String(emulator.ready.listening.port), '--log-level', 'warn']);
  const side: SigningSide = {
    emulatorDir,
    signerDir,
    emulator,
    signer: await startSigner(),
    signerAddress: () => `127.0.0.1:${side.signer.ready.listening.port}`,
    async restartSigner(signal: NodeJS.Signals = 'SIGTERM') {
      const port = side.signer.ready.listening.port;
      await side.signer.stop(signal);
      side.signer = await startSigner(port);
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

export function startNode(nodeDir: string, chain: Proc<Listening>, side: SigningSide, extra: readonly string[] = [], env: NodeJS.ProcessEnv = {}): Promise<Proc<NodeReady>> {
  return startCli<NodeReady>(nodeArgs(nodeDir, chain, side, extra), env);
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
