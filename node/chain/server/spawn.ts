// Start `vigil chain` as a child process and wait for its "listening" line: how the stack
// launcher (and the tests) run the embedded chain, as a separate process spoken to over HTTP.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { BitcoindRpcClient } from '../rpc-client.js';

export interface SpawnChainOptions {
  /** Path of the compiled CLI, dist/bin/vigil.js. */
  readonly cliPath: string;
  readonly dataDir: string;
  /** Default 0: any free port. */
  readonly port?: number;
  readonly rpcUser?: string;
  readonly rpcPassword?: string;
  readonly extraArgs?: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  /** How long to wait for the listening line; default 30 s. */
  readonly startTimeoutMs?: number;
  /** Called with each line the chain logs on stderr. */
  readonly onLog?: (line: string) => void;
}

export interface SpawnedChain {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly host: string;
  readonly port: number;
  readonly url: string;
  /** The cookie file, when no user/password was given. */
  readonly cookiePath: string | null;
  /** Everything the process wrote on stderr so far. */
  stderr(): string;
  /** Resolves when the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** A client with this chain's credentials. */
  client(timeoutMs?: number): BitcoindRpcClient;
  /** SIGTERM, then wait for the exit. */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export class ChainSpawnError extends Error {
  override readonly name = 'ChainSpawnError';
}

export function spawnChain(options: SpawnChainOptions): Promise<SpawnedChain> {
  const args = [options.cliPath, 'chain', '--data-dir', options.dataDir, '--port', String(options.port ?? 0)];
  if (options.rpcUser !== undefined && options.rpcPassword !== undefined) args.push('--rpc-user', options.rpcUser, '--rpc-password', options.rpcPassword);
  args.push(...(options.extraArgs ?? []));
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: options.env ?? process.env });
  let stderrText = '';
  const stderrLines = createInterface({ input: child.stderr! });
  stderrLines.on('line', (line) => {
    stderrText += line + '\n';
    options.onLog?.(line);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
  const timeoutMs = options.startTimeoutMs ?? 30_000;

  return new Promise<SpawnedChain>((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      child.kill('SIGKILL');
      reject(new ChainSpawnError(`vigil chain did not print its listening line within ${timeoutMs} ms; stderr:\n${stderrText}`));
    }, timeoutMs);
    const stdoutLines = createInterface({ input: child.stdout! });
    stdoutLines.on('line', (line) => {
      if (settled) return;
      let parsed: { listening?: { host: string; port: number }; cookie?: string | null };
      try {
        parsed = JSON.parse(line) as typeof parsed;
      } catch {
        return;
      }
      if (!parsed.listening) return;
      settled = true;
      clearTimeout(timer);
      const { host, port } = parsed.listening;
      const url = `http://${host}:${port}`;
      const cookiePath = parsed.cookie ?? null;
      resolve({
        child,
        pid: child.pid!,
        host,
        port,
        url,
        cookiePath,
        stderr: () => stderrText,
        exited,
        client: (clientTimeoutMs?: number) =>
          new BitcoindRpcClient(
            cookiePath !== null
              ? { url, cookieFile: cookiePath, timeoutMs: clientTimeoutMs }
              : { url, user: options.rpcUser, password: options.rpcPassword, timeoutMs: clientTimeoutMs },
          ),
        async stop() {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
          return exited;
        },
      });
    });
    void exited.then(({ code, signal }) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(new ChainSpawnError(`vigil chain exited (code ${code}, signal ${signal}) before listening; stderr:\n${stderrText}`));
    });
  });
}
