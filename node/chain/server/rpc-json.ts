// Transactions, blocks and outputs as bitcoind's RPC writes them (src/core_write.cpp TxToUniv,
// ScriptToUniv; src/rpc/blockchain.cpp blockheaderToJSON, blockToJSON).
import { hex } from '../../../bolt/bytes.js';
import { btc } from './amount.js';
import { scriptToAddress, type AddressNetwork } from './address.js';
import { compactToTarget, difficulty, encodeHeader, type Block } from './block.js';
import type { BlockIndexEntry, Chain } from './chain.js';
import { inferDescriptor } from './descriptor.js';
import { outputType, scriptToAsm } from './script.js';
import { isCoinbase, type ChainTx } from './tx.js';

export function scriptPubKeyJson(script: Uint8Array, net: AddressNetwork): Record<string, unknown> {
  return {
    asm: scriptToAsm(script),
    desc: inferDescriptor(script, net),
    hex: hex(script),
    address: scriptToAddress(script, net),
    type: outputType(script),
  };
}

export interface TxJsonOptions {
  /** Add each input's spent output ("prevout") and the fee, when known. */
  readonly prevouts?: boolean;
  readonly includeHex?: boolean;
}

/** TxToUniv. */
export function txJson(tx: ChainTx, chain: Chain, options: TxJsonOptions = {}): Record<string, unknown> {
  const net = chain.params;
  const coinbase = isCoinbase(tx);
  let valueIn = 0n;
  let allPrevoutsKnown = !coinbase;
  const vin = tx.inputs.map((i) => {
    const witness = i.witness.length > 0 ? i.witness.map((w) => hex(w)) : undefined;
    if (coinbase) return { coinbase: hex(i.scriptSig), txinwitness: witness, sequence: i.sequence };
    const entry: Record<string, unknown> = {
      txid: i.prevTxid,
      vout: i.prevVout,
      scriptSig: { asm: scriptToAsm(i.scriptSig, true), hex: hex(i.scriptSig) },
      txinwitness: witness,
    };
    if (options.prevouts) {
      const prev = chain.findOutput(i.prevTxid, i.prevVout);
      if (prev) {
        valueIn += prev.amount;
        entry['prevout'] = { generated: prev.coinbase, height: prev.height ?? chain.height + 1, value: btc(prev.amount), scriptPubKey: scriptPubKeyJson(prev.script, net) };
      } else allPrevoutsKnown = false;
    }
    entry['sequence'] = i.sequence;
    return entry;
  });
  const valueOut = tx.outputs.reduce((n, o) => n + o.amount, 0n);
  return {
    txid: tx.txid,
    hash: tx.wtxid,
    version: tx.version,
    size: tx.size,
    vsize: tx.vsize,
    weight: tx.weight,
    locktime: tx.lockTime,
    vin,
    vout: tx.outputs.map((o, n) => ({ value: btc(o.amount), n, scriptPubKey: scriptPubKeyJson(o.script, net) })),
    fee: options.prevouts && allPrevoutsKnown ? btc(valueIn - valueOut) : undefined,
    hex: options.includeHex === false ? undefined : hex(tx.raw),
  };
}

/** blockheaderToJSON (plus the fields getblock puts among them). */
export function blockHeaderJson(entry: BlockIndexEntry, chain: Chain): Record<string, unknown> {
  const h = entry.header;
  const next = chain.entry(entry.height + 1);
  return {
    hash: entry.hash,
    confirmations: chain.height - entry.height + 1,
    height: entry.height,
    version: h.version,
    versionHex: (h.version >>> 0).toString(16).padStart(8, '0'),
    merkleroot: h.merkleRoot,
    time: h.time,
    mediantime: chain.medianTimePast(entry.height),
    nonce: h.nonce,
    bits: h.bits.toString(16).padStart(8, '0'),
    target: compactToTarget(h.bits).toString(16).padStart(64, '0'),
    // UniValue writes doubles with 16 significant digits.
    difficulty: Number(difficulty(h.bits).toPrecision(16)),
    chainwork: chain.chainWork(entry.height).toString(16).padStart(64, '0'),
    nTx: entry.txCount,
    previousblockhash: entry.height > 0 ? h.prevHash : undefined,
    nextblockhash: next?.hash,
  };
}

export function blockHeaderHex(entry: BlockIndexEntry): string {
  return hex(encodeHeader(entry.header));
}

/** blockToJSON for verbosity 1 (txids), 2 (transactions with fees) and 3 (with prevouts). */
export function blockJson(entry: BlockIndexEntry, block: Block, verbosity: 1 | 2 | 3, chain: Chain): Record<string, unknown> {
  const txs =
    verbosity === 1
      ? block.txs.map((t) => t.txid)
      : block.txs.map((t) => {
          const full = txJson(t, chain, { prevouts: true });
          if (verbosity === 2) for (const v of full['vin'] as Record<string, unknown>[]) delete v['prevout'];
          return full;
        });
  return { ...blockHeaderJson(entry, chain), strippedsize: block.strippedSize, size: block.size, weight: block.weight, tx: txs };
}
