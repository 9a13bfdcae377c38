// Per-commitment secrets and their compact store ("shachain").
// BOLT 3 §Per-commitment Secret Requirements, §Efficient Per-commitment Secret Storage; vectors in Appendix D.
import { equal, u64be } from '../bytes.js';
import { sha256 } from '../crypto/hash.js';
import { secp } from '../crypto/secp256k1.js';

/** BOLT 3 §Per-commitment Secret Requirements: the first secret used MUST be index 2^48 - 1; then it decrements. */
export const FIRST_COMMITMENT_INDEX = 2n ** 48n - 1n;

/** Buckets in the compact store: one per count of trailing zeros (0..47), plus 48 for index 0. */
const BUCKETS = 49;
const SECRET_LENGTH = 32;

/** An inserted secret that does not come from the same seed as those already stored, or arrives out of order. */
export class ShachainError extends Error {
  override readonly name = 'ShachainError';
  constructor(
    readonly index: bigint,
    message: string,
  ) {
    super(message);
  }
}

function checkIndex(index: bigint, what: string): void {
  if (index < 0n || index > FIRST_COMMITMENT_INDEX) {
    throw new RangeError(`${what}: index ${index} is outside 0..${FIRST_COMMITMENT_INDEX} (48 bits)`);
  }
}

function checkSecret(secret: Uint8Array, what: string): void {
  if (secret.length !== SECRET_LENGTH) throw new RangeError(`${what}: expected ${SECRET_LENGTH} bytes, got ${secret.length}`);
}

/** Commitment number 0 is index 2^48 - 1; each new commitment decrements the index. */
export function commitmentNumberFromIndex(index: bigint): bigint {
  checkIndex(index, 'commitment index');
  return FIRST_COMMITMENT_INDEX - index;
}

export function indexFromCommitmentNumber(commitmentNumber: bigint): bigint {
  if (commitmentNumber < 0n || commitmentNumber > FIRST_COMMITMENT_INDEX) {
    throw new RangeError(`commitment number ${commitmentNumber} is outside 0..${FIRST_COMMITMENT_INDEX}`);
  }
  return FIRST_COMMITMENT_INDEX - commitmentNumber;
}

// BOLT 3 §Efficient Per-commitment Secret Storage, derive_secret(base, bits, I): for B in bits-1 down to 0,
// if B is set in I, flip(B) in P ("the (B mod 8) bit of the (B div 8) byte") and P = SHA256(P).
function deriveSecret(base: Uint8Array, bits: number, index: bigint): Uint8Array {
  let p: Uint8Array = Uint8Array.from(base);
  for (let b = bits - 1; b >= 0; b--) {
    if ((index >> BigInt(b)) & 1n) {
      p[b >> 3]! ^= 1 << (b & 7);
      p = sha256(p);
    }
  }
  return p;
}

/** BOLT 3 §Per-commitment Secret Requirements: generate_from_seed(seed, I). */
export function perCommitmentSecret(seed: Uint8Array, index: bigint): Uint8Array {
  checkSecret(seed, 'per-commitment seed');
  checkIndex(index, 'per-commitment secret');
  return deriveSecret(seed, 48, index);
}

/** per_commitment_point = per_commitment_secret · G (BOLT 3 §Key Derivation). */
export function perCommitmentPoint(secret: Uint8Array): Uint8Array {
  checkSecret(secret, 'per-commitment secret');
  return secp.publicKey(secret);
}

/** where_to_put_secret(I): the number of trailing zeros of I; 48 for I = 0 (the seed itself). */
function bucketOf(index: bigint): number {
  for (let b = 0; b < 48; b++) if ((index >> BigInt(b)) & 1n) return b;
  return 48;
}

/** True when `index` shares bits `bucket`..47 with `known`, i.e. the secret of `known` derives it. */
function derivableFrom(knownIndex: bigint, bucket: number, index: bigint): boolean {
  const mask = ~((1n << BigInt(bucket)) - 1n);
  return (index & mask) === knownIndex;
}

