// Run a TypeScript entry point of this repository in a child process, whether the tests run from the
// sources (tsx) or compiled (dist/): under tsx the child loads tsx too; compiled, it runs the .js beside.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const fromSources = import.meta.url.endsWith('.ts');
const repoRoot = fileURLToPath(new URL(fromSources ? '../../' : '../../../', import.meta.url));

/** `relative` is from the repository root without extension, e.g. `test/helpers/signer-crash-child`. */
export function spawnEntry(relative: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): ChildProcessWithoutNullStreams {
  const file = fromSources ? `${repoRoot}${relative}.ts` : `${repoRoot}dist/${relative}.js`;
  const nodeArgs = fromSources ? ['--import', 'tsx', file, ...args] : [file, ...args];
  return spawn(process.execPath, nodeArgs, { cwd: repoRoot, env, stdio: ['pipe', 'pipe', 'pipe'] });
}

/** Resolves with the first stdout line matching `pattern` (or rejects when the child exits first or `ms` pass). */
export function waitForLine(child: ChildProcessWithoutNullStreams, pattern: RegExp, ms = 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    let stderr = '';
    const timer = setTimeout(() => finish(new Error(`no line matching ${pattern} within ${ms} ms; stderr: ${stderr}`)), ms);
    const onData = (chunk: Buffer): void => {
      buffered += chunk.toString('utf8');
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      const hit = lines.find((l) => pattern.test(l));
      if (hit !== undefined) finish(undefined, hit);
    };
    const onErr = (chunk: Buffer): void => {
      stderr += chunk.toString('utf8');
    };
    const onExit = (code: number | null): void => finish(new Error(`child exited (${code}) before printing ${pattern}; stderr: ${stderr}`));
    function finish(error: Error | undefined, line?: string): void {
      clearTimeout(timer);
      child.stdout.off('data', onData);
      child.stderr.off('data', onErr);
      child.off('exit', onExit);
      if (error) reject(error);
      else resolve(line!);
    }
    child.stdout.on('data', onData);
    child.stderr.on('data', onErr);
    child.on('exit', onExit);
  });
}

/** Waits for the child to exit; resolves with its exit code or signal. */
export function exited(child: ChildProcessWithoutNullStreams): Promise<number | NodeJS.Signals | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  if (child.signalCode !== null) return Promise.resolve(child.signalCode);
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code)));
}
