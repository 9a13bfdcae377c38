// Bitcoin transactions as BOLT 3 needs them: a plain model, (de)serialization with the
// BIP 144 witness form, txid, weight, and the signature hashes (BIP 143 segwit v0; legacy
// SIGHASH_ALL for the P2PKH input of the BOLT 3 Appendix B funding vector).
import { compactToDer, derToCompact } from '../crypto/der.js';
import { sha256d } from '../crypto/hash.js';
import { secp } from '../crypto/secp256k1.js';
import { compare, hex } from '../bytes.js';

export class TransactionError extends Error {
  override readonly name = 'TransactionError';
}

export interface TxInput {
  /** Txid of the spent transaction, 32 bytes in display order (as bitcoind prints it). */
  readonly txid: Uint8Array;
  readonly vout: number;
  readonly sequence: number;
  readonly scriptSig: Uint8Array;
  /** Witness stack items; empty for a non-witness input. */
  readonly witness: readonly Uint8Array[];
}

export interface TxOutput {
  readonly amountSat: bigint;
  /** The scriptPubKey. */
  readonly script: Uint8Array;
}

export interface Transaction {
  readonly version: number;
  readonly inputs: readonly TxInput[];
  readonly outputs: readonly TxOutput[];
  readonly locktime: number;
}

export const SIGHASH_ALL = 0x01;
export const SIGHASH_NONE = 0x02;
export const SIGHASH_SINGLE = 0x03;
export const SIGHASH_ANYONECANPAY = 0x80;

const EMPTY = new Uint8Array(0);
const ZERO32 = new Uint8Array(32);
const MAX_SATOSHIS = 21_000_000n * 100_000_000n;

// ---------------------------------------------------------------- writing

function varIntSize(n: number): number {
  return n < 0xfd ? 1 : n <= 0xffff ? 3 : n <= 0xffffffff ? 5 : 9;
}

/** A cursor over a buffer sized exactly in advance: one allocation per serialization. */
class Writer {
  readonly bytes: Uint8Array;
  private readonly view: DataView;
  private at = 0;
  constructor(size: number) {
    this.bytes = new Uint8Array(size);
    this.view = new DataView(this.bytes.buffer);
  }
  u8(n: number): void {
    this.bytes[this.at++] = n;
  }
  u32(n: number): void {
    this.view.setUint32(this.at, n >>> 0, true);
    this.at += 4;
  }
  u64(n: bigint): void {
    this.view.setBigUint64(this.at, n, true);
    this.at += 8;
  }
  varInt(n: number): void {
    if (n < 0xfd) this.u8(n);
    else if (n <= 0xffff) {
      this.u8(0xfd);
      this.view.setUint16(this.at, n, true);
      this.at += 2;
    } else if (n <= 0xffffffff) {
      this.u8(0xfe);
      this.u32(n);
    } else {
      this.u8(0xff);
      this.u64(BigInt(n));
    }
  }
  raw(b: Uint8Array): void {
    this.bytes.set(b, this.at);
    this.at += b.length;
  }
  /** Bytes in reverse order (txids travel little-endian on the wire). */
  reversed(b: Uint8Array): void {
    for (let i = b.length - 1; i >= 0; i--) this.bytes[this.at++] = b[i]!;
  }
  varBytes(b: Uint8Array): void {
    this.varInt(b.length);
    this.raw(b);
  }
  done(): Uint8Array {
    if (this.at !== this.bytes.length) throw new TransactionError(`internal: wrote ${this.at} of ${this.bytes.length} bytes`);
    return this.bytes;
  }
}

function checkInput(input: TxInput, i: number): void {
  if (input.txid.length !== 32) throw new TransactionError(`input ${i}: txid must be 32 bytes, got ${input.txid.length}`);
  if (!Number.isInteger(input.vout) || input.vout < 0 || input.vout > 0xffffffff) throw new TransactionError(`input ${i}: vout ${input.vout} is not a u32`);
  if (!Number.isInteger(input.sequence) || input.sequence < 0 || input.sequence > 0xffffffff) throw new TransactionError(`input ${i}: sequence ${input.sequence} is not a u32`);
}

function checkOutput(output: TxOutput, i: number): void {
  if (output.amountSat < 0n || output.amountSat > MAX_SATOSHIS) throw new TransactionError(`output ${i}: amount ${output.amountSat} sat is outside 0..${MAX_SATOSHIS}`);
}

export function hasWitness(tx: Transaction): boolean {
  for (const input of tx.inputs) if (input.witness.length > 0) return true;
  return false;
}

