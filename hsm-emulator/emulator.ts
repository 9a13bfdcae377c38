// The emulated device as a whole: unlock the seed, then serve the device protocol on TCP, with a
// screen whose buttons are the console, the automation endpoint, or a fixed rule.
import type { AddressInfo } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import type { Logger } from 'pino';
import { startAutomationServer, type AutomationServer } from './automation.js';
import { attachConsoleButtons, type ConsoleButtons } from './console-buttons.js';
import { Keyring } from './keyring.js';
import { Screen, type ScreenRule } from './screen.js';
import { readSeedFile } from './seed-store.js';
import { startDeviceServer, type DeviceServer } from './server.js';

/** How confirmations are answered: a person at the console, the automation endpoint only, or a rule. */
export type ScreenMode = 'console' | 'automation' | ScreenRule;
export const SCREEN_MODES: readonly ScreenMode[] = ['console', 'automation', 'approve-all', 'reject-all'];

export interface EmulatorOptions {
  readonly dataDir: string;
  readonly passphrase: string;
  /** Device protocol listener; 127.0.0.1 unless told otherwise. Port 0 picks a free one. */
  readonly host: string;
  readonly port: number;
  readonly screen: ScreenMode;
  /** Automation endpoint port on 127.0.0.1 (0 picks one); undefined runs none. */
  readonly automationPort: number | undefined;
  readonly log: Logger;
  /** The console's input and output for `--screen console`. */
  readonly consoleInput?: Readable;
  readonly consoleOutput?: Writable;
}

export interface RunningEmulator {
  readonly device: AddressInfo;
  readonly automation: AddressInfo | undefined;
  readonly fingerprint: number;
  close(): Promise<void>;
}

export async function startEmulator(opts: EmulatorOptions): Promise<RunningEmulator> {
  if (opts.screen === 'automation' && opts.automationPort === undefined) {
    throw new Error('--screen automation needs --automation-port');
  }
  // Throws SeedFileError naming the file (wrong passphrase, modified, truncated); writes nothing.
  const mnemonic = readSeedFile(opts.dataDir, opts.passphrase);
  const keyring = Keyring.fromMnemonic(mnemonic);
  const rule = opts.screen === 'approve-all' || opts.screen === 'reject-all' ? opts.screen : undefined;
  const screen = new Screen(rule);
  screen.on('show', (c) => opts.log.info({ confirmation: c.id, text: c.text }, 'screen shows'));
  screen.on('settled', (c, decision) => opts.log.info({ confirmation: c.id, decision }, 'screen answered'));

  let consoleButtons: ConsoleButtons | undefined;
  let automation: AutomationServer | undefined;
  let device: DeviceServer | undefined;
  try {
    if (opts.screen === 'console') consoleButtons = attachConsoleButtons(screen, opts.consoleInput ?? process.stdin, opts.consoleOutput ?? process.stderr);
    if (opts.automationPort !== undefined) automation = await startAutomationServer(screen, '127.0.0.1', opts.automationPort, opts.log);
    device = await startDeviceServer({ keyring, screen }, opts.host, opts.port, opts.log);
  } catch (e) {
    consoleButtons?.close();
    await automation?.close();
    keyring.wipe();
    throw e;
  }
  if (opts.host !== '127.0.0.1' && opts.host !== '::1' && opts.host !== 'localhost') {
    opts.log.warn({ host: opts.host }, 'the device protocol is unauthenticated and listens beyond loopback');
  }
  opts.log.info(
    { host: device.address.address, port: device.address.port, automationPort: automation?.address.port, screen: opts.screen },
    'listening',
  );
  const running = device;
  let closing: Promise<void> | undefined;
  return {
    device: device.address,
    automation: automation?.address,
    fingerprint: keyring.fingerprint,
    close() {
      closing ??= (async () => {
        screen.clear();
        consoleButtons?.close();
        await Promise.all([running.close(), automation?.close()]);
        keyring.wipe();
        opts.log.info('stopped');
      })();
      return closing;
    },
  };
}
