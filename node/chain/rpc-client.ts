// The node's only chain client: bitcoind's JSON-RPC over HTTP, against bitcoind itself or the
// embedded `vigil chain`. Authenticates with a cookie file (re-read when the server restarts) or a
// user and password; every failure names the method and, for RPC errors, bitcoind's code and message.
import { readFile } from 'node:fs/promises';
import { Agent, request as httpRequest } from 'node:http';

export interface BitcoindRpcOptions {
  /** e.g. http://127.0.0.1:18443 (credentials in the URL are used if no others are given). */
  readonly url: string;
  /** bitcoind's `.cookie` file (`__cookie__:<password>`). */
  readonly cookieFile?: string;
  readonly user?: string;
  readonly password?: string;
  /** Per call, default 30 s. */
  readonly timeoutMs?: number;
}

/** bitcoind answered with a JSON-RPC error. */
export class BitcoindRpcError extends Error {
  override readonly name = 'BitcoindRpcError';
  constructor(
    readonly method: string,
    readonly code: number,
    readonly rpcMessage: string,
  ) {
    super(`bitcoind RPC ${method} failed: error ${code}: ${rpcMessage}`);
  }
}

/** The call did not get a JSON-RPC answer: connection refused, HTTP error, timeout, bad credentials. */
export class BitcoindTransportError extends Error {
  override readonly name = 'BitcoindTransportError';
  constructor(
    readonly method: string,
    message: string,
    /** The HTTP status, when there was one (401 for wrong credentials). */
    readonly status?: number,
  ) {
    super(`bitcoind RPC ${method}: ${message}`);
  }
}

/** 1 BTC in satoshis. */
const COIN = 100_000_000;

/** A BTC amount as bitcoind's JSON writes it (a number with 8 decimals) in satoshis. */
export function btcToSat(value: number): bigint {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new TypeError(`btcToSat: ${String(value)} is not a BTC amount`);
  // Every amount up to 21e6 BTC survives this exactly: the error of value * 1e8 stays far below 0.5.
  return BigInt(Math.round(value * COIN));
}

/** Satoshis as a BTC number for a request parameter. */
export function satToBtc(sat: bigint | number): number {
  return Number(sat) / COIN;
}

// ---------------------------------------------------------------- result shapes (bitcoind's)

export interface BlockchainInfo {
  chain: string;
  blocks: number;
  headers: number;
  bestblockhash: string;
  difficulty: number;
  time: number;
  mediantime: number;
  verificationprogress: number;
  initialblockdownload: boolean;
  chainwork: string;
  size_on_disk: number;
  pruned: boolean;
  warnings: string | string[];
}

export interface NetworkInfo {
  version: number;
  subversion: string;
  protocolversion: number;
  connections: number;
  relayfee: number;
  incrementalfee: number;
  warnings: string | string[];
}

export interface BlockHeaderInfo {
  hash: string;
  confirmations: number;
  height: number;
  version: number;
  versionHex: string;
  merkleroot: string;
  time: number;
  mediantime: number;
  nonce: number;
  bits: string;
  difficulty: number;
  chainwork: string;
  nTx: number;
  previousblockhash?: string;
  nextblockhash?: string;
}

export interface ScriptPubKeyInfo {
  asm: string;
  desc: string;
  hex: string;
  address?: string;
  type: string;
}

export interface TxInputInfo {
  txid?: string;
  vout?: number;
  coinbase?: string;
  scriptSig?: { asm: string; hex: string };
  txinwitness?: string[];
  prevout?: { generated: boolean; height: number; value: number; scriptPubKey: ScriptPubKeyInfo };
  sequence: number;
}

export interface TxOutputInfo {
  value: number;
  n: number;
  scriptPubKey: ScriptPubKeyInfo;
}

export interface DecodedTransaction {
  txid: string;
  hash: string;
  version: number;
  size: number;
  vsize: number;
  weight: number;
  locktime: number;
  vin: TxInputInfo[];
  vout: TxOutputInfo[];
  fee?: number;
}

export interface RawTransactionInfo extends DecodedTransaction {
  hex: string;
  blockhash?: string;
  confirmations?: number;
  time?: number;
  blocktime?: number;
}

export interface BlockInfo extends BlockHeaderInfo {
  strippedsize: number;
  size: number;
  weight: number;
  tx: string[];
}

