// Runs the compiled `vigil` CLI as a real child process and waits for the one JSON line a
// server prints on stdout when it is ready ({"listening": ...}). Never sleeps: it waits on the line,
// or fails with the child's stderr when the child exits first.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** dist/bin/vigil.js, seen from a compiled test in dist/test/ or dist/test/helpers/. */
export const VIGIL_CLI = fileURLToPath(new URL('../../bin/vigil.js', import.meta.url));

// Run from the sources (tsx), there is no compiled bin/vigil.js: the child loads tsx and runs the
// command module from cli/commands/ itself, as bin/vigil.ts would.
const fromSources = import.meta.url.endsWith('.ts');
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** The node arguments that run `vigil <args>`, compiled or from the sources. */
export function vigilNodeArgs(args: readonly string[]): string[] {
  if (!fromSources) return [VIGIL_CLI, ...args];
  const [name, ...rest] = args;
  const mod = new URL(`../../cli/commands/${name ?? ''}.ts`, import.meta.url).href;
  const entry = `const { command } = await import(${JSON.stringify(mod)}); process.exitCode = await command.run(process.argv.slice(1));`;
  return ['--import', 'tsx', '--input-type=module', '--eval', entry, '--', ...rest];
}

function spawnVigil(args: readonly string[], env: NodeJS.ProcessEnv, cwd?: string): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, vigilNodeArgs(args), { cwd: cwd ?? (fromSources ? repoRoot : undefined), env: { ...process.env, ...env } });
}

export interface VigilServer<Ready> {
  readonly child: ChildProcessWithoutNullStreams;
  readonly ready: Ready;
  readonly exited: Promise<[number | null, NodeJS.Signals | null]>;
  stderr(): string;
  /** SIGTERM (or the signal given) and wait for the exit. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

const live = new Set<ChildProcessWithoutNullStreams>();
process.once('exit', () => {
  // SIGTERM, not SIGKILL: a `vigil up` left running must get the chance to stop its own children.
  for (const c of live) c.kill('SIGTERM');
});

export interface StartOptions {
  readonly cwd?: string;
  /** Called with every stdout line after the ready line. */
  readonly onLine?: (line: string) => void;
}

export async function startVigil<Ready>(args: readonly string[], env: NodeJS.ProcessEnv = {}, options: StartOptions = {}): Promise<VigilServer<Ready>> {
  const child = spawnVigil(args, env, options.cwd);
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

/** Runs a one-shot `vigil` command to completion. */
export interface VigilResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export async function runVigil(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<VigilResult> {
  const child = spawnVigil(args, env);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const [code] = (await once(child, 'close')) as [number | null];
  return { code, stdout, stderr };
}

export function tempDir(label: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), `vigil-${label}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