function outputsSize(outputs: readonly TxOutput[]): number {
  let size = varIntSize(outputs.length);
  for (const o of outputs) size += 8 + varIntSize(o.script.length) + o.script.length;
  return size;
}

function baseSize(tx: Transaction): number {
  let size = 4 + varIntSize(tx.inputs.length) + outputsSize(tx.outputs) + 4;
  for (const i of tx.inputs) size += 36 + varIntSize(i.scriptSig.length) + i.scriptSig.length + 4;
  return size;
}

function witnessSize(tx: Transaction): number {
  let size = 2; // marker and flag
  for (const i of tx.inputs) {
    size += varIntSize(i.witness.length);
    for (const item of i.witness) size += varIntSize(item.length) + item.length;
  }
  return size;
}

function writeOutput(w: Writer, o: TxOutput): void {
  w.u64(o.amountSat);
  w.varBytes(o.script);
}

/** Serialize; with the BIP 144 witness form when `withWitness` and some input has a witness. */
export function serializeTransaction(tx: Transaction, withWitness = true): Uint8Array {
  tx.inputs.forEach(checkInput);
  tx.outputs.forEach(checkOutput);
  const segwit = withWitness && hasWitness(tx);
  const w = new Writer(baseSize(tx) + (segwit ? witnessSize(tx) : 0));
  w.u32(tx.version);
  if (segwit) {
    w.u8(0x00);
    w.u8(0x01);
  }
  w.varInt(tx.inputs.length);
  for (const i of tx.inputs) {
    w.reversed(i.txid);
    w.u32(i.vout);
    w.varBytes(i.scriptSig);
    w.u32(i.sequence);
  }
  w.varInt(tx.outputs.length);
  for (const o of tx.outputs) writeOutput(w, o);
  if (segwit) {
    for (const i of tx.inputs) {
      w.varInt(i.witness.length);
      for (const item of i.witness) w.varBytes(item);
    }
  }
  w.u32(tx.locktime);
  return w.done();
}

/** The txid in display order (the byte-reversed double SHA-256 of the non-witness form). */
export function transactionId(tx: Transaction): Uint8Array {
  return sha256d(serializeTransaction(tx, false)).reverse();
}

export function transactionIdHex(tx: Transaction): string {
  return hex(transactionId(tx));
}

/** BIP 141 weight: 3 × base size + total size. */
export function transactionWeight(tx: Transaction): number {
  const base = baseSize(tx);
  return 3 * base + base + (hasWitness(tx) ? witnessSize(tx) : 0);
}

// ---------------------------------------------------------------- reading

class Reader {
  private at = 0;
  private readonly view: DataView;
  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  need(n: number, what: string): void {
    if (this.at + n > this.bytes.length) throw new TransactionError(`transaction: short read of ${what} at byte ${this.at} (${this.bytes.length} bytes)`);
  }
  u8(what: string): number {
    this.need(1, what);
    return this.bytes[this.at++]!;
  }
  peek(): number | undefined {
    return this.bytes[this.at];
  }
  u32(what: string): number {
    this.need(4, what);
    const n = this.view.getUint32(this.at, true);
    this.at += 4;
    return n;
  }
  u64(what: string): bigint {
    this.need(8, what);
    const n = this.view.getBigUint64(this.at, true);
    this.at += 8;
    return n;
  }
  varInt(what: string): number {
    const first = this.u8(what);
    if (first < 0xfd) return first;
    if (first === 0xfd) {
      this.need(2, what);
      const n = this.view.getUint16(this.at, true);
      this.at += 2;
      if (n < 0xfd) throw new TransactionError(`transaction: non-canonical varint for ${what}`);
      return n;
    }
    if (first === 0xfe) {
      const n = this.u32(what);
      if (n <= 0xffff) throw new TransactionError(`transaction: non-canonical varint for ${what}`);
      return n;
    }
    throw new TransactionError(`transaction: 9-byte varint for ${what} is larger than any transaction`);
  }
  take(n: number, what: string): Uint8Array {
    this.need(n, what);
    const out = this.bytes.slice(this.at, this.at + n);
    this.at += n;
    return out;
  }
  varBytes(what: string): Uint8Array {
    return this.take(this.varInt(what + ' length'), what);
  }
  get remaining(): number {
    return this.bytes.length - this.at;
  }
}

