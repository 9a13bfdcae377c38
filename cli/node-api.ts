// What every CLI command that talks to a running node shares: finding the node's API from its data
// directory (`--node-dir D`, default the alice node of the default stack: D/api.json says where it
// listens, D/api.token is the token), the gRPC client, argument checks, and JSON output. A command
// module only declares its arguments and the request they make (see defineNodeCommand).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { nodeServiceConstructor, TOKEN_METADATA_KEY } from '../proto/node-definition.js';
import type { Command } from './command.js';
import { fail, UsageError } from './command.js';

/** The alice node of `vigil up`'s default stack directory. */
export const DEFAULT_NODE_DIR = join('.vigil', 'alice', 'node');
export const API_INFO_FILE = 'api.json';
export const TOKEN_FILE = 'api.token';

export { UsageError } from './command.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ApiMessage = Record<string, any>;

/** A call the node answered with an error status. */
export class NodeApiError extends Error {
  override readonly name = 'NodeApiError';
  constructor(
    readonly method: string,
    readonly code: grpc.status,
    readonly details: string,
  ) {
    super(`${grpc.status[code] ?? code}: ${details}`);
  }
}

export interface NodeEndpoint {
  readonly address: string;
  readonly token: string;
}

/** Reads D/api.json and D/api.token, with errors that say what to do. */
export function readNodeEndpoint(nodeDir: string): NodeEndpoint {
  const infoPath = join(nodeDir, API_INFO_FILE);
  let info: { host?: unknown; port?: unknown };
  try {
    info = JSON.parse(readFileSync(infoPath, 'utf8')) as typeof info;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UsageError(`--node-dir ${nodeDir}: no ${API_INFO_FILE} there (is a node running with --data-dir ${nodeDir}? \`npm start\` runs the default stack)`);
    throw new UsageError(`${infoPath}: cannot read it: ${code ?? (e as Error).message}`);
  }
  if (typeof info.host !== 'string' || typeof info.port !== 'number') throw new UsageError(`${infoPath}: expected {"host": ..., "port": ...}`);
  let token: string;
  try {
    token = readFileSync(join(nodeDir, TOKEN_FILE), 'utf8').trim();
  } catch (e) {
    throw new UsageError(`${join(nodeDir, TOKEN_FILE)}: cannot read the API token: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return { address: `${info.host}:${info.port}`, token };
}

type UnaryMethod = (request: object, metadata: grpc.Metadata, options: grpc.CallOptions, callback: (err: grpc.ServiceError | null, response?: ApiMessage) => void) => void;

/** A client of proto/node.proto with the token attached to every call. */
export class NodeApiClient {
  readonly #client: grpc.Client;
  readonly #token: string;

  constructor(readonly endpoint: NodeEndpoint) {
    const Ctor = nodeServiceConstructor();
    this.#client = new Ctor(endpoint.address, grpc.credentials.createInsecure());
    this.#token = endpoint.token;
  }

  static fromNodeDir(nodeDir: string): NodeApiClient {
    return new NodeApiClient(readNodeEndpoint(nodeDir));
  }

  call(method: string, request: object = {}, deadlineMs = 60_000): Promise<ApiMessage> {
    const fn = (this.#client as unknown as Record<string, UnaryMethod | undefined>)[method];
    if (typeof fn !== 'function') return Promise.reject(new Error(`node API: no rpc named ${method}`));
    const metadata = new grpc.Metadata();
    metadata.set(TOKEN_METADATA_KEY, this.#token);
    return new Promise((resolve, reject) => {
      fn.call(this.#client, request, metadata, { deadline: Date.now() + deadlineMs }, (err, response) => {
        if (err) reject(new NodeApiError(method, err.code, err.details || err.message));
        else resolve(response ?? {});
      });
    });
  }

  close(): void {
    this.#client.close();
  }
}

// ------------------------------------------------------------------ argument checks

/** A decimal unsigned integer argument, returned as the decimal string proto uint64 takes. */
export function uintArg(text: string | undefined, name: string, options: { min?: bigint; max?: bigint } = {}): string {
  if (text === undefined) throw new UsageError(`${name} is required`);
  if (!/^[0-9]+$/.test(text)) throw new UsageError(`${name} must be a whole number, got "${text}"`);
  const n = BigInt(text);
  if (options.min !== undefined && n < options.min) throw new UsageError(`${name} must be at least ${options.min}, got ${text}`);
  if (options.max !== undefined && n > options.max) throw new UsageError(`${name} must be at most ${options.max}, got ${text}`);
  return n.toString();
}

export function hexArg(text: string | undefined, name: string, bytes: number): string {
  if (text === undefined) throw new UsageError(`${name} is required`);
  if (!new RegExp(`^[0-9a-fA-F]{${bytes * 2}}$`).test(text)) throw new UsageError(`${name} must be ${bytes * 2} hex characters, got "${text}"`);
  return text.toLowerCase();
}

// ------------------------------------------------------------------ command definitions

type Options = NonNullable<ParseArgsConfig['options']>;
export type ArgValues = Record<string, string | boolean | undefined>;

export interface NodeCommandSpec {
  readonly name: string;
  readonly summary: string;
  /** Positional synopsis, e.g. '<blocks>'; the common options are appended. */
  readonly usage: string;
  /** Options besides --node-dir. */
  readonly options?: Options;
  /** How many positionals are allowed (default 0..0). */
  readonly positionals?: { readonly min: number; readonly max: number };
  /** The rpc and its request, from the checked arguments (throw UsageError for bad ones). */
  request(values: ArgValues, positionals: readonly string[]): { method: string; request: object };
  /** Per-call deadline; default 60 s. */
  readonly deadlineMs?: number;
}

const COMMON_OPTIONS: Options = { 'node-dir': { type: 'string' } };

/** Runs one API call for a command and prints the answer as one JSON line. */
export function defineNodeCommand(spec: NodeCommandSpec): Command {
  return {
    summary: spec.summary,
    usage: `${spec.usage}${spec.usage ? ' ' : ''}[--node-dir D (default ${DEFAULT_NODE_DIR})]`,
    async run(args) {
      let client: NodeApiClient | undefined;
      try {
        const { values, positionals } = parseArgs({ args: [...args], options: { ...COMMON_OPTIONS, ...spec.options }, allowPositionals: true, strict: true });
        const { min, max } = spec.positionals ?? { min: 0, max: 0 };
        if (positionals.length > max) throw new UsageError(`unexpected argument "${positionals[max]}" (usage: vigil ${spec.name} ${spec.usage})`);
        if (positionals.length < min) throw new UsageError(`missing argument (usage: vigil ${spec.name} ${spec.usage})`);
        const { method, request } = spec.request(values as ArgValues, positionals);
        const nodeDir = (values['node-dir'] as string | undefined) ?? DEFAULT_NODE_DIR;
        client = NodeApiClient.fromNodeDir(nodeDir);
        let response: ApiMessage;
        try {
          response = await client.call(method, request, spec.deadlineMs);
        } catch (e) {
          if (e instanceof NodeApiError && e.code === grpc.status.UNAVAILABLE && /No connection established/.test(e.details)) {
            throw new Error(`cannot reach the node API at ${client.endpoint.address} (from ${nodeDir}): is the node running? (${e.details})`);
          }
          throw e;
        }
        process.stdout.write(JSON.stringify(response) + '\n');
        return 0;
      } catch (e) {
        return fail(spec.name, e instanceof Error ? e.message : String(e));
      } finally {
        client?.close();
      }
    },
  };
}
