// Blocks: the 80-byte header, the merkle root, the BIP 141 witness commitment, proof of work
// against the compact target, and the block serialization.
// Bitcoin Core: src/primitives/block.h, src/consensus/merkle.cpp, src/validation.cpp
// (GenerateCoinbaseCommitment), src/pow.cpp (CheckProofOfWork), src/arith_uint256.cpp (SetCompact).
import { concat, equal } from '../../../bolt/bytes.js';
import { sha256d } from '../../../bolt/crypto/hash.js';
import { decodeTransaction, displayHash, internalHash, readCompactSize, transactionLength, TxDecodeError, type ChainTx } from './tx.js';

export interface BlockHeader {
  readonly version: number;
  /** Display hex. */
  readonly prevHash: string;
  /** Display hex. */
  readonly merkleRoot: string;
  readonly time: number;
  readonly bits: number;
  readonly nonce: number;
}

export interface Block {
  readonly header: BlockHeader;
  readonly hash: string;
  readonly txs: readonly ChainTx[];
  readonly raw: Uint8Array;
  readonly size: number;
  readonly strippedSize: number;
  readonly weight: number;
}

export class BlockError extends Error {
  override readonly name = 'BlockError';
}

export function encodeHeader(h: BlockHeader): Uint8Array {
  const out = new Uint8Array(80);
  const view = new DataView(out.buffer);
  view.setInt32(0, h.version, true);
  out.set(internalHash(h.prevHash), 4);
  out.set(internalHash(h.merkleRoot), 36);
  view.setUint32(68, h.time, true);
  view.setUint32(72, h.bits, true);
  view.setUint32(76, h.nonce, true);
  return out;
}