/** Parse a serialized transaction (BIP 144 witness form or legacy). */
export function parseTransaction(bytes: Uint8Array): Transaction {
  const r = new Reader(bytes);
  const version = r.u32('version');
  let segwit = false;
  if (r.peek() === 0x00) {
    r.u8('marker');
    const flag = r.u8('flag');
    if (flag !== 0x01) throw new TransactionError(`transaction: witness flag must be 1, got ${flag}`);
    segwit = true;
  }
  const nIn = r.varInt('input count');
  const inputs: { txid: Uint8Array; vout: number; scriptSig: Uint8Array; sequence: number; witness: Uint8Array[] }[] = [];
  for (let i = 0; i < nIn; i++) {
    const txid = r.take(32, `input ${i} txid`).reverse();
    const vout = r.u32(`input ${i} vout`);
    const scriptSig = r.varBytes(`input ${i} scriptSig`);
    const sequence = r.u32(`input ${i} sequence`);
    inputs.push({ txid, vout, scriptSig, sequence, witness: [] });
  }
  const nOut = r.varInt('output count');
  const outputs: TxOutput[] = [];
  for (let i = 0; i < nOut; i++) {
    const amountSat = r.u64(`output ${i} amount`);
    const script = r.varBytes(`output ${i} script`);
    outputs.push({ amountSat, script });
  }
  if (segwit) {
    for (let i = 0; i < nIn; i++) {
      const n = r.varInt(`input ${i} witness count`);
      for (let k = 0; k < n; k++) inputs[i]!.witness.push(r.varBytes(`input ${i} witness item ${k}`));
    }
  }
  const locktime = r.u32('locktime');
  if (r.remaining !== 0) throw new TransactionError(`transaction: ${r.remaining} trailing bytes`);
  return { version, inputs, outputs, locktime };
}

// ---------------------------------------------------------------- signature hashes

function hashOutpoints(inputs: readonly TxInput[]): Uint8Array {
  const w = new Writer(36 * inputs.length);
  for (const i of inputs) {
    w.reversed(i.txid);
    w.u32(i.vout);
  }
  return sha256d(w.done());
}

function hashSequences(inputs: readonly TxInput[]): Uint8Array {
  const w = new Writer(4 * inputs.length);
  for (const i of inputs) w.u32(i.sequence);
  return sha256d(w.done());
}

function hashOutputs(outputs: readonly TxOutput[]): Uint8Array {
  let size = 0;
  for (const o of outputs) size += 8 + varIntSize(o.script.length) + o.script.length;
  const w = new Writer(size);
  for (const o of outputs) writeOutput(w, o);
  return sha256d(w.done());
}

/**
 * BIP 143 signature hash for a segwit v0 input. `scriptCode` is the witness script for
 * P2WSH, or `p2wpkhScriptCode` for P2WPKH; `amountSat` is the value of the spent output.
 */
export function segwitV0Sighash(tx: Transaction, inputIndex: number, scriptCode: Uint8Array, amountSat: bigint, sighashType: number): Uint8Array {
  const input = tx.inputs[inputIndex];
  if (!input) throw new TransactionError(`sighash: input ${inputIndex} does not exist (${tx.inputs.length} inputs)`);
  checkInput(input, inputIndex);
  if (amountSat < 0n || amountSat > MAX_SATOSHIS) throw new TransactionError(`sighash: spent amount ${amountSat} sat is out of range`);
  const base = sighashType & 0x1f;
  if (base !== SIGHASH_ALL && base !== SIGHASH_NONE && base !== SIGHASH_SINGLE) throw new TransactionError(`sighash: unsupported type 0x${sighashType.toString(16)}`);
  const anyoneCanPay = (sighashType & SIGHASH_ANYONECANPAY) !== 0;
  const prevouts = anyoneCanPay ? ZERO32 : hashOutpoints(tx.inputs);
  const sequences = anyoneCanPay || base !== SIGHASH_ALL ? ZERO32 : hashSequences(tx.inputs);
  let outputs: Uint8Array = ZERO32;
  if (base === SIGHASH_ALL) outputs = hashOutputs(tx.outputs);
  else if (base === SIGHASH_SINGLE && inputIndex < tx.outputs.length) outputs = hashOutputs([tx.outputs[inputIndex]!]);
  const w = new Writer(4 + 32 + 32 + 36 + varIntSize(scriptCode.length) + scriptCode.length + 8 + 4 + 32 + 4 + 4);
  w.u32(tx.version);
  w.raw(prevouts);
  w.raw(sequences);
  w.reversed(input.txid);
  w.u32(input.vout);
  w.varBytes(scriptCode);
  w.u64(amountSat);
  w.u32(input.sequence);
  w.raw(outputs);
  w.u32(tx.locktime);
  w.u32(sighashType);
  return sha256d(w.done());
}

