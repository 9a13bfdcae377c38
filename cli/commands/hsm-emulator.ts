// `vigil hsm-emulator`: the bundled signing device (proto/device-protocol.md).
//   vigil hsm-emulator init --data-dir D [--mnemonic-file F] [--passphrase-file P] [--show-mnemonic]
//   vigil hsm-emulator [serve] --data-dir D [--port N] [--host H] [--passphrase-file P]
//                      [--screen console|automation|approve-all|reject-all] [--automation-port N] [--log-level L]
// The passphrase comes from --passphrase-file, else from the environment variable VIGIL_HSM_PASSPHRASE.
// Serving prints one JSON line on stdout once both listeners are up:
//   {"listening":{"host":"127.0.0.1","port":N[,"automation":{"host":"127.0.0.1","port":M}]}}
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { generateMnemonic } from '@scure/bip39';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import type { LevelWithSilent } from 'pino';
import type { Command } from '../command.js';
import { fail, portOption, UsageError } from '../command.js';
import { SCREEN_MODES, startEmulator, type ScreenMode } from '../../hsm-emulator/emulator.js';
import { Keyring } from '../../hsm-emulator/keyring.js';
import { createLogger, LOG_LEVELS } from '../../hsm-emulator/log.js';
import { createSeedFile, normaliseMnemonic, SeedFileError } from '../../hsm-emulator/seed-store.js';

const NAME = 'hsm-emulator';
export const PASSPHRASE_ENV = 'VIGIL_HSM_PASSPHRASE';

const options = {
  'data-dir': { type: 'string' },
  'passphrase-file': { type: 'string' },
  'mnemonic-file': { type: 'string' },
  'show-mnemonic': { type: 'boolean' },
  port: { type: 'string' },
  host: { type: 'string' },
  screen: { type: 'string' },
  'automation-port': { type: 'string' },
  'log-level': { type: 'string' },
} as const;

/** The passphrase from --passphrase-file (one trailing newline dropped) or VIGIL_HSM_PASSPHRASE. */
function readPassphrase(file: string | undefined): string {
  let passphrase: string | undefined;
  if (file !== undefined) {
    try {
      passphrase = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
    } catch (e) {
      throw new UsageError(`--passphrase-file ${file}: cannot read: ${(e as Error).message}`);
    }
  } else {
    passphrase = process.env[PASSPHRASE_ENV];
  }
  // Nothing later in this process needs it in the environment (child processes would inherit it).
  delete process.env[PASSPHRASE_ENV];
  if (passphrase === undefined) throw new UsageError(`no passphrase: set ${PASSPHRASE_ENV} or pass --passphrase-file`);
  if (passphrase.length === 0) throw new UsageError('the passphrase is empty');
  return passphrase;
}

function fingerprintHex(fingerprint: number): string {
  return fingerprint.toString(16).padStart(8, '0');
}

type Values = ReturnType<typeof parseArgs<{ options: typeof options; allowPositionals: true }>>['values'];

function init(values: Values): number {
  const dataDir = values['data-dir']!;
  const passphrase = readPassphrase(values['passphrase-file']);
  let mnemonic: string;
  const file = values['mnemonic-file'];
  if (file !== undefined) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new UsageError(`--mnemonic-file ${file}: cannot read: ${(e as Error).message}`);
    }
    mnemonic = normaliseMnemonic(text, `--mnemonic-file ${file}`);
  } else {
    mnemonic = generateMnemonic(wordlist, 256);
  }
  const seedFile = createSeedFile(dataDir, mnemonic, passphrase);
  const keyring = Keyring.fromMnemonic(mnemonic);
  const fingerprint = fingerprintHex(keyring.fingerprint);
  keyring.wipe();
  const out: Record<string, unknown> = { seedFile, fingerprint, words: mnemonic.split(' ').length, generated: file === undefined };
  // The device shows a generated mnemonic once, when asked: it is the only backup of the seed.
  if (values['show-mnemonic']) out['mnemonic'] = mnemonic;
  process.stdout.write(JSON.stringify({ initialized: out }) + '\n');
  if (file === undefined && !values['show-mnemonic']) {
    process.stderr.write(`vigil ${NAME}: a new mnemonic was generated and not shown; its only copy is the encrypted seed file\n`);
  }
  return 0;
}

async function serve(values: Values): Promise<number> {
  const screen = (values.screen ?? 'console') as ScreenMode;
  if (!SCREEN_MODES.includes(screen)) throw new UsageError(`--screen must be one of ${SCREEN_MODES.join(', ')}, got "${values.screen}"`);
  const level = (values['log-level'] ?? 'info') as LevelWithSilent;
  if (!LOG_LEVELS.includes(level)) throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}, got "${level}"`);
  const automationPort = portOption(values['automation-port'], '--automation-port');
  const passphrase = readPassphrase(values['passphrase-file']);
  const log = createLogger(level);
  const emulator = await startEmulator({
    dataDir: values['data-dir']!,
    passphrase,
    host: values.host ?? '127.0.0.1',
    port: portOption(values.port, '--port') ?? 0,
    screen,
    automationPort,
    log,
  });
  const listening: Record<string, unknown> = { host: emulator.device.address, port: emulator.device.port };
  if (emulator.automation) listening['automation'] = { host: emulator.automation.address, port: emulator.automation.port };
  process.stdout.write(JSON.stringify({ listening }) + '\n');

  await new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals): void => {
      log.info({ signal }, 'stopping');
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await emulator.close();
  // stdin may still be held by the console screen's reader.
  process.stdin.destroy();
  return 0;
}

export const command: Command = {
  summary: 'run the bundled HSM emulator (the signing device), or init its encrypted seed',
  usage:
    'init --data-dir D [--mnemonic-file F] [--passphrase-file P] [--show-mnemonic]\n' +
    `       vigil ${NAME} [serve] --data-dir D [--port N] [--host H] [--passphrase-file P]\n` +
    `             [--screen ${SCREEN_MODES.join('|')}] [--automation-port N] [--log-level L]\n` +
    `passphrase: --passphrase-file, else the environment variable ${PASSPHRASE_ENV}`,
  async run(args) {
    let parsed;
    try {
      parsed = parseArgs({ args: [...args], options, allowPositionals: true, strict: true });
    } catch (e) {
      return fail(NAME, (e as Error).message);
    }
    const [sub = 'serve', ...extra] = parsed.positionals;
    try {
      if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
      if (sub !== 'init' && sub !== 'serve') throw new UsageError(`unknown subcommand "${sub}" (init, serve)`);
      if (parsed.values['data-dir'] === undefined) throw new UsageError('--data-dir is required');
      if (sub === 'init') {
        for (const flag of ['port', 'host', 'screen', 'automation-port', 'log-level'] as const) {
          if (parsed.values[flag] !== undefined) throw new UsageError(`--${flag} is for serving, not init`);
        }
        return init(parsed.values);
      }
      for (const flag of ['mnemonic-file', 'show-mnemonic'] as const) {
        if (parsed.values[flag] !== undefined) throw new UsageError(`--${flag} is for init`);
      }
      return await serve(parsed.values);
    } catch (e) {
      if (e instanceof UsageError || e instanceof SeedFileError) return fail(NAME, e.message);
      return fail(NAME, `${(e as Error).message}`);
    }
  },
};
