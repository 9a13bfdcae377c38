// 5-bit word helpers for BOLT 11 (bech32 payloads are sequences of 5-bit "words").
import { bech32 } from '@scure/base';

/** BOLT 11 §Tagged Fields: field data is a whole number of 5-bit words. Bytes -> words, zero-padded. */
export function bytesToWords(bytes: Uint8Array): number[] {
  return bech32.toWords(bytes);
}

/**
 * Words -> bytes, dropping the trailing bits that do not fill a byte (the writer's zero padding).
 * BOLT 11 gives readers no rule on non-zero padding, so it is ignored rather than refused.
 */
export function wordsToBytes(words: readonly number[]): Uint8Array {
  const out = new Uint8Array(Math.floor((words.length * 5) / 8));
  let acc = 0;
  let bits = 0;
  let at = 0;
  for (const w of words) {
    acc = ((acc << 5) | w) & 0xfff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      if (at < out.length) out[at++] = (acc >>> bits) & 0xff;
    }
  }
  return out;
}

/** BOLT 11 §Data Part: the signed data is the words packed into bytes "with 0 bits appended to pad to a byte boundary". */
export function wordsToBytesPadded(words: readonly number[]): Uint8Array {
  const full = words.length % 8 === 0 ? words : [...words, ...new Array<number>(8 - (words.length % 8)).fill(0)];
  return wordsToBytes(full).subarray(0, Math.ceil((words.length * 5) / 8));
}

/** Big-endian unsigned integer from words (timestamp, x, c, data_length). */
export function wordsToUint(words: readonly number[]): bigint {
  let n = 0n;
  for (const w of words) n = (n << 5n) | BigInt(w);
  return n;
}

/** Big-endian words of `n`; `width` pads with leading zeros, otherwise the minimal length (0 -> no words). */
export function uintToWords(n: bigint, width?: number): number[] {
  if (n < 0n) throw new Error(`cannot encode negative integer ${n} as words`);
  const out: number[] = [];
  for (let v = n; v > 0n; v >>= 5n) out.unshift(Number(v & 31n));
  if (width !== undefined) {
    if (out.length > width) throw new Error(`integer ${n} does not fit in ${width} words`);
    while (out.length < width) out.unshift(0);
  }
  return out;
}