export interface BlockWithTransactions extends Omit<BlockInfo, 'tx'> {
  tx: RawTransactionInfo[];
}

export interface TxOutInfo {
  bestblock: string;
  confirmations: number;
  value: number;
  scriptPubKey: ScriptPubKeyInfo;
  coinbase: boolean;
}

export interface MempoolAcceptResult {
  txid: string;
  wtxid: string;
  allowed?: boolean;
  vsize?: number;
  fees?: { base: number; 'effective-feerate'?: number; 'effective-includes'?: string[] };
  'reject-reason'?: string;
  'reject-details'?: string;
}

export interface MempoolEntryInfo {
  vsize: number;
  weight: number;
  time: number;
  height: number;
  descendantcount: number;
  descendantsize: number;
  ancestorcount: number;
  ancestorsize: number;
  wtxid: string;
  fees: { base: number; modified: number; ancestor: number; descendant: number };
  depends: string[];
  spentby: string[];
  'bip125-replaceable': boolean;
  unbroadcast: boolean;
}

export interface MempoolInfo {
  loaded: boolean;
  size: number;
  bytes: number;
  usage: number;
  total_fee: number;
  mempoolminfee: number;
  minrelaytxfee: number;
}

export interface SmartFeeEstimate {
  feerate?: number;
  errors?: string[];
  blocks: number;
}

export interface ScanTxOutSetResult {
  success: boolean;
  txouts: number;
  height: number;
  bestblock: string;
  unspents: {
    txid: string;
    vout: number;
    scriptPubKey: string;
    desc: string;
    amount: number;
    coinbase: boolean;
    height: number;
    blockhash?: string;
    confirmations?: number;
  }[];
  total_amount: number;
}

export interface GenerateBlockResult {
  hash: string;
  hex?: string;
}

export type BatchReply<T = unknown> = { ok: true; result: T } | { ok: false; error: BitcoindRpcError };

// ---------------------------------------------------------------- the client

interface JsonRpcReply {
  result?: unknown;
  error?: { code: number; message: string } | null;
  id?: unknown;
}