export function decodeHeader(bytes: Uint8Array): BlockHeader {
  if (bytes.length < 80) throw new BlockError(`block header: expected 80 bytes, got ${bytes.length}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, 80);
  return {
    version: view.getInt32(0, true),
    prevHash: displayHash(bytes.subarray(4, 36)),
    merkleRoot: displayHash(bytes.subarray(36, 68)),
    time: view.getUint32(68, true),
    bits: view.getUint32(72, true),
    nonce: view.getUint32(76, true),
  };
}

export function headerHash(header: BlockHeader | Uint8Array): string {
  const bytes = header instanceof Uint8Array ? header.subarray(0, 80) : encodeHeader(header);
  return displayHash(sha256d(bytes));
}

/**
 * ComputeMerkleRoot over display-hex hashes: pairs hashed with double SHA-256, the last one
 * paired with itself on odd levels. Returns display hex.
 */
export function merkleRoot(hashes: readonly string[]): string {
  if (hashes.length === 0) return '00'.repeat(32);
  let level = hashes.map(internalHash);
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2) next.push(sha256d(concat(level[i]!, level[i + 1] ?? level[i]!)));
    level = next;
  }
  return displayHash(level[0]!);
}

/** BIP 141: the witness reserved value every coinbase here carries (32 zero bytes). */
export const WITNESS_RESERVED_VALUE = new Uint8Array(32);
/** BIP 141 commitment header: OP_RETURN, push 36, 0xaa21a9ed. */
export const WITNESS_COMMITMENT_HEADER = Uint8Array.of(0x6a, 0x24, 0xaa, 0x21, 0xa9, 0xed);

/**
 * BIP 141 witness commitment output script for the block's non-coinbase wtxids
 * (the coinbase's wtxid counts as zero).
 */
export function witnessCommitmentScript(nonCoinbaseWtxids: readonly string[]): Uint8Array {
  const root = internalHash(merkleRoot(['00'.repeat(32), ...nonCoinbaseWtxids]));
  return concat(WITNESS_COMMITMENT_HEADER, sha256d(concat(root, WITNESS_RESERVED_VALUE)));
}

/** SetCompact: the 256-bit target of a compact `bits`; throws on a negative or overflowing one. */
export function compactToTarget(bits: number): bigint {
  const size = bits >>> 24;
  const word = BigInt(bits & 0x007fffff);
  if (word !== 0n && (bits & 0x00800000) !== 0) throw new BlockError(`bits 0x${bits.toString(16)}: negative target`);
  const target = size <= 3 ? word >> BigInt(8 * (3 - size)) : word << BigInt(8 * (size - 3));
  if (target >= 1n << 256n) throw new BlockError(`bits 0x${bits.toString(16)}: target overflows 256 bits`);
  return target;
}

/** GetBlockProof: the expected number of hashes for one block at this target, 2^256 / (target + 1). */
export function blockWork(bits: number): bigint {
  return (1n << 256n) / (compactToTarget(bits) + 1n);
}

/** GetDifficulty as bitcoind computes it (a float relative to the mainnet minimum difficulty). */
export function difficulty(bits: number): number {
  let shift = (bits >>> 24) & 0xff;
  let diff = 0x0000ffff / (bits & 0x00ffffff);
  while (shift < 29) {
    diff *= 256;
    shift++;
  }
  while (shift > 29) {
    diff /= 256;
    shift--;
  }
  return diff;
}

/** CheckProofOfWork: the header hash, read as a 256-bit little-endian number, is at most the target. */
export function checkProofOfWork(hash: string, bits: number): boolean {
  return BigInt('0x' + hash) <= compactToTarget(bits);
}

/**
 * Find a nonce meeting the target (regtest's target passes about one hash in two), moving the
 * time forward if all 2^32 nonces fail, as a miner would.
 */
export function mineHeader(header: BlockHeader): BlockHeader {
  let h = header;
  for (;;) {
    for (let nonce = 0; nonce <= 0xffffffff; nonce++) {
      const candidate = { ...h, nonce };
      if (checkProofOfWork(headerHash(candidate), h.bits)) return candidate;
    }
    h = { ...h, time: h.time + 1 };
  }
}

function compactSize(n: number): Uint8Array {
  if (n < 0xfd) return Uint8Array.of(n);
  if (n <= 0xffff) return Uint8Array.of(0xfd, n & 0xff, n >> 8);
  return Uint8Array.of(0xfe, n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, n >>> 24);
}

/** A block from its header and transactions (coinbase first). */
export function assembleBlock(header: BlockHeader, txs: readonly ChainTx[]): Block {
  const encodedHeader = encodeHeader(header);
  const raw = concat(encodedHeader, compactSize(txs.length), ...txs.map((t) => t.raw));
  const strippedSize = 80 + compactSize(txs.length).length + txs.reduce((n, t) => n + t.strippedSize, 0);
  return { header, hash: headerHash(encodedHeader), txs, raw, size: raw.length, strippedSize, weight: strippedSize * 3 + raw.length };
}

/** Parse a serialized block; checks that the merkle root matches its transactions. */
export function decodeBlock(raw: Uint8Array): Block {
  const header = decodeHeader(raw);
  let at = 80;
  const [count, size] = readCompactSize(raw, at);
  at += size;
  const txs: ChainTx[] = [];
  for (let i = 0; i < count; i++) {
    let length: number;
    try {
      length = transactionLength(raw, at);
    } catch (e) {
      throw new BlockError(`block ${headerHash(raw)}: transaction ${i}: ${(e as TxDecodeError).message}`);
    }
    txs.push(decodeTransaction(raw.subarray(at, at + length)));
    at += length;
  }
  if (at !== raw.length) throw new BlockError(`block ${headerHash(raw)}: ${raw.length - at} bytes after the last transaction`);
  const block = assembleBlock(header, txs);
  if (!equal(block.raw, raw)) throw new BlockError(`block ${block.hash}: does not re-serialize to the bytes read`);
  const root = merkleRoot(txs.map((t) => t.txid));
  if (root !== header.merkleRoot) throw new BlockError(`block ${block.hash}: merkle root ${header.merkleRoot} does not match its transactions (${root})`);
  return block;
}

