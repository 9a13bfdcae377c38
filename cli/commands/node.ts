// `vigil node`: the keyless Lightning node. Its keys are in the signer; its data directory is a cache.
//   vigil node --data-dir D --signer HOST:PORT --signer-tls-dir T --chain-url http://127.0.0.1:P
//              (--chain-cookie F | --chain-user U --chain-password W)
//              [--listen-host H] [--listen-port N (default 9735)] [--api-port N (default 0: any)]
//              [--poll-ms N] [--log-level L]
// Once it serves it prints one JSON line on stdout:
//   {"listening":{"peer":{"host":H,"port":N},"api":{"host":"127.0.0.1","port":M}},"node_id":"<hex>"}
// and writes D/api.json and D/api.token for the CLI (`vigil getinfo --node-dir D`). SIGINT or SIGTERM
// stop it cleanly. Logs: pino JSON lines on stderr.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import type { Command } from '../command.js';
import { fail, portOption, UsageError } from '../command.js';
import { createNodeLogger } from '../../node/log.js';
import { startNodeDaemon, type NodeDaemonConfig } from '../../node/daemon/daemon.js';

const NAME = 'node';
const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

const options = {
  'data-dir': { type: 'string' },
  signer: { type: 'string' },
  'signer-tls-dir': { type: 'string' },
  'chain-url': { type: 'string' },
  'chain-cookie': { type: 'string' },
  'chain-user': { type: 'string' },
  'chain-password': { type: 'string' },
  'listen-host': { type: 'string' },
  'listen-port': { type: 'string' },
  'api-port': { type: 'string' },
  'poll-ms': { type: 'string' },
  'log-level': { type: 'string' },
} as const;

function required(values: Record<string, string | undefined>, flag: string): string {
  const v = values[flag];
  if (v === undefined || v === '') throw new UsageError(`--${flag} is required`);
  return v;
}

function version(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

function config(values: Record<string, string | undefined>): Omit<NodeDaemonConfig, 'log'> {
  const signer = required(values, 'signer');
  if (!/^[^:\s]+:[0-9]{1,5}$/.test(signer)) throw new UsageError(`--signer must be host:port, got "${signer}"`);
  const chainUrl = required(values, 'chain-url');
  if (!/^http:\/\/[^/\s]+/.test(chainUrl)) throw new UsageError(`--chain-url must be an http:// URL, got "${chainUrl}"`);
  const cookie = values['chain-cookie'];
  const user = values['chain-user'];
  const password = values['chain-password'];
  if ((user === undefined) !== (password === undefined)) throw new UsageError('--chain-user and --chain-password go together');
  if (cookie !== undefined && user !== undefined) throw new UsageError('give --chain-cookie or --chain-user/--chain-password, not both');
  if (cookie === undefined && user === undefined) throw new UsageError('--chain-cookie (or --chain-user and --chain-password) is required');
  const pollText = values['poll-ms'];
  if (pollText !== undefined && (!/^[0-9]+$/.test(pollText) || Number(pollText) < 10 || Number(pollText) > 600_000)) {
    throw new UsageError(`--poll-ms must be 10..600000, got "${pollText}"`);
  }
  const level = values['log-level'];
  if (level !== undefined && !LEVELS.includes(level)) throw new UsageError(`--log-level must be one of ${LEVELS.join(', ')}, got "${level}"`);
  const listenPort = portOption(values['listen-port'], '--listen-port');
  const apiPort = portOption(values['api-port'], '--api-port');
  return {
    dataDir: resolve(required(values, 'data-dir')),
    signerAddress: signer,
    signerTlsDir: resolve(required(values, 'signer-tls-dir')),
    chainUrl,
    ...(cookie !== undefined ? { chainCookieFile: resolve(cookie) } : {}),
    ...(user !== undefined ? { chainUser: user, chainPassword: password } : {}),
    ...(values['listen-host'] !== undefined ? { listenHost: values['listen-host'] } : {}),
    ...(listenPort !== undefined ? { listenPort } : {}),
    ...(apiPort !== undefined ? { apiPort } : {}),
    ...(pollText !== undefined ? { pollMs: Number(pollText) } : {}),
    version: version(),
  };
}

export const command: Command = {
  summary: 'run the keyless Lightning node (keys in the signer; its data directory is a cache)',
  usage:
    '--data-dir D --signer HOST:PORT --signer-tls-dir T --chain-url http://127.0.0.1:P\n' +
    '       (--chain-cookie F | --chain-user U --chain-password W)\n' +
    '       [--listen-host H] [--listen-port N (default 9735)] [--api-port N (default 0: any)] [--poll-ms N] [--log-level L]',
  async run(args) {
    let values: Record<string, string | undefined>;
    let settings: Omit<NodeDaemonConfig, 'log'>;
    try {
      ({ values } = parseArgs({ args: [...args], options, allowPositionals: false, strict: true }));
      settings = config(values);
    } catch (e) {
      return fail(NAME, e instanceof Error ? e.message : String(e));
    }
    // A signal during startup is honoured once the node is up (so what started is closed in order).
    const stopped = new Promise<NodeJS.Signals>((resolveStop) => {
      process.once('SIGINT', () => resolveStop('SIGINT'));
      process.once('SIGTERM', () => resolveStop('SIGTERM'));
    });
    const log = createNodeLogger({ name: 'node', ...(values['log-level'] !== undefined ? { level: values['log-level'] } : {}), destination: pino.destination({ fd: 2, sync: true }) });
    let node;
    try {
      node = await startNodeDaemon({ ...settings, log });
    } catch (e) {
      return fail(NAME, e instanceof Error ? e.message : String(e));
    }
    process.stdout.write(JSON.stringify({ listening: { peer: node.peer, api: node.api }, node_id: node.nodeId }) + '\n');
    const signal = await stopped;
    log.info({ signal }, 'node stopping');
    await node.close();
    log.info('node stopped');
    return 0;
  },
};
