// `vigil up [--dir .vigil]`: the embedded default stack, what `npm start` runs. Separate processes:
// the embedded regtest chain, and for alice, bob and carol each an HSM emulator, a signer and a node.
// First run: seeds, signers and node caches are created, each wallet is funded by mining, nodes are
// connected as peers. Later runs reuse every directory as it is (nothing is initialised twice).
// SIGINT (Ctrl-C) or SIGTERM stops every child in the reverse order of their start.
//
// Layout of the stack directory:
//   chain/                   the embedded chain's blocks and UTXO set, and its RPC cookie
//   <name>/hsm/              the emulator's encrypted seed
//   <name>/hsm-passphrase    DEMO CONVENIENCE: the seed's passphrase in a file (mode 0600), so the
//                            stack starts unattended. A real device's passphrase is never on disk.
//   <name>/signer/           the signer's state, policy, audit log and TLS material
//   <name>/node/             the node's cache, api.json and api.token (the CLI's --node-dir)
//   logs/<process>.log       each child's log (pino JSON lines)
//   stack.json               what the first run already did (funded, channels opened)
//
// stdout: one JSON line when everything runs ({"stack": ...}), then how to use the CLI.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import type { Command } from '../command.js';
import { fail, UsageError } from '../command.js';
import { NodeApiClient, NodeApiError, readNodeEndpoint } from '../node-api.js';
import { SEED_FILE_NAME } from '../../hsm-emulator/seed-store.js';
import { paths as signerPaths } from '../../signer/config.js';

const NAME = 'up';
export const DEFAULT_STACK_DIR = '.vigil';
export const STACK_NODES = ['alice', 'bob', 'carol'] as const;
/** Blocks mined on the first run after each node's own coinbase: every first coinbase matures. */
const MATURITY_BLOCKS = 100;
const STOP_TIMEOUT_MS = 15_000;
const START_TIMEOUT_MS = 60_000;

class StackError extends Error {}

/** dist/bin/vigil.js: the children are always the compiled CLI. */
function vigilCli(): string {
  const fromSources = import.meta.url.endsWith('.ts');
  const cli = fileURLToPath(new URL(fromSources ? '../../dist/bin/vigil.js' : '../../bin/vigil.js', import.meta.url));
  if (!existsSync(cli)) throw new StackError(`${cli} is missing: build first (npm run build)`);
  return cli;
}

// ------------------------------------------------------------------ child processes

interface Child {
  readonly name: string;
  readonly process: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stopping: boolean;
}

class Supervisor {
  readonly children: Child[] = [];
  readonly #cli: string;
  readonly #logDir: string;
  #onUnexpectedExit: (child: Child, code: number | null, signal: NodeJS.Signals | null) => void = () => {};

  constructor(cli: string, logDir: string) {
    this.#cli = cli;
    this.#logDir = logDir;
    mkdirSync(logDir, { recursive: true });
  }

  onUnexpectedExit(handler: (child: Child, code: number | null, signal: NodeJS.Signals | null) => void): void {
    this.#onUnexpectedExit = handler;
  }

