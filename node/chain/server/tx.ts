// Transactions as the chain stores and checks them: parsed and serialized with
// @scure/btc-signer's RawTx (BIP 144 witness form), with txid, wtxid, sizes and weight
// computed once. Bitcoin Core: src/primitives/transaction.h, src/consensus/validation.h (weight).
import { RawTx } from '@scure/btc-signer';
import { hex } from '../../../bolt/bytes.js';
import { sha256d } from '../../../bolt/crypto/hash.js';

export interface TxIn {
  /** Txid of the spent transaction, display (RPC) hex. */
  readonly prevTxid: string;
  readonly prevVout: number;
  readonly scriptSig: Uint8Array;
  readonly sequence: number;
  /** Witness stack items; empty for a non-witness input. */
  readonly witness: readonly Uint8Array[];
}

export interface TxOut {
  readonly amount: bigint;
  readonly script: Uint8Array;
}

export interface TxParts {
  readonly version: number;
  readonly inputs: readonly TxIn[];
  readonly outputs: readonly TxOut[];
  readonly lockTime: number;
}

export interface ChainTx extends TxParts {
  /** The serialization as received or built (with witness data when there is any). */
  readonly raw: Uint8Array;
  readonly txid: string;
  readonly wtxid: string;
  /** Serialized size with witness. */
  readonly size: number;
  /** Serialized size without witness. */
  readonly strippedSize: number;
  /** BIP 141: strippedSize * 3 + size. */
  readonly weight: number;
  /** ceil(weight / 4). */
  readonly vsize: number;
  readonly hasWitness: boolean;
}

export class TxDecodeError extends Error {
  override readonly name = 'TxDecodeError';
}

export const NULL_TXID = '00'.repeat(32);
export const SEQUENCE_FINAL = 0xffffffff;

/** A hash as bitcoind prints it: the bytes reversed. */
export function displayHash(internal: Uint8Array): string {
  return hex(Uint8Array.from(internal).reverse());
}

export function internalHash(display: string): Uint8Array {
  return Uint8Array.from(Buffer.from(display, 'hex')).reverse();
}

export function isCoinbase(tx: TxParts): boolean {
  return tx.inputs.length === 1 && tx.inputs[0]!.prevTxid === NULL_TXID && tx.inputs[0]!.prevVout === 0xffffffff;
}

function rawShape(tx: TxParts, withWitness: boolean) {
  const segwit = withWitness && tx.inputs.some((i) => i.witness.length > 0);
  return {
    version: tx.version,
    segwitFlag: segwit,
    inputs: tx.inputs.map((i) => ({ txid: Buffer.from(i.prevTxid, 'hex'), index: i.prevVout, finalScriptSig: i.scriptSig, sequence: i.sequence })),
    outputs: tx.outputs.map((o) => ({ amount: o.amount, script: o.script })),
    witnesses: segwit ? tx.inputs.map((i) => [...i.witness]) : undefined,
    lockTime: tx.lockTime,
  };
}

/** Serialize; without witness data when `withWitness` is false or no input has any (BIP 144). */
export function encodeTransaction(tx: TxParts, withWitness = true): Uint8Array {
  return RawTx.encode(rawShape(tx, withWitness));
}

function withMetadata(parts: TxParts, raw: Uint8Array): ChainTx {
  const hasWitness = parts.inputs.some((i) => i.witness.length > 0);
  const stripped = hasWitness ? encodeTransaction(parts, false) : raw;
  const weight = stripped.length * 3 + raw.length;
  return {
    ...parts,
    raw,
    txid: displayHash(sha256d(stripped)),
    wtxid: displayHash(sha256d(raw)),
    size: raw.length,
    strippedSize: stripped.length,
    weight,
    vsize: Math.ceil(weight / 4),
    hasWitness,
  };
}

/** A transaction built here (coinbases, tests). */
export function buildTransaction(parts: TxParts): ChainTx {
  return withMetadata(parts, encodeTransaction(parts));
}

/**
 * Parse one serialized transaction, all bytes consumed. Throws TxDecodeError naming what broke:
 * truncation, trailing bytes, a witness flag with only empty witnesses, out-of-range fields.
 */
export function decodeTransaction(raw: Uint8Array): ChainTx {
  let decoded: ReturnType<typeof RawTx.decode>;
  try {
    decoded = RawTx.decode(raw);
  } catch (e) {
    throw new TxDecodeError(`transaction of ${raw.length} bytes does not parse: ${(e as Error).message}`);
  }
  const witnesses = decoded.witnesses;
  const parts: TxParts = {
    version: decoded.version,
    lockTime: decoded.lockTime,
    inputs: decoded.inputs.map((i, k) => ({
      prevTxid: hex(i.txid),
      prevVout: i.index,
      scriptSig: Uint8Array.from(i.finalScriptSig),
      sequence: i.sequence,
      witness: (witnesses?.[k] ?? []).map((w) => Uint8Array.from(w)),
    })),
    outputs: decoded.outputs.map((o) => ({ amount: o.amount, script: Uint8Array.from(o.script) })),
  };
  // Keep the exact bytes received: a copy, so a caller's buffer may be reused.
  return withMetadata(parts, Uint8Array.from(raw));
}

/** A CompactSize at `at`: its value and its size in bytes; throws on truncation. */
export function readCompactSize(bytes: Uint8Array, at: number): [value: number, size: number] {
  const first = bytes[at];
  if (first === undefined) throw new TxDecodeError(`truncated at byte ${at}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const need = first < 0xfd ? 1 : first === 0xfd ? 3 : first === 0xfe ? 5 : 9;
  if (at + need > bytes.length) throw new TxDecodeError(`truncated CompactSize at byte ${at}`);
  if (first < 0xfd) return [first, 1];
  if (first === 0xfd) return [view.getUint16(at + 1, true), 3];
  if (first === 0xfe) return [view.getUint32(at + 1, true), 5];
  const big = view.getBigUint64(at + 1, true);
  if (big > BigInt(Number.MAX_SAFE_INTEGER)) throw new TxDecodeError(`CompactSize ${big} at byte ${at} is too large`);
  return [Number(big), 9];
}


/**
 * Length of the transaction serialized at `start` (for walking a block's transaction list),
 * without parsing it fully.
 */
export function transactionLength(bytes: Uint8Array, start: number): number {
  let at = start + 4;
  const skip = (n: number): void => {
    at += n;
    if (at > bytes.length) throw new TxDecodeError(`transaction at byte ${start} is truncated`);
  };
  const varint = (): number => {
    const [v, size] = readCompactSize(bytes, at);
    at += size;
    return v;
  };
  if (at + 2 > bytes.length) throw new TxDecodeError(`transaction at byte ${start} is truncated`);
  const segwit = bytes[at] === 0 && bytes[at + 1] === 1;
  if (segwit) at += 2;
  const nIn = varint();
  for (let i = 0; i < nIn; i++) {
    skip(36);
    skip(varint());
    skip(4);
  }
  const nOut = varint();
  for (let i = 0; i < nOut; i++) {
    skip(8);
    skip(varint());
  }
  if (segwit) {
    for (let i = 0; i < nIn; i++) {
      const items = varint();
      for (let k = 0; k < items; k++) skip(varint());
    }
  }
  skip(4);
  return at - start;
}
