// `vigil chain`: the embedded regtest chain, serving the subset of bitcoind's JSON-RPC the node uses.
//   vigil chain --data-dir D [--port P] [--rpc-user U --rpc-password W] [--fee-rate BTC/kvB] [--log-level L]
// Without --rpc-user/--rpc-password it writes a bitcoind-style cookie file D/.cookie. Once it
// serves it prints one JSON line on stdout:
//   {"listening":{"host":"127.0.0.1","port":N},"cookie":"<path>"}   ("cookie" is null with a user/password)
// SIGINT, SIGTERM or the `stop` RPC stop it cleanly (exit 0). Logs: pino JSON lines on stderr.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { pino, type LevelWithSilent } from 'pino';
import type { Command } from '../command.js';
import { fail, portOption, UsageError } from '../command.js';
import { amountFromJson } from '../../node/chain/server/amount.js';
import { DEFAULT_RPC_PORT, startChainServer } from '../../node/chain/server/index.js';

const NAME = 'chain';

const options = {
  'data-dir': { type: 'string' },
  port: { type: 'string' },
  'rpc-user': { type: 'string' },
  'rpc-password': { type: 'string' },
  'fee-rate': { type: 'string' },
  'log-level': { type: 'string' },
} as const;

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export const command: Command = {
  summary: 'the embedded regtest chain: bitcoind JSON-RPC on 127.0.0.1, stored in a data directory',
  usage: `--data-dir D [--port P (default ${DEFAULT_RPC_PORT}, 0: any)] [--rpc-user U --rpc-password W] [--fee-rate BTC/kvB] [--log-level L]`,
  async run(args) {
    let values: Record<string, string | undefined>;
    let port: number;
    let feeRate: bigint;
    try {
      ({ values } = parseArgs({ args: [...args], options, allowPositionals: false, strict: true }));
      if (values['data-dir'] === undefined) throw new UsageError('--data-dir is required');
      port = portOption(values['port'], '--port') ?? DEFAULT_RPC_PORT;
      if ((values['rpc-user'] === undefined) !== (values['rpc-password'] === undefined)) throw new UsageError('--rpc-user and --rpc-password go together');
      feeRate = values['fee-rate'] === undefined ? 1000n : amountFromJson(values['fee-rate'], '--fee-rate');
      if (feeRate <= 0n) throw new UsageError(`--fee-rate must be positive, got ${values['fee-rate']}`);
      if (values['log-level'] !== undefined && !LEVELS.includes(values['log-level'])) throw new UsageError(`--log-level must be one of ${LEVELS.join(', ')}`);
    } catch (e) {
      return fail(NAME, e instanceof Error ? e.message : String(e));
    }
    const log = pino({ name: 'chain', level: (values['log-level'] ?? 'info') as LevelWithSilent }, pino.destination({ fd: 2, sync: true }));
    let server;
    try {
      server = await startChainServer({
        dataDir: resolve(values['data-dir']!),
        port,
        rpcUser: values['rpc-user'],
        rpcPassword: values['rpc-password'],
        feeRate,
        logger: log,
      });
    } catch (e) {
      return fail(NAME, e instanceof Error ? e.message : String(e));
    }
    const stopOnSignal = (signal: NodeJS.Signals) => {
      log.info({ signal }, 'signal received');
      void server.close();
    };
    process.once('SIGINT', stopOnSignal);
    process.once('SIGTERM', stopOnSignal);
    process.stdout.write(JSON.stringify({ listening: { host: server.host, port: server.port }, cookie: server.cookiePath ?? null }) + '\n');
    await server.stopped;
    process.off('SIGINT', stopOnSignal);
    process.off('SIGTERM', stopOnSignal);
    return 0;
  },
};