  logFile(name: string): string {
    return join(this.#logDir, `${name}.log`);
  }

  /** Runs `vigil <args>` to completion (an init step); its output goes to the log. */
  async run(name: string, args: readonly string[]): Promise<void> {
    const log = openSync(this.logFile(name), 'a');
    try {
      const child = spawn(process.execPath, [this.#cli, ...args], { stdio: ['ignore', log, log] });
      const [code, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null];
      if (code !== 0) throw new StackError(`vigil ${args[0]} ${args[1] ?? ''} for ${name} failed (${code ?? signal}); see ${this.logFile(name)}`);
    } finally {
      closeSync(log);
    }
  }

  /**
   * Starts `vigil <args>` in its own process group (so a terminal's Ctrl-C reaches only `vigil up`,
   * which then stops the children in order) and resolves with its ready line, parsed.
   */
  async start<Ready>(name: string, args: readonly string[]): Promise<Ready> {
    const log = openSync(this.logFile(name), 'a');
    const child = spawn(process.execPath, [this.#cli, ...args], { stdio: ['ignore', 'pipe', log], detached: true });
    closeSync(log);
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => child.once('close', (code, signal) => done({ code, signal })));
    const entry: Child = { name, process: child, exited, stopping: false };
    this.children.push(entry);
    const lines = createInterface({ input: child.stdout! });
    const ready = await new Promise<string>((resolveLine, reject) => {
      const timer = setTimeout(() => reject(new StackError(`${name} did not become ready within ${START_TIMEOUT_MS} ms; see ${this.logFile(name)}`)), START_TIMEOUT_MS);
      lines.once('line', (line) => {
        clearTimeout(timer);
        resolveLine(line);
      });
      void exited.then(({ code, signal }) => {
        clearTimeout(timer);
        reject(new StackError(`${name} exited (${code ?? signal}) before it was ready; see ${this.logFile(name)}`));
      });
    });
    lines.on('line', () => {}); // keep draining stdout
    void exited.then(({ code, signal }) => {
      if (!entry.stopping) this.#onUnexpectedExit(entry, code, signal);
    });
    try {
      return JSON.parse(ready) as Ready;
    } catch {
      throw new StackError(`${name} printed "${ready.slice(0, 200)}" instead of its ready JSON line`);
    }
  }

  /** Stops every child, last started first: SIGINT, then SIGKILL after STOP_TIMEOUT_MS. */
  async stopAll(report: (line: string) => void): Promise<void> {
    for (const child of [...this.children].reverse()) {
      child.stopping = true;
      if (child.process.exitCode === null && child.process.signalCode === null) {
        child.process.kill('SIGINT');
        const timer = setTimeout(() => {
          report(`${child.name} did not stop within ${STOP_TIMEOUT_MS} ms: killing it`);
          child.process.kill('SIGKILL');
        }, STOP_TIMEOUT_MS);
        const { code, signal } = await child.exited;
        clearTimeout(timer);
        report(`stopped ${child.name} (${code ?? signal})`);
      }
    }
  }

  /** Last resort when `vigil up` itself exits abnormally: no child outlives it. */
  killAll(): void {
    for (const child of this.children) if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill('SIGKILL');
  }
}

// ------------------------------------------------------------------ the stack

type Listening = { listening: { host: string; port: number }; node_id?: string; cookie?: string | null };
type NodeReady = { listening: { peer: { host: string; port: number }; api: { host: string; port: number } }; node_id: string };

interface StackState {
  funded: boolean;
  channelsOpened: boolean;
}

interface StackNode {
  readonly name: string;
  readonly nodeDir: string;
  readonly nodeId: string;
  readonly peer: { host: string; port: number };
  readonly api: NodeApiClient;
}

function readState(file: string): StackState {
  if (!existsSync(file)) return { funded: false, channelsOpened: false };
  const raw = JSON.parse(readFileSync(file, 'utf8')) as Partial<StackState>;
  return { funded: raw.funded === true, channelsOpened: raw.channelsOpened === true };
}

function writeState(file: string, state: StackState): void {
  writeFileSync(file, JSON.stringify(state, null, 2) + '\n');
}

/** The emulator's passphrase: random, made once, kept in a 0600 file (a demo convenience). */
function demoPassphraseFile(personDir: string): string {
  const file = join(personDir, 'hsm-passphrase');
  if (!existsSync(file)) {
    writeFileSync(file, randomBytes(24).toString('hex') + '\n', { mode: 0o600 });
  }
  chmodSync(file, 0o600);
  return file;
}

async function startPerson(sup: Supervisor, dir: string, name: string, chain: Listening, logLevel: string): Promise<StackNode> {
  const personDir = join(dir, name);
  const hsmDir = join(personDir, 'hsm');
  const signerDir = join(personDir, 'signer');
  const nodeDir = join(personDir, 'node');
  mkdirSync(personDir, { recursive: true, mode: 0o700 });
  const passphraseFile = demoPassphraseFile(personDir);
  if (!existsSync(join(hsmDir, SEED_FILE_NAME))) {
    await sup.run(`${name}-hsm-init`, ['hsm-emulator', 'init', '--data-dir', hsmDir, '--passphrase-file', passphraseFile]);
  }
  const hsm = await sup.start<Listening>(`${name}-hsm`, [
    'hsm-emulator', 'serve', '--data-dir', hsmDir, '--passphrase-file', passphraseFile, '--port', '0', '--screen', 'approve-all', '--log-level', logLevel,
  ]);
  if (!existsSync(signerPaths(signerDir).settings)) {
    await sup.run(`${name}-signer-init`, ['signer', 'init', '--data-dir', signerDir, '--network', 'regtest', '--device-port', String(hsm.listening.port)]);
  }
  const signer = await sup.start<Listening>(`${name}-signer`, [
    'signer', 'run', '--data-dir', signerDir, '--port', '0', '--device-port', String(hsm.listening.port), '--log-level', logLevel,
  ]);
  const node = await sup.start<NodeReady>(`${name}-node`, [
    'node',
    '--data-dir', nodeDir,
    '--signer', `${signer.listening.host}:${signer.listening.port}`,
    '--signer-tls-dir', signerPaths(signerDir).tlsDir,
    '--chain-url', `http://${chain.listening.host}:${chain.listening.port}`,
    '--chain-cookie', chain.cookie!,
    '--listen-port', '0',
    '--api-port', '0',
    '--log-level', logLevel,
  ]);
  return { name, nodeDir, nodeId: node.node_id, peer: node.listening.peer, api: new NodeApiClient(readNodeEndpoint(nodeDir)) };
}

/** First run: one block to each node's wallet, then enough blocks on top for all of them to mature. */
async function fundWallets(nodes: readonly StackNode[], say: (line: string) => void): Promise<void> {
  for (const n of nodes) await n.api.call('Mine', { blocks: 1 }, 120_000);
  const r = await nodes[0]!.api.call('Mine', { blocks: MATURITY_BLOCKS }, 600_000);
  say(`funded ${nodes.map((n) => n.name).join(', ')}: one coinbase each, ${MATURITY_BLOCKS} blocks on top (height ${r['block_height']})`);
}

/** Each node connects to the next one (persistent: they reconnect by themselves after restarts). */
async function connectPeers(nodes: readonly StackNode[]): Promise<void> {
  for (let i = 0; i + 1 < nodes.length; i++) {
    const to = nodes[i + 1]!;
    const address = `${to.nodeId}@${to.peer.host}:${to.peer.port}`;
    try {
      await nodes[i]!.api.call('Connect', { address });
    } catch (e) {
      // Once: a node redialling its peer's address of the previous run may have answered with that dial.
      if (!(e instanceof NodeApiError && e.code === grpc.status.UNAVAILABLE)) throw e;
      await nodes[i]!.api.call('Connect', { address });
    }
  }
}

/**
 * First run: open alice->bob and bob->carol channels, then mine the confirmations (BOLT 2: channel_ready
 * after minimum_depth). A node without channels (OpenChannel answers UNIMPLEMENTED) makes this step
 * say so; it is tried again on the next start.
 */
async function openDefaultChannels(nodes: readonly StackNode[], say: (line: string) => void): Promise<boolean> {
  const opened: string[] = [];
  for (let i = 0; i + 1 < nodes.length; i++) {
    const from = nodes[i]!;
    const to = nodes[i + 1]!;
    try {
      const r = await from.api.call('OpenChannel', { node_id: to.nodeId, amount_sat: '1000000' }, 300_000);
      opened.push(`${from.name}->${to.name} ${r['channel_id']}`);
    } catch (e) {
      if (e instanceof NodeApiError && e.code === grpc.status.UNIMPLEMENTED) {
        say(`channels: not opened: ${e.details}`);
        return false;
      }
      throw e;
    }
  }
  // BOLT 2: channel_ready after the funding transactions confirm.
  await nodes[0]!.api.call('Mine', { blocks: 6 }, 120_000);
  say(`channels opened: ${opened.join(', ')}`);
  return true;
}

function usageText(dir: string, nodes: readonly StackNode[]): string {
  const rel = relative(process.cwd(), dir) || '.';
  const lines = [
    '',
    `Vigil stack running in ${rel} (regtest). Use the CLI against any node:`,
    '',
  ];
  for (const n of nodes) lines.push(`  ${n.name.padEnd(6)} ${n.nodeId}@${n.peer.host}:${n.peer.port}`);
  lines.push(
    '',
    `  npx vigil getinfo     --node-dir ${join(rel, 'alice', 'node')}`,
    `  npx vigil listpeers   --node-dir ${join(rel, 'bob', 'node')}`,
    `  npx vigil balance     --node-dir ${join(rel, 'carol', 'node')}`,
    `  npx vigil newaddress  --node-dir ${join(rel, 'alice', 'node')}`,
    `  npx vigil mine 6      --node-dir ${join(rel, 'alice', 'node')}`,
    `  npx vigil connect <pubkey>@127.0.0.1:<port> --node-dir ${join(rel, 'alice', 'node')}`,
    '',
    `Without --node-dir the CLI talks to ${join(DEFAULT_STACK_DIR, 'alice', 'node')}. Logs: ${join(rel, 'logs')}/. Ctrl-C stops everything.`,
    '',
  );
  return lines.join('\n');
}

export const command: Command = {
  summary: 'run the default local stack: embedded chain, and alice, bob, carol (HSM emulator, signer, node each)',
  usage: `[--dir D (default ${DEFAULT_STACK_DIR})] [--log-level L (children's, default info)]`,
  async run(args) {
    let dir: string;
    let logLevel: string;
    try {
      const { values } = parseArgs({ args: [...args], options: { dir: { type: 'string' }, 'log-level': { type: 'string' } }, allowPositionals: false, strict: true });
      dir = resolve(values.dir ?? DEFAULT_STACK_DIR);
      logLevel = values['log-level'] ?? 'info';
      if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(logLevel)) throw new UsageError(`--log-level: unknown level "${logLevel}"`);
    } catch (e) {
      return fail(NAME, (e as Error).message);
    }
    const say = (line: string): void => {
      process.stderr.write(`vigil up: ${line}\n`);
    };
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    let sup: Supervisor;
    try {
      sup = new Supervisor(vigilCli(), join(dir, 'logs'));
    } catch (e) {
      return fail(NAME, (e as Error).message);
    }
    const killOnExit = (): void => sup.killAll();
    process.on('exit', killOnExit);

    // A signal may come at any moment, also while starting: then stop what runs and leave.
    let stopRequested: (reason: string) => void = () => {};
    const stop = new Promise<string>((resolveStop) => (stopRequested = resolveStop));
    const onSignal = (signal: NodeJS.Signals): void => stopRequested(signal);
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    sup.onUnexpectedExit((child, code, signal) => stopRequested(`${child.name} exited unexpectedly (${code ?? signal}); see ${sup.logFile(child.name)}`));

    const nodes: StackNode[] = [];
    let exitCode = 0;
    try {
      const startup = (async () => {
        const chain = await sup.start<Listening>('chain', ['chain', '--data-dir', join(dir, 'chain'), '--port', '0', '--log-level', logLevel]);
        if (!chain.cookie) throw new StackError('the chain printed no cookie file');
        say(`chain listening on ${chain.listening.host}:${chain.listening.port}`);
        // The three people start side by side; each one's emulator, signer and node in that order.
        const started = await Promise.allSettled(STACK_NODES.map((name) => startPerson(sup, dir, name, chain, logLevel)));
        for (const r of started) if (r.status === 'fulfilled') nodes.push(r.value);
        const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
        if (failed) throw failed.reason;
        for (const node of nodes) say(`${node.name}: node ${node.nodeId} on ${node.peer.host}:${node.peer.port}`);
        const stateFile = join(dir, 'stack.json');
        const state = readState(stateFile);
        if (!state.funded) {
          await fundWallets(nodes, say);
          state.funded = true;
          writeState(stateFile, state);
        }
        await connectPeers(nodes);
        if (!state.channelsOpened) {
          state.channelsOpened = await openDefaultChannels(nodes, say);
          writeState(stateFile, state);
        }
        process.stdout.write(
          JSON.stringify({
            stack: {
              dir,
              chain: { url: `http://${chain.listening.host}:${chain.listening.port}`, cookie: chain.cookie },
              nodes: Object.fromEntries(nodes.map((n) => [n.name, { node_id: n.nodeId, peer: n.peer, node_dir: n.nodeDir }])),
              processes: sup.children.map((c) => ({ name: c.name, pid: c.process.pid })),
            },
          }) + '\n',
        );
        process.stdout.write(usageText(dir, nodes));
      })();
      const first = await Promise.race([startup.then(() => null), stop]);
      if (first !== null) {
        say(`stopping before the stack was up: ${first}`);
        startup.catch(() => {}); // its failure, if any, is a consequence of the stop
        exitCode = first === 'SIGINT' || first === 'SIGTERM' ? 0 : 1;
      } else {
        const reason = await stop;
        say(`stopping (${reason})`);
        exitCode = reason === 'SIGINT' || reason === 'SIGTERM' ? 0 : 1;
      }
    } catch (e) {
      say(`failed: ${(e as Error).message}`);
      exitCode = 1;
    } finally {
      for (const n of nodes) n.api.close();
      await sup.stopAll(say);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      process.off('exit', killOnExit);
    }
    if (exitCode === 0) say('stopped cleanly');
    return exitCode;
  },
};
