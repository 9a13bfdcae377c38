// BOLT 11 §Tagged Fields, declared once: each field's type, name, length rule, reader and writer.
// A field on the wire is `type` (5 bits) || `data_length` (10 bits, big-endian) || data (data_length x 5 bits).
import { secp } from '../crypto/secp256k1.js';
import { bigintFromBytesBE, concat, u16be, u32be, u64be } from '../bytes.js';
import type { ShortChannelId } from '../codec/short-channel-id.js';
import { InvoiceError } from './errors.js';
import { type FallbackAddress, fallbackProblem } from './fallback.js';
import { bytesToWords, uintToWords, wordsToBytes, wordsToUint } from './words.js';

/** BOLT 11 §Tagged Fields, `r`: one hop of a private route, 264+64+32+32+16 bits. */
export interface RouteHop {
  /** Node id at the start of the channel. */
  readonly pubkey: Uint8Array;
  readonly shortChannelId: ShortChannelId;
  readonly feeBaseMsat: number;
  readonly feeProportionalMillionths: number;
  readonly cltvExpiryDelta: number;
}
const ROUTE_HOP_BYTES = 33 + 8 + 4 + 4 + 2;

/** The value each known field letter carries. */
export interface FieldValues {
  /** payment_hash: SHA256 of the preimage. */
  p: Uint8Array;
  /** payment_secret (BOLT 4 tlv_payload). */
  s: Uint8Array;
  /** Short description, UTF-8. */
  d: string;
  /** payment_metadata. */
  m: Uint8Array;
  /** Payee node id, 33 bytes. */
  n: Uint8Array;
  /** SHA256 of a long description. */
  h: Uint8Array;
  /** expiry, seconds. */
  x: number;
  /** min_final_cltv_expiry_delta. */
  c: number;
  /** On-chain fallback address. */
  f: FallbackAddress;
  /** One private route, hops in forward order. */
  r: readonly RouteHop[];
  /** Feature bits that are set, ascending (BOLT 9 numbering: bit 0 is the least significant). */
  '9': readonly number[];
}
export type FieldLetter = keyof FieldValues;

/** A field this reader understood, in invoice order. */
export type KnownField = { [K in FieldLetter]: { readonly tag: K; readonly value: FieldValues[K] } }[FieldLetter];

/** A field this reader skipped (unknown type, `f` of unknown version, ...), kept verbatim so re-encoding reproduces it. */
export interface SkippedField {
  readonly tag: 'skipped';
  readonly type: number;
  readonly words: readonly number[];
  readonly reason: string;
}

export type TaggedField = KnownField | SkippedField;

/** Returned by a reader that must skip the field rather than fail (BOLT 11: "MUST skip over `f` fields that use an unknown `version`"). */
class Skip {
  constructor(readonly reason: string) {}
}

interface FieldSpec<T> {
  /** The 5-bit type; the letter is its bech32 character. */
  readonly type: number;
  readonly name: string;
  /** Fixed data_length in words, when the spec fixes one. */
  readonly length?: number;
  read(words: readonly number[]): T | Skip;
  write(value: T): number[];
}

/** Largest data_length: 10 bits. */
export const MAX_FIELD_WORDS = 1023;
/** x and c are held as numbers: larger values are refused rather than rounded. */
const MAX_UINT_FIELD = BigInt(Number.MAX_SAFE_INTEGER);

function fixedBytes(name: string, size: number): Pick<FieldSpec<Uint8Array>, 'read' | 'write'> {
  return {
    read: (words) => wordsToBytes(words),
    write: (value) => {
      if (value.length !== size) throw new Error(`${name}: expected ${size} bytes, got ${value.length}`);
      return bytesToWords(value);
    },
  };
}

const anyBytes: Pick<FieldSpec<Uint8Array>, 'read' | 'write'> = {
  read: (words) => wordsToBytes(words),
  write: (value) => bytesToWords(value),
};

