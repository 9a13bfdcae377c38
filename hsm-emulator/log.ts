// The emulator's structured log: pino, JSON lines on stderr. Call sites log public facts only (paths,
// instruction names, status words); the redaction list is a second line of defence should a field
// with a secret's name ever be passed.
import { pino, type Logger, type LevelWithSilent } from 'pino';

export const LOG_LEVELS: readonly LevelWithSilent[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

const SECRET_FIELDS = ['seed', 'mnemonic', 'passphrase', 'privateKey', 'secret', 'perCommitmentSecret', 'tweak.tweak', 'xprv', 'entropy'];

export function createLogger(level: LevelWithSilent, fd = 2): Logger {
  return pino(
    {
      name: 'hsm-emulator',
      level,
      redact: { paths: [...SECRET_FIELDS, ...SECRET_FIELDS.map((f) => `*.${f}`)], censor: '[redacted]' },
    },
    pino.destination({ fd, sync: true }),
  );
}
