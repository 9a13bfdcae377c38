// `vigil chain` as a library: open the chain in a data directory, serve bitcoind's JSON-RPC on
// 127.0.0.1, authenticate with a user/password or a bitcoind-style cookie file, stop cleanly.
import { randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, rmSync, statSync, writeFileSync, readdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { Chain } from './chain.js';
import { createRpcHttpServer, type Credentials } from './http.js';
import { dispatch, type RpcContext } from './rpc-methods.js';

export { Chain } from './chain.js';

/** bitcoind's regtest RPC port. */
export const DEFAULT_RPC_PORT = 18443;
/** The user name of cookie authentication (bitcoind's COOKIEAUTH_USER). */
export const COOKIE_USER = '__cookie__';
export const COOKIE_FILE = '.cookie';

export interface ChainServerOptions {
  readonly dataDir: string;
  readonly logger: Logger;
  /** 0 picks a free port; default 18443. */
  readonly port?: number;
  /** Both or neither; without them a cookie file is written in the data directory. */
  readonly rpcUser?: string;
  readonly rpcPassword?: string;
  /** estimatesmartfee's fixed answer, sat/kvB (default 1000 = 0.00001 BTC/kvB). */
  readonly feeRate?: bigint;
  /** -minrelaytxfee, sat/kvB (default 1000). */
  readonly minRelayFeeRate?: bigint;
  /** Default 16 MiB. */
  readonly maxBodyBytes?: number;
  readonly clock?: () => number;
}

export interface ChainServer {
  readonly host: '127.0.0.1';
  readonly port: number;
  readonly url: string;
  /** Set when cookie authentication is in use. */
  readonly cookiePath: string | undefined;
  readonly chain: Chain;
  /** Resolves once the server has stopped (after close(), `stop`, or a signal handled by the caller). */
  readonly stopped: Promise<void>;
  close(): Promise<void>;
}

export class ChainServerError extends Error {
  override readonly name = 'ChainServerError';
}

/** Write `__cookie__:<64 hex>` to `<dataDir>/.cookie`, readable by the owner only, as bitcoind does. */
function writeCookie(dataDir: string): { credentials: Credentials; path: string } {
  const password = randomBytes(32).toString('hex');
  const path = join(dataDir, COOKIE_FILE);
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, `${COOKIE_USER}:${password}`, { mode: 0o600 });
  renameSync(tmp, path);
  return { credentials: { user: COOKIE_USER, password }, path };
}

function dirSize(dir: string): number {
  let total = 0;
  for (const name of readdirSync(dir)) {
    if (!name.startsWith('chain.sqlite')) continue;
    try {
      total += statSync(join(dir, name)).size;
    } catch {
      // a WAL file may come and go
    }
  }
  return total;
}

export async function startChainServer(options: ChainServerOptions): Promise<ChainServer> {
  const log = options.logger;
  if ((options.rpcUser === undefined) !== (options.rpcPassword === undefined)) {
    throw new ChainServerError('rpc user and rpc password go together: give both, or neither for cookie authentication');
  }
  if (options.rpcUser !== undefined && options.rpcUser.includes(':')) throw new ChainServerError('rpc user must not contain ":"');
  mkdirSync(options.dataDir, { recursive: true });
  const chain = Chain.open({ dataDir: options.dataDir, logger: log, clock: options.clock, minRelayFeeRate: options.minRelayFeeRate });

  let cookiePath: string | undefined;
  let credentials: Credentials;
  if (options.rpcUser !== undefined && options.rpcPassword !== undefined) {
    credentials = { user: options.rpcUser, password: options.rpcPassword };
  } else {
    const cookie = writeCookie(options.dataDir);
    credentials = cookie.credentials;
    cookiePath = cookie.path;
  }

  let stopping = false;
  let resolveStopped!: () => void;
  const stopped = new Promise<void>((resolve) => (resolveStopped = resolve));
  // Requests whose response has not finished yet: a stop waits for them.
  let active = 0;
  let idle: (() => void) | undefined;

  const ctx: RpcContext = {
    chain,
    log,
    feeRate: options.feeRate ?? 1000n,
    sizeOnDisk: () => dirSize(options.dataDir),
    requestStop: () => {
      // After the reply to `stop` has been written.
      setImmediate(() => void close());
    },
    get stopping() {
      return stopping;
    },
  };

  const server = createRpcHttpServer({
    credentials,
    maxBodyBytes: options.maxBodyBytes ?? 16 * 1024 * 1024,
    log,
    handle: (method, params) => dispatch(ctx, method, params),
  });
  server.on('request', (_req, res) => {
    active++;
    res.once('close', () => {
      active--;
      if (active === 0 && idle) idle();
    });
  });

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? DEFAULT_RPC_PORT, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (e) {
    chain.close();
    if (cookiePath) rmSync(cookiePath, { force: true });
    throw new ChainServerError(`cannot listen on 127.0.0.1:${options.port ?? DEFAULT_RPC_PORT}: ${(e as Error).message}`);
  }
  const port = (server.address() as AddressInfo).port;

  let closing: Promise<void> | undefined;
  function close(): Promise<void> {
    closing ??= (async () => {
      stopping = true;
      log.info('chain server stopping');
      // No new connections; let the calls under way finish (a long generatetoaddress stops after its current block).
      const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
      if (active > 0) await new Promise<void>((resolve) => (idle = resolve));
      server.closeIdleConnections();
      server.closeAllConnections();
      await serverClosed;
      chain.close();
      if (cookiePath) rmSync(cookiePath, { force: true });
      log.info({ height: chain.height }, 'chain server stopped');
      resolveStopped();
    })();
    return closing;
  }

  log.info({ host: '127.0.0.1', port, dataDir: options.dataDir, auth: cookiePath ? 'cookie' : 'user/password' }, 'chain server listening');
  return { host: '127.0.0.1', port, url: `http://127.0.0.1:${port}`, cookiePath, chain, stopped, close };
}