/** x and c: a big-endian integer with no leading zero words. */
function minimalUint(name: string): Pick<FieldSpec<number>, 'read' | 'write'> {
  return {
    read(words) {
      // BOLT 11: a `c`, `x` or `9` field with non-minimal data_length SHOULD be treated as invalid.
      if (words[0] === 0) throw new InvoiceError('non-minimal', `field ${name}: non-minimal data_length ${words.length} (leading zero)`);
      const n = wordsToUint(words);
      if (n > MAX_UINT_FIELD) throw new InvoiceError('field-value', `field ${name}: value ${n} too large`);
      return Number(n);
    },
    write(value) {
      if (!Number.isSafeInteger(value) || value < 0) throw new Error(`${name}: ${value} is not a non-negative integer`);
      return uintToWords(BigInt(value));
    },
  };
}

const utf8Strict = new TextDecoder('utf-8', { fatal: true });

// BOLT 11 §Tagged Fields, in the order the spec lists them.
export const FIELDS: { readonly [K in FieldLetter]: FieldSpec<FieldValues[K]> } = {
  p: { type: 1, name: 'payment_hash', length: 52, ...fixedBytes('payment_hash', 32) },
  s: { type: 16, name: 'payment_secret', length: 52, ...fixedBytes('payment_secret', 32) },
  d: {
    type: 13,
    name: 'description',
    read(words) {
      try {
        return utf8Strict.decode(wordsToBytes(words));
      } catch {
        throw new InvoiceError('field-value', 'field d (description): not valid UTF-8');
      }
    },
    write: (value) => bytesToWords(new TextEncoder().encode(value)),
  },
  m: { type: 27, name: 'metadata', ...anyBytes },
  n: {
    type: 19,
    name: 'payee',
    length: 53,
    read(words) {
      const key = wordsToBytes(words); // 53 words: 33 bytes and one padding bit
      if (!secp.isValidPublicKey(key)) throw new InvoiceError('field-value', 'field n (payee): not a valid compressed public key');
      return key;
    },
    write: fixedBytes('payee', 33).write,
  },
  h: { type: 23, name: 'description_hash', length: 52, ...fixedBytes('description_hash', 32) },
  x: { type: 6, name: 'expiry', ...minimalUint('x (expiry)') },
  c: { type: 24, name: 'min_final_cltv_expiry_delta', ...minimalUint('c (min_final_cltv_expiry_delta)') },
  f: {
    type: 9,
    name: 'fallback',
    read(words) {
      if (words.length === 0) return new Skip('empty fallback field');
      const version = words[0]!;
      const program = wordsToBytes(words.slice(1));
      // "MUST skip over `f` fields that use an unknown `version`"; a known version with a
      // program it cannot have is no usable address either, so it is skipped the same way.
      const problem = fallbackProblem(version, program);
      return problem ? new Skip(`fallback: ${problem}`) : { version, program };
    },
    write: (value) => {
      const problem = fallbackProblem(value.version, value.program);
      if (problem) throw new Error(`fallback: ${problem}`);
      return [value.version, ...bytesToWords(value.program)];
    },
  },
  r: {
    type: 3,
    name: 'route_hint',
    read(words) {
      const bytes = wordsToBytes(words);
      if (bytes.length === 0 || bytes.length % ROUTE_HOP_BYTES !== 0) {
        throw new InvoiceError('field-value', `field r (route hint): ${bytes.length} bytes is not a positive multiple of ${ROUTE_HOP_BYTES}`);
      }
      const hops: RouteHop[] = [];
      for (let at = 0; at < bytes.length; at += ROUTE_HOP_BYTES) {
        const hop = bytes.subarray(at, at + ROUTE_HOP_BYTES);
        const view = new DataView(hop.buffer, hop.byteOffset, hop.byteLength);
        hops.push({
          pubkey: hop.slice(0, 33),
          shortChannelId: bigintFromBytesBE(hop.subarray(33, 41)),
          feeBaseMsat: view.getUint32(41, false),
          feeProportionalMillionths: view.getUint32(45, false),
          cltvExpiryDelta: view.getUint16(49, false),
        });
      }
      return hops;
    },
    write(hops) {
      if (hops.length === 0) throw new Error('route hint: needs at least one hop');
      return bytesToWords(
        concat(
          ...hops.flatMap((h) => {
            if (h.pubkey.length !== 33) throw new Error(`route hint: pubkey of ${h.pubkey.length} bytes`);
            return [h.pubkey, u64be(h.shortChannelId), u32be(h.feeBaseMsat), u32be(h.feeProportionalMillionths), u16be(h.cltvExpiryDelta)];
          }),
        ),
      );
    },
  },
  '9': {
    type: 5,
    name: 'features',
    read(words) {
      if (words[0] === 0) throw new InvoiceError('non-minimal', `field 9 (features): non-minimal data_length ${words.length} (leading zero)`);
      const bits: number[] = [];
      // Big-endian: the last word holds bits 0..4.
      for (let i = 0; i < words.length; i++) {
        const word = words[words.length - 1 - i]!;
        for (let b = 0; b < 5; b++) if ((word >> b) & 1) bits.push(i * 5 + b);
      }
      return bits;
    },
    write(bits) {
      let n = 0n;
      for (const bit of bits) n |= 1n << BigInt(bit);
      return uintToWords(n);
    },
  },
};

