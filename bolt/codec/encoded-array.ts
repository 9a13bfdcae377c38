// BOLT 7 §Query Messages: `encoded_` arrays (short ids, timestamps, query flags) are one encoding byte
// followed by the elements: 0 = uncompressed; 1 = zlib, which senders MUST NOT use any more but which
// older peers and the spec's own test vectors still carry, so it is decoded and can be re-encoded.
import { deflateSync, inflateSync } from 'node:zlib';
import { DecodeError, EncodeError } from './errors.js';
import { Reader, Writer } from './io.js';
import { readUntilEnd, writeElements } from './compound.js';
import type { Codec } from './primitives.js';

export type ArrayEncoding = 'uncompressed' | 'zlib';

export interface EncodedArray<T> {
  encoding: ArrayEncoding;
  items: T[];
}

const ENCODING_UNCOMPRESSED = 0;
const ENCODING_ZLIB = 1;

/**
 * Cap on inflated zlib data, so a small message cannot expand into a memory bomb: room for 64 Ki
 * 8-byte elements, eight times what one uncompressed message can carry.
 */
export const MAX_INFLATED_BYTES = 64 * 1024 * 8;

/** `[byte:encoding_type][...:encoded elements]`, filling the rest of the enclosing region. */
export function encodedArray<T>(elem: Codec<T>): Codec<EncodedArray<T>> {
  const type = `encoded_${elem.type}`;
  return {
    type,
    fixedSize: undefined,
    read(r) {
      const encoding = r.u8();
      if (encoding === ENCODING_UNCOMPRESSED) return { encoding: 'uncompressed', items: readUntilEnd(r, elem) };
      if (encoding !== ENCODING_ZLIB) throw new DecodeError('invalid-value', `unknown encoding type ${encoding}`);
      let inflated: Uint8Array;
      try {
        inflated = inflateSync(r.rest(), { maxOutputLength: MAX_INFLATED_BYTES });
      } catch (e) {
        throw new DecodeError('invalid-value', `zlib data does not inflate (limit ${MAX_INFLATED_BYTES} bytes): ${(e as Error).message}`);
      }
      return { encoding: 'zlib', items: readUntilEnd(new Reader(inflated), elem) };
    },
    write(w, v) {
      if (typeof v !== 'object' || v === null || !Array.isArray(v.items)) throw new EncodeError(`${type} must be { encoding, items }`);
      if (v.encoding === 'uncompressed') {
        w.u8(ENCODING_UNCOMPRESSED);
        writeElements(w, elem, v.items);
      } else if (v.encoding === 'zlib') {
        const plain = new Writer(64);
        writeElements(plain, elem, v.items);
        w.u8(ENCODING_ZLIB);
        w.bytes(deflateSync(plain.finish()));
      } else {
        throw new EncodeError(`unknown encoding "${String(v.encoding)}"`);
      }
    },
  };
}