interface Entry {
  readonly index: bigint;
  readonly secret: Uint8Array;
}

// Serialized form, for a SQLite blob:
//   u8 version (1) | u8 count (0..49) | count × ( u64be index | 32-byte secret ), in bucket order.
const FORMAT_VERSION = 1;
const HEADER_LENGTH = 2;
const ENTRY_LENGTH = 8 + SECRET_LENGTH;

/**
 * The receiver's store of the counterparty's revealed per-commitment secrets: at most 49 (index, secret)
 * pairs, from which every secret received so far can be derived (BOLT 3 §Efficient Per-commitment Secret
 * Storage). Secrets must arrive in protocol order: index 2^48 - 1 first, then each one index lower.
 * Re-inserting a secret already received is accepted when it matches, and refused when it does not.
 */
export class ShachainStore {
  readonly #known: (Entry | undefined)[] = new Array<Entry | undefined>(BUCKETS).fill(undefined);
  #lowest: bigint | undefined = undefined;

  /** The lowest index inserted so far (the latest secret), or undefined for an empty store. */
  get lowestIndex(): bigint | undefined {
    return this.#lowest;
  }

  /** The index the next insert must carry, or undefined once index 0 has been received. */
  get nextIndex(): bigint | undefined {
    if (this.#lowest === undefined) return FIRST_COMMITMENT_INDEX;
    return this.#lowest === 0n ? undefined : this.#lowest - 1n;
  }

  /** How many (index, secret) pairs are held (never more than 49). */
  get size(): number {
    return this.#known.filter((e) => e !== undefined).length;
  }

  /** BOLT 3 insert_secret(secret, I), with protocol ordering enforced. Leaves the store unchanged on error. */
  insert(index: bigint, secret: Uint8Array): void {
    checkIndex(index, 'shachain insert');
    checkSecret(secret, `shachain insert of index ${index}`);
    if (this.#lowest !== undefined && index >= this.#lowest) {
      const held = this.get(index);
      if (held !== undefined && equal(held, secret)) return; // the same secret again: nothing to do
      throw new ShachainError(index, `shachain: secret for index ${index} differs from the one already received for that index`);
    }
    const expected = this.nextIndex;
    if (index !== expected) {
      throw new ShachainError(
        index,
        `shachain: secret for index ${index} is out of order: expected index ${expected ?? 'none (index 0 already received)'}`,
      );
    }
    const bucket = bucketOf(index);
    for (let b = 0; b < bucket; b++) {
      const known = this.#known[b];
      if (known && !equal(deriveSecret(secret, bucket, known.index), known.secret)) {
        throw new ShachainError(
          index,
          `shachain: secret for index ${index} does not derive the stored secret for index ${known.index}: not from the same seed`,
        );
      }
    }
    this.#known[bucket] = { index, secret: Uint8Array.from(secret) };
    this.#lowest = index;
  }

  /** BOLT 3 derive_old_secret(I): the secret for any index already received, or undefined if not received yet. */
  get(index: bigint): Uint8Array | undefined {
    checkIndex(index, 'shachain get');
    for (let b = 0; b < BUCKETS; b++) {
      const known = this.#known[b];
      if (known && derivableFrom(known.index, b, index)) return deriveSecret(known.secret, b, index);
    }
    return undefined;
  }

  serialize(): Uint8Array {
    const entries = this.#known.filter((e): e is Entry => e !== undefined);
    const out = new Uint8Array(HEADER_LENGTH + entries.length * ENTRY_LENGTH);
    out[0] = FORMAT_VERSION;
    out[1] = entries.length;
    entries.forEach((e, i) => {
      const at = HEADER_LENGTH + i * ENTRY_LENGTH;
      out.set(u64be(e.index), at);
      out.set(e.secret, at + 8);
    });
    return out;
  }

  /**
   * Reads a serialized store, refusing bytes that are truncated, padded, out of range, not in the shape that
   * in-order inserts produce, or whose secrets do not derive one another.
   */
  static deserialize(bytes: Uint8Array): ShachainStore {
    if (bytes.length < HEADER_LENGTH) {
      throw new ShachainStoreFormatError(`truncated: ${bytes.length} bytes, the header alone is ${HEADER_LENGTH}`);
    }
    if (bytes[0] !== FORMAT_VERSION) throw new ShachainStoreFormatError(`unknown version ${bytes[0]} (expected ${FORMAT_VERSION})`);
    const count = bytes[1]!;
    if (count > BUCKETS) throw new ShachainStoreFormatError(`${count} entries, at most ${BUCKETS} are possible`);
    const expectedLength = HEADER_LENGTH + count * ENTRY_LENGTH;
    if (bytes.length < expectedLength) {
      throw new ShachainStoreFormatError(`truncated: ${bytes.length} bytes, ${count} entries need ${expectedLength}`);
    }
    if (bytes.length > expectedLength) {
      throw new ShachainStoreFormatError(`${bytes.length - expectedLength} trailing bytes after ${count} entries`);
    }
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const entries: Entry[] = [];
    for (let i = 0; i < count; i++) {
      const at = HEADER_LENGTH + i * ENTRY_LENGTH;
      const index = view.getBigUint64(at, false);
      if (index > FIRST_COMMITMENT_INDEX) throw new ShachainStoreFormatError(`entry ${i}: index ${index} exceeds 48 bits`);
      entries.push({ index, secret: bytes.slice(at + 8, at + ENTRY_LENGTH) });
    }

    const store = new ShachainStore();
    if (count === 0) return store;
    let lowest = entries[0]!.index;
    for (const e of entries) if (e.index < lowest) lowest = e.index;
    // In-order inserts from 2^48 - 1 down to `lowest` leave, in bucket b, the smallest index >= lowest with
    // exactly b trailing zeros. Anything else was not produced by this store.
    const expected = expectedIndexes(lowest);
    let previousBucket = -1;
    for (const [i, e] of entries.entries()) {
      const bucket = bucketOf(e.index);
      if (bucket <= previousBucket) throw new ShachainStoreFormatError(`entry ${i}: index ${e.index} is not in bucket order`);
      if (expected[bucket] !== e.index) {
        throw new ShachainStoreFormatError(`entry ${i}: index ${e.index} cannot be held when the lowest index is ${lowest}`);
      }
      previousBucket = bucket;
      store.#known[bucket] = e;
    }
    const missing = expected.findIndex((index, b) => index !== undefined && store.#known[b] === undefined);
    if (missing >= 0) throw new ShachainStoreFormatError(`index ${expected[missing]} is missing for lowest index ${lowest}`);
    // Each higher bucket's secret must derive every lower-bucket secret that shares its prefix.
    for (let hi = 1; hi < BUCKETS; hi++) {
      const top = store.#known[hi];
      if (!top) continue;
      for (let lo = 0; lo < hi; lo++) {
        const low = store.#known[lo];
        if (low && derivableFrom(top.index, hi, low.index) && !equal(deriveSecret(top.secret, hi, low.index), low.secret)) {
          throw new ShachainStoreFormatError(`secret for index ${top.index} does not derive the stored secret for index ${low.index}`);
        }
      }
    }
    store.#lowest = lowest;
    return store;
  }
}

/** Bad bytes handed to ShachainStore.deserialize. */
export class ShachainStoreFormatError extends Error {
  override readonly name = 'ShachainStoreFormatError';
  constructor(detail: string) {
    super(`shachain store: ${detail}`);
  }
}

/** For each bucket b, the smallest index >= lowest with exactly b trailing zeros (bucket 48: index 0). */
function expectedIndexes(lowest: bigint): (bigint | undefined)[] {
  const out: (bigint | undefined)[] = [];
  for (let b = 0; b < 48; b++) {
    const low = 1n << BigInt(b);
    const step = low << 1n;
    const m = lowest <= low ? 0n : (lowest - low + step - 1n) / step;
    const index = m * step + low;
    out.push(index <= FIRST_COMMITMENT_INDEX ? index : undefined);
  }
  out.push(lowest === 0n ? 0n : undefined);
  return out;
}