const BY_TYPE = new Map<number, FieldLetter>((Object.keys(FIELDS) as FieldLetter[]).map((l) => [FIELDS[l].type, l]));

export interface ReadFieldOptions {
  /**
   * Skip `p`, `h`, `s` and `n` fields of the wrong data_length instead of failing. This was the
   * reader rule until lightning/bolts#1243 (2025); the spec example "Same, but including fields
   * which must be ignored" still relies on it. Off by default: the current rule is to fail.
   */
  readonly skipWrongLength?: boolean;
}

/** Reads one field's data; throws InvoiceError when the field makes the invoice invalid. */
export function readField(type: number, words: readonly number[], options: ReadFieldOptions = {}): TaggedField {
  const letter = BY_TYPE.get(type);
  if (letter === undefined) return { tag: 'skipped', type, words, reason: `unknown field type ${type}` };
  const spec = FIELDS[letter] as FieldSpec<unknown>;
  // "MUST fail the payment if any field with fixed data_length (p, h, s, n) does not have the correct length".
  if (spec.length !== undefined && words.length !== spec.length) {
    if (options.skipWrongLength) return { tag: 'skipped', type, words, reason: `${spec.name} of data_length ${words.length}, expected ${spec.length}` };
    throw new InvoiceError('field-length', `field ${letter} (${spec.name}): data_length ${words.length}, expected ${spec.length}`);
  }
  const value = spec.read(words);
  if (value instanceof Skip) return { tag: 'skipped', type, words, reason: value.reason };
  return { tag: letter, value } as KnownField;
}

/** The words of one field: type, 10-bit data_length, data. */
export function writeField(field: TaggedField): number[] {
  let type: number;
  let data: readonly number[];
  if (field.tag === 'skipped') {
    type = field.type;
    data = field.words;
  } else {
    const spec = FIELDS[field.tag] as FieldSpec<unknown>;
    type = spec.type;
    data = spec.write(field.value);
    if (spec.length !== undefined && data.length !== spec.length) throw new Error(`field ${field.tag}: ${data.length} words, expected ${spec.length}`);
  }
  if (type < 0 || type > 31) throw new Error(`field type ${type} is not 5 bits`);
  if (data.length > MAX_FIELD_WORDS) throw new Error(`field type ${type}: ${data.length} words exceed data_length limit ${MAX_FIELD_WORDS}`);
  return [type, ...uintToWords(BigInt(data.length), 2), ...data];
}
