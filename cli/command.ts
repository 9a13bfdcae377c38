// The shape every `vigil` subcommand module exports as `command`.
export interface Command {
  /** One line for `vigil help`. */
  readonly summary: string;
  /** Argument synopsis after the command name. */
  readonly usage: string;
  /** Returns the process exit code. Output goes to stdout; one-line errors to stderr. */
  run(args: readonly string[]): Promise<number>;
}

/** Prints a one-line error naming what was wrong and returns exit code 1. */
export function fail(command: string, message: string): number {
  process.stderr.write(`vigil ${command}: ${message}\n`);
  return 1;
}

/** A command-line mistake: the command prints its message as one line and exits 1. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A `--flag` port value (0 = any free port); undefined when the flag is absent. */
export function portOption(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^[0-9]{1,5}$/.test(text) || Number(text) > 65535) throw new UsageError(`${flag} must be a port number 0..65535, got "${text}"`);
  return Number(text);
}
