// Serves proto/node.proto over plain gRPC on the loopback interface. Every call must carry the
// metadata `x-vigil-token` equal to the node's API token (D/api.token, 32 random bytes as hex, mode
// 0600, made on first start and kept); anything else is refused with UNAUTHENTICATED before the
// handler runs. Errors become gRPC statuses whose message names what was wrong.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { nodeServiceConstructor, TOKEN_METADATA_KEY } from '../../proto/node-definition.js';
import { BitcoindRpcError, BitcoindTransportError } from '../chain/rpc-client.js';
import type { Logger } from '../log.js';
import { SignerRefusal } from '../signer-client/client.js';
import type { ApiContext, ApiHandler, Message } from './api.js';
import { ApiError } from './errors.js';

export const TOKEN_FILE = 'api.token';
export const API_INFO_FILE = 'api.json';

/** Reads D/api.token, creating it (0600) on the first start. */
export function ensureApiToken(dataDir: string): string {
  const path = join(dataDir, TOKEN_FILE);
  if (existsSync(path)) {
    const token = readFileSync(path, 'utf8').trim();
    if (!/^[0-9a-f]{64}$/.test(token)) throw new Error(`${path}: expected 64 hex characters; delete it to have a new token made`);
    return token;
  }
  const token = randomBytes(32).toString('hex');
  writeFileSync(path, token + '\n', { mode: 0o600 });
  chmodSync(path, 0o600);
  return token;
}

/** Writes D/api.json: where the API listens, for the CLI (`--node-dir`). */
export function writeApiInfo(dataDir: string, host: string, port: number): void {
  const path = join(dataDir, API_INFO_FILE);
  writeFileSync(`${path}.tmp`, JSON.stringify({ host, port }) + '\n');
  renameSync(`${path}.tmp`, path);
}

/** Removes D/api.json when the node stops. */
export function removeApiInfo(dataDir: string): void {
  rmSync(join(dataDir, API_INFO_FILE), { force: true });
}

interface Status {
  readonly code: grpc.status;
  readonly message: string;
}

/** How an error from the daemon's parts reads to an API user. */
export function toStatus(e: unknown): Status & { internal: boolean } {
  if (e instanceof ApiError) return { code: e.grpcStatus, message: e.message, internal: e.code === 'INTERNAL' };
  if (e instanceof SignerRefusal) {
    switch (e.code) {
      case grpc.status.FAILED_PRECONDITION:
      case grpc.status.PERMISSION_DENIED:
        return { code: grpc.status.FAILED_PRECONDITION, message: `the signer refused: ${e.details}`, internal: false };
      case grpc.status.UNAVAILABLE:
      case grpc.status.DEADLINE_EXCEEDED:
        return { code: grpc.status.UNAVAILABLE, message: `the signer is unreachable (${e.method}): ${e.details}`, internal: false };
      case grpc.status.INVALID_ARGUMENT:
        return { code: grpc.status.INTERNAL, message: `the signer rejected the node's ${e.method} request: ${e.details}`, internal: true };
      default:
        return { code: e.code, message: `signer ${e.method}: ${e.details}`, internal: false };
    }
  }
  if (e instanceof BitcoindRpcError) return { code: grpc.status.FAILED_PRECONDITION, message: `chain: ${e.message}`, internal: false };
  if (e instanceof BitcoindTransportError) return { code: grpc.status.UNAVAILABLE, message: `chain: ${e.message}`, internal: false };
  return { code: grpc.status.INTERNAL, message: `internal error: ${e instanceof Error ? e.message : String(e)}`, internal: true };
}

export interface ApiServer {
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

export interface ApiServerOptions {
  readonly context: ApiContext;
  readonly handlers: Readonly<Record<string, ApiHandler>>;
  readonly token: string;
  readonly host: string;
  readonly port: number;
  readonly log: Logger;
}

export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const { context, handlers, log } = options;
  const expected = Buffer.from(options.token, 'utf8');
  const service = nodeServiceConstructor().service;
  const implementation: grpc.UntypedServiceImplementation = {};
  for (const name of Object.keys(service)) {
    const handler = handlers[name];
    if (handler === undefined) throw new Error(`node API: no handler for rpc ${name}`);
    implementation[name] = (call: grpc.ServerUnaryCall<Message, Message>, callback: grpc.sendUnaryData<Message>) => {
      const given = call.metadata.get(TOKEN_METADATA_KEY)[0];
      const givenBytes = Buffer.from(typeof given === 'string' ? given : '', 'utf8');
      if (givenBytes.length !== expected.length || !timingSafeEqual(givenBytes, expected)) {
        log.warn({ rpc: name, peer: call.getPeer() }, 'API call refused: missing or wrong token');
        callback({ code: grpc.status.UNAUTHENTICATED, details: `${TOKEN_METADATA_KEY}: missing or wrong API token (see api.token in the node's data directory)` });
        return;
      }
      handler(context, call.request).then(
        (response) => callback(null, response),
        (e: unknown) => {
          const s = toStatus(e);
          if (s.internal) log.error({ rpc: name, err: s.message, stack: e instanceof Error ? e.stack : undefined }, 'API call failed');
          else log.info({ rpc: name, code: grpc.status[s.code], err: s.message }, 'API call refused');
          callback({ code: s.code, details: s.message });
        },
      );
    };
  }
  const server = new grpc.Server();
  server.addService(service, implementation);
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${options.host}:${options.port}`, grpc.ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound)));
  });
  return {
    host: options.host,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        const force = setTimeout(() => server.forceShutdown(), 2000);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      }),
  };
}
