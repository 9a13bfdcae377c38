// The bitcoind RPC methods the embedded chain answers: names, parameters, results and errors as
// bitcoind's (src/rpc/blockchain.cpp, rawtransaction.cpp, mempool.cpp, mining.cpp, fees.cpp, net.cpp).
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Logger } from 'pino';
import { hex } from '../../../bolt/bytes.js';
import { btc, COIN } from './amount.js';
import { addressToScript } from './address.js';
import type { Chain } from './chain.js';
import { parseDescriptor, withChecksum } from './descriptor.js';
import type { Mempool, MempoolEntry } from './mempool.js';
import { RPC_ERROR, RpcError } from './rpc-errors.js';
import { blockHeaderHex, blockHeaderJson, blockJson, scriptPubKeyJson, txJson } from './rpc-json.js';
import { Params } from './rpc-params.js';
import { isUnspendable } from './script.js';
import { decodeTransaction, type ChainTx } from './tx.js';
import { TxRejection } from './validation.js';

export interface RpcContext {
  readonly chain: Chain;
  readonly log: Logger;
  /** estimatesmartfee's answer, sat/kvB. */
  readonly feeRate: bigint;
  /** Bytes of the chain's files in the data directory. */
  sizeOnDisk(): number;
  /** Ask the server to stop once this response is written. */
  requestStop(): void;
  readonly stopping: boolean;
}

interface Method {
  readonly params: readonly string[];
  readonly required: number;
  run(p: Params, ctx: RpcContext): unknown;
}

/** sendrawtransaction's and testmempoolaccept's default maxfeerate: 0.10 BTC/kvB. */
const DEFAULT_MAX_FEE_RATE = COIN / 10n;
const NETWORK_VERSION = 280000;

const notFoundTx = (): RpcError => new RpcError(RPC_ERROR.INVALID_ADDRESS_OR_KEY, 'No such mempool or blockchain transaction. Use gettransaction for wallet transactions.');

function blockEntry(ctx: RpcContext, p: Params, name: string) {
  const entry = ctx.chain.entryByHash(p.hash(name));
  if (!entry) throw new RpcError(RPC_ERROR.INVALID_ADDRESS_OR_KEY, 'Block not found');
  return entry;
}

/** A raw transaction parameter, as DecodeHexTx reads it: -22 on anything that does not parse. */
function decodeTxParam(text: unknown, what: string): ChainTx {
  const fail = (why: string): RpcError => new RpcError(RPC_ERROR.DESERIALIZATION_ERROR, `TX decode failed: ${why}. Make sure the tx has at least one input.`);
  if (typeof text !== 'string') throw new RpcError(RPC_ERROR.TYPE_ERROR, `${what}: JSON value of type ${text === null ? 'null' : typeof text} is not of expected type string`);
  if (text.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text)) throw fail(`${what} is not a hex string`);
  let tx: ChainTx;
  try {
    tx = decodeTransaction(Buffer.from(text, 'hex'));
  } catch (e) {
    throw fail((e as Error).message);
  }
  if (tx.inputs.length === 0) throw fail('no inputs');
  return tx;
}

/** maxfeerate: BTC/kvB to sat/kvB, refusing rates of 1 BTC/kvB and more as bitcoind does. */
function maxFeeRateParam(p: Params, name: string): bigint {
  const rate = p.amount(name, DEFAULT_MAX_FEE_RATE);
  if (rate < 0n) throw new RpcError(RPC_ERROR.TYPE_ERROR, `${p.method}: ${name}: Amount out of range`);
  if (rate >= COIN) throw new RpcError(RPC_ERROR.INVALID_PARAMETER, `${p.method}: Fee rates larger than or equal to 1BTC/kvB are not accepted`);
  return rate;
}

