// Codecs built from codecs: structs (a spec `data:` list or `subtype`), counted and trailing arrays,
// and u16-length-prefixed regions. A field's key is the camelCase of its spec name; errors use the spec name.
import { DecodeError, EncodeError, rethrowWithin } from './errors.js';
import { Reader, Writer } from './io.js';
import type { Codec, CodecValue } from './primitives.js';

/** An ordered field list: key order is wire order. */
export type Fields = { readonly [key: string]: Codec<any> };

/** The value a field list reads to. */
export type FieldValues<F extends Fields> = { -readonly [K in keyof F]: CodecValue<F[K]> };

/** Flattens intersections so editors show one object type. */
export type Simplify<T> = { [K in keyof T]: T[K] } & {};

/**
 * The spec's spelling of a camelCase key: `nodeSignature1` -> `node_signature_1`,
 * `sha256OfOnion` -> `sha256_of_onion`; a single word keeps its digits (`tlv1`).
 */
export function wireName(key: string): string {
  const snake = key.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase());
  return snake === key ? key : snake.replace(/([a-z])(\d+)$/, '$1_$2');
}

/** A field list compiled once into parallel arrays, read and written without per-call closures. */
export class FieldList<F extends Fields> {
  readonly keys: readonly string[];
  readonly names: readonly string[];
  readonly codecs: readonly Codec<unknown>[];
  /** Sum of the fixed-size fields (a lower bound of the encoding). */
  readonly fixedSize: number;
  readonly allFixed: boolean;

  constructor(fields: F) {
    this.keys = Object.keys(fields);
    this.names = this.keys.map(wireName);
    this.codecs = this.keys.map((k) => fields[k]!);
    this.fixedSize = this.codecs.reduce((n, c) => n + (c.fixedSize ?? 0), 0);
    this.allFixed = this.codecs.every((c) => c.fixedSize !== undefined);
  }

  /** Reads every field into `out`; an error gets the failing field's spec name. */
  readInto(r: Reader, out: Record<string, unknown>): void {
    const { keys, codecs } = this;
    let i = 0;
    try {
      for (; i < keys.length; i++) out[keys[i]!] = codecs[i]!.read(r);
    } catch (e) {
      rethrowWithin(e, this.names[i]!);
    }
  }

  write(w: Writer, value: Record<string, unknown>): void {
    const { keys, codecs } = this;
    let i = 0;
    try {
      for (; i < keys.length; i++) {
        const v = value[keys[i]!];
        if (v === undefined) throw new EncodeError('missing');
        codecs[i]!.write(w, v);
      }
    } catch (e) {
      rethrowWithin(e, this.names[i]!);
    }
  }
}

/** A spec `data:` list or `subtype`, e.g. `channel_update_checksums`. */
export function struct<const F extends Fields>(fields: F, type = 'struct'): Codec<Simplify<FieldValues<F>>> {
  const list = new FieldList(fields);
  return {
    type,
    fixedSize: list.allFixed ? list.fixedSize : undefined,
    read(r) {
      const out: Record<string, unknown> = {};
      list.readInto(r, out);
      return out as Simplify<FieldValues<F>>;
    },
    write(w, v) {
      if (typeof v !== 'object' || v === null) throw new EncodeError(`${type} must be an object`);
      list.write(w, v as Record<string, unknown>);
    },
  };
}

function readElements<T>(r: Reader, elem: Codec<T>, count: number): T[] {
  const out = new Array<T>(count);
  let i = 0;
  try {
    for (; i < count; i++) out[i] = elem.read(r);
  } catch (e) {
    rethrowWithin(e, `[${i}]`);
  }
  return out;
}

export function writeElements<T>(w: Writer, elem: Codec<T>, items: readonly T[]): void {
  let i = 0;
  try {
    for (; i < items.length; i++) elem.write(w, items[i]!);
  } catch (e) {
    rethrowWithin(e, `[${i}]`);
  }
}

function checkArray(type: string, v: unknown): asserts v is readonly unknown[] {
  if (!Array.isArray(v)) throw new EncodeError(`${type} must be an array`);
}

/** `[u16:num][num*elem]`: the spec's count field and the elements it counts, as one array. */
export function array<T>(count: Codec<number>, elem: Codec<T>): Codec<T[]> {
  const type = `${count.type},num*${elem.type}`;
  return {
    type,
    fixedSize: undefined,
    read(r) {
      const n = count.read(r);
      // Fail before allocating when the count cannot fit in what is left.
      if (elem.fixedSize !== undefined) r.need(n * elem.fixedSize);
      return readElements(r, elem, n);
    },
    write(w, v) {
      checkArray(type, v);
      count.write(w, v.length);
      writeElements(w, elem, v);
    },
  };
}

/** `n*elem`: exactly n elements. */
export function arrayFixed<T>(n: number, elem: Codec<T>): Codec<T[]> {
  const type = `${n}*${elem.type}`;
  return {
    type,
    fixedSize: elem.fixedSize === undefined ? undefined : n * elem.fixedSize,
    read: (r) => readElements(r, elem, n),
    write(w, v) {
      checkArray(type, v);
      if (v.length !== n) throw new EncodeError(`${type} must have ${n} elements, got ${v.length}`);
      writeElements(w, elem, v);
    },
  };
}

/** Reads elements until the end of the current region; a partial last element is an invalid value. */
export function readUntilEnd<T>(r: Reader, elem: Codec<T>): T[] {
  const size = elem.fixedSize;
  if (size !== undefined && size > 0) {
    if (r.remaining % size !== 0) {
      throw new DecodeError('invalid-value', `${r.remaining} bytes is not a whole number of ${size}-byte ${elem.type}`);
    }
    return readElements(r, elem, r.remaining / size);
  }
  const out: T[] = [];
  try {
    while (r.remaining > 0) out.push(elem.read(r));
  } catch (e) {
    rethrowWithin(e, `[${out.length}]`);
  }
  return out;
}

/** `...*elem`: elements filling the rest of the enclosing TLV value. */
export function arrayRest<T>(elem: Codec<T>): Codec<T[]> {
  const type = `...*${elem.type}`;
  return {
    type,
    fixedSize: undefined,
    read: (r) => readUntilEnd(r, elem),
    write(w, v) {
      checkArray(type, v);
      writeElements(w, elem, v);
    },
  };
}

/** `[u16:len][len*byte]` whose bytes are themselves `inner` (e.g. `encoded_short_ids`); inner must use them all. */
export function u16Sized<T>(inner: Codec<T>): Codec<T> {
  return {
    type: `u16,len*${inner.type}`,
    fixedSize: undefined,
    read(r) {
      const length = r.u16();
      r.need(length);
      const outerEnd = r.end;
      r.end = r.pos + length;
      const value = inner.read(r);
      if (r.pos !== r.end) throw new DecodeError('invalid-value', `${r.end - r.pos} unread byte(s) inside its length`);
      r.end = outerEnd;
      return value;
    },
    write(w, v) {
      const start = w.reserve(2);
      inner.write(w, v);
      const length = w.pos - start;
      if (length > 0xffff) throw new EncodeError(`${length} bytes do not fit a u16 length`);
      w.patchU16Length(start);
    },
  };
}
