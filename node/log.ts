// The node's structured logger: pino, one JSON object per line. Modules take a `Logger` and make a
// child with their own bindings (`logger.child({ module: 'peer', peer: nodeIdHex })`).
// Never log secrets: key material, preimages, seeds. The redaction list below is a last guard,
// not a licence to pass such values in.
import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

export interface NodeLoggerOptions {
  /** pino level name; default `VIGIL_LOG_LEVEL` from the environment, else 'info'. */
  readonly level?: string;
  /** The `name` field on every line; default 'vigil-node'. */
  readonly name?: string;
  /** Where lines go; default standard output. Anything with `write(line)` works. */
  readonly destination?: DestinationStream;
}

/** Field names that must never reach a log line, at the top level or one object down. */
const SECRET_FIELDS = ['privateKey', 'secret', 'seed', 'preimage', 'paymentPreimage', 'perCommitmentSecret', 'mnemonic'];

export function createNodeLogger(options: NodeLoggerOptions = {}): Logger {
  const config: LoggerOptions = {
    name: options.name ?? 'vigil-node',
    level: options.level ?? process.env['VIGIL_LOG_LEVEL'] ?? 'info',
    redact: { paths: SECRET_FIELDS.flatMap((f) => [f, `*.${f}`]), censor: '[redacted]' },
  };
  return options.destination === undefined ? pino(config) : pino(config, options.destination);
}

/** A logger that writes nothing (the default where a caller passes none). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
