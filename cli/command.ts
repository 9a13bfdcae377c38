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
