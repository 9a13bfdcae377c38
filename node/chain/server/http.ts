// JSON-RPC over HTTP as bitcoind serves it (src/httprpc.cpp, src/rpc/request.cpp): POST / with
// HTTP basic auth, JSON-RPC 1.0 (legacy replies: result+error+id, error statuses 400/404/500) or
// 2.0 (always 200; notifications get nothing), batches as arrays, a limit on the body size.
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { toJson } from './json.js';
import { RPC_ERROR, RpcError } from './rpc-errors.js';

export interface Credentials {
  readonly user: string;
  readonly password: string;
}

export interface RpcHttpOptions {
  readonly credentials: Credentials;
  /** Larger request bodies are answered with HTTP 413 and a JSON-RPC error. */
  readonly maxBodyBytes: number;
  readonly log: Logger;
  /** Runs one call; throws RpcError for an error reply. */
  handle(method: string, params: unknown): Promise<unknown>;
}

interface Reply {
  readonly body: Record<string, unknown> | undefined;
  /** The HTTP status a legacy single request gets. */
  readonly status: number;
}

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

function authorized(req: IncomingMessage, expected: Buffer): boolean {
  const header = req.headers.authorization;
  if (!header || !header.startsWith('Basic ')) return false;
  const given = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  return timingSafeEqual(digest(given), expected);
}

function errorObject(code: number, message: string): { code: number; message: string } {
  return { code, message };
}

/** HTTP status of a legacy (JSON-RPC 1.0) error reply, as bitcoind's JSONErrorReply sets it. */
function legacyStatus(code: number): number {
  if (code === RPC_ERROR.INVALID_REQUEST) return 400;
  if (code === RPC_ERROR.METHOD_NOT_FOUND) return 404;
  return 500;
}

export function createRpcHttpServer(options: RpcHttpOptions): Server {
  const expected = digest(`${options.credentials.user}:${options.credentials.password}`);
  const log = options.log;

  async function call(request: unknown): Promise<Reply> {
    if (request === null || typeof request !== 'object' || Array.isArray(request)) {
      return { status: 400, body: { result: null, error: errorObject(RPC_ERROR.INVALID_REQUEST, 'Invalid Request object'), id: null } };
    }
    const r = request as Record<string, unknown>;
    const id = r['id'] ?? null;
    const version = r['jsonrpc'];
    const v2 = version === '2.0';
    const reply = (result: unknown, error: { code: number; message: string } | null): Reply => {
      if (v2) {
        if (!('id' in r)) return { status: 204, body: undefined };
        return { status: 200, body: error ? { jsonrpc: '2.0', error, id } : { jsonrpc: '2.0', result, id } };
      }
      return { status: error ? legacyStatus(error.code) : 200, body: { result: error ? null : result, error, id } };
    };
    if (version !== undefined && version !== '1.0' && version !== '1.1' && !v2) {
      return reply(null, errorObject(RPC_ERROR.INVALID_REQUEST, 'JSON-RPC version not supported'));
    }
    const method = r['method'];
    if (typeof method !== 'string') return reply(null, errorObject(RPC_ERROR.INVALID_REQUEST, method === undefined ? 'Missing method' : 'Method must be a string'));
    const params = r['params'];
    if (params !== undefined && params !== null && typeof params !== 'object') return reply(null, errorObject(RPC_ERROR.INVALID_REQUEST, 'Params must be an array or object'));
    const started = Date.now();
    try {
      const result = await options.handle(method, params);
      log.debug({ method, ms: Date.now() - started }, 'rpc');
      return reply(result === undefined ? null : result, null);
    } catch (e) {
      if (e instanceof RpcError) {
        log.debug({ method, ms: Date.now() - started, code: e.code, error: e.message }, 'rpc error');
        return reply(null, errorObject(e.code, e.message));
      }
      log.error({ method, err: e }, 'rpc handler failed');
      return reply(null, errorObject(RPC_ERROR.MISC_ERROR, e instanceof Error ? e.message : String(e)));
    }
  }

  function send(res: ServerResponse, status: number, body: unknown): void {
    if (body === undefined) {
      res.writeHead(status).end();
      return;
    }
    const text = toJson(body) + '\n';
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) }).end(text);
  }

  async function respond(res: ServerResponse, body: Buffer): Promise<void> {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      send(res, 500, { result: null, error: errorObject(RPC_ERROR.PARSE_ERROR, 'Parse error'), id: null });
      return;
    }
    if (Array.isArray(parsed)) {
      const replies: unknown[] = [];
      // In order, one at a time: calls in a batch may depend on each other (mine, then query).
      for (const item of parsed) {
        const r = await call(item);
        if (r.body !== undefined) replies.push(r.body);
      }
      send(res, 200, replies);
      return;
    }
    if (parsed === null || typeof parsed !== 'object') {
      send(res, 500, { result: null, error: errorObject(RPC_ERROR.PARSE_ERROR, 'Top-level object parse error'), id: null });
      return;
    }
    const r = await call(parsed);
    send(res, r.status, r.body);
  }

  return createServer((req, res) => {
    if (!authorized(req, expected)) {
      log.warn({ remote: req.socket.remoteAddress }, 'rpc request with wrong or missing credentials');
      req.resume();
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="jsonrpc"', 'Content-Length': 0 }).end();
      return;
    }
    if (req.method !== 'POST') {
      req.resume();
      const text = 'JSONRPC server handles only POST requests';
      res.writeHead(405, { 'Content-Type': 'text/plain', 'Content-Length': text.length }).end(text);
      return;
    }
    const path = (req.url ?? '/').split('?')[0]!;
    if (path !== '/' && !path.startsWith('/wallet/')) {
      req.resume();
      res.writeHead(404, { 'Content-Length': 0 }).end();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > options.maxBodyBytes) {
        tooLarge = true;
        chunks.length = 0;
        // Keep reading (and dropping) so the client gets to see the answer; cut a sender that never stops.
        if (size > options.maxBodyBytes * 4) req.socket.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('error', () => undefined);
    req.on('end', () => {
      if (tooLarge) {
        log.warn({ bytes: size, limit: options.maxBodyBytes }, 'rpc request body too large');
        send(res, 413, { result: null, error: errorObject(RPC_ERROR.INVALID_REQUEST, `request body of ${size} bytes exceeds the limit of ${options.maxBodyBytes} bytes`), id: null });
        return;
      }
      respond(res, Buffer.concat(chunks)).catch((e: unknown) => {
        log.error({ err: e }, 'rpc response failed');
        if (!res.headersSent) send(res, 500, { result: null, error: errorObject(RPC_ERROR.INTERNAL_ERROR, 'internal error'), id: null });
      });
    });
  });
}