function outputScriptParam(ctx: RpcContext, text: string, allowDescriptor: boolean): Uint8Array {
  try {
    return addressToScript(text, ctx.chain.params);
  } catch (addressError) {
    if (allowDescriptor) {
      try {
        return parseDescriptor(text, ctx.chain.params).script;
      } catch {
        throw new RpcError(RPC_ERROR.INVALID_ADDRESS_OR_KEY, `Error: Invalid address or descriptor (${(addressError as Error).message})`);
      }
    }
    throw new RpcError(RPC_ERROR.INVALID_ADDRESS_OR_KEY, `Error: Invalid address (${(addressError as Error).message})`);
  }
}

function signalsRbf(tx: ChainTx): boolean {
  return tx.inputs.some((i) => i.sequence < 0xfffffffe);
}

function mempoolEntryJson(e: MempoolEntry, pool: Mempool): Record<string, unknown> {
  const ancestors = [...pool.ancestorsOf(e.tx)].map((t) => pool.get(t)!);
  const descendants = [...pool.descendantsOf([e.tx.txid])].map((t) => pool.get(t)!);
  const sum = (list: MempoolEntry[], f: (x: MempoolEntry) => bigint | number) => list.reduce((n, x) => n + BigInt(f(x)), 0n);
  return {
    vsize: e.tx.vsize,
    weight: e.tx.weight,
    time: e.time,
    height: e.height,
    descendantcount: descendants.length + 1,
    descendantsize: Number(sum(descendants, (x) => x.tx.vsize)) + e.tx.vsize,
    ancestorcount: ancestors.length + 1,
    ancestorsize: Number(sum(ancestors, (x) => x.tx.vsize)) + e.tx.vsize,
    wtxid: e.tx.wtxid,
    fees: {
      base: btc(e.fee),
      modified: btc(e.fee),
      ancestor: btc(sum(ancestors, (x) => x.fee) + e.fee),
      descendant: btc(sum(descendants, (x) => x.fee) + e.fee),
    },
    depends: [...pool.parentsOf(e.tx)],
    spentby: [...pool.children(e.tx.txid)],
    'bip125-replaceable': signalsRbf(e.tx) || ancestors.some((a) => signalsRbf(a.tx)),
    unbroadcast: false,
  };
}

/** testmempoolaccept's reject-reason for a rejection (bitcoind reports missing inputs this way). */
function rejectReason(r: TxRejection): string {
  return r.kind === 'missing-inputs' ? 'missing-inputs' : r.reason;
}

async function mine(ctx: RpcContext, script: Uint8Array, count: number): Promise<string[]> {
  const hashes: string[] = [];
  for (let i = 0; i < count && !ctx.stopping; i++) {
    hashes.push(ctx.chain.mineBlock(script).hash);
    // Let other requests (and a shutdown) in between blocks; each block is already on disk.
    if (i + 1 < count) await yieldToEventLoop();
  }
  return hashes;
}