export class BitcoindRpcClient {
  private readonly endpoint: URL;
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 4 });
  private readonly timeoutMs: number;
  private cookieAuth: string | undefined;
  private nextId = 1;

  constructor(private readonly options: BitcoindRpcOptions) {
    let url: URL;
    try {
      url = new URL(options.url);
    } catch {
      throw new TypeError(`bitcoind RPC: invalid url ${JSON.stringify(options.url)}`);
    }
    if (url.protocol !== 'http:') throw new TypeError(`bitcoind RPC: url must be http://, got ${url.protocol}`);
    if ((options.user === undefined) !== (options.password === undefined)) throw new TypeError('bitcoind RPC: user and password go together');
    this.endpoint = url;
    this.timeoutMs = options.timeoutMs ?? 30_000;
  }

  /** Close idle keep-alive connections (the client stays usable). */
  close(): void {
    this.agent.destroy();
  }

  private async authorization(method: string, reload: boolean): Promise<string> {
    const o = this.options;
    if (o.user !== undefined && o.password !== undefined) return 'Basic ' + Buffer.from(`${o.user}:${o.password}`).toString('base64');
    if (o.cookieFile !== undefined) {
      if (this.cookieAuth === undefined || reload) {
        let text: string;
        try {
          text = (await readFile(o.cookieFile, 'utf8')).trim();
        } catch (e) {
          throw new BitcoindTransportError(method, `cannot read cookie file ${o.cookieFile}: ${(e as Error).message}`);
        }
        if (!text.includes(':')) throw new BitcoindTransportError(method, `cookie file ${o.cookieFile} does not hold user:password`);
        this.cookieAuth = 'Basic ' + Buffer.from(text).toString('base64');
      }
      return this.cookieAuth;
    }
    if (this.endpoint.username) {
      return 'Basic ' + Buffer.from(`${decodeURIComponent(this.endpoint.username)}:${decodeURIComponent(this.endpoint.password)}`).toString('base64');
    }
    throw new BitcoindTransportError(method, 'no credentials: give a cookie file, or a user and password');
  }

  private post(what: string, body: string, authorization: string, timeoutMs: number): Promise<{ status: number; text: string }> {
    const url = this.endpoint;
    return new Promise((resolve, reject) => {
      const req = httpRequest(
        {
          host: url.hostname,
          port: url.port || 80,
          path: url.pathname || '/',
          method: 'POST',
          agent: this.agent,
          headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), Authorization: authorization },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', (e) => reject(new BitcoindTransportError(what, `reading the reply from ${url.host}: ${e.message}`)));
        },
      );
      req.setTimeout(timeoutMs, () => req.destroy(new BitcoindTransportError(what, `no reply from ${url.host} within ${timeoutMs} ms`)));
      req.on('error', (e: NodeJS.ErrnoException) => {
        if (e instanceof BitcoindTransportError) return reject(e);
        const why = e.code === 'ECONNREFUSED' ? 'connection refused' : e.code === 'ECONNRESET' ? 'connection reset' : e.message;
        reject(new BitcoindTransportError(what, `cannot reach ${url.host}: ${why}`));
      });
      req.end(body);
    });
  }

  private async exchange(what: string, payload: unknown, timeoutMs: number): Promise<unknown> {
    const body = JSON.stringify(payload);
    let reply = await this.post(what, body, await this.authorization(what, false), timeoutMs);
    // A restarted server writes a new cookie: read it again once.
    if (reply.status === 401 && this.options.cookieFile !== undefined && this.options.user === undefined) {
      reply = await this.post(what, body, await this.authorization(what, true), timeoutMs);
    }
    if (reply.status === 401 || reply.status === 403) throw new BitcoindTransportError(what, `HTTP ${reply.status}: wrong RPC credentials for ${this.endpoint.host}`, reply.status);
    let parsed: unknown;
    try {
      parsed = JSON.parse(reply.text);
    } catch {
      throw new BitcoindTransportError(what, `HTTP ${reply.status} with a body that is not JSON: ${JSON.stringify(reply.text.slice(0, 200))}`, reply.status);
    }
    return parsed;
  }

  /**
   * One call with positional (array) or named (object) parameters; `T` is the result's shape.
   * Throws BitcoindRpcError or BitcoindTransportError.
   */
  async call<T = unknown>(method: string, params: readonly unknown[] | Readonly<Record<string, unknown>> = [], options: { timeoutMs?: number } = {}): Promise<T> {
    const id = this.nextId++;
    const reply = (await this.exchange(method, { jsonrpc: '1.0', id, method, params }, options.timeoutMs ?? this.timeoutMs)) as JsonRpcReply;
    if (reply === null || typeof reply !== 'object' || Array.isArray(reply)) throw new BitcoindTransportError(method, `reply is not a JSON-RPC object: ${JSON.stringify(reply).slice(0, 200)}`);
    if (reply.error) throw new BitcoindRpcError(method, reply.error.code, reply.error.message);
    if (!('result' in reply)) throw new BitcoindTransportError(method, 'reply has neither result nor error');
    return reply.result as T;
  }

  /** Several calls in one HTTP request (run in order); one reply per call. */
  async batch(calls: readonly { method: string; params?: readonly unknown[] }[], options: { timeoutMs?: number } = {}): Promise<BatchReply[]> {
    const first = this.nextId;
    this.nextId += calls.length;
    const what = `batch(${calls.map((c) => c.method).join(',')})`;
    const replies = await this.exchange(
      what,
      calls.map((c, i) => ({ jsonrpc: '1.0', id: first + i, method: c.method, params: c.params ?? [] })),
      options.timeoutMs ?? this.timeoutMs,
    );
    if (!Array.isArray(replies)) throw new BitcoindTransportError(what, 'reply to a batch is not an array');
    const byId = new Map<unknown, JsonRpcReply>((replies as JsonRpcReply[]).map((r) => [r.id, r]));
    return calls.map((c, i) => {
      const r = byId.get(first + i);
      if (!r) return { ok: false, error: new BitcoindRpcError(c.method, -32603, 'no reply in the batch') };
      if (r.error) return { ok: false, error: new BitcoindRpcError(c.method, r.error.code, r.error.message) };
      return { ok: true, result: r.result };
    });
  }

  // ------------------------------------------------------------ typed methods

  getBlockchainInfo(): Promise<BlockchainInfo> {
    return this.call('getblockchaininfo');
  }
  getNetworkInfo(): Promise<NetworkInfo> {
    return this.call('getnetworkinfo');
  }
  getBlockCount(): Promise<number> {
    return this.call('getblockcount');
  }
  getBestBlockHash(): Promise<string> {
    return this.call('getbestblockhash');
  }
  getBlockHash(height: number): Promise<string> {
    return this.call('getblockhash', [height]);
  }
  getBlockHeader(blockHash: string): Promise<BlockHeaderInfo> {
    return this.call('getblockheader', [blockHash, true]);
  }
  /** The 80-byte header as hex. */
  getBlockHeaderHex(blockHash: string): Promise<string> {
    return this.call('getblockheader', [blockHash, false]);
  }
  /** The serialized block as hex (verbosity 0). */
  getBlockHex(blockHash: string): Promise<string> {
    return this.call('getblock', [blockHash, 0]);
  }
  /** Verbosity 1: header fields and txids. */
  getBlock(blockHash: string): Promise<BlockInfo> {
    return this.call('getblock', [blockHash, 1]);
  }
  /** Verbosity 2: decoded transactions with fees. */
  getBlockWithTransactions(blockHash: string): Promise<BlockWithTransactions> {
    return this.call('getblock', [blockHash, 2]);
  }
  getRawTransactionHex(txid: string, blockHash?: string): Promise<string> {
    return this.call('getrawtransaction', blockHash === undefined ? [txid, false] : [txid, false, blockHash]);
  }
  getRawTransaction(txid: string, blockHash?: string): Promise<RawTransactionInfo> {
    return this.call('getrawtransaction', blockHash === undefined ? [txid, true] : [txid, true, blockHash]);
  }
  decodeRawTransaction(txHex: string): Promise<DecodedTransaction> {
    return this.call('decoderawtransaction', [txHex]);
  }
  /** Null when the output does not exist or is spent (by the mempool too, with includeMempool). */
  getTxOut(txid: string, vout: number, includeMempool = true): Promise<TxOutInfo | null> {
    return this.call('gettxout', [txid, vout, includeMempool]);
  }
  /** Returns the txid. `maxFeeRateBtcPerKvb` 0 disables bitcoind's fee sanity limit (default 0.10). */
  sendRawTransaction(txHex: string, maxFeeRateBtcPerKvb?: number): Promise<string> {
    return this.call('sendrawtransaction', maxFeeRateBtcPerKvb === undefined ? [txHex] : [txHex, maxFeeRateBtcPerKvb]);
  }
  testMempoolAccept(txHexes: readonly string[], maxFeeRateBtcPerKvb?: number): Promise<MempoolAcceptResult[]> {
    return this.call('testmempoolaccept', maxFeeRateBtcPerKvb === undefined ? [txHexes] : [txHexes, maxFeeRateBtcPerKvb]);
  }
  getRawMempool(): Promise<string[]> {
    return this.call('getrawmempool', [false]);
  }
  getRawMempoolVerbose(): Promise<Record<string, MempoolEntryInfo>> {
    return this.call('getrawmempool', [true]);
  }
  getMempoolEntry(txid: string): Promise<MempoolEntryInfo> {
    return this.call('getmempoolentry', [txid]);
  }
  getMempoolInfo(): Promise<MempoolInfo> {
    return this.call('getmempoolinfo');
  }
  estimateSmartFee(confTarget: number, mode?: 'economical' | 'conservative' | 'unset'): Promise<SmartFeeEstimate> {
    return this.call('estimatesmartfee', mode === undefined ? [confTarget] : [confTarget, mode]);
  }
  /** Block hashes, oldest first. Mining many blocks takes a while: the timeout grows with the count. */
  generateToAddress(blocks: number, address: string): Promise<string[]> {
    return this.call('generatetoaddress', [blocks, address], { timeoutMs: this.timeoutMs + blocks * 200 });
  }
  /** `transactions`: txids from the mempool or raw transaction hex, in block order. */
  generateBlock(output: string, transactions: readonly string[], submit = true): Promise<GenerateBlockResult> {
    return this.call('generateblock', [output, transactions, submit]);
  }
  /** Descriptors such as `addr(<address>)` or `raw(<script hex>)`. */
  scanTxOutSet(descriptors: readonly string[]): Promise<ScanTxOutSetResult> {
    return this.call('scantxoutset', ['start', descriptors], { timeoutMs: Math.max(this.timeoutMs, 120_000) });
  }
  stop(): Promise<string> {
    return this.call('stop');
  }
}