/**
 * Legacy (pre-segwit) SIGHASH_ALL signature hash, for a P2PKH input such as the one in the
 * BOLT 3 Appendix B funding vector. `scriptCode` is the spent scriptPubKey (which must not
 * contain OP_CODESEPARATOR; no standard Lightning script does).
 */
export function legacySighashAll(tx: Transaction, inputIndex: number, scriptCode: Uint8Array): Uint8Array {
  if (!tx.inputs[inputIndex]) throw new TransactionError(`sighash: input ${inputIndex} does not exist (${tx.inputs.length} inputs)`);
  const stripped: Transaction = {
    version: tx.version,
    locktime: tx.locktime,
    outputs: tx.outputs,
    inputs: tx.inputs.map((i, k) => ({ ...i, witness: [], scriptSig: k === inputIndex ? scriptCode : EMPTY })),
  };
  const body = serializeTransaction(stripped, false);
  const preimage = new Uint8Array(body.length + 4);
  preimage.set(body);
  new DataView(preimage.buffer).setUint32(body.length, SIGHASH_ALL, true);
  return sha256d(preimage);
}

// ---------------------------------------------------------------- signatures in scripts

/** A signature as a script carries it: strict DER followed by the sighash type byte. */
export function encodeScriptSignature(compact: Uint8Array, sighashType: number): Uint8Array {
  const der = compactToDer(compact);
  const out = new Uint8Array(der.length + 1);
  out.set(der);
  out[der.length] = sighashType;
  return out;
}

export function decodeScriptSignature(bytes: Uint8Array): { signature: Uint8Array; sighashType: number } {
  if (bytes.length < 9) throw new TransactionError(`script signature: ${bytes.length} bytes is too short`);
  return { signature: derToCompact(bytes.subarray(0, bytes.length - 1)), sighashType: bytes[bytes.length - 1]! };
}

/** Sign a segwit v0 input: RFC 6979 low-S over the BIP 143 digest, DER-encoded plus the sighash byte. */
export function signSegwitV0Input(
  tx: Transaction,
  inputIndex: number,
  scriptCode: Uint8Array,
  amountSat: bigint,
  privateKey: Uint8Array,
  sighashType: number = SIGHASH_ALL,
): Uint8Array {
  return encodeScriptSignature(secp.sign(segwitV0Sighash(tx, inputIndex, scriptCode, amountSat, sighashType), privateKey), sighashType);
}

/** Check a DER+sighash signature on a segwit v0 input; false on any malformed or wrong signature. */
export function verifySegwitV0Input(
  tx: Transaction,
  inputIndex: number,
  scriptCode: Uint8Array,
  amountSat: bigint,
  publicKey: Uint8Array,
  scriptSignature: Uint8Array,
): boolean {
  let decoded: { signature: Uint8Array; sighashType: number };
  try {
    decoded = decodeScriptSignature(scriptSignature);
  } catch {
    return false;
  }
  return secp.verify(decoded.signature, segwitV0Sighash(tx, inputIndex, scriptCode, amountSat, decoded.sighashType), publicKey);
}

/** A copy of `tx` with input `inputIndex`'s witness replaced. */
export function withWitness(tx: Transaction, inputIndex: number, witness: readonly Uint8Array[]): Transaction {
  if (!tx.inputs[inputIndex]) throw new TransactionError(`witness: input ${inputIndex} does not exist (${tx.inputs.length} inputs)`);
  return { ...tx, inputs: tx.inputs.map((i, k) => (k === inputIndex ? { ...i, witness } : i)) };
}

/** A copy of `tx` with input `inputIndex`'s scriptSig replaced. */
export function withScriptSig(tx: Transaction, inputIndex: number, scriptSig: Uint8Array): Transaction {
  if (!tx.inputs[inputIndex]) throw new TransactionError(`scriptSig: input ${inputIndex} does not exist (${tx.inputs.length} inputs)`);
  return { ...tx, inputs: tx.inputs.map((i, k) => (k === inputIndex ? { ...i, scriptSig } : i)) };
}

/** BIP 69 output order: amount, then scriptPubKey bytes (shorter first on a common prefix). */
export function compareOutputs(a: TxOutput, b: TxOutput): number {
  if (a.amountSat !== b.amountSat) return a.amountSat < b.amountSat ? -1 : 1;
  return compare(a.script, b.script);
}