export const METHODS: Record<string, Method> = {
  getblockchaininfo: {
    params: [],
    required: 0,
    run(_p, ctx) {
      const c = ctx.chain;
      const tip = c.tip;
      const header = blockHeaderJson(tip, c);
      return {
        chain: c.params.chain,
        blocks: c.height,
        headers: c.height,
        bestblockhash: tip.hash,
        bits: header['bits'],
        target: header['target'],
        difficulty: header['difficulty'],
        time: tip.header.time,
        mediantime: c.medianTimePast(),
        verificationprogress: 1,
        initialblockdownload: false,
        chainwork: header['chainwork'],
        size_on_disk: ctx.sizeOnDisk(),
        pruned: false,
        warnings: [],
      };
    },
  },

  getnetworkinfo: {
    params: [],
    required: 0,
    run(_p, ctx) {
      return {
        version: NETWORK_VERSION,
        subversion: '/vigil-chain:0.1.0/',
        protocolversion: 70016,
        localservices: '0000000000000000',
        localservicesnames: [],
        localrelay: true,
        timeoffset: 0,
        networkactive: false,
        connections: 0,
        connections_in: 0,
        connections_out: 0,
        networks: [],
        relayfee: btc(ctx.chain.minRelayFeeRate),
        incrementalfee: btc(ctx.chain.incrementalRelayFeeRate),
        localaddresses: [],
        warnings: [],
      };
    },
  },

  getblockcount: { params: [], required: 0, run: (_p, ctx) => ctx.chain.height },

  getbestblockhash: { params: [], required: 0, run: (_p, ctx) => ctx.chain.tipHash },

  getblockhash: {
    params: ['height'],
    required: 1,
    run(p, ctx) {
      const height = p.int('height');
      const entry = ctx.chain.entry(height);
      if (height < 0 || !entry) throw new RpcError(RPC_ERROR.INVALID_PARAMETER, 'Block height out of range');
      return entry.hash;
    },
  },

  getblockheader: {
    params: ['blockhash', 'verbose'],
    required: 1,
    run(p, ctx) {
      const entry = blockEntry(ctx, p, 'blockhash');
      return p.bool('verbose', true) ? blockHeaderJson(entry, ctx.chain) : blockHeaderHex(entry);
    },
  },

  getblock: {
    params: ['blockhash', 'verbosity'],
    required: 1,
    run(p, ctx) {
      const entry = blockEntry(ctx, p, 'blockhash');
      const v = p.raw('verbosity');
      const verbosity = v === undefined ? 1 : typeof v === 'boolean' ? (v ? 1 : 0) : p.int('verbosity');
      if (verbosity < 0 || verbosity > 3) throw new RpcError(RPC_ERROR.INVALID_PARAMETER, `getblock: verbosity must be 0, 1, 2 or 3, got ${verbosity}`);
      const block = ctx.chain.block(entry.height);
      if (verbosity === 0) return hex(block.raw);
      return blockJson(entry, block, verbosity as 1 | 2 | 3, ctx.chain);
    },
  },

  getrawtransaction: {
    params: ['txid', 'verbose', 'blockhash'],
    required: 1,
    run(p, ctx) {
      const c = ctx.chain;
      const txid = p.hash('txid');
      const v = p.raw('verbose');
      const verbosity = v === undefined ? 0 : typeof v === 'boolean' ? (v ? 1 : 0) : p.int('verbose');
      if (verbosity < 0 || verbosity > 2) throw new RpcError(RPC_ERROR.INVALID_PARAMETER, `getrawtransaction: verbosity must be 0, 1 or 2, got ${verbosity}`);
      const genesisCoinbase = c.block(0).txs[0]!.txid;
      if (txid === genesisCoinbase) {
        throw new RpcError(RPC_ERROR.INVALID_ADDRESS_OR_KEY, 'The genesis block coinbase is not considered an ordinary transaction and cannot be retrieved');
      }
      let inBlock: ReturnType<Chain['entry']>;
      if (p.has('blockhash')) {
        inBlock = c.entryByHash(p.hash('blockhash'));
        if (!inBlock) throw new RpcError(RPC_ERROR.INVALID_ADDRESS_OR_KEY, 'Block hash not found');
      }
      const found = c.findTx(txid);
      if (inBlock && (!found || found.block?.hash !== inBlock.hash)) {
        throw new RpcError(RPC_ERROR.INVALID_ADDRESS_OR_KEY, 'No such transaction found in the provided block. Use gettransaction for wallet transactions.');
      }
      if (!found) throw notFoundTx();
      if (verbosity === 0) return hex(found.tx.raw);
      const out = txJson(found.tx, c, { prevouts: verbosity === 2 });
      if (inBlock) out['in_active_chain'] = true;
      if (found.block) {
        out['blockhash'] = found.block.hash;
        out['confirmations'] = c.height - found.block.height + 1;
        out['time'] = found.block.header.time;
        out['blocktime'] = found.block.header.time;
      }
      return out;
    },
  },

  decoderawtransaction: {
    params: ['hexstring', 'iswitness'],
    required: 1,
    run(p, ctx) {
      const tx = decodeTxParam(p.raw('hexstring'), 'hexstring');
      return txJson(tx, ctx.chain, { includeHex: false });
    },
  },

  gettxout: {
    params: ['txid', 'n', 'include_mempool'],
    required: 2,
    run(p, ctx) {
      const txid = p.hash('txid');
      const n = p.int('n');
      if (n < 0) throw new RpcError(RPC_ERROR.INVALID_PARAMETER, 'Invalid parameter, vout cannot be negative');
      const coin = ctx.chain.unspent(txid, n, p.bool('include_mempool', true));
      if (!coin) return null;
      return {
        bestblock: ctx.chain.tipHash,
        confirmations: coin.confirmations,
        value: btc(coin.amount),
        scriptPubKey: scriptPubKeyJson(coin.script, ctx.chain.params),
        coinbase: coin.coinbase,
      };
    },
  },

  sendrawtransaction: {
    params: ['hexstring', 'maxfeerate', 'maxburnamount'],
    required: 1,
    run(p, ctx) {
      const tx = decodeTxParam(p.raw('hexstring'), 'hexstring');
      const maxFeeRate = maxFeeRateParam(p, 'maxfeerate');
      const maxBurn = p.amount('maxburnamount', 0n);
      if (tx.outputs.some((o) => isUnspendable(o.script) && o.amount > maxBurn)) {
        throw new RpcError(RPC_ERROR.VERIFY_ERROR, 'Unspendable output exceeds maximum configured by user (maxburnamount)');
      }
      const c = ctx.chain;
      // BroadcastTransaction: a transaction already in the mempool is simply "sent" again.
      if (c.mempool.has(tx.txid)) return tx.txid;
      if (tx.outputs.some((_, vout) => c.unspent(tx.txid, vout, false) !== undefined)) {
        throw new RpcError(RPC_ERROR.VERIFY_ALREADY_IN_CHAIN, 'Transaction outputs already in utxo set');
      }
      try {
        c.acceptToMempool(tx, maxFeeRate);
      } catch (e) {
        if (!(e instanceof TxRejection)) throw e;
        ctx.log.info({ txid: tx.txid, reason: e.message }, 'transaction rejected');
        if (e.reason === 'max-fee-exceeded') throw new RpcError(RPC_ERROR.VERIFY_ERROR, 'Fee exceeds maximum configured by user (e.g. -maxtxfee, maxfeerate)');
        if (e.kind === 'missing-inputs') throw new RpcError(RPC_ERROR.VERIFY_ERROR, e.message);
        throw new RpcError(RPC_ERROR.VERIFY_REJECTED, e.message);
      }
      return tx.txid;
    },
  },

  testmempoolaccept: {
    params: ['rawtxs', 'maxfeerate'],
    required: 1,
    run(p, ctx) {
      const raws = p.array('rawtxs');
      if (raws.length < 1 || raws.length > 25) throw new RpcError(RPC_ERROR.INVALID_PARAMETER, 'Array must contain between 1 and 25 transactions.');
      const txs = raws.map((r, i) => decodeTxParam(r, `rawtxs[${i}]`));
      const maxFeeRate = maxFeeRateParam(p, 'maxfeerate');
      const c = ctx.chain;
      // A package is tried on a copy of the mempool, each transaction seeing those before it.
      const pool = txs.length > 1 ? c.mempool.clone() : c.mempool;
      return txs.map((tx) => {
        const result: Record<string, unknown> = { txid: tx.txid, wtxid: tx.wtxid };
        try {
          const { fee, replaced } = c.checkForMempool(tx, pool, maxFeeRate);
          if (pool !== c.mempool) {
            for (const r of replaced) pool.remove(r);
            pool.add(tx, fee, c.now(), c.height);
          }
          result['allowed'] = true;
          result['vsize'] = tx.vsize;
          result['fees'] = { base: btc(fee), 'effective-feerate': btc((fee * 1000n) / BigInt(tx.vsize)), 'effective-includes': [tx.wtxid] };
        } catch (e) {
          if (!(e instanceof TxRejection)) throw e;
          result['allowed'] = false;
          result['reject-reason'] = rejectReason(e);
          result['reject-details'] = e.message;
        }
        return result;
      });
    },
  },

  getrawmempool: {
    params: ['verbose', 'mempool_sequence'],
    required: 0,
    run(p, ctx) {
      const pool = ctx.chain.mempool;
      const verbose = p.bool('verbose', false);
      const withSequence = p.bool('mempool_sequence', false);
      if (verbose && withSequence) throw new RpcError(RPC_ERROR.INVALID_PARAMETER, 'Verbose results cannot contain mempool sequence values.');
      const entries = pool.all();
      if (verbose) return Object.fromEntries(entries.map((e) => [e.tx.txid, mempoolEntryJson(e, pool)]));
      const txids = entries.map((e) => e.tx.txid);
      return withSequence ? { txids, mempool_sequence: pool.nextSequenceNumber } : txids;
    },
  },

  getmempoolentry: {
    params: ['txid'],
    required: 1,
    run(p, ctx) {
      const e = ctx.chain.mempool.get(p.hash('txid'));
      if (!e) throw new RpcError(RPC_ERROR.INVALID_ADDRESS_OR_KEY, 'Transaction not in mempool');
      return mempoolEntryJson(e, ctx.chain.mempool);
    },
  },

  getmempoolinfo: {
    params: [],
    required: 0,
    run(_p, ctx) {
      const c = ctx.chain;
      const entries = c.mempool.all();
      return {
        loaded: true,
        size: entries.length,
        bytes: entries.reduce((n, e) => n + e.tx.vsize, 0),
        usage: entries.reduce((n, e) => n + e.tx.size, 0),
        total_fee: btc(entries.reduce((n, e) => n + e.fee, 0n)),
        maxmempool: 300_000_000,
        mempoolminfee: btc(c.minRelayFeeRate),
        minrelaytxfee: btc(c.minRelayFeeRate),
        incrementalrelayfee: btc(c.incrementalRelayFeeRate),
        unbroadcastcount: 0,
        fullrbf: true,
      };
    },
  },

  estimatesmartfee: {
    params: ['conf_target', 'estimate_mode'],
    required: 1,
    run(p, ctx) {
      const target = p.int('conf_target');
      if (target < 1 || target > 1008) throw new RpcError(RPC_ERROR.INVALID_PARAMETER, 'Invalid conf_target, must be between 1 and 1008');
      const mode = p.str('estimate_mode', 'economical').toLowerCase();
      if (!['unset', 'economical', 'conservative'].includes(mode)) {
        throw new RpcError(RPC_ERROR.INVALID_PARAMETER, 'Invalid estimate_mode parameter, must be one of: "unset", "economical", "conservative"');
      }
      // A fixed, configured rate; bitcoind never answers for 1 block, so neither does this.
      return { feerate: btc(ctx.feeRate), blocks: Math.max(2, target) };
    },
  },

  generatetoaddress: {
    params: ['nblocks', 'address', 'maxtries'],
    required: 2,
    async run(p, ctx) {
      const n = p.int('nblocks');
      if (n < 0) throw new RpcError(RPC_ERROR.INVALID_PARAMETER, `generatetoaddress: nblocks must not be negative, got ${n}`);
      p.int('maxtries', 1_000_000);
      const script = outputScriptParam(ctx, p.str('address'), false);
      return mine(ctx, script, n);
    },
  },

  generateblock: {
    params: ['output', 'transactions', 'submit'],
    required: 2,
    run(p, ctx) {
      const c = ctx.chain;
      const script = outputScriptParam(ctx, p.str('output'), true);
      const txs = p.array('transactions').map((item, i) => {
        if (typeof item !== 'string') throw new RpcError(RPC_ERROR.TYPE_ERROR, `generateblock: transactions[${i}] is not a string`);
        if (/^[0-9a-fA-F]{64}$/.test(item)) {
          const pooled = c.mempool.get(item.toLowerCase());
          if (!pooled) throw new RpcError(RPC_ERROR.INVALID_ADDRESS_OR_KEY, `Transaction ${item} not in mempool.`);
          return pooled.tx;
        }
        try {
          return decodeTxParam(item, `transactions[${i}]`);
        } catch {
          throw new RpcError(RPC_ERROR.DESERIALIZATION_ERROR, `Transaction decode failed for ${item.slice(0, 80)}. Make sure the tx has at least one input.`);
        }
      });
      const submit = p.bool('submit', true);
      try {
        const block = c.mineBlock(script, txs, submit);
        return submit ? { hash: block.hash } : { hash: block.hash, hex: hex(block.raw) };
      } catch (e) {
        if (e instanceof TxRejection) throw new RpcError(RPC_ERROR.VERIFY_ERROR, `TestBlockValidity failed: ${e.message}`);
        throw e;
      }
    },
  },

  scantxoutset: {
    params: ['action', 'scanobjects'],
    required: 1,
    run(p, ctx) {
      const action = p.str('action');
      if (action === 'status') return null;
      if (action === 'abort') return false;
      if (action !== 'start') throw new RpcError(RPC_ERROR.INVALID_PARAMETER, `Invalid action '${action}'`);
      if (!p.has('scanobjects')) throw new RpcError(RPC_ERROR.MISC_ERROR, 'scanobjects argument is required for the start action');
      const c = ctx.chain;
      const byScript = new Map<string, string>();
      p.array('scanobjects').forEach((obj, i) => {
        const text = typeof obj === 'string' ? obj : obj !== null && typeof obj === 'object' && typeof (obj as { desc?: unknown }).desc === 'string' ? (obj as { desc: string }).desc : undefined;
        if (text === undefined) throw new RpcError(RPC_ERROR.INVALID_PARAMETER, `scanobjects[${i}]: expected a descriptor string or an object with "desc"`);
        try {
          const parsed = parseDescriptor(text, c.params);
          byScript.set(hex(parsed.script), withChecksum(parsed.descriptor));
        } catch (e) {
          throw new RpcError(RPC_ERROR.INVALID_ADDRESS_OR_KEY, `scanobjects[${i}]: ${(e as Error).message}`);
        }
      });
      const coins = c.coinsByScripts([...byScript.keys()].map((s) => Buffer.from(s, 'hex')));
      const stats = c.utxoStats();
      let total = 0n;
      const unspents = coins.map((coin) => {
        total += coin.amount;
        const scriptHex = hex(coin.script);
        return {
          txid: coin.txid,
          vout: coin.vout,
          scriptPubKey: scriptHex,
          desc: byScript.get(scriptHex),
          amount: btc(coin.amount),
          coinbase: coin.coinbase,
          height: coin.height,
          blockhash: c.entry(coin.height)!.hash,
          confirmations: c.height - coin.height + 1,
        };
      });
      return { success: true, txouts: stats.count, height: c.height, bestblock: c.tipHash, unspents, total_amount: btc(total) };
    },
  },

  stop: {
    params: ['wait'],
    required: 0,
    run(_p, ctx) {
      ctx.requestStop();
      return 'vigil chain stopping';
    },
  },
};

/** Run one call; RpcError for anything bitcoind would answer with an error. */
export async function dispatch(ctx: RpcContext, method: string, rawParams: unknown): Promise<unknown> {
  const m = Object.prototype.hasOwnProperty.call(METHODS, method) ? METHODS[method] : undefined;
  if (!m) throw new RpcError(RPC_ERROR.METHOD_NOT_FOUND, 'Method not found');
  const p = new Params(method, rawParams, m.params, m.required);
  return await m.run(p, ctx);
}

